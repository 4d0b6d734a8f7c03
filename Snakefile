# The book's workflow: every model fit of a profile as a job (rule fit: genomics_hybrid.jobs,
# filling the per-fold cache in runs/cache), every notebook on every dataset (papermill; they
# read the fits), the paper's tables across datasets, then the Jupyter Book. `make book` runs it
# on the default profile:
#
#   .venv/bin/snakemake --cores 2 --config profile=default
#
# Snakemake skips a job whose inputs (the notebook, the package's code, profiles.yml) and
# parameters have not changed, runs independent jobs in parallel up to --cores, and resumes
# after an interruption. On a cluster the same rules run with an executor plugin, sized by
# their resources: `snakemake --workflow-profile profiles/slurm --config profile=full`.
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
from genomics_hybrid.jobs import notebook_jobs, resources
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
# The privacy grid runs on the profile's privacy datasets only (profiles.yml).
PRIVATE = privacy_datasets(PROFILE)
NOTEBOOK_FILES = [f"{output_folder('book', dataset)}/{notebook}.ipynb" for dataset in SOURCES
                  for notebook in NOTEBOOKS if notebook != "04_privacy" or dataset in PRIVATE]
# Every model fit is a fold-level job (rule fit, genomics_hybrid.jobs): one per model or
# privacy cell and part of the split (the profile's `workflow: job_size`), each filling the
# per-fold cache and leaving a marker under runs/jobs/<profile>/; a notebook starts once the
# jobs it reads have finished, and only reads. `--config gpu=true` asks a GPU for every deep
# model's job (the profile's `workflow: gpu`).
JOBS = f"runs/jobs/{PROFILE['name']}"
# `--config job_size=split` cuts the work per part of the split whatever the profile says.
if "job_size" in config:
    PROFILE.setdefault("workflow", {})["job_size"] = config["job_size"]
if "gpu" in config:
    PROFILE.setdefault("workflow", {})["gpu"] = str(config["gpu"]).lower() in ("1", "true", "yes")
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
    return {"notebook": f"{NOTEBOOK_DIR}/{wildcards.notebook}.ipynb", "code": CODE,
            "jobs": [f"{JOBS}/{wildcards.dataset}/{job.name}.json" for job in
                     notebook_jobs(PROFILE, wildcards.dataset, wildcards.notebook)]}


def job_resource(name):
    """A fit job's ``name`` resource (mem_mb, runtime, gpu): jobs.resources."""
    return lambda wildcards: resources(PROFILE, wildcards.dataset, f"{wildcards.experiment}/"
                                       f"{wildcards.model}/{wildcards.part}")[name]


rule data:
    input:
        code=CODE,
    output:
        f"runs/data/{PROFILE['name']}/{{dataset}}.pkl",
    wildcard_constraints:
        dataset="[^/]+",
    params:
        source=lambda wildcards: SOURCES[wildcards.dataset],
        profile=PROFILE["name"],
        seed=PROFILE["seed"],
    log:
        "runs/logs/{dataset}/data.log",
    threads: 1
    shell:
        f"{ENV} python -m genomics_hybrid.jobs data --dataset {{wildcards.dataset}} "
        f"--source {{params.source}} --profile {{params.profile}} "
        f"--seed {{params.seed}} --data {{output}} > {{log}} 2>&1 "
        "|| {{ tail -n 40 {log}; exit 1; }}"


rule fit:
    input:
        code=CODE,
        data=f"runs/data/{PROFILE['name']}/{{dataset}}.pkl",
    output:
        f"{JOBS}/{{dataset}}/{{experiment}}/{{model}}/{{part}}.json",
    wildcard_constraints:
        dataset="[^/]+", experiment="[^/]+", model="[^/]+", part="[^/]+",
    params:
        profile=PROFILE["name"],
        seed=PROFILE["seed"],
    log:
        "runs/logs/{dataset}/jobs/{experiment}/{model}/{part}.log",
    threads: 1
    resources:
        mem_mb=job_resource("mem_mb"),
        runtime=job_resource("runtime"),
        gpu=job_resource("gpu"),
    priority: 1
    shell:
        f"{ENV} python -m genomics_hybrid.jobs run "
        "{wildcards.experiment}/{wildcards.model}/{wildcards.part} --dataset {wildcards.dataset} "
        f"--data {{input.data}} --profile {{params.profile}} --seed {{params.seed}} "
        f"--cache {CACHE} --done {{output}} > {{log}} 2>&1 || {{{{ tail -n 40 {{log}}; exit 1; }}}}"


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
    resources:
        mem_mb=PROFILE.get("workflow", {}).get("mem_mb", 2048),
        runtime=30,
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
