"""One training rule for every deep model: Adam, mini-batches, early stopping on a validation
split of real rows, and a convergence record of how each fit stopped.

The rule (``early_stopping_split``, ``train``, ``convergence_record``) is shared by the hybrid
and its variants (both stages), the MLP baseline, stock TabNet (pytorch-tabnet's own loop, read
back into the same record) and DP-SGD, so that every deep competitor trains under the same cap,
patience and validation split, and every fit says whether it stopped by early stopping or by
the epoch cap.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import validate_data
from torch import nn
from tqdm import tqdm  # the text bar: ipywidgets (for tqdm.auto in notebooks) is not installed

from .._arrays import release_free_memory


@dataclass(frozen=True)
class TrainingSettings:
    lr: float
    max_epochs: int
    patience: int
    batch_size: int
    lambda_sparse: float
    lr_decay: float = 1.0


STOPPED_EARLY = "early_stopping"
STOPPED_AT_CAP = "epoch_cap"
# Trained a set number of epochs with no validation split to stop by: the small-data rule
# (``MIN_VALIDATION_ROWS``) or ``validation_fraction=0``. Ended by its rule, as early stopping is.
STOPPED_FIXED = "fixed_epochs"
# The small-data rule of every deep model. An early-stopping split of fewer rows than this is
# not carved: on a handful of rows the kept epoch is chosen by chance, and the seed moved the
# CV AUC more than the differences the book judges (benchmarks/small_data.py). The model
# trains ``small_data_epochs`` on every row instead, and the protocol's pipeline averages
# ``SMALL_DATA_SEEDS`` such models (``preprocess.TrainingPipeline``).
MIN_VALIDATION_ROWS = 20
# Models whose predictions the pipeline averages under the small-data rule: on a few dozen rows
# a model's own seed moves its CV AUC more than the book's differences, and an average of k
# seeds is about 1/sqrt(k) as noisy.
SMALL_DATA_SEEDS = 5
# Under the small-data rule a model trains this many warm-ups (``stopping_warmup``): by then
# its learning rate has fallen by e^3 (to 5 %), so later epochs would change it little.
SMALL_DATA_WARMUPS = 3
# A validation loss must fall by more than this to count as an improvement: scikit-learn's MLP
# tolerance (``tol=1e-4``). With 1e-6, a network on separable data whose validation loss
# creeps down by 1e-5 an epoch never stopped (GSE72056 replica: the MLP hit the 100-epoch cap
# on every fold), though nothing it learnt any more showed in a prediction.
IMPROVEMENT = 1e-4
# The learning rate of every deep model is multiplied by this after each epoch (halved every
# 14 epochs; pytorch-tabnet's own examples decay theirs by 0.9 every 10 epochs). At a constant
# rate, TabNet on a few hundred rows never settles: its validation loss swings between 0.5 and
# 2 from epoch to epoch (GSE7390, lr 0.02, 16-row batches), so where early stopping lands, and
# the AUC, depend on the patience; with the decay, later epochs change the network less and
# training converges (benchmarks/convergence.py).
LR_DECAY = 0.95
# The epoch cap of every deep model but DP-SGD (whose noise is calibrated to its own cap): the
# paper's 100. A safety net: early stopping ends training, and the book counts the fits that hit it.
MAX_EPOCHS = 100
# Epochs without a lower validation loss before every deep model stops (after the warm-up,
# ``stopping_warmup``): pytorch-tabnet's 10 (benchmarks/convergence.py measures the budget).
PATIENCE = 10


def adam(parameters, lr: float, weight_decay: float = 0.0) -> torch.optim.Adam:
    """The optimizer of every deep model here: Adam with its fused kernel, which updates all
    parameters in one pass instead of a chain of per-tensor operations. Per epoch on the
    default profile's size (320 rows x 1,000 genes, one thread) it took 38 % off the MLP's
    time and 5 % off the hybrid's (``benchmarks/optimizer_step.py``). Deterministic, but it
    rounds differently from the unfused update, so numbers differ in the last bits from runs
    made before it."""
    return torch.optim.Adam(parameters, lr=lr, weight_decay=weight_decay, fused=True)


def stopping_warmup(lr_decay: float) -> int:
    """Epochs before early stopping may end a run: those over which the learning rate falls by
    a factor e (20 at ``LR_DECAY``; 0 at a constant rate). Before that, steps are large and the
    validation loss of a small split swings from epoch to epoch: on GSE7390 (about 16
    validation rows) TabNet alone often has its lowest loss by chance at epoch 3, stops at epoch
    13, and then scores 0.035 AUC below the same network trained five times longer (10 seeds),
    which finds its real minimum after epoch 15. The best epoch is still tracked from epoch 1,
    so a run whose first epochs were its best keeps their weights (Keras' ``start_from_epoch``
    is the same idea)."""
    return math.ceil(-1 / math.log(lr_decay)) if lr_decay < 1 else 0


def small_data_epochs(max_epochs: int, lr_decay: float) -> int:
    """Epochs a deep model trains under the small-data rule: ``SMALL_DATA_WARMUPS`` warm-ups
    (60 at ``LR_DECAY``), at most ``max_epochs``; ``max_epochs`` at a constant rate."""
    warmup = stopping_warmup(lr_decay)
    return min(max_epochs, SMALL_DATA_WARMUPS * warmup) if warmup else max_epochs


def epochs_to_train(estimator, has_validation: bool) -> int:
    """A deep model's epoch budget: its ``max_epochs`` with a validation split to stop by, or
    when it was asked for none (``validation_fraction=0``); ``small_data_epochs`` when the
    small-data rule left it without one."""
    if has_validation or estimator.validation_fraction == 0:
        return estimator.max_epochs
    return small_data_epochs(estimator.max_epochs, estimator.lr_decay)


def early_stopping_split(y, validation_fraction: float, random_state) -> tuple[np.ndarray,
                                                                              np.ndarray | None]:
    """Row indices ``(fit, validation)``: a stratified ``validation_fraction`` of the rows, held
    back to decide when training stops; ``validation`` is None when the fraction is 0, or when
    it would hold fewer than ``MIN_VALIDATION_ROWS`` rows (the small-data rule: train
    ``small_data_epochs`` on every row, recorded as ``STOPPED_FIXED``).

    The validation part holds at least one row of every class and at most all but one row of
    each. A class with fewer than 2 rows cannot be on both sides: that is an error telling the
    user what to do, never a silent switch to training without early stopping.
    """
    y = np.asarray(y)
    rows = np.arange(len(y))
    if validation_fraction == 0 or round(validation_fraction * len(y)) < MIN_VALIDATION_ROWS:
        return rows, None
    labels, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        raise ValueError(f"class {labels[counts.argmin()].item()!r} has {counts.min()} row; early "
                         f"stopping needs at least one row of every class on each side of its "
                         f"validation split. Give the model more rows, or set "
                         f"validation_fraction=0 to train max_epochs without early stopping.")
    n_validation = min(max(len(labels), round(validation_fraction * len(y))),
                       len(y) - len(labels))
    fit, validation = train_test_split(rows, test_size=n_validation, stratify=y,
                                       random_state=random_state)
    return np.sort(fit), np.sort(validation)


def chance_loss(validation_labels, fit_labels=None) -> float:
    """The validation loss of a network that ignores its input: one that predicts, for every
    row, the class shares of the rows it was trained on (``fit_labels``; the validation rows'
    own shares without them), the prediction cross-entropy training reaches when the features
    carry nothing. That is -sum_c q_c log p_c, with q the validation rows' shares and p the
    training rows': ln 2 for a network trained on SMOTE-balanced rows, whatever the validation
    balance, and the entropy of the validation shares (0.611 for 30/70) for one trained on
    rows of that balance.

    A fit whose best validation loss is not below it learned nothing from the features,
    however it stopped. The training rows' shares, not the validation rows', are the
    baseline: a network trained on balanced rows is judged against the balanced constant it
    would learn without features, so a miscalibrated but discriminating network (the CNN alone
    on pbmc68k: AUC 0.995, validation loss 0.449 against an entropy of 0.377 at 13 %
    positives) still counts as having learned.
    """
    validation_labels = np.asarray(validation_labels)
    fit_labels = validation_labels if fit_labels is None else np.asarray(fit_labels)
    classes, counts = np.unique(fit_labels, return_counts=True)
    trained = dict(zip(classes.tolist(), counts / counts.sum()))
    classes, counts = np.unique(validation_labels, return_counts=True)
    if any(c not in trained for c in classes.tolist()):  # never learnt, so never predicted
        return math.inf
    return float(-sum(share * math.log(trained[c])
                      for c, share in zip(classes.tolist(), counts / counts.sum())))


def convergence_record(train_loss, validation_loss, max_epochs: int, patience: int,
                       epoch_seconds=None, initial_validation_loss: float | None = None,
                       validation_labels=None, fit_labels=None) -> dict:
    """How one training run went, as plain JSON values (the per-fold cache stores it).

    ``stopped_by`` is ``"early_stopping"`` when the last ``patience`` epochs brought no lower
    validation loss (the rule that ends ``train``), ``"fixed_epochs"`` when there was no
    validation split to stop by (the small-data rule, or ``validation_fraction=0``: the run
    trained the epochs it was set), else ``"epoch_cap"``: the run ended at ``max_epochs`` while
    still improving. Read from the losses alone, so pytorch-tabnet's and Opacus's loops are
    judged by the same rule as ours.

    ``initial_validation_loss``: the loss of a warm-started network before its first epoch
    (epoch 0). Training must beat it to count as an improvement; ``best_epoch`` 0 means no
    epoch did, and the starting weights were kept.

    ``validation_labels`` and ``fit_labels``: the labels of the validation rows and of the rows
    trained on, giving ``chance_validation_loss`` (``chance_loss``) and ``learned``: whether the
    best validation loss beat it by more than IMPROVEMENT (None without validation rows).
    Stopping early says training settled, not that it found anything: a run that never left
    the class prior stops early too.
    """
    train_loss = [float(v) for v in train_loss]
    validation_loss = [float(v) for v in (validation_loss or [])]
    best_epoch, best_loss = None, math.inf
    if initial_validation_loss is not None:
        best_epoch, best_loss = 0, float(initial_validation_loss)
    for epoch, loss in enumerate(validation_loss, start=1):
        if loss < best_loss - IMPROVEMENT:
            best_epoch, best_loss = epoch, loss
    epochs = len(train_loss)
    stale = epochs - best_epoch if best_epoch is not None else 0
    stopped_early = best_epoch is not None and stale >= patience
    chance = (None if validation_labels is None or len(validation_labels) == 0
              else chance_loss(validation_labels, fit_labels))
    learned = (None if chance is None or best_epoch is None
               else bool(best_loss < chance - IMPROVEMENT))
    return {"epochs": epochs, "max_epochs": int(max_epochs), "patience": int(patience),
            "stopped_by": (STOPPED_FIXED if not validation_loss else
                           STOPPED_EARLY if stopped_early else STOPPED_AT_CAP),
            "best_epoch": best_epoch,
            "best_validation_loss": None if best_epoch is None else best_loss,
            "initial_validation_loss": None if initial_validation_loss is None
            else float(initial_validation_loss),
            "chance_validation_loss": chance, "learned": learned,
            "train_loss": train_loss, "validation_loss": validation_loss,
            "epoch_seconds": [float(v) for v in (epoch_seconds or [])]}


def stopped_by(convergence: dict[str, dict]) -> str:
    """One fit's verdict over its stages: the epoch cap if any stage hit it, else how the last
    stage ended (every stage of a fit stops by the same rule: early stopping, or a set number
    of epochs without a validation split)."""
    stages = [record["stopped_by"] for record in convergence.values()]
    return STOPPED_AT_CAP if STOPPED_AT_CAP in stages else stages[-1]


def learned(convergence: dict[str, dict]) -> bool | None:
    """Whether the fit's model beat the class prior on its validation rows: its last stage's
    ``learned`` (the hybrid's joint stage, which starts from the TabNet stage's weights and
    keeps them unless it does better); None without a validation split."""
    return list(convergence.values())[-1].get("learned")


def batches(n: int, batch_size: int, generator: torch.Generator | None) -> list[torch.Tensor]:
    """Index batches covering all n rows, shuffled when a generator is given.

    The rows are cut into ceil(n / batch_size) nearly equal batches, so no batch is dropped and
    none is a lone sample (batch norm cannot train on one): unlike stock TabNet with
    ``drop_last=True``, a training set smaller than the batch size still trains.
    """
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    return list(torch.tensor_split(order, max(1, math.ceil(n / batch_size))))


def epoch_batch_norm(network: nn.Module) -> None:
    """Make the running statistics of every batch norm in ``network`` the exact average over the
    epoch about to run (reset, then a cumulative average: momentum None), instead of
    pytorch-tabnet's exponential average with momentum 0.02 per step (0.01 for TabNet's input
    batch norm).

    Validation is scored in evaluation mode, with the running statistics. On small data an
    epoch is a handful of steps, so the exponential average still holds 45 % of its starting
    values after 10 epochs, and for the first 15-20 epochs the validation loss rose while the
    training loss fell (pbmc68k, TabNet alone: 0.73 -> 1.16 by epoch 10, 0.01 by epoch 40);
    early stopping with patience 10 then kept epoch 1. Averaged over the last epoch, the
    statistics describe the network being validated. Every training loop here calls this at
    the start of each epoch (stock TabNet through ``baselines.EpochBatchNorm``).

    They are still an estimate from one epoch's shuffled batches. On GSE7390 (120 training rows
    in batches of 16) the same TabNet weights score one fold's AUC anywhere from 0.570 to 0.712
    as the statistics are redrawn (``benchmarks/batch_norm_statistics.py``). Early stopping
    keeps the epoch whose draw suited the validation rows best, so a longer patience, which
    sees more draws, can score higher without the weights having learnt more.
    """
    for module in network.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None


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


class EarlyStopping:
    """The stopping rule of every training loop here: remember the weights of the epoch with
    the lowest validation loss; stop once ``patience`` epochs in a row brought no loss lower
    by more than IMPROVEMENT, and not before ``min_epochs`` epochs (``stopping_warmup``)."""

    def __init__(self, patience: int, min_epochs: int = 0):
        self.patience, self.min_epochs = patience, min_epochs
        self.best_loss, self.best_state, self.stale, self.epochs = math.inf, None, 0, 0

    def should_stop(self, validation_loss: float, network: nn.Module) -> bool:
        """Record one epoch's validation loss (and ``network``'s weights if it is the best)."""
        self.record(validation_loss, network)
        self.epochs += 1
        return self.stale >= self.patience and self.epochs >= self.min_epochs

    def record(self, validation_loss: float, network: nn.Module) -> None:
        """Note a validation loss, keeping ``network``'s weights if it is the lowest, without
        counting an epoch: a warm-started network's loss before its first one."""
        if validation_loss < self.best_loss - IMPROVEMENT:
            self.best_loss, self.stale = validation_loss, 0
            self._keep(network.state_dict())
        else:
            self.stale += 1

    def _keep(self, state: dict) -> None:
        """A copy of ``state``: the first made, later ones written into the same tensors, so a
        long run does not allocate a new copy of its weights at every better epoch (on wide
        data, 11 MB of TabNet weights a time, left between the batches' tensors on the heap)."""
        if self.best_state is None or self.best_state.keys() != state.keys():
            self.best_state = copy.deepcopy(state)
            return
        with torch.no_grad():
            for key, value in state.items():
                kept = self.best_state[key]
                if (isinstance(value, torch.Tensor) and kept.shape == value.shape
                        and kept.dtype == value.dtype and kept.device == value.device):
                    kept.copy_(value)
                else:
                    self.best_state[key] = copy.deepcopy(value)

    def restore_best(self, network: nn.Module) -> None:
        """Load the best epoch's weights into ``network`` (nothing without a validation loss)."""
        if self.best_state is not None:
            network.load_state_dict(self.best_state)


