"""Algorithm 4's mechanisms and accounting, and the membership-inference attacks."""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import norm
from sklearn.dummy import DummyClassifier
from sklearn.neighbors import KNeighborsClassifier

from evaluation_helpers import Recorder, SpyClassifier
from genomics_hybrid.preprocess import make_pipeline
from genomics_hybrid.privacy import (DEFAULT_DELTA, AdaptivePrivacy, DPSGDClassifier,
                                     gaussian_epsilon,
                                     gaussian_max_sensitivity, loss_threshold_attack,
                                     noise_scales, shadow_model_attack)

FAST = {"attention_epochs": 3}


@pytest.fixture(scope="module")
def scaled():
    """100 x 20 in [0, 1]; the label follows features 0-2."""
    rng = np.random.default_rng(0)
    X = rng.random((100, 20)).astype(np.float32)
    y = (X[:, :3].sum(axis=1) > 1.5).astype(int)
    return X, y


@pytest.mark.parametrize("epsilon, delta", [(0.1, 1e-5), (1.0, 1e-5), (8.0, 1e-6)])
def test_gaussian_calibration_matches_the_hockey_stick_divergence(epsilon, delta):
    """delta(eps) of N(0, 1) noise at sensitivity D is the integral of max(0, p - e^eps q) for
    p = N(0, 1), q = N(D, 1): integrate it numerically and compare with the closed form."""
    sensitivity = gaussian_max_sensitivity(epsilon, delta)
    integral, _ = quad(lambda x: max(0.0, norm.pdf(x) - math.exp(epsilon) *
                                     norm.pdf(x, loc=sensitivity)), -40, 40, points=[0.0],
                       limit=400, epsabs=1e-13)
    assert integral == pytest.approx(delta, rel=1e-3)
    assert gaussian_epsilon(sensitivity, delta) == pytest.approx(epsilon, rel=1e-6)
    classic = epsilon / math.sqrt(2 * math.log(1.25 / delta))  # Dwork & Roth, valid for eps < 1
    if epsilon < 1:
        assert sensitivity >= classic                           # analytic is never looser


def test_record_budget_is_spent_exactly_and_feature_scope_composes():
    relative = np.array([1.0, 1.5, 2.0])
    laplace, eps = noise_scales(relative, "laplace", 2.0, 1e-5)
    assert np.sum(1 / laplace) == pytest.approx(2.0) and eps == pytest.approx(2.0)
    np.testing.assert_allclose(laplace / laplace[0], relative)
    gauss, eps = noise_scales(relative, "gaussian", 1.0, 1e-5)
    assert eps == pytest.approx(1.0, rel=1e-6)
    assert np.sqrt(np.sum(gauss ** -2.0)) == pytest.approx(gaussian_max_sensitivity(1.0, 1e-5))
    per_feature, eps = noise_scales(np.ones(100), "laplace", 1.0, 1e-5, scope="feature")
    assert np.all(per_feature == 1.0) and eps == pytest.approx(100.0)


def test_paper_roles_noise_the_high_risk_features_and_lightly_drop_the_others(scaled):
    """Algorithm 4 in our reading: features with at least the mean attention share get noise
    that grows with risk (the budget spent over them), the others lose drop_rate of their
    training values to 0, nothing is masked, and no record-level guarantee is claimed."""
    X, y = scaled
    step = AdaptivePrivacy(epsilon=5.0, drop_rate=0.2, **FAST)
    protected = step.fit_transform(X, y)
    high = step.high_risk_
    np.testing.assert_array_equal(high, step.risk_ >= 1 / X.shape[1] - 1e-12)
    assert 0 < high.sum() < X.shape[1] and len(step.kept_) == X.shape[1]
    assert np.all(step.scales_[~high] == 0) and np.all(step.scales_[high] > 0)
    order = np.argsort(step.risk_[high])
    assert np.all(np.diff(step.scales_[high][order]) >= 0)
    assert step.epsilon_high_risk_ == pytest.approx(5.0, rel=1e-6)
    assert step.epsilon_record_ == math.inf
    low = protected[:, ~high]
    untouched = low == X[:, ~high]
    assert np.all(untouched | (low == 0))
    assert (~untouched).mean() == pytest.approx(0.2, abs=0.05)
    assert not np.allclose(protected[:, high], X[:, high])
    np.testing.assert_array_equal(step.transform(X), X)
    with pytest.raises(ValueError, match="mask_fraction belongs to roles='mask_riskiest'"):
        AdaptivePrivacy(mask_fraction=0.1, **FAST).fit(X, y)


