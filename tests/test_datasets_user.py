"""Users' own files: formats, orientation, labels, and every kind of bad input."""

import gzip

import numpy as np
import pandas as pd
import pytest

from genomics_hybrid.datasets import DataError, load, load_table

GENES = ["TP53", "BRCA1", "ERBB2", "ESR1", "GATA3"]


def _expression(n=12, seed=0):
    rng = np.random.default_rng(seed)
    samples = [f"S{i:02d}" for i in range(n)]
    frame = pd.DataFrame(rng.uniform(0, 10, (n, len(GENES))), index=samples, columns=GENES)
    frame.index.name = "sample"
    labels = pd.Series(["tumour", "normal"] * (n // 2), index=samples, name="status")
    return frame, labels


def _labels_tsv(path, labels):
    labels.rename_axis("sample_id").to_frame("status").to_csv(path, sep="\t")
    return path


def test_gzipped_tsv_with_separate_labels_file(tmp_path):
    frame, labels = _expression()
    expr = tmp_path / "expr.tsv.gz"
    frame.to_csv(expr, sep="\t", compression="gzip")
    ds = load_table(expr, labels=_labels_tsv(tmp_path / "labels.tsv", labels),
                    label_column="status", positive="tumour")
    assert ds.X.shape == (12, 5) and ds.source == "user"
    assert ds.y.tolist() == [1, 0] * 6 and ds.info["positive_class"] == "tumour"
    np.testing.assert_allclose(ds.X, frame.to_numpy(), rtol=1e-6)
    assert ds.info["samples_as_rows"] is True


def test_labels_file_in_another_order_is_joined_on_sample_id(tmp_path):
    frame, labels = _expression()
    frame.to_csv(tmp_path / "expr.csv")
    shuffled = labels.sample(frac=1, random_state=0)
    ds = load_table(tmp_path / "expr.csv", labels=_labels_tsv(tmp_path / "l.tsv", shuffled),
                    label_column="status", positive="normal")
    assert ds.y.tolist() == (labels == "normal").astype(int).tolist()


def test_genes_as_rows_are_detected_from_the_labels(tmp_path):
    frame, labels = _expression()
    frame.T.rename_axis("gene").to_csv(tmp_path / "genes_x_samples.csv")
    ds = load_table(tmp_path / "genes_x_samples.csv",
                    labels=_labels_tsv(tmp_path / "l.tsv", labels), positive="tumour")
    assert ds.X.shape == (12, 5) and list(ds.feature_names) == GENES
    assert ds.info["samples_as_rows"] is False


def test_label_column_inside_the_table_with_01_labels(tmp_path):
    frame, labels = _expression()
    frame["label"] = (labels == "tumour").astype(int)
    frame.to_csv(tmp_path / "with_label.tsv", sep="\t")
    ds = load_table(tmp_path / "with_label.tsv")
    assert ds.X.shape == (12, 5) and "label" not in ds.feature_names
    assert ds.y.tolist() == [1, 0] * 6


def test_sample_column_names_the_id_column(tmp_path):
    frame, labels = _expression()
    table = frame.reset_index().rename(columns={"sample": "barcode"})
    table.insert(0, "row", range(len(table)))
    table["label"] = (labels == "tumour").astype(int).to_numpy()
    table.drop(columns="row").to_csv(tmp_path / "t.csv", index=False)
    ds = load_table(tmp_path / "t.csv", sample_column="barcode")
    assert list(ds.sample_ids) == list(frame.index)


def test_parquet(tmp_path):
    frame, labels = _expression()
    frame.assign(label=(labels == "tumour").astype(int)).to_parquet(tmp_path / "e.parquet")
    ds = load_table(tmp_path / "e.parquet")
    assert ds.X.shape == (12, 5) and list(ds.sample_ids) == list(frame.index)


def test_h5ad(tmp_path):
    import anndata

    frame, labels = _expression()
    adata = anndata.AnnData(frame.to_numpy(np.float32),
                            obs=pd.DataFrame({"cell_type": labels.to_numpy()}, index=frame.index),
                            var=pd.DataFrame(index=GENES))
    adata.write_h5ad(tmp_path / "cells.h5ad")
    ds = load_table(tmp_path / "cells.h5ad", label_column="cell_type", positive="tumour")
    assert ds.X.shape == (12, 5) and ds.y.sum() == 6


# --- bad input: each gets a DataError that names the problem and the fix ------------------------

def _write(tmp_path, frame, labels=None, name="e.csv"):
    if labels is not None:
        frame = frame.assign(label=labels)
    frame.to_csv(tmp_path / name)
    return tmp_path / name


def test_non_numeric_cells(tmp_path):
    frame, labels = _expression()
    frame = frame.astype(object)
    frame.iloc[3, 2] = "n/a?"
    path = _write(tmp_path, frame, (labels == "tumour").astype(int))
    with pytest.raises(DataError, match=r"non-numeric cells.*'S03', 'ERBB2'\) = 'n/a\?'"):
        load_table(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_missing_values_follow_the_documented_policy(tmp_path, bad):
    frame, labels = _expression()
    frame.iloc[2, 1] = bad
    path = _write(tmp_path, frame, (labels == "tumour").astype(int))
    with pytest.raises(DataError, match="missing='drop_features'"):
        load_table(path)
    assert list(load_table(path, missing="drop_features").feature_names) == \
        [g for g in GENES if g != "BRCA1"]
    assert "S02" not in load_table(path, missing="drop_samples").sample_ids


def test_duplicate_feature_names(tmp_path):
    frame, labels = _expression()
    frame.columns = ["TP53", "TP53", "ERBB2", "ESR1", "GATA3"]
    path = tmp_path / "dup.tsv"
    frame.assign(label=(labels == "tumour").astype(int)).to_csv(path, sep="\t")
    with pytest.raises(DataError, match="column names occur more than once.*'TP53'"):
        load_table(path)  # a repeated header, which pandas alone would rename to TP53.1
    frame.T.to_csv(tmp_path / "dup_rows.tsv", sep="\t")
    with pytest.raises(DataError, match="feature names occur more than once.*'TP53'"):
        load_table(tmp_path / "dup_rows.tsv", labels=_labels_tsv(tmp_path / "l.tsv", labels),
                   label_column="status", positive="tumour")


def test_labels_that_do_not_match_the_samples(tmp_path):
    frame, labels = _expression()
    path = _write(tmp_path, frame)
    partial = labels.iloc[:10]
    with pytest.raises(DataError, match=r"2 of 12 samples have no label \('S10', 'S11'\)"):
        load_table(path, labels=_labels_tsv(tmp_path / "l.tsv", partial), label_column="status",
                   positive="tumour")
    other = pd.Series(["a", "b"], index=["X1", "X2"])
    with pytest.raises(DataError, match="No sample id of the labels"):
        load_table(path, labels=_labels_tsv(tmp_path / "o.tsv", other), label_column="status")


def test_a_single_class(tmp_path):
    frame, _ = _expression()
    path = _write(tmp_path, frame, np.ones(12, dtype=int))
    with pytest.raises(DataError, match="one class"):
        load_table(path)


def test_string_labels_need_a_positive_class(tmp_path):
    frame, labels = _expression()
    path = _write(tmp_path, frame, labels)
    with pytest.raises(DataError, match="positive=<value>"):
        load_table(path)
    with pytest.raises(DataError, match="'metastasis' is not a label"):
        load_table(path, positive="metastasis")


def test_fewer_samples_per_class_than_folds(tmp_path):
    frame, labels = _expression()
    y = np.zeros(12, dtype=int)
    y[:3] = 1
    path = _write(tmp_path, frame, y)
    with pytest.raises(DataError, match="only 3 samples, fewer than the 5 cross-validation folds"):
        load_table(path)
    assert load_table(path, cv_folds=3).y.sum() == 3


def test_unknown_orientation(tmp_path):
    frame, _ = _expression()
    path = _write(tmp_path, frame)
    with pytest.raises(DataError, match="samples_as_rows"):
        load_table(path)


def test_missing_unknown_and_corrupt_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_table(tmp_path / "nope.tsv")
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(DataError, match="unknown format '.xlsx'"):
        load_table(tmp_path / "x.xlsx")
    frame, labels = _expression()
    gz = tmp_path / "e.tsv.gz"
    frame.assign(label=(labels == "tumour").astype(int)).to_csv(gz, sep="\t", compression="gzip")
    gz.write_bytes(gz.read_bytes()[:-30])
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_table(gz)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DataError, match="not a readable parquet"):
        load_table(tmp_path / "broken.parquet")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty"):
        load_table(tmp_path / "empty.csv")


def test_gzip_detected_by_content_not_name(tmp_path):
    frame, labels = _expression()
    path = tmp_path / "looks_plain.tsv"
    with gzip.open(path, "wt") as fh:
        frame.assign(label=(labels == "tumour").astype(int)).to_csv(fh, sep="\t")
    assert load_table(path).X.shape == (12, 5)


def test_unknown_dataset_name_suggests_the_closest():
    with pytest.raises(DataError, match="Did you mean 'tcga_brca'.*load_table"):
        load("tcga-brca")
    with pytest.raises(DataError, match="source='nope' is not one of"):
        load("gse72056", source="nope")
    with pytest.raises(DataError, match="has no replica"):
        load("pbmc68k", source="replica")


def test_subsample_keeps_class_shares_and_records_the_draw():
    from genomics_hybrid.datasets import load
    full = load("gse7390")
    capped = full.subsample(100, seed=1)
    assert capped.shape == (100, full.shape[1])
    assert abs(capped.y.mean() - full.y.mean()) < 0.02
    assert capped.info["subsample"] == {"max_samples": 100, "of": full.shape[0], "seed": 1}
    assert set(capped.sample_ids) <= set(full.sample_ids)
    assert list(capped.sample_ids) == [s for s in full.sample_ids if s in set(capped.sample_ids)]
    assert np.array_equal(full.subsample(100, seed=1).X, capped.X)      # same seed, same rows
    assert full.subsample(None) is full and full.subsample(10_000) is full
    with pytest.raises(ValueError, match="max_samples must be an integer"):
        full.subsample(2)
