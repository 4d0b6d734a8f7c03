"""Static checks of the notebooks and the book wiring (the build itself runs in `make book`
with -W, and tests/test_book_render.py looks at the built pages)."""

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from genomics_hybrid.notebook import START_GLUE_KEYS, output_folder, runs_folder
from genomics_hybrid.profiles import load_profile, privacy_datasets

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PER_DATASET = [nb for nb in NOTEBOOKS if not nb.stem.startswith("06")]
REQUIRED_PARAMETERS = {"dataset", "labels", "label_column", "missing", "source", "profile",
                       "seed", "output_dir"}


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if c["cell_type"] == "code"]


def python_source(cell) -> str:
    return "".join(line for line in "".join(cell["source"]).splitlines(keepends=True)
                   if not line.lstrip().startswith("%"))


def parameters(path) -> dict:
    values = {}
    exec(python_source(code_cells(path)[0]), {}, values)
    return values


def glued_patterns(path) -> list[re.Pattern]:
    """The keys a notebook glues, as regexes: an f-string key matches any text where it
    formats a value (e.g. f"table{number}" -> table.+); ``notebook.start`` glues
    START_GLUE_KEYS."""
    patterns = []
    if any("notebook.start(" in python_source(cell) for cell in code_cells(path)):
        patterns += [re.compile(re.escape(key)) for key in START_GLUE_KEYS]
    for cell in code_cells(path):
        for node in ast.walk(ast.parse(python_source(cell))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "glue"):
                continue
            key = node.args[0]
            if isinstance(key, ast.Constant):
                patterns.append(re.compile(re.escape(key.value)))
            elif isinstance(key, ast.JoinedStr):
                patterns.append(re.compile("".join(
                    re.escape(part.value) if isinstance(part, ast.Constant) else ".+"
                    for part in key.values)))
            elif isinstance(key, ast.Name):  # for key in [...]: glue(key, ...)
                for loop in ast.walk(ast.parse(python_source(cell))):
                    if isinstance(loop, ast.For) and getattr(loop.target, "id", None) == key.id:
                        patterns += [re.compile(re.escape(k)) for k in
                                     ast.literal_eval(loop.iter)]
    return patterns


def references():
    """(page, notebook stem, key) for every glue key a book page pastes."""
    found = []
    for page in sorted((ROOT / "book").glob("*.md")):
        text = page.read_text()
        for notebook, key in re.findall(r"/(0\d_\w+)\.ipynb::(\w+):", text):
            found.append((page.name, notebook, key))
        for key, notebook in re.findall(
                r"```\{(?:glue|glued-figure)\} (\w+)\n:doc: [^\n]*/(0\d_\w+)\.ipynb", text):
            found.append((page.name, notebook, key))
    return found


@pytest.mark.parametrize("path", PER_DATASET, ids=lambda p: p.stem)
def test_parameters_cell_comes_first_and_names_every_documented_parameter(path):
    assert code_cells(path)[0]["metadata"].get("tags") == ["parameters"]
    assert REQUIRED_PARAMETERS <= set(parameters(path))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_clean_and_leave_the_backend_alone(path):
    for cell in code_cells(path):
        assert not cell["outputs"] and cell["execution_count"] is None
        assert "matplotlib.use" not in "".join(cell["source"])


def test_every_glue_reference_in_the_book_is_glued_by_the_notebook_it_names():
    found = references()
    assert len(found) > 40, "book pages paste too few glue keys"
    patterns = {nb.stem: glued_patterns(nb) for nb in NOTEBOOKS}
    missing = [(page, notebook, key) for page, notebook, key in found
               if not any(p.fullmatch(key) for p in patterns[notebook])]
    assert not missing, missing


def test_every_table_and_figure_of_the_paper_has_a_page_in_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = set(re.findall(r"'file': '([^']+)'", str(toc)))
    pages = {f"book/table{n:02d}" for n in range(5, 17)} | \
        {f"book/figure{n:02d}" for n in range(3, 13)} | {"book/verdict", "book/provenance"}
    assert pages <= files, sorted(pages - files)
    assert {f"book/{p.stem}" for p in (ROOT / "book").glob("*.md")} <= files | {toc["root"]}


def test_toc_lists_every_notebook_of_every_dataset_the_book_is_built_from():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = set(re.findall(r"'file': '([^']+)'", str(toc)))
    for profile in ("default", "smoke"):
        settings = load_profile(profile)
        for entry in settings["datasets"]:
            for notebook in PER_DATASET:
                listed = f"runs/book/{entry['name']}/{notebook.stem}" in files
                runs = notebook.stem != "04_privacy" or \
                    entry["name"] in privacy_datasets(settings)
                assert listed == runs, (entry["name"], notebook.stem)
    assert "runs/book/paper/06_paper_tables" in files


def test_snakefile_runs_every_notebook_the_toc_lists():
    snakefile = (ROOT / "Snakefile").read_text()
    for notebook in PER_DATASET:
        assert f'"{notebook.stem}"' in snakefile
    assert "06_paper_tables" in snakefile and 'RUNS = runs_folder("book")' in snakefile
    # the Snakefile takes the runs/<profile>/<dataset> convention from genomics_hybrid.notebook;
    # the book's folder is runs/book, the one _toc.yml and the pages link to
    assert runs_folder("book") == "runs/book"
    assert output_folder("book", "gse7390") == "runs/book/gse7390"


def test_every_figure_on_a_page_has_a_name_and_a_caption():
    """Figures are pasted with {glued-figure} (book/_ext/glued_figure.py): a figure node with a
    :name: and a one-paragraph caption, which Sphinx numbers; tables stay plain {glue}."""
    figures = 0
    for page in sorted((ROOT / "book").glob("*.md")):
        text = page.read_text()
        plain = re.findall(r"```\{glue\} (\w+)\n", text)
        assert not [key for key in plain if re.fullmatch(r"\w*_fig(_\d+)?|figure\d+|learning_curves",
                                                          key)], page.name
        for block in re.findall(r"```\{glued-figure\} \w+\n(.*?)```", text, flags=re.S):
            figures += 1
            options, _, caption = block.partition("\n\n")
            assert ":name: " in options and caption.strip(), (page.name, block)
    assert figures >= 20
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"] == {"glued_figure": "book/_ext"}
    assert (ROOT / "book" / "_ext" / "glued_figure.py").is_file()
