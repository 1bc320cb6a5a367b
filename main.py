"""Entry point: ``python main.py COMMAND ...``; see ``python main.py --help``."""

import sys

from liif_viewer.cli import main

if __name__ == "__main__":
    sys.exit(main())
