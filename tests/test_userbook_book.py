"""`genomics-hybrid book` end to end: a small real table (the bundled GSE7390, exported as a
gzipped genes x samples TSV with a separate labels file, in a temporary folder) becomes a
standalone Jupyter Book at the smoke profile, run from another working directory; headless
Chromium renders its summary and opening pages, which must show the numbers of the tidy files
the notebooks wrote; a rerun after losing a notebook redoes only what is missing.

The build takes a few minutes on two cores (the smoke profile: its numbers mean nothing). The
rendering tests skip without Debian's chromium, unless GENOMICS_HYBRID_REQUIRE_BOOK=1 (set by
.ci/run), where they fail. Screenshots go to _build/screenshots/ for people to look at.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from chromium import CHROMIUM, rendered_text

import genomics_hybrid
from genomics_hybrid import paper
from genomics_hybrid.datasets import load
from genomics_hybrid.metrics import HEADLINE_METRICS

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "_build" / "screenshots"


def run_book(*args, cwd) -> subprocess.CompletedProcess:
    """The command as a user types it, from ``cwd``, output captured."""
    return subprocess.run([sys.executable, "-m", "genomics_hybrid", "book", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=1500)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The smoke-profile book of GSE7390.tsv.gz (ER+ positive): (its folder, the command's
    output, seconds)."""
    data = tmp_path_factory.mktemp("data")
    ds = load("gse7390")
    frame = pd.DataFrame(ds.X.T, columns=ds.sample_ids,
                         index=pd.Index(ds.feature_names, name="probe"))
    frame.to_csv(data / "GSE7390.tsv.gz", sep="\t")
    pd.DataFrame({"sample": ds.sample_ids, "er": ["ER+" if v else "ER-" for v in ds.y]}).to_csv(
        data / "labels.tsv", sep="\t", index=False)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    out = tmp_path_factory.mktemp("books") / "gse7390_book"
    code_before = code_changed()
    started = time.perf_counter()
    done = run_book(data / "GSE7390.tsv.gz", "--labels", data / "labels.tsv", "--positive",
                    "ER+", "--profile", "smoke", "--cores", 2, "--out", out, cwd=elsewhere)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return out, done.stdout + done.stderr, seconds, code_before


def code_changed() -> float:
    """When the package's code last changed (Snakemake reruns every notebook after that)."""
    return max(p.stat().st_mtime for p in Path(genomics_hybrid.__file__).parent.rglob("*"))


def tidy(out: Path) -> dict[str, pd.DataFrame]:
    return paper.collect(out / "runs" / "book")


def test_the_command_builds_a_standalone_book_of_the_file(book):
    out, output, seconds, _ = book
    html = out / "_build" / "html"
    folder = "GSE7390_user"    # the file's name, kept apart from the registry's gse7390
    assert (html / "index.html").is_file() and (html / "summary.html").is_file()
    for notebook in ("01_preprocessing", "02_training", "03_ablation", "04_privacy",
                     "05_interpretability"):
        assert (html / "runs" / "book" / folder / f"{notebook}.html").is_file(), notebook
    assert not list(html.rglob("verdict.html")) and not (html / "book").exists()
    assert re.search(r"\b(\d+) of \1 steps \(100%\) done", output)   # Snakemake's progress
    assert "input:" not in output                                    # without the file lists
    assert "rule user_pages:" in output and "rule book:" in output
    records = tidy(out)["runs"]
    assert set(records.source) == {"user"} and set(records.profile) == {"smoke"}
    assert len(records) == 5
    print(f"smoke user book of GSE7390 (198 x 76): {seconds:.0f} s")


@pytest.fixture(scope="module")
def chromium():
    if CHROMIUM is None:
        why = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("GENOMICS_HYBRID_REQUIRE_BOOK") == "1":
            pytest.fail(why)
        pytest.skip(why)


def page(out: Path, name: str) -> str:
    return rendered_text(out / "_build" / "html" / f"{name}.html",
                         SHOTS / f"userbook_{name}.png")


