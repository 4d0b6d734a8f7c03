"""The paper's tables and figures rebuilt from our runs, each beside what the paper reported,
and a verdict per claim.

    >>> from genomics_hybrid import paper
    >>> runs = paper.collect("runs/default")          # the tidy files the notebooks wrote
    >>> paper.table5(runs)                           # measured CV mean [95 % CI] beside reported
    >>> paper.verdicts(runs)                          # held / not held / inconclusive / not testable

Notebooks 02-05 write tidy CSV files per dataset into ``runs/<profile>/<dataset>/``
(``notebook.output_folder``; the book's are in ``runs/book/<dataset>/``); this module reads them all, so the book's cross-dataset pages come from files a reader can open. The
paper's numbers come only from ``paper_reported.csv`` (``paper_reported``).

Verdict rules (stated here because they decide what the book says):

- A number the paper reports for one of its datasets can only be checked on that dataset's real
  files. Measured on a replica it is **not testable**; the measured value is still shown.
- On real data a reported value is **held** when our 95 % CI contains it and **not held** when
  the CI excludes it. A bound ("at least", "at most"; a range is both) is **held** when the
  whole CI meets it, **not held** when the whole CI misses it, **inconclusive** otherwise. No
  rule judges a point estimate.
- Gains over the paper's cited comparators, and the complexity class, are **not testable**:
  those models' code and settings are not public.
- A comparison claim (the hybrid better than its rivals) names its rivals in
  ``paper_reported.csv``, from the paper's sentence, before any result is read; no rival is
  chosen by its score. On each dataset it is an intersection-union test of corrected paired
  t-tests over the CV folds (``union_verdict``): **held** when better than each rival with
  p < 0.05; **not held** when worse than any rival with a Holm-corrected p < 0.05, or when an
  interval of the difference lies wholly below the margin the text claims (the AFR's 1.5
  points; 0 for a plain "better than"); **inconclusive** otherwise. Every comparison states
  the smallest difference its folds could have detected (80 % power at p < 0.05, from the
  observed spread of the fold differences) against its closest rival.
- Replicas are not evidence: a comparison on a replica is run as a pipeline check and shown
  with its test, but its verdict is **not testable**, so every count of held, not held and
  inconclusive is a count on real data.
- A comparison in which either model hit its epoch cap on any fold (``stopped_by`` is
  "epoch_cap"), or on any fold never beat the class prior on its validation rows (``learned``
  is False: its best validation loss was not below the loss of predicting its training
  rows' class shares, ``model.training.chance_loss``), is **not settled**, whatever the test says: an
  undertrained model, or one whose training never left the prior, is not the model the claim
  is about.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import across, figures
from .datasets.registry import PAPER_DATASETS
from .evaluation import HOLDOUT, compare_cv, summarise
from .experiments import (LEVEL_NOISE, LEVELS, NOISE_PARAMETER, OUR_SPLIT, PAPER_SPLIT,
                          PRIVACY_METHODS)
from .interpret import stability_summary
from .metrics import HEADLINE_METRICS, METRIC_LABELS
from .model.training import STOPPED_AT_CAP, STOPPED_FIXED
from .notebook import runs_folder

BASELINES = ("l1_logistic", "random_forest", "gradient_boosting", "mlp", "tabnet", "cnn_only")
DEEP_BASELINES = ("mlp", "tabnet", "cnn_only")
SIGNIFICANCE = 0.05
POWER = 0.8
VERDICTS = ("held", "not held", "inconclusive", "not settled", "not testable")
EXPERIMENTS = ("comparison", "ablation", "privacy")
# Tidy files per notebook prefix (notebook.write_outputs writes <prefix>_<name>.csv).
TIDY_FILES = {"comparison": ("results", "summary", "predictions", "convergence", "robustness",
                             "robustness_summary", "paper_split"),
              "ablation": ("results", "summary", "convergence"),
              "privacy": ("results", "summary", "attacks", "convergence"),
              "interpretability": ("precision", "markers", "stability", "attention")}
PAPER_REPORTED_FILE = Path(__file__).with_name("paper_reported.csv")
CLAIM_KINDS = ("value", "range", "at_least", "at_most", "text", "genes", "comparison", "order")
# The paper's numbering: the items whose reported values the book quotes, Figures 3-8 (metric,
# grouped by), and the privacy tables per dataset (utility; its attacks table is number + 3).
REPORTED_ITEMS = ("Table 5", "Table 6", "Table 7", "Table 8", "Table 10", "Table 11", "Table 15",
                  "Table 16", "Figure 6", "Figure 7", "Figure 8", "Figure 9", "Figure 10a",
                  "Figure 11a", "Figure 12a")
METRIC_FIGURES = {3: ("accuracy", "dataset"), 4: ("auc", "dataset"), 5: ("f1", "dataset"),
                  6: ("accuracy", "model"), 7: ("auc", "model"), 8: ("f1", "model")}
PRIVACY_TABLES = dict(zip((9, 10, 11), PAPER_DATASETS))
# The real TCGA-BRCA subset (datasets.vendored) beside the paper's TCGA-BRCA: what it can test.
TCGA_SUBSET = "tcga_brca_subset"
BALANCE_BOUND = ("accuracy and F1 depend on the class balance: the subset is 30 tumours / 30 "
                 "normals by design, the paper's TCGA-BRCA 62 % / 38 %, so its value is not a "
                 "test of the paper's")
# The datasets the training rules were developed on, and the real sets first run after them.
DEVELOPMENT_DATASETS = ("gse72056", "tcga_brca", "encsr000aed", "pbmc68k", "gse7390")
FRESH_DATASETS = (TCGA_SUBSET, "singh", "chowdary", "alon")


def paper_reported(item: str | None = None) -> pd.DataFrame:
    """What the paper reports, transcribed from its text: one row per claim (``item`` such as
    "Table 15", ``dataset``, ``model``, ``metric``, ``kind`` in CLAIM_KINDS with ``value`` or
    ``low``/``high``, a ``note``, and the ``quote`` it came from, verbatim up to whitespace).
    The only place the book takes the paper's numbers from."""
    claims = pd.read_csv(PAPER_REPORTED_FILE, dtype={"value": str}, keep_default_na=False,
                         na_values={"low": [""], "high": [""]})
    return claims if item is None else claims[claims["item"] == item].reset_index(drop=True)


