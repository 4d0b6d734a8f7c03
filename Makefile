# genomics-hybrid. `make book` and `make test` do all set-up themselves: a virtualenv in .venv
# with the pinned dependencies (pyproject.toml, constrained by requirements.lock). No data
# download is needed: the paper's datasets are replaced by offline replicas unless their real
# files are in data/ (see data/README.md).
#
#   make book    execute notebooks/01_preprocessing.ipynb for every dataset of the default
#                profile into runs/default/<dataset>/ (papermill), then build _build/html
#   make test    run the test suite
#   make clean   remove the executed notebooks and the built book (keeps .venv)
#
# Issue 5 moves the notebook runs to Snakemake; this loop is the walking skeleton.

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

VENV := .venv
STAMP := $(VENV)/.installed
# The book's _toc.yml lists runs/default/...: the book is built from the default profile.
BOOK_PROFILE := default
RUNS := runs/$(BOOK_PROFILE)
NOTEBOOKS := 01_preprocessing
# Python 3.11: python3.11, else python3 if it is 3.11. Override with `make PYTHON=/path/python3.11`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || { python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null && command -v python3; })

.PHONY: book test clean

# Set-up runs once, and again when the dependency pins change.
$(STAMP): pyproject.toml requirements.lock
	if [ -z "$(PYTHON)" ]; then echo "error: Python 3.11 not found (python3.11, or python3 being 3.11); run make PYTHON=/path/to/python3.11" >&2; exit 1; fi
	if [ ! -x $(VENV)/bin/python ]; then $(PYTHON) -m venv $(VENV); fi
	$(VENV)/bin/python -m pip install -c requirements.lock -e '.[test]'
	touch $@

book: $(STAMP)
	datasets="$$($(VENV)/bin/python -m genomics_hybrid.profiles $(BOOK_PROFILE))"
	while read -r name source; do
		for nb in $(NOTEBOOKS); do
			echo "== $$nb: $$name (source $$source)"
			mkdir -p $(RUNS)/$$name
			$(VENV)/bin/papermill notebooks/$$nb.ipynb $(RUNS)/$$name/$$nb.ipynb \
				-k python3 --cwd . --no-progress-bar --log-level WARNING \
				-p dataset "$$name" -p source "$$source" -p profile $(BOOK_PROFILE) \
				-p output_dir $(RUNS)/$$name
		done
	done <<< "$$datasets"
	$(VENV)/bin/jupyter-book build . --all --warningiserror --nitpick --keep-going

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

clean:
	rm -rf _build runs
