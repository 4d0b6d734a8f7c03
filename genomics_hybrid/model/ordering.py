"""The order in which the selected features reach the 1-D CNN.

A convolution sees neighbouring positions, so the order of the k selected genes decides which
genes form a "local pattern". The paper does not say which order it used. We offer:

- ``"cluster"`` (default): leaf order of average-linkage hierarchical clustering with distance
  1 - |Pearson correlation| on the training rows, so co-expressed genes sit next to each other
  and a kernel spans a gene module;
- ``"importance"``: descending TabNet attention (or training variance for ``cnn_only``);
- ``"original"``: the input's column order.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

FEATURE_ORDERS = ("cluster", "importance", "original")


def order_features(X: np.ndarray, selected: np.ndarray, order: str,
                   rows: np.ndarray | None = None) -> np.ndarray:
    """Reorder ``selected`` (column indices of X, most important first) by ``order``;
    ``rows``: the clustering reads those rows of X only (all without)."""
    if order not in FEATURE_ORDERS:
        raise ValueError(f"feature_order must be one of {FEATURE_ORDERS}, got {order!r}.")
    if order == "importance" or len(selected) < 3:
        return selected
    if order == "original":
        return np.sort(selected)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(X[:, selected] if rows is None else X[np.ix_(rows, selected)],
                           rowvar=False)
    corr = np.nan_to_num(corr, nan=0.0)  # a constant column correlates with nothing
    distance = np.clip(1.0 - np.abs(corr), 0.0, None)
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average")
    return selected[leaves_list(tree)]
