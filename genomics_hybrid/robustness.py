"""Robustness (the paper's Tables 9-11): models trained on clean folds, scored on test rows
that were perturbed, and the stability of gene selection when the training rows carry noise.

The paper: "its performance drop under perturbation remained below 3.5 %" (ENCSR000AED) and
"the proposed model kept accuracy above 90 % [...] under noise" (TCGA-BRCA), with Gaussian
perturbation of the inputs and the stability of feature selection named, and no magnitudes.
Ours, stated before any result was looked at:

- **Gaussian perturbation** of every test value, sigma in units of the gene's min-max range on
  the training rows, at the sigmas of the privacy grid's noise curve (``experiments.
  LEVEL_NOISE``: low 1/16, medium 1/4, high 1; plus the profile's other curve points), so
  "under noise" means the same magnitudes on every page of the book;
- **gene dropout**: each test value set to 0 with probability 0.1 or 0.3 (as a sequencing
  dropout would);
- the claims are judged as Table 8's: on the worse of the medium and high levels.

Every fit of the comparison scores its own perturbed copies of its test rows
(``perturbed_predictions``, an ``evaluation`` inspection: no model is trained for it), each
perturbation drawn with a fixed seed, the same for every model. The drop is the clean accuracy
minus the perturbed one, per CV fold; its interval is Student's t over the folds.
Gene-selection stability: the Jaccard index of the top-k attention genes of a fit on noised
training rows (the privacy grid's uniform and Algorithm 4 cells) and of the unprotected fit on
the same fold (``experiments.run_privacy_grid`` reports it per cell).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .evaluation import HOLDOUT, positive_proba
from .interpret.rankings import jaccard
from .metrics import classification_metrics, metric_bounds, t_interval

GENE_DROPOUT = (0.1, 0.3)
PERTURBATION_SEED = 0
ROBUSTNESS_COLUMNS = ("dataset", "model", "fold", "perturbation", "amount", "metric", "clean",
                      "perturbed", "drop")


def perturb(X_eval: np.ndarray, X_fit: np.ndarray, perturbation: str, amount: float,
            seed: int = PERTURBATION_SEED) -> np.ndarray:
    """A perturbed copy of the test rows: ``"gaussian"`` adds noise of sigma ``amount`` times
    each gene's min-max range on the training rows; ``"dropout"`` sets each value to 0 with
    probability ``amount``. Seeded: every model sees the same perturbed rows."""
    rng = np.random.default_rng(seed)
    X_eval = np.asarray(X_eval, dtype=np.float32)
    if perturbation == "gaussian":
        spread = np.ptp(np.asarray(X_fit, dtype=np.float32), axis=0)
        return (X_eval + rng.standard_normal(X_eval.shape, dtype=np.float32)
                * np.float32(amount) * spread).astype(np.float32)
    if perturbation == "dropout":
        return np.where(rng.random(X_eval.shape) < amount, np.float32(0), X_eval)
    raise ValueError(f"perturbation must be 'gaussian' or 'dropout', got {perturbation!r}.")


def perturbations(sigmas: Iterable[float], rates: Iterable[float] = GENE_DROPOUT
                  ) -> list[tuple[str, float]]:
    """(perturbation, amount) pairs: Gaussian at each sigma, then dropout at each rate."""
    return ([("gaussian", float(s)) for s in sorted(set(sigmas))]
            + [("dropout", float(r)) for r in sorted(set(rates))])


def perturbed_predictions(pairs: Sequence[tuple[str, float]]) -> Callable:
    """An ``evaluation`` inspection: the fitted pipeline's positive-class probability on each
    perturbed copy of the test rows (plain JSON values)."""
    def inspect(pipeline, X_fit, feature_names, X_eval) -> dict[str, Any]:
        return {"perturbed": [
            {"perturbation": kind, "amount": amount,
             "proba": positive_proba(pipeline, perturb(X_eval, X_fit, kind, amount)).tolist()}
            for kind, amount in pairs]}
    return inspect


def robustness_results(records: Iterable[Mapping[str, Any]], dataset: str) -> pd.DataFrame:
    """Tidy rows (ROBUSTNESS_COLUMNS) from fold records that carry ``perturbed_predictions``:
    per model, fold, perturbation and metric, the clean score, the perturbed one and the drop.
    Records without them (a fit cached before the inspection existed) are left out."""
    rows = []
    for record in records:
        y = np.asarray(record["y_true"])
        for entry in (record.get("inspection") or {}).get("perturbed", ()):
            perturbed = classification_metrics(y, np.asarray(entry["proba"]))
            for metric, clean in record["metrics"].items():
                rows.append({"dataset": dataset, "model": record["model"],
                             "fold": record["fold"], "perturbation": entry["perturbation"],
                             "amount": entry["amount"], "metric": metric, "clean": clean,
                             "perturbed": perturbed[metric], "drop": clean - perturbed[metric]})
    return pd.DataFrame(rows, columns=ROBUSTNESS_COLUMNS)


def summarise_robustness(results: pd.DataFrame) -> pd.DataFrame:
    """Per dataset, model, perturbation, amount and metric: the CV means of the clean and the
    perturbed score (with its 95 % Student-t interval over the CV folds), the mean drop with
    its interval, and the hold-out's drop."""
    rows = []
    keys = ["dataset", "model", "perturbation", "amount", "metric"]
    for key, part in results.groupby(keys, sort=False):
        folds = part[part.fold != HOLDOUT]
        drop, low, high = t_interval(folds["drop"])
        perturbed, perturbed_low, perturbed_high = t_interval(
            folds.perturbed, bounds=metric_bounds(key[-1]))   # an accuracy interval stops at 1
        held = part.loc[part.fold == HOLDOUT, "drop"]
        rows.append({**dict(zip(keys, key)), "n_folds": len(folds), "clean": folds.clean.mean(),
                     "perturbed": perturbed, "perturbed_ci_low": perturbed_low,
                     "perturbed_ci_high": perturbed_high, "drop": drop, "drop_ci_low": low,
                     "drop_ci_high": high,
                     "holdout_drop": held.iloc[0] if len(held) else np.nan})
    return pd.DataFrame(rows)


def selection_jaccard(noised: Iterable[Mapping[str, Any]],
                      clean: Iterable[Mapping[str, Any]], k: int) -> float:
    """Mean over the CV folds of the Jaccard index between the top-k attention genes of a fit
    on noised training rows and of the unprotected fit on the same fold (the records'
    ``interpret.attention_record`` inspection); NaN when no fold recorded k genes in both."""
    def tops(records):
        return {r["fold"]: r["inspection"]["attention_genes"][:k] for r in records
                if r["fold"] != HOLDOUT
                and len(((r.get("inspection") or {}).get("attention_genes") or ())) >= k}
    a, b = tops(noised), tops(clean)
    shared = sorted(set(a) & set(b))
    return float(np.mean([jaccard(a[f], b[f]) for f in shared])) if shared else np.nan
