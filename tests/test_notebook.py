"""The notebooks' entry point (genomics_hybrid.notebook): loading by name or path, the output
folder, provenance, the run record and the tidy files."""

import json

import numpy as np
import pandas as pd
import pytest

from genomics_hybrid import notebook


def test_summary_table_formats_values(small):
    table = notebook.summary_table({**small.summary(), "n_samples": 12345})
    assert table.loc["samples", "value"] == "12,345"
    assert table.loc["positive fraction", "value"] == "33.3%"
    assert table.loc["data source", "value"] == "user"
    assert table.loc["groups (e.g. tumours, patients)", "value"] == ""


def test_write_summary_is_plain_json(small, tmp_path):
    path = notebook.write_summary(small.summary(), tmp_path / "out", profile="smoke",
                                  seed=np.int64(3))
    data = json.loads(path.read_text())
    assert path.name == "summary.json"
    assert data["n_positive"] == 10 and data["seed"] == 3 and data["profile"] == "smoke"


@pytest.mark.parametrize("value, expected", [
    ("gse72056", False), ("pbmc68k", False), ("expr.tsv.gz", True), ("dir/expr", True),
    ("counts.h5ad", True)])
def test_looks_like_path(value, expected):
    assert notebook.looks_like_path(value) is expected


def test_load_dataset_reads_a_user_file(small, tmp_path):
    path = tmp_path / "expr.tsv"
    frame = pd.DataFrame(small.X.T, index=small.feature_names, columns=small.sample_ids)
    frame.loc["label"] = np.where(small.y == 1, "tumour", "normal")
    frame.to_csv(path, sep="\t")
    ds = notebook.load_dataset(str(path), positive="tumour")
    assert ds.source == "user" and ds.shape == (30, 8) and int(ds.y.sum()) == 10


def test_load_dataset_ignores_source_for_bundled_sets():
    ds = notebook.load_dataset("gse7390", source="replica")
    assert ds.source == "bundled" and ds.shape == (198, 76)


def test_start_loads_the_profile_and_names_the_default_folder():
    run = notebook.start("02_training", "gse7390", "smoke", 3)
    assert run.settings["name"] == "smoke" and run.settings["seed"] == 3
    assert run.dataset.name == "gse7390" and run.notebook == "02_training"
    assert run.output_dir == notebook.output_folder("smoke", "gse7390") == "runs/smoke/gse7390"
    assert run.data == notebook.data_label(run.dataset) == "bundled, 120 of 198 rows"
    assert notebook.provenance_markdown(run.dataset, run.settings).startswith(
        "**gse7390**: data source **bundled, 120 of 198 rows** (stratified random draw, seed 3)")
    capped = notebook.start("01_preprocessing", "gse7390", "smoke", 0, output_dir="elsewhere",
                            capped=False)
    assert capped.output_dir == "elsewhere" and len(capped.dataset.y) == 198


def test_finish_writes_the_tidy_files_and_the_run_record(small, tmp_path):
    settings = {"name": "smoke", "seed": 0}
    run = notebook.NotebookRun("02_training", settings, small, tmp_path / "out")
    frame = pd.DataFrame({"model": ["hybrid"], "value": [np.float32(0.5)]})
    written = run.finish("comparison", {"results": frame}, extra_key=np.int64(2))
    assert [p.name for p in written] == ["comparison_results.csv", "comparison_run.json"]
    assert pd.read_csv(written[0]).equals(pd.DataFrame({"model": ["hybrid"], "value": [0.5]}))
    record = json.loads(written[1].read_text())
    assert record["notebook"] == "02_training" and record["profile"] == "smoke"
    assert record["data"] == "user, all 30 rows" and record["extra_key"] == 2
    assert record["seconds"] >= 0 and "torch" in record["packages"]


def test_readable_rounds_floats_for_display_and_keeps_the_table():
    table = pd.DataFrame({"method": ["a", "b"], "k": [20, 20], "precision": [0.5, 0.25],
                          "chance": [0.021627, 0.5], "p_value": [1.234e-5, float("nan")]})
    shown = notebook.readable(table)
    assert shown.chance.tolist() == [0.022, 0.5] and shown.k.tolist() == [20, 20]
    assert shown.p_value.tolist() == ["1.2e-05", "n/a"] and shown.method.tolist() == ["a", "b"]
    assert table.chance.iloc[0] == 0.021627  # the input, and so the tidy files, unchanged
    assert notebook.readable(pd.DataFrame()).empty
