"""Every figure of the book, built on ``matplotlib.figure.Figure`` objects (no pyplot state, no
backend choice), so they work the same in a notebook, under papermill and in tests; a notebook
shows them with ``display(fig)`` or ``myst_nb.glue(key, fig)``. ``figure`` is the helper each
single-panel figure starts from.

    >>> from genomics_hybrid import figures
    >>> figures.class_balance_figure(ds)                       # notebook 01
    >>> figures.metric_bars_figure(summary, "auc")             # Figs. 3-8
    >>> figures.attention_bar_figure(scores, top=20)           # Figs. 10a-12a
    >>> figures.activation_heatmap_figure(maps[0])             # Figs. 10b-12b

The data each one draws comes from the layers below (``interpret`` for attention and activation
maps, ``evaluation`` and ``experiments`` for results); this module computes nothing a table
needs.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ._arrays import blockwise, check_top_k
from .datasets import Dataset
from .metrics import METRIC_LABELS


def figure(width: float = 6.0, height: float = 3.6) -> tuple[Figure, Axes]:
    """A new ``Figure`` of ``width`` x ``height`` inches (constrained layout) and its one axes:
    every single-panel figure of the book starts here."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def class_labels(ds: Dataset) -> np.ndarray:
    """A readable label per sample: "positive (<class>)" or "negative"."""
    positive = f"positive ({ds.info.get('positive_class', '1')})"
    return np.where(ds.y == 1, positive, "negative")


def class_palette(ds: Dataset) -> dict[str, Any]:
    """One colour per class label, the same in every figure; positive first."""
    colours = sns.color_palette("colorblind", 2)
    return {f"positive ({ds.info.get('positive_class', '1')})": colours[0], "negative": colours[1]}


def class_balance_figure(ds: Dataset) -> Figure:
    """Bar chart of the number of samples per class, each bar labelled with count and share."""
    labels = class_labels(ds)
    palette = class_palette(ds)
    order = list(palette)
    counts = pd.Series(labels).value_counts().reindex(order, fill_value=0)
    fig, ax = figure()
    sns.barplot(x=counts.index, y=counts.values, hue=counts.index, order=order,
                hue_order=order, palette=palette, legend=False, ax=ax)
    for i, n in enumerate(counts.values):
        ax.annotate(f"{n:,} ({n / len(labels):.1%})", (i, n), ha="center", va="bottom")
    ax.set_ylim(0, counts.max() * 1.15)
    ax.set(xlabel="", ylabel="samples", title=f"{ds.name} ({ds.source}): class balance")
    return fig


def nonzero_values(ds: Dataset, max_values: int = 100_000, seed: int = 0) -> pd.DataFrame:
    """A random sample of the matrix's non-zero values, with the class of their sample."""
    rng = np.random.default_rng(seed)
    labels = class_labels(ds)
    parts = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        rows = np.sort(rng.choice(rows, size=min(len(rows), 300), replace=False))
        values = ds.X[rows].ravel()
        values = values[values != 0]
        if len(values) > max_values:
            values = rng.choice(values, size=max_values, replace=False)
        parts.append(pd.DataFrame({"value": values, "class": label}))
    return pd.concat(parts, ignore_index=True)


def nonzero_distribution_figure(ds: Dataset, max_values: int = 100_000, seed: int = 0) -> Figure:
    """Histogram (density per class) of the non-zero expression values."""
    frame = nonzero_values(ds, max_values=max_values, seed=seed)
    fig, ax = figure()
    if len(frame):
        values = frame["value"].to_numpy()
        counts = bool(np.all(values == np.round(values)) and values.max() - values.min() <= 60)
        bins = {"discrete": True} if counts else {"bins": 60}   # e.g. k-mer counts: one bar each
        sns.histplot(frame, x="value", hue="class", stat="density", common_norm=False,
                     element="step", palette=class_palette(ds), hue_order=list(class_palette(ds)),
                     ax=ax, **bins)
    ax.set(xlabel="non-zero value", ylabel="density",
           title=f"{ds.name} ({ds.source}): distribution of non-zero values")
    return fig


