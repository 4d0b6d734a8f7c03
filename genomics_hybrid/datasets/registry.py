"""The named datasets: the paper's three (real files or offline replica) and six real sets that
install with the project (two from Python packages, four vendored in ``data/real/``)."""

from __future__ import annotations

import difflib
import inspect
import os
import warnings
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from . import bundled, real, replicas, vendored
from .dataset import Dataset
from .errors import DataError
from .files import data_home

SOURCES = ("auto", "real", "replica")


@dataclass(frozen=True)
class RemoteFile:
    """A file of a real dataset: where it goes inside the dataset folder, and where it comes from.

    ``url`` None means the address is looked up at download time (ENCODE's portal API).
    """

    relpath: str
    url: str | None
    description: str


@dataclass(frozen=True)
class PaperDataset:
    name: str
    title: str
    paper_description: str
    files: tuple[RemoteFile, ...]
    load_real: Callable[..., Dataset]
    make_replica: Callable[..., Dataset]
    # What its rows are grouped by (cross-validation keeps a group on one side; the paper's
    # stratified split does not), or None: known without loading the data (``jobs``).
    groups: str | None = None

    def folder(self, data_dir=None) -> Path:
        return data_home(data_dir) / self.name

    def has_real_files(self, data_dir=None) -> bool:
        folder = self.folder(data_dir)
        if self.name == "encsr000aed":
            quants = real.encode_quantifications(folder / real.ENCODE_QUANT_DIR)
            return (folder / real.ENCODE_PROMOTERS).exists() and len(quants) == 2
        return all((folder / f.relpath).exists() for f in self.files)


@dataclass(frozen=True)
class BundledDataset:
    name: str
    title: str
    load_real: Callable[[], Dataset]
    groups: str | None = None   # as PaperDataset.groups


PAPER_DATASETS = {
    "gse72056": PaperDataset(
        "gse72056", "GEO GSE72056 melanoma scRNA-seq (Tirosh et al. 2016)",
        "4,645 cells x ~23,000 genes, 35 % malignant (paper)",
        (RemoteFile(real.GSE72056_FILE, real.GSE72056_URL,
                    "GEO supplementary matrix: genes x cells, three annotation rows"),),
        real.load_gse72056, replicas.gse72056, groups="tumour",
    ),
    "tcga_brca": PaperDataset(
        "tcga_brca", "TCGA-BRCA bulk RNA-seq (UCSC Xena HiSeqV2)",
        "~1,100 samples x >20,000 genes, 62 % cancer / 38 % normal (paper)",
        (RemoteFile(real.XENA_FILE, real.XENA_URL,
                    "Xena TCGA.BRCA.sampleMap/HiSeqV2: genes x samples, log2(RSEM norm + 1)"),),
        real.load_tcga_brca, replicas.tcga_brca, groups="patient",
    ),
    "encsr000aed": PaperDataset(
        "encsr000aed", "ENCODE ENCSR000AED (GM12878) derived task: promoter 7-mers -> expression",
        "~5,300 instances x >15,000 features, slight positive majority (paper)",
        (RemoteFile(f"{real.ENCODE_QUANT_DIR}/<accession>.tsv", None,
                    "gene quantification TSVs of both replicates (ENCODE portal)"),
         RemoteFile(real.ENCODE_PROMOTERS, real.ENCODE_PROMOTER_URL,
                    "1 kb upstream sequences of every gene, FASTA, Ensembl gene id headers")),
        real.load_encsr000aed, replicas.encsr000aed,
    ),
}
BUNDLED_DATASETS = {
    "pbmc68k": BundledDataset("pbmc68k", "scanpy pbmc68k_reduced (10x PBMCs)",
                              bundled.load_pbmc68k),
    "gse7390": BundledDataset("gse7390", "GSE7390 breast cancer (scikit-survival)",
                              bundled.load_gse7390),
    "tcga_brca_subset": BundledDataset(
        "tcga_brca_subset", "TCGA-BRCA real subset: 30 tumours, 30 normals (GDC counts)",
        vendored.load_tcga_brca_subset, groups="patient"),
    "singh": BundledDataset("singh", "Singh 2002 prostate tumour vs normal (HG-U95Av2)",
                            partial(vendored.load_array, "singh")),
    "chowdary": BundledDataset("chowdary", "Chowdary 2006 breast vs colon tumours (HG-U133A)",
                               partial(vendored.load_array, "chowdary")),
    "alon": BundledDataset("alon", "Alon 1999 colon tumour vs normal (Hu6800)",
                           partial(vendored.load_array, "alon")),
}


def available() -> list[str]:
    return [*PAPER_DATASETS, *BUNDLED_DATASETS]


def has_groups(name: str) -> bool:
    """Whether registry dataset ``name`` groups its rows (tumours, patients); False for a name
    the registry does not know (a user's file has no groups)."""
    key = str(name).lower()
    spec = PAPER_DATASETS.get(key) or BUNDLED_DATASETS.get(key)
    return spec is not None and spec.groups is not None


def get(name: str) -> PaperDataset | BundledDataset:
    key = str(name).lower()
    if key in PAPER_DATASETS:
        return PAPER_DATASETS[key]
    if key in BUNDLED_DATASETS:
        return BUNDLED_DATASETS[key]
    close = difflib.get_close_matches(key, available(), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise DataError(
        f"Unknown dataset {name!r}.{hint} Known datasets: {', '.join(available())}. For your own "
        f"file use genomics_hybrid.datasets.load_table(path, ...)."
    )


def load(name: str, source: str = "auto", data_dir: str | os.PathLike | None = None,
         seed: int = 0, **options) -> Dataset:
    """Load a named dataset.

    ``source``: "real" reads the real files from the data directory (error if absent, saying
    which file to place where), "replica" generates the offline synthetic replica (``seed``),
    "auto" takes the real files when present, else the replica, and warns which it used.
    The real sets that install with the project (``BUNDLED_DATASETS``) ignore ``source`` "auto"
    and refuse "replica".
    ``options`` go to the real loader (e.g. ``missing=``).
    """
    spec = get(name)
    if source not in SOURCES:
        raise DataError(f"source={source!r} is not one of {SOURCES}.")
    if isinstance(spec, BundledDataset):
        if source == "replica":
            raise DataError(f"{spec.name!r} is real data that installs with the project: it has no "
                            f"replica. Use source='auto' or 'real'.")
        return spec.load_real()
    if source == "auto":
        source = "real" if spec.has_real_files(data_dir) else "replica"
        if source == "replica":
            warnings.warn(
                f"No real files for {spec.name!r} in {spec.folder(data_dir)}: using the offline "
                f"synthetic replica. Run `genomics-hybrid download {spec.name}` for the real data.",
                stacklevel=2,
            )
    if source == "replica":
        return spec.make_replica(seed=seed)
    accepted = inspect.signature(spec.load_real).parameters
    unknown = sorted(set(options) - set(accepted) - {"folder", "home"})
    if unknown:
        raise DataError(f"The real loader of {spec.name!r} takes no option {unknown} (it takes "
                        f"{sorted(set(accepted) - {'folder', 'home'}) or 'none'}); leave it out.")
    home = data_home(data_dir)
    return spec.load_real(home / spec.name, home, **options)
