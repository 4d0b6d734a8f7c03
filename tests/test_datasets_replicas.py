"""Replicas match the real datasets' shapes, balances and kinds of values; bundled sets are real."""

import numpy as np
import pytest

from genomics_hybrid.datasets import load
from genomics_hybrid.datasets.bundled import B_CELL_MARKERS
from genomics_hybrid.datasets.genes import human_genes


@pytest.fixture(scope="module")
def replicas():
    return {name: load(name, source="replica")
            for name in ("gse72056", "tcga_brca", "encsr000aed")}


@pytest.mark.parametrize("name, shape, n_positive, n_groups", [
    ("gse72056", (4513, 23686), 1257, 19),
    ("tcga_brca", (1211, 20530), 1097, 1107),
    ("encsr000aed", (5300, 16384), 2862, None),
])
def test_shapes_balance_and_groups(replicas, name, shape, n_positive, n_groups):
    ds = replicas[name]
    assert ds.X.shape == shape and ds.X.dtype == np.float32
    assert int(ds.y.sum()) == n_positive
    assert ds.source == "replica" and ds.info["seed"] == 0
    assert (None if ds.groups is None else len(set(ds.groups))) == n_groups


def test_expression_replicas_use_real_gene_symbols(replicas):
    symbols = set(human_genes()["symbol"])
    for name in ("gse72056", "tcga_brca"):
        assert set(replicas[name].feature_names) <= symbols


def test_value_distributions(replicas):
    sc = replicas["gse72056"].X
    assert 0.7 < np.mean(sc == 0) < 0.9  # scRNA-seq dropout
    assert sc.min() == 0 and sc[sc > 0].min() >= 0.1 and sc.max() < 16  # log2(TPM/10 + 1)
    bulk = replicas["tcga_brca"].X
    assert bulk.min() == 0 and 6 < np.median(bulk) < 11 and np.mean(bulk == 0) < 0.15
    kmers = replicas["encsr000aed"].X
    assert np.array_equal(kmers, np.round(kmers))
    np.testing.assert_array_equal(kmers.sum(axis=1), 1000 - 7 + 1)  # every window of 1 kb


def test_ground_truth_names_features_of_the_matrix(replicas):
    for ds in replicas.values():
        truth = ds.info["ground_truth"]
        names = set(ds.feature_names)
        assert set(truth["informative_features"]) <= names
        assert set(truth["effects"]) <= names
        for module in truth["modules"].values():
            assert set(module["features"]) <= names
        assert any(m["informative"] for m in truth["modules"].values())
        assert any(not m["informative"] for m in truth["modules"].values())


def test_planted_markers_differ_between_classes(replicas):
    ds = replicas["gse72056"]
    col = list(ds.feature_names).index
    malignant, other = ds.y == 1, ds.y == 0
    assert ds.X[malignant, col("MLANA")].mean() > ds.X[other, col("MLANA")].mean() + 1
    assert ds.X[other, col("PTPRC")].mean() > ds.X[malignant, col("PTPRC")].mean() + 1
    bulk = replicas["tcga_brca"]
    adipoq = bulk.X[:, list(bulk.feature_names).index("ADIPOQ")]
    assert adipoq[bulk.y == 0].mean() > adipoq[bulk.y == 1].mean() + 1


def test_nuisance_module_does_not_separate_the_classes(replicas):
    ds = replicas["gse72056"]
    module = ds.info["ground_truth"]["modules"]["interferon"]
    assert not module["informative"] and abs(module["activity_difference"]) < 0.2


def test_replicas_are_deterministic_in_the_seed():
    a, b = load("tcga_brca", source="replica"), load("tcga_brca", source="replica")
    c = load("tcga_brca", source="replica", seed=1)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    assert a.info["ground_truth"]["effects"] == b.info["ground_truth"]["effects"]


def test_pbmc68k_is_the_real_scanpy_data():
    ds = load("pbmc68k")
    assert ds.X.shape == (700, 765) and int(ds.y.sum()) == 95 and ds.source == "bundled"
    assert {"MS4A1", "CD79A", "CD79B"} <= set(ds.feature_names)
    assert 0.6 < np.mean(ds.X == 0) < 0.75  # .raw: log-normalised, not the scaled .X
    # the loader lists the known markers, as the replicas list their planted genes (issue 12)
    assert ds.info["known_markers"] == {"genes": B_CELL_MARKERS, "label": "B-cell marker"}
    assert ds.subsample(100, seed=0).info["known_markers"]["genes"] == B_CELL_MARKERS


def test_gse7390_is_the_real_scikit_survival_data():
    ds = load("gse7390")
    assert ds.X.shape == (198, 76) and int(ds.y.sum()) == 134 and ds.source == "bundled"
    assert not {"er", "age", "size", "grade"} & set(ds.feature_names)
