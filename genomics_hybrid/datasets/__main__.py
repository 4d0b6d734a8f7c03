"""``python -m genomics_hybrid.datasets``: the ``genomics-hybrid`` command (``genomics_hybrid.cli``:
list, download, info, and book)."""

import sys

from ..cli import DATA_ERROR_EXIT, main

__all__ = ["DATA_ERROR_EXIT", "main"]

if __name__ == "__main__":
    sys.exit(main())
