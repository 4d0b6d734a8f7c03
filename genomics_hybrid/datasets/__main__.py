"""Command line: ``genomics-hybrid list | download NAME... | info NAME`` (also ``python -m
genomics_hybrid.datasets``). Data problems print their message and exit 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys

from .download import download
from .errors import DataError
from .files import data_home
from .registry import BUNDLED_DATASETS, PAPER_DATASETS, SOURCES, load

DATA_ERROR_EXIT = 2


def _list(args: argparse.Namespace) -> None:
    print(f"data directory: {data_home(args.data_dir)}")
    for name, spec in PAPER_DATASETS.items():
        state = ("real files present" if spec.has_real_files(args.data_dir)
                 else "not downloaded (offline replica available)")
        print(f"{name:12} {state:44} {spec.title}")
    for name, spec in BUNDLED_DATASETS.items():
        print(f"{name:12} {'bundled with its package':44} {spec.title}")


def _download(args: argparse.Namespace) -> None:
    for name in args.names:
        for path in download(name, args.data_dir, progress=not args.quiet):
            print(path)


def _info(args: argparse.Namespace) -> None:
    for key, value in load(args.name, source=args.source, data_dir=args.data_dir).summary().items():
        print(f"{key:18} {value:.4g}" if isinstance(value, float) else f"{key:18} {value}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genomics-hybrid",
                                     description="The paper's datasets: list, download, inspect.")
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        args.run(args)
    except DataError as exc:
        print(f"genomics-hybrid {args.command}: {exc}", file=sys.stderr)
        return DATA_ERROR_EXIT
    return 0


if __name__ == "__main__":
    sys.exit(main())
