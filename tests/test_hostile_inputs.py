"""What the package refuses, and why: hostile inputs of the kind a new user gives it (issue 11).

Each parametrised id is one input: a table, an estimator setting, a model file, a privacy
budget, a result-cache file, a notebook parameter or a command line. Each once crashed inside
numpy, pandas, torch or pytorch-tabnet, named the wrong cause, or silently gave a wrong answer;
each now gets an error from the package that names the problem and the fix (the ``match``
shown beside it), or the right result. Cases that were already clear are kept as well, so the
list says everything the package refuses. Refusals of settings happen before any training: the
``no_training`` fixture fails the test if a network starts to train.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

import real_formats
from genomics_hybrid.baselines import MLPClassifier, StockTabNetClassifier
from genomics_hybrid.datasets import DataError, load, load_table
from genomics_hybrid.datasets.dataset import Dataset
from genomics_hybrid.cache import cached, cached_record
from genomics_hybrid.evaluation import Protocol
from genomics_hybrid.model import HybridClassifier
from genomics_hybrid.model.estimator import ModelFileError
from genomics_hybrid.notebook import notebook_inputs
from genomics_hybrid.privacy import (AdaptivePrivacy, DPSGDClassifier, loss_threshold_attack,
                                     noise_scales)

ROOT = Path(__file__).resolve().parents[1]
GENES = ["TP53", "BRCA1", "ERBB2", "ESR1"]
TINY = dict(max_epochs=2, patience=1, n_selected=4, cnn_channels=(4,), embedding_dim=4, n_d=4,
            n_a=4, device="cpu")


def _expression(n: int = 12, label: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.uniform(0, 10, (n, len(GENES))), columns=GENES,
                         index=pd.Index([f"S{i:02d}" for i in range(n)], name="sample"))
    if label:
        frame["label"] = [0, 1] * (n // 2)
    return frame


def _labels(n: int = 12) -> pd.Series:
    return pd.Series(["tumour", "normal"] * (n // 2), index=[f"S{i:02d}" for i in range(n)])


def _write(path: Path, frame: pd.DataFrame, **options) -> Path:
    frame.to_csv(path, **options)
    return path


@pytest.fixture(scope="module")
def toy():
    """40 rows x 6 features; feature 0 carries the class."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 20)
    X = rng.normal(size=(40, 6)).astype(np.float32)
    X[:, 0] += 2 * y
    return X, y


@pytest.fixture
def no_training(monkeypatch):
    """Fail if any network trains: a refused setting must be refused before training."""
    def trains(*args, **kwargs):
        raise AssertionError("training started before the bad input was refused")
    monkeypatch.setattr("genomics_hybrid.model.estimator.train", trains)
    monkeypatch.setattr(DPSGDClassifier, "_train_privately", trains)
    monkeypatch.setattr(AdaptivePrivacy, "_attention", trains)


# -- tables ------------------------------------------------------------------------------------

def _parquet(t, frame, name="expr.parquet"):
    frame.to_parquet(t / name, index=False)
    return {"path": t / name}


def _parquet_unique_integers(t):
    frame = _expression().reset_index(drop=True)
    frame.insert(0, "pid", range(100, 112))
    return _parquet(t, frame)


def _square_table(t):
    """Genes 1..20 x samples 1..20: the labels' ids 1..20 match both axes."""
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 20)), index=range(1, 21),
                         columns=range(1, 21))
    return {"path": _write(t / "square.tsv", frame.rename_axis("gene"), sep="\t"),
            "labels": pd.Series([0, 1] * 10, index=range(1, 21))}


def _text(t, name, content, encoding="utf-8"):
    (t / name).write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return {"path": t / name}


