"""The paper's method claims judged across datasets, with tests made for comparing classifiers
over several data sets (Demsar 2006, JMLR 7:1), chosen before any real result was read:

- "model better than rival" across datasets: the two-sided Wilcoxon signed-rank test on the
  per-dataset differences of CV means, less the claimed margin (exact for small counts). Each
  dataset counts once, whatever its size or spread; with six datasets the smallest possible
  p-value is 0.031, reached only when the model wins on all six.
- several models at once: the Friedman test on their ranks per dataset and Nemenyi's critical
  difference of mean ranks (the figure ``figures.critical_difference_figure`` draws).

Turning the tests into verdicts (the intersection-union rule, Holm's correction) is
``paper``'s job.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

SIGNIFICANCE = 0.05


def cv_means(summary: pd.DataFrame, metric: str, datasets) -> pd.DataFrame:
    """Datasets x models table of CV means of ``metric`` (``evaluation.summarise`` rows)."""
    rows = summary[(summary.metric == metric) & summary.dataset.isin(list(datasets))]
    return rows.pivot_table(index="dataset", columns="model", values="cv_mean")


def signed_rank_test(model: pd.Series, rival: pd.Series, margin: float = 0.0) -> dict:
    """``model`` against ``rival`` over the datasets both have (two Series indexed by dataset):
    the datasets, wins and losses, the median difference less ``margin`` and the Wilcoxon
    signed-rank p-value (1 when every difference is 0)."""
    both = pd.concat([model, rival], axis=1, keys=["model", "rival"]).dropna()
    differences = (both.model - both.rival - margin).to_numpy()
    nonzero = differences[differences != 0]
    p = 1.0 if len(nonzero) == 0 else float(stats.wilcoxon(nonzero).pvalue)
    return {"datasets": len(differences), "wins": int((differences > 0).sum()),
            "losses": int((differences < 0).sum()),
            "difference": float(np.median(differences)) if len(differences) else np.nan,
            "p_value": p}


def mean_ranks(means: pd.DataFrame) -> pd.Series:
    """Each model's rank averaged over the datasets (1 = best on a dataset, ties averaged),
    from a datasets x models table; datasets missing a model are left out."""
    complete = means.dropna()
    ranks = complete.rank(axis=1, ascending=False)
    return ranks.mean().sort_values()


def friedman_test(means: pd.DataFrame) -> float:
    """The Friedman test's p-value that every model ranks alike over the datasets (NaN with
    fewer than 3 models or 2 datasets)."""
    complete = means.dropna()
    if complete.shape[1] < 3 or complete.shape[0] < 2:
        return float("nan")
    return float(stats.friedmanchisquare(*complete.T.to_numpy()).pvalue)


def critical_difference(n_models: int, n_datasets: int,
                        significance: float = SIGNIFICANCE) -> float:
    """Nemenyi's critical difference of mean ranks: two models whose mean ranks differ by
    more differ at ``significance`` (Demsar 2006, section 3.2.2)."""
    q = stats.studentized_range.ppf(1 - significance, n_models, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(n_models * (n_models + 1) / (6 * n_datasets)))
