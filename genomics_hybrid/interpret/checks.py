"""Checks that fit models: the stability of the hybrid's top attention genes across CV folds and
seeds (``attention_stability``, reading the comparison's cached fits where it can), the reference
rankings that need no hybrid (L1 logistic coefficients, ANOVA F) and precision@k of four rankings,
permutation importance included, against a replica's planted genes (``ground_truth_precision``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.feature_selection import f_classif
from sklearn.inspection import permutation_importance
from sklearn.metrics import log_loss

from .._arrays import blockwise, check_top_k
from ..cache import cached_record
from ..datasets import Dataset
from ..evaluation import Protocol, fold_records, split, split_names
from ..model import HybridClassifier
from ..preprocess import make_pipeline
from .introspection import _fitted, attention
from .rankings import _check_truth, precision_at_k, top_genes, top_k_jaccard


# -- stability across folds and seeds -----------------------------------------------------------

@dataclass(frozen=True)
class AttentionStability:
    """Global attention per (seed, fold) and the top-k Jaccard of the pairs that differ in one.

    ``pairs`` columns: ``comparison`` ("across folds": same seed; "across seeds": same fold),
    ``a``, ``b`` (the (seed, fold) keys) and ``jaccard``.
    """

    k: int
    rankings: dict[tuple[int, int], pd.Series]
    pairs: pd.DataFrame


# Genes of a fit's attention ranking that the per-fold cache keeps (``attention_record``).
STORED_GENES = 200


def attention_record(pipeline, X_fit, feature_names, X_eval=None) -> dict:
    """The top ``STORED_GENES`` of ``attention(pipeline, X_fit)`` as plain JSON values: what a
    hybrid fit of ``evaluation.run`` stores (``inspect``), so that ``attention_stability`` reads
    the comparison's fits instead of fitting them again. ``X_eval`` (the fit's test rows) is not
    used: every inspection is handed them."""
    ranking = attention(pipeline, X_fit, feature_names).head(STORED_GENES)
    return {"attention_genes": [str(g) for g in ranking.index],
            "attention_scores": ranking.tolist()}


def _stored_attention(cache_dir, dataset: Dataset, fold: str, estimator, protocol: Protocol,
                      k: int) -> pd.Series | None:
    """The attention ranking a cached fit of ``estimator`` on CV fold ``fold`` ("fold0", ...)
    recorded, if it holds at least k genes; else None."""
    record = cached_record(cache_dir, dataset, fold, estimator, protocol)
    stored = (record or {}).get("inspection") or {}
    if len(stored.get("attention_genes", ())) < k:
        return None
    return _ranking(stored)


def _ranking(stored: dict) -> pd.Series:
    """The attention ranking an ``attention_record`` holds, as ``attention`` returns it."""
    return pd.Series(stored["attention_scores"], name="attention",
                     index=pd.Index(stored["attention_genes"], name="gene"))


def attention_stability(dataset: Dataset, k: int = 20, seeds: Sequence[int] = (0,),
                        protocol: Protocol = Protocol(), cache_dir=None,
                        **model_params) -> AttentionStability:
    """Fit the hybrid on the training rows of every CV fold of ``evaluation.split``, once per seed,
    and compare the top-k attention genes.

    Each fit is the protocol's pipeline (``make_pipeline`` with ``protocol.preprocessing``,
    seeded with the protocol's seed) around ``HybridClassifier(random_state=seed,
    **model_params)``; attention is read on that fold's training rows. The split and the
    resampling stay fixed (``protocol``'s seed), so "across seeds" measures the model's own
    training randomness (weights, batches, dropout), as ``benchmarks/convergence.py``'s seeds do.
    Cost: ``len(seeds) x n_folds`` fits: keep it cheap with small ``model_params`` (e.g.
    ``max_epochs``) and ``Protocol(n_folds=...)``. With ``cache_dir``, the fits are read from
    the per-fold cache where a run stored them with their attention (``attention_record``: the
    protocol's own seed is the comparison's hybrid, the others ``experiments.fit_plans
    ("stability")``, both fitted by ``jobs``), and the other seeds' fits are stored there.
    """
    folds = split(dataset, protocol).folds
    cv = split_names(len(folds))[:-1]
    rankings = {}
    for seed in seeds:
        estimator = HybridClassifier(random_state=seed, **model_params)
        if seed != protocol.random_state:
            records = fold_records({"hybrid": estimator}, dataset, protocol, cache_dir,
                                   progress=False, inspect={"hybrid": attention_record},
                                   folds=cv)
            for fold, record in enumerate(records):
                rankings[seed, fold] = _ranking(record["inspection"])
            continue
        for fold, (fit_rows, _) in enumerate(folds):
            stored = None
            if cache_dir is not None:
                stored = _stored_attention(cache_dir, dataset, cv[fold], estimator, protocol,
                                           k)
            if stored is not None:
                rankings[seed, fold] = stored
                continue
            pipeline = make_pipeline(estimator, random_state=seed, **protocol.preprocessing)
            pipeline.fit(dataset.X[fit_rows], dataset.y[fit_rows])
            rankings[seed, fold] = attention(pipeline, dataset.X[fit_rows], dataset.feature_names)
    groups = {"across folds": [[(s, f) for f in range(len(folds))] for s in seeds],
              "across seeds": [[(s, f) for s in seeds] for f in range(len(folds))]}
    pairs = [(comparison, a, b, value)
             for comparison, members in groups.items() for keys in members if len(keys) > 1
             for (a, b), value in top_k_jaccard({key: rankings[key] for key in keys}, k).items()]
    return AttentionStability(k, rankings,
                              pd.DataFrame(pairs, columns=["comparison", "a", "b", "jaccard"]))


# -- correctness on known truth -----------------------------------------------------------------

def _f_scores(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ANOVA F of every column (0 where undefined: constant columns), a block of columns at a
    time (``blockwise``: bounds the F statistic's float64 working copy)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # "Features ... are constant."
        scores = blockwise(lambda columns: f_classif(columns, y)[0], X, axis=1)
    return np.nan_to_num(scores)


def _l1_coefficients(dataset: Dataset, rows: np.ndarray, random_state: int) -> pd.Series:
    """|coefficients| of the baselines' L1 logistic regression on min-max scaled training rows."""
    from ..baselines import baseline_models  # baselines imports the model: keep the import local

    pipeline = make_pipeline(baseline_models(random_state)["l1_logistic"], smote=False,
                             undersample=False, augment=False, random_state=random_state)
    pipeline.fit(dataset.X[rows], dataset.y[rows])
    names = pipeline[:-1].get_feature_names_out(dataset.feature_names)
    return pd.Series(np.abs(pipeline[-1].coef_[0]), index=names)


def reference_rankings(dataset: Dataset, train_rows, random_state: int = 0) -> dict:
    """Two rankings of every gene that need no hybrid model, from the training rows only: the
    baselines' L1 logistic |coefficients| (min-max scaled) and the ANOVA F statistic."""
    train_rows = np.asarray(train_rows)
    return {"L1 logistic |coefficient|": _l1_coefficients(dataset, train_rows, random_state),
            "ANOVA F (training rows)": pd.Series(
                _f_scores(dataset.X[train_rows], dataset.y[train_rows]),
                index=dataset.feature_names)}


def _permutation_scores(model, dataset: Dataset, test_rows: np.ndarray,
                        candidates: np.ndarray, n_repeats: int, random_state: int) -> pd.Series:
    """Mean rise in held-out log loss when one candidate column is shuffled (the others stay).

    Log loss, not AUC: a model that separates the held-out rows perfectly keeps AUC 1 under
    most single shuffles, which would score nearly every gene 0."""
    X_test = dataset.X[test_rows]

    def negative_log_loss(estimator, X_candidates, y):
        X_full = X_test.copy()
        X_full[:, candidates] = X_candidates
        proba = estimator.predict_proba(X_full)   # float32 softmax: rows sum to 1 +- 1e-7
        return -log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=estimator.classes_)

    result = permutation_importance(model, X_test[:, candidates], dataset.y[test_rows],
                                    scoring=negative_log_loss, n_repeats=n_repeats,
                                    random_state=random_state, n_jobs=1)
    return pd.Series(result.importances_mean, index=dataset.feature_names[candidates])


