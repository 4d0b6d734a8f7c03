# genomics-hybrid. `make book` and `make test` do all set-up themselves: a virtualenv in .venv
# with the pinned dependencies (pyproject.toml, constrained by requirements.lock). No data
# download is needed: the paper's datasets are replaced by offline replicas unless their real
# files are in data/ (see data/README.md).
#
#   make book    run every notebook on every dataset of the default profile (Snakefile:
#                papermill, in parallel, skipping what has not changed), then build _build/html
#   make book BOOK_PROFILE=smoke    the same at toy size, in minutes (what CI builds)
#   make book BOOK_SOURCE=real      the paper's datasets from their downloaded files
#   make test    run the test suite
#   make clean   remove the executed notebooks, the fold cache and the built book (keeps .venv)

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book

VENV := .venv
STAMP := $(VENV)/.installed
# The profile the book is built from (genomics_hybrid/profiles.yml) and the notebooks run at once.
BOOK_PROFILE ?= default
# Empty: each dataset's source from the profile; "real" or "auto": the downloaded files.
BOOK_SOURCE ?=
CORES ?= $(shell nproc 2>/dev/null || echo 2)
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
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/snakemake --cores $(CORES) \
		--config profile=$(BOOK_PROFILE) $(if $(BOOK_SOURCE),source=$(BOOK_SOURCE)) \
		--printshellcmds --keep-going

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q

clean:
	rm -rf _build runs
