"""``python -m genomics_hybrid.userbook RUNS_DIR [OUT]``: write a user book's pages into OUT (the
current folder by default) from the tidy files under RUNS_DIR (``pages.write_pages``). The
Snakefile's ``user_pages`` rule runs it in the book's folder."""

import sys

from .pages import write_pages

if __name__ == "__main__":
    for path in write_pages(*sys.argv[1:3]):
        print(path)
