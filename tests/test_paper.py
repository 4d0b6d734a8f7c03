"""Tables 5-16 and the verdicts, from tidy results whose answer is known."""

import json

import numpy as np
import pandas as pd
import pytest

from genomics_hybrid import notebook, paper
from genomics_hybrid.datasets.registry import PAPER_DATASETS
from genomics_hybrid.evaluation import RESULT_COLUMNS, summarise
from genomics_hybrid.experiments import LEVEL_NOISE, summarise_privacy
from genomics_hybrid.metrics import HEADLINE_METRICS

RNG = np.random.default_rng(0)


def fold_results(dataset, model, accuracy, spread=0.004, n_folds=5):
    """Tidy results with accuracy, AUC and F1 near ``accuracy`` on every fold and the hold-out."""
    rows = []
    for fold in [f"fold{i}" for i in range(n_folds)] + ["holdout"]:
        value = float(np.clip(accuracy + RNG.normal(0, spread), 0, 1))
        for metric in ("accuracy", "auc", "f1"):
            rows.append({"dataset": dataset, "source": "x", "model": model, "fold": fold,
                         "metric": metric, "value": value, "fit_seconds": 1.0,
                         "predict_seconds": 0.1, "peak_rss_mb": 100.0, "n_train": 400,
                         "n_test": 100, "seed": 0})
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def make_runs(datasets: dict, hybrid: float, baseline: float, full: float, tabnet_cnn: float):
    """Runs where the hybrid, the best baseline and the ablation variants score as given."""
    comparison, ablation, privacy, attacks = [], [], [], []
    for dataset in datasets:
        comparison.append(fold_results(dataset, "hybrid", hybrid))
        for model, shift in zip(paper.BASELINES, (0, -0.05, -0.06, -0.07, -0.08, -0.09)):
            comparison.append(fold_results(dataset, model, baseline + shift))
        for variant, score in (("cnn_only", 0.6), ("tabnet_only", 0.6),
                               ("tabnet_cnn", tabnet_cnn), ("full", full)):
            ablation.append(fold_results(dataset, variant, score))
        for method, level, score in (("none", "none", hybrid), ("adaptive", "low", 0.85),
                                     ("adaptive", "medium", 0.8), ("adaptive", "high", 0.7)):
            noise = LEVEL_NOISE.get(method, {}).get(level, np.nan)
            privacy.append(fold_results(dataset, "hybrid", score).assign(
                method=method, level=level, noise=noise))
            attacks.append({"method": method, "level": level, "noise": noise, "epsilon": None,
                            "dataset": dataset, "loss_attack_auc": 0.55,
                            "loss_attack_advantage": 0.1, "shadow_attack_auc": 0.52,
                            "shadow_attack_advantage": 0.05, "n_scored": 80})
    comparison, ablation = pd.concat(comparison), pd.concat(ablation)
    return {"comparison_results": comparison, "comparison_summary": summarise(comparison),
            "ablation_results": ablation, "ablation_summary": summarise(ablation),
            "privacy_summary": summarise_privacy(pd.concat(privacy)),
            "privacy_attacks": pd.DataFrame(attacks),
            "runs": pd.DataFrame([{"dataset": d, "data": label, "notebook": "02_training"}
                                  for d, label in datasets.items()])}


def verdict(table, claim, dataset):
    rows = table[(table.claim == claim) & (table.dataset == dataset)]
    assert len(rows) >= 1, (claim, dataset)
    return rows.verdict.iloc[0]


def test_a_replica_cannot_test_the_papers_numbers_but_shows_them():
    runs = make_runs({"gse72056": "replica, 400 of 4,513 rows"}, 0.914, 0.8, 0.91, 0.89)
    table = paper.verdicts(runs)
    row = table[(table.claim == "Table 5: proposed accuracy") & (table.dataset == "gse72056")]
    assert row.verdict.item() == "not testable" and row.measured.item().startswith("0.91")
    assert "replica" in row.evidence.item()
    assert verdict(table, "Table 6: proposed accuracy_gain", "all") == "not testable"
    assert verdict(table, "Table 7: proposed time_complexity", "all") == "not testable"


