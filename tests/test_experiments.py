"""Experiments built from profiles: which models, which settings, and the summary table."""

import numpy as np
import pytest

from evaluation_helpers import synthetic_dataset
from sklearn.dummy import DummyClassifier
from sklearn.neighbors import KNeighborsClassifier

from genomics_hybrid.evaluation import Protocol, run
from genomics_hybrid.paper import split_table
from genomics_hybrid.experiments import (ablation_models, comparison_models, explain,
                                         headline_table, main, membership_inference,
                                         PrivacyCell, privacy_grid, privacy_settings,
                                         profile_dataset, run_experiment, run_paper_split,
                                         OUR_SPLIT, PAPER_SPLIT,
                                         run_privacy_grid, summarise_privacy)
from genomics_hybrid.privacy import DPSGDClassifier, gaussian_epsilon
from genomics_hybrid.profiles import load_profile

TINY = {"name": "tiny", "seed": 3, "datasets": [{"name": "gse7390", "source": "real"}],
        "evaluation": {"n_folds": 2, "preprocessing": {"augment": False}},
        "model": {"max_epochs": 2, "patience": 2, "n_selected": 4,
                  "cnn_channels": [4, 4, 4], "embedding_dim": 4, "n_d": 4, "n_a": 4}}


def test_comparison_models_share_the_profile_settings():
    models = comparison_models(load_profile("default"))
    assert list(models) == ["hybrid", "l1_logistic", "random_forest", "gradient_boosting",
                            "mlp", "tabnet", "cnn_only"]
    epochs = load_profile("default")["model"]["max_epochs"]
    assert models["hybrid"].max_epochs == models["tabnet"].max_epochs == epochs
    assert {m.get_params()["random_state"] for m in models.values()} == {0}


def test_ablation_is_table_15s_four_configurations_in_order():
    models = ablation_models(TINY)
    assert list(models) == ["cnn_only", "tabnet_only", "tabnet_cnn", "full"]
    assert all(m.variant == name and m.max_epochs == 2 for name, m in models.items())


def test_run_experiment_labels_rows_with_the_profile(tmp_path):
    results, predictions, convergence = run_experiment("ablation", synthetic_dataset(n=60, d=8),
                                                       TINY, tmp_path, progress=False)
    assert set(results.profile) == {"tiny"} and set(predictions.profile) == {"tiny"}
    assert set(convergence.profile) == {"tiny"}
    # every deep fit says how it stopped, in the results and per epoch
    assert set(results.stopped_by) <= {"early_stopping", "epoch_cap", "fixed_epochs"}
    stages = convergence.drop_duplicates(["model", "fold", "stage"])
    assert set(stages.groupby("model").stage.unique().map(tuple)) == {
        ("joint",), ("tabnet",), ("tabnet", "joint")}
    assert (stages.epochs <= stages.max_epochs).all()
    assert results.groupby("model").fold.nunique().to_dict() == {
        "cnn_only": 3, "full": 3, "tabnet_cnn": 3, "tabnet_only": 3}
    table = headline_table(results)
    assert list(table.columns) == ["accuracy", "auc", "f1", "fit_seconds"]
    assert table.loc[("synthetic", "full"), "auc"].count("[") == 1


def test_unknown_experiment_and_dataset_are_named():
    with pytest.raises(ValueError, match="experiment must be one of"):
        run_experiment("privacy", synthetic_dataset(), TINY)
    with pytest.raises(ValueError, match="has no dataset 'pbmc68k'; it has gse7390"):
        profile_dataset("pbmc68k", TINY)


