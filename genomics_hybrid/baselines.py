"""The competitors of the hybrid model, all scikit-learn compatible (evaluation.run clones them).

    >>> models = baseline_models(random_state=0)
    >>> list(models)
    ['l1_logistic', 'random_forest', 'gradient_boosting', 'mlp', 'tabnet', 'cnn_only']

Each one receives the rows of evaluation's preprocessing pipeline (variance filter, min-max
scaling, SMOTE + undersampling, augmentation), like the hybrid model, so the comparison is of
models only. The deep ones (the MLP, stock TabNet, the CNN alone) train by the hybrid's rule
(``model.training``): the same epoch cap, patience and early-stopping rows, which the pipeline
carves from a fold's real rows before any resampling, and each records how it stopped in
``convergence_``.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch
from pytorch_tabnet.callbacks import Callback, EarlyStopping
from pytorch_tabnet.tab_model import TabNetClassifier
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._arrays import MAX_SEED
from .model import HybridClassifier
from .model.estimator import cpu_state, resolve_device
from .model.training import (IMPROVEMENT, LR_DECAY, MAX_EPOCHS, PATIENCE, TrainingSettings,
                             auto_batch_size, convergence_record, epoch_batch_norm,
                             epochs_to_train, held_out_rows, stopping_warmup, train)


class EpochBatchNorm(Callback):
    """pytorch-tabnet callback: ``model.training.epoch_batch_norm`` at the start of every epoch,
    so stock TabNet validates with batch-norm statistics of its last epoch, as our networks do
    (its loop, optimiser and every other setting stay pytorch-tabnet's)."""

    def on_epoch_begin(self, epoch, logs=None):
        epoch_batch_norm(self.trainer.network)


@dataclass
class WarmEarlyStopping(EarlyStopping):
    """pytorch-tabnet's early stopping, which may not end a run before ``min_epochs`` epochs
    (``model.training.stopping_warmup``: the rule of every deep model here)."""
    min_epochs: int = 0

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if epoch + 1 < self.min_epochs:
            self.trainer._stop_training = False


class LearningRateDecay(Callback):
    """pytorch-tabnet callback: the learning rate times ``decay`` after every epoch, as in
    ``model.training.train`` (pytorch-tabnet's own ``scheduler_fn`` steps only when there is a
    validation set, so a fit without one would not decay)."""

    def __init__(self, decay: float):
        super().__init__()
        self.decay = decay

    def on_epoch_end(self, epoch, logs=None):
        for group in self.trainer._optimizer.param_groups:
            group["lr"] *= self.decay


class StockTabNetClassifier(ClassifierMixin, BaseEstimator):
    """pytorch-tabnet's TabNetClassifier as shipped, behind the scikit-learn estimator API.

    Defaults are pytorch-tabnet's own (n_d = n_a = 8, 3 steps, batch 1024, 100 epochs,
    patience 10: every deep model's, ``training.MAX_EPOCHS`` and ``training.PATIENCE``). Stock
    TabNet builds a dense features x features group matrix and multiplies every attention mask
    by it: that cost on wide data is part of what the comparison measures, so it is left in.
    Only four things are added, each because stock ``fit`` would misbehave:

    * early stopping watches the ``validation`` rows given to ``fit`` (the pipeline's, carved
      from a fold's real rows), else a stratified ``validation_fraction`` of the rows given to
      ``fit`` (``model.training.early_stopping_split``, the hybrid's rule), scored by log loss;
      ``validation_fraction=0`` trains ``max_epochs`` epochs without early stopping; a loss
      counts as lower only when it falls by more than ``training.IMPROVEMENT`` (every deep
      model's rule); how it stopped is read back into ``convergence_``
      (``{"tabnet": convergence_record}``);
    * the batch is ``min(batch_size, n)`` (``"auto"``: the hybrid's rule, n/8 clipped to
      [16, 256]) and the last, smaller batch is kept (stock
      ``drop_last=True`` with a batch larger than the data set trains on nothing, silently);
    * except when that last batch would hold a single row, which batch normalisation cannot
      train on: then it is dropped (one row per epoch, a different one each epoch);
    * the learning rate decays by ``lr_decay`` per epoch (``training.LR_DECAY``, every deep
      model's rule; the ``LearningRateDecay`` callback), so that training settles;
    * batch-norm statistics are averaged over each epoch (``EpochBatchNorm``, every deep model's
      rule): with pytorch-tabnet's per-step momentum on a small set, the statistics used to
      score the validation rows lag the network by many epochs and early stopping fires early.

    ``device_name``: "auto" (CUDA when PyTorch sees a GPU, else the CPU), "cpu", "cuda", ...,
    checked by ``model.estimator.resolve_device`` before training (pytorch-tabnet itself would
    train on the CPU, silently, when asked for CUDA on a machine without it); the fitted
    ``device_`` is where it trained.
    """

    _parameter_constraints: dict = {
        "n_d": [Interval(Integral, 1, None, closed="left")],
        "n_a": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 1, None, closed="left")],
        "lambda_sparse": [Interval(Real, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_decay": [Interval(Real, 0, 1, closed="right")],
        "batch_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "virtual_batch_size": [Interval(Integral, 2, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "random_state": [Interval(Integral, 0, MAX_SEED, closed="both")],
        "device_name": [str],
        "verbose": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, n_d: int = 8, n_a: int = 8, n_steps: int = 3, gamma: float = 1.3,
                 lambda_sparse: float = 1e-3, lr: float = 2e-2, lr_decay: float = LR_DECAY,
                 batch_size: int = 1024,
                 virtual_batch_size: int = 128, max_epochs: int = MAX_EPOCHS,
                 patience: int = PATIENCE,
                 validation_fraction: float = 0.15, random_state: int = 0,
                 device_name: str = "auto", verbose: int = 0):
        self.n_d = n_d
        self.n_a = n_a
        self.n_steps = n_steps
        self.gamma = gamma
        self.lambda_sparse = lambda_sparse
        self.lr = lr
        self.lr_decay = lr_decay
        self.batch_size = batch_size
        self.virtual_batch_size = virtual_batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.device_name = device_name
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, validation=None):
        """Train on (X, y); ``validation``: optional ``(X_val, y_val)`` for early stopping."""
        self.device_ = resolve_device(self.device_name)
        X, y = validate_data(self, X, y, dtype=np.float32)
        if len(y) < 2:   # batch normalisation cannot train on one row
            raise ValueError(f"StockTabNetClassifier needs at least 2 rows to train, got "
                             f"n_samples = {len(y)}.")
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        X_fit, y_fit, held = held_out_rows(self, X, y, validation)
        self.batch_size_ = (auto_batch_size(len(y_fit)) if self.batch_size == "auto"
                            else min(self.batch_size, len(y_fit)))
        self.virtual_batch_size_ = min(self.virtual_batch_size, self.batch_size_)
        evaluation, callbacks = {}, [EpochBatchNorm(), LearningRateDecay(self.lr_decay)]
        epochs = epochs_to_train(self, held is not None)
        if held is not None:
            evaluation = {"eval_set": [held], "eval_name": ["validation"],
                          "eval_metric": ["logloss"]}
            # pytorch-tabnet's own early stopping, with the improvement every deep model here
            # needs (IMPROVEMENT; stock counts any fall, however small): passed as a callback,
            # since fit() takes no tolerance, and fit's own is switched off (patience=0).
            callbacks.append(WarmEarlyStopping("validation_logloss", is_maximize=False,
                                               tol=IMPROVEMENT, patience=self.patience,
                                               min_epochs=stopping_warmup(self.lr_decay)))
        self.model_ = TabNetClassifier(
            n_d=self.n_d, n_a=self.n_a, n_steps=self.n_steps, gamma=self.gamma,
            lambda_sparse=self.lambda_sparse, optimizer_params={"lr": self.lr, "fused": True},
            seed=self.random_state, device_name=str(self.device_), verbose=self.verbose)
        # TabNet prints its early-stopping summary whatever its verbosity: verbose=0 hides it.
        quiet = (contextlib.redirect_stdout(io.StringIO()) if self.verbose == 0
                 else contextlib.nullcontext())
        with warnings.catch_warnings(), quiet:
            # Both describe what the docstring promises: the best epoch's weights are restored
            # after early stopping; without a validation split (or patience 0) there is none.
            warnings.filterwarnings("ignore", message="Best weights from best epoch")
            warnings.filterwarnings("ignore", message="No early stopping will be performed")
            self.model_.fit(X_fit, y_fit, **evaluation, max_epochs=epochs, patience=0,
                            batch_size=self.batch_size_,
                            virtual_batch_size=self.virtual_batch_size_,
                            drop_last=len(y_fit) % self.batch_size_ == 1, callbacks=callbacks)
        self.feature_importances_ = self.model_.feature_importances_
        history = self.model_.history.history
        self.convergence_ = {"tabnet": convergence_record(
            history["loss"], history.get("validation_logloss"), epochs, self.patience,
            validation_labels=None if not evaluation else evaluation["eval_set"][0][1],
            fit_labels=y_fit)}
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        # TabNet orders its columns by its sorted training labels, as classes_ does.
        return self.model_.predict_proba(X)

    def predict(self, X):
        proba = self.predict_proba(X)   # first: an unfitted model raises NotFittedError there
        return self.classes_[np.argmax(proba, axis=1)]