def ground_truth_precision(model, dataset: Dataset, train_rows, test_rows, k: int = 20, *,
                           n_candidates: int = 200, n_repeats: int = 5,
                           random_state: int = 0) -> pd.DataFrame:
    """Precision@k of four gene rankings against a replica's planted informative genes.

    ``model`` (a HybridClassifier, or a pipeline ending in one) must have been fitted on
    ``dataset``'s ``train_rows`` only. The rankings:

    - ``hybrid attention``: its global TabNet attention over the training rows;
    - ``L1 logistic |coefficient|``: the baselines' L1 logistic regression fitted on the min-max
      scaled training rows;
    - ``ANOVA F (training rows)``: the univariate F statistic, a label-aware filter as reference;
    - ``permutation importance``: scikit-learn's ``permutation_importance`` of the hybrid on the
      held-out ``test_rows`` (rise in log loss, ``n_repeats`` shuffles). Shuffling each of 23,686
      genes is too slow, so only ``n_candidates`` genes are shuffled: those with the largest
      training-row F among the genes that reach the classifier (a pipeline's variance filter
      may drop some; shuffling those changes nothing). The others rank below them. This
      pre-selection favours genes with a marginal class difference (all planted effects here
      are such shifts): it caps what this ranking can find at what the F filter finds.

    ``chance`` is the precision of a random ranking (informative genes / features).
    ``n_above_zero`` counts the genes a ranking scores above 0: where it is below k (L1 zeroes
    most coefficients; shuffling a gene the model ignores raises no loss), the rest of the top
    k is the order of ties or noise (for permutation importance: the F order), not a finding.
    """
    truth = dataset.info.get("ground_truth", {}).get("informative_features")
    if truth is None:
        raise ValueError(f"{dataset.name!r} carries no planted truth (info['ground_truth']); "
                         f"only the replicas do. For pbmc68k compare with literature markers: "
                         f"marker_overlap(attention(...), k).")
    train_rows, test_rows = np.asarray(train_rows), np.asarray(test_rows)
    shared = np.intersect1d(train_rows, test_rows)
    if shared.size:
        raise ValueError(f"train_rows and test_rows share {shared.size} rows: permutation "
                         f"importance must be measured on rows the model never saw.")
    universe = dataset.feature_names
    truth = _check_truth(truth, universe)
    reaching = np.flatnonzero(np.isin(universe, _fitted(model, feature_names=universe).names))
    check_top_k(k, min(n_candidates, len(reaching)), "permutation candidates (n_candidates) or "
             "genes reaching the classifier, whichever is fewer")
    references = reference_rankings(dataset, train_rows, random_state)
    f_scores = references["ANOVA F (training rows)"]
    candidates = reaching[np.argsort(-f_scores.to_numpy()[reaching], kind="stable")]
    candidates = candidates[:n_candidates]
    rankings = {
        "hybrid attention": attention(model, dataset.X[train_rows], universe),
        **references,
        "permutation importance": _permutation_scores(model, dataset, test_rows, candidates,
                                                      n_repeats, random_state),
    }
    rows = []
    for method, ranking in rankings.items():
        top = top_genes(ranking, k)
        rows.append({"method": method, "k": k, "precision": precision_at_k(top, truth, k),
                     "hits": [gene for gene in top if gene in truth], "top_genes": top,
                     "n_above_zero": int((ranking > 0).sum()), "n_truth": len(truth),
                     "n_features": len(universe), "chance": len(truth) / len(universe)})
    return pd.DataFrame(rows)
