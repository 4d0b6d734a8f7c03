"""Four real public expression sets vendored in this repository (``data/real/``), so that a fresh
clone has real evidence offline: a TCGA-BRCA subset and three classic microarray sets.

Every file's SHA-256 is fixed here (and listed in ``data/README.md``) and checked at each load:
a changed copy is refused, never read. The transforms are per sample or per value, so none can
carry information across a cross-validation split:

- TCGA counts -> log2(CPM + 1): each sample's counts over its own library size, times 10^6.
- Un-logged array intensities -> ``max(x, 100)``, ``min(x, 16000)``, then log2: the floor and
  ceiling of the thresholding Dudoit, Fridlyand & Speed (2002, JASA 97:77) and Dettling (2004,
  Bioinformatics 20:3583) applied to Affymetrix intensities of this era (Singh's prostate set
  among them). Intensities below the floor (MAS4 average differences go negative) are noise,
  not graded expression. The literature's next step, a filter on each gene's max/min across
  samples, is left out: it reads every sample, held-out ones too; the pipeline's in-fold
  variance filter does that job.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import Dataset
from .errors import DataError
from .files import open_text, readable, sha256

FOLDER = Path(__file__).parent / "data" / "real"
ARRAY_FLOOR = 100.0
ARRAY_CEILING = 16000.0

SHA256 = {
    "alon/expr.tsv.gz": "b3877b72a2677680ab81aac237cdab23d2979845e65ad0e95381721bdd05da16",
    "alon/labels.tsv": "73f3440bb268f876b83734d70e21a1dc940d853b3ed4420de0fd0e94a116b032",
    "chowdary/expr.tsv.gz": "fc99991412ff58dbf73dffa7107250cde632b717acffc0918ac6a8be83a1fe5b",
    "chowdary/labels.tsv": "2c39a25a8fed9a85ec9a69a7c15e7a0a8c326b4384d5e21132daa70b6f0cbaf5",
    "singh/expr.tsv.gz": "66639ea59234d957888b4cabcca82c2812b2b70c27cf05e21e8684d7a1301adc",
    "singh/labels.tsv": "4146fab93a3fdc76323a4267fcc0537630c80382f247b09053449f1520200465",
    "tcga_brca_subset/counts.tsv.gz":
        "0b5d2fa58a6aaefe3981258d0faca950489c59199a276e9e4310adc1db8c99b3",
    "tcga_brca_subset/genes.tsv":
        "d8bf237ada06c85ff6b6ab41e2abb7f5fe60650d1a4e06206fc7199fe8e7df8f",
    "tcga_brca_subset/labels.tsv":
        "618f6b8236b9394be429c941e573d5e365ff937512fa698f2b3ff785f0f9fedd",
}

# The exact source commits are in data/README.md.
DATAMICROARRAY = "the R package datamicroarray (github.com/ramhiser/datamicroarray, MIT licence)"
# name -> (positive label in labels.tsv, what positive means, task, provenance)
ARRAYS = {
    "singh": ("Tumor", "prostate tumour",
              "prostate tumour vs adjacent normal tissue (Affymetrix HG-U95Av2)",
              f"Singh et al. 2002, Cancer Cell 1:203; {DATAMICROARRAY}"),
    "chowdary": ("breast", "breast tumour",
                 "breast vs colon tumours, tissue of origin (Affymetrix HG-U133A, MAS5)",
                 f"Chowdary et al. 2006, J. Mol. Diagn. 8:31; GEO GSE3726; {DATAMICROARRAY}"),
    "alon": ("t", "colon tumour", "colon tumour vs normal tissue (Affymetrix Hu6800, 2,000 genes)",
             f"Alon et al. 1999, PNAS 96:6745; {DATAMICROARRAY}"),
}
TCGA_PROVENANCE = ("TCGA-BRCA, GDC harmonised STAR - Counts (GENCODE v36), a random 30,000 of "
                   "60,616 genes; via the R package lacen (github.com/sanches-leo/lacen, "
                   "GPL >= 3; TCGA open-access data)")


def verified(relpath: str, folder: Path = FOLDER) -> Path:
    """The vendored file ``relpath``, after checking it is there and its SHA-256 is the one
    recorded in ``SHA256``."""
    path = folder / relpath
    if not path.is_file():
        raise DataError(f"The vendored file {path} is missing: restore it with `git checkout -- "
                        f"{path}` (or reinstall the package).")
    actual = sha256(path)
    if actual != SHA256[relpath]:
        raise DataError(f"Checksum mismatch for {path}: expected sha256 {SHA256[relpath][:12]}..., "
                        f"file has {actual[:12]}.... The vendored data were changed: restore "
                        f"them with `git checkout -- {path}`.")
    return path


def read_table(relpath: str, folder: Path = FOLDER, **options) -> pd.DataFrame:
    """A verified tab-separated file, first column as the index."""
    path = verified(relpath, folder)
    with readable(path), open_text(path) as handle:
        return pd.read_csv(handle, sep="\t", index_col=0, **options)


def log2_cpm(counts: np.ndarray) -> np.ndarray:
    """log2(counts per million + 1), each sample (row) scaled by its own library size."""
    counts = np.asarray(counts, dtype=np.float64)
    library = counts.sum(axis=1, keepdims=True)
    if (library <= 0).any():
        raise DataError("A sample has no reads (library size 0): log2(CPM + 1) is undefined.")
    return np.log2(counts / library * 1e6 + 1)


def floor_log2(intensities: np.ndarray, floor: float = ARRAY_FLOOR,
               ceiling: float = ARRAY_CEILING) -> np.ndarray:
    """log2 of intensities clipped to [floor, ceiling], value by value (``ARRAY_FLOOR``)."""
    return np.log2(np.clip(np.asarray(intensities, dtype=np.float64), floor, ceiling))


def labels_for(samples: pd.Index, relpath: str, folder: Path) -> pd.DataFrame:
    """``labels.tsv`` in the order of ``samples``; an error if they are not the same ids."""
    labels = read_table(relpath, folder, dtype=str)
    if not labels.index.equals(samples):
        raise DataError(f"{folder / relpath} does not list the expression file's samples in its "
                        f"order: restore the vendored files with `git checkout`.")
    return labels


def load_array(name: str, folder: Path = FOLDER) -> Dataset:
    """One of the three microarray sets: intensities floored, capped and log2 (``floor_log2``)."""
    positive, meaning, task, provenance = ARRAYS[name]
    frame = read_table(f"{name}/expr.tsv.gz", folder)
    labels = labels_for(frame.index, f"{name}/labels.tsv", folder)["label"]
    values = frame.to_numpy(dtype=np.float64)
    return Dataset(
        X=floor_log2(values), y=(labels == positive).to_numpy(),
        feature_names=frame.columns.to_numpy(), sample_ids=frame.index.to_numpy(),
        info={"name": name, "source": "real", "positive_class": meaning, "task": task,
              "provenance": provenance, "checksums": _checksums(name),
              "transform": f"log2 of intensities clipped to [{ARRAY_FLOOR:g}, "
                           f"{ARRAY_CEILING:g}] (Dudoit et al. 2002; Dettling 2004)",
              "share_at_floor": round(float((values <= ARRAY_FLOOR).mean()), 3),
              "classes": labels.value_counts().to_dict()},
    )


def gene_labels(ids: pd.Index, names: pd.Series) -> np.ndarray:
    """Each Ensembl id's gene name, or ``name|id`` where the name is shared by several of the
    ids (paralogue pseudogenes, readthrough loci): feature names must be unique, and the id
    keeps the repeat traceable."""
    named = names.reindex(ids)
    if named.isna().any():
        raise DataError(f"genes.tsv has no name for {int(named.isna().sum())} gene id(s) of the "
                        f"count matrix: restore the vendored files with `git checkout`.")
    repeated = named.duplicated(keep=False).to_numpy()
    return np.where(repeated, named.to_numpy() + "|" + ids.to_numpy(), named.to_numpy())


def load_tcga_brca_subset(folder: Path = FOLDER) -> Dataset:
    """60 real TCGA-BRCA samples (30 primary tumours, 30 solid-tissue normals, 53 patients):
    log2(CPM + 1) of GDC STAR counts, gene names from ``genes.tsv``, grouped by patient so that
    a tumour and its own normal never sit on both sides of a split."""
    counts = read_table("tcga_brca_subset/counts.tsv.gz", folder)
    labels = labels_for(counts.index, "tcga_brca_subset/labels.tsv", folder)
    genes = read_table("tcga_brca_subset/genes.tsv", folder, dtype=str)["gene_name"]
    return Dataset(
        X=log2_cpm(counts.to_numpy()), y=(labels["label"] == "tumor").to_numpy(),
        feature_names=gene_labels(counts.columns, genes), sample_ids=counts.index.to_numpy(),
        groups=labels["patient"].to_numpy(),
        info={"name": "tcga_brca_subset", "source": "real", "positive_class": "primary tumour",
              "task": "breast primary tumour vs solid tissue normal (RNA-seq, a real 60-sample "
                      "TCGA-BRCA subset; not the paper's 1,100 Xena samples)",
              "provenance": TCGA_PROVENANCE, "checksums": _checksums("tcga_brca_subset"),
              "transform": "log2(CPM + 1), each sample over its own library size",
              # The genes the paper says its attention ranks first on TCGA-BRCA (Figure 10a),
              # those of them in the subset (ERBB2, its HER2, is not).
              "known_markers": {"genes": ("TP53", "BRCA1"),
                                "label": "gene the paper names (Figure 10a)"},
              "classes": labels["label"].value_counts().to_dict()},
    )


def _checksums(name: str) -> dict[str, str]:
    return {path: digest for path, digest in SHA256.items() if path.startswith(f"{name}/")}
