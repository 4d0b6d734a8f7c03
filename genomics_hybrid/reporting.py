"""Helpers the notebooks call: load by name or path, summary tables, figures, tidy files.

Figures are built on ``matplotlib.figure.Figure`` objects (no pyplot state, no backend choice),
so they work the same in a notebook, under papermill and in tests; a notebook shows them with
``display(fig)`` or ``myst_nb.glue(key, fig)``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from .datasets import Dataset, load, load_table
from .datasets.registry import BUNDLED_DATASETS

PAPER_REPORTED_FILE = Path(__file__).with_name("paper_reported.csv")
CLAIM_KINDS = ("value", "range", "at_least", "at_most", "text", "genes")

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".h5ad", ".gz", ".bz2", ".xz",
                  ".zip")

SUMMARY_LABELS = {
    "dataset": "dataset",
    "source": "data source",
    "n_samples": "samples",
    "n_features": "features",
    "n_positive": "positive samples",
    "n_negative": "negative samples",
    "positive_fraction": "positive fraction",
    "positive_class": "positive class",
    "n_groups": "groups (e.g. tumours, patients)",
    "zero_fraction": "fraction of zero values",
    "value_min": "minimum value",
    "value_median": "median value",
    "value_max": "maximum value",
    "megabytes": "matrix size (MB, float32)",
}


def paper_reported(item: str | None = None) -> pd.DataFrame:
    """What the paper reports, transcribed from its text: one row per claim (``item`` such as
    "Table 15", ``dataset``, ``model``, ``metric``, ``kind`` in CLAIM_KINDS with ``value`` or
    ``low``/``high``, a ``note``, and the ``quote`` it came from, verbatim up to whitespace).
    The only place the book takes the paper's numbers from."""
    claims = pd.read_csv(PAPER_REPORTED_FILE, dtype={"value": str}, keep_default_na=False,
                         na_values={"low": [""], "high": [""]})
    return claims if item is None else claims[claims["item"] == item].reset_index(drop=True)


def looks_like_path(dataset: str | os.PathLike) -> bool:
    """True when ``dataset`` names a file rather than a registry dataset."""
    text = str(dataset)
    return (isinstance(dataset, os.PathLike) or os.sep in text or "/" in text
            or text.lower().endswith(TABLE_SUFFIXES) or Path(text).is_file())


def load_dataset(dataset: str | os.PathLike, source: str = "auto", labels=None,
                 label_column: str = "label", positive=None, seed: int = 0,
                 data_dir=None) -> Dataset:
    """A registry dataset by name (``load``) or a user's file by path (``load_table``).

    ``source`` applies to the paper's datasets; the bundled real sets (pbmc68k, gse7390) have
    no replica and ignore it. ``labels``, ``label_column`` and ``positive`` (the label value
    of the positive class) apply to a user's file only.
    """
    if looks_like_path(dataset):
        return load_table(dataset, labels=labels, label_column=label_column, positive=positive)
    name = str(dataset)
    if name.lower() in BUNDLED_DATASETS:
        source = "auto"
    return load(name, source=source, data_dir=data_dir, seed=seed)


