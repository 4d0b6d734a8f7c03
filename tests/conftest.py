import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import real_formats  # noqa: E402
from genomics_hybrid.datasets import Dataset  # noqa: E402


@pytest.fixture
def small():
    """30 samples x 8 genes of sparse gamma values, one sample all zeros, 10 positive."""
    rng = np.random.default_rng(0)
    X = rng.gamma(2.0, 1.0, (30, 8)) * (rng.random((30, 8)) > 0.4)
    X[0] = 0.0                                        # one sample of zeros only
    y = np.r_[np.ones(10, int), np.zeros(20, int)]
    return Dataset(X, y, [f"g{i}" for i in range(8)], [f"s{i}" for i in range(30)],
                   info={"name": "small", "source": "user", "positive_class": "tumour"})


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """An empty data directory, used by default, so no test sees the user's real files."""
    home = tmp_path / "data"
    home.mkdir()
    monkeypatch.setenv("GENOMICS_HYBRID_DATA", str(home))
    return home


@pytest.fixture
def gse72056_file(data_home):
    rng = np.random.default_rng(0)
    cells = [f"cy{t}_CD45_neg_{i}_S{i}_comb" for i, t in enumerate([78] * 5 + [79] * 4 + [80] * 3)]
    malignant = [2, 2, 1, 1, 0, 2, 1, 1, 1, 2, 0, 1]
    cell_types = [0, 0, 1, 2, 0, 0, 3, 6, 1, 0, 0, 5]
    genes = [(g, rng.uniform(0, 8, 12) * (rng.random(12) > 0.6))
             for g in ["C9orf152", "RPS11", "ELMO2", "CREB3L1", "PNMA1", "MMP2", "TMEM216",
                       "RPS11"]]
    return real_formats.write_gse72056(
        data_home / "gse72056" / "GSE72056_melanoma_single_cell_revised_v2.txt.gz",
        cells, [78] * 5 + [79] * 4 + [80] * 3, malignant, cell_types, genes)


@pytest.fixture
def xena_file(data_home):
    rng = np.random.default_rng(1)
    barcodes = ["TCGA-A1-A0SB-01", "TCGA-A1-A0SB-11", "TCGA-A2-A04P-01", "TCGA-BH-A0BZ-01",
                "TCGA-BH-A0BZ-11", "TCGA-E2-A15K-06", "TCGA-AC-A2QH-01", "TCGA-E9-A1N9-11"]
    genes = [(g, rng.uniform(0, 15, len(barcodes))) for g in ["ARHGEF10L", "HIF3A", "RNF17",
                                                              "RNF10", "RNF11"]]
    return real_formats.write_xena(data_home / "tcga_brca" / "HiSeqV2.gz", barcodes, genes)


@pytest.fixture
def encode_files(data_home):
    folder = data_home / "encsr000aed"
    rep1 = {"ENSG00000000003.14": 12.0, "ENSG00000000005.5": 0.0, "ENSG00000000419.12": 50.0,
            "ENSG00000000457.13": 0.5, "ENSG00000000460.16": 0.05, "ENSG00000001036.13": 3.0,
            "gSpikein_ERCC-00002": 900.0}
    rep2 = {"ENSG00000000003.14": 9.0, "ENSG00000000005.5": 0.02, "ENSG00000000419.12": 0.08,
            "ENSG00000000457.13": 0.6, "ENSG00000000460.16": 0.0, "ENSG00000001036.13": 2.0,
            "gSpikein_ERCC-00002": 850.0}
    real_formats.write_rsem_genes(folder / "quantifications" / "ENCFF000AAA.tsv", rep1)
    real_formats.write_rsem_genes(folder / "quantifications" / "ENCFF000AAB.tsv", rep2)
    promoters = {
        "ENSG00000000003": "ACGTACGTAC" * 8,
        "ENSG00000000005": "aaaaaaaaaaNNNNcccccccc",
        "ENSG00000000460": "GGGGCGGGGCTATAAAAG" * 3,
        "ENSG00000000419": "TTTTTTTTTT",
    }
    real_formats.write_promoters(folder / "promoters_upstream1000.fa.gz", promoters)
    return folder
