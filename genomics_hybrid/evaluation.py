"""The evaluation protocol: an 80/20 hold-out, CV folds inside the 80 %, many models, resumable.

    >>> from genomics_hybrid.datasets import load
    >>> from genomics_hybrid.baselines import baseline_models
    >>> results = run(baseline_models(), load("gse7390"), Protocol(), cache_dir="runs/cache")
    >>> summarise(results)                                   # mean and 95 % CI per model, metric

No leakage: every model is cloned, wrapped in :func:`genomics_hybrid.preprocess.make_pipeline`
and fitted on one fold's training rows only; its validation rows are predicted, never fitted.
The hold-out (20 %) is predicted once per model, by a fit on the whole 80 %; nothing about it,
not even its variances, is used before that.
"""

from __future__ import annotations

import dataclasses
import inspect
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Mapping

import numpy as np
import pandas as pd
import psutil
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, train_test_split
from tqdm import tqdm  # the text bar: ipywidgets (for tqdm.auto in notebooks) is not installed

from .cache import cached, dataset_fingerprint
from .datasets import Dataset
from .model import stage1_store
from .model.training import learned, stopped_by
from .metrics import (bootstrap_interval, classification_metrics, corrected_paired_t_test,
                      metric_bounds, paired_bootstrap_test, t_interval)
from .preprocess import make_pipeline
from .privacy import feature_epsilon, spent_epsilon
from .tuning import random_search

GROUP_SETTINGS = ("auto", "dataset", "none")
HOLDOUT = "holdout"
RESULT_COLUMNS = ["dataset", "source", "model", "fold", "metric", "value", "fit_seconds",
                  "predict_seconds", "peak_rss_mb", "n_train", "n_test", "seed", "epochs",
                  "stopped_by", "learned"]
# One row per epoch of every training stage of every deep-model fit (``run``'s convergence).
CONVERGENCE_COLUMNS = ["dataset", "model", "fold", "stage", "epoch", "train_loss",
                       "validation_loss", "epochs", "max_epochs", "patience", "stopped_by",
                       "best_epoch", "best_validation_loss", "chance_validation_loss",
                       "learned"]
# The make_pipeline settings a Protocol may carry (the seed comes from Protocol.random_state).
PREPROCESSING_SETTINGS = tuple(name for name in inspect.signature(make_pipeline).parameters
                               if name not in ("estimator", "random_state"))


class ProtocolError(ValueError):
    """A protocol that cannot be run on a data set as asked; the message says what to change."""


class ModelFailedError(RuntimeError):
    """A model raised while fitting or predicting; the message names the model and the fold."""


@dataclass(frozen=True)
class Protocol:
    """How a data set is split and preprocessed.

    ``test_size`` of the samples form the hold-out, ``n_folds`` stratified CV folds split the
    rest. ``groups``: ``"auto"`` keeps the samples of one group (tumour, patient) on one side of
    every split when the data set has groups, ``"dataset"`` requires groups, ``"none"`` ignores
    them. ``preprocessing`` holds keyword arguments of ``make_pipeline`` (PREPROCESSING_SETTINGS).
    ``tuning`` ({"n_iter": n, "inner_folds": k}; empty or n 0: none) tunes every model by a
    random search nested inside each training fold, n configurations per model
    (``tuning.random_search``). ``random_state`` seeds the splits, the preprocessing and the
    search.
    """

    test_size: float = 0.2
    n_folds: int = 5
    groups: str = "auto"
    random_state: int = 0
    preprocessing: Mapping[str, Any] = field(default_factory=dict)
    tuning: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self):
        if not 0 < self.test_size < 1:
            raise ProtocolError(f"test_size must be between 0 and 1 (a share of the samples), "
                                f"got {self.test_size!r}.")
        if not isinstance(self.n_folds, int) or self.n_folds < 2:
            raise ProtocolError(f"n_folds must be an integer >= 2, got {self.n_folds!r}.")
        if self.groups not in GROUP_SETTINGS:
            raise ProtocolError(f"groups={self.groups!r} is not one of {GROUP_SETTINGS}: 'auto' "
                                f"uses the data set's groups when it has them, 'dataset' "
                                f"requires them, 'none' ignores them.")
        n_iter, inner = self.tuning.get("n_iter", 0), self.tuning.get("inner_folds", 3)
        if (set(self.tuning) - {"n_iter", "inner_folds"} or not isinstance(n_iter, int)
                or n_iter < 0 or not isinstance(inner, int) or inner < 2):
            raise ProtocolError(f"tuning must be {{'n_iter': n >= 0, 'inner_folds': k >= 2}}, "
                                f"got {dict(self.tuning)!r}.")
        unknown = sorted(set(self.preprocessing) - set(PREPROCESSING_SETTINGS))
        if unknown:
            raise ProtocolError(f"Unknown preprocessing settings {unknown}; known: "
                                f"{', '.join(PREPROCESSING_SETTINGS)} (the seed is the "
                                f"protocol's random_state).")

    @classmethod
    def from_profile(cls, profile: Mapping[str, Any]) -> Protocol:
        """The protocol of a profile (``profiles.load_profile``): its ``evaluation`` block and
        its ``seed``."""
        settings = dict(profile.get("evaluation") or {})
        fields = {f.name for f in dataclasses.fields(cls)} - {"random_state"}
        unknown = sorted(set(settings) - fields)
        if unknown:
            raise ProtocolError(f"Profile {profile.get('name')!r}: unknown evaluation settings "
                                f"{unknown}; known: {', '.join(sorted(fields))}.")
        return cls(random_state=int(profile.get("seed", 0)), **settings)

    def describe(self) -> dict[str, Any]:
        """The protocol as plain JSON values (part of every cache key)."""
        described = dataclasses.asdict(self)
        described["preprocessing"] = dict(sorted(self.preprocessing.items()))
        described["tuning"] = dict(sorted(self.tuning.items()))
        return described


