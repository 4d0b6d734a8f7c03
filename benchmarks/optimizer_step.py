"""Seconds per training epoch of the default profile's deep models with Adam's fused kernel
(``model.training.adam``, what every deep model uses) against the unfused per-tensor update
PyTorch uses by default, on one thread, as the book's notebooks run.

    python benchmarks/optimizer_step.py [--rows 320] [--genes 1000] [--repeats 3]

The data are the default profile's size: 320 rows (the training part of a 400-row draw) and
the 1,000 most variable genes, from the GSE72056 replica. Each model is fitted for a fixed 20
epochs (no early stopping, so both optimizers run the same number of epochs) ``--repeats``
times per optimizer, alternating; the median seconds per epoch are printed, then the last line
``fused_adam_epoch_time_change=<x>`` (the hybrid's both stages together; negative: faster).
"""

from __future__ import annotations

import argparse
import statistics
import time
from unittest import mock

import torch

from model_speed import replica_slice


def fit_seconds_per_epoch(make_model, X, y, fused: bool) -> float:
    from genomics_hybrid.model import training

    def adam(parameters, lr, weight_decay=0.0):
        return torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay, fused=fused)

    with mock.patch.object(training, "adam", adam):
        model = make_model()
        started = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - started
    epochs = sum(record["epochs"] for record in model.convergence_.values())
    return seconds / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=320)
    parser.add_argument("--genes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from genomics_hybrid.baselines import MLPClassifier
    from genomics_hybrid.model import HybridClassifier
    X, y = replica_slice(args.rows, args.genes)
    fixed = dict(max_epochs=20, validation_fraction=0, random_state=0)
    models = {"hybrid": lambda: HybridClassifier(**fixed),
              "cnn_only": lambda: HybridClassifier(variant="cnn_only", **fixed),
              "mlp": lambda: MLPClassifier(**fixed)}
    changes = {}
    print(f"{args.rows} rows x {args.genes} genes, one thread, 20 epochs a stage")
    for name, make_model in models.items():
        times = {True: [], False: []}
        for _ in range(args.repeats):
            for fused in (False, True):
                times[fused].append(fit_seconds_per_epoch(make_model, X, y, fused))
        unfused, fused = statistics.median(times[False]), statistics.median(times[True])
        changes[name] = fused / unfused - 1
        print(f"{name:>9}: {unfused:.4f} s/epoch unfused, {fused:.4f} fused "
              f"({100 * changes[name]:+.1f} %)")
    print(f"fused_adam_epoch_time_change={changes['hybrid']:+.3f}")


if __name__ == "__main__":
    main()
