"""The paper's reported numbers: every claim is quoted from the paper text, and every number in
the file stands in its quote."""

import re
from pathlib import Path

import pytest

from genomics_hybrid.paper import CLAIM_KINDS, paper_reported

PAPER = Path(__file__).resolve().parents[1].parent / "shared" / "paper" / \
    "000_02d87003dd5739cd.txt"


def spelled(number: float) -> set[str]:
    """How the paper may write a share: 0.914 as "91.4%" or "0.914", 0.9 as "90%" or "0.90",
    0.015 as the "1.5" of "1.5–2%"."""
    percent = f"{100 * number:.1f}".rstrip("0").rstrip(".")
    return {f"{percent}%", f"{percent}–", f"{number:.2f}", f"{number:.3f}".rstrip("0"),
            str(number)}


def test_claims_are_well_formed():
    claims = paper_reported()
    assert set(claims.kind) <= set(CLAIM_KINDS)
    table15 = paper_reported("Table 15")
    assert len(table15[~table15.kind.isin(["comparison", "order"])]) == 6
    comparisons = claims[claims.kind == "comparison"]
    assert set(comparisons["item"]) == {"Figure 9", "Table 15", "Table 16"}
    order = claims[claims.kind == "order"]
    assert order.value.tolist() == ["cnn_only;tabnet_only;tabnet_cnn;full"]
    assert (comparisons.dataset == "each").all() and comparisons.value.ne("").all()
    for claim in claims.itertuples():
        numeric = {"value": claim.value != "", "range": claim.low == claim.low,
                   "at_least": claim.low == claim.low, "at_most": claim.high == claim.high}
        assert numeric.get(claim.kind, claim.value != ""), claim


@pytest.mark.skipif(not PAPER.exists(), reason="the paper text lives in ../shared/paper")
def test_every_quote_is_in_the_paper_and_holds_its_numbers():
    text = " ".join(PAPER.read_text(encoding="utf-8").split())
    for claim in paper_reported().itertuples():
        assert claim.quote in text, claim.quote[:60]
        numbers = [float(v) for v in (claim.value, claim.low, claim.high)
                   if v == v and re.fullmatch(r"[0-9.]+", str(v))]
        for number in numbers:
            assert any(form in claim.quote for form in spelled(number)), (number, claim.quote)