@dataclass(frozen=True)
class Split:
    """Row indices of a data set: ``train`` (the 80 %), ``test`` (the hold-out) and ``folds``,
    one ``(fit, validation)`` pair per CV fold, both inside ``train``. ``groups`` is the
    grouping the split respected, or None."""

    train: np.ndarray
    test: np.ndarray
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]
    groups: np.ndarray | None


def _resolve_groups(dataset: Dataset, protocol: Protocol) -> np.ndarray | None:
    if protocol.groups == "none":
        return None
    if protocol.groups == "dataset" and dataset.groups is None:
        raise ProtocolError(f"Protocol(groups='dataset') but {dataset.name!r} has no groups. "
                            f"Use groups='auto' or 'none', or load a data set with groups.")
    return dataset.groups


def _check_enough(y, groups, n_parts: int, part: str, why: str, fix: str = "") -> None:
    """Every class needs a sample (with groups: a group) in each of ``n_parts`` parts, else a
    ProtocolError naming the counts and the fixes (``fix`` may use ``{count}``)."""
    unit = "samples" if groups is None else "groups"
    for label in (0, 1):
        in_class = y == label
        count = int(in_class.sum()) if groups is None else len(np.unique(groups[in_class]))
        if count >= n_parts:
            continue
        fixes = [fix.format(count=count)] if fix and count >= 2 else []
        fixes.append(f"add samples of class {label}")
        if groups is not None:
            fixes.append("use groups='none' if the samples of one group are independent")
        raise ProtocolError(
            f"Too few {unit} per class: class {label} has {count} {unit} in {part}, but {why} "
            f"needs {n_parts} parts with one of every class. To fix: {'; or '.join(fixes)}.")


def split(dataset: Dataset, protocol: Protocol = Protocol()) -> Split:
    """The hold-out, then the CV folds inside the rest; the same seed gives the same split.

    Without groups the hold-out is a stratified random ``test_size`` share and the folds are
    StratifiedKFold. With groups the hold-out is one fold of a StratifiedGroupKFold with
    ``round(1 / test_size)`` splits (so its share is about ``test_size``: whole groups move) and
    the folds are StratifiedGroupKFold: no group ever sits on two sides.
    """
    groups = _resolve_groups(dataset, protocol)
    y, seed = dataset.y, protocol.random_state
    every_row = np.arange(len(y))
    if groups is None:
        _check_enough(y, None, 2, f"{dataset.name!r}", "a hold-out beside a training part")
        train, test = train_test_split(every_row, test_size=protocol.test_size, stratify=y,
                                       random_state=seed)
        train.sort()
        test.sort()
        folds = StratifiedKFold(protocol.n_folds, shuffle=True, random_state=seed)
    else:
        n_holdout_splits = max(2, round(1 / protocol.test_size))
        _check_enough(y, groups, n_holdout_splits, f"{dataset.name!r}",
                      f"a group-aware hold-out of test_size={protocol.test_size}",
                      "use a larger test_size (at least 1/{count})")
        holdout_split = StratifiedGroupKFold(n_holdout_splits, shuffle=True, random_state=seed)
        train, test = next(holdout_split.split(every_row, y, groups))
        folds = StratifiedGroupKFold(protocol.n_folds, shuffle=True, random_state=seed)
    train_groups = None if groups is None else groups[train]
    _check_enough(y[train], train_groups, protocol.n_folds,
                  f"the {1 - protocol.test_size:.0%} training part of {dataset.name!r}",
                  f"n_folds={protocol.n_folds}", "use n_folds={count} or fewer")
    fold_rows = tuple((train[fit], train[validation])
                      for fit, validation in folds.split(train, y[train], train_groups))
    for name, rows in [("the hold-out", test)] + [(f"validation fold {i}", validation)
                                                   for i, (_, validation) in enumerate(fold_rows)]:
        if len(np.unique(y[rows])) < 2:
            raise ProtocolError(f"{name} of {dataset.name!r} holds one class only, so AUC "
                                f"cannot be measured on it. Use fewer folds, a larger "
                                f"test_size or another random_state (with groups: groups='none' "
                                f"if the samples of one group are independent).")
    return Split(train, test, fold_rows, groups)


