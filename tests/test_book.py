"""Static checks of the book wiring (the build itself runs in `make book`, with -W)."""

import ast
import json
import re
from pathlib import Path

import yaml

from genomics_hybrid.profiles import load_profile

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_preprocessing.ipynb"


def code_cells(path=NOTEBOOK):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if c["cell_type"] == "code"]


def python_source(cell) -> str:
    return "".join(line for line in "".join(cell["source"]).splitlines(keepends=True)
                   if not line.lstrip().startswith("%"))


def glued_keys() -> set[str]:
    keys = set()
    for cell in code_cells():
        for node in ast.walk(ast.parse(python_source(cell))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "glue":
                if isinstance(node.args[0], ast.Constant):
                    keys.add(node.args[0].value)
            if isinstance(node, ast.For) and getattr(node.target, "id", None) == "key":
                keys |= set(ast.literal_eval(node.iter))
    return keys


def test_parameters_cell_comes_first_with_the_documented_defaults():
    first = code_cells()[0]
    assert first["metadata"].get("tags") == ["parameters"]
    params = {}
    exec(python_source(first), {}, params)
    assert params == {"dataset": "gse72056", "labels": None, "label_column": "label",
                      "positive": None, "source": "replica", "profile": "default", "seed": 0,
                      "output_dir": "runs/default/gse72056"}


def test_notebook_is_clean_and_leaves_the_backend_alone():
    for cell in code_cells():
        assert not cell["outputs"] and cell["execution_count"] is None
        assert "matplotlib.use" not in "".join(cell["source"])


def test_every_glue_reference_in_the_book_is_glued_by_the_notebook():
    pages = "".join(p.read_text() for p in (ROOT / "book").glob("*.md"))
    referenced = set(re.findall(r"01_preprocessing\.ipynb::(\w+):", pages))
    referenced |= set(re.findall(r"```\{glue\} (\w+)", pages))
    assert referenced, "book pages paste no glue keys"
    assert referenced <= glued_keys(), sorted(referenced - glued_keys())


def test_toc_lists_the_executed_notebook_of_every_default_dataset():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = re.findall(r"'file': '([^']+)'", str(toc))
    runs = [f for f in files if f.startswith("runs/")]
    expected = [f"runs/default/{d['name']}/01_preprocessing"
                for d in load_profile("default")["datasets"]]
    assert runs == expected
    pages = (ROOT / "book" / "datasets.md").read_text()
    for path in expected:
        assert f"../{path}.ipynb::n_samples:" in pages
        assert f":doc: ../{path}.ipynb" in pages
