"""``python -m genomics_hybrid``: the ``genomics-hybrid`` command (``genomics_hybrid.cli``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
