"""Binary classification metrics, confidence intervals and paired model comparisons.

Every metric is computed from the positive-class probabilities, vectorised over rows so the
bootstrap evaluates thousands of resamples at once; the same code gives the single values.

    >>> classification_metrics([0, 1, 1, 0], [0.2, 0.9, 0.4, 0.1])["accuracy"]
    0.75
"""

from __future__ import annotations

import numpy as np
from scipy import stats

METRICS = ("accuracy", "auc", "f1", "precision", "recall", "balanced_accuracy", "mcc")
# The paper's three metrics: every table, figure and comparison of the book reports these.
HEADLINE_METRICS = ("accuracy", "auc", "f1")
METRIC_LABELS = {"accuracy": "accuracy", "auc": "AUC-ROC", "f1": "F1-score"}


def _ratio(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, 0.0, numerator / safe)


def _auc(y_true, proba):
    """ROC AUC along the last axis via the rank-sum (Mann-Whitney U) formula, ties averaged."""
    n_pos = y_true.sum(axis=-1)
    n_neg = y_true.shape[-1] - n_pos
    ranks = stats.rankdata(proba, axis=-1)
    rank_sum = np.where(y_true == 1, ranks, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def _metric_arrays(y_true, proba, threshold):
    """All METRICS along the last axis of ``y_true`` and ``proba`` (any leading shape)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    proba = np.asarray(proba, dtype=float)
    predicted = proba >= threshold
    positive = y_true == 1
    tp = (predicted & positive).sum(axis=-1)
    fp = (predicted & ~positive).sum(axis=-1)
    fn = (~predicted & positive).sum(axis=-1)
    tn = (~predicted & ~positive).sum(axis=-1)
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    specificity = _ratio(tn, tn + fp)
    mcc_denominator = np.sqrt(np.asarray((tp + fp) * (tp + fn), float) * ((tn + fp) * (tn + fn)))
    return {
        "accuracy": (tp + tn) / y_true.shape[-1],
        "auc": _auc(y_true, proba),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "precision": precision,
        "recall": recall,
        "balanced_accuracy": (recall + specificity) / 2,
        "mcc": _ratio(np.asarray(tp, float) * tn - np.asarray(fp, float) * fn, mcc_denominator),
    }


def _check_predictions(y_true, proba):
    y_true, proba = np.asarray(y_true), np.asarray(proba, dtype=float)
    if y_true.ndim != 1 or y_true.shape != proba.shape:
        raise ValueError(f"y_true and proba_positive must be 1-D and of equal length; got shapes "
                         f"{y_true.shape} and {proba.shape}.")
    if not np.isin(y_true, (0, 1)).all():
        raise ValueError(f"y_true must hold 0/1 labels, got {np.unique(y_true)[:5].tolist()}.")
    return y_true.astype(np.int64), proba


def classification_metrics(y_true, proba_positive, threshold: float = 0.5) -> dict[str, float]:
    """Accuracy, AUC, F1, precision, recall, balanced accuracy and MCC of one set of predictions.

    A row is predicted positive when its probability is at least ``threshold``. Precision,
    recall, F1 and MCC are 0 where they would divide by zero (as scikit-learn's
    ``zero_division=0``); AUC is NaN when ``y_true`` holds one class only.
    """
    y_true, proba = _check_predictions(y_true, proba_positive)
    return {name: float(value) for name, value in _metric_arrays(y_true, proba, threshold).items()}


def t_interval(values, confidence: float = 0.95,
               bounds: tuple[float, float] = (-np.inf, np.inf)) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of per-fold scores: ``(mean, low, high)``.

    Treats the folds as independent samples, which they are not (their training sets overlap),
    so the interval is narrower than the truth; compare models with :func:`corrected_paired_t_test`
    instead of by overlapping intervals. With one value the bounds are NaN. ``bounds`` clips the
    interval to the metric's range (an AUC interval of [0.99, 1.01] means [0.99, 1]).
    """
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if values.size < 2:
        return mean, float("nan"), float("nan")
    t_quantile = stats.t.ppf((1 + confidence) / 2, values.size - 1)
    half = t_quantile * values.std(ddof=1) / np.sqrt(values.size)
    return mean, float(max(mean - half, bounds[0])), float(min(mean + half, bounds[1]))


def metric_bounds(metric: str) -> tuple[float, float]:
    """The range a metric can take: [-1, 1] for MCC, [0, 1] for the others."""
    return (-1.0, 1.0) if metric == "mcc" else (0.0, 1.0)


def _stratified_resamples(y_true, n_boot, random_state):
    """``n_boot`` x n row indices, drawn with replacement within each class.

    Resampling inside each class keeps both classes in every resample (AUC needs them) and the
    class balance fixed, as pROC's stratified bootstrap does.
    """
    rng = np.random.default_rng(random_state)
    return np.concatenate([rng.choice(np.flatnonzero(y_true == label), size=(n_boot, count))
                           for label, count in zip(*np.unique(y_true, return_counts=True))], axis=1)


def _check_metric(metric):
    if metric not in METRICS:
        raise ValueError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")


def bootstrap_interval(y_true, proba_positive, metric: str = "auc", *, confidence: float = 0.95,
                       n_boot: int = 2000, threshold: float = 0.5,
                       random_state: int = 0) -> tuple[float, float, float]:
    """``(estimate, low, high)`` for one metric of hold-out predictions: stratified percentile
    bootstrap over the test rows (``n_boot`` resamples, seeded by ``random_state``).

    The hold-out is one split, so folds cannot give its uncertainty; resampling its rows shows
    how much the score would move on another test set of the same size from the same source.
    """
    _check_metric(metric)
    y_true, proba = _check_predictions(y_true, proba_positive)
    estimate = classification_metrics(y_true, proba, threshold)[metric]
    idx = _stratified_resamples(y_true, n_boot, random_state)
    scores = _metric_arrays(y_true[idx], proba[idx], threshold)[metric]
    alpha = (1 - confidence) / 2
    low, high = np.quantile(scores, [alpha, 1 - alpha])
    return estimate, float(low), float(high)


def corrected_paired_t_test(scores_a, scores_b, n_train: float, n_test: float,
                            confidence: float = 0.95, power: float = 0.8) -> dict[str, float]:
    """Compare two models scored on the same CV folds: Nadeau & Bengio's corrected resampled
    t-test (Machine Learning 52:239, 2003).

    The plain paired t-test over folds is too eager to find differences because the folds share
    training rows; the correction inflates the variance of the mean difference from ``s²/k`` to
    ``(1/k + n_test/n_train) s²``. ``n_train`` and ``n_test`` are the rows per fold (mean over
    folds). Returns the mean difference (a - b), t, the two-sided p-value (k - 1 degrees of
    freedom), the number of folds, the ``confidence`` interval of the difference (``ci_low``,
    ``ci_high``) and ``detectable``: the smallest true difference these folds would find
    significant (at 1 - ``confidence``) with probability ``power``, given the observed spread of
    the fold differences, ``(t_{1-alpha/2} + t_power) * se``. Identical scores give p = 1 and a
    detectable difference of 0 (no spread seen: a statement about these folds only).
    """
    diff = np.asarray(scores_a, float) - np.asarray(scores_b, float)
    if diff.ndim != 1 or diff.size < 2:
        raise ValueError(f"Need the scores of both models on the same >= 2 folds, got "
                         f"{np.shape(scores_a)} and {np.shape(scores_b)}.")
    mean, variance, k = diff.mean(), diff.var(ddof=1), diff.size
    se = float(np.sqrt((1 / k + n_test / n_train) * variance))
    if variance == 0:
        t = 0.0 if mean == 0 else np.copysign(np.inf, mean)
    else:
        t = mean / se
    p = 2 * stats.t.sf(abs(t), k - 1)
    critical = stats.t.ppf((1 + confidence) / 2, k - 1)
    return {"mean_difference": float(mean), "t": float(t), "p_value": float(p), "n_folds": k,
            "ci_low": float(mean - critical * se), "ci_high": float(mean + critical * se),
            "detectable": float((critical + stats.t.ppf(power, k - 1)) * se)}


def paired_bootstrap_test(y_true, proba_a, proba_b, metric: str = "auc", *,
                          confidence: float = 0.95, n_boot: int = 2000, threshold: float = 0.5,
                          random_state: int = 0) -> dict[str, float]:
    """Compare two models on the same hold-out rows: paired, stratified bootstrap.

    Both models are scored on each resample of the test rows, so the difference keeps their
    correlation. Chosen over DeLong's test because it serves every metric (accuracy, F1, ...),
    not only AUC. The p-value is two-sided, from the resampled differences centred on the
    observed one (the null distribution of the shift method): the share of resamples whose
    distance from the observed difference is at least the observed difference itself.
    Returns the difference (a - b), its percentile interval and the p-value.
    """
    _check_metric(metric)
    y_true, proba_a = _check_predictions(y_true, proba_a)
    _, proba_b = _check_predictions(y_true, proba_b)
    observed = (classification_metrics(y_true, proba_a, threshold)[metric]
                - classification_metrics(y_true, proba_b, threshold)[metric])
    idx = _stratified_resamples(y_true, n_boot, random_state)
    diffs = (_metric_arrays(y_true[idx], proba_a[idx], threshold)[metric]
             - _metric_arrays(y_true[idx], proba_b[idx], threshold)[metric])
    alpha = (1 - confidence) / 2
    low, high = np.quantile(diffs, [alpha, 1 - alpha])
    p = (1 + np.sum(np.abs(diffs - observed) >= abs(observed))) / (n_boot + 1)
    return {"difference": float(observed), "ci_low": float(low), "ci_high": float(high),
            "p_value": float(min(1.0, p))}
