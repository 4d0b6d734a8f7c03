"""Digests of code, for cache keys: a result computed by other code is another result.

``package_digest`` hashes the package's own modules (their syntax trees without docstrings,
so comments and docstrings do not count; modules that only present results are left out).
``callable_digest`` hashes code a model carries from outside the installed libraries: a user's
estimator class by its source, a lambda or a notebook's function by its source or bytecode.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import sys
from functools import lru_cache
from importlib.metadata import packages_distributions
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# Modules that only read results and draw or print them: no fit runs their code.
PRESENTATION = ("paper.py", "across.py", "figures.py", "notebook.py", "cli.py", "__main__.py",
                "userbook")


class UnreadableCode(ValueError):
    """Code whose source and bytecode cannot be read: a result it computed cannot be keyed."""


def _tree_without_docstrings(source: str) -> str:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


@lru_cache(maxsize=256)
def _module_digest(path: str, modified: int, size: int) -> str:
    """One module's digest; the modification time and size key the memo, so an edited file
    is read again."""
    return hashlib.sha256(_tree_without_docstrings(Path(path).read_text()).encode()).hexdigest()


def package_digest() -> str:
    """SHA-256 over the package's modules that fits run (not ``PRESENTATION``), each as its
    syntax tree without docstrings: any change of code that can change a result changes it."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.split("/")[0] in PRESENTATION:
            continue
        stat = path.stat()
        digest.update(f"{relative}\0{_module_digest(str(path), stat.st_mtime_ns, stat.st_size)}"
                      f"\0".encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _library_modules() -> frozenset[str]:
    """Top-level modules of the installed distributions and of the standard library."""
    return frozenset(packages_distributions()) | frozenset(sys.stdlib_module_names)


def _bytecode(code) -> bytes:
    parts = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode()]
    for constant in code.co_consts:
        parts.append(_bytecode(constant) if inspect.iscode(constant) else
                     repr(constant).encode())
    return b"\0".join(parts)


def callable_digest(obj) -> str | None:
    """None for a class or function of an installed library or of this package (their
    versions, and ``package_digest``, key them); else a digest of its code: a lambda, a
    nested function or a user's own class or function, by source, or by bytecode where the
    source is not kept. Raises ``UnreadableCode`` when neither can be read."""
    qualified = getattr(obj, "__qualname__", "")
    module = str(getattr(obj, "__module__", None) or "").split(".")[0]
    local = "<lambda>" in qualified or "<locals>" in qualified
    if not local and (module == "genomics_hybrid" or module in _library_modules()):
        return None
    code = getattr(obj, "__code__", None)
    if code is not None:   # a function: its bytecode, and what its closure holds
        cells = [repr(cell.cell_contents) for cell in (getattr(obj, "__closure__", None) or ())]
        return hashlib.sha256(_bytecode(code) + repr(cells).encode()).hexdigest()
    try:
        return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()
    except (OSError, TypeError) as error:
        raise UnreadableCode(f"{qualified or obj!r}: {error}") from None