def held_out_rows(estimator, X: np.ndarray, y: np.ndarray, validation, classes=None):
    """``(X_fit, y_fit, (X_val, y_val) or None)``: what a deep model's ``fit(X, y,
    validation)`` trains on and stops by.

    The caller's ``validation`` rows (checked against the fitted ``estimator``'s features,
    their labels encoded as indices of ``classes`` when given, as ``y`` already is; zero rows:
    none, the small-data rule), else a share of (X, y) held back by ``early_stopping_split``
    with the estimator's ``validation_fraction`` and ``random_state``. ``held_out_split``
    names the training rows instead of copying them.
    """
    rows, y_fit, held = held_out_split(estimator, X, y, validation, classes)
    return (X if rows is None else X[rows]), y_fit, held


def held_out_split(estimator, X: np.ndarray, y: np.ndarray, validation, classes=None):
    """``held_out_rows`` without a copy of the training rows: ``(fit_rows, y_fit, (X_val,
    y_val) or None)``, ``fit_rows`` the indices of X to train on, or None for all of X (when the
    caller gives the validation rows). On wide data the copy is as large as X (290 MB for
    3,068 x 23,686 float32); a model indexes its batches from X instead (``train(rows=...)``).
    """
    if validation is not None and len(validation[1]) == 0:
        return None, y, None   # the caller held no rows back: the small-data rule
    if validation is not None:
        X_val = validate_data(estimator, validation[0], dtype=np.float32, reset=False)
        y_val = np.asarray(validation[1])
        unseen = np.setdiff1d(y_val, np.unique(y) if classes is None else classes)
        if len(unseen):  # encoded, it would pass for a neighbouring class or break the loss
            raise ValueError(f"The validation rows hold labels the training rows lack "
                             f"({unseen.tolist()[:5]}): early stopping scores the model on "
                             f"classes it learns. Draw validation rows from the same classes.")
        if classes is not None:
            y_val = np.searchsorted(classes, y_val).astype(np.int64)
        return None, y, (np.ascontiguousarray(X_val), y_val)
    fit_rows, validation_rows = early_stopping_split(y, estimator.validation_fraction,
                                                     estimator.random_state)
    if validation_rows is None:
        return None, y, None
    return fit_rows, y[fit_rows], (X[validation_rows], y[validation_rows])


