"""Datasets: the paper's three (real loaders and offline replicas), bundled real sets, user files.

    >>> from genomics_hybrid.datasets import load, load_table
    >>> ds = load("tcga_brca", source="replica")      # offline synthetic stand-in
    >>> ds = load("pbmc68k")                          # real data shipped with scanpy
    >>> ds = load_table("expr.tsv.gz", labels="labels.tsv", positive="tumour")
"""

from .dataset import Dataset
from .errors import DataError, DataNotFoundError
from .files import data_home
from .registry import available, get, load
from .user import load_table

__all__ = ["Dataset", "DataError", "DataNotFoundError", "available", "data_home", "get", "load",
           "load_table"]
