"""Checks that turn bad input into a DataError naming the problem and the fix.

Missing values: the paper "removes missing values". We never impute silently. Loaders take
``missing="error"`` (default: stop and say where the gaps are), ``"drop_features"`` (remove every
feature with a missing value: what the paper describes, and label-free, so it cannot leak the
test labels) or ``"drop_samples"``. Infinite values count as missing.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
import pandas as pd

from .._arrays import row_blocks
from .errors import DataError

MISSING_POLICIES = ("error", "drop_features", "drop_samples")


def _examples(values: Sequence, n: int = 5) -> str:
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:n])
    return shown + (f" and {len(values) - n} more" if len(values) > n else "")


def duplicates(names: Sequence) -> list:
    """Names that occur more than once, in first-seen order."""
    return [name for name, count in Counter(names).items() if count > 1]


def validate_matrix(X, y, feature_names, sample_ids, groups=None) -> None:
    """Check a loaded matrix before anyone trains on it."""
    if X.ndim != 2:
        raise DataError(f"X must be 2-D (samples x features); got shape {X.shape}.")
    n, d = X.shape
    if n == 0 or d == 0:
        raise DataError(f"X is empty (shape {X.shape}): no samples or no features left to use.")
    for what, arr, size in (("y", y, n), ("sample_ids", sample_ids, n),
                            ("feature_names", feature_names, d)):
        if len(arr) != size:
            raise DataError(
                f"{what} has {len(arr)} entries but X has {size} "
                f"{'features' if what == 'feature_names' else 'samples'}: they must match."
            )
    if groups is not None and len(groups) != n:
        raise DataError(f"groups has {len(groups)} entries but X has {n} samples.")
    # A block of rows at a time: a boolean copy of all of X is 100 MB at 4,500 x 23,686.
    if not all(np.isfinite(X[rows]).all() for rows in row_blocks(n, d, itemsize=1)):
        bad = ~np.isfinite(X)
        cols = np.flatnonzero(bad.any(axis=0))
        raise DataError(
            f"X has {int(np.isnan(X).sum())} NaN and {int(np.isinf(X).sum())} infinite values in "
            f"{len(cols)} features (e.g. {_examples(np.asarray(feature_names)[cols])}). "
            f"Load with missing='drop_features' (what the paper does) or missing='drop_samples'."
        )
    dup = duplicates(feature_names)
    if dup:
        raise DataError(
            f"{len(dup)} feature names occur more than once ({_examples(dup)}). Make them unique "
            f"or aggregate the duplicated rows (e.g. mean per gene) before loading."
        )
    dup = duplicates(sample_ids)
    if dup:
        raise DataError(f"{len(dup)} sample ids occur more than once ({_examples(dup)}).")
    labels = set(np.unique(y).tolist())
    if not labels <= {0, 1}:
        raise DataError(f"y must be 0/1 (1 = positive class); got values {sorted(labels)}.")
    if len(labels) < 2:
        raise DataError(
            f"All {n} samples have the same label ({labels.pop()}): a classifier needs both "
            f"classes. Check the label column and the choice of positive class."
        )


def check_cv_folds(y, n_folds: int, groups=None) -> None:
    """Each class needs at least ``n_folds`` samples (or groups) to appear in every fold."""
    y = np.asarray(y)
    for label in np.unique(y):
        members = y == label
        n = int(members.sum()) if groups is None else len(np.unique(np.asarray(groups)[members]))
        unit = "samples" if groups is None else "groups"
        if n < n_folds:
            raise DataError(
                f"Class {label} has only {n} {unit}, fewer than the {n_folds} cross-validation "
                f"folds: every fold needs at least one. Use fewer folds or add samples."
            )


def require_numeric(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Convert every column to float, or say which cells are not numbers."""
    text_columns = [c for c, t in frame.dtypes.items() if not pd.api.types.is_numeric_dtype(t)]
    if not text_columns:
        return frame
    text = frame[text_columns]
    converted = text.apply(pd.to_numeric, errors="coerce")
    bad = (converted.isna() & text.notna()).to_numpy()
    if bad.any():
        rows, cols = np.nonzero(bad)
        cells = [f"({text.index[r]!r}, {text.columns[c]!r}) = {text.iat[r, c]!r}"
                 for r, c in zip(rows[:3], cols[:3])]
        raise DataError(
            f"{what} has {int(bad.sum())} non-numeric cells, e.g. {'; '.join(cells)}. "
            f"An expression matrix must hold numbers only: move annotation columns out of it "
            f"(name the id column with sample_column=) or fix the cells."
        )
    frame = frame.copy()
    frame[text_columns] = converted
    return frame


def apply_missing_policy(frame: pd.DataFrame, missing: str, what: str) -> tuple[pd.DataFrame, dict]:
    """Apply the documented missing-value policy to a samples x features frame."""
    if missing not in MISSING_POLICIES:
        raise DataError(f"missing={missing!r} is not a policy; use one of {MISSING_POLICIES}.")
    values = frame.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    report = {"missing_policy": missing, "missing_cells": int(bad.sum())}
    if not bad.any():
        return frame, report
    if missing == "error":
        cols = frame.columns[bad.any(axis=0)]
        raise DataError(
            f"{what} has {int(bad.sum())} missing or infinite values in {len(cols)} features "
            f"(e.g. {_examples(cols)}). The paper removes missing values: load with "
            f"missing='drop_features' to drop those features, or missing='drop_samples'."
        )
    if missing == "drop_features":
        keep = ~bad.any(axis=0)
        report["features_dropped"] = int((~keep).sum())
        return frame.loc[:, keep], report
    keep = ~bad.any(axis=1)
    report["samples_dropped"] = int((~keep).sum())
    return frame.loc[keep], report
