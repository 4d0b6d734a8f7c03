"""Fold-internal preprocessing: every step is fitted on the training rows of one fold only.

    variance filter -> min-max scaling -> SMOTE -> random undersampling -> augmentation -> model

The steps follow scikit-learn / imbalanced-learn conventions (parameters in ``__init__``, fitted
attributes end in ``_``, ``clone``-able). The three samplers (SMOTE, undersampling, augmentation)
implement ``fit_resample``, so an ``imblearn.pipeline.Pipeline`` runs them while fitting and skips
them when predicting: validation and hold-out rows are never resampled, oversampled or noised.

``make_pipeline`` returns a ``TrainingPipeline``, which adds two things a deep model trained on
resampled rows needs. It carves the model's early-stopping rows from the real rows it is given,
before any step is fitted (so no synthetic copy of a validation row is ever trained on), and it
corrects the model's probabilities from the balanced class prior it was trained on back to the
training rows' own prior, so that the stated threshold of 0.5 is the Bayes decision for the
data's real class balance.

    >>> from sklearn.linear_model import LogisticRegression
    >>> pipe = make_pipeline(LogisticRegression(), variance_top_k=2000)
    >>> pipe.fit(X_train, y_train).predict_proba(X_test)      # doctest: +SKIP
"""

from __future__ import annotations

from numbers import Integral, Real
from inspect import signature
from typing import Any, Mapping

import numpy as np
from imblearn.base import BaseSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.feature_selection import SelectorMixin
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._arrays import MAX_SEED, column_variance, row_blocks
from .model.training import SMALL_DATA_SEEDS, early_stopping_split
from .privacy import AdaptivePrivacy


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

    def transform(self, X):
        """The kept columns of X, always as a new array (never a view of X, even when every
        column is kept): ``make_pipeline``'s scaler then scales it in place."""
        Xt = super().transform(X)
        if not isinstance(Xt, np.ndarray):
            return Xt
        # X may be any array-like (a list, a frame, an object that refuses numpy's functions):
        # its memory is compared through the array it converts to.
        source = X if isinstance(X, np.ndarray) else np.asarray(X)
        return Xt.copy() if np.shares_memory(Xt, source) else Xt


def clipped_min_max_scaler(copy: bool = True) -> MinMaxScaler:
    """Min-max scaling to [0, 1] learnt from the training rows, clipped when transforming.

    Clipping matters because the minimum and maximum come from the training rows only: a test
    value outside that range would otherwise map outside [0, 1], into a range the model never saw
    while fitting. ``copy=False`` scales its input in place (float32 stays float32 either way):
    ``make_pipeline`` hands it the variance filter's fresh array, so no second copy is made.
    """
    return MinMaxScaler(feature_range=(0, 1), clip=True, copy=copy)


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

    The synthetic rows are imblearn's, value for value (the same neighbours, the same draws
    from ``random_state``, interpolated in float64 and rounded to X's dtype), written straight
    after a single copy of X: imblearn copies X, builds the new rows in float64 and stacks all
    of them into a third array.
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
        self.k_neighbors_ = k = min(self.k_neighbors, n_minority - 1)
        X_class = _safe_indexing(X, np.flatnonzero(y == minority))
        neighbours = NearestNeighbors(n_neighbors=k + 1).fit(X_class).kneighbors(
            X_class, return_distance=False)[:, 1:]
        # imblearn's BaseSMOTE._make_samples: a base row and one of its neighbours per new row,
        # a uniform step between them; its draws, in its order.
        rng = check_random_state(self.random_state)
        n_new = target - n_minority
        picks = rng.randint(low=0, high=neighbours.size, size=n_new)
        steps = rng.uniform(size=n_new)[:, np.newaxis]
        base, neighbour = np.divmod(picks, k)
        neighbour = neighbours[base, neighbour]
        X_res = np.empty((len(y) + n_new, X.shape[1]), dtype=X.dtype)
        X_res[:len(y)] = X
        for block in row_blocks(n_new, X.shape[1]):
            origin = X_class[base[block]]
            X_res[len(y) + block.start:len(y) + block.stop] = (
                origin + steps[block] * (X_class[neighbour[block]] - origin))
        self.n_synthetic_ = n_new
        return X_res, np.concatenate([y, np.full(n_new, minority, dtype=y.dtype)])


def balancing_undersampler(random_state=None) -> RandomUnderSampler:
    """Drop random majority rows until both classes have as many rows as the minority."""
    return RandomUnderSampler(sampling_strategy="auto", random_state=random_state)