def test_the_summary_page_shows_the_numbers_of_the_tidy_files(book, chromium):
    out, *_ = book
    text = page(out, "summary")
    folder = next((out / "runs" / "book").iterdir())
    summary = pd.read_csv(folder / "comparison_summary.csv")
    shown = summary[summary.metric.isin(HEADLINE_METRICS)]
    assert set(shown.model) == {"hybrid", *paper.BASELINES}
    for row in shown.itertuples():    # every model's CV mean [95 % CI], as the file holds it
        cell = f"{row.cv_mean:.3f} [{row.cv_ci_low:.3f}, {row.cv_ci_high:.3f}]"
        assert cell in text, (row.model, row.metric, cell)
        assert f"{cell} / {row.holdout:.3f}" in text, (row.model, row.metric)
    runs = tidy(out)
    for baseline in paper.BASELINES:  # the paired test and what the folds could detect
        tests = paper.comparisons(runs["comparison_results"], runs["comparison_summary"],
                                  "hybrid", (baseline,))
        for row in tests.itertuples():
            assert (f"{row.difference:+.3f} [{row.ci_low:+.3f}, {row.ci_high:+.3f}] "
                    f"{row.p_value:.2g} {row.detectable:.3f}") in text, (baseline, row.metric)
    ablation = pd.read_csv(folder / "ablation_summary.csv")
    for row in ablation[ablation.metric.isin(HEADLINE_METRICS)].itertuples():
        assert f"{row.cv_mean:.3f} [{row.cv_ci_low:.3f}, {row.cv_ci_high:.3f}]" in text
    attacks = pd.read_csv(folder / "privacy_attacks.csv")
    assert set(attacks.method) == {"none", "adaptive", "uniform", "masking", "dp_sgd"}
    for row in attacks.itertuples():  # membership inference per method and level
        assert f"{row.method} {row.level}" in text
        assert str(round(row.loss_attack_auc, 3)) in text, (row.method, row.level)
    genes = pd.read_csv(folder / "interpretability_attention.csv")
    for rank, gene in enumerate(genes.sort_values("attention", ascending=False).gene[:20], 1):
        assert f"{rank} {gene}" in text
    by_rule, fits = paper.stopped_by_rule_share(runs)
    assert (f"All {fits} deep-model fits ended by their rule" in text if by_rule == fits else
            f"{fits - by_rule} of {fits} deep-model fits ran to their epoch cap" in text)
    blind = len(paper.prior_bound_fits(runs))
    assert ("every one with validation rows beat the class prior" in text if blind == 0 else
            f"{blind} of {fits} never beat the class prior" in text)
    assert "reported" not in text.lower()     # no paper column


def test_the_opening_page_names_the_file_and_how_it_was_read(book, chromium):
    out, *_ = book
    text = page(out, "intro")
    user = yaml.safe_load((out / "genomics-hybrid-book.yml").read_text())["user"]
    digest = hashlib.sha256(Path(user["path"]).read_bytes()).hexdigest()
    assert "GSE7390.tsv.gz" in text and digest in text
    assert "198 samples x 76 genes" in text
    summary = json.loads(next((out / "runs" / "book").glob("*/summary.json")).read_text())
    assert f"{summary['n_positive']} positive (ER+), {summary['n_negative']} negative" in text
    record = tidy(out)["runs"].iloc[0]
    assert "data source user" in text and "profile smoke" in text
    assert f"seed {record.seed}" in text and record.commit in text
    assert "user, 120 of 198 rows" in text


def test_a_rerun_resumes_redoing_only_what_is_missing(book):
    out, _, _, code_before = book
    folder = next((out / "runs" / "book").iterdir())
    before = pd.read_csv(folder / "comparison_summary.csv")
    # Where a first build stopped during notebook 05: the steps after it were never made.
    (folder / "05_interpretability.ipynb").unlink()
    (out / "summary.md").unlink()
    shutil.rmtree(out / "_build")
    user = yaml.safe_load((out / "genomics-hybrid-book.yml").read_text())["user"]
    again = run_book(user["path"], "--labels", user["labels"], "--positive", "ER+", "--profile",
                     "smoke", "--cores", 2, "--out", out, cwd=out.parent)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    output = again.stdout + again.stderr
    assert "notebook=05_interpretability" in output
    if code_changed() == code_before:   # else (someone edited the checkout) all reran, rightly
        assert re.search(r"\b3 of 3 steps \(100%\) done", output)   # 05, the pages, the book
        assert output.count("rule notebook:") == 1
    assert (folder / "05_interpretability.ipynb").is_file()
    pd.testing.assert_frame_equal(before, pd.read_csv(folder / "comparison_summary.csv"))