def _truncated_gzip(t):
    data = gzip.compress(_expression().to_csv().encode())
    return _text(t, "expr.csv.gz", data[: len(data) // 2])


def _folder(t):
    (t / "expr.csv").mkdir()
    return {"path": t / "expr.csv"}


def _duplicate_ids(frame):
    frame = frame.copy()
    frame.index = ["S00", "S00", *frame.index[2:]]
    return frame


TABLE_REFUSALS = [
    pytest.param(lambda t: {"path": _write(t / "expr.csv", _expression(), sep="\t")},
                 "splits into one column at commas.*it is tab-separated", id="tsv-named-csv"),
    pytest.param(lambda t: {"path": _write(t / "expr.csv", _expression(), sep=";")},
                 "semicolon-separated", id="semicolons-named-csv"),
    pytest.param(lambda t: _text(t, "expr.csv", "sample,TP53,label\n"),
                 r"holds no values \(0 rows", id="header-only"),
    pytest.param(lambda t: _text(t, "expr.csv", ""), "is empty", id="empty-file"),
    pytest.param(_folder, "is a folder, not a file", id="folder-as-path"),
    pytest.param(lambda t: {"path": t / "absent.csv"}, "does not exist", id="absent-file"),
    pytest.param(lambda t: _text(t, "expr.xlsx", "x"), "unknown format '.xlsx'",
                 id="unknown-format"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _duplicate_ids(_expression()))},
                 r"1 sample ids occur more than once \('S00'\)",
                 id="duplicate-sample-id-with-label-column"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _duplicate_ids(_expression(label=False))),
                            "labels": _labels(), "positive": "tumour"},
                 "sample ids occur more than once", id="duplicate-sample-id-with-labels"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression(label=False)),
                            "labels": pd.concat([_labels(), pd.Series(["normal"], ["S00"])]),
                            "positive": "tumour"},
                 "name 1 samples more than once", id="labels-name-a-sample-twice"),
    pytest.param(_square_table, "either axis could hold the samples.*samples_as_rows=True",
                 id="ambiguous-orientation"),
    pytest.param(_parquet_unique_integers, "holds unique integers.*sample_column='pid'",
                 id="parquet-first-column-ids-or-feature"),
    pytest.param(lambda t: _text(t, "e.csv", _expression().rename(columns={"TP53": "Gén"})
                                 .to_csv(), "latin-1"), "not UTF-8 text.*saved as UTF-8",
                 id="latin-1-text"),
    pytest.param(_truncated_gzip, "truncated or corrupt", id="truncated-gzip"),
    pytest.param(lambda t: _text(t, "e.parquet", b"PAR1garbage"), "not a readable parquet",
                 id="damaged-parquet"),
    pytest.param(lambda t: _text(t, "e.h5ad", b"not hdf5"), "not a readable h5ad",
                 id="damaged-h5ad"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression().assign(label=np.nan))},
                 "12 of 12 samples have no label", id="label-column-all-missing"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression().assign(label=1))},
                 "one class", id="one-class"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression().assign(label=[1, 2] * 6))},
                 "say which is the positive class", id="labels-1-2-without-positive"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression()), "positive": "x"},
                 "positive='x' is not a label", id="positive-not-a-label"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression(label=False)),
                            "labels": _labels()[:-2], "positive": "tumour"},
                 "2 of 12 samples have no label", id="labels-miss-samples"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression(label=False)),
                            "labels": {"X1": "a", "X2": "b"}},
                 "No sample id of the labels", id="labels-match-no-id"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression(label=False)),
                            "labels": _text(t, "l.tsv", "sample\tlabel\n")["path"]},
                 "holds no values", id="labels-file-header-only"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression(label=False)),
                            "labels": t / "absent.tsv"},
                 "Labels file .* does not exist", id="labels-file-absent"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression()), "sample_column": "id"},
                 "No column 'id'", id="sample-column-absent"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression().astype(object)
                                           .assign(TP53=["x"] + [1.0] * 11))},
                 "non-numeric cells", id="text-in-the-matrix"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression().assign(TP53=np.inf))},
                 "missing='drop_features'", id="infinite-values"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression()), "missing": "bogus"},
                 "not a policy", id="unknown-missing-policy"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression()[["label"]])},
                 r"X is empty", id="no-feature-columns"),
    pytest.param(lambda t: {"path": _write(t / "e.csv", _expression()), "cv_folds": 10},
                 "fewer than the 10 cross-validation folds", id="too-few-rows-for-the-folds"),
]


@pytest.mark.parametrize("make, match", TABLE_REFUSALS)
def test_tables_the_loader_refuses(tmp_path, make, match):
    with pytest.raises(DataError, match=match):
        load_table(**make(tmp_path))