@pytest.mark.parametrize("measured, expected", [(0.914, "held"), (0.80, "not held")])
def test_real_data_holds_a_reported_value_inside_the_ci(measured, expected):
    runs = make_runs({"gse72056": "real, all 4,513 rows"}, measured, 0.7, 0.91, 0.89)
    assert verdict(paper.verdicts(runs), "Table 5: proposed accuracy", "gse72056") == expected


@pytest.mark.parametrize("hybrid, baseline, expected", [
    (0.95, 0.80, "held"),            # far better, tight folds: significant
    (0.801, 0.80, "inconclusive"),   # better by a hair: not significant
    (0.75, 0.80, "not held")])
def test_comparisons_are_judged_on_every_dataset_by_the_paired_test(hybrid, baseline, expected):
    runs = make_runs({"gse7390": "bundled, all 198 rows", "pbmc68k": "bundled, all 700 rows"},
                     hybrid, baseline, 0.9, 0.9)
    table = paper.verdicts(runs)
    assert verdict(table, "Figure 9: proposed auc", "gse7390") == expected
    assert verdict(table, "Figure 9: proposed auc", "pbmc68k") == expected


def test_tables_put_the_papers_values_beside_ours_with_the_data_source():
    runs = make_runs({"tcga_brca": "replica, 400 of 1,211 rows"}, 0.9, 0.8, 0.91, 0.89)
    table5 = paper.table5(runs)
    hybrid = table5.loc[("tcga_brca", "hybrid")]
    assert hybrid["reported by the paper (accuracy / AUC / F1)"] == "0.908 / 0.94 / 0.89"
    assert hybrid["data source"] == "replica, 400 of 1,211 rows"
    assert "0.8–0.86" in table5.loc[("paper datasets", "paper's baselines")].iloc[-1]
    table15 = paper.table15(runs)
    assert table15.loc[("tcga_brca", "full"), "reported accuracy"] == "0.908"
    gain = table15.loc[("tcga_brca", "AFR gain (full - tabnet_cnn)")].iloc[0]
    assert gain.startswith("+0.0")
    assert paper.table6(runs).rival.eq("l1_logistic").all()
    assert list(paper.privacy_table(runs, "tcga_brca", "attacks").columns[:2]) == \
        ["accuracy (CV mean [95 % CI])", "noise"]
    with pytest.raises(ValueError, match="part must be"):
        paper.privacy_table(runs, "tcga_brca", "everything")


def test_collect_reads_what_the_notebooks_write(tmp_path):
    runs = make_runs({"gse7390": "bundled, all 198 rows"}, 0.8, 0.7, 0.8, 0.8)
    folder = tmp_path / "gse7390"
    notebook.write_outputs(folder, "comparison", {"results": runs["comparison_results"],
                                                  "summary": runs["comparison_summary"]},
                           {"notebook": "02_training", "dataset": "gse7390",
                            "data": "bundled, all 198 rows", "seconds": 3.0})
    collected = paper.collect(tmp_path)
    assert len(collected["comparison_results"]) == len(runs["comparison_results"])
    assert collected["ablation_summary"].empty
    assert paper.sources(collected) == {"gse7390": "bundled, all 198 rows"}
    assert json.loads((folder / "comparison_run.json").read_text())["seconds"] == 3.0
    with pytest.raises(FileNotFoundError, match="run the notebooks first"):
        paper.collect(tmp_path / "nowhere")


def test_collect_reads_the_books_folder_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="runs/book does not exist"):
        paper.collect()


def test_every_claim_of_the_paper_gets_a_verdict_row():
    runs = make_runs({"gse72056": "replica, 400 of 4,513 rows"}, 0.9, 0.8, 0.9, 0.9)
    table = paper.verdicts(runs)
    numeric = paper.paper_reported()
    numeric = numeric[numeric.kind != "comparison"]
    assert len(table[~table.reported.str.startswith("better than")]) == len(numeric)
    assert set(table.verdict) <= set(paper.VERDICTS)


