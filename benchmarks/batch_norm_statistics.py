"""How much of a TabNet model's score is the luck of its batch-norm statistics?

    python benchmarks/batch_norm_statistics.py [--dataset gse7390] [--draws 20]

Fits TabNet alone (the hybrid's first stage) by the default profile's protocol on each CV fold
of ``--dataset``. Then, keeping the fitted weights, it re-estimates the batch-norm running
statistics ``--draws`` times from the same training rows. Each draw shuffles them into batches
of the training batch size, as every epoch does (``model.training.epoch_batch_norm``), and
scores the network: the loss on the early-stopping rows and the fold's test AUC.

Why: a network is validated, and kept at its best epoch, with the running statistics of that
epoch's batches. On a few hundred rows and batches of 16, those statistics are a noisy estimate,
and the network's scores move with them: the same weights score differently from epoch to epoch,
even once the decayed learning rate has all but stopped changing them. Early stopping with a
longer patience sees more such draws and keeps the luckiest. This is part of why the TabNet
models are not budget-invariant on GSE7390 (``benchmarks/convergence.py``).

Prints one line per fold: the AUC and loss as fitted, then their range over the draws. The last
line is ``max_auc_range_same_weights=<x>``, the largest range of test AUC over the draws of one
fold. Runs with one torch thread, like the book.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from genomics_hybrid.evaluation import Protocol, positive_proba, split, split_parts
from genomics_hybrid.experiments import ablation_models, profile_dataset
from genomics_hybrid.model import HybridClassifier
from genomics_hybrid.model.training import batches, epoch_batch_norm, held_out_rows, mean_loss
from genomics_hybrid.preprocess import make_pipeline
from genomics_hybrid.profiles import load_profile


class RecordingTabNet(HybridClassifier):
    """TabNet alone, keeping the rows ``fit`` was given: the pipeline's output after SMOTE and
    augmentation, and its early-stopping rows."""

    def fit(self, X, y, validation=None):
        self.given_ = (np.asarray(X, dtype=np.float32), np.asarray(y), validation)
        return super().fit(X, y, validation)


def training_and_validation_rows(model: RecordingTabNet):
    """The rows ``model`` trained on, and the early-stopping rows with their labels (encoded as
    class indices) it was scored on, as tensors."""
    X, y, validation = model.given_
    y = np.searchsorted(model.classes_, y).astype(np.int64)
    X_fit, _, (X_val, y_val) = held_out_rows(model, X, y, validation, model.classes_)
    return (torch.from_numpy(np.ascontiguousarray(X_fit)),
            torch.from_numpy(np.ascontiguousarray(X_val, dtype=np.float32)),
            torch.from_numpy(np.asarray(y_val, dtype=np.int64)))


def redraw_statistics(model: RecordingTabNet, X_fit: torch.Tensor,
                      generator: torch.Generator) -> None:
    """Re-estimate the network's batch-norm statistics from ``X_fit`` in freshly shuffled
    batches, as one training epoch does, without changing a weight."""
    network = model.network_
    network.train()
    epoch_batch_norm(network)
    with torch.no_grad():
        for idx in batches(len(X_fit), model.batch_size_, generator):
            network(X_fit[idx])
    network.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="gse7390")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--draws", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    profile = load_profile(args.profile)
    data = profile_dataset(args.dataset, profile)
    protocol = Protocol.from_profile(profile)
    settings = ablation_models(profile)["tabnet_only"].get_params()
    ranges = []
    print(f"{args.dataset}, profile {args.profile}: TabNet alone, {args.draws} draws of the "
          f"batch-norm statistics per fold, weights fixed")
    for fold, fit_rows, eval_rows in split_parts(split(data, protocol))[:-1]:
        pipeline = make_pipeline(RecordingTabNet(**settings),
                                 random_state=protocol.random_state, **protocol.preprocessing)
        pipeline.fit(data.X, data.y, rows=fit_rows)
        model, y_test = pipeline[-1], data.y[eval_rows] == 1
        X_fit, X_val, y_val = training_and_validation_rows(model)

        def score() -> tuple[float, float]:
            loss = mean_loss(model.network_, X_val, y_val, model.batch_size_, torch.device("cpu"))
            return roc_auc_score(y_test, positive_proba(pipeline, data.X[eval_rows])), loss

        fitted_auc, fitted_loss = score()
        generator = torch.Generator().manual_seed(protocol.random_state)
        draws = []
        for _ in range(args.draws):
            redraw_statistics(model, X_fit, generator)
            draws.append(score())
        aucs, losses = np.array(draws).T
        ranges.append(aucs.max() - aucs.min())
        record = model.convergence_["tabnet"]
        print(f"  {fold}: {len(X_fit)} training rows in batches of {model.batch_size_}, "
              f"{len(y_val)} early-stopping rows; best epoch {record['best_epoch']} of "
              f"{record['epochs']}. As fitted: AUC {fitted_auc:.3f}, validation loss "
              f"{fitted_loss:.3f}. Redrawn: AUC {aucs.min():.3f} to {aucs.max():.3f} "
              f"(median {np.median(aucs):.3f}), validation loss {losses.min():.3f} to "
              f"{losses.max():.3f}", flush=True)
    print(f"max_auc_range_same_weights={max(ranges):.3f}")


if __name__ == "__main__":
    main()
