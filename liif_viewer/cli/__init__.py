"""Command line: ``python main.py COMMAND ...`` (also the ``liif-viewer`` entry point).

One module per command group (``export``: upscale and export, ``demo``, ``bench``, ``view``, ``setup``:
install-desktop and fetch-weights, ``learn``: eval and train) and ``_common`` for what they share.
Each command parses its arguments, calls the tasks, and prints one clear line per outcome. Errors the
user can act on are printed as one line (exit 1); Qt is imported only by the ``view`` command.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import NoReturn

from . import bench, demo, export, learn, setup, view
from ._common import UserError, say

__all__ = ["main", "run", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(prog="liif-viewer", description="Continuous-image viewer built on LIIF.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (export, demo, bench, view, setup, learn):  # the order of the commands in --help
        group.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130


def run() -> NoReturn:
    """The process entry point (``main.py``, ``python -m liif_viewer``, ``liif-viewer``): ``main``, then exit.

    Before exiting, every object left is moved out of the garbage collector's sight (``gc.freeze``): the
    process is ending, and the collection Python makes at exit would walk torch's objects for nothing
    (0.16 s of every command that loaded it). Files are closed and outputs written by then.
    """
    code = main()
    gc.freeze()
    sys.exit(code)
