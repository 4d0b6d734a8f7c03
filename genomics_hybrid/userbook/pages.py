"""The pages of a user book (``genomics_hybrid.userbook``), computed from the tidy files its
notebooks wrote.

    >>> from genomics_hybrid import paper
    >>> from genomics_hybrid.userbook import pages
    >>> runs = paper.collect("my_book/runs/book")    # one dataset's tidy files
    >>> pages.baseline_comparisons(runs)             # the hybrid against every baseline
    >>> pages.write_pages("my_book/runs/book", "my_book")

Every table is made by the functions the paper's book uses (``paper.comparisons``,
``paper.table15``, ``paper.privacy_table``, ``paper.training_summary``, ...) on the one dataset
of the book, without the paper's columns, and written into the templates of ``templates/`` as
Markdown tables (``markdown_table``; the tidy files keep full precision).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from string import Template
from typing import Any

import pandas as pd
import yaml

from .. import paper
from ..experiments import headline_table
from ..interpret import stability_summary
from ..metrics import HEADLINE_METRICS, METRIC_LABELS
from ..notebook import output_folder
from ..profiles import load_profile
from . import SETTINGS_FILE, TEMPLATES

# What a comparison's verdict (paper.comparison_verdict) says about the hybrid and a baseline.
OUTCOMES = {"held": "hybrid better (p < 0.05)",
            "not held": "hybrid worse",
            "inconclusive": "no difference the folds could detect",
            "not settled": "not settled: a model hit its epoch cap or never beat the class "
                           "prior"}
# The comparison's columns (the page's text says what each is).
HYBRID, BASELINE = "hybrid CV mean [95 % CI]", "CV mean [95 % CI]"
DIFFERENCE, P_VALUE, DETECTABLE = "difference [95 % CI]", "p", "detectable"
SOURCE = "data source"  # the column paper's tables name it in


def dataset_name(runs: dict[str, pd.DataFrame]) -> str:
    """The one dataset of a user book's tidy files."""
    names = list(dict.fromkeys(runs["runs"].dataset)) if len(runs["runs"]) else []
    if len(names) != 1:
        raise ValueError(f"A user book holds one dataset; these runs hold {names or 'none'}.")
    return names[0]


def signed(mean: float, low: float, high: float) -> str:
    """A difference with its interval: "+0.012 [-0.030, +0.054]"."""
    return f"{mean:+.3f} [{low:+.3f}, {high:+.3f}]"


def _number(value: float, spec: str) -> str:
    return "n/a" if value != value else format(value, spec)


