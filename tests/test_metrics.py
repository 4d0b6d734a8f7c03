import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as skm

from genomics_hybrid.metrics import (METRICS, bootstrap_interval, classification_metrics,
                                     corrected_paired_t_test, metric_bounds, paired_bootstrap_test,
                                     t_interval)


def test_metrics_against_hand_computed_values():
    y_true = [1, 1, 1, 0, 0, 0, 0, 1]
    proba = [0.9, 0.6, 0.3, 0.7, 0.2, 0.1, 0.5, 0.8]
    # threshold 0.5: predicted 1 1 0 1 0 0 1 1 -> TP 3, FN 1, FP 2, TN 2
    got = classification_metrics(y_true, proba)
    assert got["accuracy"] == pytest.approx(5 / 8)
    assert got["precision"] == pytest.approx(3 / 5)
    assert got["recall"] == pytest.approx(3 / 4)
    assert got["f1"] == pytest.approx(2 * 3 / (2 * 3 + 2 + 1))
    assert got["balanced_accuracy"] == pytest.approx((3 / 4 + 2 / 4) / 2)
    assert got["mcc"] == pytest.approx((3 * 2 - 2 * 1) / np.sqrt(5 * 4 * 4 * 3))
    # positives 0.9 0.6 0.3 0.8 against negatives 0.7 0.2 0.1 0.5:
    # 4 + 3 + 2 + 4 = 13 of the 16 pairs ordered
    assert got["auc"] == pytest.approx(13 / 16)
    assert list(got) == list(METRICS)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_agree_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y_true = (rng.random(80) < 0.3).astype(int)
    proba = np.round(rng.random(80), 1)          # ties on purpose
    predicted = (proba >= 0.5).astype(int)
    expected = {
        "accuracy": skm.accuracy_score(y_true, predicted),
        "auc": skm.roc_auc_score(y_true, proba),
        "f1": skm.f1_score(y_true, predicted, zero_division=0),
        "precision": skm.precision_score(y_true, predicted, zero_division=0),
        "recall": skm.recall_score(y_true, predicted),
        "balanced_accuracy": skm.balanced_accuracy_score(y_true, predicted),
        "mcc": skm.matthews_corrcoef(y_true, predicted),
    }
    assert classification_metrics(y_true, proba) == pytest.approx(expected)


def test_degenerate_predictions_and_bad_input():
    nothing_positive = classification_metrics([0, 1, 1], [0.1, 0.2, 0.3])
    assert nothing_positive["precision"] == nothing_positive["f1"] == nothing_positive["mcc"] == 0
    assert np.isnan(classification_metrics([1, 1], [0.2, 0.9])["auc"])
    with pytest.raises(ValueError, match="equal length"):
        classification_metrics([0, 1], [0.5])
    with pytest.raises(ValueError, match="0/1 labels"):
        classification_metrics([0, 2], [0.5, 0.5])
    with pytest.raises(ValueError, match="Unknown metric 'auroc'"):
        bootstrap_interval([0, 1], [0.1, 0.9], "auroc")


def test_t_interval_by_hand_and_around_the_mean():
    mean, low, high = t_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 / np.sqrt(3)          # t(0.975, 2 df) * sd 1 / sqrt(3)
    assert (mean, low, high) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    scores = np.random.default_rng(0).uniform(0.7, 0.9, 5)
    mean, low, high = t_interval(scores)
    assert low < mean < high
    assert np.isnan(t_interval([0.8])[1])
    near_one = [0.99, 1.0, 1.0, 0.98, 1.0]
    assert t_interval(near_one)[2] > 1 and t_interval(near_one, bounds=(0, 1))[2] == 1.0
    assert metric_bounds("auc") == (0.0, 1.0) and metric_bounds("mcc") == (-1.0, 1.0)


def test_bootstrap_interval_is_seeded_and_contains_the_estimate():
    rng = np.random.default_rng(0)
    y_true = (rng.random(150) < 0.3).astype(int)
    proba = np.clip(0.4 * y_true + rng.random(150) * 0.6, 0, 1)
    for metric in METRICS:
        estimate, low, high = bootstrap_interval(y_true, proba, metric, n_boot=500)
        assert low <= estimate <= high, metric
    assert bootstrap_interval(y_true, proba, random_state=4) == bootstrap_interval(
        y_true, proba, random_state=4)


def test_corrected_t_test_by_hand_identical_and_different_models():
    a, b = [0.80, 0.82, 0.78, 0.81, 0.79], [0.70, 0.75, 0.72, 0.70, 0.73]
    diff = np.subtract(a, b)
    t = diff.mean() / np.sqrt((1 / 5 + 40 / 160) * diff.var(ddof=1))
    result = corrected_paired_t_test(a, b, n_train=160, n_test=40)
    assert result["t"] == pytest.approx(t)
    assert result["p_value"] < 0.01
    assert corrected_paired_t_test(a, a, 160, 40)["p_value"] == 1.0
    # the correction makes the test more cautious than the plain paired t-test
    assert result["p_value"] > stats.ttest_rel(a, b).pvalue
    with pytest.raises(ValueError, match="same >= 2 folds"):
        corrected_paired_t_test([0.8], [0.7], 160, 40)


def test_paired_bootstrap_identical_and_clearly_different_models():
    rng = np.random.default_rng(1)
    y_true = (rng.random(120) < 0.4).astype(int)
    good = np.clip(0.6 * y_true + rng.random(120) * 0.4, 0, 1)
    noise = rng.random(120)
    same = paired_bootstrap_test(y_true, good, good)
    assert same["p_value"] == 1.0 and same["difference"] == 0
    different = paired_bootstrap_test(y_true, good, noise, "auc", n_boot=1000)
    assert different["p_value"] < 0.01
    assert different["ci_low"] <= different["difference"] <= different["ci_high"]
