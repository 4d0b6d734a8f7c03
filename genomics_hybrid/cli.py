"""The ``genomics-hybrid`` command (also ``python -m genomics_hybrid`` and, as before,
``python -m genomics_hybrid.datasets``):

    genomics-hybrid list | download NAME... | info NAME      the paper's datasets
    genomics-hybrid book PATH [--labels L] [--positive C] ...  the book of your own file

Errors in the input (a data problem, an unknown profile, an output folder holding another
file's book) print their message and exit with status 2, without a traceback, before any work.
"""

from __future__ import annotations

import argparse
import sys
import time

from .datasets.download import download
from .datasets.errors import DataError
from .datasets.files import data_home
from .datasets.registry import BUNDLED_DATASETS, PAPER_DATASETS, SOURCES, load
from .datasets.validation import MISSING_POLICIES

DATA_ERROR_EXIT = 2


def _list(args: argparse.Namespace) -> int:
    print(f"data directory: {data_home(args.data_dir)}")
    for name, spec in PAPER_DATASETS.items():
        state = ("real files present" if spec.has_real_files(args.data_dir)
                 else "not downloaded (offline replica available)")
        print(f"{name:16} {state:44} {spec.title}")
    for name, spec in BUNDLED_DATASETS.items():
        print(f"{name:16} {'real, installs with the project':44} {spec.title}")
    return 0


def _download(args: argparse.Namespace) -> int:
    for name in args.names:
        for path in download(name, args.data_dir, progress=not args.quiet):
            print(path)
    return 0


def _info(args: argparse.Namespace) -> int:
    for key, value in load(args.name, source=args.source, data_dir=args.data_dir).summary().items():
        print(f"{key:18} {value:.4g}" if isinstance(value, float) else f"{key:18} {value}")
    return 0


def _book(args: argparse.Namespace) -> int:
    from . import userbook  # the workflow's imports (torch among them) only for this command

    try:
        out, data = userbook.prepare(args.path, labels=args.labels,
                                     label_column=args.label_column, positive=args.positive,
                                     missing=args.missing, profile=args.profile, out=args.out)
    except userbook.USER_ERRORS as exc:   # the file, the labels, the options or the folder
        print(f"genomics-hybrid book: {exc}", file=sys.stderr)
        return DATA_ERROR_EXIT
    print(f"genomics-hybrid book: {data['dataset']}, {data['n_samples']:,} samples x "
          f"{data['n_features']:,} genes, {data['n_positive']:,} positive "
          f"({data['positive_class']}); profile {args.profile} uses {data['rows_used']:,} rows. "
          f"Building in {out} (rerun the same command to resume).", flush=True)
    started = time.perf_counter()
    status = userbook.build(out, args.cores)
    seconds = time.perf_counter() - started
    if status != 0:
        print(f"genomics-hybrid book: stopped after {seconds:.0f} s (Snakemake exit status "
              f"{status}); the logs are in {out}/runs/logs. Run the same command again to "
              f"resume.", file=sys.stderr)
        return 1
    print(f"genomics-hybrid book: done in {seconds:.0f} s; open "
          f"{out / '_build' / 'html' / 'index.html'}")
    return 0


def _cores(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of cores (1 or more)")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="genomics-hybrid",
        description="The paper's datasets (list, download, inspect) and the book of your own "
                    "data (book).")
    data_dir = argparse.ArgumentParser(add_help=False)
    data_dir.add_argument("--data-dir", help="data directory (default: $GENOMICS_HYBRID_DATA, "
                                             "the checkout's data/, else the user cache)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", parents=[data_dir], help="datasets and whether their real "
                        "files are present").set_defaults(run=_list)
    fetch = commands.add_parser("download", parents=[data_dir],
                                help="download the real files of paper datasets (resumes)")
    fetch.add_argument("names", nargs="+", metavar="NAME")
    fetch.add_argument("--quiet", action="store_true", help="no progress bars")
    fetch.set_defaults(run=_download)
    info = commands.add_parser("info", parents=[data_dir], help="load a dataset, print its summary")
    info.add_argument("name", metavar="NAME")
    info.add_argument("--source", choices=SOURCES, default="auto")
    info.set_defaults(run=_info)
    book = commands.add_parser(
        "book", help="run the five notebooks on your own file and build its Jupyter Book",
        description="Run the workflow of `make book` (every notebook, Snakemake) on one file "
                    "and build a standalone Jupyter Book of it in DIR/_build/html. Rerunning "
                    "resumes; a folder holding another file's book is refused.")
    book.add_argument("path", metavar="PATH", help="the expression table: CSV, TSV (gzipped or "
                      "not), parquet, or h5ad (label: an obs column)")
    book.add_argument("--labels", help="a separate labels file (sample id, label); default: "
                      "the table's label column")
    book.add_argument("--positive", metavar="CLASS", help="the label of the positive class "
                      "(not needed when labels are 0/1)")
    book.add_argument("--label-column", default="label", metavar="C",
                      help="the label column (of the table, the labels file or h5ad obs)")
    book.add_argument("--missing", default="error", choices=MISSING_POLICIES,
                      help="missing values: refuse the table (error, default), drop_features "
                           "or drop_samples")
    book.add_argument("--profile", default="default",
                      help="run profile of genomics_hybrid/profiles.yml (smoke, default, full)")
    book.add_argument("--out", metavar="DIR", help="the book's folder (default: <name>_book "
                      "in the current folder)")
    book.add_argument("--cores", type=_cores, help="jobs run at once (default: all cores)")
    book.set_defaults(run=_book)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except DataError as exc:
        print(f"genomics-hybrid {args.command}: {exc}", file=sys.stderr)
        return DATA_ERROR_EXIT


if __name__ == "__main__":
    sys.exit(main())
