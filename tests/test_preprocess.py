import numpy as np
import pytest
from sklearn.base import clone

from evaluation_helpers import Recorder, SpyClassifier
from genomics_hybrid.preprocess import (MinoritySMOTE, NoiseDropoutAugmenter, VarianceFilter,
                                        make_pipeline)


def split_rows(seed=0, n=60, d=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (np.arange(n) % 3 == 0).astype(int)
    return X[:40], y[:40], X[40:], y[40:]


def test_variance_filter_uses_the_training_rows_only():
    X_train, _, X_test, _ = split_rows()
    X_train[:, 2] = 1.0        # constant on the training rows, varies on the test rows
    X_test[:, 4] *= 100        # wildly variable on the test rows only
    selector = VarianceFilter(top_k=3).fit(X_train)
    np.testing.assert_allclose(selector.variances_, X_train.var(axis=0, dtype=np.float64))
    assert not selector.get_support()[2]
    expected = np.sort(np.argsort(-X_train.var(axis=0))[:3])
    assert selector.get_support(indices=True).tolist() == expected.tolist()
    assert selector.transform(X_test).shape == (20, 3)


def test_variance_filter_threshold_wide_top_k_and_clear_errors():
    X_train = np.array([[0, 1, 5], [0, 3, 5], [0, 5, 5]], dtype=np.float32)
    assert VarianceFilter().fit(X_train).get_support().tolist() == [False, True, False]
    assert VarianceFilter(top_k=4).fit(X_train).get_support().tolist() == [False, True, False]
    with pytest.raises(ValueError, match="no feature has a training variance above"):
        VarianceFilter(threshold=10).fit(X_train)
    with pytest.raises(ValueError, match="threshold"):
        VarianceFilter(threshold=-1).fit(X_train)


def test_scaler_learns_training_range_and_clips_unseen_rows():
    X_train, y_train, X_test, _ = split_rows()
    pipe = make_pipeline(SpyClassifier(), smote=False, undersample=False, augment=False)
    pipe.fit(X_train, y_train)
    scaler = pipe.named_steps["scale"]
    np.testing.assert_allclose(scaler.data_min_, X_train.min(axis=0))
    np.testing.assert_allclose(scaler.data_max_, X_train.max(axis=0))
    scaled = pipe[:-1].transform(X_test * 3)
    assert scaled.min() == 0 and scaled.max() == 1


def test_smote_on_a_tiny_minority_shrinks_k_then_undersampling_balances():
    X = np.random.default_rng(0).normal(size=(23, 4))
    y = np.array([1] * 3 + [0] * 20)
    smote = MinoritySMOTE(ratio=0.5, k_neighbors=5, random_state=0)
    X_smote, y_smote = smote.fit_resample(X, y)
    assert smote.k_neighbors_ == 2 and smote.n_synthetic_ == 7
    assert np.bincount(y_smote).tolist() == [20, 10]
    np.testing.assert_array_equal(X_smote[:23], X)           # real rows first, unchanged
    pipe = make_pipeline(SpyClassifier(recorder := Recorder()), augment=False).fit(X, y)
    assert len(recorder.fits[0]) == 20                         # 10 + 10
    assert pipe.named_steps["smote"].n_synthetic_ == 7


def test_smote_skips_a_minority_at_the_ratio_and_refuses_a_single_sample():
    X = np.random.default_rng(0).normal(size=(30, 3))
    balanced = np.array([1] * 10 + [0] * 20)
    smote = MinoritySMOTE(ratio=0.5)
    X_out, y_out = smote.fit_resample(X, balanced)
    assert smote.n_synthetic_ == 0 and len(y_out) == 30
    almost = np.array([1] * 26 + [0] * 53)                    # 26 < 0.5 * 53 = 26.5
    X_almost = np.random.default_rng(1).normal(size=(79, 3))
    assert len(MinoritySMOTE(ratio=0.5).fit_resample(X_almost, almost)[1]) == 79
    with pytest.raises(ValueError, match="at least 2 samples of the minority class 1.*found 1"):
        MinoritySMOTE().fit_resample(X, np.array([1] + [0] * 29))


def test_augmentation_runs_while_fitting_only_and_is_seeded():
    X_train, y_train, X_test, _ = split_rows()
    recorder = Recorder()
    pipe = make_pipeline(SpyClassifier(recorder), smote=False, undersample=False,
                         noise_std=0.05, dropout_rate=0.2, random_state=3)
    pipe.fit(X_train, y_train)
    fitted = recorder.fits[0]
    clean = pipe[:2].transform(X_train)
    assert len(fitted) == 2 * len(X_train)
    np.testing.assert_array_equal(fitted[:40], clean)
    copies = fitted[40:]
    dropped = copies == 0
    assert 0.1 < dropped.mean() < 0.3
    assert 0.03 < np.std(copies[~dropped] - clean[~dropped]) < 0.07
    pipe.predict_proba(X_test)
    np.testing.assert_array_equal(recorder.predictions[0], pipe[:2].transform(X_test))
    again = NoiseDropoutAugmenter(dropout_rate=0.2, random_state=3).fit_resample(clean, y_train)
    np.testing.assert_array_equal(again[0], fitted)


def test_make_pipeline_steps_switch_off_and_clone():
    pipe = make_pipeline(SpyClassifier(), variance_top_k=5)
    assert [name for name, _ in pipe.steps] == ["variance", "scale", "smote", "undersample",
                                                "augment", "model"]
    bare = make_pipeline(SpyClassifier(), smote=False, undersample=False, augment=False)
    assert [name for name, _ in bare.steps] == ["variance", "scale", "model"]
    copy = clone(pipe)
    assert copy.get_params()["variance__top_k"] == 5
    assert copy.named_steps["smote"] is not pipe.named_steps["smote"]


class EarlyStoppingSpy(SpyClassifier):
    """A spy that takes early-stopping rows like the deep models: ``fit(X, y, validation)``."""

    def __init__(self, recorder=None, validation_fraction=0.2):
        super().__init__(recorder)
        self.validation_fraction = validation_fraction

    def fit(self, X, y, validation=None):
        self.recorder.validation = validation
        return super().fit(X, y)


def test_early_stopping_rows_are_real_rows_carved_before_resampling(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(100, 5)).astype(np.float32)
    y = (np.arange(100) % 4 == 0).astype(int)                # 25 % positives: SMOTE works
    resampled_inputs = []
    for sampler in (MinoritySMOTE, NoiseDropoutAugmenter):
        def spying(self, X_in, y_in, original=sampler._fit_resample):
            resampled_inputs.append(np.array(X_in))
            return original(self, X_in, y_in)
        monkeypatch.setattr(sampler, "_fit_resample", spying)
    recorder = Recorder()
    pipe = make_pipeline(EarlyStoppingSpy(recorder), random_state=0).fit(X, y)
    X_val, y_val = recorder.validation
    assert len(y_val) == 20 and y_val.sum() == 5             # stratified 20 % of the real rows
    # the validation rows are original rows, only filtered and scaled (no noise, no SMOTE)
    originals = pipe[:2].transform(X)                         # variance filter, scaler
    matches = [np.flatnonzero(np.all(np.isclose(originals, row), axis=1)) for row in X_val]
    assert all(len(m) == 1 for m in matches)
    # no sampler ever saw a validation row, so no synthetic or noisy copy of one exists
    assert len(resampled_inputs) == 2
    for seen in resampled_inputs:
        assert not any(np.all(np.isclose(seen, row), axis=1).any() for row in X_val)
    # the scaler and the filter were fitted without them
    assert pipe.named_steps["scale"].n_samples_seen_ == 80
    assert pipe.n_validation_ == 20


class PriorFollower(SpyClassifier):
    """Ranks perfectly by feature 0, and puts its probabilities on the log-odds of the class
    balance it was trained on, as a model trained on rebalanced rows does."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.log_odds_ = np.log(np.mean(y == 1) / np.mean(y == 0))
        return self

    def predict_proba(self, X):
        positive = 1 / (1 + np.exp(-(self.log_odds_ + 0.4 + 2.6 * np.asarray(X)[:, 0])))
        return np.column_stack([1 - positive, positive])


def test_prior_correction_makes_a_perfect_ranking_score_a_good_accuracy():
    from genomics_hybrid.metrics import classification_metrics
    rng = np.random.default_rng(1)
    y = (rng.uniform(size=400) < 0.1).astype(int)
    X = np.column_stack([y + rng.uniform(0, 0.5, 400), rng.normal(size=(400, 3))])
    train, test = np.arange(300), np.arange(300, 400)
    scores = {}
    for corrected in (False, True):
        pipe = make_pipeline(PriorFollower(), prior_correction=corrected, augment=False)
        proba = pipe.fit(X[train], y[train]).predict_proba(X[test])[:, 1]
        scores[corrected] = classification_metrics(y[test], proba)
    assert scores[False]["auc"] == scores[True]["auc"] == 1.0
    positive_rate = y[test].mean()
    # trained on balanced rows, the raw model calls every row positive ...
    assert scores[False]["accuracy"] == pytest.approx(positive_rate)
    # ... the fold-internal correction to the training rows' prior makes the ranking count
    assert scores[True]["accuracy"] > 0.95


def test_prior_log_ratio_is_bayes_rule():
    from genomics_hybrid.preprocess import prior_log_ratio
    ratio = prior_log_ratio([0] * 9 + [1], [0, 1] * 5, np.array([0, 1]))
    np.testing.assert_allclose(np.exp(ratio), [0.9 / 0.5, 0.1 / 0.5])
    with pytest.raises(ValueError, match="every class"):
        prior_log_ratio([0, 0], [0, 1], np.array([0, 1]))


def test_the_pipeline_keeps_float32_from_the_rows_to_the_model():
    """Every step hands float32 on (no float64 promotion of X on the way to the model), the
    filter always hands the scaler a new array (which it scales in place), and the caller's X
    is never written."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(90, 12)).astype(np.float32)
    X[:, 3] = 1.0                                             # constant: the filter drops it
    y = (np.arange(90) % 4 == 0).astype(int)
    before = X.copy()
    recorder = Recorder()
    pipe = make_pipeline(EarlyStoppingSpy(recorder), random_state=0).fit(X, y)
    Xt = X
    for name, step in pipe.steps[:-1]:
        out = step.transform(Xt) if hasattr(step, "transform") else step.fit_resample(Xt, y)[0]
        assert out.dtype == np.float32, name
        if name == "variance":
            assert not np.shares_memory(out, Xt)
        Xt = out if hasattr(step, "transform") else Xt
    assert recorder.fits[0].dtype == np.float32
    assert recorder.validation[0].dtype == np.float32
    assert pipe.predict_proba(X).shape == (90, 2) and recorder.predictions[0].dtype == np.float32
    np.testing.assert_array_equal(X, before)
    kept_all = VarianceFilter().fit(X[:, :3])
    assert not np.shares_memory(kept_all.transform(X[:, :3]), X)


def test_fit_on_rows_is_fit_on_a_copy_of_those_rows():
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(120, 8)).astype(np.float32)
    y = (np.arange(120) % 3 == 0).astype(int)
    rows = np.sort(rng.permutation(120)[:90])
    first, second = Recorder(), Recorder()
    make_pipeline(EarlyStoppingSpy(first), random_state=0).fit(X, y, rows=rows)
    make_pipeline(EarlyStoppingSpy(second), random_state=0).fit(X[rows], y[rows])
    np.testing.assert_array_equal(first.fits[0], second.fits[0])
    np.testing.assert_array_equal(first.validation[0], second.validation[0])


