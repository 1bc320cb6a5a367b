"""Entry point: ``python main.py COMMAND ...``; see ``python main.py --help``."""

from liif_viewer.cli import run

if __name__ == "__main__":
    run()