class MLPNetwork(torch.nn.Module):
    """Fully connected layers with ReLU; ``forward`` returns (logits, 0), the hybrid's
    (logits, sparsity loss) contract, so ``model.training.train`` trains it."""

    def __init__(self, input_dim: int, hidden: tuple[int, ...], n_classes: int, dropout: float):
        super().__init__()
        layers, width = [], input_dim
        for size in hidden:
            layers += [torch.nn.Linear(width, size), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
            width = size
        layers.append(torch.nn.Linear(width, n_classes))
        self.layers = torch.nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.layers(x), x.new_zeros(())


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """A multilayer perceptron trained by the hybrid's rule (``model.training.train``).

    scikit-learn's ``MLPClassifier`` stops early on its own 10 % of whatever rows it is given
    (after SMOTE and augmentation, so synthetic copies of a row sit on both sides) and with its
    own patience; this one takes the same ``max_epochs``, ``patience``, ``validation_fraction``
    and validation rows as the hybrid and stock TabNet. Layers (256, 64) with ReLU, Adam with
    ``lr`` and L2 ``weight_decay``, ``dropout`` after each hidden layer.

    ``device``: "auto" (CUDA when PyTorch sees a GPU, else the CPU), "cpu", "cuda", ...
    (``model.estimator.resolve_device``, as for the hybrid). The fitted ``network_`` stays on
    ``device_``; predictions come back as NumPy arrays; a pickled (or deep-copied) model holds
    its network on the CPU (``device_`` then reads cpu), so one trained on a GPU loads anywhere
    (``model.estimator.cpu_state``).
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [tuple, list],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_decay": [Interval(Real, 0, 1, closed="right")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "device": [str],
        "random_state": [Interval(Integral, 0, MAX_SEED, closed="both")],
    }

    def __init__(self, hidden_layer_sizes: tuple[int, ...] = (256, 64), dropout: float = 0.0,
                 lr: float = 1e-3, lr_decay: float = LR_DECAY, weight_decay: float = 1e-4,
                 batch_size: int | str = "auto",
                 max_epochs: int = MAX_EPOCHS, patience: int = PATIENCE,
                 validation_fraction: float = 0.15,
                 device: str = "auto", random_state: int = 0):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.lr = lr
        self.lr_decay = lr_decay
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, validation=None):
        """Train on (X, y); ``validation``: optional ``(X_val, y_val)`` for early stopping."""
        self.device_ = resolve_device(self.device)
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        encoded = encoded.astype(np.int64)
        X_fit, y_fit, held = held_out_rows(self, X, encoded, validation, self.classes_)
        torch.manual_seed(self.random_state)
        self.network_ = MLPNetwork(X.shape[1], tuple(self.hidden_layer_sizes), len(self.classes_),
                                   self.dropout).to(self.device_)
        self.batch_size_ = (auto_batch_size(len(y_fit)) if self.batch_size == "auto"
                            else int(self.batch_size))
        settings = TrainingSettings(self.lr, epochs_to_train(self, held is not None),
                                    self.patience, self.batch_size_, lambda_sparse=0.0,
                                    lr_decay=self.lr_decay)
        self.convergence_ = {"mlp": train(
            self.network_, torch.from_numpy(np.ascontiguousarray(X_fit)),
            torch.from_numpy(y_fit), None if held is None else tuple(map(torch.from_numpy, held)),
            settings,
            torch.Generator().manual_seed(self.random_state), self.device_, "MLP",
            progress=False, weight_decay=self.weight_decay)}
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "network_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        self.network_.eval()
        with torch.no_grad():
            logits, _ = self.network_(torch.from_numpy(np.ascontiguousarray(X)).to(self.device_))
        return torch.softmax(logits, dim=1).double().cpu().numpy()

    def predict(self, X) -> np.ndarray:
        proba = self.predict_proba(X)   # first: an unfitted model raises NotFittedError there
        return self.classes_[np.argmax(proba, axis=1)]

    def __getstate__(self):
        return cpu_state(super().__getstate__())


def matching_mlp(hybrid: HybridClassifier, random_state: int = 0) -> MLPClassifier:
    """The MLP with the hybrid's training rule: epoch cap, patience, validation share, batch,
    and its device."""
    params = hybrid.get_params()
    return MLPClassifier(**{k: params[k] for k in ("max_epochs", "patience", "batch_size",
                                                   "validation_fraction", "lr_decay", "device")},
                         random_state=random_state)


def matching_stock_tabnet(hybrid: HybridClassifier, random_state: int = 0) -> StockTabNetClassifier:
    """Stock TabNet with the TabNet settings of ``hybrid`` (n_d, n_a, steps, gamma, sparsity,
    learning rate of its TabNet stage, batch sizes, epochs, patience) and its device, so that
    the comparison is of the architectures, not of their settings."""
    params = hybrid.get_params()
    shared = ("n_d", "n_a", "n_steps", "gamma", "lambda_sparse", "virtual_batch_size",
              "max_epochs", "patience", "validation_fraction", "lr_decay")
    return StockTabNetClassifier(**{k: params[k] for k in shared}, lr=params["tabnet_lr"],
                                 batch_size=params["batch_size"], device_name=params["device"],
                                 random_state=random_state)


def baseline_models(random_state: int = 0, n_jobs: int = -1,
                    **hybrid_params) -> dict[str, BaseEstimator]:
    """Fresh, unfitted baselines keyed by the name used in result tables.

    Settings aim at wide expression data (thousands of genes, hundreds to thousands of rows) on
    a small machine: liblinear for the L1 path (fast on wide data), a 300-tree forest with
    sqrt(d) features per split, histogram boosting stopping early on a share of its own
    training rows; the deep ones train by the hybrid's rule (``matching_mlp``,
    ``matching_stock_tabnet``, the CNN-only variant). ``n_jobs`` is the random forest's worker count (-1: all cores).
    ``hybrid_params`` (e.g. ``max_epochs``) go to the hybrid model's CNN-only variant and, where
    they are TabNet's, to stock TabNet (``matching_stock_tabnet``).
    """
    hybrid = HybridClassifier(random_state=random_state, **hybrid_params)
    return {
        "l1_logistic": LogisticRegression(l1_ratio=1.0, solver="liblinear", C=1.0,
                                          max_iter=1000, random_state=random_state),
        "random_forest": RandomForestClassifier(n_estimators=300, max_features="sqrt",
                                                n_jobs=n_jobs, random_state=random_state),
        "gradient_boosting": HistGradientBoostingClassifier(max_iter=200, early_stopping=True,
                                                            random_state=random_state),
        "mlp": matching_mlp(hybrid, random_state),
        "tabnet": matching_stock_tabnet(hybrid, random_state),
        "cnn_only": clone(hybrid).set_params(variant="cnn_only"),
    }