def test_smote_rows_are_imblearns_and_augmentation_blocks_are_one_draw(monkeypatch):
    """MinoritySMOTE writes imblearn's synthetic rows after a single copy of X; the augmenter
    draws its noise a block of rows at a time: both give the values of the whole-array code."""
    from imblearn.over_sampling import SMOTE
    from sklearn.utils import check_random_state

    import genomics_hybrid._arrays as arrays
    monkeypatch.setattr(arrays, "_BLOCK_BYTES", 500)          # a few rows per block
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(80, 9)).astype(np.float32)
    y = (np.arange(80) % 5 == 0).astype(int)
    ours = MinoritySMOTE(ratio=0.6, k_neighbors=4, random_state=7).fit_resample(X, y)
    theirs = SMOTE(sampling_strategy={1: 38}, k_neighbors=4, random_state=7).fit_resample(X, y)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    assert ours[0].dtype == np.float32
    X_aug, _ = NoiseDropoutAugmenter(n_copies=2, random_state=3).fit_resample(X, y)
    draws = check_random_state(3)
    copies = np.repeat(X[np.newaxis], 2, axis=0)
    copies += draws.normal(0.0, 0.05, size=copies.shape).astype(np.float32)
    copies[draws.random_sample(copies.shape) < 0.1] = 0
    np.testing.assert_array_equal(X_aug, np.concatenate([X, copies.reshape(-1, 9)]))