def baseline_comparisons(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The hybrid against every baseline that ran, per headline metric (``paper.comparisons``
    with one rival at a time): both CV means [95 % CI], the difference [95 % CI], the corrected
    paired t-test's p-value, the smallest difference the folds could detect and the outcome."""
    results, summary = runs["comparison_results"], runs["comparison_summary"]
    cells = summary.set_index(["model", "metric"])
    rows = []
    for baseline in [b for b in paper.BASELINES if b in set(summary.model)]:
        for row in paper.comparisons(results, summary, "hybrid", (baseline,)).itertuples():
            ours, theirs = cells.loc[("hybrid", row.metric)], cells.loc[(baseline, row.metric)]
            rows.append({
                "metric": METRIC_LABELS[row.metric], "baseline": baseline,
                HYBRID: paper.interval(ours.cv_mean, ours.cv_ci_low, ours.cv_ci_high),
                BASELINE: paper.interval(theirs.cv_mean, theirs.cv_ci_low, theirs.cv_ci_high),
                DIFFERENCE: signed(row.difference, row.ci_low, row.ci_high),
                P_VALUE: _number(row.p_value, ".2g"), DETECTABLE: _number(row.detectable, ".3f"),
                "outcome": OUTCOMES[row.verdict]})
    order = {METRIC_LABELS[m]: i for i, m in enumerate(HEADLINE_METRICS)}
    table = pd.DataFrame(rows)
    return table.sort_values("metric", key=lambda m: m.map(order), kind="stable").set_index(
        ["metric", "baseline"])


def models_table(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every model of the comparison: CV mean [95 % CI] / hold-out per headline metric, and
    the seconds spent fitting (``experiments.headline_table``)."""
    table = headline_table(runs["comparison_results"]).droplevel("dataset")
    table = table.rename(columns=METRIC_LABELS)
    order = [m for m in ("hybrid",) + paper.BASELINES if m in table.index]
    return table.loc[order]


def ablation_table(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The ablation (``paper.table15``) without the paper's column (and without the data
    source, which the book states once)."""
    table = paper.table15(runs).drop(columns=["reported accuracy", SOURCE])
    return table.droplevel("dataset")


def privacy_table(runs: dict[str, pd.DataFrame], part: str) -> pd.DataFrame:
    """Per privacy method and level, ``part="utility"`` (accuracy, AUC and F1, the accuracy
    drop) or ``"attacks"`` (what the noise buys in epsilon, the membership-inference attacks):
    ``paper.privacy_table`` without the data source."""
    table = paper.privacy_table(runs, dataset_name(runs), part).drop(columns=SOURCE)
    return table.droplevel("dataset")


def top_genes(runs: dict[str, pd.DataFrame], k: int) -> pd.DataFrame:
    """The ``k`` genes with the largest attention share, ranked."""
    attention = runs["interpretability_attention"].sort_values("attention", ascending=False)
    top = attention.head(k).reset_index(drop=True)
    return pd.DataFrame({"rank": range(1, len(top) + 1), "gene": top.gene,
                         "attention share": top.attention.round(4)}).set_index("rank")


def gene_stability(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The Jaccard overlap of the top-k genes across folds and across seeds: mean, min, max and
    the number of pairs (``interpret.stability_summary``)."""
    table = stability_summary(runs["interpretability_stability"]).round(3)
    return table.rename(columns={"count": "pairs"})


def convergence_sentence(runs: dict[str, pd.DataFrame]) -> str:
    """Whether every deep-model fit ended by its rule (early stopping, or the small-data rule's
    set epochs) and beat the class prior on its validation rows, in a sentence with the
    counts."""
    by_rule, fits = paper.stopped_by_rule_share(runs)
    if fits == 0:
        return "No deep-model fit was recorded."
    blind = len(paper.prior_bound_fits(runs))
    stopping = (f"all {fits} deep-model fits ended by their rule (early stopping, or the "
                f"small-data rule's set epochs): none ran to its epoch cap" if by_rule == fits
                else f"{fits - by_rule} of {fits} deep-model fits ran to their epoch cap and "
                f"may be undertrained (listed below); {by_rule} ended by their rule")
    prior = ("every one with validation rows beat the class prior on them" if blind == 0 else
             f"{blind} of {fits} never beat the class prior on their validation rows: their "
             f"models predict no better than the class shares (listed below)")
    answer = "Yes" if by_rule == fits and blind == 0 else "No"
    return f"**{answer}.** {stopping[0].upper()}{stopping[1:]}; {prior}."


def prior_bound_table(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every deep-model fit that never beat the class prior (``paper.prior_bound_fits``)."""
    return paper.prior_bound_fits(runs).drop(columns="dataset").round(3)


def capped_table(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every deep-model fit that hit its epoch cap (``paper.capped_fits``); empty when none."""
    return paper.capped_fits(runs).drop(columns="dataset")


def markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` as a Markdown (MyST) pipe table, its named index levels as the first columns;
    missing values as "n/a", numbers as pandas prints them."""
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    header = [str(c) for c in frame.columns]

    def cell(value) -> str:
        text = "n/a" if not isinstance(value, str) and pd.isna(value) else str(value)
        return text.replace("|", r"\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |"
              for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def _record(runs: dict[str, pd.DataFrame], notebook: str) -> pd.Series:
    records = runs["runs"]
    return records[records.notebook == notebook].iloc[0]


def _joined(values) -> str:
    return ", ".join(str(v) for v in dict.fromkeys(values))


def file_table(user: dict[str, Any], summary: dict[str, Any],
               runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The opening page's facts: the file (name, path, SHA-256), its labels, shape and class
    balance (``summary``: notebook 01's ``summary.json``, the whole file), the data source, the
    rows the models used, the profile, seed and commit."""
    records = runs["runs"]
    labels = (f"{user['labels']} (SHA-256 {user['labels_sha256']})" if user.get("labels")
              else f"the table's column `{user['label_column']}`")
    rows = {
        "file": user["name"], "path": user["path"], "SHA-256": user["sha256"],
        "labels": labels,
        "shape": f"{summary['n_samples']:,} samples x {summary['n_features']:,} genes",
        "class balance": (f"{summary['n_positive']:,} positive ({summary['positive_class']}), "
                          f"{summary['n_negative']:,} negative "
                          f"({summary['positive_fraction']:.1%} positive)"),
        "missing values": f"policy `{user['missing']}`",
        "data source": _joined(records.source),
        "rows used by the models": _record(runs, "02_training").data,
        "profile": _joined(records.profile), "seed": _joined(records.seed),
        "commit": _joined(records.commit)}
    return pd.DataFrame({"": list(rows), "value": list(rows.values())})


def budget(profile: dict[str, Any]) -> str:
    """What a profile spends, in words: rows, genes, folds, the deep models' training rule and
    the tuning."""
    evaluation = profile.get("evaluation") or {}
    model = profile.get("model") or {}
    rows = profile.get("max_samples")
    genes = (evaluation.get("preprocessing") or {}).get("variance_top_k")
    tuning = (evaluation.get("tuning") or {}).get("n_iter", 0)
    parts = [f"at most {rows:,} rows (a stratified random draw)" if rows else "every row",
             f"the {genes:,} most variable genes of each training fold" if genes
             else "every gene",
             f"{round(100 * evaluation.get('test_size', 0.2))} % of them held out and "
             f"{evaluation.get('n_folds', 5)} CV folds in the rest"]
    if "max_epochs" in model:
        parts.append(f"deep models capped at {model['max_epochs']} epochs"
                     + (f" with early stopping after {model['patience']} epochs without "
                        f"improvement" if "patience" in model else ""))
    parts.append(f"a random search of {tuning} configurations per model" if tuning
                 else "no tuning")
    return "; ".join(parts)


def _fill(template: str, **values: Any) -> str:
    return Template((TEMPLATES / template).read_text(encoding="utf-8")).substitute(values)


def intro_page(user: dict[str, Any], summary: dict[str, Any],
               runs: dict[str, pd.DataFrame]) -> str:
    """The opening page: the file and how it was read, then what the book holds."""
    record = _record(runs, "02_training")
    profile = load_profile(record.profile)
    return _fill("intro.md", name=user["name"], folder=user["folder"],
                 file_table=markdown_table(file_table(user, summary, runs)),
                 rows_used=record.data, profile=record.profile, budget=budget(profile),
                 profile_description=" ".join(str(profile.get("description", "")).split()))


def comparison_sections(runs: dict[str, pd.DataFrame]) -> str:
    """``baseline_comparisons`` as one section per metric: the hybrid's CV mean [95 % CI] in a
    sentence, then a row per baseline."""
    sections = []
    for metric, rows in baseline_comparisons(runs).groupby(level="metric", sort=False):
        sections.append(f"### {metric[0].upper()}{metric[1:]}\n\nThe hybrid: "
                        f"{rows[HYBRID].iloc[0]}.\n\n"
                        + markdown_table(rows.droplevel("metric").drop(columns=HYBRID)))
    return "\n\n".join(sections)


def summary_page(runs: dict[str, pd.DataFrame], folder: str) -> str:
    """The summary page: every table of this module, in the template's order."""
    record = _record(runs, "02_training")
    k = int((load_profile(record.profile).get("interpretability") or {}).get("k", 20))
    capped, blind = capped_table(runs), prior_bound_table(runs)
    return _fill(
        "summary.md", profile=record.profile, seed=record.seed, rows_used=record.data,
        folder=folder, k=k,
        comparison_sections=comparison_sections(runs),
        models_table=markdown_table(models_table(runs)),
        ablation_table=markdown_table(ablation_table(runs)),
        utility_table=markdown_table(privacy_table(runs, "utility")),
        attacks_table=markdown_table(privacy_table(runs, "attacks")),
        genes_table=markdown_table(top_genes(runs, k)),
        stability_table=markdown_table(gene_stability(runs)),
        convergence_sentence=convergence_sentence(runs),
        training_table=markdown_table(paper.training_summary(runs).droplevel("dataset")),
        capped_table=(f"The fits that hit their epoch cap:\n\n{markdown_table(capped)}"
                      if len(capped) else ""),
        prior_table=(f"The fits that never beat the class prior (their last stage's best "
                     f"validation loss against the loss of predicting its training rows' "
                     f"class shares):\n\n{markdown_table(blind)}" if len(blind) else ""))


def write_pages(runs_dir: str | os.PathLike, out: str | os.PathLike = ".") -> list[Path]:
    """Write the book's ``_config.yml``, ``_toc.yml``, ``intro.md``, ``summary.md`` and its
    style sheet (``userbook.PAGES``) into ``out`` from the tidy files under ``runs_dir`` and the
    book's settings (``out / SETTINGS_FILE``). Returns the paths written."""
    out = Path(out)
    user = yaml.safe_load((out / SETTINGS_FILE).read_text(encoding="utf-8"))["user"]
    runs = paper.collect(runs_dir)
    name = dataset_name(runs)
    summary = json.loads((Path(runs_dir) / user["folder"] / "summary.json").read_text())
    texts = {
        "_static/userbook.css": (TEMPLATES / "userbook.css").read_text(encoding="utf-8"),
        "_config.yml": _fill("_config.yml", title=json.dumps(f"genomics-hybrid: {name}")),
        "_toc.yml": _fill("_toc.yml", runs=output_folder("book", user["folder"])),
        "intro.md": intro_page(user, summary, runs),
        "summary.md": summary_page(runs, user["folder"]),
    }
    written = []
    for file, text in texts.items():
        (out / file).parent.mkdir(parents=True, exist_ok=True)
        (out / file).write_text(text, encoding="utf-8")
        written.append(out / file)
    return written
