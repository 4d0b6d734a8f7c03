"""The robustness experiment: perturbed test rows, the drop per fold, gene-selection stability."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from evaluation_helpers import synthetic_dataset
from genomics_hybrid import robustness
from genomics_hybrid.evaluation import Protocol, fold_records


def test_perturbations_are_seeded_and_scaled_by_each_genes_training_range():
    X_fit = np.c_[np.linspace(0, 1, 50), np.linspace(0, 100, 50)].astype(np.float32)
    X_eval = np.zeros((2000, 2), dtype=np.float32)
    noisy = robustness.perturb(X_eval, X_fit, "gaussian", 0.25)
    assert np.array_equal(noisy, robustness.perturb(X_eval, X_fit, "gaussian", 0.25))
    assert noisy.std(axis=0) == pytest.approx([0.25, 25.0], rel=0.05)
    dropped = robustness.perturb(np.ones((2000, 2)), X_fit, "dropout", 0.3)
    assert (dropped == 0).mean() == pytest.approx(0.3, abs=0.03)
    with pytest.raises(ValueError, match="'gaussian' or 'dropout'"):
        robustness.perturb(X_eval, X_fit, "shuffle", 0.1)
    assert robustness.perturbations([1.0, 0.25, 0.25]) == [
        ("gaussian", 0.25), ("gaussian", 1.0), ("dropout", 0.1), ("dropout", 0.3)]


def test_every_fit_scores_its_perturbed_test_rows_and_the_drop_is_clean_minus_perturbed():
    data = synthetic_dataset(n=90, d=6)
    pairs = robustness.perturbations([0.01, 4.0])
    records = fold_records({"lr": LogisticRegression()}, data, Protocol(n_folds=3), None,
                           progress=False, inspect={"lr": robustness.perturbed_predictions(pairs)})
    tidy = robustness.robustness_results(records, data.name)
    assert len(tidy) == 4 * len(pairs) * len(records[0]["metrics"])    # 3 folds + hold-out
    assert np.allclose(tidy["drop"], tidy.clean - tidy.perturbed)
    summary = robustness.summarise_robustness(tidy)
    accuracy = summary[(summary.metric == "accuracy") & (summary.perturbation == "gaussian")]
    small, large = accuracy.sort_values("amount")["drop"]
    assert abs(small) < 0.05 < large          # a hundredth of the range changes nothing
    row = accuracy.iloc[0]
    assert row.drop_ci_low <= row["drop"] <= row.drop_ci_high and row.n_folds == 3
    assert (summary.perturbed_ci_high[summary.metric == "accuracy"] <= 1).all()
    # a record cached before the inspection existed is left out, not an error
    assert robustness.robustness_results([{**records[0], "inspection": None}], "d").empty


def test_selection_jaccard_compares_the_same_fold_only():
    def record(fold, genes):
        return {"fold": fold, "inspection": {"attention_genes": genes}}
    clean = [record("fold0", ["a", "b"]), record("fold1", ["c", "d"]),
             record("holdout", ["a", "b"])]
    noised = [record("fold0", ["a", "x"]), record("fold1", ["c", "d"]),
              record("holdout", ["y", "z"])]
    assert robustness.selection_jaccard(noised, clean, k=2) == pytest.approx((1 / 3 + 1) / 2)
    assert np.isnan(robustness.selection_jaccard(noised, clean, k=3))   # too few genes stored
