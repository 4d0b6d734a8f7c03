"""Load a user's expression matrix: CSV, TSV (optionally gzipped), parquet or h5ad.

Orientation rule (``samples_as_rows=None``), applied in order:

1. h5ad is always cells (samples) x genes.
2. If a separate labels table is given, the axis whose ids match its sample ids is the sample
   axis (the first column of a text table holds row ids; the header holds column ids). When
   ids of both axes match, the call fails and asks for ``samples_as_rows``.
3. If ``label_column`` is a column of the table, rows are samples; if it is a row id, columns are.
4. Otherwise the call fails and asks for ``samples_as_rows``.

Labels: ``positive`` names the positive class; when omitted, labels must already be 0/1 or
True/False (1/True positive). With more than two classes, ``positive`` gives positive-vs-rest.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .dataset import Dataset
from .errors import DataError
from .files import open_text, readable, sha256
from .validation import _examples, apply_missing_policy, check_cv_folds, duplicates, require_numeric

# A user book's folder (`genomics-hybrid book`, genomics_hybrid.userbook) holds this file: the
# book's settings, among them (``user``) the name its dataset goes by in the workflow and how to
# load it. Code run in that folder (the notebooks, the fold-level jobs) loads the dataset by
# that name (``load_book_dataset``), so every rule can pass the name alone.
BOOK_SETTINGS = "genomics-hybrid-book.yml"
TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": "\t", ".tab": "\t"}
DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon"}
# Words of a column name that say it holds ids (patient_id, SampleID, cell_barcode), not a gene.
ID_WORDS = {"id", "ids", "sample", "samples", "patient", "subject", "donor", "barcode", "cell",
            "name"}


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zip", ".xz"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _read_text(path: Path, sep: str) -> pd.DataFrame:
    with readable(path), open_text(path) as fh:
        header = fh.readline().rstrip("\r\n").split(sep)
        fh.seek(0)
        try:
            frame = pd.read_csv(fh, sep=sep, index_col=0, low_memory=False)
        except pd.errors.ParserError as exc:
            raise DataError(f"{path} is not a well-formed table: {exc}") from exc
        except pd.errors.EmptyDataError as exc:
            raise DataError(f"{path} is empty.") from exc
    if frame.shape[1] == 0:
        others = [name for d, name in DELIMITERS.items() if d != sep and d in header[0]]
        if others:
            raise DataError(
                f"{path} splits into one column at {DELIMITERS[sep]}s, but its header holds "
                f"{' and '.join(others)}s: it is {others[0]}-separated. Name it by its delimiter "
                f"(.csv: comma, .tsv or .txt: tab) or re-save it.")
    repeated = duplicates(header[1:])
    if repeated:  # pandas would silently rename them (GENE, GENE.1): refuse instead
        raise DataError(
            f"{path}: {len(repeated)} column names occur more than once in the header "
            f"({_examples(repeated)}). Feature names and sample ids must be unique: make them "
            f"unique or aggregate the duplicates before loading."
        )
    return frame


def _require_file(path: Path) -> None:
    if not path.exists():
        raise DataError(f"{path} does not exist: check the path (relative paths start at "
                        f"{Path.cwd()}).")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a file: give the path of the table in it.")


def _looks_like_ids(name) -> bool:
    """A column name made of id words (``ID_WORDS``) and no digits: ``patient_id`` holds ids,
    the genes ``ID1`` or ``CELF1`` do not."""
    name = str(name)
    words = {w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", name)}
    return not re.search(r"\d", name) and bool(words & ID_WORDS)


def _parquet_index(frame: pd.DataFrame, path: Path, sample_column: str | None) -> pd.DataFrame:
    """Give a parquet table written without its index (``index=False``) its row ids, as the
    first column of a text table gives them: ``sample_column`` when named, else the first
    column when it holds text or its name says ids (``patient_id``). A first column of unique
    integers under another name could be either: it is refused, not guessed (taken as a
    feature, ids sorted by class become a perfect predictor)."""
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.name or not frame.shape[1]:
        return frame
    if sample_column in frame.columns:
        return frame.set_index(sample_column)
    first = frame.columns[0]
    values = frame[first]
    if not pd.api.types.is_numeric_dtype(values) or _looks_like_ids(first):
        return frame.set_index(first)
    if pd.api.types.is_integer_dtype(values) and values.is_unique:
        raise DataError(
            f"{path} stores no row index, and its first column {first!r} holds unique integers: "
            f"sample ids or a feature? Pass sample_column={str(first)!r} if it holds the sample "
            f"ids; if it is a feature, write the file with the sample ids as its index "
            f"(DataFrame.to_parquet keeps the index) or as a first column named like 'sample_id'.")
    return frame


def read_table(path: str | os.PathLike, sample_column: str | None = None) -> pd.DataFrame:
    """Read a table with its first column as the row index (parquet: ``_parquet_index``)."""
    path = Path(path).expanduser()
    _require_file(path)
    suffix = _suffix(path)
    if suffix in TEXT_SUFFIXES:
        frame = _read_text(path, TEXT_SUFFIXES[suffix])
    elif suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise DataError(f"{path} is not a readable parquet file ({exc}).") from exc
        frame = _parquet_index(frame, path, sample_column)
    else:
        raise DataError(
            f"{path}: unknown format {suffix!r}. Use .csv, .tsv/.txt (optionally .gz), .parquet "
            f"or .h5ad."
        )
    if frame.empty:
        raise DataError(f"{path} holds no values ({frame.shape[0]} rows x {frame.shape[1]} "
                        f"columns besides the row ids): is it the whole file?")
    return frame


def _read_h5ad(path: Path, label_column: str):
    import anndata

    try:
        adata = anndata.read_h5ad(path)
    except Exception as exc:  # h5py raises OSError/KeyError variants for damaged files
        raise DataError(f"{path} is not a readable h5ad file ({exc}).") from exc
    X = adata.X.toarray() if hasattr(adata.X, "toarray") else np.asarray(adata.X)
    frame = pd.DataFrame(X, index=adata.obs_names.astype(str), columns=adata.var_names.astype(str))
    labels = adata.obs[label_column] if label_column in adata.obs else None
    return frame, labels


def _read_labels(labels, label_column: str, sample_column: str | None) -> pd.Series:
    if isinstance(labels, pd.Series):
        return labels
    if isinstance(labels, dict):
        return pd.Series(labels)
    path = Path(labels).expanduser()
    if not path.exists():
        raise DataError(f"Labels file {path} does not exist.")
    table = read_table(path, sample_column).reset_index()
    id_col = sample_column if sample_column in table.columns else table.columns[0]
    if label_column in table.columns:
        lab_col = label_column
    elif table.shape[1] == 2:
        lab_col = table.columns[1]
    else:
        raise DataError(
            f"Labels file {path} has columns {list(table.columns)}; say which holds the labels "
            f"with label_column= (default 'label')."
        )
    dup = duplicates(table[id_col].astype(str))
    if dup:
        raise DataError(f"Labels file {path} lists {len(dup)} samples twice ({_examples(dup)}).")
    return pd.Series(table[lab_col].to_numpy(), index=table[id_col].astype(str).to_numpy())


def _overlap(ids, labels: pd.Series) -> int:
    return len(set(map(str, ids)) & set(map(str, labels.index)))


def _orient(frame: pd.DataFrame, labels, label_column: str, samples_as_rows):
    """Return (samples x features frame, labels, samples_as_rows) following the module's rule."""
    if samples_as_rows is None:
        if labels is not None:
            rows, cols = _overlap(frame.index, labels), _overlap(frame.columns, labels)
            if rows == cols == 0:
                raise DataError(
                    f"No sample id of the labels ({_examples(list(labels.index))}) matches a row "
                    f"id ({_examples(list(frame.index))}) or a column name "
                    f"({_examples(list(frame.columns))}) of the table. Check the id columns."
                )
            if rows and cols:
                raise DataError(
                    f"Sample ids of the labels match {rows} row ids and {cols} column names of "
                    f"the table, so either axis could hold the samples. Say which with "
                    f"samples_as_rows=True (samples are rows) or samples_as_rows=False.")
            samples_as_rows = rows > cols
        elif label_column in frame.columns:
            samples_as_rows = True
        elif label_column in frame.index:
            samples_as_rows = False
        else:
            raise DataError(
                f"Cannot tell which axis holds the samples: no labels file was given and "
                f"{label_column!r} is neither a column nor a row of the table. Pass labels=, "
                f"label_column=, and/or samples_as_rows=True/False."
            )
    if not samples_as_rows:
        frame = frame.T
    if labels is None:
        if label_column not in frame.columns:
            raise DataError(f"No label column {label_column!r} in the table; columns start "
                            f"{_examples(list(frame.columns))}. Pass label_column= or labels=.")
        labels = frame[label_column]
        frame = frame.drop(columns=label_column)
    return frame, labels, samples_as_rows


