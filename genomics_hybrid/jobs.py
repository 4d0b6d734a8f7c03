"""Fold-level jobs: a profile's work on one dataset cut into units that a scheduler spreads
(the Snakefile's rule ``fit``: over local cores with ``make book CORES=N``, over a cluster with
an executor plugin), each filling the per-fold cache; the notebooks then only read it.

    python -m genomics_hybrid.jobs list --profile full --dataset gse72056
    python -m genomics_hybrid.jobs data --profile default --dataset gse72056 --data gse72056.pkl
    python -m genomics_hybrid.jobs run comparison/hybrid/fold0 --profile default \\
        --dataset gse72056 --data gse72056.pkl --cache runs/cache --done done.json

``data`` loads the dataset once as the notebooks load it (``notebook.notebook_inputs``) and
keeps it for the jobs (``--data``): a replica is generated, a real matrix parsed, once per
dataset rather than once per job.

A job is ``<experiment>/<model>/<part>``: a plan of ``experiments.fit_plans`` (the comparison,
the ablation, the paper's split, a privacy cell, a stability seed) or notebook 05's fitted
pipeline (``explanation/hybrid/holdout``), on one part of the split ("fold0", ...,
"holdout"); "all" in place of the model or the part means every one. The profile's
``workflow: job_size`` picks which: ``split`` (the full profile: over a thousand jobs, each as
long as one fit), ``model`` (one job per model or privacy cell with all its parts) or
``experiment`` (one job per experiment: on two cores each job's few seconds of starting Python
add up, and the cores are busy anyway). A fit that two experiments share (the ablation's full
model and the privacy grid's unprotected cell are the comparison's hybrid) is one job: the
same key (``cache.fit_key``), stored once and read by all.
"""

from __future__ import annotations

import argparse
import functools
import json
import pickle
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .cache import fit_key
from .datasets.registry import has_groups
from .evaluation import HOLDOUT, Protocol, split_names
from .experiments import USER_ERRORS, explanation_pipeline, fit_plans
from .profiles import ProfileError, privacy_datasets

ALL = "all"  # a job's model or part: every one
JOB_SIZES = ("split", "model", "experiment")
EXPLANATION = "explanation"
# The comparison's models that train no network (no GPU to ask for).
SHALLOW = ("l1_logistic", "random_forest", "gradient_boosting")
# The experiments each notebook reads; 05 also reads the attention of the comparison's hybrid
# (the profile's seed of its stability check).
NOTEBOOK_EXPERIMENTS = {"02_training": ("comparison", "paper_split"),
                        "03_ablation": ("ablation",),
                        "04_privacy": ("privacy",),
                        "05_interpretability": (EXPLANATION, "stability")}
NOTEBOOK_MODELS = {"05_interpretability": (("comparison", "hybrid"),)}


@dataclass(frozen=True)
class Job:
    """One unit of work: ``experiment``'s plan ``model`` on ``part`` (a split name), either of
    them ``ALL``."""
    experiment: str
    model: str
    part: str

    @property
    def name(self) -> str:
        return f"{self.experiment}/{self.model}/{self.part}"

    @classmethod
    def parse(cls, name: str) -> "Job":
        fields = str(name).split("/")
        if len(fields) != 3 or not all(fields):
            raise ValueError(f"A job is '<experiment>/<model>/<part>', got {name!r} "
                             f"(list them: python -m genomics_hybrid.jobs list).")
        return cls(*fields)


def job_size(profile: Mapping[str, Any]) -> str:
    """The profile's ``workflow: job_size`` ("split", "model" or "experiment"; default
    "model")."""
    size = (profile.get("workflow") or {}).get("job_size", "model")
    if size not in JOB_SIZES:
        raise ProfileError(f"Profile {profile.get('name')!r}: workflow job_size must be one of "
                           f"{JOB_SIZES}, got {size!r}.")
    return size


def experiments_of(profile: Mapping[str, Any], dataset: str) -> list[str]:
    """The experiments the profile runs on ``dataset`` (a registry name or a file): all but the
    paper's split on a dataset without groups and the privacy grid outside the profile's
    privacy datasets."""
    listed = [entry["name"] for entry in profile.get("datasets") or []]
    private = dataset not in listed or dataset in privacy_datasets(profile)
    grouped = has_groups(dataset) and profile.get("paper_split", True)
    return [e for e in ("comparison", "ablation", "paper_split", "privacy", "stability")
            if (e != "paper_split" or grouped) and (e != "privacy" or private)] + [EXPLANATION]


