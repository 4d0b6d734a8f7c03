"""The nested random search: equal budgets, fold-internal, seeded."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from evaluation_helpers import Recorder, SpyClassifier, synthetic_dataset
from genomics_hybrid import preprocess, tuning
from genomics_hybrid.evaluation import Protocol, ProtocolError, fold_records, split

QUIET = {"progress": False}


def test_the_search_never_sees_the_outer_test_rows(monkeypatch):
    """Every pipeline the search fits (inner folds included) starts from rows of the outer
    training fold only; the chosen settings then fit the whole fold."""
    monkeypatch.setitem(tuning.SEARCH_SPACES, "SpyClassifier", {"version": [1, 2, 3]})
    dataset = synthetic_dataset(n=100)
    row_index = {row.tobytes(): i for i, row in enumerate(dataset.X)}
    raw_fits = []
    original_fit = preprocess.VarianceFilter.fit

    def recording_fit(self, X, y=None):
        raw_fits.append({row_index[row.tobytes()] for row in np.asarray(X)})
        return original_fit(self, X, y)

    monkeypatch.setattr(preprocess.VarianceFilter, "fit", recording_fit)
    protocol = Protocol(n_folds=3, tuning={"n_iter": 2, "inner_folds": 2})
    records = fold_records({"spy": SpyClassifier(Recorder())}, dataset, protocol, **QUIET)
    parts = split(dataset, protocol)
    outer = [(set(f.tolist()), set(v.tolist())) for f, v in parts.folds] + \
        [(set(parts.train.tolist()), set(parts.test.tolist()))]
    per_fit = 2 * 2 + 1                      # 2 configurations x 2 inner folds, then the refit
    assert len(raw_fits) == len(outer) * per_fit
    for i, (fit_rows, test_rows) in enumerate(outer):
        seen = raw_fits[i * per_fit:(i + 1) * per_fit]
        assert all(rows <= fit_rows and not rows & test_rows for rows in seen)
        assert seen[-1] == fit_rows
    assert all(r["tuned_params"]["version"] in (1, 2, 3) for r in records)


def test_random_search_is_seeded_and_picks_the_best_mean_score():
    X = np.random.default_rng(0).random((60, 3))
    y = (X[:, 0] > 0.5).astype(int)

    def by_c(candidate, fit, held):           # a score that prefers C = 0.3
        return -abs(np.log(candidate.C / 0.3))
    best, tried = tuning.random_search(LogisticRegression(), X, y, 7, 3, by_c, random_state=1)
    assert best == {"C": 0.3} and len(tried) == 7    # all 7 values of C's space
    again, _ = tuning.random_search(LogisticRegression(), X, y, 3, 3, by_c, random_state=5)
    assert again == tuning.random_search(LogisticRegression(), X, y, 3, 3, by_c,
                                         random_state=5)[0]
    assert tuning.random_search(object(), X, y, 3, 3, by_c) == ({}, [])    # no space
    assert {row["model"] for row in tuning.describe_spaces({"lr": LogisticRegression()})} == \
        {"lr"}


@pytest.mark.parametrize("bad", [{"n_iter": -1}, {"n_iter": 2, "inner_folds": 1},
                                 {"iterations": 3}, {"n_iter": 2.5}])
def test_bad_tuning_settings_are_named(bad):
    with pytest.raises(ProtocolError, match="tuning must be"):
        Protocol(tuning=bad)


def test_the_cnn_alone_searches_only_the_settings_it_uses():
    from genomics_hybrid.model import HybridClassifier
    assert set(tuning.search_space(HybridClassifier(variant="cnn_only"))) == {"lr", "dropout"}
    assert "n_selected" in tuning.search_space(HybridClassifier())