def binarize(labels: pd.Series, positive) -> tuple[np.ndarray, str]:
    """Map labels to 0/1 (1 = positive) and name the positive class."""
    values = pd.Series(labels).dropna()
    classes = sorted(pd.unique(values).tolist(), key=str)
    if len(classes) < 2:
        raise DataError(
            f"All labelled samples belong to one class ({classes}): a classifier needs two."
        )
    if positive is None:
        if set(classes) <= {0, 1} or set(classes) <= {False, True}:
            return labels.astype(int).to_numpy(), "1"
        raise DataError(
            f"Labels are {_examples(classes)}: say which is the positive class with "
            f"positive=<value> (other classes become 0)."
        )
    if positive not in classes and str(positive) not in map(str, classes):
        raise DataError(f"positive={positive!r} is not a label; labels are {_examples(classes)}.")
    return (labels.astype(str) == str(positive)).astype(int).to_numpy(), str(positive)


def book_settings(folder: str | os.PathLike = ".") -> dict | None:
    """The ``user`` entry of the user book's settings in ``folder`` (``BOOK_SETTINGS``), or
    None when the folder holds no user book."""
    path = Path(folder) / BOOK_SETTINGS
    if not path.is_file():
        return None
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("user")


def load_book_dataset(name: str, folder: str | os.PathLike = ".") -> Dataset | None:
    """The dataset that the user book in ``folder`` calls ``name``, loaded as its settings say
    (``load_table`` with its labels and options), or None when the folder holds no book of that
    name. A file whose SHA-256 is not the one the book recorded is refused: the book would mix
    two files."""
    user = book_settings(folder)
    if not user or user.get("folder") != name:
        return None
    ds = load_table(user["path"], labels=user.get("labels"),
                    label_column=user.get("label_column", "label"),
                    positive=user.get("positive"), missing=user.get("missing", "error"))
    found = ds.info["checksums"].get(Path(user["path"]).name)
    if found != user.get("sha256"):
        raise DataError(f"{user['path']} has changed since its book in {Path(folder).absolute()} "
                        f"was started (SHA-256 {str(found)[:12]}..., recorded "
                        f"{str(user.get('sha256'))[:12]}...): build the new file's book in a "
                        f"folder of its own.")
    return ds