def test_a_parquet_id_column_is_never_a_feature(tmp_path):
    """Ids sorted by class, taken as a feature, once scored CV AUC 0.97 on noise."""
    frame = _expression().reset_index(drop=True)
    frame.insert(0, "patient_id", range(100, 112))
    ds = load_table(**_parquet(tmp_path, frame))
    assert list(ds.feature_names) == GENES and list(ds.sample_ids[:2]) == ["100", "101"]
    frame = frame.rename(columns={"patient_id": "pid"})
    frame.to_parquet(tmp_path / "named.parquet", index=False)
    ds = load_table(tmp_path / "named.parquet", sample_column="pid")
    assert list(ds.feature_names) == GENES  # no "index" column from pandas' reset_index


def test_a_float_first_parquet_column_stays_a_feature(tmp_path):
    ds = load_table(**_parquet(tmp_path, _expression().reset_index(drop=True)))
    assert list(ds.feature_names) == GENES


def test_a_truncated_real_file_is_never_recorded_as_the_reference(data_home):
    barcodes = ["TCGA-A1-A0SB-01", "TCGA-A1-A0SB-11", "TCGA-A2-A04P-01", "TCGA-BH-A0BZ-11"]
    rng = np.random.default_rng(0)
    good = real_formats.write_xena(data_home / "good.gz", barcodes,
                                   [(g, rng.uniform(0, 9, 4)) for g in GENES])
    target = data_home / "tcga_brca" / "HiSeqV2.gz"
    target.parent.mkdir()
    target.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DataError, match="truncated or corrupt"):
        load("tcga_brca", source="real")
    assert not (data_home / "checksums.json").exists()
    shutil.copy(good, target)
    assert load("tcga_brca", source="real").X.shape == (4, len(GENES))
    assert "tcga_brca/HiSeqV2.gz" in json.loads((data_home / "checksums.json").read_text())


def test_an_option_the_real_loader_lacks_is_named(data_home):
    real_formats.write_xena(data_home / "tcga_brca" / "HiSeqV2.gz",
                            ["TCGA-A1-A0SB-01", "TCGA-A1-A0SB-11"], [("TP53", [1.0, 2.0])])
    with pytest.raises(DataError, match=r"takes no option \['missng'\].*\['missing'\]"):
        load("tcga_brca", source="real", missng="drop_features")


# -- estimator settings ----------------------------------------------------------------------

HYBRID_SETTINGS = [
    ({"mask_type": "bogus"}, "'mask_type' parameter of HybridClassifier"),
    ({"device": "gpu"}, "device='gpu' is not a PyTorch device"),
    ({"lr": -1}, "'lr' parameter"),
    ({"lr": float("nan")}, "'lr' parameter"),
    ({"tabnet_lr": 0.0}, "'tabnet_lr' parameter"),
    ({"feature_order": "bogus"}, "'feature_order' parameter"),
    ({"variant": "bogus"}, "'variant' parameter"),
    ({"n_selected": 0}, "'n_selected' parameter"),
    ({"n_selected": 2.5}, "'n_selected' parameter"),
    ({"n_d": 4.0}, "'n_d' parameter"),
    ({"n_steps": 0}, "'n_steps' parameter"),
    ({"gamma": 0.5}, "'gamma' parameter"),
    ({"lambda_sparse": -1.0}, "'lambda_sparse' parameter"),
    ({"virtual_batch_size": 0}, "'virtual_batch_size' parameter"),
    ({"cnn_channels": ()}, "cnn_channels must be a non-empty sequence of positive integers"),
    ({"cnn_channels": (0,)}, "cnn_channels must be a non-empty sequence of positive integers"),
    ({"kernel_size": 0}, "'kernel_size' parameter"),
    ({"kernel_size": 4}, "kernel_size must be odd"),
    ({"dropout": 1.5}, "'dropout' parameter"),
    ({"embedding_dim": 0}, "'embedding_dim' parameter"),
    ({"batch_size": 1}, "'batch_size' parameter"),
    ({"batch_size": "big"}, "'batch_size' parameter"),
    ({"max_epochs": 0}, "'max_epochs' parameter"),
    ({"patience": 0}, "'patience' parameter"),
    ({"validation_fraction": 1.0}, "'validation_fraction' parameter"),
    ({"random_state": -1}, "'random_state' parameter of HybridClassifier"),
    ({"random_state": 2**40}, "'random_state' parameter of HybridClassifier"),
] + ([] if torch.cuda.is_available() else
     [({"device": "cuda"}, "PyTorch sees no CUDA GPU here")])


@pytest.mark.parametrize("settings, match", HYBRID_SETTINGS,
                         ids=[f"{k}={v!r}" for s, _ in HYBRID_SETTINGS for k, v in s.items()])
