"""The ``view`` command: the viewer window (Qt is imported here only, when it runs)."""

from __future__ import annotations

import argparse

from ._common import UserError, add_model_options

__all__ = ["add_parsers", "cmd_view"]


def _pair(text: str, sep: str, what: str, cast: type = float) -> tuple:
    """``"X,Y"`` or ``"WxH"`` → a pair, or a UserError naming the option."""
    parts = text.lower().split(sep)
    try:
        if len(parts) != 2:
            raise ValueError
        return cast(parts[0]), cast(parts[1])
    except ValueError:
        raise UserError(f"{what} must look like {'X,Y' if sep == ',' else 'WxH'}, got {text!r}") from None


def cmd_view(args: argparse.Namespace) -> int:
    """Open the viewer window (Qt is imported here only)."""
    if args.zoom is not None and not args.zoom > 0:
        raise UserError(f"--zoom must be positive, got {args.zoom}")
    center = _pair(args.center, ",", "--center") if args.center else None
    size = _pair(args.window_size, "x", "--window-size", int) if args.window_size else None
    from ..app import ViewerError, ViewOptions, run_viewer

    options = ViewOptions(image=args.image[0] if args.image else None, more_images=tuple(args.image[1:]),
                          zoom=args.zoom, center=center, layout=args.layout,
                          precision=args.precision, screenshot=args.screenshot, window_size=size,
                          model_path=args.model, device=args.device)
    try:
        code = run_viewer(options)
    except ViewerError as exc:
        raise UserError(str(exc)) from None
    if args.screenshot and code == 0:
        print(f"wrote {args.screenshot}")
    return code


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the view command."""
    p = sub.add_parser("view", help="open the viewer: Pixels | Bilinear | LIIF panes, linked")
    p.add_argument("image", nargs="*",
                   help="image file (default: the bundled sample photo); of several, the first opens and the rest "
                        "go to File > Open Recent")
    p.add_argument("--zoom", type=float, help="screen px per image px, e.g. 8 (default: fit)")
    p.add_argument("--center", metavar="X,Y", help="image px at the centre of the panes (default: the image centre)")
    p.add_argument("--layout", choices=("three", "liif", "swipe", "diff"),
                   help="panes (default: the last one used); diff: |LIIF − Bilinear| as a heat map")
    p.add_argument("--precision", choices=("fast", "exact"), help="LIIF precision (default: the last one used)")
    p.add_argument("--screenshot", metavar="OUT.png",
                   help="wait until every pane shows its final render, save the window and exit (works offscreen)")
    p.add_argument("--window-size", metavar="WxH", help="window size in logical px (default 1500x640 for screenshots)")
    add_model_options(p)
    p.set_defaults(func=cmd_view)
