"""Seconds per epoch and peak memory: the hybrid model against stock pytorch-tabnet, on wide data.

    python benchmarks/model_speed.py            # about 30 minutes on 2 cores
    python benchmarks/model_speed.py --quick    # smaller sweep, a few minutes, no full run
    python benchmarks/model_speed.py --full-only [--max-epochs 1]   # the full run alone

Data: columns and rows of the GSE72056 replica (4,513 cells x 23,686 genes), min-max scaled.
Every configuration runs in a fresh process, so each peak RSS is its own.

- Width sweep: ``--rows`` rows, d from 1,000 to 23,686 genes. For each d, the seconds of one
  training epoch of stock ``TabNetClassifier`` (pytorch-tabnet 4.1.0, as shipped: it multiplies
  every attention mask by a dense d x d group matrix) and of the hybrid's TabNet stage and
  joint stage (TabNet + refiner + CNN), with the same n_d, n_a, n_steps, batch size and
  virtual batch size. The hybrid keeps 15 % of its rows for early stopping, so times are also
  given per 1,000 training rows; speed-ups compare those.
- Row sweep: d fixed, rows doubling, for the exponent of time against n.
- Full run: ``HybridClassifier()`` with its defaults (up to 100 epochs per stage, early
  stopping) on a stratified 80 % of the whole replica, all 23,686 genes, min-max scaled on those
  rows. Its process loads the replica, splits it, lets the full matrix go and scales both parts
  in place (the split's rows are copies), then fits: the peak RSS printed is the whole
  process's (``ru_maxrss``: loading, splitting and the fit), with the peak of each phase.
  ``--max-epochs N`` caps each training stage at N epochs: the peak comes in the first epoch
  of the joint stage (every later epoch repeats the same batches), so ``--max-epochs 1``
  measures it in minutes; the output says when the epochs were capped.

Targets: at 23,686 genes the hybrid's joint epoch at least 5x faster than stock TabNet's epoch
(issue 3); peak RSS of the full run at most 2 GiB on 2 cores (issue 13; 3.39 GiB before the
encoder kept fewer tensors and the data path stopped copying). The last line reads
``speedup_vs_stock_tabnet=<x> peak_rss_gib=<y>`` (``full_run_peak_rss_gib=<y>`` with
``--full-only``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time

import numpy as np

TABNET = {"n_d": 16, "n_a": 16, "n_steps": 3}
BATCH, VIRTUAL_BATCH = 256, 128


def replica_slice(n_rows: int | None, n_cols: int | None, seed: int = 0):
    """Rows and columns of the GSE72056 replica (a seeded random subset), min-max scaled."""
    from genomics_hybrid.datasets import load
    ds = load("gse72056", source="replica")
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.permutation(len(ds.y))[:n_rows])
    cols = np.sort(rng.permutation(ds.X.shape[1])[:n_cols])
    X = ds.X[np.ix_(rows, cols)]
    span = X.max(axis=0) - X.min(axis=0)
    X = (X - X.min(axis=0)) / np.where(span > 0, span, 1)
    return np.ascontiguousarray(X, dtype=np.float32), ds.y[rows]


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


class PhasePeaks:
    """Peak RSS (GiB) of each named phase of this process, sampled every 5 ms by a thread
    (a peak shorter than that can be missed; ``ru_maxrss`` cannot)."""

    def __init__(self):
        import psutil
        self.process, self.phase, self.peaks = psutil.Process(), None, {}
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self):
        while True:
            self.sample()
            time.sleep(0.005)

    def sample(self):
        if self.phase is not None:
            rss = self.process.memory_info().rss / 2**30
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0.0), rss)

    def enter(self, phase: str):
        self.sample()
        self.phase = phase
        self.sample()


def time_stock(X, y, epochs: int) -> dict:
    from pytorch_tabnet.callbacks import Callback
    from pytorch_tabnet.tab_model import TabNetClassifier

    class EpochTimer(Callback):
        seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.started)

    timer = EpochTimer()
    TabNetClassifier(**TABNET, seed=0, verbose=0).fit(
        X, y, max_epochs=epochs, batch_size=BATCH, virtual_batch_size=VIRTUAL_BATCH,
        drop_last=False, callbacks=[timer], compute_importance=False)
    return {"tabnet_seconds": timer.seconds[-1], "rows": len(y)}


def time_hybrid(X, y, epochs: int) -> dict:
    from genomics_hybrid.model import HybridClassifier
    from genomics_hybrid.model.training import early_stopping_split
    clf = HybridClassifier(**TABNET, batch_size=BATCH, virtual_batch_size=VIRTUAL_BATCH,
                           max_epochs=epochs, patience=epochs).fit(X, y)
    rows = len(early_stopping_split(y, clf.validation_fraction, clf.random_state)[0])
    return {"tabnet_seconds": clf.convergence_["tabnet"]["epoch_seconds"][-1],
            "joint_seconds": clf.convergence_["joint"]["epoch_seconds"][-1], "rows": rows}


def full_run(max_epochs: int | None = None) -> dict:
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    from genomics_hybrid.datasets import load
    from genomics_hybrid.model import HybridClassifier, estimator
    from genomics_hybrid.preprocess import clipped_min_max_scaler
    phases = PhasePeaks()
    phases.enter("load")
    ds = load("gse72056", source="replica")
    phases.enter("split and scale")
    X_train, X_test, y_train, y_test = train_test_split(
        ds.X, ds.y, test_size=0.2, stratify=ds.y, random_state=0)
    del ds  # the split's rows are copies: the full matrix is not needed any more
    scaler = clipped_min_max_scaler(copy=False).fit(X_train)  # in place, float32
    scaler.transform(X_train)
    scaler.transform(X_test)
    stages = iter(("fit: TabNet stage", "fit: joint stage"))
    train = estimator.train

    def phase_train(*args, **kwargs):  # names the training stage the peak falls in
        phases.enter(next(stages, "fit: training"))
        try:
            return train(*args, **kwargs)
        finally:
            phases.enter("fit: between stages")
    estimator.train = phase_train
    settings = {} if max_epochs is None else {"max_epochs": max_epochs, "patience": max_epochs}
    phases.enter("fit: data checks")
    started = time.perf_counter()
    clf = HybridClassifier(**settings).fit(X_train, y_train)
    seconds = time.perf_counter() - started
    phases.enter("predict")
    auc = roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1])
    phases.sample()
    return {"fit_seconds": seconds, "n_features": X_train.shape[1], "rows": len(y_train),
            "epochs": {stage: r["epochs"] for stage, r in clf.convergence_.items()},
            "max_epochs": clf.max_epochs, "holdout_auc": auc,
            "phase_peaks_gib": {k: round(v, 2) for k, v in phases.peaks.items()}}


def child(spec: dict) -> dict:
    if spec["model"] == "full":
        result = full_run(spec.get("max_epochs"))
    else:
        X, y = replica_slice(spec["rows"], spec["cols"])
        timer = time_stock if spec["model"] == "stock" else time_hybrid
        result = timer(X, y, spec["epochs"])
    return {**spec, **result, "peak_rss_gib": peak_rss_gib()}


def run(spec: dict) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def exponent(x, seconds) -> float:
    """Slope of log(seconds) against log(x): time grows like x**slope."""
    return float(np.polyfit(np.log(x), np.log(seconds), 1)[0])


def per_kilorow(result: dict, stage: str) -> float:
    return 1000 * result[f"{stage}_seconds"] / result["rows"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sweep, no full run")
    parser.add_argument("--rows", type=int, default=512, help="rows for the width sweep")
    parser.add_argument("--full-only", action="store_true",
                        help="the full run alone (no sweeps): its time and peak RSS")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="cap each stage of the full run at this many epochs (the peak RSS "
                             "comes in the first epoch of the joint stage)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    import torch
    if args.full_only:
        full = report_full(args.max_epochs)
        print(f"full_run_peak_rss_gib={full['peak_rss_gib']:.2f}")
        return
    widths = [2000, 8000, 23686] if args.quick else [1000, 2000, 4000, 8000, 16000, 23686]
    row_counts = [512, 1024, 2048] if args.quick else [512, 1024, 2048, 4096]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; each time is the second "
          f"of two epochs (the first warms up)")
    print(f"{'d':>6} {'rows':>5} | {'stock s':>8} {'GiB':>5} | {'hybrid TabNet s':>15} "
          f"{'joint s':>8} {'GiB':>5} | speed-up (per training row)")
    stock, hybrid = [], []
    for d in widths:
        stock.append(run({"model": "stock", "rows": args.rows, "cols": d, "epochs": 2}))
        hybrid.append(run({"model": "hybrid", "rows": args.rows, "cols": d, "epochs": 2}))
        s, h = stock[-1], hybrid[-1]
        print(f"{d:>6} {args.rows:>5} | {s['tabnet_seconds']:>8.2f} {s['peak_rss_gib']:>5.2f} | "
              f"{h['tabnet_seconds']:>15.2f} {h['joint_seconds']:>8.2f} {h['peak_rss_gib']:>5.2f}"
              f" | {per_kilorow(s, 'tabnet') / per_kilorow(h, 'joint'):.1f}x", flush=True)
    print(f"time ~ d^k at {args.rows} rows: stock k={exponent(widths, [per_kilorow(r, 'tabnet') for r in stock]):.2f}, "
          f"hybrid joint k={exponent(widths, [per_kilorow(r, 'joint') for r in hybrid]):.2f}, "
          f"hybrid TabNet stage k={exponent(widths, [per_kilorow(r, 'tabnet') for r in hybrid]):.2f}")
    d_fixed = 4000
    by_rows = {m: [run({"model": m, "rows": n, "cols": d_fixed, "epochs": 2})
                   for n in row_counts] for m in ("stock", "hybrid")}
    print(f"time ~ n^k at d={d_fixed}, rows {row_counts}: "
          f"stock k={exponent([r['rows'] for r in by_rows['stock']], [r['tabnet_seconds'] for r in by_rows['stock']]):.2f}, "
          f"hybrid joint k={exponent([r['rows'] for r in by_rows['hybrid']], [r['joint_seconds'] for r in by_rows['hybrid']]):.2f}")
    speedup = per_kilorow(stock[-1], "tabnet") / per_kilorow(hybrid[-1], "joint")
    if args.quick:
        print(f"speedup_vs_stock_tabnet={speedup:.1f} peak_rss_gib={hybrid[-1]['peak_rss_gib']:.2f}"
              f" (quick: peak RSS of the {args.rows}-row sweep, not of a full run)")
        return
    full = report_full(args.max_epochs)
    print(f"speedup_vs_stock_tabnet={speedup:.1f} peak_rss_gib={full['peak_rss_gib']:.2f}")


def report_full(max_epochs: int | None) -> dict:
    """Run the full run in its own process and print what it measured."""
    import torch
    full = run({"model": "full", "max_epochs": max_epochs})
    capped = ("" if max_epochs is None else
              f" (each stage capped at {max_epochs} epoch{'s' if max_epochs > 1 else ''} "
              f"to measure memory: not a converged fit)")
    print(f"full run: HybridClassifier() on {full['rows']} x {full['n_features']}, "
          f"{torch.get_num_threads()} threads{capped}: {full['fit_seconds']:.0f} s, epochs "
          f"{full['epochs']}, peak RSS {full['peak_rss_gib']:.2f} GiB (hold-out AUC "
          f"{full['holdout_auc']:.3f}, a sanity check of this replica, not a result)")
    print("peak RSS by phase (GiB, sampled every 5 ms): " + ", ".join(
        f"{phase} {gib:.2f}" for phase, gib in full["phase_peaks_gib"].items()))
    return full


if __name__ == "__main__":
    main()