def collect(runs_dir: str | os.PathLike | None = None) -> dict[str, pd.DataFrame]:
    """Every tidy file under ``runs_dir/<dataset>/``, concatenated per kind (e.g.
    ``"comparison_summary"``), plus ``"runs"``: one row per notebook run (its ``_run.json``).
    ``runs_dir`` is a profile's folder (``notebook.runs_folder``; the book's, ``runs/book``,
    when None). Kinds no notebook wrote are empty frames."""
    root = Path(runs_folder("book") if runs_dir is None else runs_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} does not exist: run the notebooks first (see README).")
    collected = {}
    for prefix, names in TIDY_FILES.items():
        for name in names:
            files = sorted(root.glob(f"*/{prefix}_{name}.csv"))
            frames = [frame for frame in (pd.read_csv(path) for path in files
                                          if path.stat().st_size > 1) if not frame.empty]
            collected[f"{prefix}_{name}"] = (pd.concat(frames, ignore_index=True) if frames
                                             else pd.DataFrame())
    records = [json.loads(path.read_text()) for path in sorted(root.glob("*/*_run.json"))]
    collected["runs"] = pd.DataFrame(records)
    return collected


def sources(runs: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Dataset -> the data its runs used, in words ("replica, 400 of 4,513 rows ...")."""
    table = runs["runs"]
    if table.empty:
        return {}
    return dict(table.drop_duplicates("dataset").set_index("dataset")["data"])


def _is_real(runs, dataset: str) -> bool:
    label = sources(runs).get(dataset, "")
    return label.startswith("real")


def interval(mean: float, low: float, high: float) -> str:
    """"0.914 [0.902, 0.926]"; "n/a" when there is no value."""
    if mean is None or mean != mean:
        return "n/a"
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def reported_text(claim) -> str:
    """A claim's reported value as the paper states it: "0.914", ">= 0.84", "0.015-0.02"."""
    kind = claim["kind"]
    if kind == "range":
        return f"{claim['low']:g}–{claim['high']:g}"
    if kind == "at_least":
        return f"≥ {claim['low']:g}"
    if kind == "at_most":
        return f"≤ {claim['high']:g}"
    if kind == "genes":
        return ", ".join(str(claim["value"]).split(";"))
    if kind == "comparison":
        return f"better than {', '.join(str(claim['value']).split(';'))}"
    if kind == "order":
        return " < ".join(str(claim["value"]).split(";"))
    return str(claim["value"])


def _reported(item: str, dataset: str, model: str, metric: str) -> str:
    claims = paper_reported(item)
    hits = claims[(claims.dataset == dataset) & (claims.model == model)
                  & (claims.metric == metric)]
    return "; ".join(reported_text(row) for _, row in hits.iterrows())


def _cells(summary: pd.DataFrame, index: list[str]) -> pd.DataFrame:
    """summary rows -> one "mean [low, high]" column per metric, indexed by ``index``."""
    rows = summary[summary.metric.isin(HEADLINE_METRICS)].copy()
    rows["cell"] = [interval(m, lo, hi) for m, lo, hi in
                    zip(rows.cv_mean, rows.cv_ci_low, rows.cv_ci_high)]
    table = rows.pivot_table(index=index, columns="metric", values="cell", aggfunc="first",
                             sort=False)
    return table[[m for m in HEADLINE_METRICS if m in table]].rename(
        columns=lambda m: f"{METRIC_LABELS[m]} (CV mean [95 % CI])")


def _with_source(table: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    datasets = table.index.get_level_values("dataset")
    return table.assign(**{"data source": [labels.get(d, "unknown") for d in datasets]})


def table5(runs) -> pd.DataFrame:
    """Table 5: accuracy, AUC and F1 of every model on every dataset (CV mean [95 % CI]), the
    hybrid's reported values beside it, and the paper's baseline ranges (cited, not rerun)."""
    summary = runs["comparison_summary"]
    table = _with_source(_cells(summary, ["dataset", "model"]), sources(runs))
    table["reported by the paper (accuracy / AUC / F1)"] = [
        " / ".join(_reported("Table 5", d, "proposed", m) or "–" for m in HEADLINE_METRICS)
        if model == "hybrid" and d in PAPER_DATASETS else ""
        for d, model in table.index]
    baselines = " / ".join(_reported("Table 5", "all", "baselines", m) for m in HEADLINE_METRICS)
    cited = pd.DataFrame({"data source": "the paper's cited models (not rerun)",
                          "reported by the paper (accuracy / AUC / F1)": baselines},
                         index=pd.MultiIndex.from_tuples([("paper datasets", "paper's baselines")],
                                                         names=["dataset", "model"]))
    return pd.concat([table, cited]).fillna("")


def best_baseline(summary: pd.DataFrame, dataset: str, metric: str,
                  candidates=BASELINES) -> str:
    """The baseline with the highest CV mean of ``metric`` on ``dataset``."""
    rows = summary[(summary.dataset == dataset) & (summary.metric == metric)
                   & summary.model.isin(candidates)]
    return rows.sort_values("cv_mean", ascending=False).model.iloc[0]


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjustment of a family of p-values (same order as given)."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * (len(p) - np.arange(len(p)))))
    out = np.empty_like(p)
    out[order] = adjusted
    return out


def union_verdict(tests: pd.DataFrame, claimed_gain: float = 0.0) -> str:
    """The verdict on "model better than every rival" from one row per rival (``difference``,
    ``p_value``, ``ci_high``, ``undertrained``), an intersection-union test: **held** when
    better than each rival at p < 0.05; **not held** when worse than any rival at a Holm-
    corrected p < 0.05, or when a positive ``claimed_gain`` (a margin the text states) lies
    above an interval; **inconclusive** otherwise; **not settled** when a model was
    undertrained (the module's rules). For a plain "better than" (margin 0) the Holm test
    alone decides "not held": an interval below 0 is the same test without the correction."""
    if tests.undertrained.any():
        return "not settled"
    worse = (tests.difference < 0) & (holm(tests.p_value) < SIGNIFICANCE)
    if worse.any() or (claimed_gain > 0 and (tests.ci_high < claimed_gain).any()):
        return "not held"
    if ((tests.difference > 0) & (tests.p_value < SIGNIFICANCE)).all():
        return "held"
    return "inconclusive"


def comparison_verdict(difference: float, p_value: float, ci_high: float, undertrained: bool,
                       claimed_gain: float = 0.0) -> str:
    """``union_verdict`` against a single rival."""
    return union_verdict(pd.DataFrame({"difference": [difference], "p_value": [p_value],
                                       "ci_high": [ci_high], "undertrained": [undertrained]}),
                         claimed_gain)


def hit_cap(results: pd.DataFrame, dataset: str, model: str) -> bool:
    """Whether any fit of ``model`` on ``dataset`` ended at its epoch cap."""
    if "stopped_by" not in results:
        return False
    rows = results[(results.dataset == dataset) & (results.model == model)]
    return bool((rows.stopped_by == STOPPED_AT_CAP).any())


def learned_nothing(results: pd.DataFrame, dataset: str, model: str) -> bool:
    """Whether any fit of ``model`` on ``dataset`` never beat the class prior on its
    validation rows (``learned`` False; models without epochs have none)."""
    if "learned" not in results:
        return False
    rows = results[(results.dataset == dataset) & (results.model == model)]
    return bool(rows.learned.eq(False).any())


def comparisons(results: pd.DataFrame, summary: pd.DataFrame, model: str, against,
                metrics=HEADLINE_METRICS, claimed_gain: float = 0.0) -> pd.DataFrame:
    """``model`` against every rival of ``against`` it was run beside, per dataset and metric
    (the rivals are fixed by the caller, never chosen by their scores): the verdict of the
    intersection-union test (``union_verdict``), and the corrected paired t-test against the
    closest rival (the smallest mean difference over the CV folds; the one that decides a
    "held"): both CV means, the difference with its 95 % interval, the p-value, the smallest
    difference the folds could detect (80 % power), and whether any model hit its epoch cap or
    never beat the class prior. ``rivals`` names every rival tested."""
    mean = summary.set_index(["dataset", "model", "metric"]).cv_mean
    rows = []
    for dataset in dict.fromkeys(summary.dataset):
        for metric in metrics:
            tests = _pair_tests(results, summary, dataset,
                                [(model, rival) for rival in against], metric)
            if tests.empty:   # the model, or every rival, not run on this dataset
                break
            closest = tests.iloc[0]
            rows.append({"dataset": dataset, "metric": metric, "model": model,
                         "model_cv_mean": mean[dataset, model, metric],
                         "rival": closest.rival,
                         "rival_cv_mean": mean[dataset, closest.rival, metric],
                         "difference": closest.difference, "ci_low": closest.ci_low,
                         "ci_high": closest.ci_high, "p_value": closest.p_value,
                         "detectable": closest.detectable,
                         "rivals": ", ".join(r for r in against if r in set(tests.rival)),
                         "hit_epoch_cap": bool(tests.capped.any()),
                         "learned_nothing": bool(tests.blind.any()),
                         "verdict": union_verdict(tests, claimed_gain)})
    return pd.DataFrame(rows)


def _pair_tests(results: pd.DataFrame, summary: pd.DataFrame, dataset: str, pairs,
                metric: str) -> pd.DataFrame:
    """``_rival_test`` of each (model, rival) pair of ``pairs`` run on ``dataset``, closest
    first (the smallest mean difference: the pair that decides a "held"); empty when none."""
    present = set(summary[summary.dataset == dataset].model)
    tests = [{"model": m, **_rival_test(results, dataset, m, r, metric)} for m, r in pairs
             if m in present and r in present and m != r]
    return (pd.DataFrame(tests).sort_values("difference", kind="stable") if tests
            else pd.DataFrame())


def _rival_test(results: pd.DataFrame, dataset: str, model: str, rival: str,
                metric: str) -> dict:
    """The corrected paired t-test of ``model`` against ``rival`` and the training checks."""
    test = compare_cv(results, model, rival, metric, dataset)
    capped = hit_cap(results, dataset, model) or hit_cap(results, dataset, rival)
    blind = learned_nothing(results, dataset, model) or learned_nothing(results, dataset, rival)
    return {"rival": rival, "difference": test["mean_difference"], "ci_low": test["ci_low"],
            "ci_high": test["ci_high"], "p_value": test["p_value"],
            "detectable": test["detectable"], "capped": capped, "blind": blind,
            "undertrained": capped or blind}


def table6(runs) -> pd.DataFrame:
    """Table 6: the hybrid's gain over the best baseline we ran, per dataset and metric, with
    the corrected paired t-test; the paper's gains are over its cited models."""
    gains = comparisons(runs["comparison_results"], runs["comparison_summary"], "hybrid",
                             BASELINES)
    gains["reported gain (over the paper's cited models)"] = [
        _reported("Table 6", "all", "proposed", f"{m}_gain") for m in gains.metric]
    gains["metric"] = gains.metric.map(METRIC_LABELS)
    return _with_source(gains.set_index(["dataset", "metric"]), sources(runs))


def table7(runs) -> pd.DataFrame:
    """Table 7: measured cost per model and dataset (seconds per fit, peak memory), beside the
    complexity class the paper states for its model."""
    results = runs["comparison_results"]
    fits = results.drop_duplicates(["dataset", "model", "fold"])
    table = fits.groupby(["dataset", "model"], sort=False).agg(
        fits=("fold", "size"), training_rows=("n_train", "max"),
        seconds_per_fit=("fit_seconds", "mean"), peak_memory_mb=("peak_rss_mb", "max"))
    table["seconds_per_fit"] = table.seconds_per_fit.round(2)
    table["peak_memory_mb"] = table.peak_memory_mb.round(0)
    table["reported complexity"] = [
        _reported("Table 7", "all", "proposed", "time_complexity") if model == "hybrid" else ""
        for _, model in table.index]
    return _with_source(table, sources(runs))


def privacy_cells(summary: pd.DataFrame, attacks: pd.DataFrame,
                  labels: dict[str, str], curve: bool = False) -> pd.DataFrame:
    """One row per dataset, privacy method and named level (Tables 8-14; ``curve=True``: every
    point of the noise curve as well): utility (CV mean [95 % CI]), the accuracy drop against
    no noise, the noise (sigma, masked share or DP-SGD's epsilon), what it buys (the record-level
    epsilon of the fits, and the epsilon of one feature value alone) and the attacks.
    ``summary`` is ``experiments.summarise_privacy`` output, ``attacks`` ``run_privacy_grid``'s,
    ``labels`` dataset -> data source."""
    summary = summary[summary.metric.isin(HEADLINE_METRICS)]
    if not curve:
        summary = summary[summary.level.isin(LEVELS)]
    cells = _cells(summary, ["dataset", "method", "level"])
    accuracy = summary[summary.metric == "accuracy"].set_index(["dataset", "method", "level"])
    none = accuracy.xs("none", level="method").cv_mean
    cells["accuracy drop vs no noise"] = [
        none.get((d, "none"), np.nan) - accuracy.cv_mean.get((d, m, lv), np.nan)
        for d, m, lv in cells.index]
    noise = accuracy.noise if "noise" in accuracy else pd.Series(dtype=float)
    cells["noise"] = [("" if pd.isna(noise.get(key, np.nan)) else
                       f"{NOISE_PARAMETER[key[1]]} {noise.get(key):g}") for key in cells.index]
    attacks = attacks.set_index(["dataset", "method", "level"])
    for column, label in (("epsilon_spent", "epsilon, record-level (fitted)"),
                          ("epsilon_feature", "epsilon, one feature value"),
                          ("loss_attack_auc", "attack AUC (loss threshold)"),
                          ("shadow_attack_auc", "attack AUC (shadow models)"),
                          ("loss_attack_advantage", "attack advantage (TPR - FPR)")):
        if column in attacks:   # tidy files written before a column existed lack it
            cells[label] = [attacks[column].get(key, np.nan) for key in cells.index]
    for column in [c for c in attacks if c.startswith("selection_jaccard_top")]:
        k = column.removeprefix("selection_jaccard_top")
        cells[f"top-{k} genes vs unprotected (Jaccard)"] = [attacks[column].get(key, np.nan)
                                                             for key in cells.index]
    methods = ("none",) + PRIVACY_METHODS
    strength = {key: (methods.index(key[1]), np.nan_to_num(
        -noise.get(key, np.nan) if key[1] == "dp_sgd" else noise.get(key, np.nan), nan=-np.inf))
        for key in cells.index}
    cells = cells.loc[sorted(cells.index, key=lambda key: (key[0], *strength[key]))]
    return _with_source(cells.round(3), labels)


def with_real_subset(dataset: str) -> tuple[str, ...]:
    """The datasets a table about ``dataset`` shows: TCGA-BRCA's replica (or real files) and
    the real TCGA-BRCA subset beside it; any other dataset alone."""
    return (dataset, TCGA_SUBSET) if dataset == "tcga_brca" else (dataset,)


def _privacy_cells(runs, dataset: str | None = None, curve: bool = False) -> pd.DataFrame:
    summary, attacks = runs["privacy_summary"], runs["privacy_attacks"]
    if dataset is not None:
        shown = with_real_subset(dataset)
        summary, attacks = summary[summary.dataset.isin(shown)], attacks[attacks.dataset.isin(shown)]
    return privacy_cells(summary, attacks, sources(runs), curve)


def table8(runs) -> pd.DataFrame:
    """Table 8: Algorithm 4 (adaptive noise) at every privacy level, on every dataset. The
    paper's value without noise stands beside level "none", its "under medium to high noise"
    bounds beside levels medium and high."""
    cells = _privacy_cells(runs)
    table = cells[cells.index.get_level_values("method").isin(["none", "adaptive"])].copy()
    claims = paper_reported("Table 8")

    def reported(dataset: str, level: str) -> str:
        if level == "low":
            return ""
        rows = claims[(claims.dataset == dataset) & ((claims.kind == "value") == (level == "none"))]
        return "; ".join(f"{row.metric} {reported_text(row)}" for _, row in rows.iterrows())
    table["reported by the paper"] = [reported(d, level) for d, _, level in table.index]
    return table


UTILITY_COLUMNS = ("accuracy", "AUC-ROC", "F1-score", "accuracy drop", "noise")
ATTACK_COLUMNS = ("accuracy (", "noise", "epsilon", "attack", "top-")


def privacy_table(runs, dataset: str, part: str = "all") -> pd.DataFrame:
    """Tables 9-14 on one dataset (TCGA-BRCA with the real subset beside it,
    ``with_real_subset``), every privacy method at every level: ``part="utility"``
    (Tables 9-11: accuracy, AUC, F1 and the accuracy drop against no noise), ``"attacks"``
    (Tables 12-14: accuracy, epsilon and the membership-inference attacks) or ``"all"``."""
    cells = _privacy_cells(runs, dataset)
    starts = {"utility": UTILITY_COLUMNS, "attacks": ATTACK_COLUMNS}.get(part)
    if part != "all" and starts is None:
        raise ValueError(f"part must be 'utility', 'attacks' or 'all', got {part!r}.")
    if starts is None:
        return cells
    return cells[[c for c in cells if c.startswith(starts) or c == "data source"]]


def robustness_table(summary: pd.DataFrame, labels: dict[str, str],
                     models: tuple[str, ...] | None = None,
                     metrics: tuple[str, ...] = ("accuracy", "auc")) -> pd.DataFrame:
    """The robustness experiment as a table (``robustness.summarise_robustness`` rows): per
    dataset, model, perturbation and amount, each metric's clean CV mean, perturbed CV mean
    [95 % CI] and drop [95 % CI], the hold-out's drop, and the data source (``labels``:
    dataset -> source)."""
    rows = summary[summary.metric.isin(metrics)]
    if models is not None:
        rows = rows[rows.model.isin(models)]
    table = {}
    for row in rows.itertuples():
        key = (row.dataset, row.model, row.perturbation, row.amount)
        label = METRIC_LABELS.get(row.metric, row.metric)
        cells = table.setdefault(key, {})
        cells[f"{label}, clean"] = round(row.clean, 3)
        cells[f"{label}, perturbed"] = interval(row.perturbed, row.perturbed_ci_low,
                                                row.perturbed_ci_high)
        cells[f"{label} drop"] = interval(row.drop, row.drop_ci_low, row.drop_ci_high)
        cells[f"{label} drop, hold-out"] = round(row.holdout_drop, 3)
    index = pd.MultiIndex.from_tuples(list(table), names=["dataset", "model", "perturbation",
                                                          "amount"])
    return _with_source(pd.DataFrame(list(table.values()), index=index), labels)


def split_table(ours: pd.DataFrame, papers: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Per dataset, model and headline metric: the CV mean [95 % CI] under our grouped split and
    under the paper's stratified one (``experiments.run_paper_split``), how much higher the
    paper's is, and the data source (``labels``: dataset -> source)."""
    if papers.empty:
        return pd.DataFrame({"note": ["not run: the dataset has no groups (both splits are the "
                                      "same) or the profile sets paper_split: false"]})
    keys = ["dataset", "model", "metric"]
    first, second = summarise(ours).set_index(keys), summarise(papers).set_index(keys)
    rows = []
    for (dataset, model, metric), row in first.iterrows():
        if metric not in HEADLINE_METRICS:
            continue
        other = second.loc[(dataset, model, metric)]
        rows.append({"dataset": dataset, "model": model, "metric": metric,
                     OUR_SPLIT: interval(row.cv_mean, row.cv_ci_low, row.cv_ci_high),
                     PAPER_SPLIT: interval(other.cv_mean, other.cv_ci_low, other.cv_ci_high),
                     "paper's minus ours": round(other.cv_mean - row.cv_mean, 3)})
    return _with_source(pd.DataFrame(rows).set_index(keys), labels)


def reported_table(item: str) -> pd.DataFrame:
    """What the paper's text reports for one table or figure, with the sentence it came from
    (empty when the text gives no number for it)."""
    claims = paper_reported(item)
    return pd.DataFrame({"dataset": claims.dataset, "model": claims.model,
                         "metric": claims.metric,
                         "reported": [reported_text(row) for _, row in claims.iterrows()],
                         "the paper's sentence": claims.quote}).set_index(
                             ["dataset", "model", "metric"])


def table15(runs) -> pd.DataFrame:
    """Table 15: the ablation (CNN only, TabNet only, TabNet + CNN, full) per dataset, with the
    paper's accuracies beside ours."""
    summary = runs["ablation_summary"]
    table = _with_source(_cells(summary, ["dataset", "model"]), sources(runs))
    table.index = table.index.set_names(["dataset", "variant"])
    table["reported accuracy"] = [_reported("Table 15", d, v, "accuracy")
                                  for d, v in table.index]
    gain = comparisons(runs["ablation_results"], summary, "full", ("tabnet_cnn",),
                            ("accuracy",))
    for row in gain.itertuples():
        table.loc[(row.dataset, "AFR gain (full - tabnet_cnn)"), :] = ""
        table.loc[(row.dataset, "AFR gain (full - tabnet_cnn)"),
                  f"{METRIC_LABELS['accuracy']} (CV mean [95 % CI])"] = \
            f"{row.difference:+.3f} (p = {row.p_value:.2f})"
        table.loc[(row.dataset, "AFR gain (full - tabnet_cnn)"), "reported accuracy"] = \
            _reported("Table 15", row.dataset, "full", "accuracy_gain_from_afr")
    return table.sort_index(level="dataset", sort_remaining=False).fillna("")


def table16(runs) -> pd.DataFrame:
    """Table 16: the hybrid beside the deep-learning models we ran (MLP, stock TabNet, CNN)."""
    summary = runs["comparison_summary"]
    summary = summary[summary.model.isin(("hybrid",) + DEEP_BASELINES)]
    return _with_source(_cells(summary, ["dataset", "model"]), sources(runs))


def _measured_for(runs, claim) -> tuple[float, float, float] | None:
    """(mean, low, high) of the quantity a numeric claim is about, or None."""
    item, dataset, model, metric = claim["item"], claim["dataset"], claim["model"], \
        claim["metric"]
    if item == "Table 5" and model == "proposed":
        summary = runs["comparison_summary"]
        row = summary[(summary.dataset == dataset) & (summary.model == "hybrid")
                      & (summary.metric == metric)]
    elif item == "Table 15" and metric == "accuracy":
        summary = runs["ablation_summary"]
        row = summary[(summary.dataset == dataset) & (summary.model == model)
                      & (summary.metric == metric)]
    elif item in ("Table 10", "Table 11"):   # the robustness experiment (module robustness)
        summary = runs.get("comparison_robustness_summary", pd.DataFrame())
        if summary.empty:
            return None
        under = _under_noise(summary[(summary.dataset == dataset) & (summary.model == "hybrid")
                                     & (summary.perturbation == "gaussian")
                                     & (summary.metric == "accuracy")])
        if under.empty:
            return None
        if metric == "accuracy_drop":          # the larger drop of the two levels
            row = under.sort_values("drop").iloc[-1]
            return float(row["drop"]), float(row.drop_ci_low), float(row.drop_ci_high)
        row = under.sort_values("perturbed").iloc[0]   # the lower accuracy of the two
        return float(row.perturbed), float(row.perturbed_ci_low), float(row.perturbed_ci_high)
    elif item == "Table 8" and metric in HEADLINE_METRICS:
        summary = runs["privacy_summary"]
        row = summary[(summary.dataset == dataset) & (summary.metric == metric)
                      & summary.method.isin(["none" if claim["kind"] == "value" else "adaptive"])]
        if claim["kind"] != "value":   # "under noise": the worst of medium and high
            row = row[row.level.isin(["medium", "high"])].sort_values("cv_mean").head(1)
    elif metric == "accuracy_gain_from_afr":
        if runs["ablation_summary"].empty:
            return None
        gain = comparisons(runs["ablation_results"], runs["ablation_summary"], "full",
                           ("tabnet_cnn",), ("accuracy",))
        gain = gain[gain.dataset == dataset]
        return None if gain.empty else tuple(float(gain[c].iloc[0]) for c in
                                             ("difference", "ci_low", "ci_high"))
    else:
        return None
    if row.empty:
        return None
    row = row.iloc[0]
    return float(row.cv_mean), float(row.cv_ci_low), float(row.cv_ci_high)


# Where a claim's measurement comes from, when it is not the table's own experiment.
EVIDENCE = {"Table 8": " (Algorithm 4 at the stated levels; page 'Noise as a curve')",
            "Table 10": " (robustness: the hybrid on Gaussian-perturbed test rows, the worse of "
                        "sigma 1/4 and 1)",
            "Table 11": " (robustness: the hybrid's accuracy drop on Gaussian-perturbed test rows,"
                        " the larger of sigma 1/4 and 1)"}


def _under_noise(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of a robustness summary at the levels the book reads as the paper's "under noise"
    (as Table 8's "medium to high noise"): sigma of the medium and high levels."""
    levels = LEVEL_NOISE["uniform"]
    return rows[np.isclose(rows.amount.to_numpy(dtype=float)[:, None],
                           [levels["medium"], levels["high"]]).any(axis=1)]


def _numeric_verdict(claim, measured) -> str:
    """A reported value against our interval (``measured``: mean, low, high): a value is held
    when the interval contains it, not held when it excludes it; a bound ("at least", "at
    most", or a range, both at once) is held when the whole interval meets it, not held when
    the whole interval misses it, inconclusive otherwise. The mean alone decides nothing."""
    _, low, high = measured
    if claim["kind"] == "value":
        return "held" if low <= float(claim["value"]) <= high else "not held"
    floor = claim["low"] if claim["kind"] in ("at_least", "range") else -np.inf
    ceiling = claim["high"] if claim["kind"] in ("at_most", "range") else np.inf
    if floor <= low and high <= ceiling:
        return "held"
    if high < floor or low > ceiling:
        return "not held"
    return "inconclusive"


ACROSS_REAL = "real datasets together"


def _claim_experiment(claim) -> str:
    """The experiment a comparison or order claim reads: the ablation for Table 15."""
    return "ablation" if claim["item"] == "Table 15" else "comparison"


def _claim_margin(claim) -> float:
    """The margin a comparison claim's row states (``low``), 0 for a plain "better than"."""
    return 0.0 if pd.isna(claim["low"]) else float(claim["low"])


def _claim_pairs(claim) -> list[tuple[str, str]]:
    """The (model, rival) pairs a comparison or order claim asserts, model better than rival:
    its row of ``paper_reported.csv`` names the rivals (or, for an order, the models from
    worst to best)."""
    named = str(claim["value"]).split(";")
    if claim["kind"] == "order":
        return list(zip(named[1:], named[:-1]))
    model = "full" if _claim_experiment(claim) == "ablation" else "hybrid"
    return [(model, rival) for rival in named]


def _comparison_verdicts(runs, claim) -> list[dict]:
    """A comparison or order claim on every dataset run, then across the real ones: the
    intersection-union test of its pairs (``_claim_pairs``), with the margin its row states
    (``low``; 0 when none). On a replica it is a pipeline check, "not testable", its test
    result in the evidence."""
    experiment, margin = _claim_experiment(claim), _claim_margin(claim)
    results, summary = runs[f"{experiment}_results"], runs[f"{experiment}_summary"]
    if summary.empty:
        return []
    labels, metric = sources(runs), claim["metric"]
    mean = summary.set_index(["dataset", "model", "metric"]).cv_mean
    rows = []
    for dataset in dict.fromkeys(summary.dataset):
        tests = _pair_tests(results, summary, dataset, _claim_pairs(claim), metric)
        if tests.empty:
            continue
        verdict = union_verdict(tests, margin)
        closest = tests.iloc[0]
        capped = (" A model hit its epoch cap." if tests.capped.any() else "") + (
            " A model never beat the class prior on a fold." if tests.blind.any() else "")
        evidence = (f"{len(tests)} pair(s); closest: {closest.model} - {closest.rival} "
                    f"{closest.difference:+.3f} [{closest.ci_low:+.3f}, "
                    f"{closest.ci_high:+.3f}] {METRIC_LABELS[metric]}, corrected paired "
                    f"t-test p = {closest.p_value:.3f}; the folds could detect "
                    f"{closest.detectable:.3f} (80 % power)"
                    f"{f'; claimed margin {margin:g}' if margin else ''}.{capped}")
        if labels.get(dataset, "").startswith("replica"):
            evidence = f"pipeline check on a replica, not evidence (the test: {verdict}); " \
                       + evidence
            verdict = "not testable"
        rows.append({"dataset": dataset, "data": labels.get(dataset, ""),
                     "measured": f"{mean[dataset, closest.model, metric]:.3f} vs "
                                 f"{closest.rival} {mean[dataset, closest.rival, metric]:.3f}",
                     "verdict": verdict, "evidence": evidence})
    across_row = _across_verdict(runs, claim)
    return rows + ([across_row] if across_row else [])


# Data-source labels (``sources``) of real data: real files, vendored or bundled sets.
REAL_SOURCES = ("real", "bundled")


def real_datasets(runs) -> list[str]:
    """The datasets whose runs used real data (``REAL_SOURCES``)."""
    return [d for d, label in sources(runs).items() if str(label).startswith(REAL_SOURCES)]


def _real_means(runs, experiment: str, metric: str) -> pd.DataFrame:
    """Real datasets x models: the CV means of ``metric`` in ``experiment``."""
    summary = runs[f"{experiment}_summary"]
    if summary.empty:
        return pd.DataFrame()
    return across.cv_means(summary, metric, real_datasets(runs))


def _across_tests(runs, claim) -> pd.DataFrame:
    """For each pair of a comparison or order claim (``_claim_pairs``), the Wilcoxon signed-
    rank test over the real datasets' CV means less the claim's margin (``across``), the
    Holm-adjusted p-value and whether a fit on those datasets was undertrained. Empty with
    fewer than 2 real datasets."""
    experiment, margin = _claim_experiment(claim), _claim_margin(claim)
    results = runs[f"{experiment}_results"]
    means = _real_means(runs, experiment, claim["metric"])
    pairs = [(m, r) for m, r in _claim_pairs(claim) if m in means and r in means]
    if len(means) < 2 or not pairs:
        return pd.DataFrame()
    tests = pd.DataFrame([
        {"model": m, "rival": r, **across.signed_rank_test(means[m], means[r], margin),
         "ci_high": np.inf,
         "undertrained": any(hit_cap(results, d, x) or learned_nothing(results, d, x)
                             for d in means.index for x in (m, r))} for m, r in pairs])
    return tests.assign(holm_p=holm(tests.p_value), margin=margin,
                        data=f"real: {', '.join(means.index)}")


def _across_verdict(runs, claim) -> dict | None:
    """A comparison or order claim across the real datasets: the intersection-union rule
    with Holm's correction over ``_across_tests``; None without them."""
    tests = _across_tests(runs, claim)
    if tests.empty:
        return None
    margin = tests.margin.iloc[0]
    detail = "; ".join(f"{t.model} vs {t.rival}: {t.wins} wins, {t.losses} losses, median "
                       f"{t.difference:+.3f}, p = {t.p_value:.3f}" for t in tests.itertuples())
    return {"dataset": ACROSS_REAL, "data": tests.data.iloc[0],
            "measured": f"{tests.datasets.max()} datasets", "verdict": union_verdict(tests),
            "evidence": f"Wilcoxon signed-rank over the datasets' CV means"
                        f"{f' less the margin {margin:g}' if margin else ''} "
                        f"({METRIC_LABELS[claim['metric']]}), Holm-corrected for worse: "
                        f"{detail}"}


def across_table(runs) -> pd.DataFrame:
    """Every comparison and order claim across the real datasets, one row per pair: the
    Wilcoxon signed-rank test, its Holm-adjusted p-value and the claim's verdict."""
    frames = []
    for _, claim in paper_reported().iterrows():
        if claim["kind"] not in ("comparison", "order"):
            continue
        tests = _across_tests(runs, claim)
        if len(tests):
            margin = f", margin {tests.margin.iloc[0]:g}" if tests.margin.iloc[0] else ""
            order = " order" if claim["kind"] == "order" else ""
            label = f"{claim['item']}{order} ({METRIC_LABELS[claim['metric']]}{margin})"
            frames.append(tests.assign(claim=label, verdict=union_verdict(tests)))
    if not frames:
        return pd.DataFrame({"note": ["fewer than 2 real datasets ran"]})
    table = pd.concat(frames, ignore_index=True)
    return table.set_index(["claim", "model", "rival"])[
        ["wins", "losses", "difference", "p_value", "holm_p", "verdict"]].rename(
        columns={"difference": "median diff.", "p_value": "p", "holm_p": "Holm p"}).round(3)


def across_ranks(runs, experiment: str, metric: str) -> tuple[pd.Series, float, float, int]:
    """The models of ``experiment`` ranked over the real datasets (``across.mean_ranks``):
    their mean ranks, the Friedman p-value, Nemenyi's critical difference and the number of
    datasets."""
    means = _real_means(runs, experiment, metric).dropna()
    if means.empty:
        return pd.Series(dtype=float), float("nan"), float("nan"), 0
    return (across.mean_ranks(means), across.friedman_test(means),
            across.critical_difference(means.shape[1], len(means)), len(means))


def across_figure(runs, experiment: str, metric: str):
    """The critical-difference diagram of ``experiment``'s models over the real datasets
    (``across_ranks``), its title giving the Friedman p-value."""
    ranks, friedman_p, critical, n = across_ranks(runs, experiment, metric)
    if n < 2:
        fig, ax = figures.figure(8.0, 1.2)
        ax.text(0.5, 0.5, "fewer than 2 real datasets ran", ha="center", va="center")
        ax.set_axis_off()
        return fig
    return figures.critical_difference_figure(
        ranks, critical, n, f"{experiment}: {METRIC_LABELS[metric]} over the real datasets "
                            f"(Friedman p = {friedman_p:.2g})")


def _genes_verdict(runs, dataset: str, claim) -> tuple[str, str, str]:
    """(measured, verdict, evidence) for a claim that the attention ranks named genes first:
    **held** when every named gene present in the data is in the hybrid's top-k attention
    genes, **not held** when none is, **inconclusive** otherwise (the marker table of notebook
    05, which lists the named genes as the dataset's ``known_markers``)."""
    markers = runs.get("interpretability_markers", pd.DataFrame())
    rows = markers[(markers.dataset == dataset) & (markers.method == "hybrid attention")] \
        if len(markers) else markers
    if rows.empty:
        return "–", "not testable", "no interpretability run with the named genes"
    row = rows.iloc[0]
    found = [g for g in str(row["markers found"]).split(", ") if g and g != "nan"]
    present = int(row["markers present"])
    verdict = ("held" if len(found) == present else "not held" if not found else "inconclusive")
    named = str(claim["value"]).split(";")
    return (f"{len(found)} of {present} in the top {int(row.k)}", verdict,
            f"the hybrid's top-{int(row.k)} attention genes hold {', '.join(found) or 'none'} of "
            f"the named genes in the data ({present} of {', '.join(named)}; hypergeometric p = "
            f"{float(row.p_value):.3g})")


def _subset_row(runs, claim, labels: dict[str, str]) -> dict:
    """A TCGA-BRCA claim on the real subset: an AUC (which does not depend on the class
    balance) against our CI; the named attention genes; accuracy and F1 shown, not judged."""
    row = {"dataset": TCGA_SUBSET, "data": labels[TCGA_SUBSET]}
    if claim["kind"] == "genes":
        measured, verdict, evidence = _genes_verdict(runs, TCGA_SUBSET, claim)
        return {**row, "measured": measured, "verdict": verdict,
                "evidence": evidence + "; ERBB2 (HER2) is not among the subset's genes"}
    measured = _measured_for(runs, {**claim, "dataset": TCGA_SUBSET})
    shown = interval(*measured) if measured else "–"
    if measured is None:
        return {**row, "measured": shown, "verdict": "not testable",
                "evidence": "no run of this experiment on the subset"}
    if claim["metric"] == "auc":
        return {**row, "measured": shown, "verdict": _numeric_verdict(claim, measured),
                "evidence": "reported value against our CV mean and 95 % CI on a real 60-sample "
                            "TCGA-BRCA subset (GDC counts, not the paper's Xena matrix); an AUC "
                            "does not depend on the class balance"}
    return {**row, "measured": shown, "verdict": "not testable",
            "evidence": BALANCE_BOUND + EVIDENCE.get(claim["item"], "")}


def judged_on_real(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``verdicts`` judged (any verdict but "not testable") on real data (data
    source real or bundled), one per claim and dataset."""
    real = table.data.astype(str).str.startswith(REAL_SOURCES)
    return table[real & (table.verdict != "not testable")]


def judged_datasets(table: pd.DataFrame) -> list[str]:
    """The datasets of ``verdicts`` rows, each once, without the across-datasets rows."""
    return sorted(set(table.dataset) - {ACROSS_REAL})


def verdicts(runs) -> pd.DataFrame:
    """One row per claim of ``paper_reported.csv`` and dataset it can be checked on: what the
    paper reported, what we measured (CV mean [95 % CI]), on which data, and the verdict under
    the rules in this module's docstring."""
    labels = sources(runs)
    rows = []
    for _, claim in paper_reported().iterrows():
        base = {"claim": f"{claim['item']}: {claim['model']} {claim['metric']}",
                "reported": reported_text(claim), "quote": claim["quote"]}
        if claim["kind"] in ("comparison", "order"):
            rows.extend({**base, **row} for row in _comparison_verdicts(runs, claim))
            continue
        dataset = claim["dataset"]
        measured = _measured_for(runs, claim) if dataset in PAPER_DATASETS else None
        shown = interval(*measured) if measured else "–"
        if dataset not in PAPER_DATASETS:
            why = ("a complexity class, not a measurement" if claim["kind"] == "text" else
                   "about the paper's cited models, whose code and settings are not public"
                   if claim["model"] in ("baselines", "competitors") or "gain" in
                   claim["metric"] else "about the paper's three datasets together")
            if dataset == "all" and claim["item"].startswith("Figure") and \
                    all(_is_real(runs, d) for d in PAPER_DATASETS):
                why = "needs the per-dataset check of Table 5"
            rows.append({**base, "dataset": dataset, "data": "", "measured": "–",
                         "verdict": "not testable", "evidence": why})
        elif not _is_real(runs, dataset):
            rows.append({**base, "dataset": dataset, "data": labels.get(dataset, "not run"),
                         "measured": shown, "verdict": "not testable",
                         "evidence": ("measured on an offline replica, not on the paper's data"
                                      + EVIDENCE.get(claim["item"], ""))
                                     if dataset in labels else "no run on this dataset"})
        elif measured is None:
            rows.append({**base, "dataset": dataset, "data": labels[dataset], "measured": "–",
                         "verdict": "not testable",
                         "evidence": "the paper's text names no procedure we can rerun for this"})
        else:
            rows.append({**base, "dataset": dataset, "data": labels[dataset], "measured": shown,
                         "verdict": _numeric_verdict(claim, measured),
                         "evidence": "reported value against our CV mean and 95 % CI"
                                     + EVIDENCE.get(claim["item"], "")})
        if dataset == "tcga_brca" and TCGA_SUBSET in labels:
            rows.append({**base, **_subset_row(runs, claim, labels)})
    columns = ["claim", "dataset", "reported", "measured", "data", "verdict", "evidence",
               "quote"]
    return pd.DataFrame(rows, columns=columns)


def verdict_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many rows of ``verdicts`` got each verdict."""
    counts = table.verdict.value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


def holdout_values(runs, kind: str = "comparison") -> pd.DataFrame:
    """Hold-out value per dataset, model and metric (the 20 % touched once)."""
    results = runs[f"{kind}_results"]
    held = results[(results.fold == HOLDOUT) & results.metric.isin(HEADLINE_METRICS)]
    return held.pivot_table(index=["dataset", "model"], columns="metric", values="value")


def _fits(runs) -> pd.DataFrame:
    """One row per deep-model fit of every experiment: its stages' epochs added up, whether
    every stage ended by its rule (``by_rule``: early stopping, or the set epochs of the
    small-data rule; not the epoch cap), whether it trained by the small-data rule (``fixed``),
    and its last stage's best validation loss, the class prior's loss on the same rows and
    whether it beat it (``learned``; None where unknown: no validation rows)."""
    frames = []
    for experiment in EXPERIMENTS:
        curves = runs.get(f"{experiment}_convergence", pd.DataFrame())
        if curves.empty:
            continue
        if "method" in curves:   # the privacy grid's "none" cell is the comparison's hybrid
            curves = curves[curves.method != "none"]
        keys = ["dataset", "model", "fold"] + [k for k in ("method", "level") if k in curves]
        stages = curves.drop_duplicates(keys + ["stage"])
        for column in ("best_validation_loss", "chance_validation_loss", "learned"):
            if column not in stages:  # tidy files written before the column existed
                stages = stages.assign(**{column: None})
        fits = stages.groupby(keys, sort=False, dropna=False).agg(
            stages=("stage", lambda s: ", ".join(s)), epochs=("epochs", "sum"),
            max_epochs=("max_epochs", "max"),
            by_rule=("stopped_by", lambda s: bool((s != STOPPED_AT_CAP).all())),
            fixed=("stopped_by", lambda s: bool((s == STOPPED_FIXED).any())),
            best_validation_loss=("best_validation_loss", "last"),
            chance_validation_loss=("chance_validation_loss", "last"),
            learned=("learned", lambda s: s.iloc[-1]))
        frames.append(fits.reset_index().assign(experiment=experiment))
    if not frames:
        return pd.DataFrame(columns=["experiment", "dataset", "model", "fold", "stages",
                                     "epochs", "max_epochs", "by_rule", "fixed",
                                     "best_validation_loss",
                                     "chance_validation_loss", "learned"])
    fits = pd.concat(frames, ignore_index=True)
    if "method" in fits:
        cell = fits.method.fillna("") + " " + fits.level.fillna("")
        fits["model"] = np.where(fits.experiment == "privacy",
                                 fits.model + " (privacy: " + cell.str.strip() + ")", fits.model)
    return fits


def training_summary(runs) -> pd.DataFrame:
    """"Did every model train?": per experiment, dataset and model, how many fits ended by
    their rule (``stopped_by_rule``: early stopping, or the small-data rule's set epochs) out
    of all fits, how many of those trained by the small-data rule (``fixed_epochs``: no
    validation rows, so no class-prior check), how many beat the class prior on their
    validation rows (``beat_prior``), and the median epochs per fit (all stages together)."""
    fits = _fits(runs).assign(beat=lambda f: f.learned.eq(True))
    table = fits.groupby(["experiment", "dataset", "model"], sort=False).agg(
        fits=("by_rule", "size"), stopped_by_rule=("by_rule", "sum"),
        fixed_epochs=("fixed", "sum"), beat_prior=("beat", "sum"),
        median_epochs=("epochs", "median"), epoch_cap=("max_epochs", "max"))
    for column in ("stopped_by_rule", "fixed_epochs", "beat_prior"):
        table[column] = table[column].astype(int)
    return table


def stopped_by_rule_share(runs) -> tuple[int, int]:
    """(fits that ended by their rule, all deep-model fits) over every experiment: early
    stopping, or the set epochs of the small-data rule; the rest hit the epoch cap."""
    fits = _fits(runs)
    return int(fits.by_rule.sum()), len(fits)


def prior_bound_fits(runs) -> pd.DataFrame:
    """Every deep-model fit whose model never beat the class prior on its validation rows
    (``learned`` False), by name, with its best validation loss and the prior's."""
    fits = _fits(runs)
    return fits.loc[fits.learned.eq(False), ["experiment", "dataset", "model", "fold", "stages",
                                             "epochs", "best_validation_loss",
                                             "chance_validation_loss"]]


def capped_fits(runs) -> pd.DataFrame:
    """Every deep-model fit in which a stage ran to its epoch cap, by name."""
    fits = _fits(runs)
    return fits.loc[~fits.by_rule.astype(bool), ["experiment", "dataset", "model", "fold",
                                               "stages", "epochs", "max_epochs"]]


def precision_by_dataset(runs) -> pd.DataFrame:
    """Precision@k of the top attention genes against the planted truth, per dataset (rows) and
    ranking method (columns), rounded; empty when no dataset had a planted truth."""
    precision = runs["interpretability_precision"]
    if precision.empty:
        return precision
    return precision.pivot_table(index="dataset", columns="method", values="precision").round(3)


def markers_by_dataset(runs) -> pd.DataFrame:
    """Every dataset's literature-marker overlap rows, or a one-row note when none was run."""
    markers = runs["interpretability_markers"]
    return markers if len(markers) else pd.DataFrame({"note": ["no marker run"]})


def stability_by_dataset(runs) -> pd.DataFrame:
    """Mean top-k Jaccard overlap of the attention genes per dataset (rows) and comparison
    ("across folds", "across seeds"; columns), rounded (``interpret.stability_summary``)."""
    pairs = runs["interpretability_stability"]
    return stability_summary(pairs, ["dataset", "comparison"])["mean"].unstack().round(3)
