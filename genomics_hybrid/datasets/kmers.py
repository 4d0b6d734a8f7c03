"""Counting DNA k-mers in promoter sequences: the features of the ENCSR000AED derived task.

Counts are of overlapping windows on the strand given (promoters are written 5'->3' on the
gene's own strand), case-insensitive (soft-masked repeats count), and windows that contain any
base other than A, C, G or T are skipped. Features are ordered lexicographically (AAAAAAA first).
"""

from __future__ import annotations

from itertools import product
from typing import Iterable, Iterator

import numpy as np

from .errors import DataError

_CODE = np.full(256, 4, dtype=np.int64)
for _i, _base in enumerate("ACGT"):
    _CODE[ord(_base)] = _CODE[ord(_base.lower())] = _i


def kmer_names(k: int) -> np.ndarray:
    return np.array(["".join(p) for p in product("ACGT", repeat=k)], dtype=object)


def count_kmers(sequence: str | bytes, k: int) -> np.ndarray:
    """Counts of all 4**k k-mers in one sequence, as a 1-D int array."""
    raw = sequence.encode("ascii") if isinstance(sequence, str) else sequence
    codes = _CODE[np.frombuffer(raw, dtype=np.uint8)]
    n_windows = len(codes) - k + 1
    if n_windows <= 0:
        return np.zeros(4**k, dtype=np.int64)
    invalid = (codes == 4).astype(np.int64)
    window_invalid = np.convolve(invalid, np.ones(k, dtype=np.int64), mode="valid") > 0
    index = np.zeros(n_windows, dtype=np.int64)
    for offset in range(k):
        index = index * 4 + np.minimum(codes[offset : offset + n_windows], 3)
    return np.bincount(index[~window_invalid], minlength=4**k)


def count_matrix(sequences: Iterable[str | bytes], k: int) -> np.ndarray:
    """Stack k-mer counts of many sequences into a float32 samples x 4**k matrix."""
    rows = [count_kmers(seq, k).astype(np.float32) for seq in sequences]
    return np.vstack(rows) if rows else np.zeros((0, 4**k), dtype=np.float32)


def read_fasta(handle) -> Iterator[tuple[str, str]]:
    """Yield (record id, sequence); the id is the header's first token."""
    name, chunks = None, []
    for lineno, line in enumerate(handle, 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(">"):
            if name is not None:
                yield name, "".join(chunks)
            name, chunks = line[1:].split()[0] if len(line) > 1 else "", []
        elif name is None:
            raise DataError(f"Not a FASTA file: line {lineno} comes before any '>' header.")
        else:
            chunks.append(line)
    if name is not None:
        yield name, "".join(chunks)