def test_table8_puts_the_papers_privacy_numbers_beside_the_levels_they_are_about():
    runs = make_runs({"gse72056": "replica, 400 of 4,513 rows"}, 0.9, 0.8, 0.9, 0.9)
    reported = paper.table8(runs)["reported by the paper"].xs("gse72056")
    assert reported[("none", "none")] == "accuracy 0.914"
    assert reported[("adaptive", "low")] == ""
    assert reported[("adaptive", "high")] == "accuracy ≥ 0.84; f1 ≥ 0.81"


# Hand-made fold scores: (model a, model b) on 5 folds of 400 training and 100 test rows.
@pytest.mark.parametrize("a, b, expected", [
    ([0.90, 0.91, 0.92, 0.90, 0.91], [0.80, 0.81, 0.80, 0.82, 0.81], "held"),
    ([0.80, 0.81, 0.80, 0.82, 0.81], [0.90, 0.91, 0.92, 0.90, 0.91], "not held"),
    ([0.85, 0.70, 0.90, 0.75, 0.86], [0.80, 0.82, 0.78, 0.81, 0.80], "inconclusive")])
def test_comparison_rules_on_hand_made_fold_scores(a, b, expected):
    from genomics_hybrid.metrics import corrected_paired_t_test
    test = corrected_paired_t_test(a, b, n_train=400, n_test=100)
    assert paper.comparison_verdict(test["mean_difference"], test["p_value"], test["ci_high"],
                                    undertrained=False) == expected
    # a model that hit its epoch cap settles nothing, whatever the folds say
    assert paper.comparison_verdict(test["mean_difference"], test["p_value"], test["ci_high"],
                                    undertrained=True) == "not settled"
    # the interval and the detectable difference come from the same corrected variance
    assert test["ci_low"] < test["mean_difference"] < test["ci_high"]
    assert test["detectable"] > (test["ci_high"] - test["ci_low"]) / 2


def test_an_interval_below_the_claimed_gain_is_not_held():
    # better, not significantly, but the whole interval lies below a claimed gain of 0.05
    assert paper.comparison_verdict(0.01, 0.2, 0.03, False, claimed_gain=0.05) == "not held"
    assert paper.comparison_verdict(0.01, 0.2, 0.06, False, claimed_gain=0.05) == "inconclusive"


