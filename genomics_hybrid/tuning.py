"""The paper's tuning, with equal budgets: a random search nested inside each training fold.

The paper: hyperparameters were tuned "using grid search or random search with cross-validation";
it names no search space and no budget. Ours: for every model, the same number of configurations
(``n_iter``) drawn from its space below (``SEARCH_SPACES``, by estimator class), each scored by
the mean AUC over ``inner_folds`` stratified folds of the outer training rows only, with the
whole preprocessing pipeline (filter, scaling, SMOTE, augmentation) refitted inside every inner
fold; the best configuration is then fitted on all the outer training rows
(``evaluation.Protocol.tuning``). The outer test fold and the hold-out are never seen by the
search, so the CV estimate stays honest. With ``n_iter`` 0 nothing is tuned: every model keeps
the settings ``baselines.baseline_models`` and the profile give it.

The spaces are small, discrete and written out, so the book can list them; they cover each
model's usual knobs around the defaults, not a region picked from results.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import ParameterSampler, StratifiedGroupKFold, StratifiedKFold

SEARCH_SPACES: dict[str, dict[str, list]] = {
    "HybridClassifier": {"lr": [0.005, 0.01, 0.02, 0.05], "tabnet_lr": [0.01, 0.02, 0.05],
                         "n_selected": [32, 64, 128, 256], "dropout": [0.0, 0.1, 0.3],
                         "n_steps": [3, 4, 5]},
    # the CNN alone has no TabNet stage: only its own settings are searched
    "HybridClassifier/cnn_only": {"lr": [0.005, 0.01, 0.02, 0.05], "dropout": [0.0, 0.1, 0.3]},
    "StockTabNetClassifier": {"lr": [0.005, 0.01, 0.02, 0.05], "n_d": [8, 16, 32],
                              "n_steps": [3, 4, 5], "gamma": [1.0, 1.3, 1.5]},
    "MLPClassifier": {"lr": [1e-4, 3e-4, 1e-3, 3e-3], "dropout": [0.0, 0.2, 0.5],
                      "weight_decay": [0.0, 1e-4, 1e-3]},
    "LogisticRegression": {"C": [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]},
    "RandomForestClassifier": {"n_estimators": [100, 300, 500],
                               "max_features": ["sqrt", "log2", 0.1],
                               "min_samples_leaf": [1, 2, 5]},
    "HistGradientBoostingClassifier": {"learning_rate": [0.03, 0.1, 0.3],
                                       "max_leaf_nodes": [15, 31, 63],
                                       "l2_regularization": [0.0, 0.1, 1.0]},
}


def search_space(estimator) -> dict[str, list]:
    """The space of an estimator's class (a hybrid variant may have its own, keyed
    ``"HybridClassifier/<variant>"``); an empty one (nothing tuned) for a class not listed."""
    name = type(estimator).__name__
    variant = f"{name}/{getattr(estimator, 'variant', '')}"
    return SEARCH_SPACES.get(variant, SEARCH_SPACES.get(name, {}))


def random_search(estimator, X: np.ndarray, y: np.ndarray, n_iter: int, inner_folds: int,
                  fit_and_score: Callable[[Any, np.ndarray, np.ndarray], float],
                  random_state: int = 0, groups: np.ndarray | None = None
                  ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The configuration with the best mean inner score, and every configuration's scores.

    ``fit_and_score(estimator, fit_rows, eval_rows)`` fits a fresh pipeline of ``estimator`` on
    ``fit_rows`` of (X, y) and returns its score on ``eval_rows`` (``evaluation`` passes one
    that refits the whole preprocessing): nothing outside (X, y) is touched. The same seed
    draws the same configurations and folds for every run; with ``groups`` the inner folds
    keep each group on one side, as the outer ones."""
    space = search_space(estimator)
    if not space or n_iter < 1:
        return {}, []
    configurations = list(ParameterSampler(space, n_iter, random_state=random_state))
    splitter = (StratifiedKFold if groups is None else StratifiedGroupKFold)(
        inner_folds, shuffle=True, random_state=random_state)
    folds = list(splitter.split(X, y, groups))
    tried = []
    for configuration in configurations:
        candidate = clone(estimator).set_params(**configuration)
        scores = [fit_and_score(candidate, fit, held) for fit, held in folds]
        tried.append({"params": configuration, "mean_score": float(np.mean(scores)),
                      "scores": [float(s) for s in scores]})
    best = max(tried, key=lambda entry: entry["mean_score"])    # first of equals: seeded order
    return dict(best["params"]), tried


def describe_spaces(models: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per model and tuned setting, with its candidate values (for the book)."""
    return [{"model": name, "setting": setting, "values": ", ".join(map(str, values))}
            for name, model in models.items()
            for setting, values in search_space(model).items()]
