# The book's workflow: every notebook on every dataset of a profile (papermill), the paper's
# tables across datasets, then the Jupyter Book. `make book` runs it on the default profile:
#
#   .venv/bin/snakemake --cores 2 --config profile=default
#
# Snakemake skips a notebook whose inputs (the notebook, the package's code, profiles.yml) and
# parameters have not changed, runs independent notebooks in parallel up to --cores, and
# resumes after an interruption (per-fold results are also cached in runs/cache). The same
# rules run on a cluster with an executor plugin, e.g. `--executor slurm --jobs 50`.
#
# The executed notebooks go to runs/book/<dataset>/, which _toc.yml lists; the profile that
# built them is a parameter, so switching profiles reruns them. Per-dataset output (tidy CSV and
# JSON) sits beside each notebook; logs go to runs/logs/.
#
# `genomics-hybrid book PATH` runs the same rules on one user's file, in the book's own folder
# (--directory; its settings file as --configfile, with a `user` entry): the file's dataset
# replaces the profile's, under a name that the package, run in that folder, loads the file by
# (the rules pass it as they pass a registry name), and the user_pages rule writes that book's
# own pages (genomics_hybrid/userbook).

import os
from pathlib import Path

import genomics_hybrid
from genomics_hybrid import userbook
from genomics_hybrid.notebook import output_folder, runs_folder
from genomics_hybrid.profiles import load_profile, privacy_datasets

PROFILE = load_profile(config.get("profile", "default"))
USER = config.get("user")  # a user book's file, labels and options (userbook.prepare)
if USER:
    PROFILE = userbook.workflow_profile(PROFILE, USER)
# The checkout's notebooks and the package's code, named relative to the working directory:
# "notebooks/..." in the checkout (make book), a path back to it from a user book's folder.
PACKAGE = Path(genomics_hybrid.__file__).parent
NOTEBOOK_DIR = os.path.relpath(Path(workflow.basedir) / "notebooks")
# `--config source=real` (make book BOOK_SOURCE=real) loads the paper's datasets from their
# downloaded files instead of the profile's source; the bundled real sets have only one source.
SOURCES = {entry["name"]: config.get("source") or entry["source"]
           for entry in PROFILE["datasets"]}
# The book's notebooks: runs/book/<dataset> (genomics_hybrid.notebook's convention, with the
# folder named "book" whichever profile built it: _toc.yml and the pages link there).
RUNS = runs_folder("book")
OUT = output_folder("book", "{dataset}")  # a rule's output and input pattern
OUT_DIR = output_folder("book", "{wildcards.dataset}")  # the same folder, in a shell command
PAPER = output_folder("book", "paper")  # notebook 06, across datasets
CACHE = config.get("cache", "runs/cache")
NOTEBOOKS = ["01_preprocessing", "02_training", "03_ablation", "04_privacy",
             "05_interpretability"]
# 03 and 04 reuse 02's cached folds (the full model, the CNN alone, the plain hybrid): run
# them after 02 so the two never fit the same fold at once.
AFTER = {"03_ablation": "02_training", "04_privacy": "02_training"}
# The order to start notebooks in when cores are free: the critical path first (every 02, then
# the privacy notebooks, the longest by far, which wait on their 02), the short ones last to
# fill the cores. Left to itself the scheduler started one dataset's 02 after 17 minutes.
# The privacy grid runs on the profile's privacy datasets only (profiles.yml).
PRIVATE = privacy_datasets(PROFILE)
NOTEBOOK_FILES = [f"{output_folder('book', dataset)}/{notebook}.ipynb" for dataset in SOURCES
                  for notebook in NOTEBOOKS if notebook != "04_privacy" or dataset in PRIVATE]
PRIORITY = {"02_training": 3, "04_privacy": 2, "05_interpretability": 1, "03_ablation": 1,
            "01_preprocessing": 0}
CODE = sorted(os.path.relpath(p) for p in PACKAGE.rglob("*.py")) + \
    [os.path.relpath(PACKAGE / name) for name in ("profiles.yml", "paper_reported.csv")]
# One torch/BLAS thread per notebook: parallel notebooks on few cores otherwise oversubscribe
# them (measured: catastrophic on two cores).
ENV = "OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1"
PAPERMILL = ("papermill {input.notebook} {output} -k python3 --cwd . --log-level WARNING "
             "--no-progress-bar --request-save-on-cell-execute")
# What the book is built from besides the notebooks: the paper's tables and pages, or a user
# book's own pages.
PAGES = list(userbook.PAGES) if USER else [f"{PAPER}/06_paper_tables.ipynb", "_toc.yml",
                                           "_config.yml", *Path("book").glob("*.md")]


rule book:
    input:
        NOTEBOOK_FILES,
        PAGES,
    output:
        "_build/html/index.html",
    log:
        "runs/logs/book.log",
    shell:
        "jupyter-book build . --all --warningiserror --nitpick --keep-going > {log} 2>&1 "
        "|| {{ tail -n 40 {log}; exit 1; }}"


if USER:
    rule user_pages:
        input:
            NOTEBOOK_FILES,
            userbook.SETTINGS_FILE,
            code=CODE,
            templates=sorted(os.path.relpath(p) for p in userbook.TEMPLATES.iterdir()),
        output:
            userbook.PAGES,
        log:
            "runs/logs/user_pages.log",
        shell:
            f"python -m genomics_hybrid.userbook {RUNS} > {{log}} 2>&1 "
            "|| {{ tail -n 40 {log}; exit 1; }}"


def notebook_inputs(wildcards):
    inputs = {"notebook": f"{NOTEBOOK_DIR}/{wildcards.notebook}.ipynb", "code": CODE}
    if wildcards.notebook in AFTER:
        inputs["before"] = (f"{output_folder('book', wildcards.dataset)}/"
                            f"{AFTER[wildcards.notebook]}.ipynb")
    return inputs


rule notebook:
    input:
        unpack(notebook_inputs),
    output:
        f"{OUT}/{{notebook}}.ipynb",
    wildcard_constraints:
        notebook="0[1-5]_[a-z]+",
    params:
        source=lambda wildcards: SOURCES[wildcards.dataset],
        profile=PROFILE["name"],
        seed=PROFILE["seed"],
        cache=lambda wildcards: "" if wildcards.notebook == "01_preprocessing" else
        f"-p cache_dir {CACHE}",
    log:
        "runs/logs/{dataset}/{notebook}.log",
    threads: 1
    priority: lambda wildcards: PRIORITY[wildcards.notebook]
    shell:
        f"{ENV} {PAPERMILL} -p dataset {{wildcards.dataset}} -p source {{params.source}} "
        f"-p profile {{params.profile}} -p seed {{params.seed}} "
        f"-p output_dir {OUT_DIR} {{params.cache}} > {{log}} 2>&1 "
        "|| {{ tail -n 40 {log}; exit 1; }}"


rule paper_tables:
    input:
        notebook="notebooks/06_paper_tables.ipynb",
        code=CODE,
        runs=NOTEBOOK_FILES,
    output:
        f"{PAPER}/06_paper_tables.ipynb",
    log:
        "runs/logs/06_paper_tables.log",
    shell:
        f"{ENV} {PAPERMILL} -p runs_dir {RUNS} > {{log}} 2>&1 "
        "|| {{ tail -n 40 {log}; exit 1; }}"