class PeakMemory:
    """Peak resident memory (MB) of this process while the ``with`` block runs.

    A background thread samples psutil's RSS every ``interval`` seconds (and once at the start
    and the end), so a peak shorter than the interval can be missed. The process includes its
    threads (BLAS, OpenMP, torch) but not child processes.
    """

    def __init__(self, interval: float = 0.01):
        self.interval = interval
        self.peak_mb = 0.0
        self._process = psutil.Process()
        self._stop = threading.Event()

    def _sample(self) -> None:
        self.peak_mb = max(self.peak_mb, self._process.memory_info().rss / 2**20)

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakMemory:
        self._sample()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def positive_proba(pipeline, X) -> np.ndarray:
    """A fitted pipeline's probability of the positive class 1 for the rows of X."""
    classes = list(pipeline.classes_)
    if 1 not in classes:
        raise ValueError(f"the fitted model knows classes {classes}, not the positive class 1")
    return pipeline.predict_proba(X)[:, classes.index(1)]


def _pipeline(estimator, protocol: Protocol):
    """A fresh, unfitted pipeline of the protocol's fold-internal preprocessing and
    ``estimator`` (used as given: clone it first if it must stay unfitted)."""
    return make_pipeline(estimator, random_state=protocol.random_state, **protocol.preprocessing)


def _fit_and_predict(name: str, estimator, fold: str, dataset: Dataset, fit_rows, eval_rows,
                     protocol: Protocol, inspect=None) -> dict[str, Any]:
    """Fit a fresh pipeline on ``fit_rows`` only, predict ``eval_rows``: one cache record.
    ``inspect(pipeline, X_fit, feature_names, X_eval)``, when given, adds what it returns (plain
    JSON values) as the record's ``inspection``."""
    X, y = dataset.X, dataset.y
    stage = "fitting"
    try:
        with PeakMemory() as memory:
            start = time.perf_counter()
            tuned = _tuned(estimator, dataset, fit_rows, protocol)
            pipeline = _pipeline(clone(estimator).set_params(**tuned), protocol)
            pipeline.fit(X, y, rows=fit_rows)  # no copy of the fold's rows before the steps
            fit_seconds = time.perf_counter() - start
        stage = "predicting"
        start = time.perf_counter()
        proba = positive_proba(pipeline, X[eval_rows])
        predict_seconds = time.perf_counter() - start
        # The same model's predictions for the rows it was fitted on: what a membership attack
        # compares with ``proba`` (experiments.membership_inference), at no extra fit.
        fit_proba = positive_proba(pipeline, X[fit_rows])
    except Exception as exc:
        raise ModelFailedError(f"Model {name!r} failed while {stage} on {fold} of "
                               f"{dataset.name!r} ({len(fit_rows)} training rows): "
                               f"{type(exc).__name__}: {exc}") from exc
    return {"model": name, "fold": fold,
            "metrics": classification_metrics(y[eval_rows], proba),
            "convergence": getattr(pipeline[-1], "convergence_", None),
            "fit_seconds": fit_seconds, "predict_seconds": predict_seconds,
            "peak_rss_mb": memory.peak_mb, "n_train": len(fit_rows), "n_test": len(eval_rows),
            "sample_ids": [str(s) for s in dataset.sample_ids[eval_rows]],
            "y_true": y[eval_rows].tolist(), "proba": proba.tolist(),
            "fit_proba": fit_proba.tolist(), "tuned_params": tuned,
            "epsilon_spent": spent_epsilon(pipeline),
            "epsilon_feature": feature_epsilon(pipeline),
            "inspection": None if inspect is None else
            inspect(pipeline, X[fit_rows], dataset.feature_names, X[eval_rows])}


