"""Array helpers every layer may use; this module imports nothing from the package, so the
model (at the bottom) and the preprocessing steps (above it) share them without an import
circle, as scikit-learn keeps ``gen_batches`` in ``sklearn.utils``."""

from __future__ import annotations

import numpy as np

# The largest seed numpy and scikit-learn accept (train_test_split draws validation rows with
# it): the bound of every estimator's integer ``random_state``.
MAX_SEED = 2**32 - 1
# Columns per block when computing variances: bounds the float64 working copy on wide data
# (4,500 cells x 2,048 genes x 8 bytes = 74 MB instead of 850 MB for all 23,686 genes at once).
_VARIANCE_BLOCK = 2048


def column_variance(X: np.ndarray) -> np.ndarray:
    """Per-column variance in float64, a block of columns at a time (no float64 copy of X)."""
    return np.concatenate([X[:, start:start + _VARIANCE_BLOCK].var(axis=0, dtype=np.float64)
                           for start in range(0, X.shape[1], _VARIANCE_BLOCK)])
