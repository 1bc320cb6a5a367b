"""The ``demo`` command: the resolution sweep or the zoom flight to GIF, APNG or MP4."""

from __future__ import annotations

import argparse
import time

from ._common import UserError, add_model_options, load_model, open_image, progress_bar

__all__ = ["add_parsers", "cmd_demo"]


def cmd_demo(args: argparse.Namespace) -> int:
    """Record the resolution sweep or the zoom flight to GIF, APNG or MP4."""
    from ..files.record import RecordError, write_animation
    from ..render.sizes import parse_size
    from ..tasks.demos import SweepSpec, flight_viewports, run_flight, run_sweep, sweep_input
    from ..tasks.export import parse_region

    image = open_image(args.image)
    precision = "exact" if args.exact else "fast"
    try:
        width, height = parse_size(args.size)
        crop = tuple(int(v) for v in parse_region(args.crop + ",1")[:3]) if args.crop else None
        at = parse_region(args.at + ",1,1")[:2] if args.at else (image.width / 2, image.height / 2)
        small = sweep_input(image.rgb, args.from_px, crop) if args.kind == "sweep" else None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    from ..files.image_io import check_writable
    from ..files.record import FORMATS

    problem = check_writable(args.output, tuple(FORMATS))
    if problem:
        raise UserError(problem)
    model, device = load_model(args)
    if small is not None:
        spec = SweepSpec(args.from_px, args.to_px, args.frames or 60, width, args.bilinear, precision)
        frames = (frame for _, frame in run_sweep(small, model, device, spec))
        total = spec.frames
    else:
        total = args.frames or max(2, round(args.seconds * args.fps))
        frames = run_flight(image.rgb, model, device, flight_viewports(image.size, (width, height), at, args.zoom,
                                                                        total), precision, image_id=image.id)
    update, close = progress_bar(f"demo {args.kind}", unit="frame")
    start = time.perf_counter()
    try:
        count = write_animation(args.output, frames, args.fps, progress=lambda k: update(k, total))
    except RecordError as exc:
        raise UserError(str(exc)) from None
    finally:
        close()
    print(f"wrote {args.output} ({count} frames at {args.fps:g} fps) in {time.perf_counter() - start:.1f} s")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the demo command."""
    p = sub.add_parser("demo", help="record the paper's demos: the resolution sweep or the zoom flight")
    p.add_argument("kind", choices=["sweep", "zoom"])
    p.add_argument("image", help="image file")
    p.add_argument("-o", "--output", required=True, help="output .gif, .png (APNG) or .mp4")
    p.add_argument("--from", dest="from_px", type=int, default=32, help="sweep: input size in px (default 32)")
    p.add_argument("--to", dest="to_px", type=int, default=640, help="sweep: final resolution (default 640)")
    p.add_argument("--crop", help="sweep: square crop X,Y,SIDE of the image (default: centred)")
    p.add_argument("--bilinear", action="store_true", help="sweep: show the bilinear sweep beside LIIF")
    p.add_argument("--at", help="zoom: target point X,Y in image px (default: the centre)")
    p.add_argument("--zoom", type=float, default=30.0, help="zoom: final zoom (default 30)")
    p.add_argument("--seconds", type=float, default=3.0, help="zoom: flight length (default 3 s)")
    p.add_argument("--frames", type=int, default=0, help="frame count (default: 60 for the sweep, seconds x fps)")
    p.add_argument("--size", default="640x640", help="pane size WxH (sweep: the square display size)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--exact", action="store_true", help="exact LIIF frames (default: fast mode, >= 60 dB)")
    add_model_options(p)
    p.set_defaults(func=cmd_demo)
