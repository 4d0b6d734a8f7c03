"""The book's figures (genomics_hybrid.figures): backend-free, one mark per model, class or level."""

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from genomics_hybrid import figures
from genomics_hybrid.metrics import HEADLINE_METRICS


def test_zero_fraction_per_sample_matches_direct_computation(small):
    direct = (small.X == 0).mean(axis=1)
    np.testing.assert_allclose(figures.zero_fraction_per_sample(small.X, chunk=7), direct)
    assert figures.zero_fraction_per_sample(small.X)[0] == 1.0


def test_nonzero_values_skip_zeros_and_cap(small):
    frame = figures.nonzero_values(small, max_values=5)
    assert (frame["value"] != 0).all()
    assert frame.groupby("class").size().max() <= 5
    assert set(frame["class"]) == {"positive (tumour)", "negative"}


def test_figures_are_backend_free_and_show_the_classes(small):
    balance = figures.class_balance_figure(small)
    heights = sorted(p.get_height() for p in balance.axes[0].patches)
    assert heights == [10, 20]
    for fig in (balance, figures.nonzero_distribution_figure(small),
                figures.zero_fraction_figure(small)):
        assert isinstance(fig, Figure) and len(fig.axes) == 1
        assert fig.axes[0].get_title().startswith("small (user)")
        fig.savefig(io.BytesIO(), format="png")


def test_zero_fraction_figure_without_zeros(small):
    small.X[small.X == 0] = 1.0
    figures.zero_fraction_figure(small).savefig(io.BytesIO(), format="png")


def test_integer_counts_get_one_bar_per_value(small):
    small.X[:] = np.round(small.X)
    fig = figures.nonzero_distribution_figure(small)
    assert fig.axes[0].get_xlabel() == "non-zero value"
    fig.savefig(io.BytesIO(), format="png")


def test_result_figures_draw_every_model_and_level():
    from test_paper import make_runs

    from genomics_hybrid import paper
    runs = make_runs({"gse7390": "bundled", "pbmc68k": "bundled"}, 0.9, 0.8, 0.9, 0.9)
    summary = runs["comparison_summary"]
    by_dataset = figures.metric_bars_figure(summary, "auc")
    assert len(by_dataset.axes[0].patches) == 2 * 7          # datasets x models
    assert len(figures.metric_bars_figure(summary, "f1", by="model").axes[0].patches) == 14
    with pytest.raises(ValueError, match="No 'mcc' rows"):
        figures.metric_bars_figure(summary, "mcc")
    rivals = {(d, m): paper.best_baseline(summary, d, m) for d in ("gse7390", "pbmc68k")
              for m in HEADLINE_METRICS}
    assert len(figures.versus_figure(summary, rivals).axes) == 3
    one = runs["privacy_summary"].dataset == "gse7390"
    privacy = figures.privacy_figure(runs["privacy_summary"][one], runs["privacy_attacks"])
    assert len(privacy.axes) == 2 and len(privacy.axes[1].lines) >= 2
    with pytest.raises(ValueError, match="draws one dataset"):
        figures.privacy_figure(runs["privacy_summary"], runs["privacy_attacks"])
    curve = figures.privacy_curve_figure(runs["privacy_summary"][one], runs["privacy_attacks"])
    utility = curve.axes[0]
    assert utility.get_xscale() == "log" and len(utility.containers) == 1   # adaptive's points
    assert sorted(utility.containers[0].lines[0].get_xdata()) == [1 / 16, 1 / 4, 1.0]
    with pytest.raises(ValueError, match="draws one dataset"):
        figures.privacy_curve_figure(runs["privacy_summary"], runs["privacy_attacks"])


def test_roc_figure_has_one_curve_per_model():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(20), np.ones(20)]
    predictions = pd.concat([pd.DataFrame({"model": m, "fold": "holdout", "y_true": y,
                                           "proba": rng.random(40)}) for m in ("hybrid", "mlp")])
    fig = figures.roc_figure(predictions)
    assert len(fig.axes[0].lines) == 3                       # two models and the diagonal
    with pytest.raises(ValueError, match="No predictions for fold"):
        figures.roc_figure(predictions, fold="fold9")


def test_figure_helper_gives_one_axes_of_the_size_asked():
    fig, ax = figures.figure(4.0, 2.0)
    assert isinstance(fig, Figure) and fig.axes == [ax]
    assert tuple(fig.get_size_inches()) == (4.0, 2.0)


def test_critical_difference_figure_joins_models_closer_than_the_difference():
    ranks = pd.Series({"a": 1.2, "b": 1.8, "c": 3.9, "d": 4.1})
    fig = figures.critical_difference_figure(ranks, 1.0, 6, "pbmc68k and others: AUC-ROC")
    ax = fig.axes[0]
    grey = [line for line in ax.lines if line.get_color() == "grey"]
    # a with b, c with d: two groups; the scale bar is the third line
    assert len(grey) == 2 and len(ax.lines) == 3
    assert "6 real datasets" in ax.get_xlabel()
