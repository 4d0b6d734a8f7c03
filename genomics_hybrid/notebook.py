"""The notebooks' entry point: ``start`` at the top of each notebook, ``NotebookRun.finish`` at
its end, so that every notebook is its parameters, one set-up call, package calls and glue keys.

    >>> from genomics_hybrid import notebook
    >>> run = notebook.start("02_training", "gse7390", "smoke", seed=0)
    >>> results, predictions, convergence = experiments.run_experiment(
    ...     "comparison", run.dataset, run.settings, "runs/cache")
    >>> run.finish("comparison", {"results": results})   # tidy CSV files + comparison_run.json

``start`` loads the profile's settings and the dataset (a registry name or a file path, capped at
the profile's rows), names the output folder (``runs/<profile>/<dataset>`` unless one is given:
``runs_folder`` and ``output_folder``, the one place that convention is written, for the
notebooks, the Snakefile and ``paper.collect``), glues the data source as "data"
and shows one line of provenance. ``finish`` writes ``<prefix>_<name>.csv`` per tidy frame and
``<prefix>_run.json``: what ran on which data, where, from which commit, and how long it took.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .datasets import Dataset, load, load_table
from .datasets.user import load_book_dataset
from .datasets.registry import BUNDLED_DATASETS
from .profiles import load_profile

# Where the notebooks write: RUNS_DIR/<profile>/<dataset> (``output_folder``). The notebooks, the
# Snakefile (runs/book/<dataset>: the book's folder is named "book", whichever profile built it)
# and ``paper.collect`` (a ``runs_folder``) all take the convention from here.
RUNS_DIR = "runs"
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


# Glue keys ``start`` sets in every notebook, beside those the notebook's own cells glue.
START_GLUE_KEYS = ("data",)


def runs_folder(profile: str) -> str:
    """The folder of a profile's notebook runs, ``runs/<profile>``: one ``output_folder`` per
    dataset inside (what ``paper.collect`` reads)."""
    return f"{RUNS_DIR}/{profile}"


def output_folder(profile: str, dataset: str) -> str:
    """The default output folder of a notebook run: ``runs/<profile>/<dataset>``."""
    return f"{runs_folder(profile)}/{dataset}"


@dataclass
class NotebookRun:
    """One notebook's run: its name, the profile's settings, the dataset, where its files go,
    and when it started (``time.perf_counter()``)."""

    notebook: str
    settings: dict[str, Any]
    dataset: Dataset
    output_dir: str | os.PathLike
    started: float = field(default_factory=time.perf_counter)

    @property
    def data(self) -> str:
        """The data source of every number of this run (``data_label``)."""
        return data_label(self.dataset)

    def finish(self, prefix: str, frames: dict[str, pd.DataFrame], **extra: Any) -> list[Path]:
        """Write the tidy ``frames`` (``<prefix>_<name>.csv``) and the run record
        (``<prefix>_run.json``, with ``extra`` keys) into ``output_dir``; returns the paths."""
        record = run_record(self.notebook, self.dataset, self.settings, self.started, **extra)
        return write_outputs(self.output_dir, prefix, frames, record)


def start(notebook: str, dataset: str | os.PathLike, profile: str, seed: int,
          source: str = "auto", labels=None, label_column: str = "label", positive=None,
          missing: str = "error", output_dir: str | os.PathLike | None = None,
          capped: bool = True) -> NotebookRun:
    """Set up a notebook from its parameters: the profile's settings and the dataset
    (``notebook_inputs``), the output folder (``output_folder`` when ``output_dir`` is None),
    the timer; glues the data source as "data" and displays ``provenance_markdown``.
    """
    from IPython.display import Markdown, display  # only a notebook run needs these two
    from myst_nb import glue

    started = time.perf_counter()
    settings, ds = notebook_inputs(dataset, profile, seed, source, labels, label_column,
                                   positive, missing, capped=capped)
    run = NotebookRun(notebook, settings, ds, output_dir or output_folder(profile, ds.name),
                      started)
    glue("data", run.data, display=False)
    display(Markdown(provenance_markdown(ds, settings)))
    return run


def looks_like_path(dataset: str | os.PathLike) -> bool:
    """True when ``dataset`` names a file rather than a registry dataset."""
    text = str(dataset)
    return (isinstance(dataset, os.PathLike) or os.sep in text or "/" in text
            or text.lower().endswith(TABLE_SUFFIXES) or Path(text).is_file())


def load_dataset(dataset: str | os.PathLike, source: str = "auto", labels=None,
                 label_column: str = "label", positive=None, seed: int = 0,
                 data_dir=None, missing: str = "error") -> Dataset:
    """A registry dataset by name (``load``) or a user's file by path (``load_table``).

    ``source`` applies to the paper's datasets; the bundled real sets (pbmc68k, gse7390) have
    no replica and ignore it. ``labels``, ``label_column`` and ``positive`` (the label value
    of the positive class) apply to a user's file only. ``missing``, the policy for missing
    values (``datasets.validation``), to a user's file and to the real expression matrices
    (the loaders' default, "error", is passed as no option at all). In a user book's folder
    (``genomics-hybrid book``), the name of the book's dataset loads the user's file as the book
    was told to (``datasets.user.load_book_dataset``), whatever the other arguments say.
    """
    if looks_like_path(dataset):
        return load_table(dataset, labels=labels, label_column=label_column, positive=positive,
                          missing=missing)
    name = str(dataset)
    book = load_book_dataset(name)   # in a user book's folder: its dataset, by name
    if book is not None:
        return book
    if name.lower() in BUNDLED_DATASETS:
        source = "auto"
    options = {} if missing == "error" else {"missing": missing}
    return load(name, source=source, data_dir=data_dir, seed=seed, **options)


def notebook_inputs(dataset: str | os.PathLike, profile: str, seed: int, source: str = "auto",
                    labels=None, label_column: str = "label", positive=None,
                    missing: str = "error",
                    capped: bool = True) -> tuple[dict[str, Any], Dataset]:
    """What a notebook's parameters cell asks for: the profile's settings (its seed replaced by
    ``seed``) and the dataset, capped at the profile's ``max_samples`` rows (``capped=False``:
    every row, as the data summary shows)."""
    settings = load_profile(profile)
    settings["seed"] = int(seed)
    ds = load_dataset(dataset, source=source, labels=labels, label_column=label_column,
                      positive=positive, seed=seed, missing=missing)
    if capped:
        ds = ds.subsample(settings.get("max_samples"), seed)
    return settings, ds


def data_label(ds: Dataset) -> str:
    """The data source of every number computed on ``ds``, short enough for a table column:
    "replica, 400 of 4,513 rows" (a stratified draw, ``Dataset.subsample``) or "bundled, all
    198 rows"."""
    draw = ds.info.get("subsample")
    if not draw:
        return f"{ds.source}, all {len(ds.y):,} rows"
    return f"{ds.source}, {draw['max_samples']:,} of {draw['of']:,} rows"


