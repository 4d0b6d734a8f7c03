"""The paper's experiments as functions of a profile: the model comparison and the ablation.

    >>> from genomics_hybrid.profiles import load_profile
    >>> profile = load_profile("smoke")
    >>> results, predictions, convergence = run_experiment("comparison", "gse7390", profile,
    ...                                                    "runs/cache")

Command line (prints mean and 95 % CI per model; per-fold results are cached, so an
interrupted run resumes)::

    python -m genomics_hybrid.experiments comparison --profile default --cache runs/cache
    python -m genomics_hybrid.experiments ablation --profile smoke --datasets gse7390
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
from sklearn.base import clone
from tqdm import tqdm  # the text bar, as evaluation's

from . import interpret, robustness, tuning
from .baselines import baseline_models
from .cache import cached_pipeline
from .datasets import DataError, Dataset, load
from .evaluation import (HOLDOUT, RESULT_COLUMNS, ModelFailedError, Protocol, ProtocolError,
                         fit_convergence, fold_records, split, split_names, split_parts, summarise,
                         tabulate)
from .metrics import HEADLINE_METRICS
from .model import VARIANTS, HybridClassifier
from .preprocess import make_pipeline
from .privacy import (DPSGDClassifier, loss_attack, membership_features,
                      shadow_attack)
from .profiles import ProfileError, load_profile

EXPERIMENTS = ("comparison", "ablation")


def model_params(profile: Mapping[str, Any]) -> dict:
    """HybridClassifier keyword arguments of a profile: its ``model`` block and its seed."""
    return dict(profile.get("model") or {}, random_state=int(profile.get("seed", 0)))


def comparison_models(profile: Mapping[str, Any], n_jobs: int = -1) -> dict:
    """The hybrid model (Table 5's "proposed") and every baseline, seeded by the profile."""
    params = model_params(profile)
    return {"hybrid": HybridClassifier(**params),
            **baseline_models(n_jobs=n_jobs, **params)}


def ablation_models(profile: Mapping[str, Any]) -> dict:
    """The four configurations of Table 15: CNN only, TabNet only, TabNet + CNN, full model."""
    return {variant: HybridClassifier(variant=variant, **model_params(profile))
            for variant in VARIANTS}


@dataclasses.dataclass(frozen=True)
class FitPlan:
    """One model of an experiment as ``evaluation.fold_records`` fits it: the estimator, the
    protocol, what each fit records beside its scores (``inspect``, see ``evaluation.run``) and
    the parts it runs on (``folds``; None: the CV folds and the hold-out)."""
    estimator: Any
    protocol: Protocol
    inspect: Callable | None = None
    folds: tuple[str, ...] | None = None

    def records(self, name: str, dataset: Dataset, cache_dir=None, folds=None) -> list[dict]:
        """The plan's fold records (``evaluation.fold_records``), read from ``cache_dir`` where
        stored, else fitted; ``folds``: only these of the plan's parts."""
        return fold_records({name: self.estimator}, dataset, self.protocol, cache_dir,
                            progress=False, inspect={name: self.inspect},
                            folds=self.folds if folds is None else folds)


# What ``fit_plans`` knows; the privacy grid's plans are named "<method>_<level>".
PLANNED = ("comparison", "ablation", "paper_split", "privacy", "stability")


def fit_plans(experiment: str, profile: Mapping[str, Any]) -> dict[str, FitPlan]:
    """Every model fit of an experiment, by name: what the experiment functions below run and
    what ``jobs`` spreads over a scheduler, built in one place so that both store and read the
    same per-fold cache records.

    ``comparison`` and ``ablation``: the models with their inspections (``inspections``);
    ``paper_split``: the comparison's models under the paper's stratified split
    (``run_paper_split``); ``privacy``: one plan per cell of ``privacy_grid``, named
    "<method>_<level>" (``run_privacy_grid``; the "none" cell records what the comparison's
    hybrid does, so whichever runs first stores the record both read); ``stability``: the
    hybrid at each interpretability seed other than the profile's, on the CV folds
    (``interpret.attention_stability``; the profile's seed is the comparison's hybrid).
    """
    protocol = Protocol.from_profile(profile)
    if experiment in ("comparison", "ablation", "paper_split"):
        models = comparison_models(profile) if experiment != "ablation" else \
            ablation_models(profile)
        if experiment == "paper_split":
            return {name: FitPlan(model, dataclasses.replace(protocol, groups="none"))
                    for name, model in models.items()}
        inspect = inspections(models, profile)
        return {name: FitPlan(model, protocol, inspect[name]) for name, model in models.items()}
    if experiment == "privacy":
        hybrid = fit_plans("comparison", profile)["hybrid"]
        plans = {}
        for cell in privacy_grid(profile):
            estimator, cell_protocol = privacy_settings(cell.method, cell.level, profile)
            inspect = (hybrid.inspect if cell.method == "none" else
                       None if cell.method == "dp_sgd" else interpret.attention_record)
            plans[f"{cell.method}_{cell.level}"] = FitPlan(estimator, cell_protocol, inspect)
        return plans
    if experiment == "stability":
        params = model_params(profile)
        seed = params.pop("random_state")
        cv = tuple(split_names(protocol.n_folds)[:-1])
        return {f"seed{s}": FitPlan(HybridClassifier(random_state=s, **params), protocol,
                                    interpret.attention_record, cv)
                for s in interpretability_seeds(profile) if s != seed}
    raise ValueError(f"experiment must be one of {PLANNED}, got {experiment!r}.")


def interpretability_seeds(profile: Mapping[str, Any]) -> tuple[int, ...]:
    """The model seeds of the attention-stability check (profile ``interpretability: seeds``;
    default: the profile's seed alone)."""
    settings = profile.get("interpretability") or {}
    return tuple(int(s) for s in settings.get("seeds", (int(profile.get("seed", 0)),)))


def profile_dataset(name: str, profile: Mapping[str, Any]) -> Dataset:
    """Load a dataset of the profile with the profile's source and seed, capped at the
    profile's ``max_samples`` rows (a stratified draw; ``Dataset.subsample``)."""
    sources = {entry["name"]: entry["source"] for entry in profile["datasets"]}
    if name not in sources:
        raise ProfileError(f"Profile {profile['name']!r} has no dataset {name!r}; it has "
                         f"{', '.join(sources)}.")
    seed = int(profile.get("seed", 0))
    return load(name, source=sources[name], seed=seed).subsample(profile.get("max_samples"),
                                                                 seed)


def run_experiment(experiment: str, dataset: str | Dataset, profile: Mapping[str, Any],
                   cache_dir: str | os.PathLike | None = None, progress: bool = True):
    """Run an experiment's models on one dataset under the profile's protocol.

    Returns ``(results, predictions, convergence)`` as ``evaluation.run`` (convergence: the
    per-epoch losses of every deep fit and how it stopped), each with a ``profile`` column.
    """
    if experiment not in EXPERIMENTS:
        raise ValueError(f"experiment must be one of {EXPERIMENTS}, got {experiment!r}.")
    data = dataset if isinstance(dataset, Dataset) else profile_dataset(dataset, profile)
    frames = tabulate(plan_records(experiment, data, profile, cache_dir, progress), data,
                      Protocol.from_profile(profile), return_predictions=True,
                      return_convergence=True)
    return tuple(frame.assign(profile=profile["name"]) for frame in frames)


def plan_records(experiment: str, dataset: Dataset, profile: Mapping[str, Any],
                 cache_dir: str | os.PathLike | None = None, progress: bool = False) -> list[dict]:
    """The fold records of every plan of ``fit_plans(experiment, profile)``, in order, each
    with its ``model`` name: read from ``cache_dir`` where stored, fitted otherwise."""
    plans = fit_plans(experiment, profile)
    records = []
    for name, plan in tqdm(plans.items(), desc=f"{dataset.name} {experiment}",
                           disable=not progress):
        records += plan.records(name, dataset, cache_dir)
    return records


PAPER_SPLIT = "stratified (the paper's)"
OUR_SPLIT = "grouped (ours)"


def run_paper_split(dataset: str | Dataset, profile: Mapping[str, Any],
                    cache_dir: str | os.PathLike | None = None,
                    progress: bool = True) -> pd.DataFrame:
    """The comparison again under the paper's split, for a dataset with groups (GSE72056's
    tumours, TCGA's patients): stratified by class with the groups ignored, so cells of one
    tumour can sit on both sides of a split, as in the paper's stratified cell-level split. Our
    protocol keeps each group on one side (``Protocol.groups``); the two side by side show how
    much the paper's split can inflate its numbers. Tidy results as ``evaluation.run`` with a
    ``split`` column; empty for a dataset without groups (both splits are then the same) and
    when the profile sets ``paper_split: false``."""
    data = dataset if isinstance(dataset, Dataset) else profile_dataset(dataset, profile)
    if data.groups is None or not profile.get("paper_split", True):
        return pd.DataFrame(columns=[*RESULT_COLUMNS, "split", "profile"])
    protocol = dataclasses.replace(Protocol.from_profile(profile), groups="none")
    results = tabulate(plan_records("paper_split", data, profile, cache_dir, progress), data,
                       protocol)
    return results.assign(split=PAPER_SPLIT, profile=profile["name"])


def tuning_tables(dataset: str | Dataset, profile: Mapping[str, Any],
                  cache_dir: str | os.PathLike | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the profile's tuning searched and what it picked (``tuning``): every comparison
    model's search space with the budget, and the settings chosen per model and fold, read from
    the fits ``run_experiment`` stored (an empty table when the profile tunes nothing)."""
    protocol = Protocol.from_profile(profile)
    budget = protocol.tuning.get("n_iter", 0)
    spaces = pd.DataFrame(tuning.describe_spaces(comparison_models(profile))).assign(
        configurations=budget, inner_folds=protocol.tuning.get("inner_folds", 3))
    if budget < 1:
        return spaces, pd.DataFrame(columns=["model", "fold", "chosen"])
    chosen = pd.DataFrame([{"model": r["model"], "fold": r["fold"],
                            "chosen": ", ".join(f"{k}={v}" for k, v in
                                                sorted((r.get("tuned_params") or {}).items()))}
                           for r in comparison_records(dataset, profile, cache_dir)])
    return spaces, chosen


def inspections(models: Mapping[str, Any], profile: Mapping[str, Any]) -> dict:
    """What every fit of ``run_experiment`` records beside its scores: each model's predictions
    on perturbed copies of its test rows (``robustness.perturbed_predictions``, at the noise
    curve's sigmas and the gene-dropout rates), and, for a network with TabNet, its attention
    (``interpret.attention_stability`` reads the hybrid's instead of refitting it)."""
    perturbed = robustness.perturbed_predictions(robustness.perturbations(
        {cell.noise for cell in privacy_grid(profile, ("uniform",)) if cell.noise}))

    def with_attention(pipeline, X_fit, feature_names, X_eval) -> dict:
        return {**interpret.attention_record(pipeline, X_fit, feature_names, X_eval),
                **perturbed(pipeline, X_fit, feature_names, X_eval)}
    return {name: with_attention if isinstance(model, HybridClassifier)
            and model.variant != "cnn_only" else perturbed for name, model in models.items()}


def run_robustness(dataset: str | Dataset, profile: Mapping[str, Any],
                   cache_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """The robustness experiment (Tables 9-11; ``robustness``): every comparison model, trained
    on clean folds, scored on perturbed copies of its test rows. Tidy rows
    (``robustness.ROBUSTNESS_COLUMNS``) with a ``profile`` column. It reads the comparison's
    fits from ``cache_dir`` where ``run_experiment`` stored them, and fits them otherwise."""
    data = dataset if isinstance(dataset, Dataset) else profile_dataset(dataset, profile)
    return robustness.robustness_results(comparison_records(data, profile, cache_dir),
                                         data.name).assign(profile=profile["name"])


def comparison_records(dataset: str | Dataset, profile: Mapping[str, Any],
                       cache_dir: str | os.PathLike | None = None) -> list[dict]:
    """The fold records of ``run_experiment("comparison", ...)`` (with its inspections): read
    from ``cache_dir`` where it stored them, fitted otherwise."""
    data = dataset if isinstance(dataset, Dataset) else profile_dataset(dataset, profile)
    return plan_records("comparison", data, profile, cache_dir)


def membership_inference(estimator, dataset: Dataset, protocol: Protocol,
                         cache_dir: str | os.PathLike | None = None,
                         records: list[dict] | None = None) -> dict[str, Any]:
    """Attack the fits ``evaluation.run`` makes of ``estimator`` under ``protocol`` (its
    preprocessing and privacy step included), with no model of the attack's own.

    The target is the hold-out fit: its members are the training split, its non-members the
    hold-out rows, as many of each scored (a seeded draw of the members). The loss-threshold
    attack reads the target's predictions alone; the shadow-model attack learns from the
    cross-validation fits, trained like the target on the same population, each with its own
    training rows "in" and its held-out fold "out" (as many "in" as "out"). AUC 0.5 and
    advantage 0 mean nothing leaks that the attacks can see. With ``cache_dir`` the fits are
    read from the cache that ``run`` wrote: no model is fitted again; ``records`` (the
    ``evaluation.fold_records`` of ``estimator`` under ``protocol``) are used as given.
    """
    if records is None:
        records = fold_records({"target": estimator}, dataset, protocol, cache_dir,
                               progress=False)
    records = {r["fold"]: r for r in records}
    rng = np.random.default_rng(protocol.random_state)
    y = dataset.y
    parts = split(dataset, protocol)
    target, shadows = records.pop(HOLDOUT), []
    for fold, fit_rows, eval_rows in split_parts(parts)[:-1]:
        record = records[fold]
        inside = rng.choice(len(fit_rows), min(len(fit_rows), len(eval_rows)), replace=False)
        shadows.append((
            membership_features(np.asarray(record["fit_proba"])[inside], y[fit_rows][inside]),
            membership_features(record["proba"], y[eval_rows])))
    n_scored = min(len(parts.train), len(parts.test))
    scored = rng.choice(len(parts.train), n_scored, replace=False)
    members = membership_features(np.asarray(target["fit_proba"])[scored],
                                  y[parts.train][scored])
    outsiders = membership_features(target["proba"][:n_scored], y[parts.test][:n_scored])
    loss, shadow = loss_attack(members, outsiders), shadow_attack(shadows, members, outsiders)
    return {**{f"loss_{k}": v for k, v in loss.items()},
            **{f"shadow_{k}": v for k, v in shadow.items()}, "n_scored": n_scored,
            "n_shadows": len(shadows), "epsilon_spent": target["epsilon_spent"],
            "epsilon_feature": target.get("epsilon_feature"),
            "target_stopped_by": fit_convergence(target["convergence"])["stopped_by"]}


PRIVACY_METHODS = ("adaptive", "uniform", "masking", "dp_sgd")
LEVELS = ("none", "low", "medium", "high")
# The paper names its levels (low, medium, high: "higher noise and lower epsilon") and gives no
# values. Ours, fixed before any result was looked at (book page "Table 8"). Noise methods:
# sigma in units of each feature's min-max range, a factor 4 apart: 1/16 (a small fraction of
# a gene's range: values still ordered as they were), 1/4 (noise comparable with a gene's
# spread across samples), 1 (noise as wide as the whole range). Algorithm 4 scales it up to 2x on
# its riskiest features. DP-SGD: record-level epsilon 10, 1 and 0.1, the values most often read
# as weak, moderate and strong. Masking: the share of features dropped, highest attention first
# (it adds no noise and spends no epsilon).
LEVEL_NOISE = {"adaptive": {"low": 1 / 16, "medium": 1 / 4, "high": 1.0},
               "uniform": {"low": 1 / 16, "medium": 1 / 4, "high": 1.0},
               "masking": {"low": 0.05, "medium": 0.2, "high": 0.5},
               "dp_sgd": {"low": 10.0, "medium": 1.0, "high": 0.1}}
# What each method's noise value is, and which way more protection goes.
NOISE_PARAMETER = {"adaptive": "sigma", "uniform": "sigma", "masking": "masked share",
                   "dp_sgd": "epsilon"}
# Where the profile lists the curve's extra points (``privacy`` block of profiles.yml).
CURVE_KEY = {"adaptive": "noise_scales", "uniform": "noise_scales", "dp_sgd": "dp_epsilons"}


@dataclasses.dataclass(frozen=True)
class PrivacyCell:
    """One cell of the privacy grid: ``level`` is "none", a named level (Tables 8-14) or, for a
    point of the noise curve only, ``"<parameter>=<value>"``; ``noise`` is sigma, the masked
    share or DP-SGD's epsilon (None for "none")."""
    method: str
    level: str
    noise: float | None


def privacy_grid(profile: Mapping[str, Any], methods=PRIVACY_METHODS) -> list[PrivacyCell]:
    """Every cell of the profile's privacy grid: "none" once, then per method its named levels
    (``LEVEL_NOISE``) and the extra points of the noise curve the profile lists (``privacy:
    {noise_scales: [...], dp_epsilons: [...]}``), from least to most protection."""
    curve = profile.get("privacy") or {}
    cells = [PrivacyCell("none", "none", None)]
    for method in methods:
        named = {value: level for level, value in LEVEL_NOISE[method].items()}
        extra = [float(v) for v in curve.get(CURVE_KEY.get(method, ""), ()) if float(v) not in named]
        stronger = (lambda v: -v) if method == "dp_sgd" else (lambda v: v)
        for value in sorted([*named, *extra], key=stronger):
            level = named.get(value, f"{NOISE_PARAMETER[method]}={value:g}")
            cells.append(PrivacyCell(method, level, value))
    return cells


def privacy_settings(method: str, level: str, profile: Mapping[str, Any]):
    """(estimator, protocol) of one cell of the privacy grid (Tables 8-14 and the noise curve):
    ``level`` a level of ``LEVELS`` or a curve point's label (``privacy_grid``).

    ``adaptive`` is Algorithm 4 in our reading of the paper's text (``AdaptivePrivacy``,
    ``roles="paper"``: Gaussian noise on the features with at least the mean attention share,
    sigma times 1 to 2 by risk; 10 % of the other features' training values set to 0),
    ``uniform`` Gaussian noise of the same sigma on every feature with nothing masked,
    ``masking`` drops that share of the features and adds no noise, ``dp_sgd`` trains with
    DP-SGD at that epsilon. Level "none" is the plain hybrid for every method (and for method
    "none"). What each noise
    buys is reported per fit (``epsilon_spent`` record-level, ``epsilon_feature`` one value).
    DP-SGD's accounting counts each training row once, so its protocol leaves out SMOTE and
    augmentation (rows made from other rows); undersampling only drops rows.
    """
    cells = {(cell.method, cell.level): cell for cell in privacy_grid(profile)}
    if (method, level) != ("none", "none") and (
            method not in PRIVACY_METHODS or (level != "none" and (method, level) not in cells)):
        raise ValueError(f"method must be one of {PRIVACY_METHODS} and level one of "
                         f"{LEVELS} or a point of the profile's noise curve, got {method!r}, "
                         f"{level!r}.")
    protocol = Protocol.from_profile(profile)
    hybrid = HybridClassifier(**model_params(profile))
    if level == "none":
        return hybrid, protocol
    noise = cells[method, level].noise
    if method == "dp_sgd":
        plain = dict(protocol.preprocessing, smote=False, augment=False)
        return (DPSGDClassifier(epsilon=noise, max_epochs=hybrid.max_epochs,
                                patience=hybrid.patience, lr_decay=hybrid.lr_decay,
                                validation_fraction=hybrid.validation_fraction,
                                random_state=hybrid.random_state),
                dataclasses.replace(protocol, preprocessing=plain))
    privacy = {"masking": {"mechanism": "none", "roles": "mask_riskiest",
                           "mask_fraction": noise},
               "uniform": {"noise_scale": noise, "budget": "uniform", "roles": "mask_riskiest",
                           "mask_fraction": 0.0},
               "adaptive": {"noise_scale": noise, "budget": "adaptive", "roles": "paper"},
               }[method]
    # risk scored by a TabNet trained alike
    privacy.update(attention_epochs=hybrid.max_epochs, attention_patience=hybrid.patience)
    return hybrid, dataclasses.replace(
        protocol, preprocessing=dict(protocol.preprocessing, privacy=privacy))


def run_privacy_grid(dataset: Dataset, profile: Mapping[str, Any],
                     cache_dir: str | os.PathLike | None = None, progress: bool = True,
                     methods=PRIVACY_METHODS, levels=None):
    """Utility (CV and hold-out, as ``evaluation.run``) and membership inference for every
    cell of ``privacy_grid`` (``levels``: only the cells of these labels; None: all). Returns
    ``(results, attacks, convergence)``: tidy results with ``method``, ``level`` and ``noise``
    columns, one row per cell with its noise, what it buys (``epsilon_spent``: record-level,
    ``epsilon_feature``: one feature value; DP-SGD's target ``epsilon``) and the attacks' AUC
    and advantage (``membership_inference``, read from the cell's own fits), and the per-epoch
    losses of every fit (``evaluation.run``). Each fit records its top attention genes, and
    each cell reports the stability of gene selection under its noise
    (``selection_jaccard_top<k>``, ``robustness.selection_jaccard`` against the "none" cell, k
    from the profile's ``interpretability``). Each cell's fits are made (or read from
    ``cache_dir``) once and feed its utility, its attacks and its stability. With ``cache_dir``
    a rerun resumes."""
    results, attacks, convergence, unprotected = [], [], [], None
    k = int((profile.get("interpretability") or {}).get("k", 20))
    cells = [cell for cell in privacy_grid(profile, methods)
             if levels is None or cell.level in levels]
    plans = fit_plans("privacy", profile)
    for cell in tqdm(cells, desc=f"{dataset.name} privacy", disable=not progress):
        plan = plans[f"{cell.method}_{cell.level}"]
        labels = {"method": cell.method, "level": cell.level,
                  "noise": np.nan if cell.noise is None else cell.noise}
        fits = plan.records("hybrid", dataset, cache_dir)
        utility, curves = tabulate(fits, dataset, plan.protocol, return_convergence=True)
        results.append(utility.assign(**labels))
        convergence.append(curves.assign(**labels))
        attack = membership_inference(plan.estimator, dataset, plan.protocol, records=fits)
        if cell.method == "none":
            unprotected = fits
        attacks.append({**labels, "parameter": NOISE_PARAMETER.get(cell.method, ""),
                        "epsilon": cell.noise if cell.method == "dp_sgd" else np.nan,
                        "dataset": dataset.name, **attack,
                        f"selection_jaccard_top{k}": robustness.selection_jaccard(
                            fits, unprotected, k) if unprotected else np.nan})
    return (pd.concat(results, ignore_index=True), pd.DataFrame(attacks),
            pd.concat(convergence, ignore_index=True))


def summarise_privacy(results: pd.DataFrame) -> pd.DataFrame:
    """``evaluation.summarise`` per privacy method and level of ``run_privacy_grid``'s results
    (CV mean, 95 % CI and hold-out per metric), with ``method``, ``level`` and ``noise``
    columns."""
    parts = [summarise(cell).assign(method=method, level=level, noise=cell.noise.iloc[0])
             for (method, level), cell in results.groupby(["method", "level"], sort=False)]
    return pd.concat(parts, ignore_index=True)


@dataclasses.dataclass
class Explanation:
    """What notebook 05 shows for one dataset (Figs. 10-12 and their checks).

    ``pipeline``: the profile's pipeline around the hybrid, fitted on the 80 % training split;
    ``attention``: its global TabNet attention per gene over those rows; ``precision``:
    ``interpret.ground_truth_precision`` (replicas; else None); ``markers``: method ->
    ``interpret.MarkerOverlap`` with the loader's ``info["known_markers"]`` (pbmc68k's B-cell
    markers, the genes the paper names for the TCGA-BRCA subset; else empty);
    ``stability``: ``interpret.attention_stability`` over the CV folds and the profile's seeds.
    """

    pipeline: Any
    train_rows: np.ndarray
    test_rows: np.ndarray
    attention: pd.Series
    precision: pd.DataFrame | None
    markers: dict
    stability: interpret.AttentionStability


def explanation_pipeline(dataset: Dataset, profile: Mapping[str, Any],
                         cache_dir: str | os.PathLike | None = None):
    """The profile's pipeline around the hybrid, fitted on the 80 % training split (what
    ``explain`` introspects): read from ``cache_dir`` where a run (a ``jobs`` job) stored it,
    else fitted and stored (``cache.cached_pipeline``)."""
    protocol = Protocol.from_profile(profile)
    estimator = HybridClassifier(**model_params(profile))
    train = split(dataset, protocol).train

    def fit():
        pipeline = make_pipeline(clone(estimator), random_state=protocol.random_state,
                                 **protocol.preprocessing)
        return pipeline.fit(dataset.X[train], dataset.y[train])
    return cached_pipeline(cache_dir, dataset, "hybrid", HOLDOUT, estimator, protocol, fit)


def explain(dataset: Dataset, profile: Mapping[str, Any],
            cache_dir: str | os.PathLike | None = None) -> Explanation:
    """Fit the hybrid under the profile's protocol and score its explanations (``Explanation``).

    The profile's ``interpretability`` block sets ``k`` (default 20), ``seeds``, and the
    permutation importance's ``n_candidates`` and ``n_repeats``. Cost: one fit on the training
    split plus ``len(seeds) x n_folds`` fits for stability, less the folds of the profile's own
    seed that the comparison (``run_experiment``) left in ``cache_dir`` with their attention.
    """
    settings = dict(profile.get("interpretability") or {})
    k = int(settings.get("k", 20))
    protocol = Protocol.from_profile(profile)
    parts = split(dataset, protocol)
    params = model_params(profile)
    pipeline = explanation_pipeline(dataset, profile, cache_dir)
    attention = interpret.attention(pipeline, dataset.X[parts.train], dataset.feature_names)
    precision, markers = None, {}
    if "informative_features" in dataset.info.get("ground_truth", {}):
        precision = interpret.ground_truth_precision(
            pipeline, dataset, parts.train, parts.test, k,
            n_candidates=int(settings.get("n_candidates", 200)),
            n_repeats=int(settings.get("n_repeats", 5)), random_state=protocol.random_state)
    if dataset.info.get("known_markers"):  # pbmc68k's B-cell markers, the paper's TCGA genes
        known = tuple(dataset.info["known_markers"]["genes"])
        rankings = {"hybrid attention": attention, **interpret.reference_rankings(
            dataset, parts.train, protocol.random_state)}
        # Every gene of the data is a candidate: one the in-fold filter dropped gets no
        # attention, so it counts as not found, as it would for the reference rankings.
        markers = {method: interpret.marker_overlap(ranking, k, markers=known,
                                                    universe=dataset.feature_names)
                   for method, ranking in rankings.items()}
    params.pop("random_state")
    stability = interpret.attention_stability(dataset, k, interpretability_seeds(profile),
                                              protocol, cache_dir, **params)
    return Explanation(pipeline, parts.train, parts.test, attention, precision, markers,
                       stability)


def headline_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and model: CV mean [95 % CI] of accuracy, AUC and F1, the hold-out values
    and the seconds spent fitting (all folds and the hold-out fit)."""
    summary = summarise(results)
    summary = summary[summary.metric.isin(HEADLINE_METRICS)]
    cells = summary.assign(cell=[f"{m:.3f} [{lo:.3f}, {hi:.3f}] / {h:.3f}" for m, lo, hi, h in
                                 zip(summary.cv_mean, summary.cv_ci_low, summary.cv_ci_high,
                                     summary.holdout)])
    table = cells.pivot(index=["dataset", "model"], columns="metric", values="cell")
    seconds = (results.drop_duplicates(["dataset", "model", "fold"])
               .groupby(["dataset", "model"]).fit_seconds.sum())
    return table[list(HEADLINE_METRICS)].assign(fit_seconds=seconds.round(1))


# Errors about the user's input, raised by the package with a message naming the fix.
USER_ERRORS = (DataError, ProfileError, ProtocolError, ModelFailedError, NotADirectoryError)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m genomics_hybrid.experiments",
        description="Run an experiment on a profile's datasets; print CV mean [95% CI] / "
                    "hold-out for accuracy, AUC and F1.")
    parser.add_argument("experiment", choices=EXPERIMENTS)
    parser.add_argument("--profile", default="default")
    parser.add_argument("--datasets", nargs="*", help="default: all of the profile's")
    parser.add_argument("--cache", default="runs/cache", help="per-fold results (resume)")
    parser.add_argument("--out", help="write the tidy results to this CSV")
    args = parser.parse_args(argv)
    try:
        profile = load_profile(args.profile)
        names = args.datasets or [entry["name"] for entry in profile["datasets"]]
        all_results = []
        for name in names:
            started = time.perf_counter()
            results, _, _ = run_experiment(args.experiment, name, profile, Path(args.cache))
            all_results.append(results)
            print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    except USER_ERRORS as error:   # the package's own message says what to do: no traceback
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    results = pd.concat(all_results, ignore_index=True)
    if args.out:
        results.to_csv(args.out, index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 10):
        print(headline_table(results).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