def test_adaptive_noise_grows_with_risk_and_masks_the_riskiest(scaled):
    X, y = scaled
    step = AdaptivePrivacy(epsilon=5.0, roles="mask_riskiest", mask_fraction=0.1,
                           **FAST).fit(X, y)
    masked = np.setdiff1d(np.arange(20), step.kept_)
    assert len(masked) == 2 and step.risk_[masked].min() >= step.risk_[step.kept_].max()
    order = np.argsort(step.risk_[step.kept_])
    assert np.all(np.diff(step.scales_[order]) >= 0)
    assert step.epsilon_record_ == pytest.approx(5.0, rel=1e-6)
    uniform = AdaptivePrivacy(epsilon=5.0, budget="uniform", roles="mask_riskiest").fit(X, y)
    assert len(uniform.kept_) == 20 and np.ptp(uniform.scales_) == 0


def test_training_rows_are_noised_and_test_rows_only_masked(scaled):
    X, y = scaled
    step = AdaptivePrivacy(mechanism="laplace", epsilon=50.0, roles="mask_riskiest",
                           mask_fraction=0.1, **FAST)
    protected = step.fit_transform(X, y)
    assert protected.shape == (100, 18) and protected.min() >= 0 and protected.max() <= 1
    assert not np.allclose(protected, X[:, step.kept_])
    np.testing.assert_array_equal(step.transform(X), X[:, step.kept_])
    names = np.array([f"g{i}" for i in range(20)])
    assert list(step.get_feature_names_out(names)) == list(names[step.kept_])
    again = AdaptivePrivacy(mechanism="laplace", epsilon=50.0, roles="mask_riskiest",
                            mask_fraction=0.1, **FAST)
    np.testing.assert_array_equal(again.fit_transform(X, y), protected)   # seeded
    masking_only = AdaptivePrivacy(mechanism="none", roles="mask_riskiest", mask_fraction=0.25,
                                   **FAST)
    np.testing.assert_array_equal(masking_only.fit_transform(X, y), X[:, masking_only.kept_])


def test_pipeline_protects_training_rows_only(scaled):
    X, y = scaled
    recorder = Recorder()
    pipe = make_pipeline(SpyClassifier(recorder), smote=False, undersample=False,
                         augment=False, privacy={"epsilon": 1.0, "budget": "uniform",
                                                 "roles": "mask_riskiest"})
    pipe.fit(X[:80], y[:80])
    pipe.predict_proba(X[80:])
    scaler = pipe.named_steps["scale"]
    clean = np.clip(scaler.transform(X[:80]), 0, 1)
    assert not np.allclose(recorder.fits[0], clean)               # noisy rows were fitted
    np.testing.assert_allclose(recorder.predictions[0], np.clip(scaler.transform(X[80:]), 0, 1))


@pytest.mark.parametrize("settings, message", [
    ({"epsilon": 0}, "'epsilon' parameter of AdaptivePrivacy must be a float in the range "
                     r"\(0.0, inf\)"),
    ({"epsilon": -1.0}, "'epsilon' parameter"),
    ({"delta": 0.0}, "delta must lie strictly between 0 and 1"),
    ({"delta": 1.5}, "'delta' parameter of AdaptivePrivacy must be a float in the range "
                     r"\[0.0, 1.0\)"),
    ({"mechanism": "exponential"}, "'mechanism' parameter"),
    ({"mask_fraction": 1.0}, r"'mask_fraction' parameter .* range \[0.0, 1.0\)"),
])
def test_bad_privacy_settings_are_named(scaled, settings, message):
    X, y = scaled
    with pytest.raises(ValueError, match=message):
        AdaptivePrivacy(**settings, **FAST).fit(X, y)


