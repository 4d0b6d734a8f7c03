"""The four real sets vendored in data/real/: shapes, transforms, groups and checksums."""

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from genomics_hybrid.datasets import DataError, load
from genomics_hybrid.datasets import vendored
from genomics_hybrid.datasets.registry import has_groups

SHAPES = {"tcga_brca_subset": (60, 30000, 30), "singh": (102, 12600, 52),
          "chowdary": (104, 22283, 62), "alon": (62, 2000, 40)}


@pytest.mark.parametrize("name", list(SHAPES))
def test_loads_real_float32_finite_on_a_log_scale(name):
    data = load(name)
    n, p, positives = SHAPES[name]
    assert data.shape == (n, p) and int(data.y.sum()) == positives
    assert data.X.dtype == np.float32 and np.isfinite(data.X).all()
    assert data.source == "real" and data.info["checksums"]
    # A log scale: raw counts and intensities reach the tens of thousands.
    assert 0 <= data.X.min() and data.X.max() < 20


def test_tcga_subset_groups_by_patient_and_names_genes():
    data = load("tcga_brca_subset")
    assert len(np.unique(data.groups)) == 53 and has_groups("tcga_brca_subset")
    # A patient's tumour and normal share a group: the 7 pairs the source documents.
    patients, sizes = np.unique(data.groups, return_counts=True)
    assert (sizes == 2).sum() == 7
    names = set(data.feature_names)
    assert {"TP53", "BRCA1"} <= names and "ERBB2" not in names
    assert len(names) == data.shape[1]
    shared = [f for f in data.feature_names if "|" in f]
    assert shared and all(re.fullmatch(r".+\|ENSG\d{11}", f) for f in shared)


def test_log2_cpm_is_per_sample():
    counts = np.array([[10, 30, 60], [1, 3, 6], [0, 0, 5]])
    out = vendored.log2_cpm(counts)
    # Rows 0 and 1 have the same proportions: the same values whatever the depth.
    np.testing.assert_allclose(out[0], out[1])
    np.testing.assert_allclose(out[0], np.log2(np.array([0.1, 0.3, 0.6]) * 1e6 + 1))
    # A sample's values do not depend on the other samples.
    np.testing.assert_allclose(vendored.log2_cpm(counts[2:]), out[2:])
    with pytest.raises(DataError, match="no reads"):
        vendored.log2_cpm(np.zeros((1, 3)))


def test_floor_log2_clips_then_logs():
    out = vendored.floor_log2(np.array([-50.0, 0.0, 100.0, 400.0, 1e6]))
    np.testing.assert_allclose(out, np.log2([100, 100, 100, 400, 16000]))


@pytest.fixture
def copied(tmp_path):
    for relpath in vendored.SHA256:
        target = tmp_path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(vendored.FOLDER / relpath, target)
    return tmp_path


def test_a_changed_file_is_refused(copied):
    path = copied / "alon/labels.tsv"
    path.write_text(path.read_text().replace("\tn\n", "\tt\n", 1))
    with pytest.raises(DataError, match="Checksum mismatch .*git checkout"):
        vendored.load_array("alon", copied)


def test_a_missing_file_says_how_to_restore_it(copied):
    (copied / "singh/expr.tsv.gz").unlink()
    with pytest.raises(DataError, match="missing: restore it"):
        vendored.load_array("singh", copied)


def test_readme_lists_every_checksum():
    readme = (Path(__file__).parents[1] / "data" / "README.md").read_text()
    for relpath, digest in vendored.SHA256.items():
        assert digest in readme, relpath


def test_replica_of_a_real_set_is_refused():
    with pytest.raises(DataError, match="no replica"):
        load("singh", source="replica")
