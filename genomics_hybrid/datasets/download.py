"""Download the real files of the paper's three datasets into the data directory.

    >>> from genomics_hybrid.datasets.download import download
    >>> download("tcga_brca")            # or: genomics-hybrid download tcga_brca

Downloads resume: bytes arrive in a stable ``<target>.part`` next to the target, and a later run
asks the server only for the rest (HTTP Range), so a dropped connection on a large matrix costs
nothing already transferred. Files already present are checked against ``checksums.json`` and
skipped, so an interrupted multi-file download picks up where it stopped.

Checksums: a SHA-256 already recorded for a file is what the download must match; otherwise the
source's own checksum is used where it publishes one (ENCODE's md5sum), and the SHA-256 of the
new file is recorded for later loads to check.

The URLs (GEO, UCSC Xena, the ENCODE portal API, Ensembl BioMart) were written from their
documentation and could not be checked from the offline machine this code was written on.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pooch
import requests
import urllib3
from tqdm import tqdm

from .errors import DataError
from .files import CHECKSUMS, data_home, read_checksums, verify_checksum
from .real import ENCODE_EXPERIMENT, ENCODE_PROMOTERS, ENCODE_QUANT_DIR, encode_quantifications
from .registry import BundledDataset, get

ENCODE_PORTAL = "https://www.encodeproject.org"
TIMEOUT_S = 60
CHUNK_BYTES = 1 << 16


class ResumingDownloader:
    """A pooch downloader that keeps a stable ``.part`` file so a failed download can resume.

    pooch hands each download a fresh temporary file, which would throw away a partial transfer;
    this one writes to ``partial`` instead, asks for ``Range: bytes=<size>-`` when it exists,
    appends on 206 Partial Content, restarts on 200 (server ignores Range), and moves the
    finished file to pooch's temporary file, which pooch then checks and renames to the target.
    """

    def __init__(self, partial: Path, progress: bool = True):
        self.partial = partial
        self.progress = progress

    def __call__(self, url: str, output_file: str, pooch_instance=None) -> None:
        offset = self.partial.stat().st_size if self.partial.exists() else 0
        # identity: byte offsets must count the file's bytes, not those of a compressed transfer
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        with requests.get(url, headers=headers, stream=True, timeout=TIMEOUT_S) as response:
            status = response.status_code
            if offset and status == 416 and _content_range_total(response) == offset:
                pass  # the .part already holds the whole file
            elif offset and status in (206, 416) and _content_range_start(response) != offset:
                self.partial.unlink()  # the server does not continue where we stopped: restart
                return self(url, output_file, pooch_instance)
            else:
                response.raise_for_status()
                self._write(response, append=bool(offset) and status == 206, offset=offset)
        os.replace(self.partial, output_file)

    def _write(self, response: requests.Response, append: bool, offset: int) -> None:
        start = offset if append else 0
        length = response.headers.get("Content-Length")
        with open(self.partial, "ab" if append else "wb") as fh, tqdm(
            total=start + int(length) if length else None, initial=start, unit="B",
            unit_scale=True, unit_divisor=1024, desc=self.partial.name.removesuffix(".part"),
            disable=not self.progress, file=sys.stderr,
        ) as bar:
            try:
                for chunk in response.raw.stream(CHUNK_BYTES, decode_content=False):
                    fh.write(chunk)
                    bar.update(len(chunk))
            except urllib3.exceptions.HTTPError as exc:  # as requests' iter_content would
                raise requests.ConnectionError(exc) from exc


def _content_range_start(response: requests.Response) -> int | None:
    """First byte of a ``Content-Range: bytes <start>-<end>/<total>`` header."""
    spec = response.headers.get("Content-Range", "").removeprefix("bytes ")
    first = spec.split("-")[0]
    return int(first) if first.isdigit() else None


def _content_range_total(response: requests.Response) -> int | None:
    total = response.headers.get("Content-Range", "").rpartition("/")[2]
    return int(total) if total.isdigit() else None


def partial_path(target: Path) -> Path:
    """Where the bytes of ``target`` collect until its download is complete."""
    return target.with_name(target.name + ".part")


@contextmanager
def _quiet_pooch() -> Iterator[None]:
    """pooch logs advice meant for pooch users (e.g. pass known_hash); ours report themselves."""
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _request_error(url: str, exc: requests.RequestException, place: str) -> DataError:
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return DataError(
            f"Could not reach {url} ({type(exc).__name__}): downloading needs a network. "
            f"Without one, {place}, then load with source='real'."
        )
    return DataError(f"Download from {url} failed ({exc}): the address may have moved or the "
                     f"server may be down. Try again later, or {place}.")


def _retrieve(url: str, target: Path, home: Path, known_hash: str | None, progress: bool) -> None:
    """Fetch ``url`` to ``target`` with pooch, resuming from ``<target>.part``."""
    downloader = ResumingDownloader(partial_path(target), progress)
    try:
        with _quiet_pooch():
            pooch.retrieve(url, known_hash, fname=target.name, path=target.parent,
                           downloader=downloader)
    except requests.RequestException as exc:
        place = f"place the file there by hand: {target}"
        kept = downloader.partial.stat().st_size if downloader.partial.exists() else 0
        if kept:
            raise DataError(f"Download from {url} broke off ({exc}); the {kept} bytes received "
                            f"are kept in {downloader.partial}. Run the download again to resume, "
                            f"or {place}.") from exc
        raise _request_error(url, exc, place) from exc
    except ValueError as exc:  # pooch's hash mismatch; it has already deleted the bad download
        raise DataError(
            f"Checksum mismatch for {target}, downloaded from {url}: {exc} Run the download "
            f"again to re-download it; if it fails the same way, the file changed at the source "
            f"since its checksum was recorded: remove its entry from {home / CHECKSUMS} to "
            f"accept the new version."
        ) from exc


def _recorded_hash(target: Path, home: Path) -> str | None:
    return read_checksums(home).get(target.resolve().relative_to(home.resolve()).as_posix())


def fetch_file(url: str, target: Path, home: Path, known_hash: str | None = None,
               progress: bool = True) -> Path:
    """Download ``url`` to ``target`` unless it is already there and verified.

    The SHA-256 recorded in ``home/checksums.json`` takes precedence over ``known_hash`` (any
    pooch hash, e.g. ``md5:...``) because it is what the loaders check; a new file's SHA-256 is
    recorded.
    """
    if not target.exists():
        _retrieve(url, target, home, _recorded_hash(target, home) or known_hash, progress)
    verify_checksum(target, home)
    return target


def _fetch_promoters(url: str, target: Path, home: Path, progress: bool) -> Path:
    """BioMart answers plain FASTA text; the loader's file is gzipped, so compress it on arrival."""
    if target.exists():
        verify_checksum(target, home)
        return target
    plain = target.with_suffix("")  # stays until compressed, so a rerun does not fetch it again
    _retrieve(url, plain, home, None, progress)
    with open(plain, "rb") as fh:
        head = fh.read(300)
    if head.startswith(b"\x1f\x8b"):  # a mirror may serve it compressed already
        os.replace(plain, target)
    elif head.startswith(b">"):
        compressing = partial_path(target)
        with open(plain, "rb") as src, gzip.GzipFile(compressing, "wb", mtime=0) as dst:
            shutil.copyfileobj(src, dst)  # mtime 0: the same text always gives the same hash
        os.replace(compressing, target)
        plain.unlink()
    else:
        plain.unlink()
        raise DataError(
            f"{url} did not answer FASTA but {head.decode('utf-8', 'replace')!r}. BioMart may be "
            f"down or the query outdated; place a gzipped FASTA of 1 kb upstream flanks (Ensembl "
            f"gene id headers) at {target} by hand."
        )
    verify_checksum(target, home)
    return target


