"""Real genomic data that installs with the Python packages, so it works offline."""

from __future__ import annotations

from importlib.metadata import version

import numpy as np

from .dataset import Dataset

PBMC_POSITIVE = "CD19+ B"

# B-cell markers for pbmc68k (positive class "CD19+ B"), written from the literature before any
# model was fitted on the data. Lineage genes specific to B cells among blood cells:
# - MS4A1 (CD20), CD79A: the B-cell markers of the Seurat guided PBMC 3k tutorial (Satija lab,
#   satijalab.org/seurat/articles/pbmc3k_tutorial) and the scanpy PBMC 3k tutorial, both on 10x
#   PBMC data from the same platform as Zheng et al. 2017, Nat. Commun. 8:14049 (pbmc68k's source,
#   whose "CD19+ B" label comes from CD19 bead sorting);
# - CD19, CD22, CR2 (CD21), FCER2 (CD23), CD79B, PAX5: the B-cell co-receptors, the B-cell receptor
#   complex and the lineage transcription factor (LeBien & Tedder 2008, Blood 112:1570-1580);
# - BLK (B lymphoid kinase; Dymecki et al. 1990, Science 247:332-336);
# - TCL1A, BANK1, IGHM, IGHD: B-cell markers of the Azimuth PBMC reference (Hao et al. 2021, Cell
#   184:3573-3587); IGKC, the kappa light chain, is made by B cells only.
# Left out on purpose: CD74 and the HLA class II genes (HLA-DRA, -DQA1, ...). B cells express them,
# but so do the dendritic cells and monocytes that make up half of pbmc68k's negative class, so
# they are not evidence of B-cell identity in this task.
B_CELL_MARKERS = ("MS4A1", "CD79A", "CD79B", "CD19", "CD22", "CR2", "FCER2", "PAX5", "BLK",
                  "TCL1A", "BANK1", "IGHM", "IGHD", "IGKC")


def load_pbmc68k() -> Dataset:
    """scanpy's pbmc68k_reduced: 700 PBMCs x 765 genes; B cells (CD19+ B) vs all other cells.

    Uses ``.raw`` (log-normalised counts), not ``.X`` (scaled with all cells: that scaling would
    leak across folds). B cells were chosen because their markers (MS4A1, CD79A, CD79B) are among
    the 765 genes, so interpretability can be checked against known biology:
    ``info["known_markers"]`` holds the literature B-cell markers (``B_CELL_MARKERS``) and what
    to call them, as a replica's ``info["ground_truth"]`` holds its planted genes.
    """
    import scanpy as sc

    adata = sc.datasets.pbmc68k_reduced()
    raw = adata.raw.to_adata()
    labels = adata.obs["bulk_labels"].astype(str).to_numpy()
    return Dataset(
        X=raw.X.toarray() if hasattr(raw.X, "toarray") else raw.X,
        y=(labels == PBMC_POSITIVE).astype(np.int64),
        feature_names=raw.var_names.to_numpy(),
        sample_ids=raw.obs_names.to_numpy(),
        info={
            "name": "pbmc68k", "source": "bundled", "positive_class": "B cell (CD19+ B)",
            "task": "B cells vs other PBMCs (10x scRNA-seq, log-normalised)",
            "provenance": f"scanpy {version('scanpy')} datasets.pbmc68k_reduced() .raw "
                          "(Zheng et al. 2017, Nat. Commun. 8:14049)",
            "cell_types": dict(zip(*np.unique(labels, return_counts=True))),
            "known_markers": {"genes": B_CELL_MARKERS, "label": "B-cell marker"},
        },
    )


def load_gse7390() -> Dataset:
    """scikit-survival's breast-cancer set (GSE7390): 198 tumours x 76 probes; ER status.

    The clinical columns (age, size, grade, er) are dropped from the features, ``er`` above all
    since it is the label.
    """
    from sksurv.datasets import load_breast_cancer

    frame, _ = load_breast_cancer()
    er = frame["er"].astype(str).to_numpy()
    probes = frame.drop(columns=["age", "size", "er", "grade"])
    return Dataset(
        X=probes.to_numpy(dtype=np.float32),
        y=(er == "positive").astype(np.int64),
        feature_names=probes.columns.to_numpy(),
        sample_ids=np.array([f"GSE7390_{i:03d}" for i in range(len(frame))], dtype=object),
        info={
            "name": "gse7390", "source": "bundled", "positive_class": "ER positive",
            "task": "oestrogen-receptor status of breast tumours (Affymetrix, 76-gene signature)",
            "provenance": f"scikit-survival {version('scikit-survival')} datasets.load_breast_cancer() "
                          "(Desmedt et al. 2007, Clin. Cancer Res. 13:3207; GEO GSE7390)",
        },
    )