def test_command_line_prints_the_headline_table(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("genomics_hybrid.experiments.load_profile", lambda name: TINY)
    out = tmp_path / "results.csv"
    assert main(["ablation", "--profile", "tiny", "--cache", str(tmp_path), "--out",
                 str(out)]) == 0
    printed = capsys.readouterr().out
    assert "gse7390" in printed and "tabnet_cnn" in printed and out.exists()


def test_membership_inference_sees_memorisation_and_not_a_constant():
    """Random labels, so only memorisation can tell members from the hold-out."""
    data = synthetic_dataset(n=300, d=6, positive_fraction=0.5)
    data.y = np.random.default_rng(0).permutation(data.y)
    plain = Protocol(preprocessing={"smote": False, "undersample": False, "augment": False})
    memorised = membership_inference(KNeighborsClassifier(n_neighbors=1), data, plain)
    assert memorised["loss_attack_auc"] > 0.7 and memorised["shadow_attack_auc"] > 0.7
    assert memorised["n_scored"] == 60 and memorised["n_shadows"] == plain.n_folds
    constant = membership_inference(DummyClassifier(strategy="prior"), data, plain)
    assert abs(constant["loss_attack_auc"] - 0.5) < 0.1
    assert abs(constant["shadow_attack_auc"] - 0.5) < 0.1


def test_membership_inference_fits_nothing_beyond_the_cells_own_folds(tmp_path, monkeypatch):
    """The attacks read the predictions that run() cached: no target or shadow is refitted."""
    data = synthetic_dataset(n=120, d=6)
    plain = Protocol(preprocessing={"smote": False, "undersample": False, "augment": False})
    model = KNeighborsClassifier(n_neighbors=1)
    run({"knn": model}, data, plain, tmp_path, progress=False)

    def refuse(*args, **kwargs):
        raise AssertionError("membership inference fitted a model")
    monkeypatch.setattr("genomics_hybrid.evaluation._fit_and_predict", refuse)
    attack = membership_inference(model, data, plain, tmp_path)
    assert attack["loss_attack_auc"] > 0.5 and attack["n_scored"] == 24


def test_privacy_grid_cells_and_their_settings(tmp_path):
    plain, protocol = privacy_settings("adaptive", "none", TINY)
    assert "privacy" not in protocol.preprocessing
    _, adaptive = privacy_settings("adaptive", "medium", TINY)
    assert adaptive.preprocessing["privacy"]["noise_scale"] == 0.25   # LEVEL_NOISE, stated
    assert adaptive.preprocessing["privacy"]["budget"] == "adaptive"
    dp, dp_protocol = privacy_settings("dp_sgd", "high", TINY)
    assert isinstance(dp, DPSGDClassifier) and dp.epsilon == 0.1
    assert not dp_protocol.preprocessing["smote"] and not dp_protocol.preprocessing["augment"]
    with pytest.raises(ValueError, match="method must be one of"):
        privacy_settings("federated", "low", TINY)
    results, attacks, convergence = run_privacy_grid(synthetic_dataset(n=80, d=6), TINY,
                                                     tmp_path, progress=False,
                                                     levels=("none", "low"))
    assert set(convergence[convergence.method == "dp_sgd"].stage) == {"dp_sgd"}
    assert set(attacks.target_stopped_by) <= {"early_stopping", "epoch_cap", "fixed_epochs"}
    assert list(attacks.method) == ["none", "adaptive", "uniform", "masking", "dp_sgd"]
    assert attacks.epsilon.isna().tolist() == [True, True, True, True, False]   # DP-SGD's target
    assert attacks.noise.tolist()[1:] == [1 / 16, 1 / 16, 0.05, 10.0]
    assert set(results.groupby(["method", "level"]).fold.nunique()) == {3}
    assert attacks.loss_attack_auc.between(0, 1).all()
    spent = dict(zip(attacks.method, attacks.epsilon_spent))
    assert np.isnan(spent["none"]) and np.isinf(spent["masking"])
    assert np.isinf(spent["adaptive"])          # Algorithm 4 as written: low-risk features
    # unnoised; uniform noise of sigma 1/16 on each of the d released features buys, per record,
    # the Gaussian mechanism at L2 sensitivity sqrt(d) * 16, and per value at sensitivity 16
    released = 6      # the variance filter keeps all 6 synthetic features
    assert spent["uniform"] == pytest.approx(gaussian_epsilon(np.sqrt(released) * 16, 1e-5),
                                             rel=1e-6)
    per_value = dict(zip(attacks.method, attacks.epsilon_feature))
    assert per_value["uniform"] == pytest.approx(gaussian_epsilon(16.0, 1e-5), rel=1e-6)
    assert per_value["uniform"] < spent["uniform"] and np.isinf(per_value["masking"])
    assert 0 < spent["dp_sgd"] <= 10.0 * 1.01                       # the accountant's figure


def test_privacy_grid_is_the_named_levels_plus_the_profiles_curve():
    profile = {**TINY, "privacy": {"noise_scales": [1 / 64, 1 / 16, 0.5], "dp_epsilons": [3.0]}}
    grid = privacy_grid(profile)
    assert grid[0] == PrivacyCell("none", "none", None)
    uniform = [(cell.level, cell.noise) for cell in grid if cell.method == "uniform"]
    assert uniform == [("sigma=0.015625", 1 / 64), ("low", 1 / 16), ("medium", 0.25),
                       ("sigma=0.5", 0.5), ("high", 1.0)]     # least protection first
    dp = [cell.level for cell in grid if cell.method == "dp_sgd"]
    assert dp == ["low", "epsilon=3", "medium", "high"]       # epsilon 10, 3, 1, 0.1
    assert [cell.level for cell in grid if cell.method == "masking"] == ["low", "medium", "high"]
    _, protocol = privacy_settings("uniform", "sigma=0.5", profile)
    assert protocol.preprocessing["privacy"]["noise_scale"] == 0.5
    with pytest.raises(ValueError, match="noise curve"):
        privacy_settings("uniform", "sigma=0.5", TINY)       # not a point of TINY's curve


def test_privacy_grid_resumes_its_attacks_from_the_cache(tmp_path, monkeypatch):
    data = synthetic_dataset(n=80, d=6)
    first = run_privacy_grid(data, TINY, tmp_path, progress=False, methods=("masking",),
                             levels=("none", "low"))[1]

    def refuse(*args, **kwargs):
        raise AssertionError("a privacy cell was fitted again despite the cache")
    monkeypatch.setattr("genomics_hybrid.evaluation._fit_and_predict", refuse)
    again = run_privacy_grid(data, TINY, tmp_path, progress=False, methods=("masking",),
                             levels=("none", "low"))[1]
    assert again.equals(first)
    summary = summarise_privacy(run_privacy_grid(data, TINY, tmp_path, progress=False,
                                                 methods=("masking",),
                                                 levels=("none", "low"))[0])
    assert set(zip(summary.method, summary.level)) == {("none", "none"), ("masking", "low")}
    assert summary.groupby(["method", "level"]).metric.nunique().min() >= 3


def test_profile_dataset_applies_the_row_cap():
    capped = profile_dataset("gse7390", {**TINY, "max_samples": 50})
    assert capped.shape == (50, 76) and capped.info["subsample"]["of"] == 198


def test_explain_scores_a_replica_against_its_planted_genes():
    data = synthetic_dataset(n=90, d=12)
    data.info["ground_truth"] = {"informative_features": list(data.feature_names[:3])}
    profile = {**TINY, "interpretability": {"k": 3, "seeds": [0, 1], "n_candidates": 6,
                                            "n_repeats": 1}}
    explanation = explain(data, profile)
    assert set(explanation.precision.method) >= {"hybrid attention", "permutation importance"}
    assert explanation.precision.precision.between(0, 1).all()
    assert set(explanation.stability.pairs.comparison) == {"across folds", "across seeds"}
    assert not np.intersect1d(explanation.train_rows, explanation.test_rows).size
    assert explanation.markers == {}


def test_the_papers_split_runs_beside_ours_only_where_groups_exist(tmp_path, monkeypatch):
    grouped = synthetic_dataset(n=80, d=6, n_groups=16)
    models = {"dummy": DummyClassifier(strategy="prior")}
    monkeypatch.setattr("genomics_hybrid.experiments.comparison_models", lambda profile: models)
    ours = run(models, grouped, Protocol.from_profile(TINY), progress=False)
    papers = run_paper_split(grouped, TINY, tmp_path, progress=False)
    assert set(papers.split) == {PAPER_SPLIT} and set(papers.fold) == set(ours.fold)
    table = split_table(ours, papers, {grouped.name: "synthetic"})
    assert table.columns.tolist() == [OUR_SPLIT, PAPER_SPLIT, "paper's minus ours",
                                      "data source"]
    assert set(table["data source"]) == {"synthetic"}
    assert run_paper_split(synthetic_dataset(n=80, d=6), TINY).empty          # no groups
    assert run_paper_split(grouped, {**TINY, "paper_split": False}).empty
    assert "not run" in split_table(ours, papers.iloc[0:0], {}).note.iloc[0]


def test_explain_counts_a_known_gene_the_fold_filter_dropped_as_not_found():
    data = synthetic_dataset(n=90, d=12)
    # The last gene is constant: the in-fold variance filter drops it before the model.
    data.X[:, -1] = 1.0
    data.info["known_markers"] = {"genes": (data.feature_names[0], data.feature_names[-1]),
                                  "label": "named gene"}
    profile = {**TINY, "interpretability": {"k": 3, "seeds": [0], "n_candidates": 6,
                                            "n_repeats": 1}}
    explanation = explain(data, profile)
    attention = explanation.markers["hybrid attention"]
    assert data.feature_names[-1] not in explanation.attention.index
    assert attention.n_markers == 2 and attention.missing == []
    assert data.feature_names[-1] not in attention.hits
    assert attention.universe_size == 12