def test_too_few_real_rows_to_stop_by_hand_the_model_zero_validation_rows():
    """The small-data rule (``MIN_VALIDATION_ROWS``): 95 real rows give a 20 % share of 19, so
    nothing is held back and the model is told so with zero rows, rather than left to carve
    its own split from the ~180 resampled rows, whose near-copies sit on both sides."""
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(95, 5)).astype(np.float32)
    y = (np.arange(95) % 4 == 0).astype(int)
    recorder = Recorder()
    pipe = make_pipeline(EarlyStoppingSpy(recorder), random_state=0).fit(X, y)
    X_val, y_val = recorder.validation
    assert len(y_val) == 0 and X_val.shape == (0, 5) and pipe.n_validation_ == 0


def test_small_data_rule_averages_the_model_over_seeds():
    """Under the small-data rule the pipeline fits SMALL_DATA_SEEDS copies of a seeded model
    (the model's seed, then the next ones) and averages their probabilities; a model that
    opts out (DP-SGD) or has no seed is fitted once."""
    from genomics_hybrid.baselines import MLPClassifier
    from genomics_hybrid.model.training import SMALL_DATA_SEEDS
    rng = np.random.default_rng(1)
    X = rng.uniform(size=(60, 8)).astype(np.float32)
    y = (X[:, 0] > 0.5).astype(int)
    pipe = make_pipeline(MLPClassifier(hidden_layer_sizes=(8,), max_epochs=3, random_state=7),
                         prior_correction=False, random_state=0).fit(X, y)
    models = [pipe[-1], *pipe.members_]
    assert [m.random_state for m in models] == list(range(7, 7 + SMALL_DATA_SEEDS))
    assert all(m.convergence_["mlp"]["stopped_by"] == "fixed_epochs" for m in models)
    Xt = X
    for _, _, step in pipe._iter(with_final=False):             # the samplers skipped
        Xt = step.transform(Xt)
    each = [m.predict_proba(Xt) for m in models]
    assert not np.allclose(each[0], each[1])                  # the seeds differ
    np.testing.assert_allclose(pipe.predict_proba(X), np.mean(each, axis=0), rtol=1e-6)
    large = make_pipeline(MLPClassifier(hidden_layer_sizes=(8,), max_epochs=3),
                          random_state=0).fit(np.tile(X, (3, 1)), np.tile(y, 3))
    assert large.members_ == [] and large.n_validation_ == 27   # 15 % of 180 rows: early stopping
    recorder = Recorder()
    unseeded = make_pipeline(EarlyStoppingSpy(recorder), random_state=0).fit(X, y)
    assert unseeded.members_ == []