def test_hybrid_settings_refused_before_training(toy, no_training, settings, match):
    with pytest.raises(ValueError, match=match):
        HybridClassifier(**{**TINY, **settings}).fit(*toy)


PRIVACY_SETTINGS = [
    (AdaptivePrivacy, {"delta": 0.5}, r"delta=0.5 is not below 1/n = 1/40"),
    (AdaptivePrivacy, {"delta": 0.1}, r"delta=0.1 is not below 1/n"),
    (AdaptivePrivacy, {"delta": 0.0}, "delta must lie strictly between 0 and 1"),
    (AdaptivePrivacy, {"epsilon": 0}, "'epsilon' parameter of AdaptivePrivacy"),
    (AdaptivePrivacy, {"epsilon": float("inf")}, "'epsilon' parameter"),
    (AdaptivePrivacy, {"epsilon": float("nan")}, "'epsilon' parameter"),
    (AdaptivePrivacy, {"epsilon": "1"}, "'epsilon' parameter"),
    (AdaptivePrivacy, {"mechanism": "bogus"}, "'mechanism' parameter"),
    (AdaptivePrivacy, {"budget": "bogus"}, "'budget' parameter"),
    (AdaptivePrivacy, {"scope": "bogus"}, "'scope' parameter"),
    (AdaptivePrivacy, {"mask_fraction": 1.0}, "'mask_fraction' parameter"),
    (AdaptivePrivacy, {"adaptivity": -1.0}, "'adaptivity' parameter"),
    (AdaptivePrivacy, {"attention_epochs": 0}, "'attention_epochs' parameter"),
    (AdaptivePrivacy, {"random_state": None}, "'random_state' parameter of AdaptivePrivacy"),
    (DPSGDClassifier, {"delta": 0.5}, r"delta=0.5 is not below 1/n = 1/40"),
    (DPSGDClassifier, {"delta": 0}, "'delta' parameter of DPSGDClassifier"),
    (DPSGDClassifier, {"epsilon": -1.0}, "'epsilon' parameter of DPSGDClassifier"),
    (DPSGDClassifier, {"max_grad_norm": 0}, "'max_grad_norm' parameter"),
    (DPSGDClassifier, {"batch_size": 0}, "'batch_size' parameter"),
    (DPSGDClassifier, {"lr": -1}, "'lr' parameter"),
    (DPSGDClassifier, {"max_epochs": 0}, "'max_epochs' parameter"),
    (DPSGDClassifier, {"random_state": None}, "'random_state' parameter of DPSGDClassifier"),
    (MLPClassifier, {"random_state": 2**40}, "'random_state' parameter of MLPClassifier"),
]


@pytest.mark.parametrize("estimator, settings, match", PRIVACY_SETTINGS,
                         ids=[f"{e.__name__}-{k}={v!r}" for e, s, _ in PRIVACY_SETTINGS
                              for k, v in s.items()])
def test_privacy_and_baseline_settings_refused_before_training(toy, no_training, estimator,
                                                               settings, match):
    X, y = toy
    scaled = (X - X.min(0)) / (X.max(0) - X.min(0))
    with pytest.raises(ValueError, match=match):
        estimator(**settings).fit(scaled, y)


@pytest.mark.parametrize("make, match", [
    pytest.param(lambda X, y: (np.ones_like(X), y), "Every one of the 6 features of X is "
                 "constant", id="all-constant-X"),
    pytest.param(lambda X, y: (np.zeros_like(X), y), "constant", id="all-zero-X"),
    pytest.param(lambda X, y: (X, np.ones_like(y)), "at least two classes", id="one-class"),
    pytest.param(lambda X, y: (X, np.linspace(0, 1, len(y))), "Unknown label type",
                 id="continuous-y"),
])
def test_data_the_hybrid_cannot_learn_from(toy, no_training, make, match):
    with pytest.raises(ValueError, match=match):
        HybridClassifier(**TINY).fit(*make(*toy))


def test_one_row_per_class_trains_by_the_small_data_rule(toy):
    """Too few rows for an early-stopping split: both rows train the small-data rule's epochs
    (nothing is held back, so no class needs a row on each side of a split)."""
    X, y = toy
    clf = HybridClassifier(**TINY).fit(X[19:21], y[19:21])
    assert {r["stopped_by"] for r in clf.convergence_.values()} == {"fixed_epochs"}
    assert clf.predict_proba(X[19:21]).shape == (2, 2)