def summary_table(summary: dict[str, Any]) -> pd.DataFrame:
    """``Dataset.summary()`` as a two-column table (quantity, value) for display."""
    rows = []
    for key, value in summary.items():
        if isinstance(value, float):
            value = f"{value:.1%}" if key.endswith("fraction") else f"{value:.4g}"
        elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            value = f"{int(value):,}"
        rows.append((SUMMARY_LABELS.get(key, key), "" if value is None else str(value)))
    return pd.DataFrame(rows, columns=["quantity", "value"]).set_index("quantity")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def write_summary(summary: dict[str, Any], output_dir: str | os.PathLike,
                  **extra: Any) -> Path:
    """Write ``summary`` (plus ``extra`` keys such as profile and seed) to output_dir/summary.json."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "summary.json"
    payload = _jsonable({**summary, **extra})
    path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def class_labels(ds: Dataset) -> np.ndarray:
    """A readable label per sample: "positive (<class>)" or "negative"."""
    positive = f"positive ({ds.info.get('positive_class', '1')})"
    return np.where(ds.y == 1, positive, "negative")


def class_palette(ds: Dataset) -> dict[str, Any]:
    """One colour per class label, the same in every figure; positive first."""
    colours = sns.color_palette("colorblind", 2)
    return {f"positive ({ds.info.get('positive_class', '1')})": colours[0], "negative": colours[1]}


def _figure(width: float = 6.0, height: float = 3.6) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def class_balance_figure(ds: Dataset) -> Figure:
    """Bar chart of the number of samples per class, each bar labelled with count and share."""
    labels = class_labels(ds)
    palette = class_palette(ds)
    order = list(palette)
    counts = pd.Series(labels).value_counts().reindex(order, fill_value=0)
    fig, ax = _figure()
    sns.barplot(x=counts.index, y=counts.values, hue=counts.index, order=order,
                hue_order=order, palette=palette, legend=False, ax=ax)
    for i, n in enumerate(counts.values):
        ax.annotate(f"{n:,} ({n / len(labels):.1%})", (i, n), ha="center", va="bottom")
    ax.set_ylim(0, counts.max() * 1.15)
    ax.set(xlabel="", ylabel="samples", title=f"{ds.name} ({ds.source}): class balance")
    return fig


def nonzero_values(ds: Dataset, max_values: int = 100_000, seed: int = 0) -> pd.DataFrame:
    """A random sample of the matrix's non-zero values, with the class of their sample."""
    rng = np.random.default_rng(seed)
    labels = class_labels(ds)
    parts = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        rows = np.sort(rng.choice(rows, size=min(len(rows), 300), replace=False))
        values = ds.X[rows].ravel()
        values = values[values != 0]
        if len(values) > max_values:
            values = rng.choice(values, size=max_values, replace=False)
        parts.append(pd.DataFrame({"value": values, "class": label}))
    return pd.concat(parts, ignore_index=True)


def nonzero_distribution_figure(ds: Dataset, max_values: int = 100_000, seed: int = 0) -> Figure:
    """Histogram (density per class) of the non-zero expression values."""
    frame = nonzero_values(ds, max_values=max_values, seed=seed)
    fig, ax = _figure()
    if len(frame):
        values = frame["value"].to_numpy()
        counts = bool(np.all(values == np.round(values)) and values.max() - values.min() <= 60)
        bins = {"discrete": True} if counts else {"bins": 60}   # e.g. k-mer counts: one bar each
        sns.histplot(frame, x="value", hue="class", stat="density", common_norm=False,
                     element="step", palette=class_palette(ds), hue_order=list(class_palette(ds)),
                     ax=ax, **bins)
    ax.set(xlabel="non-zero value", ylabel="density",
           title=f"{ds.name} ({ds.source}): distribution of non-zero values")
    return fig


def zero_fraction_per_sample(X: np.ndarray, chunk: int = 512) -> np.ndarray:
    """The fraction of zeros in each row, computed in row chunks (no full-size boolean copy)."""
    return np.concatenate([np.mean(X[i:i + chunk] == 0, axis=1)
                           for i in range(0, X.shape[0], chunk)]) if len(X) else np.zeros(0)


def zero_fraction_figure(ds: Dataset) -> Figure:
    """Histogram of the per-sample fraction of zero values, by class."""
    frame = pd.DataFrame({"zero fraction": zero_fraction_per_sample(ds.X),
                          "class": class_labels(ds)})
    fig, ax = _figure()
    low, high = frame["zero fraction"].min(), frame["zero fraction"].max()
    if high - low < 0.02:                      # e.g. no zeros at all: keep the bar readable
        low, high = max(0.0, low - 0.01), min(1.0, high + 0.01)
    sns.histplot(frame, x="zero fraction", hue="class", bins=50, binrange=(low, high),
                 element="step", palette=class_palette(ds),
                 hue_order=list(class_palette(ds)), ax=ax)
    ax.set(xlabel="fraction of zero values in a sample", ylabel="samples",
           title=f"{ds.name} ({ds.source}): zeros per sample")
    return fig
