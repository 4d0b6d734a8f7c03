"""The result cache: one JSON record per (model, protocol, data, fold), so an interrupted run
resumes and a fit shared by two experiments (the comparison's "hybrid" is the ablation's "full")
runs once.

    >>> record = cached("runs/cache", dataset, "hybrid", "fold0", estimator, protocol,
    ...                 lambda: fit_and_score(...))        # computed once, then read
    >>> cached_record("runs/cache", dataset, "fold0", estimator, protocol)   # read only, or None

The key (``fit_key``) is the SHA-256 of the estimator's class and parameters
(``describe_estimator``, with the code of anything it carries from outside the installed
libraries), the protocol (``protocol.describe()``: an ``evaluation.Protocol``), the data
(``dataset_fingerprint``), the fold, the package's code (``code_digest.package_digest``), the
package version and ``RECORD_FORMAT``. A model whose code cannot be read is fitted without the
cache, with a warning. Each file holds its record with the record's digest; a damaged or
edited file is removed and refitted.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import warnings
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from . import __version__
from .code_digest import UnreadableCode, callable_digest, package_digest
from .datasets import Dataset

# Bumped whenever what a cached record holds, or how it is computed, changes: old records
# are then refitted rather than read with fields missing.
RECORD_FORMAT = 10  # 10: a fit "learned" when it beat predicting its training rows' class shares


def dataset_fingerprint(dataset: Dataset) -> str:
    """Shape plus a hash of X, y, sample ids and groups: changes whenever the data do."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(dataset.X).tobytes())
    digest.update(np.ascontiguousarray(dataset.y).tobytes())
    for labels in (dataset.sample_ids, dataset.groups):
        digest.update(b"\0".join(str(v).encode() for v in ([] if labels is None else labels)))
        digest.update(b"\1")
    n, d = dataset.shape
    return f"{n}x{d}-{digest.hexdigest()}"


def _qualified_name(obj) -> str:
    """A class or function by its qualified name, and by its code when that lies outside the
    installed libraries (``code_digest.callable_digest``): two lambdas differ."""
    name = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
    code = callable_digest(obj)
    return name if code is None else f"{name}@{code[:16]}"