def test_diverged_training_names_the_cause():
    """Training that diverges (features of 1e30, on one thread) turns TabNet's attention scores
    to NaN; sparsemax then found no feature in its support and indexed position -1."""
    from genomics_hybrid.model.tabnet import sparsemax_threshold
    with pytest.raises(FloatingPointError, match="training diverged. Scale the features"):
        sparsemax_threshold(torch.full((2, 6), float("nan")))


@pytest.mark.parametrize("estimator", [
    pytest.param(lambda: HybridClassifier(**TINY), id="hybrid"),
    pytest.param(lambda: StockTabNetClassifier(max_epochs=2, batch_size=16), id="stock-tabnet"),
])
def test_validation_rows_with_a_label_training_lacks(toy, no_training, estimator):
    """Encoded with searchsorted, such a label passed for a neighbouring class."""
    X, y = toy
    with pytest.raises(ValueError, match=r"validation rows hold labels the training rows lack "
                                         r"\(\[2\]\)"):
        estimator().fit(X, y, validation=(X[:6], np.array([0, 1, 2, 0, 1, 2])))


def test_random_state_none_is_fresh_randomness_and_0_stays_the_default(toy):
    X, y = toy
    validation = (X[:10], y[:10])  # a fixed split: only the network's seed can differ

    def proba(**settings):
        return HybridClassifier(**TINY, **settings).fit(X, y, validation).predict_proba(X)

    assert HybridClassifier().random_state == 0
    np.testing.assert_array_equal(proba(), proba(random_state=0))
    assert not np.allclose(proba(random_state=None), proba(random_state=None))


def test_predicting_before_fitting_says_so(toy):
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError, match="not fitted yet"):
        HybridClassifier().predict(toy[0])


# -- model files -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def saved(toy, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.pt"
    HybridClassifier(**TINY).fit(*toy).save(path)
    return path