def _plans(experiment: str, profile: Mapping[str, Any]) -> dict:
    """``fit_plans``, plus notebook 05's pipeline as a plan on the hold-out alone."""
    if experiment != EXPLANATION:
        return fit_plans(experiment, profile)
    return {"hybrid": None}


def _fits(profile: Mapping[str, Any], dataset: str) -> dict[str, dict]:
    """"parts": (experiment, model) -> the parts it fits that no earlier plan fits already (one
    key, ``fit_key``, one fit); "canonical": where each part is fitted, (experiment, model,
    part) -> the (experiment, model, part) that fits it. Computed once per profile and dataset
    (the Snakefile asks for every notebook and job)."""
    return _fits_of(json.dumps(profile, sort_keys=True, default=str), dataset)


@functools.lru_cache(maxsize=64)
def _fits_of(profile_json: str, dataset: str) -> dict[str, dict]:
    profile = json.loads(profile_json)
    protocol = Protocol.from_profile(profile)
    owner: dict[str, tuple[str, str, str]] = {}
    parts, canonical = {}, {}
    for experiment in experiments_of(profile, dataset):
        for model, plan in _plans(experiment, profile).items():
            names = ([HOLDOUT] if plan is None else
                     list(plan.folds or split_names(protocol.n_folds)))
            parts[experiment, model] = []
            for part in names:
                key = (f"{EXPLANATION}/{part}" if plan is None else
                       fit_key(plan.estimator, plan.protocol, "", part))
                where = owner.setdefault(key, (experiment, model, part))
                canonical[experiment, model, part] = where
                if where == (experiment, model, part):
                    parts[experiment, model].append(part)
    return {"parts": parts, "canonical": canonical}


def _job(size: str, experiment: str, model: str, part: str) -> Job:
    """The job of ``job_size`` ``size`` that fits ``part`` of ``experiment``'s ``model``."""
    return Job(experiment, model if size != "experiment" else ALL,
               part if size == "split" else ALL)


def _owned(profile: Mapping[str, Any], dataset: str) -> list[tuple[str, str, str]]:
    """Every fit of the profile on ``dataset`` once, as (experiment, model, part), in order."""
    return [(e, m, p) for (e, m), parts in _fits(profile, dataset)["parts"].items()
            for p in parts]


def dataset_jobs(profile: Mapping[str, Any], dataset: str) -> list[Job]:
    """Every job of the profile on ``dataset``, each fit once, at the profile's ``job_size``."""
    size = job_size(profile)
    return list(dict.fromkeys(_job(size, *fit) for fit in _owned(profile, dataset)))


def notebook_jobs(profile: Mapping[str, Any], dataset: str, notebook: str) -> list[Job]:
    """The jobs whose fits ``notebook`` reads on ``dataset`` (an empty list for a notebook that
    fits nothing, 01): after they have run, the notebook performs no fit."""
    canonical = _fits(profile, dataset)["canonical"]
    wanted = set(NOTEBOOK_EXPERIMENTS.get(notebook, ()))
    models = set(NOTEBOOK_MODELS.get(notebook, ()))
    size = job_size(profile)
    return sorted({_job(size, *canonical[key]) for key in canonical
                   if key[0] in wanted or (key[0], key[1]) in models},
                  key=lambda job: job.name)


def job_fits(profile: Mapping[str, Any], dataset: str, job: Job | str) -> list[tuple[str, str,
                                                                                      str]]:
    """The fits ``job`` makes on ``dataset``, as (experiment, model, part); an error naming the
    dataset's jobs when it is none of them."""
    job = Job.parse(job) if isinstance(job, str) else job
    fits = [(e, m, p) for e, m, p in _owned(profile, dataset) if e == job.experiment
            and job.model in (ALL, m) and job.part in (ALL, p)]
    if not fits:
        raise ValueError(f"{job.name!r} is not a job of profile {profile.get('name')!r} on "
                         f"{dataset!r}; its jobs: "
                         f"{', '.join(j.name for j in dataset_jobs(profile, dataset))}.")
    return fits


