"""The competitors of the hybrid model, all scikit-learn compatible (evaluation.run clones them).

    >>> models = baseline_models(random_state=0)
    >>> list(models)
    ['l1_logistic', 'random_forest', 'gradient_boosting', 'mlp', 'tabnet', 'cnn_only']

Each one receives the rows of evaluation's preprocessing pipeline (variance filter, min-max
scaling, SMOTE + undersampling, augmentation), like the hybrid model, so the comparison is of
models only.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from numbers import Integral, Real

import numpy as np
from pytorch_tabnet.tab_model import TabNetClassifier
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .model import HybridClassifier
from .model.training import auto_batch_size


class StockTabNetClassifier(ClassifierMixin, BaseEstimator):
    """pytorch-tabnet's TabNetClassifier as shipped, behind the scikit-learn estimator API.

    Defaults are pytorch-tabnet's own (n_d = n_a = 8, 3 steps, batch 1024, 100 epochs,
    patience 10). Stock TabNet builds a dense features x features group matrix and multiplies
    every attention mask by it: that cost on wide data is part of what the comparison measures,
    so it is left in. Only three things are added, each because stock ``fit`` would misbehave:

    * early stopping watches a stratified ``validation_fraction`` of the rows given to ``fit``
      (never anyone's test rows), scored by log loss; ``validation_fraction=0`` trains
      ``max_epochs`` epochs without early stopping;
    * the batch is ``min(batch_size, n)`` (``"auto"``: the hybrid's rule, n/8 clipped to
      [16, 256]) and the last, smaller batch is kept (stock
      ``drop_last=True`` with a batch larger than the data set trains on nothing, silently);
    * except when that last batch would hold a single row, which batch normalisation cannot
      train on: then it is dropped (one row per epoch, a different one each epoch).
    """

    _parameter_constraints: dict = {
        "n_d": [Interval(Integral, 1, None, closed="left")],
        "n_a": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 1, None, closed="left")],
        "lambda_sparse": [Interval(Real, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "virtual_batch_size": [Interval(Integral, 2, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left")],
        "device_name": [str],
        "verbose": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(self, n_d: int = 8, n_a: int = 8, n_steps: int = 3, gamma: float = 1.3,
                 lambda_sparse: float = 1e-3, lr: float = 2e-2, batch_size: int = 1024,
                 virtual_batch_size: int = 128, max_epochs: int = 100, patience: int = 10,
                 validation_fraction: float = 0.1, random_state: int = 0,
                 device_name: str = "auto", verbose: int = 0):
        self.n_d = n_d
        self.n_a = n_a
        self.n_steps = n_steps
        self.gamma = gamma
        self.lambda_sparse = lambda_sparse
        self.lr = lr
        self.batch_size = batch_size
        self.virtual_batch_size = virtual_batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.device_name = device_name
        self.verbose = verbose

    def _early_stopping_split(self, y):
        """Row indices (fit, validation): a stratified validation share for early stopping."""
        rows = np.arange(len(y))
        if self.validation_fraction == 0:
            return rows, None
        labels, counts = np.unique(y, return_counts=True)
        if counts.min() < 2:
            raise ValueError(f"StockTabNetClassifier: class {labels[counts.argmin()].item()!r} has "
                             f"{counts.min()} row; early stopping needs one row of every class "
                             f"on each side of its validation split. Give it more rows, or set "
                             f"validation_fraction=0 to train max_epochs without early stopping.")
        n_validation = max(len(labels), round(self.validation_fraction * len(y)))
        return train_test_split(rows, test_size=n_validation, stratify=y,
                                random_state=self.random_state)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        fit_rows, validation_rows = self._early_stopping_split(y)
        self.batch_size_ = (auto_batch_size(len(fit_rows)) if self.batch_size == "auto"
                            else min(self.batch_size, len(fit_rows)))
        self.virtual_batch_size_ = min(self.virtual_batch_size, self.batch_size_)
        early_stopping = {} if validation_rows is None else {
            "eval_set": [(X[validation_rows], y[validation_rows])], "eval_name": ["validation"],
            "eval_metric": ["logloss"]}
        self.model_ = TabNetClassifier(
            n_d=self.n_d, n_a=self.n_a, n_steps=self.n_steps, gamma=self.gamma,
            lambda_sparse=self.lambda_sparse, optimizer_params={"lr": self.lr},
            seed=self.random_state, device_name=self.device_name, verbose=self.verbose)
        # TabNet prints its early-stopping summary whatever its verbosity: verbose=0 hides it.
        quiet = (contextlib.redirect_stdout(io.StringIO()) if self.verbose == 0
                 else contextlib.nullcontext())
        with warnings.catch_warnings(), quiet:
            # Both describe what the docstring promises: the best epoch's weights are restored
            # after early stopping; without a validation split (or patience 0) there is none.
            warnings.filterwarnings("ignore", message="Best weights from best epoch")
            warnings.filterwarnings("ignore", message="No early stopping will be performed")
            self.model_.fit(X[fit_rows], y[fit_rows], **early_stopping,
                            max_epochs=self.max_epochs, patience=self.patience,
                            batch_size=self.batch_size_,
                            virtual_batch_size=self.virtual_batch_size_,
                            drop_last=len(fit_rows) % self.batch_size_ == 1)
        self.feature_importances_ = self.model_.feature_importances_
        return self

    def predict_proba(self, X):
        check_is_fitted(self, "model_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        # TabNet orders its columns by its sorted training labels, as classes_ does.
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def matching_stock_tabnet(hybrid: HybridClassifier, random_state: int = 0) -> StockTabNetClassifier:
    """Stock TabNet with the TabNet settings of ``hybrid`` (n_d, n_a, steps, gamma, sparsity,
    learning rate of its TabNet stage, batch sizes, epochs, patience), so that the comparison
    is of the architectures, not of their settings."""
    params = hybrid.get_params()
    shared = ("n_d", "n_a", "n_steps", "gamma", "lambda_sparse", "virtual_batch_size",
              "max_epochs", "patience", "validation_fraction")
    return StockTabNetClassifier(**{k: params[k] for k in shared}, lr=params["tabnet_lr"],
                                 batch_size=params["batch_size"], random_state=random_state)


def baseline_models(random_state: int = 0, n_jobs: int = -1,
                    **hybrid_params) -> dict[str, BaseEstimator]:
    """Fresh, unfitted baselines keyed by the name used in result tables.

    Settings aim at wide expression data (thousands of genes, hundreds to thousands of rows) on
    a small machine: liblinear for the L1 path (fast on wide data), a 300-tree forest with
    sqrt(d) features per split, histogram boosting and the MLP stopping early on a share of
    their own training rows. ``n_jobs`` is the random forest's worker count (-1: all cores).
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
        "mlp": MLPClassifier(hidden_layer_sizes=(256, 64), alpha=1e-3, early_stopping=True,
                             max_iter=200, random_state=random_state),
        "tabnet": matching_stock_tabnet(hybrid, random_state),
        "cnn_only": clone(hybrid).set_params(variant="cnn_only"),
    }