def _tuned(estimator, dataset: Dataset, fit_rows: np.ndarray, protocol: Protocol) -> dict:
    """The settings the protocol's nested random search picks for ``estimator`` on ``fit_rows``
    alone (``tuning.random_search``; {} when the protocol tunes nothing): each candidate is a
    whole pipeline fitted on inner training rows and scored by AUC on the inner held-out rows."""
    n_iter = protocol.tuning.get("n_iter", 0)
    if n_iter < 1:
        return {}
    X, y = dataset.X, dataset.y  # indexed by rows of the dataset, never copied whole

    def fit_and_score(candidate, inner_fit, inner_held) -> float:
        pipeline = _pipeline(candidate, protocol).fit(X, y, rows=fit_rows[inner_fit])
        held = fit_rows[inner_held]
        return classification_metrics(y[held], positive_proba(pipeline, X[held]))["auc"]
    groups = _resolve_groups(dataset, protocol)
    # The inner folds need the rows' labels (and groups) only: X is a placeholder.
    best, _ = random_search(estimator, np.zeros(len(fit_rows)), y[fit_rows], n_iter,
                            protocol.tuning.get("inner_folds", 3),
                            fit_and_score, protocol.random_state,
                            None if groups is None else groups[fit_rows])
    return best


def fit_convergence(convergence: Mapping[str, dict] | None) -> dict[str, Any]:
    """A fit's ``epochs`` (over all its stages), ``stopped_by`` and ``learned`` (whether it
    beat the class prior on its validation rows: ``training.learned``) for the tidy results;
    NaN, "" and None for models that do not train by epochs."""
    if not convergence:
        return {"epochs": np.nan, "stopped_by": "", "learned": None}
    return {"epochs": sum(stage["epochs"] for stage in convergence.values()),
            "stopped_by": stopped_by(convergence), "learned": learned(convergence)}


def convergence_rows(dataset: str, model: str, fold: str,
                     convergence: Mapping[str, dict] | None) -> list[dict]:
    """CONVERGENCE_COLUMNS rows of one fit: every epoch of every stage, with how it stopped; a
    warm-started stage also has epoch 0, its starting validation loss (no training loss)."""
    rows = []
    for stage, record in (convergence or {}).items():
        validation = record["validation_loss"] or [np.nan] * record["epochs"]
        losses = list(zip(record["train_loss"], validation))
        start = 1
        if record.get("initial_validation_loss") is not None:
            losses, start = [(np.nan, record["initial_validation_loss"])] + losses, 0
        summary = {key: record.get(key) for key in ("epochs", "max_epochs", "patience",
                                                    "stopped_by", "best_epoch",
                                                    "best_validation_loss",
                                                    "chance_validation_loss", "learned")}
        rows += [{"dataset": dataset, "model": model, "fold": fold, "stage": stage,
                  "epoch": epoch, "train_loss": train_loss, "validation_loss": val_loss,
                  **summary}
                 for epoch, (train_loss, val_loss) in enumerate(losses, start=start)]
    return rows


def split_names(n_folds: int) -> list[str]:
    """The names of ``split_parts`` for ``n_folds`` CV folds, known without the data: "fold0",
    ..., then the hold-out."""
    return [f"fold{i}" for i in range(n_folds)] + [HOLDOUT]


