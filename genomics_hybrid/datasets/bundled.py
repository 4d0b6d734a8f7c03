"""Real genomic data that installs with the Python packages, so it works offline."""

from __future__ import annotations

from importlib.metadata import version

import numpy as np

from .dataset import Dataset

PBMC_POSITIVE = "CD19+ B"


def load_pbmc68k() -> Dataset:
    """scanpy's pbmc68k_reduced: 700 PBMCs x 765 genes; B cells (CD19+ B) vs all other cells.

    Uses ``.raw`` (log-normalised counts), not ``.X`` (scaled with all cells: that scaling would
    leak across folds). B cells were chosen because their markers (MS4A1, CD79A, CD79B) are among
    the 765 genes, so interpretability can be checked against known biology.
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