def provenance_markdown(ds: Dataset, settings: dict[str, Any]) -> str:
    """One line for the top of a notebook: dataset, data source, rows used, profile, seed."""
    draw = ds.info.get("subsample")
    how = f" (stratified random draw, seed {draw['seed']})" if draw else ""
    return (f"**{ds.name}**: data source **{data_label(ds)}**{how}, {ds.shape[1]:,} features; "
            f"profile `{settings['name']}`, seed {settings['seed']}. "
            f"Task: {ds.info.get('task', 'not stated')}.")


def _commit() -> str:
    """The git commit of the working tree (with "+changes" when it differs), or "unknown"."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, check=True,
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty.strip() else "")


PROVENANCE_PACKAGES = ("genomics-hybrid", "torch", "pytorch-tabnet", "scikit-learn",
                       "imbalanced-learn", "opacus", "captum", "numpy", "pandas")


def run_record(notebook: str, ds: Dataset, settings: dict[str, Any], started: float,
               **extra: Any) -> dict[str, Any]:
    """Provenance of one notebook run: what ran on which data, where, from which commit, and
    how long it took (``started``: ``time.perf_counter()`` at its start)."""
    versions = {}
    for package in PROVENANCE_PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    import torch  # already imported by every notebook that trains

    return _jsonable({
        "notebook": notebook, "dataset": ds.name, "source": ds.source,
        "data": data_label(ds), "n_samples": len(ds.y), "n_features": ds.shape[1],
        "profile": settings["name"], "seed": settings["seed"], "commit": _commit(),
        "seconds": round(time.perf_counter() - started, 1),
        "python": platform.python_version(), "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
        "packages": versions, **extra})


def write_outputs(output_dir: str | os.PathLike, prefix: str, frames: dict[str, pd.DataFrame],
                  record: dict[str, Any]) -> list[Path]:
    """Tidy results beside the executed notebook: ``<prefix>_<name>.csv`` per frame and
    ``<prefix>_run.json`` (``run_record``). Returns the paths written."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        path = out / f"{prefix}_{name}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
    path = out / f"{prefix}_run.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return written + [path]


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


def readable(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A table for display (never for the tidy files): float columns rounded to ``digits``
    decimals, p-value columns (``p_value``, ``p-value``) as text with 2 significant digits, so
    that 1e-05 stays legible. The book's pages paste these; the CSV files keep full precision."""
    shown = table.copy()
    for column in shown.columns:
        if not pd.api.types.is_float_dtype(shown[column]):
            continue
        if str(column).replace("-", "_") == "p_value":
            shown[column] = shown[column].map(lambda p: "n/a" if p != p else f"{p:.2g}")
        else:
            shown[column] = shown[column].round(digits)
    return shown
