"""The built book as a reader sees it: headless Chromium renders the verdict page and Table 15,
and every number the runs produced must appear on them.

Needs a built book (`make book`, or `make book BOOK_PROFILE=smoke`) and Debian's chromium. Without
them the tests skip, unless GENOMICS_HYBRID_REQUIRE_BOOK=1 (set by .ci/run), where they fail.
Screenshots of both pages are written to _build/screenshots/ for people to look at.
"""

import html
import os
import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from genomics_hybrid import paper

ROOT = Path(__file__).resolve().parents[1]
PAGES = ROOT / "_build" / "html" / "book"
RUNS = ROOT / "runs" / "book"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--virtual-time-budget=3000"]


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


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def rendered_text(page: str) -> str:
    """The page's text after Chromium has rendered it (scripts run), whitespace collapsed."""
    url = (PAGES / f"{page}.html").as_uri()
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        common = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}"]
        dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True,
                             timeout=180, check=True).stdout
        subprocess.run([*common, "--window-size=1400,2400", f"--screenshot={shots / page}.png",
                        url], capture_output=True, timeout=180, check=True)
    parser = _Text()
    parser.feed(dom)
    return re.sub(r"\s+", " ", html.unescape(" ".join(parser.parts)))


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