def _rewrite(path: Path, edit, redigest: bool = False) -> None:
    """Edit the payload of a saved model in place, keeping the digest it was saved with (or
    recomputing it, as a careful forger would)."""
    outer = torch.load(path, weights_only=True)
    content = torch.load(io.BytesIO(outer["payload"].numpy().tobytes()), weights_only=True)
    edit(content)
    buffer = io.BytesIO()
    torch.save(content, buffer)
    outer["payload"] = torch.frombuffer(bytearray(buffer.getvalue()), dtype=torch.uint8)
    if redigest:
        outer["sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    torch.save(outer, path)


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_payload_bytes(path):
    outer = torch.load(path, weights_only=True)
    data = outer["payload"].clone()
    data[len(data) // 2: len(data) // 2 + 64] ^= 0xFF
    outer["payload"] = data
    torch.save(outer, path)


def _scale_a_weight(content):
    key = next(k for k in content["state"] if k.endswith("weight"))
    content["state"][key] = content["state"][key] * 1.5


def _rogue(path):
    class Payload:
        def __reduce__(self):
            return (Path.touch, (path.with_suffix(".ran"),))
    torch.save({"format": "genomics-hybrid/HybridClassifier/2", "payload": Payload()}, path)


MODEL_FILES = [
    pytest.param(_truncate, "truncated or damaged", id="truncated"),
    pytest.param(lambda p: p.write_bytes(b""), "truncated or damaged", id="empty"),
    pytest.param(lambda p: p.write_text("hello"), "truncated or damaged", id="text-file"),
    pytest.param(lambda p: joblib.dump(LogisticRegression(), p), "never loaded",
                 id="joblib-pickle"),
    pytest.param(_rogue, "never loaded", id="pickled-code"),
    pytest.param(lambda p: torch.save({"w": torch.zeros(2)}, p),
                 "not a HybridClassifier file .*found 'dict'", id="bare-state-dict"),
    pytest.param(lambda p: torch.save({"format": "genomics-hybrid/HybridClassifier/1"}, p),
                 "found 'genomics-hybrid/HybridClassifier/1'.*save it again",
                 id="format-1-without-digest"),
    pytest.param(_flip_payload_bytes, "damaged or edited after it was saved",
                 id="64-flipped-bytes"),
    pytest.param(lambda p: _rewrite(p, _scale_a_weight), "damaged or edited",
                 id="edited-weights"),
    pytest.param(lambda p: _rewrite(p, lambda c: c["params"].update(n_d=8)),
                 "damaged or edited", id="edited-metadata"),
    pytest.param(lambda p: _rewrite(p, lambda c: c["fitted"].update(classes=[1, 0])),
                 "damaged or edited", id="edited-classes"),
    pytest.param(lambda p: _rewrite(p, lambda c: c["params"].update(n_d=8), redigest=True),
                 "passes its checksum but does not hold", id="edited-metadata-and-digest"),
]


@pytest.mark.parametrize("damage, match", MODEL_FILES)
def test_model_files_load_refuses(saved, tmp_path, damage, match):
    path = Path(shutil.copy(saved, tmp_path / "model.pt"))
    damage(path)
    with pytest.raises(ModelFileError, match=match) as refused:
        HybridClassifier.load(path, device="cpu")
    assert "weights_only" not in str(refused.value)  # never the advice to unpickle anything
    assert not path.with_suffix(".ran").exists()


@pytest.mark.parametrize("call, error, match", [
    pytest.param(lambda t, s: HybridClassifier.load(t / "absent.pt"), FileNotFoundError,
                 "No model file at", id="load-absent-file"),
    pytest.param(lambda t, s: HybridClassifier.load(s, device="gpu"), ValueError,
                 "not a PyTorch device", id="load-on-unknown-device"),
    pytest.param(lambda t, s: HybridClassifier.load(s, device="cpu").save(t / "no" / "m.pt"),
                 FileNotFoundError, "does not exist. Create it first", id="save-into-no-folder"),
    pytest.param(lambda t, s: HybridClassifier.load(s, device="cpu").save(t), IsADirectoryError,
                 "it is a folder. Name a file in it", id="save-onto-a-folder"),
])
def test_model_file_paths(saved, tmp_path, call, error, match):
    with pytest.raises(error, match=match):
        call(tmp_path, saved)


# -- privacy budgets and attacks ---------------------------------------------------------------

@pytest.mark.parametrize("settings", [
    pytest.param({"epsilon": np.float32(1.0)}, id="numpy-float32-epsilon"),
    pytest.param({"epsilon": np.int64(2)}, id="numpy-int-epsilon"),
    pytest.param({"mechanism": "laplace", "delta": 0}, id="laplace-delta-0-unused"),
    pytest.param({"mechanism": "none", "delta": 0.5}, id="masking-only-delta-unused"),
])
def test_budgets_that_are_accepted(toy, settings):
    X, y = toy
    scaled = (X - X.min(0)) / (X.max(0) - X.min(0))
    released = AdaptivePrivacy(attention_epochs=2, **settings).fit_transform(scaled, y)
    assert released.shape == X.shape


def test_budget_helpers_take_numpy_numbers_and_laplace_needs_no_delta():
    assert noise_scales(np.ones(3), "laplace", 1.0, 0.0)[1] == pytest.approx(1.0)
    assert noise_scales(np.ones(3), "gaussian", np.float32(1.0), 1e-5)[0].shape == (3,)


def test_dp_sgd_takes_a_numpy_epsilon(toy):
    X, y = toy
    scaled = (X - X.min(0)) / (X.max(0) - X.min(0))
    model = DPSGDClassifier(epsilon=np.float32(2.0), max_epochs=1, batch_size=8, n_d=4, n_a=4,
                            validation_fraction=0).fit(scaled, y)
    assert 0 < model.epsilon_ <= 2.0 + 1e-6


@pytest.mark.parametrize("labels, members, match", [
    pytest.param([0, 1], [0, 1, 2, 1, 0, 1, 0, 1, 0, 1], r"Labels \[2\] of the attacked rows",
                 id="label-the-model-never-saw"),
    pytest.param(["n", "t"], ["n", "t"] * 5, "binary model with classes 0 and 1",
                 id="model-with-text-classes"),
])
def test_membership_attack_refuses_labels_it_cannot_score(toy, labels, members, match):
    X, y = toy
    model = LogisticRegression().fit(X, np.asarray(labels)[y])
    with pytest.raises(ValueError, match=match):
        loss_threshold_attack(model, X[:10], np.asarray(members), X[10:20],
                              np.asarray(labels)[y[10:20]])


# -- the result cache ------------------------------------------------------------------------

@pytest.fixture
def cache_run(toy):
    X, y = toy
    dataset = Dataset(X=X, y=y, feature_names=np.array([f"g{i}" for i in range(6)], dtype=object),
                      sample_ids=np.array([f"s{i}" for i in range(40)], dtype=object),
                      info={"name": "toy", "source": "user"})
    computed = []

    def run(cache_dir):
        def compute():
            computed.append(1)
            return {"metrics": {"auc": 0.75}, "proba": [0.1, float("nan")]}
        return cached(cache_dir, dataset, "m", "fold0", HybridClassifier(), Protocol(), compute)
    run.computed, run.dataset = computed, dataset
    return run


def _edit_record(path):
    stored = json.loads(path.read_text())
    stored["record"]["metrics"]["auc"] = 0.99
    path.write_text(json.dumps(stored))


@pytest.mark.parametrize("damage", [
    pytest.param(_truncate, id="cut-in-half"),
    pytest.param(lambda p: p.write_text(""), id="emptied"),
    pytest.param(_edit_record, id="edited-into-other-valid-json"),
    pytest.param(lambda p: p.write_text("[1, 2]"), id="json-of-another-shape"),
    pytest.param(lambda p: p.write_text(json.dumps(json.loads(p.read_text())["record"])),
                 id="record-without-digest"),
])
def test_a_damaged_cache_file_is_refitted_with_a_warning_naming_it(tmp_path, cache_run, damage):
    first = cache_run(tmp_path)
    (path,) = tmp_path.glob("*.json")
    damage(path)
    with pytest.warns(UserWarning, match=f"Cache file {re.escape(str(path))} is damaged or was"):
        again = cache_run(tmp_path)
    assert json.dumps(again) == json.dumps(first) and len(cache_run.computed) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert json.dumps(cache_run(tmp_path)) == json.dumps(first)  # stored intact again
    assert len(cache_run.computed) == 2


def test_a_damaged_cache_file_is_no_record_to_look_up(tmp_path, cache_run):
    cache_run(tmp_path)
    _truncate(next(tmp_path.glob("*.json")))
    with pytest.warns(UserWarning, match="is damaged"):
        assert cached_record(tmp_path, cache_run.dataset, "fold0", HybridClassifier(),
                             Protocol()) is None


def test_a_cache_dir_that_is_a_file(tmp_path, cache_run):
    (tmp_path / "cache").write_text("x")
    with pytest.raises(NotADirectoryError, match="cache_dir=.* is a file, not a folder"):
        cache_run(tmp_path / "cache")


# -- notebooks and the command line ------------------------------------------------------------

@pytest.mark.parametrize("notebook", ["01_preprocessing", "02_training", "03_ablation",
                                      "04_privacy", "05_interpretability"])
def test_notebooks_take_the_missing_values_policy(notebook):
    """The NaN error advises missing='drop_features': papermill must be able to pass it."""
    cells = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    values = {}
    exec(code[0], {}, values)
    assert values["missing"] == "error"
    call = next(src for src in code if "notebook.start(" in src)
    assert "positive, missing" in call


def test_notebook_inputs_pass_the_missing_values_policy(tmp_path):
    path = _write(tmp_path / "gaps.csv", _expression().assign(TP53=[np.nan] + [1.0] * 11))
    with pytest.raises(DataError, match="missing='drop_features'"):
        notebook_inputs(str(path), "smoke", 0)
    _, ds = notebook_inputs(str(path), "smoke", 0, missing="drop_features")
    assert list(ds.feature_names) == GENES[1:]


@pytest.mark.parametrize("args, match", [
    pytest.param(["comparison", "--profile", "nosuch"], "Unknown profile 'nosuch'",
                 id="unknown-profile"),
    pytest.param(["comparison", "--profile", "smoke", "--datasets", "gse7390", "--cache",
                  "cache-file"], "is a file, not a folder", id="cache-that-is-a-file"),
    pytest.param(["comparison", "--profile", "smoke", "--datasets", "nosuch"],
                 "has no dataset 'nosuch'", id="dataset-not-in-the-profile"),
])
def test_command_line(tmp_path, args, match):
    """The package's message, and no traceback: the user's input was wrong, not the code."""
    (tmp_path / "cache-file").write_text("x")
    done = subprocess.run([sys.executable, "-m", "genomics_hybrid.experiments", *args],
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 2 and match in done.stderr
    assert "Traceback" not in done.stderr
