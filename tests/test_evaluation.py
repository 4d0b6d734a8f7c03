import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from evaluation_helpers import Recorder, SpyClassifier, synthetic_dataset
from genomics_hybrid import preprocess
from genomics_hybrid.baselines import baseline_models
from genomics_hybrid.model import HybridClassifier
from genomics_hybrid.datasets import Dataset, load
from genomics_hybrid.evaluation import (RESULT_COLUMNS, ModelFailedError, Protocol,
                                        ProtocolError, compare_cv, compare_holdout, run, split,
                                        summarise)
from genomics_hybrid.metrics import METRICS
from genomics_hybrid.profiles import load_profile, profile_names

QUIET = {"progress": False}


def test_split_partitions_the_rows_and_is_deterministic():
    dataset = synthetic_dataset(n=150)
    parts = split(dataset, Protocol(random_state=1))
    assert len(parts.test) == 30 and parts.groups is None
    assert np.intersect1d(parts.train, parts.test).size == 0
    assert np.union1d(parts.train, parts.test).tolist() == list(range(150))
    validation = np.concatenate([v for _, v in parts.folds])
    assert np.sort(validation).tolist() == parts.train.tolist()   # each row validated once
    for fit, held in parts.folds:
        assert np.intersect1d(fit, held).size == 0 and len(fit) + len(held) == 120
    assert abs(dataset.y[parts.test].mean() - dataset.y.mean()) < 0.05    # stratified
    again = split(dataset, Protocol(random_state=1))
    assert np.array_equal(again.test, parts.test)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(again.folds, parts.folds))
    assert not np.array_equal(split(dataset, Protocol(random_state=2)).test, parts.test)


def test_group_aware_splits_never_share_a_group():
    dataset = synthetic_dataset(n=240, n_groups=20, positive_fraction=0.4)
    parts = split(dataset, Protocol())
    groups = dataset.groups
    assert parts.groups is groups
    assert not set(groups[parts.train]) & set(groups[parts.test])
    for fit, validation in parts.folds:
        assert not set(groups[fit]) & set(groups[validation])
        assert not set(groups[fit]) & set(groups[parts.test])
    ignored = split(dataset, Protocol(groups="none"))
    assert ignored.groups is None and set(groups[ignored.train]) & set(groups[ignored.test])


def test_protocol_errors_name_the_problem_and_the_fix():
    with pytest.raises(ProtocolError, match=r"groups='tumour' is not one of \('auto', "):
        Protocol(groups="tumour")
    with pytest.raises(ProtocolError, match="Unknown preprocessing settings.*smote_ration"):
        Protocol(preprocessing={"smote_ration": 0.5})
    with pytest.raises(ProtocolError, match="n_folds must be an integer >= 2"):
        Protocol(n_folds=1)
    with pytest.raises(ProtocolError, match="has no groups.*groups='auto' or 'none'"):
        split(synthetic_dataset(), Protocol(groups="dataset"))
    few = synthetic_dataset(n=40, positive_fraction=0.1)               # 4 positives
    with pytest.raises(ProtocolError, match=r"class 1 has 3 samples in the 80% training part.*"
                                            r"n_folds=5.*use n_folds=3 or fewer"):
        split(few, Protocol())
    few_groups = synthetic_dataset(n=80, n_groups=4)
    with pytest.raises(ProtocolError, match=r"class 0 has 4 groups.*test_size=0.2.*groups='none'"):
        split(few_groups, Protocol())


def test_every_profile_builds_a_protocol():
    for name in profile_names():
        protocol = Protocol.from_profile(load_profile(name))
        assert protocol.n_folds == (5 if name == "full" else 3) and protocol.test_size == 0.2
    with pytest.raises(ProtocolError, match="unknown evaluation settings \\['folds'\\]"):
        Protocol.from_profile({"name": "p", "evaluation": {"folds": 3}})


def test_no_validation_or_holdout_row_ever_reaches_fit(monkeypatch):
    """The first pipeline step receives the raw rows of each fit: record them there."""
    dataset = synthetic_dataset(n=100)
    row_index = {row.tobytes(): i for i, row in enumerate(dataset.X)}
    raw_fits = []
    original_fit = preprocess.VarianceFilter.fit

    def recording_fit(self, X, y=None):
        raw_fits.append(sorted(row_index[row.tobytes()] for row in np.asarray(X)))
        return original_fit(self, X, y)

    monkeypatch.setattr(preprocess.VarianceFilter, "fit", recording_fit)
    recorder = Recorder()
    protocol = Protocol(n_folds=4)
    run({"spy": SpyClassifier(recorder)}, dataset, protocol, **QUIET)
    parts = split(dataset, protocol)
    expected = [fit.tolist() for fit, _ in parts.folds] + [parts.train.tolist()]
    assert raw_fits == expected
    for fitted, (_, validation) in zip(raw_fits, parts.folds):
        assert not set(fitted) & set(validation.tolist())
    assert not set().union(*raw_fits) & set(parts.test.tolist())
    # and the model predicts each validation fold, then the 20 hold-out rows, exactly once;
    # after each, its own training rows (for the membership attacks)
    evaluated = [len(v) for _, v in parts.folds] + [20]
    fitted = [len(f) for f, _ in parts.folds] + [len(parts.train)]
    assert [len(p) for p in recorder.predictions] == [n for pair in zip(evaluated, fitted)
                                                      for n in pair]