class NoiseDropoutAugmenter(BaseSampler):
    """Append ``n_copies`` noisy copies of the training rows (labels copied with them).

    Each copy gets Gaussian noise of standard deviation ``noise_std`` on every value, then a
    random ``dropout_rate`` share of its values set to 0 (random gene dropout, as in single-cell
    data). It is a sampler, so it runs while fitting only: predictions are made on clean rows.
    Seeded by ``random_state``: the same rows give the same copies on every fit. The noise and
    the dropout draws are made a block of rows at a time, in the order of one draw over all
    copies (all the noise, then all the dropout), into the output array: the same values as
    drawing them whole, without two float64 arrays the size of the copies.
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
        n = len(X)
        X_aug = np.empty(((1 + self.n_copies) * n, X.shape[1]), dtype=X.dtype)
        X_aug[:n] = X
        X_aug[n:].reshape(self.n_copies, n, X.shape[1])[:] = X
        copies = X_aug[n:]
        blocks = row_blocks(len(copies), X.shape[1])
        for block in blocks:
            part = copies[block]
            part += rng.normal(0.0, self.noise_std, size=part.shape).astype(X.dtype)
        for block in blocks:
            part = copies[block]
            part[rng.random_sample(part.shape) < self.dropout_rate] = 0
        return X_aug, np.concatenate([y, np.tile(y, self.n_copies)])


def _takes_validation_rows(estimator) -> bool:
    """Whether ``estimator`` stops early on rows it is handed: ``fit(X, y, validation=...)``
    and a ``validation_fraction`` above 0."""
    return ("validation" in signature(estimator.fit).parameters
            and getattr(estimator, "validation_fraction", 0) > 0)


def prior_log_ratio(y_real, y_trained, classes) -> np.ndarray:
    """log(prior in the real rows / prior in the rows the model was trained on), per class.

    Resampling changes only the class prior p(y), not p(x | y) (SMOTE and undersampling aim at
    that), so Bayes' rule turns a model's posterior under the trained-on prior into the posterior
    under the real one by multiplying each class by this ratio's exponent and renormalising
    (Saerens, Latinne & Decaestecker 2002; Elkan 2001).
    """
    real = np.array([np.mean(np.asarray(y_real) == c) for c in classes])
    trained = np.array([np.mean(np.asarray(y_trained) == c) for c in classes])
    if np.any(real == 0) or np.any(trained == 0):
        raise ValueError(f"prior correction needs every class {list(classes)} in both the real "
                         f"and the resampled training rows.")
    return np.log(real) - np.log(trained)


class TrainingPipeline(Pipeline):
    """imblearn's Pipeline, plus early-stopping rows carved before resampling and a prior
    correction of the probabilities (see the module text).

    ``fit``: when the final model takes validation rows (``fit(X, y, validation=...)`` with a
    ``validation_fraction`` > 0), a stratified share of the real rows is held back by the rule
    every deep model follows (``model.training.early_stopping_split``, seeded by
    ``random_state``); every step is fitted on the rest; the held-back rows pass through the
    fitted transformers (never the samplers, never the privacy noise: like test rows) and go to
    the model as its validation rows. Where the share would be too small to stop by (the
    small-data rule, ``model.training.MIN_VALIDATION_ROWS``), nothing is held back: the model
    is handed zero validation rows (it then trains ``training.small_data_epochs`` on every
    row), and ``small_data_seeds - 1`` copies of it with the next seeds are fitted on the same
    rows as ``members_``; ``predict_proba`` averages all of them (a model that sets
    ``seed_average = False``, DP-SGD, whose privacy loss the average would compound, is fitted
    once). The pipeline's last step is the first of them: what interpretation reads.
    ``prior_correction``: ``predict_proba`` reweights the model's probabilities by
    ``prior_log_ratio_`` (real training rows against the resampled rows the model saw), and
    ``predict`` thresholds them at 0.5 (the most probable class).
    """

    def __init__(self, steps, *, random_state=0, prior_correction: bool = True,
                 small_data_seeds: int = SMALL_DATA_SEEDS, memory=None, verbose=False):
        super().__init__(steps, memory=memory, verbose=verbose)
        self.random_state = random_state
        self.prior_correction = prior_correction
        self.small_data_seeds = small_data_seeds

    def fit(self, X, y, *, rows=None, **params):
        """Fit on (X, y), or with ``rows`` (indices) on those rows of (X, y) only, without a
        copy of them first: ``fit(X, y, rows=r)`` is ``fit(X[r], y[r])``, one copy of the rows
        fewer (the whole of a dataset can be passed with a fold's rows)."""
        model = self._final_estimator
        fraction = model.validation_fraction if _takes_validation_rows(model) else 0
        y_rows = y if rows is None else _safe_indexing(y, rows)
        fit_rows, validation_rows = early_stopping_split(y_rows, fraction, self.random_state)
        if rows is not None:  # positions in y_rows -> rows of X
            rows = np.asarray(rows)
            fit_rows = rows[fit_rows]
            validation_rows = None if validation_rows is None else rows[validation_rows]
        X_fit, y_fit = _safe_indexing(X, fit_rows), _safe_indexing(y, fit_rows)
        routed = self._check_method_params(method="fit", props=params)
        Xt, yt = self._fit(X_fit, y_fit, routed, raw_params=params)
        del X_fit  # every step made its own arrays: these rows are not kept while the model trains
        model_params = self._get_metadata_for_step(step_idx=len(self) - 1,
                                                   step_params=routed[self.steps[-1][0]],
                                                   all_params=params)["fit"]
        small_data = fraction > 0 and validation_rows is None
        if validation_rows is not None:
            X_val = self._transform(_safe_indexing(X, validation_rows))
            model_params = dict(model_params,
                                validation=(X_val, _safe_indexing(y, validation_rows)))
        elif small_data:
            # Too few real rows to stop by (the small-data rule): zero validation rows tell the
            # model so, rather than leave it to carve its own from resampled near-copies.
            model_params = dict(model_params, validation=(Xt[:0], yt[:0]))
        model.fit(Xt, yt, **model_params)
        self.members_ = []
        if (small_data and getattr(model, "seed_average", True)
                and "random_state" in model.get_params()):
            self.members_ = [clone(model).set_params(random_state=_member_seed(model, i))
                             .fit(Xt, yt, **model_params)
                             for i in range(1, self.small_data_seeds)]
        self.n_validation_ = 0 if validation_rows is None else len(validation_rows)
        self.prior_log_ratio_ = prior_log_ratio(y_fit, yt, model.classes_)
        return self

    def _transform(self, X):
        """X through the fitted transformers, as rows to predict (the samplers skipped)."""
        for _, _, step in self._iter(with_final=False):
            X = step.transform(X)
        return X

    def predict_proba(self, X, **params):
        if getattr(self, "members_", None):
            Xt = self._transform(X)
            proba = np.mean([model.predict_proba(Xt, **params)
                             for model in (self._final_estimator, *self.members_)], axis=0)
        else:
            proba = super().predict_proba(X, **params)
        if not self.prior_correction:
            return proba
        weighted = proba * np.exp(self.prior_log_ratio_)
        return weighted / weighted.sum(axis=1, keepdims=True)

    def predict(self, X, **params):
        return self.classes_[np.argmax(self.predict_proba(X, **params), axis=1)]


def _member_seed(model, index: int):
    """The seed of the small-data rule's ``index``-th extra model: the model's own plus
    ``index`` (wrapped into the valid range); None stays None (fresh randomness each)."""
    seed = model.get_params()["random_state"]
    return None if seed is None else (int(seed) + index) % (MAX_SEED + 1)


def make_pipeline(estimator, *, variance_threshold: float = 0.0, variance_top_k: int | None = None,
                  smote: bool = True, smote_ratio: float = 0.5, smote_k_neighbors: int = 5,
                  undersample: bool = True, augment: bool = True, noise_std: float = 0.05,
                  dropout_rate: float = 0.1, augment_copies: int = 1,
                  privacy: Mapping[str, Any] | None = None, prior_correction: bool = True,
                  small_data_seeds: int = SMALL_DATA_SEEDS, random_state=0) -> TrainingPipeline:
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
    ``augment_copies`` the number of noisy copies per row. ``prior_correction`` maps the
    model's probabilities back to the real class balance (``TrainingPipeline``), so accuracy
    and F1 at the threshold 0.5 are the Bayes decisions for the data, not for the balanced rows
    the model saw. ``small_data_seeds``: models averaged, each with the next seed, when a deep
    model has too few real rows to stop by (the small-data rule, ``TrainingPipeline``).
    ``random_state`` seeds every random step and the early-stopping split. Switching a step off
    leaves it out of the pipeline.
    """
    # The scaler scales the variance filter's output in place: that is always a new array.
    steps = [("variance", VarianceFilter(threshold=variance_threshold, top_k=variance_top_k)),
             ("scale", clipped_min_max_scaler(copy=False))]
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
    if not isinstance(small_data_seeds, Integral) or small_data_seeds < 1:
        raise ValueError(f"small_data_seeds must be an integer >= 1 (models averaged under the "
                         f"small-data rule; 1: no average), got {small_data_seeds!r}.")
    return TrainingPipeline(steps, random_state=random_state, prior_correction=prior_correction,
                            small_data_seeds=int(small_data_seeds))