def describe_estimator(value) -> Any:
    """An estimator's class and parameters as plain JSON values, stable across processes
    (classes and functions by qualified name, arrays by hash): the model part of a cache key."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        return {"class": _qualified_name(type(value)),
                "params": {k: describe_estimator(v)
                           for k, v in sorted(value.get_params(deep=False).items())}}
    if isinstance(value, Mapping):
        return {str(k): describe_estimator(v) for k, v in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [describe_estimator(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"array": hashlib.blake2b(np.ascontiguousarray(value).tobytes()).hexdigest()}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, type) or callable(value):
        return _qualified_name(value)
    return repr(value)


def fit_key(estimator, protocol, fingerprint: str, fold: str) -> str:
    """What a cached fold depends on: model, protocol, data, fold, the package's code and
    version. Two fits with the same key are one fit (``jobs`` runs it once: with
    ``fingerprint`` "" it compares fits on one dataset without loading it). Raises
    ``code_digest.UnreadableCode`` for a model whose own code cannot be read."""
    return hashlib.sha256(json.dumps({
        "model": describe_estimator(estimator), "protocol": protocol.describe(),
        "dataset": fingerprint, "fold": fold, "code": package_digest(),
        "version": __version__, "record": RECORD_FORMAT,
    }, sort_keys=True).encode()).hexdigest()


def _key_or_none(estimator, protocol, fingerprint: str, fold: str) -> str | None:
    """``fit_key``, or None with a warning when the model carries code that cannot be read:
    such a fit is computed every time, never cached."""
    try:
        return fit_key(estimator, protocol, fingerprint, fold)
    except UnreadableCode as error:
        warnings.warn(f"Not cached: the model carries code whose source and bytecode cannot be "
                      f"read ({error}), so a cached result could belong to other code. Define "
                      f"it in a module file to cache it.", stacklevel=3)
        return None


def _cache_path(cache_dir: Path, dataset: Dataset, name: str, fold: str, key: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{dataset.name}__{name}__{fold}")
    return cache_dir / f"{slug}__{key[:16]}.json"


def _write_atomically(path: Path, record: dict) -> None:
    """Write to a temporary file, then rename: an interrupted run never leaves half a file.
    The file holds the record with the SHA-256 of its JSON, so that a file damaged or edited
    later (a disk, a sync tool, a hand) is refitted, never reported as a result (``_stored``)."""
    payload = json.dumps(record)
    digest = hashlib.sha256(payload.encode()).hexdigest()
    _replace(path, f'{{"sha256": "{digest}", "record": {payload}}}'.encode())


def _replace(path: Path, content: bytes) -> None:
    """Write ``content`` to a temporary file beside ``path``, then rename it over ``path``."""
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def cached(cache_dir: str | Path | None, dataset: Dataset, name: str, fold: str, estimator,
           protocol, compute, fingerprint: str | None = None) -> dict:
    """The JSON record ``compute()`` returns for ``name`` and ``fold``, read from ``cache_dir``
    when a run stored it under the same key (model parameters, protocol, data, fold, package
    version), else computed and stored atomically. Without ``cache_dir``: computed.
    ``fingerprint`` (``dataset_fingerprint``) saves rehashing a large data set per call."""
    if cache_dir is None:
        return compute()
    cache = Path(cache_dir)
    if cache.exists() and not cache.is_dir():
        raise NotADirectoryError(f"cache_dir={str(cache)!r} is a file, not a folder: name a "
                                 f"folder for the per-fold results (it is created if absent), "
                                 f"or None to cache nothing.")
    key = _key_or_none(estimator, protocol, fingerprint or dataset_fingerprint(dataset), fold)
    if key is None:
        return compute()
    cache.mkdir(parents=True, exist_ok=True)
    found = _stored(cache, key)
    if found is not None:
        return found
    record = compute()
    _write_atomically(_cache_path(cache, dataset, name, fold, key), record)
    return record


def cached_pipeline(cache_dir: str | Path | None, dataset: Dataset, name: str, part: str,
                    estimator, protocol, fit) -> Any:
    """The fitted pipeline ``fit()`` returns for ``estimator`` on ``part`` of ``dataset``, read
    from ``cache_dir`` when a run stored it under the same key as ``cached`` would use, else
    fitted and stored (pickled, with its SHA-256: a damaged file is fitted again). For what
    needs the model itself, not its predictions: notebook 05's attention maps, refiner weights
    and Grad-CAM (``experiments.explanation_pipeline``), fitted by a fold-level job (``jobs``)
    and only read by the notebook. Without ``cache_dir``: fitted."""
    if cache_dir is None:
        return fit()
    cache = Path(cache_dir)
    key = _key_or_none(estimator, protocol, dataset_fingerprint(dataset), f"{part}/pipeline")
    if key is None:
        return fit()
    cache.mkdir(parents=True, exist_ok=True)
    path = _cache_path(cache, dataset, name, part, key).with_suffix(".pkl")
    if path.exists():
        digest, _, payload = path.read_bytes().partition(b"\n")
        if hashlib.sha256(payload).hexdigest().encode() == digest:
            return pickle.loads(payload)
        warnings.warn(f"Cache file {path} is damaged (its content does not match the digest "
                      f"stored with it): it is removed and the pipeline is fitted again.",
                      stacklevel=2)
        path.unlink(missing_ok=True)
    pipeline = fit()
    payload = pickle.dumps(pipeline)
    _replace(path, hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    return pipeline


def cached_record(cache_dir: str | Path, dataset: Dataset, fold: str, estimator,
                  protocol) -> dict | None:
    """The record a run stored for ``estimator`` on ``fold`` under ``protocol`` (whatever name
    it ran under), or None: a lookup that never fits."""
    cache = Path(cache_dir)
    if not cache.is_dir():
        return None
    key = _key_or_none(estimator, protocol, dataset_fingerprint(dataset), fold)
    return None if key is None else _stored(cache, key)


def _stored(cache: Path, key: str) -> dict | None:
    """The record stored under ``key``, or None. A file whose record does not match the digest
    written with it (cut short, edited, or from before records carried one) is removed with a
    warning that names it, and None makes the caller fit again."""
    # The key holds everything a record depends on, the model's name does not: the ablation's
    # "full" is the comparison's "hybrid", fitted once.
    path = next(cache.glob(f"*__{key[:16]}.json"), None)
    if path is None:
        return None
    try:
        stored = json.loads(path.read_text())
        record = stored["record"]
        intact = hashlib.sha256(json.dumps(record).encode()).hexdigest() == stored["sha256"]
    except (ValueError, KeyError, TypeError):  # not JSON, or JSON of another shape
        intact = False
    if intact:
        return record
    warnings.warn(f"Cache file {path} is damaged or was edited (its record does not match the "
                  f"digest stored with it): it is removed and its fit is computed again.",
                  stacklevel=3)
    path.unlink(missing_ok=True)  # a run beside this one may have removed it first
    return None