def encode_search_url() -> str:
    """The ENCODE portal query for the experiment's released gene quantification TSVs."""
    return (f"{ENCODE_PORTAL}/search/?type=File&dataset=/experiments/{ENCODE_EXPERIMENT}/"
            f"&output_type=gene+quantifications&file_format=tsv&status=released"
            f"&format=json&limit=all")


def select_quantifications(search_json: dict) -> list[dict]:
    """Pick one gene quantification TSV for each of two biological replicates.

    Rule: keep released TSV gene quantifications of a single biological replicate; group them by
    (assembly, genome annotation) so both replicates were quantified the same way; among groups
    covering at least two replicates prefer GRCh38, then the group with the newest file; in it take
    the two lowest-numbered replicates and, for each, its newest file (``date_created``).
    """
    usable = [item for item in search_json.get("@graph", [])
              if item.get("output_type") == "gene quantifications"
              and item.get("file_format") == "tsv" and item.get("status") == "released"
              and len(item.get("biological_replicates") or []) == 1]
    groups: dict[tuple, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for item in usable:
        key = (item.get("assembly"), item.get("genome_annotation"))
        groups[key][item["biological_replicates"][0]].append(item)
    complete = {key: reps for key, reps in groups.items() if len(reps) >= 2}
    if not complete:
        raise DataError(
            f"The ENCODE portal lists no released gene quantification TSVs of two biological "
            f"replicates quantified alike for {ENCODE_EXPERIMENT} ({len(usable)} single-replicate "
            f"TSVs found). Place two replicates' TSVs from "
            f"{ENCODE_PORTAL}/experiments/{ENCODE_EXPERIMENT}/ in the quantifications folder "
            f"by hand."
        )

    def newest(items: list[dict]) -> dict:
        return max(items, key=lambda item: item.get("date_created", ""))

    def preference(key: tuple) -> tuple:
        return key[0] == "GRCh38", max(newest(f).get("date_created", "")
                                       for f in complete[key].values())

    replicates = complete[max(complete, key=preference)]
    return [newest(replicates[number]) for number in sorted(replicates)[:2]]


def _encode_quantifications(quant_dir: Path, home: Path, progress: bool) -> list[Path]:
    present = encode_quantifications(quant_dir)
    if len(present) == 2:  # both already here: no need to ask the portal
        for path in present:
            verify_checksum(path, home)
        return present
    url = encode_search_url()
    place = (f"place the gene quantification TSVs of both replicates (from "
             f"{ENCODE_PORTAL}/experiments/{ENCODE_EXPERIMENT}/) in {quant_dir} by hand")
    try:
        response = requests.get(url, headers={"Accept": "application/json"}, timeout=TIMEOUT_S)
        response.raise_for_status()
        listing = response.json()
    except requests.RequestException as exc:
        raise _request_error(url, exc, place) from exc
    return [
        fetch_file(ENCODE_PORTAL + item["href"], quant_dir / f"{item['accession']}.tsv", home,
                   f"md5:{item['md5sum']}" if item.get("md5sum") else None, progress)
        for item in select_quantifications(listing)
    ]


def download(name: str, data_dir: str | os.PathLike | None = None, progress: bool = True, *,
             urls: Mapping[str, str] | None = None) -> list[Path]:
    """Download the real files of a paper dataset into ``<data dir>/<name>/``; return their paths.

    ``urls`` replaces the source of files by their path inside the dataset folder (the
    ``RemoteFile.relpath`` of the registry), e.g. for a mirror. ENCODE quantifications are
    found through the ENCODE portal API (:func:`select_quantifications` says which are taken).
    """
    spec = get(name)
    if isinstance(spec, BundledDataset):
        raise DataError(f"{spec.name!r} ships with its Python package: there is nothing to "
                        f"download. Load it with load({spec.name!r}).")
    home = data_home(data_dir)
    folder = spec.folder(data_dir)
    urls = urls or {}
    if spec.name != "encsr000aed":
        return [fetch_file(urls.get(f.relpath, f.url), folder / f.relpath, home,
                           progress=progress) for f in spec.files]
    promoter = next(f for f in spec.files if f.relpath == ENCODE_PROMOTERS)
    quantifications = _encode_quantifications(folder / ENCODE_QUANT_DIR, home, progress)
    promoters = _fetch_promoters(urls.get(promoter.relpath, promoter.url),
                                 folder / ENCODE_PROMOTERS, home, progress)
    return [*quantifications, promoters]