def test_unscaled_input_is_refused(scaled):
    X, y = scaled
    with pytest.raises(ValueError, match=r"min-max scaled to \[0, 1\].*after the scaler"):
        AdaptivePrivacy(**FAST).fit(X * 10, y)


def test_dp_sgd_reports_the_accountants_epsilon_and_is_seeded(scaled):
    X, y = scaled
    settings = dict(epsilon=2.0, max_epochs=3, batch_size=20, n_d=4, n_a=4, random_state=1)
    model = DPSGDClassifier(**settings).fit(X, y)
    assert 0 < model.epsilon_ <= 2.0 + 1e-6 and model.noise_multiplier_ > 0
    assert model.convergence_["dp_sgd"]["epochs"] <= 3
    proba = model.predict_proba(X)
    assert proba.shape == (100, 2) and np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(DPSGDClassifier(**settings).fit(X, y).predict_proba(X), proba)
    with pytest.raises(ValueError, match="'epsilon' parameter of DPSGDClassifier"):
        DPSGDClassifier(epsilon=0).fit(X, y)
    # a 15-row early-stopping share is below the small-data rule: all 100 rows train
    with pytest.raises(ValueError, match="cannot reach epsilon=0.001 .* 100 rows, batches of 90"):
        DPSGDClassifier(epsilon=0.001, batch_size=90, max_epochs=1).fit(X, y)


def random_label_task(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(400, 10))
    return X, rng.integers(0, 2, 400)


def test_attacks_detect_a_memorising_model():
    """1-nearest-neighbour on random labels memorises its training rows: members get their own
    label back with certainty, non-members a coin flip. Both attacks must see that."""
    X, y = random_label_task()
    members, outsiders, shadow = slice(0, 100), slice(100, 200), slice(200, 400)
    overfit = KNeighborsClassifier(n_neighbors=1).fit(X[members], y[members])
    loss = loss_threshold_attack(overfit, X[members], y[members], X[outsiders], y[outsiders])
    assert loss["attack_auc"] > 0.7 and loss["attack_advantage"] > 0.4
    shadow_result = shadow_model_attack(lambda: KNeighborsClassifier(n_neighbors=1),
                                        X[shadow], y[shadow], overfit, X[members], y[members],
                                        X[outsiders], y[outsiders])
    assert shadow_result["attack_auc"] > 0.7


def test_attacks_see_nothing_in_a_model_that_ignores_its_data():
    X, y = random_label_task(1)
    constant = DummyClassifier(strategy="prior").fit(X[:100], y[:100])
    result = loss_threshold_attack(constant, X[:100], y[:100], X[100:200], y[100:200])
    assert abs(result["attack_auc"] - 0.5) < 0.1


def test_a_noise_scale_sets_sigma_and_reports_what_it_buys(scaled):
    X, y = scaled
    step = AdaptivePrivacy(noise_scale=0.25, budget="uniform", roles="mask_riskiest",
                           random_state=0).fit(X, y)
    d = X.shape[1]
    assert np.allclose(step.scales_, 0.25)
    # one value: the Gaussian mechanism at sensitivity 1 / 0.25; a row: exact L2 composition
    assert step.epsilon_feature_ == pytest.approx(gaussian_epsilon(4.0, DEFAULT_DELTA), rel=1e-9)
    assert step.epsilon_record_ == pytest.approx(gaussian_epsilon(4.0 * np.sqrt(d),
                                                                  DEFAULT_DELTA), rel=1e-9)
    assert step.epsilon_feature_ < step.epsilon_record_
    noisier = AdaptivePrivacy(noise_scale=1.0, budget="uniform", roles="mask_riskiest").fit(X, y)
    assert noisier.epsilon_record_ < step.epsilon_record_        # more noise buys more


def test_a_calibrated_budget_reports_the_same_epsilon_per_record(scaled):
    X, y = scaled
    step = AdaptivePrivacy(epsilon=2.0, budget="uniform", roles="mask_riskiest").fit(X, y)
    assert step.epsilon_record_ == pytest.approx(2.0, rel=1e-6)
    assert step.epsilon_feature_ < 2.0
