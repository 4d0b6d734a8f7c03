"""Small data: how much do the deep models' scores move with their seed on a few dozen rows,
and how far do they fall behind L1 logistic regression?

    python benchmarks/small_data.py [--datasets pbmc68k gse7390] [--sizes 32 64] [--seeds 5]
    python benchmarks/small_data.py --set validation_fraction=0 --jobs 2

For each development dataset (pbmc68k, GSE7390 and the replicas; never the real sets bundled
for the book's fresh evidence) and each size n, draws a stratified subsample whose CV folds
each train on about n rows, under the default profile's protocol (hold-out, 3 folds,
preprocessing). Every deep model (the hybrid and its ablation variants, stock TabNet, the MLP,
the CNN alone) is cross-validated at ``--seeds`` model seeds (the profile's seed plus 0, 1,
...: weights, shuffling and dropout change; the rows, folds and preprocessing do not), L1
logistic regression once on the same folds. Per dataset, size and model it prints the CV AUC
averaged over the seeds, its seed-to-seed standard deviation (of the CV mean AUC), the gap to
L1 logistic regression, whether the model is below it by more than its own seed-to-seed
s.d., and the share of fits that ended by their stopping rule.

The last line is ``small_data_worst_seed_sd=<x> n=<n>``: the largest seed-to-seed s.d. of any
deep model on any dataset at n = 32 or 64 (the sizes ``--sizes`` holds, if not those), and the
size it occurs at. ``--out`` writes every fold's AUC as a tidy CSV. ``--set key=value`` fits the
deep models with a candidate setting (e.g. ``validation_fraction=0``), to measure a rule before
the models adopt it. Runs with one torch thread per worker, like the book (``--jobs`` workers).
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

DEEP = ("hybrid", "tabnet_only", "tabnet_cnn", "cnn_only", "tabnet", "mlp")
REFERENCE = "l1_logistic"
DEVELOPMENT = ("pbmc68k", "gse7390", "gse72056", "tcga_brca", "encsr000aed")
# The sizes of the target; the last line reports the worst s.d. over these.
TARGET_SIZES = (32, 64)


def rows_for(n_train: int, protocol) -> int:
    """Rows to draw so that each CV fold trains on about ``n_train`` rows: the fold's share of
    the data is (1 - test_size) * (k - 1) / k."""
    share = (1 - protocol.test_size) * (protocol.n_folds - 1) / protocol.n_folds
    return math.ceil(n_train / share)


def models_at(profile, seed_offset: int, settings: dict, names) -> dict:
    """The profile's deep models (``names`` of them; L1 logistic regression for
    ``REFERENCE``), seeds shifted by ``seed_offset``, deep ones with ``settings`` applied."""
    from genomics_hybrid.experiments import ablation_models, comparison_models

    models = {**comparison_models(profile, n_jobs=1), **ablation_models(profile)}
    chosen = {}
    for name in names:
        model = models[name]
        if name != REFERENCE:
            model.set_params(random_state=model.random_state + seed_offset, **settings)
        chosen[name] = model
    return chosen


def fit_task(task: dict) -> pd.DataFrame:
    """One worker's job: every model of ``task`` cross-validated at one seed on one subsample;
    tidy rows (dataset, n, model, seed, fold, auc, stopped_by, epochs, seconds)."""
    import torch

    from genomics_hybrid.evaluation import (HOLDOUT, Protocol, fit_convergence, fold_records,
                                            split_names)
    from genomics_hybrid.experiments import profile_dataset
    from genomics_hybrid.profiles import load_profile

    torch.set_num_threads(1)
    profile = load_profile(task["profile"])
    protocol = Protocol.from_profile(profile)
    data = profile_dataset(task["dataset"], dict(profile, max_samples=None))
    data = data.subsample(rows_for(task["n"], protocol), int(profile["seed"]))
    models = models_at(profile, task["seed"], task["settings"], task["models"])
    folds = [f for f in split_names(protocol.n_folds) if f != HOLDOUT]
    started = time.perf_counter()
    # A throwaway cache, for its stage-1 store: the hybrid and its TabNet variants share stage 1.
    with tempfile.TemporaryDirectory() as cache:
        records = fold_records(models, data, protocol, cache, progress=False, folds=folds)

    rows = [{"dataset": task["dataset"], "n": task["n"], "model": r["model"],
             "seed": task["seed"], "fold": r["fold"], "n_train": r["n_train"],
             "auc": r["metrics"]["auc"], **fit_convergence(r["convergence"]),
             "fit_seconds": r["fit_seconds"]} for r in records]
    print(f"  {task['dataset']} n={task['n']} seed +{task['seed']}: "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return pd.DataFrame(rows)


def parse_settings(pairs) -> dict:
    """``key=value`` pairs, values read as Python literals (numbers, strings, None)."""
    settings = {}
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        try:
            settings[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            settings[key] = value
    return settings


def summarise(folds: pd.DataFrame) -> pd.DataFrame:
    """Per dataset, size and model: the seed-averaged CV AUC, its seed-to-seed s.d., the gap
    to L1 logistic regression and the share of fits stopped by their rule."""
    per_seed = (folds.groupby(["dataset", "n", "model", "seed"])
                .agg(auc=("auc", "mean"), n_train=("n_train", "mean")).reset_index())
    table = (per_seed.groupby(["dataset", "n", "model"])
             .agg(auc=("auc", "mean"), seed_sd=("auc", "std"), seeds=("seed", "nunique"),
                  n_train=("n_train", "mean")).reset_index())
    reference = table[table.model == REFERENCE].set_index(["dataset", "n"]).auc
    table["gap_to_l1"] = table.auc - reference.reindex(
        pd.MultiIndex.from_frame(table[["dataset", "n"]])).to_numpy()
    deep = folds[folds.model != REFERENCE]
    by_rule = deep.assign(by_rule=deep.stopped_by != "epoch_cap").groupby(
        ["dataset", "n", "model"]).by_rule.mean()
    table = table.merge(by_rule.reset_index(), how="left", on=["dataset", "n", "model"])
    table["below_l1"] = (table.model != REFERENCE) & (-table.gap_to_l1 > table.seed_sd)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=list(DEVELOPMENT), choices=DEVELOPMENT)
    parser.add_argument("--sizes", nargs="*", type=int, default=[32, 64, 128, 256])
    parser.add_argument("--seeds", type=int, default=5, help="model seeds (default 5)")
    parser.add_argument("--models", nargs="*", default=list(DEEP), choices=DEEP)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="a candidate setting for every deep model")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--out", default=None, help="write every fold's AUC to this CSV")
    args = parser.parse_args()
    settings = parse_settings(args.set)
    tasks = [{"profile": args.profile, "dataset": d, "n": n, "seed": s, "settings": settings,
              "models": list(args.models) + ([REFERENCE] if s == 0 else [])}
             for d in args.datasets for n in args.sizes for s in range(args.seeds)]
    print(f"profile {args.profile}, settings {settings or 'as the models default'}, "
          f"{args.seeds} seeds, {len(tasks)} tasks on {args.jobs} workers", flush=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with ProcessPoolExecutor(args.jobs) as pool:
        folds = pd.concat(pool.map(fit_task, tasks), ignore_index=True)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        folds.assign(settings=repr(settings)).to_csv(args.out, index=False)
    table = summarise(folds)
    print(f"{'dataset':12s} {'n':>4s} {'rows':>5s} {'model':12s} {'CV AUC':>7s} {'seed sd':>8s} "
          f"{'vs L1':>7s} {'by rule':>8s}")
    for row in table.itertuples():
        flag = "  below L1 by more than its s.d." if row.below_l1 else ""
        sd = "" if np.isnan(row.seed_sd) else f"{row.seed_sd:.3f}"
        rule = "" if np.isnan(row.by_rule) else f"{row.by_rule:.0%}"
        print(f"{row.dataset:12s} {row.n:4d} {row.n_train:5.0f} {row.model:12s} {row.auc:7.3f} "
              f"{sd:>8s} {row.gap_to_l1:+7.3f} {rule:>8s}{flag}")
    deep = table[table.model != REFERENCE]
    for n, part in deep.groupby("n"):
        if part.seed_sd.isna().all():
            continue
        worst = part.loc[part.seed_sd.idxmax()]
        below = part[part.below_l1].groupby("model").dataset.nunique()
        print(f"n={n}: worst seed s.d. {worst.seed_sd:.3f} ({worst.model}, {worst.dataset}); "
              f"mean seed s.d. {part.seed_sd.mean():.3f}; models below L1 by more than their "
              f"s.d. on more than one dataset: "
              f"{', '.join(below[below > 1].index) or 'none'}")
    target = deep[deep.n.isin(TARGET_SIZES)] if deep.n.isin(TARGET_SIZES).any() else deep
    if target.seed_sd.isna().all():
        print("small_data_worst_seed_sd=nan (one seed: no spread)")
        return
    worst = target.loc[target.seed_sd.idxmax()]
    print(f"small_data_worst_seed_sd={worst.seed_sd:.3f} n={worst.n}")


if __name__ == "__main__":
    main()
