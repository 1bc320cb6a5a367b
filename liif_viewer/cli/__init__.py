"""Command line: ``python main.py COMMAND ...`` (also the ``liif-viewer`` entry point).

One module per command group (``export``: upscale and export, ``demo``, ``bench``, ``view``, ``setup``:
install-desktop and fetch-weights, ``learn``: eval and train) and ``_common`` for what they share.
Each command parses its arguments, calls the tasks, and prints one clear line per outcome. Errors the
user can act on are printed as one line (exit 1); Qt is imported only by the ``view`` command.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import platform
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
    return _run(build_parser().parse_args(argv))


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130


#: glibc's malloc in a process that runs one command and exits (not the viewer, which runs for hours and
#: gives memory back, nor ``bench``, which measures the viewer's renders and memory as the viewer runs):
#: blocks up to this size come from the heap instead of being mapped afresh, and faulted in page by page,
#: each time torch allocates one (glibc's own threshold stops rising at this size)...
_MMAP_THRESHOLD_BYTES = 32 << 20
#: ...and up to this much freed memory stays for reuse. A cold x30 export had taken 1.2 M page faults.
_TRIM_THRESHOLD_BYTES = 512 << 20


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h
_GLIBC_DEFAULTS = ("view", "bench")  # the commands that keep glibc's own settings (see above)


def _keep_freed_memory() -> None:
    """Set glibc's malloc as above (elsewhere, nothing): its thresholds otherwise follow the sizes freed so
    far, so a command's speed depended on the order of its first allocations (docs/performance.md)."""
    if platform.libc_ver()[0] != "glibc":
        return
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES)
    except (OSError, AttributeError):
        pass




def run() -> NoReturn:
    """The process entry point (``main.py``, ``python -m liif_viewer``, ``liif-viewer``): one command, then exit.

    Commands other than ``view`` and ``bench`` keep freed memory for reuse (``_keep_freed_memory``). Before exiting,
    every object left is moved out of the garbage collector's sight (``gc.freeze``): the process is
    ending, and the collection Python makes at exit would walk torch's objects for nothing (0.16 s of
    every command that loaded it). Files are closed and outputs written by then.
    """
    args = build_parser().parse_args()
    if args.command not in _GLIBC_DEFAULTS:
        _keep_freed_memory()
    code = _run(args)
    gc.freeze()
    sys.exit(code)
