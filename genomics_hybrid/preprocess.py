"""Fold-internal preprocessing: every step is fitted on the training rows of one fold only.

    variance filter -> min-max scaling -> SMOTE -> random undersampling -> augmentation -> model

The steps follow scikit-learn / imbalanced-learn conventions (parameters in ``__init__``, fitted
attributes end in ``_``, ``clone``-able). The three samplers (SMOTE, undersampling, augmentation)
implement ``fit_resample``, so an ``imblearn.pipeline.Pipeline`` runs them while fitting and skips
them when predicting: validation and hold-out rows are never resampled, oversampled or noised.

    >>> from sklearn.linear_model import LogisticRegression
    >>> pipe = make_pipeline(LogisticRegression(), variance_top_k=2000)
    >>> pipe.fit(X_train, y_train).predict_proba(X_test)      # doctest: +SKIP
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, Mapping

import numpy as np
from imblearn.base import BaseSampler
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from .privacy import AdaptivePrivacy

# Columns per block when computing variances: bounds the float64 working copy on wide data
# (4,500 cells x 2,048 genes x 8 bytes = 74 MB instead of 850 MB for all 23,686 genes at once).
_VARIANCE_BLOCK = 2048


def column_variance(X: np.ndarray) -> np.ndarray:
    """Per-column variance in float64, a block of columns at a time (no float64 copy of X)."""
    return np.concatenate([X[:, start:start + _VARIANCE_BLOCK].var(axis=0, dtype=np.float64)
                           for start in range(0, X.shape[1], _VARIANCE_BLOCK)])


class VarianceFilter(SelectorMixin, BaseEstimator):
    """Keep features whose variance on the training rows exceeds ``threshold``.

    ``top_k`` keeps at most the ``top_k`` most variable of those (ties go to the lower column
    index, so the choice is deterministic); ``None`` keeps them all, and so does a ``top_k`` at
    or above the feature count (one profile setting serves data sets of any width). Filtering on variance uses
    no labels, and fitting it on the training rows keeps the test rows' spread out of the choice.
    """

    _parameter_constraints: dict = {
        "threshold": [Interval(Real, 0, None, closed="left")],
        "top_k": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, threshold: float = 0.0, top_k: int | None = None):
        self.threshold = threshold
        self.top_k = top_k

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        # A variance needs two rows: with one, scikit-learn's own error says so.
        X = validate_data(self, X, dtype=[np.float32, np.float64], ensure_min_samples=2)
        n_features = X.shape[1]
        self.variances_ = column_variance(X)
        kept = np.flatnonzero(self.variances_ > self.threshold)
        if kept.size == 0:
            raise ValueError(f"VarianceFilter: no feature has a training variance above "
                             f"threshold={self.threshold} (largest: {self.variances_.max():.3g}). "
                             f"Lower the threshold, or check that X is not constant.")
        if self.top_k is not None and kept.size > self.top_k:
            order = np.argsort(-self.variances_[kept], kind="stable")
            kept = np.sort(kept[order[:self.top_k]])
        self.support_ = np.zeros(n_features, dtype=bool)
        self.support_[kept] = True
        return self

    def _get_support_mask(self):
        check_is_fitted(self, "support_")
        return self.support_


def clipped_min_max_scaler() -> MinMaxScaler:
    """Min-max scaling to [0, 1] learnt from the training rows, clipped when transforming.

    Clipping matters because the minimum and maximum come from the training rows only: a test
    value outside that range would otherwise map outside [0, 1], into a range the model never saw
    while fitting.
    """
    return MinMaxScaler(feature_range=(0, 1), clip=True)


def _minority_and_majority(y) -> tuple:
    labels, counts = np.unique(y, return_counts=True)
    if labels.size != 2:
        raise ValueError(f"Expected two classes, got {labels.size} ({labels.tolist()}).")
    return labels[np.argmin(counts)], counts.min(), labels[np.argmax(counts)], counts.max()


class MinoritySMOTE(BaseSampler):
    """SMOTE that raises the minority class to ``ratio`` times the majority (binary labels).

    Differences from imblearn's ``SMOTE(sampling_strategy=ratio)``, each because the folds of small
    or balanced data sets would otherwise fail:

    * ``k_neighbors`` shrinks to ``n_minority - 1`` when the minority class of a training fold
      has ``k_neighbors`` samples or fewer (SMOTE interpolates between a sample and its neighbours
      in the same class, so it needs at least one neighbour: two minority samples);
    * nothing is generated when the minority is already at or above ``ratio`` (imblearn raises),
      ``n_synthetic_`` is then 0; also when it is less than one row short of it (imblearn,
      given the ratio, raises there too: 26 minority rows against 53 majority rows, say).
    """

    # Sampling is driven by ``ratio``; imblearn's base class only needs a strategy it passes on.
    sampling_strategy = "auto"
    _sampling_type = "bypass"
    _parameter_constraints: dict = {
        "ratio": [Interval(Real, 0, 1, closed="right")],
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, ratio: float = 0.5, k_neighbors: int = 5, random_state=None):
        self.ratio = ratio
        self.k_neighbors = k_neighbors
        self.random_state = random_state

    def _fit_resample(self, X, y):
        minority, n_minority, _, n_majority = _minority_and_majority(y)
        self.n_synthetic_ = 0
        self.k_neighbors_ = None
        target = int(self.ratio * n_majority)  # minority rows wanted, as imblearn rounds
        if n_minority >= target:
            return X, y
        if n_minority < 2:
            raise ValueError(f"SMOTE needs at least 2 samples of the minority class "
                             f"{minority.item()!r} in the training rows, found {n_minority}. "
                             f"Use smote=False, fewer folds, or more samples of that class.")
        self.k_neighbors_ = min(self.k_neighbors, n_minority - 1)
        smote = SMOTE(sampling_strategy={minority: target}, k_neighbors=self.k_neighbors_,
                      random_state=self.random_state)
        X_res, y_res = smote.fit_resample(X, y)
        self.n_synthetic_ = len(y_res) - len(y)
        return X_res, y_res


def balancing_undersampler(random_state=None) -> RandomUnderSampler:
    """Drop random majority rows until both classes have as many rows as the minority."""
    return RandomUnderSampler(sampling_strategy="auto", random_state=random_state)


class NoiseDropoutAugmenter(BaseSampler):
    """Append ``n_copies`` noisy copies of the training rows (labels copied with them).

    Each copy gets Gaussian noise of standard deviation ``noise_std`` on every value, then a
    random ``dropout_rate`` share of its values set to 0 (random gene dropout, as in single-cell
    data). It is a sampler, so it runs while fitting only: predictions are made on clean rows.
    Seeded by ``random_state``: the same rows give the same copies on every fit.
    """

    sampling_strategy = "auto"
    _sampling_type = "bypass"
    _parameter_constraints: dict = {
        "noise_std": [Interval(Real, 0, None, closed="left")],
        "dropout_rate": [Interval(Real, 0, 1, closed="left")],
        "n_copies": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, noise_std: float = 0.05, dropout_rate: float = 0.1, n_copies: int = 1,
                 random_state=None):
        self.noise_std = noise_std
        self.dropout_rate = dropout_rate
        self.n_copies = n_copies
        self.random_state = random_state

    def _fit_resample(self, X, y):
        rng = check_random_state(self.random_state)
        copies = np.repeat(X[np.newaxis], self.n_copies, axis=0)
        copies += rng.normal(0.0, self.noise_std, size=copies.shape).astype(X.dtype)
        copies[rng.random_sample(copies.shape) < self.dropout_rate] = 0
        X_aug = np.concatenate([X, copies.reshape(-1, X.shape[1])])
        return X_aug, np.concatenate([y, np.tile(y, self.n_copies)])


def make_pipeline(estimator, *, variance_threshold: float = 0.0, variance_top_k: int | None = None,
                  smote: bool = True, smote_ratio: float = 0.5, smote_k_neighbors: int = 5,
                  undersample: bool = True, augment: bool = True, noise_std: float = 0.05,
                  dropout_rate: float = 0.1, augment_copies: int = 1,
                  privacy: Mapping[str, Any] | None = None, random_state=0) -> Pipeline:
    """The paper's preprocessing, fitted inside each fold, followed by ``estimator``.

    Steps (names in brackets) and why their defaults:

    * ``variance`` VarianceFilter: ``variance_threshold=0`` drops only features constant on the
      training rows (no information; min-max would map them to 0); ``variance_top_k=None`` keeps
      the rest (the profiles set it where a model's cost grows with the feature count).
    * ``scale`` min-max to [0, 1], clipped for unseen rows (the paper scales min-max).
    * ``privacy`` (only when ``privacy`` is given: keyword arguments of
      ``privacy.AdaptivePrivacy``) Algorithm 4 on the scaled training rows, before SMOTE and
      augmentation, so those only post-process protected rows.
    * ``smote`` MinoritySMOTE raises the minority to ``smote_ratio=0.5`` rows per majority row,
      then ``undersample`` drops majority rows down to the minority count, so both classes end
      equal. The paper combines SMOTE and undersampling without giving a ratio; 0.5 sits between
      SMOTE alone (ratio 1: every missing row synthetic) and undersampling alone (on a 10 %
      minority, nine in ten majority rows thrown away): here the majority keeps half its rows.
    * ``augment`` one noisy copy per row: Gaussian noise ``noise_std=0.05`` (5 % of the scaled
      range) and ``dropout_rate=0.1`` of the genes set to 0.

    ``smote_k_neighbors`` is SMOTE's neighbour count (shrunk for tiny minorities) and
    ``augment_copies`` the number of noisy copies per row. ``random_state`` seeds every random
    step. Switching a step off leaves it out of the pipeline.
    """
    steps = [("variance", VarianceFilter(threshold=variance_threshold, top_k=variance_top_k)),
             ("scale", clipped_min_max_scaler())]
    if privacy is not None:
        steps.append(("privacy", AdaptivePrivacy(**privacy, random_state=random_state)))
    if smote:
        steps.append(("smote", MinoritySMOTE(ratio=smote_ratio, k_neighbors=smote_k_neighbors,
                                             random_state=random_state)))
    if undersample:
        steps.append(("undersample", balancing_undersampler(random_state)))
    if augment:
        steps.append(("augment", NoiseDropoutAugmenter(noise_std=noise_std,
                                                       dropout_rate=dropout_rate,
                                                       n_copies=augment_copies,
                                                       random_state=random_state)))
    steps.append(("model", estimator))
    return Pipeline(steps)
