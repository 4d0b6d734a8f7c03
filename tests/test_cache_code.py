"""The cache follows the code: a changed model is refitted, an unchanged one read back, and
code a model carries from outside the libraries enters its key."""

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.preprocessing import FunctionTransformer

import genomics_hybrid
from genomics_hybrid import cache, code_digest
from genomics_hybrid.evaluation import Protocol

SCRIPT = """
import json, sys
import genomics_hybrid
from genomics_hybrid.datasets import load
from genomics_hybrid.evaluation import Protocol, run
from genomics_hybrid.model import HybridClassifier
model = HybridClassifier(max_epochs=2, n_d=4, n_a=4, n_selected=8, embedding_dim=4,
                         cnn_channels=[4, 4, 4], random_state=0)
protocol = Protocol(n_folds=2, preprocessing={"augment": False, "small_data_seeds": 1})
results = run({"hybrid": model}, load("gse7390"), protocol, cache_dir=sys.argv[1],
              progress=False)
auc = results[results.metric == "auc"].sort_values("fold").value.round(6).tolist()
print(json.dumps({"package": genomics_hybrid.__file__, "auc": auc}))
"""


def test_docstrings_and_comments_do_not_count_code_does():
    plain = "def f(x):\n    return x + 1\n"
    documented = 'def f(x):\n    """Add one."""\n    # why\n    return x + 1\n'
    changed = "def f(x):\n    return x + 2\n"
    tree = code_digest._tree_without_docstrings
    assert tree(plain) == tree(documented) != tree(changed)


def test_models_that_differ_only_in_a_lambda_have_different_keys():
    protocol, key = Protocol(), cache.fit_key
    double = FunctionTransformer(lambda X: X * 2)
    triple = FunctionTransformer(lambda X: X * 3)
    assert key(double, protocol, "d", "fold0") != key(triple, protocol, "d", "fold0")
    # a library function is keyed by its name and the library's version, not its bytecode
    assert code_digest.callable_digest(np.log1p) is None
    assert key(FunctionTransformer(np.log1p), protocol, "d", "fold0") == \
        key(FunctionTransformer(np.log1p), protocol, "d", "fold0")


def test_a_model_whose_code_cannot_be_read_is_fitted_without_the_cache(tmp_path, monkeypatch):
    def unreadable(obj):
        raise code_digest.UnreadableCode("no source")
    monkeypatch.setattr(cache, "callable_digest", unreadable)
    calls = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            cache.cached(tmp_path, _tiny_dataset(), "m", "fold0", FunctionTransformer(),
                         Protocol(), lambda: calls.append(1) or {"auc": 0.5})
    assert len(calls) == 2 and not list(tmp_path.glob("*.json"))
    assert any("Not cached" in str(w.message) for w in caught)


def _tiny_dataset():
    from genomics_hybrid.datasets import Dataset
    return Dataset(X=np.eye(4, dtype=np.float32), y=[0, 1, 0, 1],
                   feature_names=["a", "b", "c", "d"], sample_ids=["s0", "s1", "s2", "s3"])


def _run(package_root: Path, cache_dir: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(package_root), "OMP_NUM_THREADS": "1"}
    # run from the copy's folder: the current folder comes first on the path
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(cache_dir)], env=env, check=True,
                          cwd=package_root, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_edited_package_refits_and_an_unchanged_one_reads_every_fold_back(tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(Path(genomics_hybrid.__file__).parent, root / "genomics_hybrid",
                    ignore=shutil.ignore_patterns("__pycache__", "data"))
    # the vendored data stay where they are: the copy reads them through a link
    (root / "genomics_hybrid" / "datasets" / "data").symlink_to(
        Path(genomics_hybrid.__file__).parent / "datasets" / "data")
    store = tmp_path / "cache"
    first = _run(root, store)
    assert first["package"].startswith(str(root))
    files = sorted(store.glob("*.json"))
    assert files
    again = _run(root, store)
    assert again["auc"] == first["auc"] and sorted(store.glob("*.json")) == files
    # a docstring is not code: still read back
    training = root / "genomics_hybrid" / "model" / "training.py"
    training.write_text(training.read_text().replace('"""', '"""Edited. ', 1))
    assert _run(root, store)["auc"] == first["auc"]
    assert sorted(store.glob("*.json")) == files
    # a changed predict_proba: every fold is fitted again, and the AUC turns over
    estimator = root / "genomics_hybrid" / "model" / "estimator.py"
    estimator.write_text(estimator.read_text() + (
        "\n_original = HybridClassifier.predict_proba\n"
        "HybridClassifier.predict_proba = lambda self, X: _original(self, X)[:, ::-1]\n"))
    swapped = _run(root, store)
    assert len(list(store.glob("*.json"))) == 2 * len(files)
    np.testing.assert_allclose(swapped["auc"], 1 - np.array(first["auc"]), atol=1e-6)