def zero_fraction_per_sample(X: np.ndarray, chunk: int = 512) -> np.ndarray:
    """The fraction of zeros in each row, computed in row chunks (no full-size boolean copy)."""
    return blockwise(lambda rows: np.mean(rows == 0, axis=1), X, axis=0, block=chunk)


def zero_fraction_figure(ds: Dataset) -> Figure:
    """Histogram of the per-sample fraction of zero values, by class."""
    frame = pd.DataFrame({"zero fraction": zero_fraction_per_sample(ds.X),
                          "class": class_labels(ds)})
    fig, ax = figure()
    low, high = frame["zero fraction"].min(), frame["zero fraction"].max()
    if high - low < 0.02:                      # e.g. no zeros at all: keep the bar readable
        low, high = max(0.0, low - 0.01), min(1.0, high + 0.01)
    sns.histplot(frame, x="zero fraction", hue="class", bins=50, binrange=(low, high),
                 element="step", palette=class_palette(ds),
                 hue_order=list(class_palette(ds)), ax=ax)
    ax.set(xlabel="fraction of zero values in a sample", ylabel="samples",
           title=f"{ds.name} ({ds.source}): zeros per sample")
    return fig


def _model_order(models) -> list[str]:
    """The hybrid first, then the others alphabetically: the same order in every figure."""
    models = list(dict.fromkeys(models))
    first = [m for m in ("hybrid", "full") if m in models]
    return first + sorted(m for m in models if m not in first)


def metric_bars_figure(summary: pd.DataFrame, metric: str, by: str = "dataset",
                       title: str = "") -> Figure:
    """CV mean of ``metric`` per model (bars) with its 95 % interval (whiskers), grouped by
    ``by`` ("dataset": Figs. 3-5; "model": Figs. 6-8). ``summary`` is ``evaluation.summarise``
    output, possibly of several datasets."""
    rows = summary[summary.metric == metric]
    if rows.empty:
        raise ValueError(f"No {metric!r} rows in the summary.")
    hue = "model" if by == "dataset" else "dataset"
    groups = list(dict.fromkeys(rows[by])) if by == "dataset" else _model_order(rows[by])
    hues = _model_order(rows[hue]) if hue == "model" else list(dict.fromkeys(rows[hue]))
    fig, ax = figure(max(6.0, 1.1 * len(groups) * max(1, len(hues)) / 3), 4.0)
    width = 0.8 / len(hues)
    palette = dict(zip(hues, sns.color_palette("colorblind", len(hues))))
    for j, name in enumerate(hues):
        part = rows[rows[hue] == name].set_index(by).reindex(groups)
        x = np.arange(len(groups)) - 0.4 + width * (j + 0.5)
        errors = np.vstack([part.cv_mean - part.cv_ci_low, part.cv_ci_high - part.cv_mean])
        ax.bar(x, part.cv_mean, width, yerr=errors, capsize=2, color=palette[name], label=name,
               edgecolor="black" if name in ("hybrid", "full") else None)
    ax.set_xticks(np.arange(len(groups)), groups, rotation=20 if by == "model" else 0)
    low = np.nanmin(rows.cv_ci_low)
    ax.set_ylim(max(0.0, min(0.5, low - 0.05)), 1.0)
    ax.set(ylabel=f"{METRIC_LABELS.get(metric, metric)} (CV mean, 95 % CI)", xlabel="",
           title=title or f"{METRIC_LABELS.get(metric, metric)} by {by}")
    ax.legend(title=hue, fontsize="small", ncols=2 if len(hues) > 4 else 1,
              loc="lower right")
    return fig


