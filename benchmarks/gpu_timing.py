"""Wall times on a GPU (issue 13): the full GSE72056 hybrid fit, stock TabNet's, and one dataset's
full profile, each step in a fresh process under a time limit.

    python benchmarks/gpu_timing.py --out gpu_timing.json       # on a machine with a GPU
    python benchmarks/gpu_timing.py --tiny --out /tmp/t.json     # dry run anywhere (CPU: minutes)

Every model keeps ``device="auto"``, so on a GPU machine all deep models train on CUDA.

- ``hybrid``: ``HybridClassifier()`` with its defaults on a stratified 80 % of the GSE72056
  replica (4,513 cells x 23,686 genes, min-max scaled on the training rows): the full run of
  ``benchmarks/model_speed.py`` (767 s and 1.82 GiB peak RSS on one CPU thread at d122092; 33 s
  on one H100 at 4d65e0c).
- ``device_tests``: ``tests/test_device.py`` (its GPU tests run where CUDA is).
- ``tabnet``: stock TabNet as the comparison configures it (``matching_stock_tabnet`` of the
  default hybrid) on the same rows.
- ``comparison``, ``ablation``, ``privacy``, ``explain``: notebooks 02-05 of the ``full`` profile
  on one dataset (``--dataset``; gse7390 by default, the smallest), sharing one fold cache.

Each step reports its wall seconds, epochs, hold-out AUC where there is one, peak GPU memory
(``torch.cuda.max_memory_allocated``), peak RSS and the fold-cache records written so far (of a
profile step cut off by its limit, the fits it finished); the JSON file is rewritten after every step,
so a step cut off by ``--deadline`` leaves the earlier ones. ``--tiny``: a 400 x 600 slice of the
replica, 2 epochs, the ``smoke`` profile: it checks the script, its numbers mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

STEPS = ("env", "hybrid", "device_tests", "tabnet", "comparison", "ablation", "privacy",
         "explain")
# The most each step may take (seconds), cut to what is left of --deadline.
LIMITS = {"env": 60, "hybrid": 330, "device_tests": 150, "tabnet": 240, "comparison": 300,
          "ablation": 300, "privacy": 400, "explain": 300}
ROOT = Path(__file__).resolve().parents[1]


def peak_memory() -> dict:
    import torch
    gpu = (torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available()
           and torch.cuda.is_initialized() else None)
    return {"peak_gpu_gib": gpu,
            "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def gse72056_split(args) -> tuple:
    """model_speed.full_run's rows: an 80/20 stratified split of the replica, min-max scaled
    on the training rows (clipped); cached in --scratch for the steps after the first."""
    cache = Path(args.scratch) / f"gse72056{'-tiny' if args.tiny else ''}.npz"
    if cache.exists():
        with np.load(cache) as f:
            return tuple(f[k] for k in ("X_train", "X_test", "y_train", "y_test")), 0.0
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler

    from genomics_hybrid.datasets import load
    started = time.perf_counter()
    ds = load("gse72056", source="replica")
    X, y = ds.X, ds.y
    if args.tiny:
        rng = np.random.default_rng(0)
        rows = np.sort(rng.permutation(len(y))[:400])
        X, y = X[np.ix_(rows, np.sort(rng.permutation(X.shape[1])[:600]))], y[rows]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y,
                                                        random_state=0)
    scaler = MinMaxScaler(clip=True).fit(X_train)
    parts = (scaler.transform(X_train), scaler.transform(X_test), y_train, y_test)
    seconds = time.perf_counter() - started
    np.savez(cache, **dict(zip(("X_train", "X_test", "y_train", "y_test"), parts)))
    return parts, seconds


def fit_and_score(model, args) -> dict:
    from sklearn.metrics import roc_auc_score
    (X_train, X_test, y_train, y_test), data_seconds = gse72056_split(args)
    started = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - started
    return {"fit_seconds": seconds, "data_seconds": data_seconds, "rows": len(y_train),
            "n_features": X_train.shape[1], "device": str(model.device_),
            "epochs": {stage: r["epochs"] for stage, r in model.convergence_.items()},
            "best_epoch": {stage: r["best_epoch"] for stage, r in model.convergence_.items()},
            "stopped_by": {stage: r["stopped_by"] for stage, r in model.convergence_.items()},
            "holdout_auc": float(roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))}


def hybrid_params(args) -> dict:
    return {"max_epochs": 2, "n_selected": 32} if args.tiny else {}


def step_env(args) -> dict:
    import numpy
    import pandas
    import scipy
    import sklearn
    import torch
    info = {"python": sys.version.split()[0], "torch": torch.__version__,
            "numpy": numpy.__version__, "pandas": pandas.__version__, "scipy": scipy.__version__,
            "sklearn": sklearn.__version__, "cuda_available": torch.cuda.is_available(),
            "cpu_threads": torch.get_num_threads()}
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info.update(gpu=props.name, gpu_memory_gib=props.total_memory / 2**30,
                    capability=f"{props.major}.{props.minor}", cuda=torch.version.cuda,
                    cudnn=torch.backends.cudnn.version())
    import genomics_hybrid.experiments  # noqa: F401  everything the profile steps import
    return info


def step_hybrid(args) -> dict:
    from genomics_hybrid.model import HybridClassifier
    return fit_and_score(HybridClassifier(**hybrid_params(args)), args)


def step_tabnet(args) -> dict:
    from genomics_hybrid.baselines import matching_stock_tabnet
    from genomics_hybrid.model import HybridClassifier
    return fit_and_score(matching_stock_tabnet(HybridClassifier(**hybrid_params(args))), args)


def step_device_tests(args) -> dict:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(ROOT / "tests" / "test_device.py")], cwd=ROOT,
                          capture_output=True, text=True)
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if done.returncode:
        print(done.stdout[-6000:], done.stderr[-2000:], file=sys.stderr)
    return {"returncode": done.returncode, "summary": tail}


def profile_dataset(args):
    from genomics_hybrid.experiments import profile_dataset as load_from_profile
    from genomics_hybrid.profiles import load_profile
    profile = load_profile("smoke" if args.tiny else "full")
    if args.tiny:  # the machinery only: 60 rows, 2 folds, 2 epochs, one privacy level
        profile = {**profile, "max_samples": 60, "model": {"max_epochs": 2, "patience": 1,
                                                           "n_selected": 8},
                   "evaluation": {**profile["evaluation"], "n_folds": 2},
                   "interpretability": {"k": 5, "seeds": [0], "n_candidates": 5,
                                        "n_repeats": 1}}
    if args.dataset_pickle:
        with open(args.dataset_pickle, "rb") as fh:
            dataset = pickle.load(fh)
        if profile.get("max_samples"):
            dataset = dataset.subsample(profile["max_samples"], int(profile.get("seed", 0)))
    else:
        dataset = load_from_profile(args.dataset, profile)
    return profile, dataset


def fits_summary(results) -> dict:
    """Seconds fitting and fits per model (results of evaluation.run), and its mean CV AUC."""
    fits = results.drop_duplicates([c for c in ("method", "level", "model", "fold")
                                    if c in results])
    out = {"fits": int(len(fits)), "fit_seconds": float(fits.fit_seconds.sum())}
    if "metric" in results:
        auc = results[(results.metric == "auc") & (results.fold != "holdout")]
        out["cv_auc"] = {str(k): round(float(v), 4) for k, v in
                         auc.groupby("model").value.mean().items()}
    out["fit_seconds_by_model"] = {str(k): round(float(v), 2) for k, v in
                                   fits.groupby("model").fit_seconds.sum().items()}
    return out


def step_profile(args, part: str) -> dict:
    from genomics_hybrid import experiments
    profile, dataset = profile_dataset(args)
    cache = Path(args.scratch) / "cache"
    started = time.perf_counter()
    out = {"dataset": dataset.name, "shape": list(dataset.X.shape), "profile": profile["name"]}
    if part in ("comparison", "ablation"):
        results, _, _ = experiments.run_experiment(part, dataset, profile, cache, progress=False)
        out.update(fits_summary(results))
    elif part == "privacy":
        levels = ("none", "medium") if args.tiny else experiments.LEVELS  # Tables 8-14 cells
        results, attacks, _ = experiments.run_privacy_grid(dataset, profile, cache,
                                                          progress=False, levels=levels)
        out.update(fits_summary(results), cells=int(len(attacks)))
    else:
        explanation = experiments.explain(dataset, profile, cache)
        out["top_genes"] = [str(g) for g in explanation.attention.nlargest(5).index]
    out["wall_seconds"] = time.perf_counter() - started
    return out


def child(step: str, args) -> dict:
    started = time.perf_counter()
    if step in ("comparison", "ablation", "privacy", "explain"):
        result = step_profile(args, step)
    else:
        result = globals()[f"step_{step}"](args)
    return {**result, "step_seconds": time.perf_counter() - started, **peak_memory()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="gpu_timing.json")
    parser.add_argument("--tiny", action="store_true", help="a dry run: small data, 2 epochs")
    parser.add_argument("--steps", nargs="*", default=list(STEPS), choices=STEPS)
    parser.add_argument("--deadline", type=float, default=540.0,
                        help="seconds for all steps together")
    parser.add_argument("--dataset", default="gse7390", help="the profile steps' dataset")
    parser.add_argument("--dataset-pickle", help="a pickled Dataset to use instead of loading "
                                                 "--dataset (a machine without its loader)")
    parser.add_argument("--scratch", default=None, help="folder for the data and fold cache")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = child(args.child, args)
        print("RESULT " + json.dumps(result))
        return
    args.scratch = args.scratch or tempfile.mkdtemp(prefix="gpu_timing_")
    Path(args.scratch).mkdir(parents=True, exist_ok=True)
    started, report = time.perf_counter(), {}
    for step in args.steps:
        left = args.deadline - (time.perf_counter() - started)
        limit = min(LIMITS[step], left)
        if limit < 20:
            report[step] = {"skipped": f"{left:.0f} s of the deadline left"}
            print(f"== {step}: skipped, {left:.0f} s left", flush=True)
            continue
        command = [sys.executable, __file__, "--child", step, "--scratch", args.scratch,
                   "--dataset", args.dataset] + (["--tiny"] if args.tiny else []) + \
            (["--dataset-pickle", args.dataset_pickle] if args.dataset_pickle else [])
        print(f"== {step} (limit {limit:.0f} s)", flush=True)
        t0 = time.perf_counter()
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=limit)
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            report[step] = (json.loads(lines[-1][7:]) if lines else
                            {"failed": f"exit {done.returncode}", "stdout": done.stdout[-2000:]})
        except subprocess.TimeoutExpired:
            report[step] = {"timed_out": f"after {limit:.0f} s"}
        report[step]["wall_seconds_with_startup"] = time.perf_counter() - t0
        # Fits recorded so far (all steps together): what a step cut off by its limit finished.
        report[step]["cache_records_after"] = len(list((Path(args.scratch) / "cache").glob(
            "**/*.json")))
        print(f"{step}: {json.dumps(report[step])}", flush=True)
        Path(args.out).write_text(json.dumps(report, indent=1))
    print(f"total {time.perf_counter() - started:.0f} s; written {args.out}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