def split_parts(splits: Split) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(fold, fit_rows, eval_rows)`` of every fit ``run`` makes: the CV folds, then the
    hold-out."""
    rows = [*splits.folds, (splits.train, splits.test)]
    return [(name, fit, validation)
            for name, (fit, validation) in zip(split_names(len(splits.folds)), rows)]


def fold_records(models: Mapping[str, Any], dataset: Dataset, protocol: Protocol,
                 cache_dir: str | Path | None = None, progress: bool = True,
                 inspect: Mapping[str, Any] | None = None,
                 folds: Collection[str] | None = None) -> list[dict]:
    """The cache record of every model x ``split_parts`` fit, loaded from ``cache_dir`` where
    a run stored it, else fitted (and stored): what ``run`` tabulates. ``inspect``: per model
    name, what to record of each fitted pipeline (``_fit_and_predict``). ``folds``: only these
    parts ("fold0", ..., "holdout"; ``jobs`` runs one per job), None: all."""
    for name, estimator in models.items():
        if not hasattr(estimator, "predict_proba"):
            raise TypeError(f"Model {name!r} ({type(estimator).__name__}) has no predict_proba; "
                            f"AUC needs probabilities.")
    parts = split_parts(split(dataset, protocol))
    if folds is not None:
        unknown = set(folds) - {fold for fold, _, _ in parts}
        if unknown:
            raise ValueError(f"folds {sorted(unknown)} are not parts of this protocol's split: "
                             f"it has {[fold for fold, _, _ in parts]}.")
        parts = [part for part in parts if part[0] in folds]
    fingerprint = None if cache_dir is None else dataset_fingerprint(dataset)
    records = []
    # The hybrids' first stages are kept beside the cache: every variant trains the same one.
    stages = None if cache_dir is None else Path(cache_dir) / "stage1"
    with tqdm(total=len(models) * len(parts), desc=dataset.name, disable=not progress) as bar, \
            stage1_store(stages):
        for name, estimator in models.items():
            for fold, fit_rows, eval_rows in parts:
                bar.set_postfix_str(f"{name} {fold}")
                record = cached(cache_dir, dataset, name, fold, estimator, protocol,
                                lambda: _fit_and_predict(name, estimator, fold, dataset,
                                                         fit_rows, eval_rows, protocol,
                                                         (inspect or {}).get(name)),
                                fingerprint)
                records.append({**record, "model": name})
                bar.update()
    return records


def run(models: Mapping[str, Any], dataset: Dataset, protocol: Protocol = Protocol(),
        cache_dir: str | Path | None = None, progress: bool = True,
        return_predictions: bool = False, return_convergence: bool = False,
        inspect: Mapping[str, Any] | None = None):
    """Cross-validate every model, then fit it on the 80 % and score the hold-out once.

    Returns a tidy DataFrame (RESULT_COLUMNS): one row per model, fold ("fold0", ...,
    "holdout") and metric; ``n_train`` counts the rows fitted on before resampling, ``seed`` is
    the protocol's random_state, ``epochs`` and ``stopped_by`` say how a deep model's fit
    trained ("early_stopping" or "epoch_cap"; empty for the others). Add the profile and commit
    yourself: the rows do not depend on them. With ``return_predictions`` also a DataFrame of
    every fold's predictions (dataset, model, fold, sample_id, y_true, proba) for ROC curves and
    bootstrap intervals; with ``return_convergence`` also the per-epoch losses of every deep
    fit (CONVERGENCE_COLUMNS), after the predictions when both are asked for.

    With ``cache_dir`` each model x fold is written there as it finishes, under a key made of
    the model's parameters, the protocol, the data set's fingerprint and the package version; a
    rerun loads what is there and fits only what is missing. A model that raises stops the run
    with ModelFailedError naming the model and fold. ``inspect`` maps a model's name to
    ``f(pipeline, X_fit, feature_names, X_eval)``, whose plain-JSON result each of its fits
    stores as ``inspection`` (the hybrid's attention, read back by
    ``interpret.attention_stability``; predictions on perturbed test rows, ``robustness``).
    """
    if not models:
        raise ValueError("run() needs at least one model, e.g. baselines.baseline_models().")
    records = fold_records(models, dataset, protocol, cache_dir, progress, inspect)
    return tabulate(records, dataset, protocol, return_predictions, return_convergence)


def tabulate(records: list[dict], dataset: Dataset, protocol: Protocol,
             return_predictions: bool = False, return_convergence: bool = False):
    """``run``'s tables from the records ``fold_records`` returned, for a caller that also
    reads the records themselves (the privacy grid's attacks) and so fetches them once."""
    results = pd.DataFrame([
        {"dataset": dataset.name, "source": dataset.source, "model": r["model"],
         "fold": r["fold"], "metric": metric, "value": value, "fit_seconds": r["fit_seconds"],
         "predict_seconds": r["predict_seconds"], "peak_rss_mb": r["peak_rss_mb"],
         "n_train": r["n_train"], "n_test": r["n_test"], "seed": protocol.random_state,
         **fit_convergence(r.get("convergence"))}
        for r in records for metric, value in r["metrics"].items()], columns=RESULT_COLUMNS)
    extras = []
    if return_predictions:
        extras.append(pd.concat([
            pd.DataFrame({"dataset": dataset.name, "model": r["model"], "fold": r["fold"],
                          "sample_id": r["sample_ids"], "y_true": r["y_true"],
                          "proba": r["proba"]})
            for r in records], ignore_index=True))
    if return_convergence:
        extras.append(pd.DataFrame(
            [row for r in records for row in convergence_rows(dataset.name, r["model"],
                                                              r["fold"], r.get("convergence"))],
            columns=CONVERGENCE_COLUMNS))
    return (results, *extras) if extras else results


def summarise(results: pd.DataFrame, predictions: pd.DataFrame | None = None,
              confidence: float = 0.95) -> pd.DataFrame:
    """Per data set, model and metric: the CV mean with its Student-t interval over folds, and
    the hold-out value; with ``predictions`` (from ``run(..., return_predictions=True)``) also
    a stratified bootstrap interval of the hold-out value (seeded, see metrics.py)."""
    keys = ["dataset", "model", "metric"]
    rows = []
    for (dataset, model, metric), scores in results.groupby(keys, sort=False):
        cv = scores.loc[scores.fold != HOLDOUT, "value"].to_numpy()
        mean, low, high = t_interval(cv, confidence, metric_bounds(metric))
        holdout = scores.loc[scores.fold == HOLDOUT, "value"]
        row = {"dataset": dataset, "model": model, "metric": metric, "n_folds": len(cv),
               "cv_mean": mean, "cv_std": float(np.std(cv, ddof=1)) if len(cv) > 1 else np.nan,
               "cv_ci_low": low, "cv_ci_high": high,
               "holdout": float(holdout.iloc[0]) if len(holdout) else np.nan}
        if predictions is not None:
            held = _holdout_predictions(predictions, dataset, model)
            _, row["holdout_ci_low"], row["holdout_ci_high"] = bootstrap_interval(
                held.y_true, held.proba, metric, confidence=confidence)
        rows.append(row)
    return pd.DataFrame(rows)


def _holdout_predictions(predictions: pd.DataFrame, dataset: str, model: str) -> pd.DataFrame:
    held = predictions[(predictions.dataset == dataset) & (predictions.model == model)
                       & (predictions.fold == HOLDOUT)]
    if held.empty:
        raise ValueError(f"No hold-out predictions of model {model!r} on {dataset!r}.")
    return held.sort_values("sample_id")


def compare_cv(results: pd.DataFrame, model_a: str, model_b: str, metric: str = "auc",
               dataset: str | None = None) -> dict[str, float]:
    """Model a against model b on the same CV folds: Nadeau & Bengio's corrected resampled
    t-test (metrics.corrected_paired_t_test)."""
    chosen = results[(results.metric == metric) & (results.fold != HOLDOUT)]
    if dataset is not None:
        chosen = chosen[chosen.dataset == dataset]
    if chosen.dataset.nunique() > 1:
        raise ValueError(f"results hold several data sets ({sorted(chosen.dataset.unique())}); "
                         f"name one with dataset=.")
    table = chosen.pivot(index="fold", columns="model", values="value")
    missing = [m for m in (model_a, model_b) if m not in table]
    if missing:
        raise ValueError(f"No {metric!r} CV results for {missing}; models: {list(table)}.")
    table = table[[model_a, model_b]].dropna()
    sizes = chosen[chosen.model == model_a]
    return corrected_paired_t_test(table[model_a], table[model_b],
                                   n_train=sizes.n_train.mean(), n_test=sizes.n_test.mean())


def compare_holdout(predictions: pd.DataFrame, model_a: str, model_b: str, metric: str = "auc",
                    dataset: str | None = None, random_state: int = 0) -> dict[str, float]:
    """Model a against model b on the same hold-out rows: paired stratified bootstrap
    (metrics.paired_bootstrap_test)."""
    dataset = dataset if dataset is not None else predictions.dataset.iloc[0]
    a = _holdout_predictions(predictions, dataset, model_a)
    b = _holdout_predictions(predictions, dataset, model_b)
    if not np.array_equal(a.sample_id.to_numpy(), b.sample_id.to_numpy()):
        raise ValueError(f"{model_a!r} and {model_b!r} were not scored on the same hold-out rows.")
    return paired_bootstrap_test(a.y_true.to_numpy(), a.proba.to_numpy(), b.proba.to_numpy(),
                                 metric, random_state=random_state)