def roc_figure(predictions: pd.DataFrame, fold: str = "holdout", title: str = "") -> Figure:
    """ROC curves of every model on one fold (default: the hold-out) of one dataset."""
    from sklearn.metrics import roc_auc_score, roc_curve

    rows = predictions[predictions.fold == fold]
    if rows.empty:
        raise ValueError(f"No predictions for fold {fold!r}.")
    fig, ax = figure(5.2, 4.6)
    models = _model_order(rows.model)
    palette = dict(zip(models, sns.color_palette("colorblind", len(models))))
    for model in models:
        part = rows[rows.model == model]
        fpr, tpr, _ = roc_curve(part.y_true, part.proba)
        auc = roc_auc_score(part.y_true, part.proba)
        ax.plot(fpr, tpr, color=palette[model], lw=2.2 if model in ("hybrid", "full") else 1.2,
                label=f"{model} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate",
           title=title or f"ROC on the {fold}")
    ax.legend(fontsize="small", loc="lower right")
    return fig


def _interval_line(ax, x, mean, low, high, **style) -> None:
    """Points joined by a line, each with its interval [low, high] as an error bar."""
    ax.errorbar(x, mean, yerr=[mean - low, high - mean], marker="o", capsize=3, **style)


def privacy_figure(summary: pd.DataFrame, attacks: pd.DataFrame, metric: str = "accuracy",
                   title: str = "") -> Figure:
    """Left: ``metric`` (CV mean, 95 % CI) per named privacy level and method; right: the
    loss-threshold membership-inference AUC of the same models (0.5: nothing detected). What
    each level is per method: ``experiments.LEVEL_NOISE``."""
    from .experiments import LEVELS

    if summary.dataset.nunique() != 1:
        raise ValueError(f"privacy_figure draws one dataset; got {sorted(summary.dataset.unique())}.")
    attacks = attacks[attacks.dataset == summary.dataset.iloc[0]]
    levels = [level for level in LEVELS if level in set(summary.level)]
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    methods = [m for m in dict.fromkeys(summary.method) if m != "none"]
    palette = dict(zip(methods, sns.color_palette("colorblind", len(methods))))
    rows = summary[summary.metric == metric]
    base = rows[rows.method == "none"]
    for method in methods:
        part = pd.concat([base, rows[rows.method == method]]).set_index("level").reindex(levels)
        x = np.arange(len(levels))
        _interval_line(left, x, part.cv_mean, part.cv_ci_low, part.cv_ci_high,
                       color=palette[method], label=method)
        hit = pd.concat([attacks[attacks.method == "none"], attacks[attacks.method == method]])
        hit = hit.set_index("level").reindex(levels)
        right.plot(x, hit.loss_attack_auc, marker="o", color=palette[method], label=method)
    for ax in (left, right):
        ax.set_xticks(np.arange(len(levels)), levels)
    left.set(ylabel=f"{METRIC_LABELS.get(metric, metric)} (CV mean, 95 % CI)",
             xlabel="privacy level", title=title or "utility")
    right.axhline(0.5, color="grey", ls=":", lw=1)
    right.set(ylabel="membership-inference AUC (loss threshold)", xlabel="privacy level",
              title="attack on the trained model")
    left.legend(fontsize="small")
    return fig


