"""The book of one user's file: ``genomics-hybrid book PATH --labels LABELS --positive CLASS``.

    $ genomics-hybrid book expr.tsv.gz --labels labels.tsv --positive tumour --out expr_book
    $ xdg-open expr_book/_build/html/index.html

``prepare`` checks everything before any work is done: the profile; the file and its labels,
loaded exactly as the notebooks will load them (``notebook.notebook_inputs``: the loader's own
errors); that the rows the profile keeps can be split into its hold-out and CV folds
(``evaluation.split``, as the notebooks split them); and that the output folder is new, empty,
or holds the book of this same file (its ``SETTINGS_FILE`` records the file's SHA-256: a folder
holding another file's book is refused, so two books never mix). It then writes
``SETTINGS_FILE``, and ``build`` runs the repository's ``Snakefile`` in the output folder
(``--directory``, with ``SETTINGS_FILE`` as ``--configfile``): the same rules and the same five
notebooks as ``make book``, on one dataset, the user's (``workflow_profile``: the privacy grid
runs on it too). The rules pass the dataset's name (``folder_name``) as they pass a registry
name; run in the book's folder, the package loads the user's file by that name, with the labels
and options the settings record (``datasets.user.load_book_dataset``). The executed notebooks,
their tidy files and the fold cache go to ``DIR/runs``, the book to ``DIR/_build/html``.
Snakemake skips what is done and the fold cache keeps every finished fit, so running the same
command again after an interruption resumes.

The book's own pages (``pages``: an opening page naming the file, a summary page built from
the tidy files, and the book's ``_config.yml`` and ``_toc.yml``) are written by the Snakefile's
``user_pages`` rule from the templates in ``templates/``. The paper's pages are not part of it.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from ..datasets.errors import DataError
from ..datasets.files import sha256
from ..datasets.registry import available
from ..datasets.user import BOOK_SETTINGS
from ..evaluation import Protocol, ProtocolError, split
from ..notebook import TABLE_SUFFIXES, notebook_inputs
from ..profiles import ProfileError, load_profile

# The book's settings in its folder: what `build` passes to Snakemake as --configfile, the
# marker that says whose book the folder holds, and how the notebooks and jobs run there load
# the dataset by its name (datasets.user.load_book_dataset).
SETTINGS_FILE = BOOK_SETTINGS
# What makes two books the same book: the file, the labels and how they are read. The profile
# may change between runs (Snakemake reruns the notebooks it affects).
IDENTITY = ("sha256", "labels_sha256", "label_column", "positive", "missing")
# Where the workflow of a source checkout lives, beside the package.
ROOT = Path(__file__).resolve().parents[2]
SNAKEFILE = ROOT / "Snakefile"
NOTEBOOKS = ROOT / "notebooks"
# The files the `user_pages` rule writes into the book's folder (templates/ holds their text).
PAGES = ("_config.yml", "_toc.yml", "intro.md", "summary.md", "_static/userbook.css")
TEMPLATES = Path(__file__).with_name("templates")


class BookError(ValueError):
    """A user book that cannot be built as asked; the message says why and what to do."""


# Errors that mean the input is wrong: the command prints their message and exits with 2.
USER_ERRORS = (DataError, ProfileError, ProtocolError, BookError)


def folder_name(path: str | os.PathLike) -> str:
    """The name the workflow gives the dataset (``runs/book/<name>``, the rules' wildcard): the
    file name without its table suffixes, every character other than letters, digits, ``_``
    and ``-`` as ``_``, and ``_user`` added to a registry dataset's name."""
    name = Path(path).name
    while name.lower().endswith(TABLE_SUFFIXES):
        name = name[: name.rfind(".")]
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "data"
    return f"{name}_user" if name.lower() in available() else name


def default_out(path: str | os.PathLike) -> Path:
    """Where the book of ``path`` goes unless ``--out`` says: ``<name>_book`` in the current
    folder."""
    return Path.cwd() / f"{folder_name(path)}_book"


def user_settings(path, labels=None, label_column: str = "label", positive=None,
                  missing: str = "error") -> dict[str, Any]:
    """What the notebooks need to load the file, and what identifies it (``IDENTITY``)."""
    path = Path(path).expanduser().absolute()
    labels = None if labels is None else Path(labels).expanduser().absolute()
    return {"path": str(path), "name": path.name, "folder": folder_name(path),
            "sha256": sha256(path) if path.is_file() else None,
            "labels": None if labels is None else str(labels),
            "labels_sha256": sha256(labels) if labels is not None and labels.is_file() else None,
            "label_column": label_column, "positive": None if positive is None else str(positive),
            "missing": missing}


def _check_folder(out: Path, user: dict[str, Any]) -> None:
    """Refuse an output folder that holds something other than this file's book."""
    if out.exists() and not out.is_dir():
        raise BookError(f"--out {out} is a file, not a folder: give a folder for the book.")
    marker = out / SETTINGS_FILE
    if marker.is_file():
        held = (yaml.safe_load(marker.read_text(encoding="utf-8")) or {}).get("user") or {}
        if held.get("sha256") != user["sha256"]:
            raise BookError(
                f"{out} holds the book of another file: {held.get('path')} (SHA-256 "
                f"{str(held.get('sha256'))[:12]}...), not {user['path']} (SHA-256 "
                f"{user['sha256'][:12]}...). Give this file its own folder with --out, or delete "
                f"{out} to rebuild it there.")
        changed = [key for key in IDENTITY if held.get(key) != user[key]]
        if changed:
            was = ", ".join(f"{key} {held.get(key)!r}" for key in changed)
            raise BookError(
                f"{out} holds the book of this file read with other labels or options ({was}; "
                f"now {', '.join(f'{key} {user[key]!r}' for key in changed)}). Give this reading "
                f"its own folder with --out, or delete {out} to rebuild it there.")
    elif out.is_dir() and any(out.iterdir()):
        raise BookError(f"{out} is not empty and holds no genomics-hybrid book (no "
                        f"{SETTINGS_FILE}): give a new or empty folder with --out.")


def prepare(path, labels=None, label_column: str = "label", positive=None,
            missing: str = "error", profile: str = "default",
            out: str | os.PathLike | None = None) -> tuple[Path, dict[str, Any]]:
    """Check everything the book needs, then write its settings into ``out`` (module docstring).

    Returns the output folder and a summary of the data (``Dataset.summary()`` of the whole
    file, plus ``rows_used``: the rows the profile keeps). Raises one of ``USER_ERRORS`` before
    writing anything when the file, the labels, the options or the folder are wrong.
    """
    if not SNAKEFILE.is_file() or not NOTEBOOKS.is_dir():
        raise BookError(f"genomics-hybrid book runs the workflow of a source checkout (the "
                        f"Snakefile and notebooks/ beside the package), and {ROOT} has none: "
                        f"install the package from its repository (pip install -e .).")
    settings, ds = notebook_inputs(path, profile, load_profile(profile)["seed"], labels=labels,
                                   label_column=label_column, positive=positive,
                                   missing=missing, capped=False)
    used = ds.subsample(settings.get("max_samples"), settings["seed"])
    split(used, Protocol.from_profile(settings))   # the hold-out and folds the notebooks will use
    user = user_settings(path, labels, label_column, positive, missing)
    out = Path(out).expanduser().absolute() if out is not None else default_out(path)
    _check_folder(out, user)
    out.mkdir(parents=True, exist_ok=True)
    text = ("# genomics-hybrid book: the settings of this folder's book, and whose book it is\n"
            "# (Snakemake's --configfile; genomics_hybrid/userbook).\n"
            + yaml.safe_dump({"profile": settings["name"], "user": user}, sort_keys=False))
    (out / SETTINGS_FILE).write_text(text, encoding="utf-8")
    return out, {**ds.summary(), "rows_used": len(used.y)}


def workflow_profile(profile: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """The profile the Snakefile runs for a user book: one dataset, the user's (its folder name,
    data source ``user``), with the privacy grid on it."""
    profile = copy.deepcopy(profile)
    profile["datasets"] = [{"name": user["folder"], "source": "user"}]
    profile["privacy"] = {**(profile.get("privacy") or {}), "datasets": [user["folder"]]}
    return profile


def snakemake_command(out: str | os.PathLike, cores: int | None = None) -> list[str]:
    """The Snakemake call that builds (or resumes) the book in ``out``."""
    cores = cores or os.cpu_count() or 1
    return [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE),
            "--directory", str(out), "--configfile", str(Path(out) / SETTINGS_FILE),
            "--cores", str(cores), "--rerun-incomplete", "--keep-going"]


# Lines of Snakemake's job reports left out of the terminal: each lists every input file (the
# package's code among them), hundreds of paths; the rule, output and wildcards lines say which
# notebook runs. Snakemake's log keeps everything (.snakemake/log/ in the book's folder).
QUIET = ("input:", "reason:")


def build(out: str | os.PathLike, cores: int | None = None) -> int:
    """Run the workflow in ``out`` (``snakemake_command``), its progress on the terminal
    (``QUIET`` lines left out); the tools it calls (papermill, jupyter-book, python) from this
    interpreter's environment. Returns Snakemake's exit status (130 when interrupted)."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    process = subprocess.Popen(snakemake_command(out, cores), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, bufsize=1)
    try:
        for line in process.stdout:
            if not line.lstrip().startswith(QUIET):
                print(line, end="", flush=True)
        return process.wait()
    except KeyboardInterrupt:   # Snakemake got the interrupt too: let it stop its jobs
        for _ in process.stdout:
            pass
        process.wait()
        return 130
