"""Where real data files live, how they are read safely, and how their checksums are kept.

The data directory is, in order: the ``data_dir`` argument, the ``GENOMICS_HYBRID_DATA``
environment variable, the ``data/`` folder of a source checkout, else the user cache
(``pooch.os_cache("genomics-hybrid")``). Each dataset has its own sub-folder.

Checksums: the SHA-256 of every real file is recorded in ``<data dir>/checksums.json`` the first
time it is downloaded or loaded (a load records it only once the file parsed, so a truncated
file never becomes the reference); later loads verify against that record, so a file that
changed or was truncated after download is caught, not silently used.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pooch

from .errors import DataError, DataNotFoundError

ENV_VAR = "GENOMICS_HYBRID_DATA"
CHECKSUMS = "checksums.json"
_CHECKOUT_DATA = Path(__file__).resolve().parents[2] / "data"


def data_home(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder that holds (or will hold) the real data files."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    if (_CHECKOUT_DATA / "README.md").exists():
        return _CHECKOUT_DATA
    return Path(pooch.os_cache("genomics-hybrid"))


def sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def _registry_path(home: Path) -> Path:
    return home / CHECKSUMS


def read_checksums(home: Path) -> dict[str, str]:
    path = _registry_path(home)
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON ({exc}); delete it to re-record checksums.") from exc


def _registry_key(path: Path, home: Path) -> str:
    return path.resolve().relative_to(home.resolve()).as_posix()


def record_checksums(home: Path, digests: dict[Path, str]) -> None:
    """Record the SHA-256 of files that have none recorded yet (``verify_checksum``'s hashes)."""
    registry = read_checksums(home)
    new = {_registry_key(path, home): digest for path, digest in digests.items()
           if _registry_key(path, home) not in registry}
    if new:
        _registry_path(home).write_text(json.dumps(registry | new, indent=2, sort_keys=True)
                                        + "\n")


def verify_checksum(path: Path, home: Path, record: bool = True) -> str:
    """Check ``path`` against its recorded SHA-256 and return its hash. ``record``: record the
    hash of a new file now (a finished download); the loaders pass False and record it with
    ``record_checksums`` once the file parsed."""
    actual = sha256(path)
    expected = read_checksums(home).get(_registry_key(path, home))
    if expected is None and record:
        record_checksums(home, {path: actual})
    elif expected is not None and expected != actual:
        raise DataError(
            f"Checksum mismatch for {path}: recorded sha256 {expected[:12]}..., file has "
            f"{actual[:12]}.... The file changed or is incomplete since it was first recorded. "
            f"Delete it and download it again (genomics-hybrid download <dataset>), or, if you "
            f"replaced it on purpose, remove its entry from {_registry_path(home)}."
        )
    return actual


def require_file(path: Path, dataset: str, url: str | None, how: str = "") -> Path:
    """Return ``path`` if it exists, else say exactly which file to place where."""
    if path.exists():
        return path
    where = f" from {url}" if url else ""
    raise DataNotFoundError(
        f"Real data for {dataset!r} not found: expected {path}. Download it with "
        f"`genomics-hybrid download {dataset}` (needs a network), or place the file there by hand"
        f"{where}. {how}Offline, use source='replica' for a synthetic stand-in."
    )


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


@contextmanager
def readable(path: Path) -> Iterator[None]:
    """Turn the errors of a truncated or corrupt (gzip) file into a DataError naming the file."""
    try:
        yield
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(
            f"{path} is truncated or corrupt ({type(exc).__name__}: {exc}). Delete it and download "
            f"it again; if you made it yourself, re-create it (`gzip -t {path.name}` tests a gzip)."
        ) from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc}): is it the right file? A table in "
                        f"another encoding (e.g. Latin-1 from a spreadsheet) must be saved as "
                        f"UTF-8 first.") from exc


def open_text(path: Path):
    """Open a plain or gzipped text file (detected by content, not by name)."""
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")