def privacy_curve_figure(summary: pd.DataFrame, attacks: pd.DataFrame,
                         metric: str = "accuracy", title: str = "") -> Figure:
    """The noise curve of one dataset: ``metric`` (CV mean, 95 % CI) and the loss-threshold
    attack's advantage (TPR - FPR; 0: nothing detected) against sigma for Algorithm 4 and
    uniform noise (left two panels, log axis; the dashed line and band are the unprotected
    model), and against epsilon for DP-SGD (right; less protection to the right). The
    epsilon each sigma buys is in the curve's table (``paper.privacy_cells(curve=True)``)."""
    if summary.dataset.nunique() != 1:
        raise ValueError(f"privacy_curve_figure draws one dataset; got "
                         f"{sorted(summary.dataset.unique())}.")
    attacks = attacks[attacks.dataset == summary.dataset.iloc[0]]
    rows = summary[summary.metric == metric]
    base, base_attack = rows[rows.method == "none"], attacks[attacks.method == "none"]
    fig = Figure(figsize=(13, 3.8), layout="constrained")
    utility, advantage, dp = fig.subplots(1, 3)
    palette = dict(zip(("adaptive", "uniform", "dp_sgd"), sns.color_palette("colorblind", 3)))
    for method in ("adaptive", "uniform"):
        part = rows[rows.method == method].sort_values("noise")
        if part.empty:
            continue
        _interval_line(utility, part.noise, part.cv_mean, part.cv_ci_low, part.cv_ci_high,
                       color=palette[method], label=method)
        hit = attacks[attacks.method == method].sort_values("noise")
        advantage.plot(hit.noise, hit.loss_attack_advantage, marker="o", color=palette[method],
                       label=method)
    for ax, line in ((utility, base.cv_mean), (advantage, base_attack.loss_attack_advantage)):
        if not line.empty:
            ax.axhline(float(line.iloc[0]), color="grey", ls="--", lw=1, label="no protection")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("noise sigma (fraction of a feature's min-max range)")
    if not base.empty:
        utility.axhspan(float(base.cv_ci_low.iloc[0]), float(base.cv_ci_high.iloc[0]),
                        color="grey", alpha=0.15)
    label = f"{METRIC_LABELS.get(metric, metric)} (CV mean, 95 % CI)"
    utility.set(ylabel=label, title=title or "utility against noise")
    advantage.axhline(0.0, color="grey", ls=":", lw=1)
    advantage.set(ylabel="attack advantage (loss threshold)", title="membership inference")
    part = rows[rows.method == "dp_sgd"].sort_values("noise")
    if not part.empty:
        _interval_line(dp, part.noise, part.cv_mean, part.cv_ci_low, part.cv_ci_high,
                       color=palette["dp_sgd"], label=f"DP-SGD {metric}")
        hit = attacks[attacks.method == "dp_sgd"].sort_values("noise")
        dp.plot(hit.noise, hit.loss_attack_advantage, marker="s", ls="--",
                color=palette["dp_sgd"], label="DP-SGD attack advantage")
        if not base.empty:
            dp.axhline(float(base.cv_mean.iloc[0]), color="grey", ls="--", lw=1,
                       label="no protection")
        dp.set_xscale("log")
    dp.set(xlabel="DP-SGD epsilon (record-level)", ylabel=f"{metric} / attack advantage",
           title="DP-SGD")
    for ax in (utility, dp):
        ax.legend(fontsize="small")
    return fig


