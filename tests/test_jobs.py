"""Fold-level jobs (genomics_hybrid.jobs): what they enumerate, that each fit is one job, and
that the notebooks' functions fit nothing once the jobs have run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from genomics_hybrid import evaluation, experiments, jobs
from genomics_hybrid.experiments import profile_dataset
from genomics_hybrid.model import HybridClassifier
from genomics_hybrid.profiles import ProfileError, load_profile

ROOT = Path(__file__).resolve().parents[1]


def tiny_profile(job_size: str = "split") -> dict:
    """The smoke profile on GSE7390 cut to seconds, privacy grid and a second seed included."""
    profile = load_profile("smoke")
    profile.update(max_samples=60, datasets=[{"name": "gse7390", "source": "real"}],
                   privacy={"datasets": ["gse7390"]}, workflow={"job_size": job_size})
    profile["evaluation"]["preprocessing"]["variance_top_k"] = 30
    profile["model"] = {"max_epochs": 2, "patience": 1, "n_selected": 8}
    profile["interpretability"] = {"k": 5, "seeds": [0, 1], "n_candidates": 10, "n_repeats": 1}
    return profile


def test_the_full_profile_is_hundreds_of_fold_level_jobs():
    profile = load_profile("full")
    names = [(entry["name"], job.name) for entry in profile["datasets"]
             for job in jobs.dataset_jobs(profile, entry["name"])]
    assert len(set(names)) == len(names)
    per_dataset = jobs.dataset_jobs(profile, "gse72056")
    assert {job.part for job in per_dataset} == {"fold0", "fold1", "fold2", "fold3", "fold4",
                                                  "holdout"}
    assert len(names) >= 300


def test_a_shared_fit_is_one_job():
    """The ablation's full model and the unprotected privacy cell are the comparison's hybrid;
    the ablation's CNN alone is the comparison's: no job of their own, and the notebooks that
    read them wait for the comparison's."""
    profile = load_profile("default")
    profile["workflow"]["job_size"] = "model"
    names = {job.name for job in jobs.dataset_jobs(profile, "gse72056")}
    assert "comparison/hybrid/all" in names
    assert not {"ablation/full/all", "ablation/cnn_only/all", "privacy/none_none/all"} & names
    assert "privacy/adaptive_low/all" in names and "paper_split/hybrid/all" in names
    for notebook in ("03_ablation", "04_privacy", "05_interpretability"):
        assert "comparison/hybrid/all" in {j.name for j in
                                           jobs.notebook_jobs(profile, "gse72056", notebook)}
    assert jobs.notebook_jobs(profile, "gse72056", "01_preprocessing") == []


def test_job_sizes_cut_the_same_fits():
    """Per part, per model, per experiment: the same fits, in more or fewer jobs."""
    profile = load_profile("default")
    sizes = {}
    for size in jobs.JOB_SIZES:
        profile["workflow"]["job_size"] = size
        listed = jobs.dataset_jobs(profile, "gse72056")
        sizes[size] = len(listed)
        fits = [fit for job in listed for fit in jobs.job_fits(profile, "gse72056", job)]
        assert len(fits) == len(set(fits)) == sizes.get("split", len(fits))
    assert sizes == {"split": 116, "model": 30, "experiment": 6}
    assert {job.name for job in jobs.notebook_jobs(profile, "gse72056", "04_privacy")} == {
        "comparison/all/all", "privacy/all/all"}


def test_jobs_follow_the_data():
    """No paper-split jobs without groups, no privacy jobs outside the profile's privacy list."""
    profile = load_profile("default")
    experiments_of = {job.experiment for job in jobs.dataset_jobs(profile, "gse7390")}
    assert experiments_of == {"comparison", "ablation", "stability", "explanation"}


def test_resources_scale_with_the_fits_of_a_job():
    profile = load_profile("full")
    one = jobs.resources(profile, "gse72056", "privacy/adaptive_low/fold0")
    tuned = jobs.resources(profile, "gse72056", "comparison/hybrid/fold0")
    whole = jobs.resources(profile, "gse72056", "comparison/all/all")
    assert one["mem_mb"] == profile["workflow"]["mem_mb"]
    assert tuned["runtime"] == one["runtime"] * (1 + 8 * 3)
    assert whole["runtime"] == tuned["runtime"] * 7 * 6   # 7 models x 6 parts
    assert one["gpu"] == 0
    profile["workflow"]["gpu"] = True
    assert jobs.resources(profile, "gse72056", "comparison/hybrid/fold0")["gpu"] == 1
    assert jobs.resources(profile, "gse72056", "comparison/random_forest/fold0")["gpu"] == 0


