"""Rankings and their statistics, on gene rankings already computed (no model is fitted or read
here): the top k of a ranking, precision@k against known truth, top-k Jaccard between rankings,
overlap with known markers (hypergeometric test), which genes count as known for a dataset
(``known_genes``: ``info["ground_truth"]`` or ``info["known_markers"]``) and the tables the book
shows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import combinations
from typing import Mapping, Sequence

import pandas as pd
from scipy.stats import hypergeom

from .._arrays import check_top_k
from ..datasets import Dataset
from ..datasets.bundled import B_CELL_MARKERS


def known_genes(dataset: Dataset) -> tuple[tuple[str, ...], str]:
    """The genes a dataset's explanations are held against, and what to call them: a replica's
    planted informative genes (``info["ground_truth"]``), the markers its loader lists
    (``info["known_markers"]``: pbmc68k's B-cell markers, ``datasets.bundled.B_CELL_MARKERS``;
    the genes the paper names for the TCGA-BRCA subset), else none ("known")."""
    truth = dataset.info.get("ground_truth", {}).get("informative_features")
    if truth is not None:
        return tuple(truth), "planted informative"
    markers = dataset.info.get("known_markers")
    if markers:
        return tuple(markers["genes"]), markers["label"]
    return (), "known"


# -- rankings -----------------------------------------------------------------------------------

def top_genes(ranking: pd.Series | Sequence[str], k: int) -> list[str]:
    """The first k genes of a ranking: a Series of scores (largest first) or names, best first.

    Warns when the k-th and (k+1)-th scores tie (e.g. genes sparsemax never attends to): the
    top-k set then depends on how ties happen to be ordered.
    """
    if isinstance(ranking, pd.Series):
        ranking = ranking.sort_values(ascending=False, kind="stable")
        check_top_k(k, len(ranking), "ranked genes")
        if k < len(ranking) and ranking.iloc[k - 1] == ranking.iloc[k]:
            warnings.warn(f"The genes ranked {k} and {k + 1} tie at score "
                          f"{ranking.iloc[k]:.3g}: the top-{k} set depends on the order of ties.",
                          stacklevel=2)
        return ranking.index[:k].tolist()
    ranking = list(ranking)
    check_top_k(k, len(ranking), "ranked genes")
    return ranking[:k]


def _check_truth(truth: Sequence[str], universe: Sequence[str]) -> set[str]:
    truth, universe = set(truth), set(universe)
    missing = sorted(truth - universe)
    if missing:
        raise ValueError(f"{len(missing)} of the {len(truth)} truth genes are not among the "
                         f"{len(universe)} ranked genes (e.g. {missing[:5]}): rank every feature "
                         f"of the data set the truth belongs to (names are case-sensitive).")
    return truth


def precision_at_k(ranking: pd.Series | Sequence[str], truth: Sequence[str], k: int,
                   universe: Sequence[str] | None = None) -> float:
    """Share of the top-k genes that are in ``truth``.

    The truth genes must all be in ``universe`` (default: the ranking's genes when it is a
    Series of scores), else a ranking that lost some of them would look worse for a wrong reason.
    """
    if universe is None and isinstance(ranking, pd.Series):
        universe = ranking.index
    truth = _check_truth(truth, universe) if universe is not None else set(truth)
    return sum(gene in truth for gene in top_genes(ranking, k)) / k


def jaccard(a, b) -> float:
    """|a & b| / |a | b| of two gene sets (1.0 for two empty sets)."""
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 1.0


def top_k_jaccard(rankings: Mapping[object, pd.Series | Sequence[str]] | Sequence,
                  k: int) -> pd.Series:
    """Jaccard overlap of the top-k genes of every pair of rankings (e.g. CV folds or seeds).

    ``rankings``: a mapping label -> ranking, or a list (labelled 0, 1, ...). Returns one value
    per pair, indexed by the pair's labels; ``.mean()`` is the usual stability summary.
    """
    if not isinstance(rankings, Mapping):
        rankings = dict(enumerate(rankings))
    if len(rankings) < 2:
        raise ValueError(f"Stability needs at least two rankings, got {len(rankings)}.")
    tops = {label: top_genes(ranking, k) for label, ranking in rankings.items()}
    pairs = list(combinations(tops, 2))
    return pd.Series([jaccard(tops[a], tops[b]) for a, b in pairs],
                     index=pd.MultiIndex.from_tuples(pairs, names=["a", "b"]),
                     name=f"jaccard_top{k}")


def ranking_table(rankings: Mapping[tuple[str, str], pd.Series], n: int = 10) -> pd.DataFrame:
    """The first n genes of several rankings side by side, for display: per ranking, keyed by
    (genes column, score column), its genes and their scores rounded to 4 decimals."""
    columns = {}
    for (genes, score), ranking in rankings.items():
        top = ranking.head(n)
        columns[genes] = top.index
        columns[score] = top.to_numpy().round(4)
    return pd.DataFrame(columns)


def stability_summary(pairs: pd.DataFrame, by: str | Sequence[str] = "comparison") -> pd.DataFrame:
    """Mean, min, max and count of the top-k Jaccard overlaps (``AttentionStability.pairs``, or
    the tidy ``interpretability_stability`` files of several datasets), per ``by`` group."""
    return pairs.groupby(by if isinstance(by, str) else list(by)).jaccard.agg(
        ["mean", "min", "max", "count"])


# -- tables for the book ------------------------------------------------------------------------

PRECISION_COLUMNS = ["method", "k", "precision", "chance", "n_above_zero", "n_truth"]


def precision_table(precision: pd.DataFrame | None) -> pd.DataFrame:
    """``ground_truth_precision``'s rows in the columns the book shows (``PRECISION_COLUMNS``);
    an empty table where there was no planted truth to measure against (None)."""
    return pd.DataFrame() if precision is None else precision[PRECISION_COLUMNS]


@dataclass(frozen=True)
class MarkerOverlap:
    """Which top-k genes are known markers, and how surprising that many would be by chance.

    ``p_value``: hypergeometric P(at least ``len(hits)`` markers among k genes drawn at random
    from the ``universe_size`` ranked genes, ``n_markers`` of which are markers).
    """

    k: int
    hits: list[str]
    n_markers: int
    missing: list[str]
    universe_size: int
    expected: float
    p_value: float


def marker_overlap(ranking: pd.Series | Sequence[str], k: int = 20,
                   markers: Sequence[str] = B_CELL_MARKERS,
                   universe: Sequence[str] | None = None) -> MarkerOverlap:
    """The top-k genes of ``ranking`` that are in ``markers`` (default: ``B_CELL_MARKERS``, for
    pbmc68k), against the gene universe (default: the ranked genes). Markers outside the
    universe are listed in ``missing`` and left out of the test."""
    if universe is None:
        universe = ranking.index if isinstance(ranking, pd.Series) else ranking
    universe = set(universe)
    present = [gene for gene in markers if gene in universe]
    if not present:
        raise ValueError(f"None of the {len(markers)} markers is among the {len(universe)} "
                         f"ranked genes: check the gene naming (symbols, case).")
    hits = [gene for gene in top_genes(ranking, k) if gene in set(present)]
    return MarkerOverlap(
        k=k, hits=hits, n_markers=len(present),
        missing=[gene for gene in markers if gene not in universe],
        universe_size=len(universe), expected=k * len(present) / len(universe),
        p_value=float(hypergeom.sf(len(hits) - 1, len(universe), len(present), k)))


def marker_table(markers: Mapping[str, MarkerOverlap]) -> pd.DataFrame:
    """One row per ranking method of ``marker_overlap`` results (method -> MarkerOverlap): the
    markers found in its top k, how many were there to find, the count expected by chance and
    the hypergeometric p-value. Empty (no columns) when there are none."""
    return pd.DataFrame([
        {"method": method, "k": m.k, "markers found": ", ".join(m.hits), "n_found": len(m.hits),
         "markers present": m.n_markers, "expected by chance": round(m.expected, 2),
         "p_value": m.p_value} for method, m in markers.items()])


def tidy_tables(dataset_name: str, attention: pd.Series, precision: pd.DataFrame,
                markers: pd.DataFrame, stability: pd.DataFrame,
                n_attention: int = 50) -> dict[str, pd.DataFrame]:
    """Notebook 05's tidy files (``interpretability_<name>.csv``), each with a ``dataset``
    column: ``precision`` and ``markers`` (the tables above; empty stays empty), ``stability``
    (the Jaccard pairs) and ``attention`` (the top ``n_attention`` genes and their share)."""
    top = attention.head(n_attention).rename_axis("gene").reset_index()
    top.insert(0, "dataset", dataset_name)
    return {"precision": precision.assign(dataset=dataset_name) if len(precision) else precision,
            "markers": markers.assign(dataset=dataset_name) if len(markers) else markers,
            "stability": stability.assign(dataset=dataset_name), "attention": top}