def train(network: nn.Module, X: torch.Tensor, y: torch.Tensor,
          validation: tuple[torch.Tensor, torch.Tensor] | None, settings: TrainingSettings,
          generator: torch.Generator, device: torch.device, description: str,
          progress: bool, weight_decay: float = 0.0, warm_start: bool = False,
          rows: torch.Tensor | None = None) -> dict:
    """Train ``network`` in place; return its ``convergence_record``.

    ``rows``: train on ``X[rows]`` (``y`` holds their labels), each batch indexed from X, so
    the training rows are never copied out of X first; the batches are those of ``X[rows]``.

    Loss: cross-entropy minus ``lambda_sparse`` times TabNet's sparsity term (the mean of
    sum(M log M) over steps), as in pytorch-tabnet (networks without TabNet return 0 for it).
    With a validation split, training stops after ``patience`` epochs without a lower
    validation loss and the best epoch's weights are kept; without one it runs ``max_epochs``.
    The learning rate is multiplied by ``lr_decay`` after every epoch (``LR_DECAY``).
    ``warm_start``: the network starts from trained weights (the hybrid's joint stage starts
    where TabNet alone ended); their validation loss is epoch 0, which training must beat, so
    the stage never hands back a network worse on the validation rows than the one it was given.
    """
    optimizer = adam(network.parameters(), settings.lr, weight_decay)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=settings.lr_decay)
    history: list[dict] = []
    stopping = EarlyStopping(settings.patience, stopping_warmup(settings.lr_decay))
    initial = None
    if warm_start and validation is not None:
        initial = mean_loss(network, *validation, settings.batch_size, device)
        stopping.record(initial, network)
    epochs = tqdm(range(settings.max_epochs), desc=description, disable=not progress, leave=False)
    for epoch in epochs:
        network.train()
        epoch_batch_norm(network)
        total, started = 0.0, time.perf_counter()
        for idx in batches(len(y), settings.batch_size, generator):
            xb, yb = X[idx if rows is None else rows[idx]].to(device), y[idx].to(device)
            logits, sparsity = network(xb)
            loss = nn.functional.cross_entropy(logits, yb) - settings.lambda_sparse * sparsity
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        schedule.step()
        record = {"epoch": epoch + 1, "train_loss": total / len(y),
                  "seconds": time.perf_counter() - started}
        stop = False
        if validation is not None:
            record["validation_loss"] = mean_loss(network, *validation, settings.batch_size, device)
            stop = stopping.should_stop(record["validation_loss"], network)
        history.append(record)
        release_free_memory()  # the epoch's freed tensors: see _arrays.release_free_memory
        epochs.set_postfix({k: round(v, 4) for k, v in record.items() if k.endswith("loss")})
        if stop:
            break
    stopping.restore_best(network)
    network.eval()
    return convergence_record([r["train_loss"] for r in history],
                              [r["validation_loss"] for r in history if "validation_loss" in r],
                              settings.max_epochs, settings.patience,
                              [r["seconds"] for r in history], initial,
                              None if validation is None else validation[1].numpy(),
                              y.numpy())


def auto_batch_size(n_rows: int) -> int:
    """``batch_size="auto"``: n/8 clipped to [16, 256], so a set of a few dozen rows still
    gets several steps per epoch and a large one batches of 256."""
    return min(256, max(16, n_rows // 8))
