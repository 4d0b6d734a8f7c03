"""Small synthetic data sets and spy estimators for the preprocessing and evaluation tests."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from genomics_hybrid.datasets import Dataset


def synthetic_dataset(n=120, d=8, positive_fraction=0.3, n_groups=None, seed=0, name="synthetic"):
    """Unique random rows (so a row identifies its index), ``round(positive_fraction * n)``
    positives; feature 0 carries the label."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n, dtype=int)
    y[rng.choice(n, round(positive_fraction * n), replace=False)] = 1
    X = rng.normal(size=(n, d)) + 1.5 * y[:, None] * (np.arange(d) == 0)
    groups = None if n_groups is None else np.array([f"g{i % n_groups}" for i in range(n)])
    return Dataset(X, y, [f"gene{j}" for j in range(d)], [f"s{i}" for i in range(n)], groups,
                   info={"name": name, "source": "user"})


class Recorder:
    """What spies saw. Shared by every clone of a spy: clone deep-copies parameters, this
    object hands itself back."""

    def __init__(self):
        self.fits, self.predictions = [], []

    def __deepcopy__(self, memo):
        return self


class SpyClassifier(ClassifierMixin, BaseEstimator):
    """Scores rows by feature 0; records the rows of every fit and predict_proba call in
    ``recorder``; raises ValueError in ``fail_in`` ("fit" or "predict")."""

    def __init__(self, recorder=None, fail_in=None, version=0):
        self.recorder = recorder
        self.fail_in = fail_in
        self.version = version

    def fit(self, X, y):
        if self.fail_in == "fit":
            raise ValueError("boom in fit")
        if self.recorder is not None:
            self.recorder.fits.append(np.array(X))
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        if self.fail_in == "predict":
            raise ValueError("boom in predict")
        if self.recorder is not None:
            self.recorder.predictions.append(np.array(X))
        positive = np.clip(np.asarray(X)[:, 0], 0, 1)
        return np.column_stack([1 - positive, positive])
