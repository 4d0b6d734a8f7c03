"""Fold-level jobs: a profile's work on one dataset cut into units that a scheduler spreads
(the Snakefile's rule ``fit``: over local cores with ``make book CORES=N``, over a cluster with
an executor plugin), each filling the per-fold cache; the notebooks then only read it.

    python -m genomics_hybrid.jobs list --profile full --dataset gse72056
    python -m genomics_hybrid.jobs run comparison/hybrid/fold0 --profile default \\
        --dataset gse72056 --cache runs/cache --done runs/jobs/gse72056/comparison/hybrid/fold0

A job is ``<experiment>/<model>/<part>``: a plan of ``experiments.fit_plans`` (the comparison,
the ablation, the paper's split, a privacy cell, a stability seed) or notebook 05's fitted
pipeline (``explanation/hybrid/holdout``), on one part of the split ("fold0", ...,
"holdout"), or on all its parts at once ("all"). The profile's ``workflow: job_size`` picks
which: ``split`` (the full profile: hundreds of jobs, each as long as one fit) or ``model``
(one job per model or privacy cell: on a laptop each job also pays for starting Python and
loading the data, a few seconds). A fit that two experiments share (the ablation's full model
and the privacy grid's unprotected cell are the comparison's hybrid) is one job: the same key
(``cache.fit_key``), stored once and read by all.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .cache import fit_key
from .datasets.registry import has_groups
from .evaluation import HOLDOUT, Protocol
from .experiments import USER_ERRORS, explanation_pipeline, fit_plans, split_names
from .profiles import ProfileError, privacy_datasets

ALL_PARTS = "all"
JOB_SIZES = ("split", "model")
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
    """One unit of work: ``experiment``'s plan ``model`` on ``part`` (a split name, or
    ``ALL_PARTS``)."""
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
    """The profile's ``workflow: job_size`` ("split" or "model"; default "model")."""
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


def _fits(profile: Mapping[str, Any], dataset: str) -> dict[tuple[str, str], list[str]]:
    """(experiment, model) -> the parts it fits that no earlier plan fits already (one key,
    ``fit_key``, one fit), and where each of its parts is fitted: (experiment, model, part) ->
    the canonical (experiment, model, part)."""
    protocol = Protocol.from_profile(profile)
    owner: dict[str, tuple[str, str, str]] = {}
    parts, canonical = {}, {}
    for experiment in experiments_of(profile, dataset):
        for model, plan in _plans(experiment, profile).items():
            names = [HOLDOUT] if plan is None else list(plan.folds or split_names(protocol))
            parts[experiment, model] = []
            for part in names:
                key = (f"{EXPLANATION}/{part}" if plan is None else
                       fit_key(plan.estimator, plan.protocol, "", part))
                where = owner.setdefault(key, (experiment, model, part))
                canonical[experiment, model, part] = where
                if where == (experiment, model, part):
                    parts[experiment, model].append(part)
    return {"parts": parts, "canonical": canonical}


def dataset_jobs(profile: Mapping[str, Any], dataset: str) -> list[Job]:
    """Every job of the profile on ``dataset``, each fit once, at the profile's ``job_size``."""
    fits = _fits(profile, dataset)["parts"]
    if job_size(profile) == "model":
        return [Job(e, m, ALL_PARTS) for (e, m), parts in fits.items() if parts]
    return [Job(e, m, p) for (e, m), parts in fits.items() for p in parts]


def notebook_jobs(profile: Mapping[str, Any], dataset: str, notebook: str) -> list[Job]:
    """The jobs whose fits ``notebook`` reads on ``dataset`` (an empty list for a notebook that
    fits nothing, 01): after they have run, the notebook performs no fit."""
    canonical = _fits(profile, dataset)["canonical"]
    wanted = set(NOTEBOOK_EXPERIMENTS.get(notebook, ()))
    models = set(NOTEBOOK_MODELS.get(notebook, ()))
    needed = {canonical[key] for key in canonical
              if key[0] in wanted or (key[0], key[1]) in models}
    whole = job_size(profile) == "model"
    return sorted({Job(experiment, model, ALL_PARTS if whole else part)
                   for experiment, model, part in needed}, key=lambda job: job.name)


def run_job(job: Job | str, dataset, profile: Mapping[str, Any], cache_dir) -> int:
    """Fit ``job`` on ``dataset`` (a ``Dataset`` loaded as the notebooks load it) into
    ``cache_dir``; a fit already there is read, not refitted. Returns the number of fits it
    holds."""
    job = Job.parse(job) if isinstance(job, str) else job
    parts = _fits(profile, dataset.name)["parts"].get((job.experiment, job.model))
    if parts is None or (job.part != ALL_PARTS and job.part not in parts):
        raise ValueError(f"{job.name!r} is not a job of profile {profile.get('name')!r} on "
                         f"{dataset.name!r}; its jobs: "
                         f"{', '.join(j.name for j in dataset_jobs(profile, dataset.name))}.")
    if job.part != ALL_PARTS:
        parts = [job.part]
    if job.experiment == EXPLANATION:
        explanation_pipeline(dataset, profile, cache_dir)
        return 1
    plan = fit_plans(job.experiment, profile)[job.model]
    return len(plan.records(job.model, dataset, cache_dir, folds=parts))


def resources(profile: Mapping[str, Any], job: Job | str) -> dict[str, int]:
    """What a scheduler should reserve for ``job`` (Snakemake ``resources``): ``mem_mb`` and
    ``runtime`` (minutes) from the profile's ``workflow`` block (measured sizes, see
    profiles.yml), the runtime multiplied by the fits the job makes (its parts, and the nested
    search's fits when the profile tunes), and ``gpu`` 1 for a deep model's job where the
    profile asks for GPUs (``workflow: gpu``; ``device="auto"`` then trains on it)."""
    job = Job.parse(job) if isinstance(job, str) else job
    workflow = profile.get("workflow") or {}
    protocol = Protocol.from_profile(profile)
    parts = len(split_names(protocol)) if job.part == ALL_PARTS else 1
    tuning = protocol.tuning.get("n_iter", 0) * protocol.tuning.get("inner_folds", 3)
    searched = job.experiment in ("comparison", "paper_split")
    fits = parts * (1 + (tuning if searched else 0))
    return {"mem_mb": int(workflow.get("mem_mb", 2048)),
            "runtime": max(1, int(round(fits * float(workflow.get("fit_minutes", 5))))),
            "gpu": int(bool(workflow.get("gpu")) and job.model not in SHALLOW)}


def main(argv: list[str] | None = None) -> int:
    from .notebook import notebook_inputs  # the notebooks' own loading of the data
    from .profiles import load_profile

    parser = argparse.ArgumentParser(prog="python -m genomics_hybrid.jobs",
                                     description="List or run the fold-level jobs of a "
                                                 "profile on one dataset.")
    parser.add_argument("command", choices=("list", "run"))
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
    args = parser.parse_args(argv)
    try:
        profile = load_profile(args.profile)
        if args.command == "list":
            for job in dataset_jobs(profile, args.dataset):
                print(job.name)
            return 0
        if not args.job:
            parser.error("run needs a job: '<experiment>/<model>/<part>'")
        seed = profile["seed"] if args.seed is None else args.seed
        started = time.perf_counter()
        settings, dataset = notebook_inputs(args.dataset, args.profile, seed, args.source,
                                            args.labels, args.label_column, args.positive,
                                            args.missing)
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