def test_holm_adjusts_a_family_of_p_values_in_their_order():
    np.testing.assert_allclose(paper.holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(paper.holm([0.5]), [0.5])


def rival_tests(*rows):
    """One row per rival: (difference, p-value, upper end of the interval)."""
    return pd.DataFrame([{"difference": d, "p_value": p, "ci_high": hi, "undertrained": False}
                         for d, p, hi in rows])


def test_better_than_every_rival_is_an_intersection_union_test():
    better = (0.05, 0.001, 0.08)
    assert paper.union_verdict(rival_tests(better, better)) == "held"
    # one rival not beaten significantly: not shown better than every rival
    assert paper.union_verdict(rival_tests(better, (0.01, 0.30, 0.05))) == "inconclusive"
    # worse than one rival, p 0.03 alone: not held; the smallest of three p-values (0.3 and
    # 0.4 beside it), Holm makes it 0.09: inconclusive
    worse, level = (-0.03, 0.03, -0.005), [(0.01, 0.3, 0.04), (0.01, 0.4, 0.05)]
    assert paper.union_verdict(rival_tests(worse)) == "not held"
    assert paper.union_verdict(rival_tests(worse, *level)) == "inconclusive"
    assert paper.union_verdict(rival_tests((-0.05, 0.001, -0.03), *level)) == "not held"
    # an interval wholly below the claimed margin
    assert paper.union_verdict(rival_tests(better, (0.01, 0.01, 0.012)),
                               claimed_gain=0.015) == "not held"
    undertrained = rival_tests(better).assign(undertrained=True)
    assert paper.union_verdict(undertrained) == "not settled"


def test_comparisons_test_every_named_rival_and_report_the_closest():
    folds = [f"fold{i}" for i in range(5)]
    scores = {"hybrid": [0.90, 0.91, 0.92, 0.90, 0.91],
              "far": [0.80, 0.81, 0.80, 0.82, 0.81],      # beaten clearly
              "close": [0.91, 0.89, 0.93, 0.89, 0.92]}    # level with the hybrid
    results = pd.DataFrame([{"dataset": "d", "model": m, "fold": f, "metric": "auc",
                             "value": v, "n_train": 400, "n_test": 100}
                            for m, values in scores.items() for f, v in zip(folds, values)])
    summary = summarise(results.reindex(columns=RESULT_COLUMNS))
    row = paper.comparisons(results, summary, "hybrid", ["far", "close"], ("auc",)).iloc[0]
    assert row.rivals == "far, close" and row.rival == "close"
    assert row.verdict == "inconclusive"
    alone = paper.comparisons(results, summary, "hybrid", ["far"], ("auc",)).iloc[0]
    assert alone.verdict == "held"


def test_more_spread_in_the_folds_means_a_larger_detectable_difference():
    from genomics_hybrid.metrics import corrected_paired_t_test
    base = np.array([0.80, 0.81, 0.80, 0.82, 0.81])
    tight = corrected_paired_t_test(base + [0.01, 0.02, 0.01, 0.02, 0.01], base, 400, 100)
    loose = corrected_paired_t_test(base + [0.10, -0.05, 0.08, -0.03, 0.05], base, 400, 100)
    assert loose["detectable"] > 5 * tight["detectable"]


def test_a_capped_fit_makes_its_comparison_not_settled():
    runs = make_runs({"gse7390": "bundled, all 198 rows"}, 0.95, 0.80, 0.9, 0.9)
    results = runs["comparison_results"]
    capped = (results.model == "hybrid") & (results.fold == "fold2")
    runs["comparison_results"] = results.assign(
        stopped_by=np.where(capped, "epoch_cap", "early_stopping"))
    table = paper.verdicts(runs)
    assert verdict(table, "Figure 9: proposed auc", "gse7390") == "not settled"
    assert "epoch cap" in table[table.verdict == "not settled"].evidence.iloc[0]


def test_training_summary_counts_fits_ended_by_their_rule_and_names_the_capped_ones():
    def curve(model, fold, stage, epochs, stopped):
        return pd.DataFrame({"dataset": "gse7390", "model": model, "fold": fold,
                             "stage": stage, "epoch": range(1, epochs + 1),
                             "train_loss": 0.5, "validation_loss": 0.6, "epochs": epochs,
                             "max_epochs": 100, "patience": 10, "stopped_by": stopped,
                             "best_epoch": 1, "best_validation_loss": 0.6})
    runs = {"comparison_convergence": pd.concat([
        curve("hybrid", "fold0", "tabnet", 20, "early_stopping"),
        curve("hybrid", "fold0", "joint", 30, "early_stopping"),
        curve("hybrid", "fold1", "tabnet", 20, "early_stopping"),
        curve("hybrid", "fold1", "joint", 100, "epoch_cap"),
        curve("tabnet", "fold0", "tabnet", 15, "early_stopping"),
        curve("mlp", "fold0", "mlp", 100, "fixed_epochs")])}   # the small-data rule
    summary = paper.training_summary(runs).loc[("comparison", "gse7390")]
    assert summary.loc["hybrid", "fits"] == 2 and summary.loc["hybrid", "stopped_by_rule"] == 1
    assert summary.loc["hybrid", "median_epochs"] == 85      # (50 + 120) / 2
    assert summary.loc["mlp", ["stopped_by_rule", "fixed_epochs"]].tolist() == [1, 1]
    assert summary.loc["hybrid", "fixed_epochs"] == 0
    assert paper.stopped_by_rule_share(runs) == (3, 4)
    capped = paper.capped_fits(runs)
    assert capped[["model", "fold"]].values.tolist() == [["hybrid", "fold1"]]


def test_interpretability_tables_across_datasets():
    stability = pd.DataFrame({"dataset": ["a", "a", "b"], "comparison": "across folds",
                              "a": 0, "b": 1, "jaccard": [0.2, 0.4, 1.0]})
    runs = {"interpretability_precision": pd.DataFrame(),
            "interpretability_markers": pd.DataFrame(),
            "interpretability_stability": stability}
    assert paper.precision_by_dataset(runs).empty
    assert paper.markers_by_dataset(runs).note.tolist() == ["no marker run"]
    assert paper.stability_by_dataset(runs)["across folds"].to_dict() == {"a": 0.3, "b": 1.0}
    runs["interpretability_precision"] = pd.DataFrame(
        {"dataset": ["a", "a"], "method": ["hybrid attention", "ANOVA F"],
         "precision": [0.25, 0.5]})
    precision = paper.precision_by_dataset(runs)
    assert precision.loc["a", "ANOVA F"] == 0.5 and precision.loc["a", "hybrid attention"] == 0.25


def test_the_papers_numbering_names_items_the_paper_reports():
    reported = set(paper.paper_reported()["item"])
    assert set(paper.REPORTED_ITEMS) <= reported
    assert sorted(paper.METRIC_FIGURES) == [3, 4, 5, 6, 7, 8]
    assert {metric for metric, _ in paper.METRIC_FIGURES.values()} == set(HEADLINE_METRICS)
    assert set(paper.PRIVACY_TABLES.values()) == set(PAPER_DATASETS)


def robustness_rows(dataset: str, drops: dict[float, float], clean: float = 0.95):
    """A robustness summary where the hybrid's accuracy drops by ``drops[sigma]``."""
    return pd.DataFrame([{"dataset": dataset, "model": "hybrid", "perturbation": "gaussian",
                          "amount": sigma, "metric": "accuracy", "n_folds": 3, "clean": clean,
                          "perturbed": clean - drop, "perturbed_ci_low": clean - drop - 0.01,
                          "perturbed_ci_high": clean - drop + 0.01, "drop": drop,
                          "drop_ci_low": drop - 0.01, "drop_ci_high": drop + 0.01,
                          "holdout_drop": drop} for sigma, drop in drops.items()])


@pytest.mark.parametrize("drops, expected", [
    ({1 / 16: 0.20, 0.25: 0.01, 1.0: 0.02}, "held"),        # low sigma is not "under noise"
    ({1 / 16: 0.00, 0.25: 0.01, 1.0: 0.08}, "not held")])   # the larger of medium and high
def test_robustness_claims_are_judged_on_the_perturbed_test_rows(drops, expected):
    runs = make_runs({"encsr000aed": "real, all rows", "tcga_brca": "real, all rows"},
                     0.95, 0.7, 0.95, 0.9)
    runs["comparison_robustness_summary"] = pd.concat(
        [robustness_rows("encsr000aed", drops), robustness_rows("tcga_brca", drops)])
    table = paper.verdicts(runs)
    assert verdict(table, "Table 11: proposed accuracy_drop", "encsr000aed") == expected
    # Table 10: accuracy above 90 % under noise: 0.95 minus the larger drop
    assert verdict(table, "Table 10: proposed accuracy", "tcga_brca") == expected
    row = table[table.claim == "Table 11: proposed accuracy_drop"]
    assert "perturbed test rows" in row.evidence.item()


def test_a_bound_is_inconclusive_when_the_interval_straddles_it():
    runs = make_runs({"encsr000aed": "real, all rows"}, 0.95, 0.7, 0.95, 0.9)
    # A drop of 0.03 [0.02, 0.04]: its mean meets "at most 0.035", its interval does not.
    runs["comparison_robustness_summary"] = robustness_rows("encsr000aed", {1.0: 0.03})
    table = paper.verdicts(runs)
    assert verdict(table, "Table 11: proposed accuracy_drop", "encsr000aed") == "inconclusive"


def test_robustness_table_says_which_data_each_row_came_from():
    table = paper.robustness_table(robustness_rows("tcga_brca", {0.25: 0.02, 1.0: 0.05}),
                                   {"tcga_brca": "replica, 400 of 1,211 rows"})
    row = table.loc[("tcga_brca", "hybrid", "gaussian", 1.0)]
    assert row["accuracy drop"] == "0.050 [0.040, 0.060]"
    assert row["data source"] == "replica, 400 of 1,211 rows"


def test_a_fit_that_never_beat_the_class_prior_makes_its_comparison_not_settled():
    runs = make_runs({"gse7390": "bundled, all 198 rows"}, 0.95, 0.80, 0.9, 0.9)
    results = runs["comparison_results"]
    blind = (results.model == "hybrid") & (results.fold == "fold1")
    runs["comparison_results"] = results.assign(
        stopped_by="early_stopping", learned=np.where(blind, False, True))
    table = paper.verdicts(runs)
    assert verdict(table, "Figure 9: proposed auc", "gse7390") == "not settled"
    assert "class prior" in table[table.verdict == "not settled"].evidence.iloc[0]
    # models without epochs (learned missing) settle nothing either way
    runs["comparison_results"] = results.assign(stopped_by="early_stopping", learned=None)
    assert verdict(paper.verdicts(runs), "Figure 9: proposed auc", "gse7390") != "not settled"


def test_training_summary_counts_fits_that_beat_the_class_prior_and_names_the_others():
    def curve(model, fold, stage, best, learned):
        return pd.DataFrame({"dataset": "gse7390", "model": model, "fold": fold,
                             "stage": stage, "epoch": range(1, 31), "train_loss": 0.5,
                             "validation_loss": 0.6, "epochs": 30, "max_epochs": 100,
                             "patience": 10, "stopped_by": "early_stopping", "best_epoch": 3,
                             "best_validation_loss": best, "chance_validation_loss": 0.611,
                             "learned": learned})
    runs = {"comparison_convergence": pd.concat([
        # the joint stage decides: it kept a better network than the TabNet stage's
        curve("hybrid", "fold0", "tabnet", 0.65, False),
        curve("hybrid", "fold0", "joint", 0.40, True),
        curve("hybrid", "fold1", "tabnet", 0.30, True),
        curve("hybrid", "fold1", "joint", 0.30, True),
        curve("tabnet", "fold0", "tabnet", 0.66, False)])}
    summary = paper.training_summary(runs).loc[("comparison", "gse7390")]
    assert summary.loc["hybrid", "beat_prior"] == 2 and summary.loc["tabnet", "beat_prior"] == 0
    blind = paper.prior_bound_fits(runs)
    assert blind[["model", "fold"]].values.tolist() == [["tabnet", "fold0"]]
    assert blind.best_validation_loss.iloc[0] == 0.66


def subset_runs(hybrid: float, found: str, present: int = 2) -> dict:
    """Runs with the TCGA-BRCA replica and the real subset, and the subset's marker table."""
    runs = make_runs({"tcga_brca": "replica, 400 of 1,211 rows",
                      paper.TCGA_SUBSET: "real, all 60 rows"}, hybrid, 0.7, 0.9, 0.85)
    runs["interpretability_markers"] = pd.DataFrame([{
        "dataset": paper.TCGA_SUBSET, "method": "hybrid attention", "k": 20,
        "markers found": found, "n_found": len(found.split(", ")) if found else 0,
        "markers present": present, "expected by chance": 0.01, "p_value": 0.001}])
    return runs


@pytest.mark.parametrize("hybrid, expected", [(0.94, "held"), (0.99, "not held")])
def test_the_real_tcga_subset_judges_an_auc_and_shows_accuracy_unjudged(hybrid, expected):
    table = paper.verdicts(subset_runs(hybrid, ""))
    assert verdict(table, "Table 5: proposed auc", paper.TCGA_SUBSET) == expected
    assert verdict(table, "Table 5: proposed auc", "tcga_brca") == "not testable"
    for claim in ("Table 5: proposed accuracy", "Table 5: proposed f1",
                  "Table 15: full accuracy"):
        row = table[(table.claim == claim) & (table.dataset == paper.TCGA_SUBSET)
                    & ~table.reported.str.startswith("better")]   # not Table 15's ordering
        assert row.verdict.item() == "not testable" and "class balance" in row.evidence.item()
        assert row.measured.item().startswith("0.")


@pytest.mark.parametrize("found, expected", [("TP53, BRCA1", "held"), ("BRCA1", "inconclusive"),
                                             ("", "not held")])
def test_the_papers_attention_genes_are_judged_on_the_real_subset(found, expected):
    table = paper.verdicts(subset_runs(0.9, found))
    row = table[(table.claim == "Figure 10a: proposed top_attention_genes")
                & (table.dataset == paper.TCGA_SUBSET)]
    assert row.verdict.item() == expected and "ERBB2" in row.evidence.item()


def test_rows_judged_on_real_data_are_counted_apart_from_replicas():
    table = paper.verdicts(subset_runs(0.94, "TP53, BRCA1"))
    real = paper.judged_on_real(table)
    assert len(real) and set(real.dataset) == {paper.TCGA_SUBSET}
    assert (real.verdict != "not testable").all()
    # The replica's comparisons run as pipeline checks, with their test but no verdict.
    replica = table[(table.dataset == "tcga_brca") & table.reported.str.startswith("better")]
    assert len(replica) and (replica.verdict == "not testable").all()
    assert replica.evidence.str.startswith("pipeline check on a replica").all()


def test_tcga_privacy_tables_show_the_real_subset_beside_the_replica():
    runs = subset_runs(0.9, "")
    for part in ("utility", "attacks"):
        table = paper.privacy_table(runs, "tcga_brca", part)
        assert set(table.index.get_level_values("dataset")) == {"tcga_brca", paper.TCGA_SUBSET}
        assert {"replica, 400 of 1,211 rows", "real, all 60 rows"} == set(table["data source"])
    assert paper.with_real_subset("gse72056") == ("gse72056",)


@pytest.mark.parametrize("n_datasets, expected", [(6, "held"), (5, "inconclusive")])
def test_method_claims_are_judged_across_the_real_datasets(n_datasets, expected):
    datasets = {f"real{i}": "real, all 60 rows" for i in range(n_datasets)}
    runs = make_runs({**datasets, "tcga_brca": "replica, 400 of 1,211 rows"},
                     0.95, 0.80, 0.9, 0.85)
    table = paper.verdicts(runs)
    row = table[(table.claim == "Figure 9: proposed auc") & (table.dataset == paper.ACROSS_REAL)]
    assert row.verdict.item() == expected
    assert "Wilcoxon" in row.evidence.item() and "tcga_brca" not in row.data.item()
    # the ablation order: tabnet_only (0.6) is not better than cnn_only (0.6) anywhere
    order = table[(table.claim == "Table 15: ablation order accuracy")]
    assert set(order.dataset) == {*datasets, "tcga_brca", paper.ACROSS_REAL}
    assert (order[order.dataset != "tcga_brca"].verdict != "held").all()
    assert order[order.dataset == "tcga_brca"].verdict.item() == "not testable"


def test_the_across_table_lists_each_pair_and_the_datasets_leave_out_the_across_row():
    runs = make_runs({f"real{i}": "real, all 60 rows" for i in range(6)}, 0.95, 0.80, 0.9, 0.85)
    table = paper.across_table(runs)
    assert ("Table 16 (AUC-ROC)", "hybrid", "tabnet") in table.index
    assert ("Table 15 (accuracy, margin 0.015)", "full", "tabnet_cnn") in table.index
    assert set(table.verdict) <= set(paper.VERDICTS)
    real = paper.judged_on_real(paper.verdicts(runs))
    assert paper.ACROSS_REAL in set(real.dataset)
    assert paper.judged_datasets(real) == [f"real{i}" for i in range(6)]