def test_bad_jobs_and_sizes_are_refused():
    profile = tiny_profile()
    with pytest.raises(ValueError, match="experiment>/<model>/<part"):
        jobs.Job.parse("comparison/hybrid")
    with pytest.raises(ValueError, match="not a job"):
        jobs.run_job("ablation/full/fold0", profile_dataset("gse7390", profile), profile, None)
    profile["workflow"]["job_size"] = "notebook"
    with pytest.raises(ProfileError, match="job_size"):
        jobs.dataset_jobs(profile, "gse7390")


def test_notebooks_fit_nothing_after_their_jobs(tmp_path, monkeypatch):
    """Every job of the profile fills the cache; then what notebooks 02-05 call reads it and
    never fits a model (a fit would raise here). (Job size "model" runs the same parts per
    job: the command-line test below runs one.)"""
    profile = tiny_profile()
    data = profile_dataset("gse7390", profile)
    cache = tmp_path / "cache"
    listed = jobs.dataset_jobs(profile, "gse7390")
    for job in listed:
        jobs.run_job(job, data, profile, cache)

    def no_fit(*args, **kwargs):
        raise AssertionError("a notebook fitted a model after its jobs had run")
    monkeypatch.setattr(evaluation, "_fit_and_predict", no_fit)
    monkeypatch.setattr(HybridClassifier, "fit", no_fit)
    for experiment in ("comparison", "ablation"):
        experiments.run_experiment(experiment, data, profile, cache, progress=False)
    experiments.run_robustness(data, profile, cache)
    experiments.tuning_tables(data, profile, cache)
    experiments.run_paper_split(data, profile, cache)
    results, attacks, _ = experiments.run_privacy_grid(data, profile, cache, progress=False)
    assert len(attacks) == len(experiments.privacy_grid(profile))
    explanation = experiments.explain(data, profile, cache)
    assert set(explanation.stability.rankings) == {(0, 0), (0, 1), (0, 2), (1, 0), (1, 1),
                                                   (1, 2)}


def test_the_command_line_runs_a_job_and_leaves_a_marker(tmp_path):
    done = tmp_path / "done.json"
    listed = subprocess.run([sys.executable, "-m", "genomics_hybrid.jobs", "list", "--profile",
                             "smoke", "--dataset", "gse7390"], capture_output=True, text=True,
                            check=True).stdout.split()
    assert "comparison/all/all" in listed   # the smoke profile cuts per experiment
    subprocess.run([sys.executable, "-m", "genomics_hybrid.jobs", "run",
                    "comparison/l1_logistic/all", "--profile", "smoke", "--dataset", "gse7390",
                    "--cache", str(tmp_path / "cache"), "--done", str(done)], check=True)
    assert json.loads(done.read_text())["fits"] == 4
    assert len(list((tmp_path / "cache").glob("gse7390__l1_logistic__*.json"))) == 4
    refused = subprocess.run([sys.executable, "-m", "genomics_hybrid.jobs", "run",
                              "comparison/nonsense/all", "--profile", "smoke", "--dataset",
                              "gse7390", "--cache", str(tmp_path / "cache")],
                             capture_output=True, text=True)
    assert refused.returncode == 2 and "not a job" in refused.stderr
    assert "Traceback" not in refused.stderr


def dry_run(*options: str) -> str:
    """``snakemake -n`` of the book's workflow from the repository root: its job counts."""
    pytest.importorskip("snakemake")
    done = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--rerun-incomplete",
                           *options], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def job_count(dry: str, rule: str) -> int:
    """A rule's count in the "Job stats" table of a dry run."""
    stats = dry.split("Job stats:")[1]
    return int(next(line.split()[1] for line in stats.splitlines()
                    if line.split()[:1] == [rule]))


def test_the_slurm_profile_dry_runs_the_full_profile_as_fold_level_jobs():
    """The README's cluster command, dry: every fit its own job, each with resources."""
    pytest.importorskip("snakemake_executor_plugin_slurm")
    dry = dry_run("--workflow-profile", "profiles/slurm", "--config", "profile=full")
    assert job_count(dry, "fit") >= 300
    assert job_count(dry, "fit") == sum(len(jobs.dataset_jobs(load_profile("full"), e["name"]))
                                        for e in load_profile("full")["datasets"])
    fit = dry.split("rule fit:")[1].split("\n\n")[0]
    assert "mem_mb=4096" in fit and "runtime=" in fit and "gpu=0" in fit