def robustness_figure(summary: pd.DataFrame, metric: str = "accuracy", title: str = "") -> Figure:
    """The drop of ``metric`` (clean minus perturbed; CV mean, 95 % CI) of every model trained
    on clean folds, against the sigma of Gaussian perturbation of its test rows (left, log axis)
    and the gene-dropout rate (right). ``summary``: ``robustness.summarise_robustness``, one
    dataset."""
    if summary.dataset.nunique() != 1:
        raise ValueError(f"robustness_figure draws one dataset; got "
                         f"{sorted(summary.dataset.unique())}.")
    rows = summary[summary.metric == metric]
    models = list(dict.fromkeys(rows.model))
    palette = dict(zip(models, sns.color_palette("colorblind", len(models))))
    fig = Figure(figsize=(11, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, perturbation, label in zip(axes, ("gaussian", "dropout"),
                                       ("noise sigma (fraction of a gene's min-max range)",
                                        "share of test values set to 0")):
        for model in models:
            part = rows[(rows.model == model) & (rows.perturbation == perturbation)]
            part = part.sort_values("amount")
            _interval_line(ax, part.amount, part["drop"], part.drop_ci_low, part.drop_ci_high,
                           color=palette[model], label=model,
                           lw=2.2 if model == "hybrid" else 1.1)
        ax.axhline(0.0, color="grey", ls=":", lw=1)
        ax.set(xlabel=label, ylabel=f"{METRIC_LABELS.get(metric, metric)} drop (CV mean, 95 % CI)")
    axes[0].set_xscale("log", base=2)
    axes[0].set_title(title or "Gaussian perturbation of the test rows")
    axes[1].set_title("gene dropout in the test rows")
    axes[1].legend(fontsize="small")
    return fig


def versus_figure(summary: pd.DataFrame, rivals: dict[tuple[str, str], str],
                  model: str = "hybrid") -> Figure:
    """Fig. 9: ``model`` against the best baseline per dataset, one panel per metric; ``rivals``
    maps (dataset, metric) to that baseline. Bars: CV means; whiskers: 95 % CIs."""
    metrics = list(dict.fromkeys(metric for _, metric in rivals))
    fig = Figure(figsize=(4.2 * len(metrics), 3.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(metrics)))
    colours = sns.color_palette("colorblind", 2)
    indexed = summary.set_index(["dataset", "model", "metric"])
    for ax, metric in zip(axes, metrics):
        datasets = [d for d, m in rivals if m == metric]
        for j, (label, pick) in enumerate([(model, lambda d: model),
                                           ("best baseline", lambda d: rivals[d, metric])]):
            rows = [indexed.loc[(d, pick(d), metric)] for d in datasets]
            means = np.array([r.cv_mean for r in rows])
            errors = np.array([[r.cv_mean - r.cv_ci_low for r in rows],
                               [r.cv_ci_high - r.cv_mean for r in rows]])
            x = np.arange(len(datasets)) - 0.2 + 0.4 * j
            ax.bar(x, means, 0.4, yerr=errors, capsize=3, color=colours[j], label=label)
            if j:
                for xi, d, mean in zip(x, datasets, means):
                    ax.annotate(rivals[d, metric], (xi, 0.02), rotation=90, ha="center",
                                va="bottom", fontsize="x-small", xycoords=("data", "axes fraction"))
        ax.set_xticks(np.arange(len(datasets)), datasets, rotation=20)
        ax.set_ylim(max(0.0, min(0.5, float(summary.cv_ci_low.min()) - 0.05)), 1.0)
        ax.set(title=METRIC_LABELS.get(metric, metric), ylabel="CV mean (95 % CI)")
    axes[0].legend(fontsize="small", loc="lower left")
    return fig


def learning_curves_figure(convergence: pd.DataFrame, models=("hybrid", "tabnet"),
                           title: str = "") -> Figure:
    """Training (dashed) and validation (solid) loss per epoch of every fit of ``models``: one
    row of panels per dataset, one panel per model and stage, one colour per fold, a dot at the
    epoch whose weights were kept. ``convergence`` is ``evaluation.run``'s per-epoch table."""
    rows = convergence[convergence.model.isin(models)]
    if rows.empty:
        raise ValueError(f"No convergence rows of {list(models)}.")
    datasets = list(dict.fromkeys(rows.dataset))
    panels = list(dict.fromkeys(zip(rows.model, rows.stage)))
    fig = Figure(figsize=(2.6 * len(panels), 2.2 * len(datasets)), layout="constrained")
    axes = fig.subplots(len(datasets), len(panels), squeeze=False)
    folds = list(dict.fromkeys(rows.fold))
    palette = dict(zip(folds, sns.color_palette("colorblind", len(folds))))
    for i, dataset in enumerate(datasets):
        for j, (model, stage) in enumerate(panels):
            ax = axes[i, j]
            part = rows[(rows.dataset == dataset) & (rows.model == model) & (rows.stage == stage)]
            for fold, curve in part.groupby("fold", sort=False):
                colour = palette[fold]
                ax.plot(curve.epoch, curve.train_loss, "--", color=colour, linewidth=0.8)
                ax.plot(curve.epoch, curve.validation_loss, "-", color=colour, linewidth=1.2,
                        label=fold)
                best = curve[curve.epoch == curve.best_epoch]
                ax.plot(best.epoch, best.validation_loss, "o", color=colour, markersize=3)
            ax.set_title(f"{dataset}: {model} ({stage})", fontsize="small")
            ax.tick_params(labelsize="x-small")
            if i == len(datasets) - 1:
                ax.set_xlabel("epoch", fontsize="small")
            if j == 0:
                ax.set_ylabel("loss", fontsize="small")
    axes[0, -1].legend(fontsize="x-small", title="fold (solid: validation, dashed: training)",
                       title_fontsize="x-small")
    if title:
        fig.suptitle(title)
    return fig


def attention_bar_figure(scores: pd.Series, top: int = 20, highlight: Sequence[str] = (),
                         highlight_label: str = "known", xlabel: str = "attention share",
                         title: str = "") -> Figure:
    """Horizontal bars of the ``top`` highest scores, largest on top (the paper's Figs. 10a-12a).

    Genes in ``highlight`` (planted truth, literature markers) get a second colour, so the figure
    shows how many of the top genes are known, not only which genes they are.
    """
    shown = scores.sort_values(ascending=False, kind="stable")
    check_top_k(top, len(shown), "scored genes")
    shown = shown.iloc[:top]
    highlight = set(highlight)
    frame = pd.DataFrame({"gene": shown.index.astype(str), "score": shown.to_numpy(),
                          "kind": [highlight_label if g in highlight else "other"
                                   for g in shown.index]})
    colours = sns.color_palette("colorblind", 2)
    fig, ax = figure(6.0, 1.2 + 0.3 * top)
    sns.barplot(frame, x="score", y="gene", hue="kind", dodge=False, ax=ax,
                palette={highlight_label: colours[0], "other": colours[1]},
                legend=bool(highlight))
    ax.set(xlabel=xlabel, ylabel="", title=title)
    return fig


def activation_heatmap_figure(activations: pd.DataFrame, title: str = "",
                              max_labels: int = 40) -> Figure:
    """Heatmap of one conv block's map from ``activation_maps`` (rows: classes or samples,
    columns: positions). Every position is labelled with its genes when there are at most
    ``max_labels`` of them; otherwise seaborn thins the labels so they stay readable."""
    n_rows, n_columns = activations.shape
    # At most 10 inches wide, so a page column shows it near full size; rows stay tall enough
    # to read their class labels.
    fig, ax = figure(min(10.0, 3.0 + 0.12 * n_columns), min(10.0, max(3.0, 1.6 + 0.45 * n_rows)))
    sns.heatmap(activations, ax=ax, cmap="viridis",
                xticklabels=True if n_columns <= max_labels else "auto",
                yticklabels=True if n_rows <= max_labels else "auto",
                cbar_kws={"label": "mean activation (over channels)"})
    ax.set(title=title)
    return fig


def critical_difference_figure(ranks: pd.Series, critical: float, n_datasets: int,
                               title: str) -> Figure:
    """Demsar's critical-difference diagram: each model at its mean rank over the datasets
    (1 = best), the Nemenyi critical difference as a scale bar, and a bar joining models whose
    mean ranks differ by less than it (no difference shown at p < 0.05)."""
    ranks = ranks.sort_values()
    fig, ax = figure(8.0, 1.6 + 0.32 * len(ranks))
    y = np.arange(len(ranks))[::-1] + 1.0
    ax.scatter(ranks.to_numpy(), y, color="black", zorder=3)
    for rank, height, name in zip(ranks, y, ranks.index):
        ax.annotate(f"{name} ({rank:.2f})", (rank, height), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize="small")
    values, level, reach = ranks.to_numpy(), 0, -1
    for i, start in enumerate(values):
        end = i + int(np.searchsorted(values[i:], start + critical, side="left")) - 1
        if end > i and end > reach:   # a group not inside the previous one
            ax.plot([start, values[end]], [-0.2 - 0.25 * level] * 2, lw=4, color="grey",
                    solid_capstyle="round")
            level, reach = level + 1, end
    top = len(ranks) + 0.8
    ax.plot([1, 1 + critical], [top] * 2, color="firebrick", lw=2)
    ax.annotate(f"critical difference {critical:.2f}", (1 + critical, top), xytext=(6, 0),
                textcoords="offset points", va="center", fontsize="small", color="firebrick")
    ax.set_xlim(0.5, max(len(ranks) + 1.5, 1 + critical + 2.5))   # room for the labels
    ax.set_ylim(-0.4 - 0.25 * level, top + 0.6)
    ax.set_yticks([])
    ax.set(xlabel=f"mean rank over {n_datasets} real datasets (1 = best)", title=title)
    return fig