def test_run_returns_tidy_rows_summaries_and_predictions():
    dataset = synthetic_dataset(n=100)
    models = {"a": SpyClassifier(), "b": SpyClassifier(version=1)}
    results, predictions = run(models, dataset, Protocol(n_folds=3), return_predictions=True,
                               **QUIET)
    assert list(results.columns) == RESULT_COLUMNS
    assert len(results) == 2 * 4 * len(METRICS)
    assert set(results.fold) == {"fold0", "fold1", "fold2", "holdout"}
    assert (results.peak_rss_mb > 0).all() and (results.fit_seconds >= 0).all()
    holdout = predictions[(predictions.model == "a") & (predictions.fold == "holdout")]
    assert len(holdout) == 20 and set(holdout.sample_id) <= set(dataset.sample_ids)
    summary = summarise(results, predictions)
    assert len(summary) == 2 * len(METRICS)
    assert (summary.cv_ci_low <= summary.cv_mean).all()
    assert (summary.cv_mean <= summary.cv_ci_high).all()
    assert (summary.holdout_ci_low <= summary.holdout_ci_high).all()
    assert compare_cv(results, "a", "b")["p_value"] == 1.0           # same scores
    assert compare_holdout(predictions, "a", "b")["p_value"] == 1.0


def test_interrupted_run_resumes_and_refits_only_the_missing_fold(tmp_path):
    dataset = synthetic_dataset(n=100)
    recorder = Recorder()
    models = {"spy": SpyClassifier(recorder)}
    first = run(models, dataset, Protocol(), cache_dir=tmp_path, **QUIET)
    assert len(recorder.fits) == 6 and len(list(tmp_path.glob("*.json"))) == 6
    (fold2,) = tmp_path.glob("synthetic__spy__fold2__*.json")
    fold2.unlink()
    second = run(models, dataset, Protocol(), cache_dir=tmp_path, **QUIET)
    assert len(recorder.fits) == 7
    scores = ["model", "fold", "metric", "value", "n_train", "n_test"]
    assert second[scores].equals(first[scores])
    run({"spy": SpyClassifier(recorder, version=2)}, dataset, Protocol(), cache_dir=tmp_path,
        **QUIET)                                                  # new parameters: new fits
    assert len(recorder.fits) == 13


def test_permuted_labels_give_chance_auc():
    """With the labels shuffled there is nothing to learn: the CV AUC must sit near 0.5.

    Under the null, the AUC of one fold of ~32 samples (about 21 vs 11) has a standard
    deviation of about 0.1 (Hanley & McNeil), the mean of 5 folds about 0.05; 0.15 is three of
    those, loose enough never to flake (the run is seeded anyway) and tight enough to catch a
    leak, which drives the AUC towards 1.
    """
    real = load("gse7390")
    labels = np.random.default_rng(0).permutation(real.y)
    permuted = Dataset(real.X, labels, real.feature_names, real.sample_ids,
                       info={"name": "gse7390_permuted", "source": "bundled"})
    models = baseline_models(random_state=0, n_jobs=1)
    models = {"l1_logistic": models["l1_logistic"],
              "random_forest": models["random_forest"].set_params(n_estimators=100),
              "hybrid": HybridClassifier(max_epochs=15, patience=5, n_selected=32,
                                         cnn_channels=(16, 32, 32), embedding_dim=32)}
    results = run(models, permuted, Protocol(), **QUIET)
    cv_auc = results[(results.metric == "auc") & (results.fold != "holdout")]
    for model, mean_auc in cv_auc.groupby("model").value.mean().items():
        assert abs(mean_auc - 0.5) < 0.15, (model, mean_auc)


@pytest.mark.parametrize("stage", ["fit", "predict"])
def test_a_failing_model_is_named_with_its_fold(stage):
    models = {"fine": SpyClassifier(), "broken": SpyClassifier(fail_in=stage)}
    verb = "fitting" if stage == "fit" else "predicting"
    with pytest.raises(ModelFailedError, match=rf"'broken' failed while {verb} on fold0 .*"
                                               rf"ValueError: boom in {stage}"):
        run(models, synthetic_dataset(), Protocol(), **QUIET)


def test_models_need_predict_proba():
    from sklearn.svm import LinearSVC
    with pytest.raises(TypeError, match="'svm'.*has no predict_proba"):
        run({"svm": LinearSVC()}, synthetic_dataset(), Protocol(), **QUIET)


def test_cached_computes_once_and_reads_the_record_back(tmp_path):
    from genomics_hybrid.cache import cached
    data = synthetic_dataset(n=40, d=4)
    calls = []

    def compute():
        calls.append(1)
        return {"value": 0.5}
    model = LogisticRegression()
    first = cached(tmp_path, data, "m", "membership", model, Protocol(), compute)
    again = cached(tmp_path, data, "m", "membership", model, Protocol(), compute)
    assert first == again == {"value": 0.5} and len(calls) == 1
    cached(tmp_path, data, "m", "membership", LogisticRegression(C=2.0), Protocol(), compute)
    assert len(calls) == 2                      # other parameters: another key
    assert cached(None, data, "m", "membership", model, Protocol(), compute) == {"value": 0.5}


def test_convergence_rows_start_a_warm_started_stage_at_epoch_0():
    from genomics_hybrid.evaluation import convergence_rows
    from genomics_hybrid.model.training import convergence_record
    joint = convergence_record([0.5, 0.4], [0.7, 0.8], 100, 1, initial_validation_loss=0.6)
    rows = convergence_rows("d", "hybrid", "fold0", {"joint": joint})
    assert [(r["epoch"], r["validation_loss"]) for r in rows] == [(0, 0.6), (1, 0.7), (2, 0.8)]
    assert np.isnan(rows[0]["train_loss"]) and rows[0]["best_epoch"] == 0
