"""One training loop for both stages: Adam, mini-batches, early stopping on a validation split."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import torch
from torch import nn
from tqdm import tqdm  # the text bar: ipywidgets (for tqdm.auto in notebooks) is not installed


@dataclass(frozen=True)
class TrainingSettings:
    lr: float
    max_epochs: int
    patience: int
    batch_size: int
    lambda_sparse: float


def batches(n: int, batch_size: int, generator: torch.Generator | None) -> list[torch.Tensor]:
    """Index batches covering all n rows, shuffled when a generator is given.

    The rows are cut into ceil(n / batch_size) nearly equal batches, so no batch is dropped and
    none is a lone sample (batch norm cannot train on one): unlike stock TabNet with
    ``drop_last=True``, a training set smaller than the batch size still trains.
    """
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    return list(torch.tensor_split(order, max(1, math.ceil(n / batch_size))))


def mean_loss(network: nn.Module, X: torch.Tensor, y: torch.Tensor, batch_size: int,
              device: torch.device) -> float:
    """Cross-entropy of the network in evaluation mode (no dropout, running batch-norm stats)."""
    network.eval()
    total = 0.0
    with torch.no_grad():
        for idx in batches(len(y), batch_size, None):
            logits, _ = network(X[idx].to(device))
            total += nn.functional.cross_entropy(logits, y[idx].to(device), reduction="sum").item()
    return total / len(y)


def train(network: nn.Module, X: torch.Tensor, y: torch.Tensor,
          validation: tuple[torch.Tensor, torch.Tensor] | None, settings: TrainingSettings,
          generator: torch.Generator, device: torch.device, description: str,
          progress: bool) -> list[dict]:
    """Train ``network`` in place; return one record per epoch (losses, seconds of training).

    Loss: cross-entropy minus ``lambda_sparse`` times TabNet's sparsity term (the mean of
    sum(M log M) over steps), as in pytorch-tabnet. With a validation split, training stops after
    ``patience`` epochs without a lower validation loss and the best epoch's weights are kept;
    without one it runs ``max_epochs``.
    """
    optimizer = torch.optim.Adam(network.parameters(), lr=settings.lr)
    history: list[dict] = []
    best_loss, best_state, stale = math.inf, None, 0
    epochs = tqdm(range(settings.max_epochs), desc=description, disable=not progress, leave=False)
    for epoch in epochs:
        network.train()
        total, started = 0.0, time.perf_counter()
        for idx in batches(len(y), settings.batch_size, generator):
            xb, yb = X[idx].to(device), y[idx].to(device)
            logits, sparsity = network(xb)
            loss = nn.functional.cross_entropy(logits, yb) - settings.lambda_sparse * sparsity
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        record = {"epoch": epoch + 1, "train_loss": total / len(y),
                  "seconds": time.perf_counter() - started}
        if validation is not None:
            record["validation_loss"] = mean_loss(network, *validation, settings.batch_size, device)
            if record["validation_loss"] < best_loss - 1e-6:
                best_loss, stale = record["validation_loss"], 0
                best_state = copy.deepcopy(network.state_dict())
            else:
                stale += 1
        history.append(record)
        epochs.set_postfix({k: round(v, 4) for k, v in record.items() if k.endswith("loss")})
        if stale >= settings.patience:
            break
    if best_state is not None:
        network.load_state_dict(best_state)
    network.eval()
    return history


def auto_batch_size(n_rows: int) -> int:
    """``batch_size="auto"``: n/8 clipped to [16, 256], so a set of a few dozen rows still
    gets several steps per epoch and a large one batches of 256."""
    return min(256, max(16, n_rows // 8))
