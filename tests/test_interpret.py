"""Interpretability: attention and refiner weights by gene, CNN maps, Grad-CAM, stability,
precision@k, marker overlap, figures and bad input. Training is short, so nothing here asserts
that the model finds the planted genes: only shapes, sums, name mapping and hand-made numbers."""

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from scipy.stats import hypergeom
from sklearn.exceptions import NotFittedError

from genomics_hybrid import figures, interpret
from genomics_hybrid.datasets import Dataset
from genomics_hybrid.datasets.bundled import B_CELL_MARKERS
from genomics_hybrid.evaluation import Protocol
from genomics_hybrid.model import HybridClassifier
from genomics_hybrid.preprocess import make_pipeline

FAST = dict(max_epochs=15, patience=5, n_selected=16, cnn_channels=(8, 16, 16),
            embedding_dim=16, n_d=8, n_a=8)
TINY = dict(FAST, max_epochs=2)


@pytest.fixture(scope="module")
def planted():
    """200 samples x 40 genes; the class shifts G0-G4 by 1.5 SD, the rest is noise."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 100)
    X = rng.normal(size=(200, 40)).astype(np.float32)
    X[:, :5] += 1.5 * y[:, None]
    names = [f"G{i}" for i in range(40)]
    return Dataset(X, y, names, [f"s{i}" for i in range(200)],
                   info={"name": "planted", "ground_truth": {"informative_features": names[:5]}})


@pytest.fixture(scope="module")
def rows(planted):
    order = np.random.default_rng(1).permutation(len(planted.y))
    return np.sort(order[:160]), np.sort(order[160:])


@pytest.fixture(scope="module")
def model(planted, rows):
    train, _ = rows
    return HybridClassifier(**FAST).fit(planted.X[train], planted.y[train])


@pytest.fixture(scope="module")
def names(planted):
    return planted.feature_names.tolist()


# -- attention and refiner ----------------------------------------------------------------------

def test_global_attention_is_pytorch_tabnets_rule_over_all_batches(model, planted, names):
    scores = interpret.attention(model, planted.X, names)
    assert model.batch_size_ < len(planted.X)        # several batches were summed
    assert scores.sum() == pytest.approx(1.0)
    assert scores.is_monotonic_decreasing and sorted(scores.index) == sorted(names)
    with torch.no_grad():
        explain, _ = model.network_.tabnet.encoder.forward_masks(torch.from_numpy(planted.X))
    expected = explain.double().sum(dim=0).numpy()
    expected = pd.Series(expected / expected.sum(), index=names)
    np.testing.assert_allclose(scores[names].to_numpy(), expected.to_numpy(), rtol=1e-5)


def test_per_sample_attention_rows_sum_to_one_and_top_keeps_global_top(model, planted, names):
    full = interpret.attention(model, planted.X, names, per_sample=True)
    assert full.shape == (200, 40) and list(full.columns) == names
    np.testing.assert_allclose(full.sum(axis=1), 1.0, rtol=1e-5)
    top = interpret.attention(model, planted.X, names, per_sample=True, top=5)
    ranking = interpret.attention(model, planted.X, names)
    assert list(top.columns) == ranking.index[:5].tolist()
    np.testing.assert_allclose(top, full[top.columns], rtol=1e-6)


def test_names_come_from_dataframe_columns_and_fitted_names(planted, names):
    frame = pd.DataFrame(planted.X, columns=names, index=planted.sample_ids)
    fitted = HybridClassifier(**TINY).fit(frame, planted.y)
    from_array = interpret.attention(fitted, planted.X)          # feature_names_in_
    assert sorted(from_array.index) == sorted(names)
    per_sample = interpret.attention(fitted, frame, per_sample=True, top=3)
    assert list(per_sample.index) == list(planted.sample_ids)
    unnamed = interpret.attention(HybridClassifier(**TINY).fit(planted.X, planted.y), planted.X)
    assert set(unnamed.index) == {f"x{i}" for i in range(40)}


def test_refiner_weights_are_a_distribution_over_the_selected_genes(model, names):
    weights = interpret.refiner_weights(model, names)
    assert len(weights) == 16 and weights.sum() == pytest.approx(1.0, abs=1e-6)
    assert set(weights.index) == {names[i] for i in model.selected_features_}
    assert weights.is_monotonic_decreasing


@pytest.fixture(scope="module")
def pipeline(planted, rows):
    """A pipeline whose variance filter keeps 30 of the 40 genes."""
    train, _ = rows
    return make_pipeline(HybridClassifier(**TINY), variance_top_k=30, augment=False).fit(
        planted.X[train], planted.y[train])


def kept_genes(pipeline, names):
    return {names[i] for i in np.flatnonzero(pipeline.named_steps["variance"].get_support())}


def test_pipeline_maps_scores_to_the_columns_it_kept(pipeline, planted, names):
    scores = interpret.attention(pipeline, planted.X, names)
    assert len(scores) == 30 and set(scores.index) == kept_genes(pipeline, names)
    assert set(interpret.refiner_weights(pipeline, names).index) <= kept_genes(pipeline, names)


# -- CNN ----------------------------------------------------------------------------------------

def test_activation_maps_per_block_by_class_and_by_sample(model, planted, names):
    by_class = interpret.activation_maps(model, planted.X, planted.y, names)
    assert [m.shape for m in by_class] == [(2, 8), (2, 4), (2, 2)]   # 16 genes, pooled by 2
    assert list(by_class[0].index) == [0, 1]
    selected = [names[i] for i in model.selected_features_]
    assert by_class[0].columns[0] == f"{selected[0]}…{selected[1]}"
    assert by_class[2].columns[-1] == f"{selected[8]}…{selected[15]}"
    by_sample = interpret.activation_maps(model, planted.X, feature_names=names)
    assert by_sample[1].shape == (200, 4)
    assert np.all(by_sample[0].to_numpy() >= 0)                       # after ReLU
    np.testing.assert_allclose(by_sample[0][planted.y == 1].mean(), by_class[0].loc[1], rtol=1e-5)


def test_grad_cam_scores_every_selected_gene(model, planted, names):
    positives = planted.X[planted.y == 1]
    selected = {names[i] for i in model.selected_features_}
    for layer in (0, -1):
        scores = interpret.grad_cam(model, positives, names, layer=layer)
        assert len(scores) == 16 and set(scores.index) == selected
        assert np.all(np.isfinite(scores)) and np.all(scores >= 0)
    assert interpret.grad_cam(model, positives, names, target=0).name == "grad_cam_0"
    with pytest.raises(ValueError, match="3 conv blocks"):
        interpret.grad_cam(model, positives, names, layer=3)
    with pytest.raises(ValueError, match="not one of the model's classes"):
        interpret.grad_cam(model, positives, names, target=7)


# -- rankings, stability, truth -----------------------------------------------------------------

def test_precision_at_k_on_a_hand_example():
    ranking = pd.Series({"A": 0.1, "B": 0.5, "C": 0.3, "D": 0.0, "E": 0.05})   # B, C, A, E, D
    assert interpret.precision_at_k(ranking, ["A", "C"], 1) == 0.0
    assert interpret.precision_at_k(ranking, ["A", "C"], 2) == 0.5
    assert interpret.precision_at_k(ranking, ["A", "C"], 3) == pytest.approx(2 / 3)
    assert interpret.precision_at_k(["C", "A", "B"], {"A", "C"}, 2) == 1.0
    with pytest.raises(ValueError, match="2 of the 3 truth genes are not among the 5"):
        interpret.precision_at_k(ranking, ["A", "X", "Y"], 2)


@pytest.mark.parametrize("k, message", [(0, "positive integer"), (2.5, "positive integer"),
                                        (6, "larger than the 5")])
def test_bad_k_is_refused(k, message):
    with pytest.raises(ValueError, match=message):
        interpret.top_genes(pd.Series(np.arange(5.0), index=list("ABCDE")), k)


def test_a_tie_at_the_cut_warns():
    with pytest.warns(UserWarning, match="tie"):
        assert interpret.top_genes(pd.Series([3.0, 1.0, 1.0], index=list("ABC")), 2) == ["A", "B"]


def test_jaccard_on_hand_examples():
    assert interpret.jaccard("abc", "bcd") == 0.5
    assert interpret.jaccard([], []) == 1.0
    pairs = interpret.top_k_jaccard({"fold 0": list("abcd"), "fold 1": list("bcae"),
                                     "fold 2": list("xyab")}, k=3)
    assert pairs[("fold 0", "fold 1")] == 1.0                 # {a,b,c} both
    assert pairs[("fold 0", "fold 2")] == pytest.approx(1 / 5)  # {a} of {a,b,c,x,y}
    assert len(pairs) == 3 and pairs.mean() == pytest.approx((1 + 0.2 + 0.2) / 3)
    with pytest.raises(ValueError, match="at least two rankings"):
        interpret.top_k_jaccard([list("abc")], 2)


def test_attention_stability_across_folds_and_seeds(planted):
    result = interpret.attention_stability(planted, k=5, seeds=(0, 1),
                                           protocol=Protocol(n_folds=2), **dict(FAST, max_epochs=3))
    assert set(result.rankings) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert result.pairs["comparison"].value_counts().to_dict() == {"across folds": 2,
                                                                   "across seeds": 2}
    assert result.pairs["jaccard"].between(0, 1).all()


def test_attention_stability_reads_the_fits_the_comparison_cached(planted, tmp_path,
                                                                   monkeypatch):
    """The protocol seed's folds come from the attention run() stored with each fit (the same
    ranking as fitting again); only the other seed is fitted, into the cache, and read from it
    the next time."""
    from genomics_hybrid import evaluation
    params = dict(FAST, max_epochs=3)
    protocol = Protocol(n_folds=2)
    evaluation.run({"hybrid": HybridClassifier(random_state=0, **params)}, planted, protocol,
                   tmp_path, progress=False, inspect={"hybrid": interpret.attention_record})
    fitted = interpret.attention_stability(planted, k=5, seeds=(0,), protocol=protocol,
                                           **params)
    fits = []
    original = evaluation._fit_and_predict  # the other seed's fits go through it
    monkeypatch.setattr(evaluation, "_fit_and_predict",
                        lambda name, estimator, fold, *a, **kw:
                        fits.append((estimator.random_state, fold))
                        or original(name, estimator, fold, *a, **kw))
    read = interpret.attention_stability(planted, k=5, seeds=(0, 1), protocol=protocol,
                                         cache_dir=tmp_path, **params)
    assert fits == [(1, "fold0"), (1, "fold1")]
    for fold in (0, 1):
        pd.testing.assert_series_equal(read.rankings[0, fold],
                                       fitted.rankings[0, fold].head(interpret.STORED_GENES))
    again = interpret.attention_stability(planted, k=5, seeds=(0, 1), protocol=protocol,
                                          cache_dir=tmp_path, **params)
    assert len(fits) == 2
    pd.testing.assert_frame_equal(again.pairs, read.pairs)


@pytest.mark.filterwarnings("ignore:The genes ranked 5 and 6 tie")  # L1 zeros many coefficients
def test_ground_truth_precision_compares_four_rankings(model, planted, rows):
    train, test = rows
    table = interpret.ground_truth_precision(model, planted, train, test, k=5, n_candidates=10,
                                             n_repeats=2)
    assert list(table["method"]) == ["hybrid attention", "L1 logistic |coefficient|",
                                     "ANOVA F (training rows)", "permutation importance"]
    assert table["precision"].between(0, 1).all() and (table["chance"] == 5 / 40).all()
    assert all(len(top) == 5 for top in table["top_genes"])
    assert all(h == [g for g in top if g in {"G0", "G1", "G2", "G3", "G4"}]
               for h, top in zip(table["hits"], table["top_genes"]))
    assert table.set_index("method").loc["L1 logistic |coefficient|", "n_above_zero"] <= 40


@pytest.mark.filterwarnings("ignore:The genes ranked")
def test_permutation_shuffles_only_genes_that_reach_the_classifier(pipeline, planted, rows,
                                                                    names):
    train, test = rows
    table = interpret.ground_truth_precision(pipeline, planted, train, test, k=8,
                                             n_candidates=8, n_repeats=1).set_index("method")
    assert set(table.loc["permutation importance", "top_genes"]) <= kept_genes(pipeline, names)
    assert set(table.loc["hybrid attention", "top_genes"]) <= kept_genes(pipeline, names)


def test_ground_truth_precision_refuses_what_it_cannot_measure(model, planted, rows):
    train, test = rows
    with pytest.raises(ValueError, match="share 1 rows"):
        interpret.ground_truth_precision(model, planted, train, np.r_[test, train[:1]])
    with pytest.raises(ValueError, match="k=20 is larger than the 10"):
        interpret.ground_truth_precision(model, planted, train, test, k=20, n_candidates=10)
    no_truth = Dataset(planted.X, planted.y, planted.feature_names, planted.sample_ids)
    with pytest.raises(ValueError, match="no planted truth"):
        interpret.ground_truth_precision(model, no_truth, train, test)
    wrong_truth = Dataset(planted.X, planted.y, planted.feature_names, planted.sample_ids,
                          info={"ground_truth": {"informative_features": ["G0", "TP53", "BRCA1"]}})
    with pytest.raises(ValueError, match="2 of the 3 truth genes"):
        interpret.ground_truth_precision(model, wrong_truth, train, test)


def test_marker_overlap_counts_hits_and_a_hypergeometric_p_value():
    universe = [f"g{i}" for i in range(95)] + ["MS4A1", "CD79A", "CD79B", "BLK", "BANK1"]
    ranking = ["g0", "MS4A1", "g1", "CD79A"] + [f"g{i}" for i in range(2, 8)]
    overlap = interpret.marker_overlap(ranking, k=10, universe=universe)
    assert overlap.hits == ["MS4A1", "CD79A"] and overlap.n_markers == 5
    assert "CD19" in overlap.missing and overlap.expected == pytest.approx(0.5)
    assert overlap.p_value == pytest.approx(hypergeom.sf(1, 100, 5, 10))
    with pytest.raises(ValueError, match="None of the 2 markers"):
        interpret.marker_overlap(ranking, k=3, markers=["CD19", "PAX5"], universe=universe)


# -- what notebook 05 shows ----------------------------------------------------------------------

def test_known_genes_are_the_planted_truth_the_loaders_markers_or_none(planted):
    assert interpret.known_genes(planted) == (tuple(f"G{i}" for i in range(5)),
                                              "planted informative")
    pbmc = Dataset(planted.X, planted.y, planted.feature_names, planted.sample_ids,
                   info={"name": "pbmc68k",
                         "known_markers": {"genes": B_CELL_MARKERS, "label": "B-cell marker"}})
    assert interpret.known_genes(pbmc) == (B_CELL_MARKERS, "B-cell marker")
    assert interpret.B_CELL_MARKERS is B_CELL_MARKERS  # still reachable from interpret
    # the name alone no longer decides: only what the loader put in info
    named = Dataset(planted.X, planted.y, planted.feature_names, planted.sample_ids,
                    info={"name": "pbmc68k"})
    assert interpret.known_genes(named) == ((), "known")
    other = Dataset(planted.X, planted.y, planted.feature_names, planted.sample_ids,
                    info={"name": "mine"})
    assert interpret.known_genes(other) == ((), "known")


def test_tables_of_the_explanations():
    pairs = pd.DataFrame({"comparison": ["across folds"] * 3 + ["across seeds"],
                          "a": 0, "b": 1, "jaccard": [0.2, 0.4, 0.6, 1.0]})
    summary = interpret.stability_summary(pairs)
    assert list(summary.index) == ["across folds", "across seeds"]
    assert summary.loc["across folds"].tolist() == pytest.approx([0.4, 0.2, 0.6, 3])
    by_dataset = interpret.stability_summary(pairs.assign(dataset="d"), ["dataset", "comparison"])
    assert by_dataset.loc[("d", "across seeds"), "mean"] == 1.0
    assert interpret.precision_table(None).empty
    precision = pd.DataFrame({"method": ["m"], "k": [2], "precision": [0.5], "chance": [0.1],
                              "n_above_zero": [3], "n_truth": [5], "hits": [["G0"]]})
    assert list(interpret.precision_table(precision).columns) == interpret.PRECISION_COLUMNS
    overlap = interpret.marker_overlap(["MS4A1", "g1"], k=2, universe=["MS4A1", "g1", "g2"])
    markers = interpret.marker_table({"hybrid attention": overlap})
    assert markers.loc[0, "markers found"] == "MS4A1" and markers.loc[0, "n_found"] == 1
    assert interpret.marker_table({}).empty
    ranking = pd.Series([0.5, 0.3, 0.2], index=["G1", "G2", "G3"])
    side = interpret.ranking_table({("genes", "score"): ranking, ("other", "value"): ranking}, 2)
    assert side.columns.tolist() == ["genes", "score", "other", "value"]
    assert side["genes"].tolist() == ["G1", "G2"] and side["value"].tolist() == [0.5, 0.3]
    tidy = interpret.tidy_tables("d", ranking.rename("attention"), interpret.precision_table(None),
                                 markers, pairs, n_attention=2)
    assert tidy["precision"].empty and (tidy["markers"].dataset == "d").all()
    assert tidy["attention"].columns.tolist() == ["dataset", "gene", "attention"]
    assert len(tidy["attention"]) == 2 and (tidy["stability"].dataset == "d").all()


# -- figures ------------------------------------------------------------------------------------

def test_attention_bar_figure_draws_one_bar_per_top_gene(model, planted, names):
    scores = interpret.attention(model, planted.X, names)
    fig = figures.attention_bar_figure(scores, top=12, highlight=names[:5], title="planted")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert sum(len(bars) for bars in ax.containers) == 12
    assert [t.get_text() for t in ax.get_yticklabels()] == scores.index[:12].tolist()
    assert ax.get_legend() is not None
    with pytest.raises(ValueError, match="larger than the 40"):
        figures.attention_bar_figure(scores, top=41)


def test_activation_heatmap_figure_has_one_cell_per_class_and_position(model, planted, names):
    maps = interpret.activation_maps(model, planted.X, planted.y, names)
    fig = figures.activation_heatmap_figure(maps[0], title="block 1")
    ax = fig.axes[0]
    assert isinstance(fig, Figure) and ax.collections[0].get_array().shape == (2, 8)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(maps[0].columns)


# -- bad input ----------------------------------------------------------------------------------

def test_unfitted_models_are_refused_with_the_fix(planted):
    with pytest.raises(NotFittedError, match=r"model.fit\(X_train, y_train\)"):
        interpret.attention(HybridClassifier(), planted.X)
    with pytest.raises(NotFittedError, match="not fitted"):
        interpret.refiner_weights(make_pipeline(HybridClassifier()))
    with pytest.raises(TypeError, match="HybridClassifier or a pipeline"):
        interpret.attention(make_pipeline(object()), planted.X)


def test_names_and_widths_must_match_the_model(model, planted, names):
    with pytest.raises(ValueError, match="feature_names has 39 names but the model takes 40"):
        interpret.attention(model, planted.X, names[:39])
    with pytest.raises(ValueError, match="X has 30 columns but the model was fitted on 40"):
        interpret.activation_maps(model, planted.X[:, :30], feature_names=names[:30])
    with pytest.raises(ValueError, match="X has no rows"):
        interpret.grad_cam(model, planted.X[:0], names)
    with pytest.raises(ValueError, match="y has 3 labels but X has 200 rows"):
        interpret.activation_maps(model, planted.X, [0, 1, 0], names)


@pytest.mark.parametrize("variant, explain, missing", [
    ("cnn_only", lambda m, X: interpret.attention(m, X), "TabNet attention"),
    ("tabnet_only", lambda m, X: interpret.activation_maps(m, X), "a CNN"),
    ("tabnet_only", lambda m, X: interpret.grad_cam(m, X), "a CNN"),
    ("tabnet_cnn", lambda m, X: interpret.refiner_weights(m), "an Adaptive Feature Refiner"),
])
def test_variants_without_the_explained_part_are_refused(planted, variant, explain, missing):
    fitted = HybridClassifier(variant=variant, **TINY).fit(planted.X, planted.y)
    with pytest.raises(ValueError, match=f"needs {missing}.*Fit a model with variant in"):
        explain(fitted, planted.X)
