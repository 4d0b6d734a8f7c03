"""The one container every loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .validation import validate_matrix


@dataclass
class Dataset:
    """A binary classification task: ``X`` (samples x features, float32) and ``y`` (1 = positive).

    ``groups`` holds a grouping that cross-validation must respect (the tumour of a cell, the
    patient of a TCGA sample) or None. ``info`` says where the matrix came from: ``source``
    (real / replica / bundled / user), ``task``, ``positive_class``, ``provenance`` and, for real
    files, ``checksums``; replicas add ``ground_truth``.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: np.ndarray
    sample_ids: np.ndarray
    groups: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.X = np.ascontiguousarray(self.X, dtype=np.float32)
        self.y = np.asarray(self.y).astype(np.int64)
        self.feature_names = np.asarray(self.feature_names, dtype=object)
        self.sample_ids = np.asarray(self.sample_ids, dtype=object)
        if self.groups is not None:
            self.groups = np.asarray(self.groups, dtype=object)
        validate_matrix(self.X, self.y, self.feature_names, self.sample_ids, self.groups)

    @property
    def name(self) -> str:
        return self.info.get("name", "unnamed")

    @property
    def source(self) -> str:
        return self.info.get("source", "unknown")

    @property
    def shape(self) -> tuple[int, int]:
        return self.X.shape

    def summary(self) -> dict[str, Any]:
        """Plain numbers describing the matrix, for tables, glue keys and closing notes."""
        n_pos = int(self.y.sum())
        return {
            "dataset": self.name,
            "source": self.source,
            "n_samples": int(self.X.shape[0]),
            "n_features": int(self.X.shape[1]),
            "n_positive": n_pos,
            "n_negative": int(len(self.y) - n_pos),
            "positive_fraction": n_pos / len(self.y),
            "positive_class": self.info.get("positive_class", "1"),
            "n_groups": None if self.groups is None else int(len(np.unique(self.groups))),
            "zero_fraction": float(np.mean(self.X == 0)),
            "value_min": float(self.X.min()),
            "value_median": float(np.median(self.X[:, :: max(1, self.X.shape[1] // 2000)])),
            "value_max": float(self.X.max()),
            "megabytes": self.X.nbytes / 2**20,
        }

    def subsample(self, max_samples: int | None, seed: int = 0) -> Dataset:
        """At most ``max_samples`` rows, drawn at random with the class shares kept (stratified),
        in their original order; the dataset itself when it is no larger. ``info["subsample"]``
        records the draw, so every number computed on it can say so. Profiles use this to keep
        a laptop build within its time budget."""
        n = len(self.y)
        if max_samples is None or max_samples >= n:
            return self
        if not isinstance(max_samples, (int, np.integer)) or max_samples < 4:
            raise ValueError(f"max_samples must be an integer >= 4 (or None for all rows), "
                             f"got {max_samples!r}.")
        from sklearn.model_selection import train_test_split

        kept, _ = train_test_split(np.arange(n), train_size=int(max_samples), stratify=self.y,
                                   random_state=seed)
        kept = np.sort(kept)
        info = dict(self.info, subsample={"max_samples": int(max_samples), "of": n,
                                          "seed": int(seed)})
        return Dataset(self.X[kept], self.y[kept], self.feature_names, self.sample_ids[kept],
                       None if self.groups is None else self.groups[kept], info)

    def to_frame(self) -> pd.DataFrame:
        """Samples x features as a DataFrame (a copy: fine for small sets, costly for wide ones)."""
        return pd.DataFrame(self.X, index=self.sample_ids, columns=self.feature_names)

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"Dataset({s['dataset']!r}, source={s['source']!r}, {s['n_samples']} samples x "
            f"{s['n_features']} features, {s['n_positive']} positive "
            f"({s['positive_fraction']:.1%} {s['positive_class']}))"
        )