def run_job(job: Job | str, dataset, profile: Mapping[str, Any], cache_dir) -> int:
    """Fit ``job`` on ``dataset`` (a ``Dataset`` loaded as the notebooks load it) into
    ``cache_dir``; a fit already there is read, not refitted. Returns the number of fits it
    holds."""
    fits = job_fits(profile, dataset.name, job)
    experiment = fits[0][0]
    if experiment == EXPLANATION:
        explanation_pipeline(dataset, profile, cache_dir)
        return 1
    plans = fit_plans(experiment, profile)
    for model in dict.fromkeys(m for _, m, _ in fits):
        plans[model].records(model, dataset, cache_dir, folds=[p for _, m, p in fits
                                                                if m == model])
    return len(fits)


def resources(profile: Mapping[str, Any], dataset: str, job: Job | str) -> dict[str, int]:
    """What a scheduler should reserve for ``job`` on ``dataset`` (Snakemake ``resources``):
    ``mem_mb`` and ``runtime`` (minutes) from the profile's ``workflow`` block (measured sizes,
    see profiles.yml), the runtime multiplied by the fits the job makes (the nested search's
    included where the profile tunes), and ``gpu`` 1 for a job with a deep model where the
    profile asks for GPUs (``workflow: gpu``; ``device="auto"`` then trains on it)."""
    workflow = profile.get("workflow") or {}
    protocol = Protocol.from_profile(profile)
    tuning = protocol.tuning.get("n_iter", 0) * protocol.tuning.get("inner_folds", 3)
    fits = job_fits(profile, dataset, job)
    total = sum(1 + (tuning if e in ("comparison", "paper_split") else 0) for e, _, _ in fits)
    return {"mem_mb": int(workflow.get("mem_mb", 2048)),
            "runtime": max(1, int(round(total * float(workflow.get("fit_minutes", 5))))),
            "gpu": int(bool(workflow.get("gpu")) and any(m not in SHALLOW for _, m, _ in fits))}


def main(argv: list[str] | None = None) -> int:
    from .notebook import notebook_inputs  # the notebooks' own loading of the data
    from .profiles import load_profile

    parser = argparse.ArgumentParser(prog="python -m genomics_hybrid.jobs",
                                     description="List or run the fold-level jobs of a "
                                                 "profile on one dataset.")
    parser.add_argument("command", choices=("list", "data", "run"))
    parser.add_argument("job", nargs="?", help="run: the job, '<experiment>/<model>/<part>'")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--dataset", required=True, help="a registry name or a file")
    parser.add_argument("--source", default="auto")
    parser.add_argument("--seed", type=int, default=None, help="default: the profile's")
    parser.add_argument("--labels")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--positive")
    parser.add_argument("--missing", default="error")
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--done", help="run: write this JSON file when the job has finished")
    parser.add_argument("--data", help="run: the dataset as `data` kept it; data: where to "
                                       "keep it")
    args = parser.parse_args(argv)
    try:
        profile = load_profile(args.profile)
        if args.command == "list":
            for job in dataset_jobs(profile, args.dataset):
                print(job.name)
            return 0
        if args.command == "run" and not args.job:
            parser.error("run needs a job: '<experiment>/<model>/<part>'")
        if args.command == "data" and not args.data:
            parser.error("data needs --data, the file to keep the dataset in")
        seed = profile["seed"] if args.seed is None else args.seed
        started = time.perf_counter()
        settings = dict(profile, seed=seed)
        if args.command == "run" and args.data:
            dataset = pickle.loads(Path(args.data).read_bytes())
        else:
            settings, dataset = notebook_inputs(args.dataset, args.profile, seed, args.source,
                                                args.labels, args.label_column, args.positive,
                                                args.missing)
        if args.command == "data":
            Path(args.data).parent.mkdir(parents=True, exist_ok=True)
            Path(args.data).write_bytes(pickle.dumps(dataset))
            return 0
        fits = run_job(args.job, dataset, settings, args.cache)
    except (*USER_ERRORS, ValueError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    if args.done:
        Path(args.done).parent.mkdir(parents=True, exist_ok=True)
        Path(args.done).write_text(json.dumps({
            "job": args.job, "dataset": args.dataset, "profile": args.profile, "seed": seed,
            "fits": fits, "seconds": round(time.perf_counter() - started, 1)}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
