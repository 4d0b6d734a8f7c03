"""`genomics-hybrid book`: bad input stops before any work, with the loader's message and exit
status 2; a folder holding another file's book is refused; the summary's tables come from the
tidy files. The book itself is built in test_userbook_book.py."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from test_paper import make_runs

from genomics_hybrid import cli, notebook, paper, userbook
from genomics_hybrid.datasets import DataError
from genomics_hybrid.evaluation import summarise
from genomics_hybrid.profiles import load_profile
from genomics_hybrid.userbook import pages

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def table(tmp_path):
    """A genes x samples gzipped TSV of 40 samples and 6 genes, and a labels file (tumour,
    normal) in a folder of its own."""
    rng = np.random.default_rng(0)
    samples = [f"s{i:02d}" for i in range(40)]
    frame = pd.DataFrame(rng.gamma(2.0, 1.0, (6, 40)), columns=samples,
                         index=pd.Index([f"GENE{i}" for i in range(6)], name="gene"))
    folder = tmp_path / "data"
    folder.mkdir()
    frame.to_csv(folder / "expr.tsv.gz", sep="\t")
    labels = pd.DataFrame({"sample": samples, "type": ["tumour", "normal"] * 20})
    labels.to_csv(folder / "labels.tsv", sep="\t", index=False)
    return folder / "expr.tsv.gz", folder / "labels.tsv"


def book(capsys, *args) -> tuple[int, str]:
    status = cli.main(["book", *map(str, args)])
    return status, capsys.readouterr().err


def test_prepare_checks_the_file_and_writes_the_settings_snakemake_reads(table, tmp_path):
    path, labels = table
    out, data = userbook.prepare(path, labels=labels, positive="tumour", profile="smoke",
                                 out=tmp_path / "book")
    settings = yaml.safe_load((out / userbook.SETTINGS_FILE).read_text())
    assert settings["profile"] == "smoke"
    user = settings["user"]
    assert user["path"] == str(path) and user["name"] == "expr.tsv.gz"
    assert user["folder"] == "expr" and user["positive"] == "tumour"
    assert len(user["sha256"]) == 64 and len(user["labels_sha256"]) == 64
    assert (data["n_samples"], data["n_features"], data["n_positive"]) == (40, 6, 20)
    assert list(out.iterdir()) == [out / userbook.SETTINGS_FILE]


def test_an_h5ad_file_labelled_by_an_obs_column_is_a_book_too(table, tmp_path):
    import anndata

    path, labels = table
    frame = pd.read_csv(path, sep="\t", index_col=0).T
    obs = pd.read_csv(labels, sep="\t", index_col=0).loc[frame.index]
    anndata.AnnData(frame.to_numpy(), obs=obs).write_h5ad(tmp_path / "cells.h5ad")
    out, data = userbook.prepare(tmp_path / "cells.h5ad", label_column="type",
                                 positive="normal", profile="smoke", out=tmp_path / "book")
    assert (data["n_samples"], data["n_positive"], data["positive_class"]) == (40, 20, "normal")
    assert yaml.safe_load((out / userbook.SETTINGS_FILE).read_text())["user"]["folder"] == "cells"


@pytest.mark.parametrize("args, message", [
    (["missing.tsv.gz", "--positive", "tumour"], "does not exist"),
    (["{path}", "--labels", "{labels}"], "say which is the positive class"),
    (["{path}", "--labels", "{labels}", "--positive", "cancer"], "'cancer' is not a label"),
    (["{path}", "--positive", "tumour"], "Cannot tell which axis holds the samples"),
    (["{path}", "--labels", "{labels}", "--positive", "tumour", "--profile", "smok"],
     "Did you mean 'smoke'?"),
])
def test_bad_input_exits_2_with_the_loaders_message_and_writes_nothing(
        table, tmp_path, capsys, args, message):
    path, labels = table
    out = tmp_path / "book"
    status, err = book(capsys, *[a.format(path=path, labels=labels) for a in args],
                       "--out", out)
    assert status == 2
    assert message in err and err.startswith("genomics-hybrid book: ")
    assert "Traceback" not in err
    assert not out.exists()


def test_too_few_rows_for_the_folds_stop_before_any_work(table, tmp_path, capsys):
    path, labels = table
    few = pd.read_csv(labels, sep="\t")
    few.loc[2:, "type"] = "normal"       # one tumour: no fold can hold one of each class
    few.to_csv(labels, sep="\t", index=False)
    status, err = book(capsys, path, "--labels", labels, "--positive", "tumour",
                       "--out", tmp_path / "book")
    assert status == 2 and "Traceback" not in err and "class 1 has only 1" in err.lower()
    assert not (tmp_path / "book").exists()


@pytest.mark.parametrize("option", [["--missing", "ignore"], ["--cores", "0"]])
def test_bad_options_exit_2(table, tmp_path, option):
    path, labels = table
    with pytest.raises(SystemExit) as stop:
        cli.main(["book", str(path), "--labels", str(labels), *option])
    assert stop.value.code == 2


def test_a_folder_holding_another_files_book_is_refused(table, tmp_path, capsys):
    path, labels = table
    out = tmp_path / "book"
    userbook.prepare(path, labels=labels, positive="tumour", profile="smoke", out=out)
    other = path.with_name("other.tsv.gz")
    frame = pd.read_csv(path, sep="\t", index_col=0)
    (frame * 2).to_csv(other, sep="\t")
    status, err = book(capsys, other, "--labels", labels, "--positive", "tumour", "--out", out)
    assert status == 2 and "holds the book of another file" in err and str(path) in err
    status, err = book(capsys, path, "--labels", labels, "--positive", "normal", "--out", out)
    assert status == 2 and "other labels or options" in err and "positive" in err
    held = yaml.safe_load((out / userbook.SETTINGS_FILE).read_text())["user"]
    assert held["path"] == str(path) and held["positive"] == "tumour"   # left as it was
    # The same file and options: the same book, resumed (a new profile is allowed).
    again, _ = userbook.prepare(path, labels=labels, positive="tumour", profile="default",
                                out=out)
    assert again == out


def test_a_folder_holding_something_else_is_refused(table, tmp_path, capsys):
    path, labels = table
    (tmp_path / "notes.txt").write_text("mine")
    status, err = book(capsys, path, "--labels", labels, "--positive", "tumour",
                       "--out", tmp_path)
    assert status == 2 and "not empty" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "notes.txt"]


def test_the_default_folder_is_named_after_the_file(table, tmp_path, monkeypatch):
    path, _ = table
    monkeypatch.chdir(tmp_path)
    assert userbook.default_out(path) == tmp_path / "expr_book"
    assert userbook.folder_name("/x/My data (v2).h5ad") == "My_data_v2"


def test_in_the_books_folder_the_datasets_name_loads_the_users_file(table, tmp_path,
                                                                    monkeypatch):
    path, labels = table
    out, _ = userbook.prepare(path, labels=labels, positive="tumour", profile="smoke",
                              out=tmp_path / "book")
    monkeypatch.chdir(out)
    ds = notebook.load_dataset("expr", source="user")   # what the rules pass
    assert ds.info["source"] == "user" and ds.name == "expr.tsv.gz"
    assert ds.info["positive_class"] == "tumour" and int(ds.y.sum()) == 20
    assert notebook.load_dataset("gse7390").name == "gse7390"   # other names as before
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match="Unknown dataset|not a known"):
        notebook.load_dataset("expr")    # outside the book's folder the name means nothing
    monkeypatch.chdir(out)
    frame = pd.read_csv(path, sep="\t", index_col=0)
    (frame + 1).to_csv(path, sep="\t")   # the file changed under its book
    with pytest.raises(DataError, match="has changed since its book"):
        notebook.load_dataset("expr")


def test_a_files_name_never_takes_a_registry_datasets():
    assert userbook.folder_name("/x/gse7390.tsv.gz") == "gse7390_user"
    assert userbook.folder_name("/x/GSE7390.tsv.gz") == "GSE7390_user"


def test_the_workflow_profile_runs_every_notebook_on_the_users_dataset():
    profile = userbook.workflow_profile(load_profile("default"), {"folder": "expr"})
    assert profile["datasets"] == [{"name": "expr", "source": "user"}]
    assert profile["privacy"]["datasets"] == ["expr"]
    assert load_profile("default")["datasets"][0]["name"] == "gse72056"   # not modified


def test_the_templates_are_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["genomics_hybrid.userbook"]
    for path in userbook.TEMPLATES.iterdir():
        name = path.relative_to(userbook.TEMPLATES.parent).as_posix()
        assert any(fnmatch(name, pattern) for pattern in patterns), name
    assert {Path(p).name for p in userbook.PAGES} <= \
        {p.name for p in userbook.TEMPLATES.iterdir()}


def test_the_dataset_subcommands_still_run_as_before(capsys):
    from genomics_hybrid.datasets.__main__ import main

    assert main(["list"]) == 0
    assert "gse7390" in capsys.readouterr().out


# -- the summary page, from tidy results whose answer is known (test_paper.make_runs) ---------

@pytest.fixture
def runs():
    return make_runs({"expr": "user, 120 of 198 rows"}, hybrid=0.9, baseline=0.8, full=0.9,
                     tabnet_cnn=0.85)


def test_the_hybrid_is_compared_with_every_baseline_on_every_metric(runs):
    table = pages.baseline_comparisons(runs)
    assert len(table) == 3 * len(paper.BASELINES)
    row = table.loc[("AUC-ROC", "mlp")]
    summary = runs["comparison_summary"].set_index(["model", "metric"])
    mlp, hybrid = summary.loc[("mlp", "auc")], summary.loc[("hybrid", "auc")]
    assert row[pages.BASELINE] == f"{mlp.cv_mean:.3f} [{mlp.cv_ci_low:.3f}, {mlp.cv_ci_high:.3f}]"
    assert row[pages.HYBRID].startswith(f"{hybrid.cv_mean:.3f} [")
    test = paper.comparisons(runs["comparison_results"], runs["comparison_summary"], "hybrid",
                             ("mlp",), ("auc",)).iloc[0]
    assert row[pages.DIFFERENCE].startswith(f"{test.difference:+.3f} [")
    assert row[pages.DETECTABLE] == f"{test.detectable:.3f}"
    # 0.9 against at most 0.8 with a spread of 0.004 on 5 folds: the hybrid is better.
    assert set(table.outcome) == {pages.OUTCOMES["held"]}


def test_a_baseline_that_wins_is_said_to_win(runs):
    results = runs["comparison_results"]
    results.loc[results.model == "random_forest", "value"] += 0.2
    runs["comparison_summary"] = summarise(results)
    table = pages.baseline_comparisons(runs)
    assert (table.xs("random_forest", level="baseline").outcome == "hybrid worse").all()


def test_an_undertrained_model_leaves_the_comparison_unsettled(runs):
    results = runs["comparison_results"].assign(stopped_by="early_stopping")
    results.loc[(results.model == "tabnet") & (results.fold == "fold0"), "stopped_by"] = \
        paper.STOPPED_AT_CAP
    runs["comparison_results"] = results
    table = pages.baseline_comparisons(runs)
    assert (table.xs("tabnet", level="baseline").outcome == pages.OUTCOMES["not settled"]).all()


def test_convergence_is_said_with_its_counts():
    curves = pd.DataFrame({"dataset": "expr", "model": ["hybrid", "hybrid", "mlp"],
                           "fold": ["fold0", "fold1", "fold0"], "stage": "joint",
                           "epochs": [12, 30, 8], "max_epochs": 30,
                           "stopped_by": ["early_stopping", "epoch_cap", "early_stopping"]})
    runs = {"comparison_convergence": curves}
    assert pages.convergence_sentence(runs).startswith("**No.** 1 of 3 deep-model fits")
    runs["comparison_convergence"] = curves.assign(stopped_by="early_stopping")
    assert pages.convergence_sentence(runs).startswith("**Yes.** All 3 deep-model fits")
    runs["comparison_convergence"] = curves.assign(stopped_by=["early_stopping", "fixed_epochs",
                                                               "early_stopping"])
    assert pages.convergence_sentence(runs).startswith("**Yes.** All 3 deep-model fits ended")


def test_markdown_tables_escape_pipes_and_show_missing_values():
    frame = pd.DataFrame({"a|b": ["x|y", None], "n": [0.5, float("nan")]},
                         index=pd.Index(["r1", "r2"], name="row"))
    assert pages.markdown_table(frame).splitlines() == [
        r"| row | a\|b | n |", "|---|---|---|", r"| r1 | x\|y | 0.5 |", "| r2 | n/a | n/a |"]


def test_the_budget_is_read_from_the_profile():
    text = pages.budget(load_profile("default"))
    assert text.startswith("at most 400 rows") and "1,000 most variable genes" in text
    assert "20 % of them held out and 3 CV folds" in text and "no tuning" in text
    full = pages.budget(load_profile("full"))
    assert full.startswith("every row") and "every gene" in full and "8 configurations" in full
