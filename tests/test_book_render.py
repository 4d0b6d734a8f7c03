"""The built book as a reader sees it: headless Chromium renders the verdict page and Table 15,
and every number the runs produced must appear on them.

Needs a built book (`make book`, or `make book BOOK_PROFILE=smoke`) and Debian's chromium. Without
them the tests skip, unless GENOMICS_HYBRID_REQUIRE_BOOK=1 (set by .ci/run), where they fail.
Screenshots of both pages are written to _build/screenshots/ for people to look at.
"""

import os
from pathlib import Path

import pytest
from chromium import CHROMIUM
from chromium import rendered_text as render

from genomics_hybrid import paper

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "_build" / "html" / "book"
RUNS = ROOT / "runs" / "book"


def _missing() -> str | None:
    if CHROMIUM is None:
        return "chromium is not installed (apt-get install chromium)"
    if not (PAGES / "verdict.html").exists() or not RUNS.is_dir():
        return "the book is not built (make book)"
    return None


@pytest.fixture(scope="module")
def runs():
    why = _missing()
    if why:
        if os.environ.get("GENOMICS_HYBRID_REQUIRE_BOOK") == "1":
            pytest.fail(why)
        pytest.skip(why)
    return paper.collect(RUNS)


def rendered_text(page: str) -> str:
    """The book page's text after Chromium has rendered it (chromium.rendered_text)."""
    return render(PAGES / f"{page}.html", ROOT / "_build" / "screenshots" / f"{page}.png")


def test_verdict_page_shows_every_claim_its_measured_value_and_verdict(runs):
    text = rendered_text("verdict")
    verdicts = paper.verdicts(runs)
    assert len(verdicts) >= 36
    for row in verdicts.itertuples():
        assert row.measured in text, row
        assert row.reported in text, row
    counts = paper.verdict_counts(verdicts)
    assert f"{counts['held']} held, {counts['not held']} not held" in text


def test_table15_page_shows_the_ablation_beside_the_papers_accuracies(runs):
    text = rendered_text("table15")
    table = paper.table15(runs)
    for cell in table.filter(like="(CV mean").to_numpy().ravel():
        assert cell in text
    for reported in ("0.862", "0.875", "0.891", "0.908", "0.015–0.02"):
        assert reported in text