def load_table(
    path: str | os.PathLike,
    labels=None,
    label_column: str = "label",
    sample_column: str | None = None,
    positive=None,
    samples_as_rows: bool | None = None,
    missing: str = "error",
    cv_folds: int | None = 5,
) -> Dataset:
    """Load a user's expression matrix plus labels as a Dataset (``info["source"] == "user"``).

    ``labels`` is a column of the table (``label_column``), or a separate CSV/TSV (sample id in
    ``sample_column`` or its first column, label in ``label_column`` or its only other column),
    or a pandas Series indexed by sample id. ``sample_column`` names the table's sample id column
    when samples are rows (default: the first column). Missing values follow ``missing`` (see
    ``validation``). ``cv_folds`` checks that each class can fill that many folds (None: skip).
    """
    path = Path(path).expanduser()
    label_series = None if labels is None else _read_labels(labels, label_column, sample_column)
    if _suffix(path) == ".h5ad":
        _require_file(path)
        frame, obs_labels = _read_h5ad(path, label_column)
        samples_as_rows = True
        label_series = label_series if label_series is not None else obs_labels
        if label_series is None:
            raise DataError(f"{path} has no obs column {label_column!r}; pass label_column= or "
                            f"labels=.")
    else:
        frame = read_table(path, sample_column)
        if sample_column is not None:
            frame = frame.reset_index()
            if sample_column not in frame.columns:
                raise DataError(f"No column {sample_column!r} in {path}; columns start "
                                f"{_examples(list(frame.columns))}.")
            frame = frame.set_index(sample_column)
            samples_as_rows = True
    frame, label_series, samples_as_rows = _orient(frame, label_series, label_column,
                                                   samples_as_rows)
    frame.index = frame.index.astype(str)
    frame.columns = frame.columns.astype(str)
    repeated = duplicates(frame.index)
    if repeated:  # the labels could not say which row is which
        raise DataError(f"{path}: {len(repeated)} sample ids occur more than once "
                        f"({_examples(repeated)}). Sample ids must be unique: drop or rename the "
                        f"repeated samples.")
    label_series = pd.Series(label_series.to_numpy(), index=label_series.index.astype(str))
    repeated = duplicates(label_series.index)
    if repeated:
        raise DataError(f"The labels name {len(repeated)} samples more than once "
                        f"({_examples(repeated)}): give each sample one label.")

    unlabelled = [s for s in frame.index if s not in label_series.index or
                  pd.isna(label_series.get(s))]
    if unlabelled:
        raise DataError(
            f"{len(unlabelled)} of {len(frame)} samples have no label ({_examples(unlabelled)}). "
            f"Labels must cover every sample of the table: check the sample ids, or drop those "
            f"samples from the matrix."
        )
    frame = require_numeric(frame, str(path))
    frame, missing_report = apply_missing_policy(frame, missing, str(path))
    y, positive_name = binarize(label_series.loc[frame.index], positive)
    if cv_folds is not None:
        check_cv_folds(y, cv_folds)
    return Dataset(
        X=frame.to_numpy(dtype=np.float32),
        y=y,
        feature_names=frame.columns.to_numpy(),
        sample_ids=frame.index.to_numpy(),
        info={
            "name": path.name, "source": "user", "positive_class": positive_name,
            "task": f"{positive_name} vs rest (user data)", "provenance": str(path.resolve()),
            "checksums": {path.name: sha256(path)} if path.is_file() else {},
            "samples_as_rows": samples_as_rows, **missing_report,
        },
    )
