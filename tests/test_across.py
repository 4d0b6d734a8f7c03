"""Tests across datasets on hand-made CV means whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from genomics_hybrid import across

DATASETS = [f"d{i}" for i in range(6)]


def test_six_wins_out_of_six_reach_the_smallest_p_value():
    model = pd.Series([0.90, 0.91, 0.92, 0.93, 0.94, 0.95], index=DATASETS)
    rival = model - [0.05, 0.01, 0.02, 0.03, 0.04, 0.06]
    test = across.signed_rank_test(model, rival)
    assert test["wins"] == 6 and test["losses"] == 0 and test["datasets"] == 6
    assert test["p_value"] == pytest.approx(2 / 64)
    assert test["difference"] == pytest.approx(0.035)
    # less a margin of 0.035, half the datasets fall short: no evidence either way
    short = across.signed_rank_test(model, rival, margin=0.035)
    assert short["wins"] == 3 and short["losses"] == 3 and short["p_value"] > 0.5
    # five datasets can never reach p < 0.05
    assert across.signed_rank_test(model[:5], rival[:5])["p_value"] == pytest.approx(2 / 32)


def test_equal_scores_give_no_evidence():
    same = pd.Series(0.9, index=DATASETS)
    assert across.signed_rank_test(same, same)["p_value"] == 1.0


def test_ranks_friedman_and_the_critical_difference():
    means = pd.DataFrame({"best": [0.95] * 6, "middle": [0.90] * 6, "worst": [0.80] * 6},
                         index=DATASETS)
    ranks = across.mean_ranks(means)
    assert ranks.to_dict() == {"best": 1.0, "middle": 2.0, "worst": 3.0}
    assert across.friedman_test(means) < 0.01
    # Demsar 2006, Table 5: q_0.05 = 2.949 for seven models
    assert across.critical_difference(7, 6) == pytest.approx(2.949 * np.sqrt(56 / 36), rel=1e-3)
    assert np.isnan(across.friedman_test(means[["best", "worst"]]))
