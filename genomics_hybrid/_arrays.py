"""Array helpers every layer may use; this module imports nothing from the package, so the
model (at the bottom) and the preprocessing steps (above it) share them without an import
circle, as scikit-learn keeps ``gen_batches`` in ``sklearn.utils``."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Callable

import numpy as np

# The largest seed numpy and scikit-learn accept (train_test_split draws validation rows with
# it): the bound of every estimator's integer ``random_state``.
MAX_SEED = 2**32 - 1
# Columns per block when computing variances: bounds the float64 working copy on wide data
# (4,500 cells x 2,048 genes x 8 bytes = 74 MB instead of 850 MB for all 23,686 genes at once).
_VARIANCE_BLOCK = 2048
# Bytes of a working block when a step draws or computes something per value of X (noise,
# SMOTE's float64 interpolation, finiteness checks): 32 MB, instead of a full-size float64 array
# (850 MB at 4,500 x 23,686).
_BLOCK_BYTES = 32 * 2**20


def check_top_k(k: int, n: int, what: str) -> None:
    """Refuse a ``k`` (top-k genes, bars, ...) that is not a positive integer or exceeds the
    ``n`` ``what`` there are."""
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    if k > n:
        raise ValueError(f"k={k} is larger than the {n} {what}: use k <= {n}.")


def blockwise(reduce: Callable[[np.ndarray], np.ndarray], X: np.ndarray, axis: int,
              block: int = _VARIANCE_BLOCK) -> np.ndarray:
    """``reduce`` applied to X a block at a time, the results concatenated.

    ``axis=1``: blocks of ``block`` columns, ``reduce`` returns one value per column of its
    block (a per-column statistic without a working copy of all of X); ``axis=0``: blocks of
    ``block`` rows, one value per row. An X with no columns (rows) gives an empty float array.
    """
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (row blocks) or 1 (column blocks), got {axis!r}.")
    size = X.shape[axis]
    parts = [reduce(X[start:start + block] if axis == 0 else X[:, start:start + block])
             for start in range(0, size, block)]
    return np.concatenate(parts) if parts else np.zeros(0)


def column_variance(X: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Per-column variance in float64, a block of columns at a time (no float64 copy of X);
    ``rows``: over those rows of X only, without copying them out of X first."""
    if rows is None:
        return blockwise(lambda columns: columns.var(axis=0, dtype=np.float64), X, axis=1)
    return np.concatenate([X[rows, start:start + _VARIANCE_BLOCK].var(axis=0, dtype=np.float64)
                           for start in range(0, X.shape[1], _VARIANCE_BLOCK)] or [np.zeros(0)])


def row_blocks(n_rows: int, n_columns: int, itemsize: int = 8) -> list[slice]:
    """Slices of consecutive rows covering ``n_rows``, each about ``_BLOCK_BYTES`` when a row
    holds ``n_columns`` values of ``itemsize`` bytes (at least one row per block)."""
    size = max(1, _BLOCK_BYTES // max(1, n_columns * itemsize))
    return [slice(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, musl, Windows)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError, TypeError):
        return None


def release_free_memory() -> None:
    """Hand the heap's free pages back to the operating system (glibc's ``malloc_trim(0)``; a
    no-op where there is none). Changes no value.

    PyTorch allocates tensors with ``posix_memalign``, whose padding keeps glibc (before 2.38)
    from reusing a freed block for a new tensor of the same size, so training on wide data
    leaves hundreds of MB of free blocks between live ones, still resident, and more with
    every epoch: at 3,610 x 23,686 the hybrid's peak RSS rose by 0.2 GiB from its first epoch
    to its 47th. Called after each training epoch: an epoch touches again only the blocks it
    uses (page faults of a few tenths of a second), the others stay released.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
