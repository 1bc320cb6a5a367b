"""The ``upscale`` and ``export`` commands: one file to one file, or a batch into a folder."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ._common import UserError, add_model_options, load_model, open_image, output_size, progress_bar, say

if TYPE_CHECKING:
    from ..cancel import CancelToken
    from ..files.image_io import ImageDocument
    from ..tasks.export import ExportRequest

__all__ = ["add_parsers", "cmd_upscale", "cmd_export"]


def _render_export(args: argparse.Namespace, image: ImageDocument, request: ExportRequest, output: str | Path,
                   models: dict, update: Callable[[int, int], None],
                   cancel: CancelToken | None = None) -> tuple[Path, float, str]:
    """Render ``request`` of ``image`` and write ``output`` (``tasks.export.run_export``, as the viewer's
    Export dialog); (path, seconds, what was written). ``models`` caches the loaded model across calls (a
    batch loads it once); raises ``Cancelled`` when ``cancel`` stops it early."""
    from ..files.image_io import ImageSaveError, check_writable

    width, height = request.size
    if width * height > args.max_pixels:
        raise UserError(f"output {width}x{height} is {width * height / 1e6:.0f} MP, above --max-pixels "
                        f"{args.max_pixels / 1e6:.0f} MP; raise the limit to go ahead")
    problem = check_writable(output)  # before torch and the model load and the render runs, not after
    if problem:
        raise UserError(problem)
    from ..render.engine import MIN_LIIF_SIDE, averaged
    from ..tasks.export import export_label, run_export
    from ..tasks.export_workers import export_workers
    if request.method == "liif" and "liif" not in models:
        models["liif"] = load_model(args)
    model, device = models["liif"] if request.method == "liif" else (None, "cpu")
    start = time.perf_counter()
    label = export_label(image, request, args.liif_under_2px)
    if label != request.label:  # a LIIF export of an image too small for LIIF
        say(f"note: {image.width}x{image.height} px is under LIIF's {MIN_LIIF_SIDE}x{MIN_LIIF_SIDE}: its colours "
             f"drift 25-45 levels there, so this is the {label}; --liif-under-2px writes LIIF's own output")
    elif request.method == "liif" and averaged(request.viewport):
        say("note: below 1:1 exact mode writes LIIF's own output, as the paper's code gives it (LIIF was "
             "trained for cells up to one input pixel, colours may drift); --fast writes the area-averaged input"
             if request.precision == "exact" else "note: below 1:1 this is the input area-averaged over each pixel")
    result = run_export(image, model, device, request, update, cancel, liif_under_min_side=args.liif_under_2px,
                        workers=export_workers())
    try:
        out = result.save(output, quality=args.quality)
    except ImageSaveError as exc:
        raise UserError(str(exc)) from None
    return out, time.perf_counter() - start, label


def _write_export(args: argparse.Namespace, image: ImageDocument, request: ExportRequest) -> int:
    """Render ``request`` of ``image`` with a progress bar and write ``args.output`` (upscale and export)."""
    width, height = request.size
    bar: list[tuple[Callable[[int, int], None], Callable[[], None]]] = []

    def update(done: int, total: int) -> None:
        if not bar:  # made at the first tile, after the checks and the model load have had their say
            bar.append(progress_bar(f"{request.label} {width}x{height}"))
        bar[0][0](done, total)

    try:
        out, seconds, label = _render_export(args, image, request, args.output, {}, update)
    finally:
        if bar:
            bar[0][1]()
    print(f"wrote {out} ({width}x{height}, {label}, from {image.width}x{image.height}) in {seconds:.1f} s")
    return 0


def _upscale_request(args: argparse.Namespace, image: ImageDocument) -> ExportRequest:
    from ..tasks.export import ExportRequest

    try:
        size = output_size(image.width, image.height, args)
        return ExportRequest((0, 0, image.width, image.height), size, "liif", "fast" if args.fast else "exact")
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _export_request(args: argparse.Namespace, image: ImageDocument) -> ExportRequest:
    from ..tasks.export import ExportRequest, parse_region

    try:
        region = parse_region(args.region) if args.region else (0.0, 0.0, float(image.width), float(image.height))
        size = output_size(region[2], region[3], args)
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
           request_for: Callable[[argparse.Namespace, ImageDocument], ExportRequest], label: str) -> int:
    """``upscale``/``export`` of many files into the folder ``-o``; the model is loaded once, when first needed."""
    from .batch import BatchAbort, BatchItem, batch_command, default_pattern

    models: dict = {}

    def render(item: BatchItem, update: Callable[[int, int], None], cancel: CancelToken) -> None:
        image = open_image(str(item.source))
        request = request_for(args, image)
        if request.method == "liif" and "liif" not in models:
            try:
                models["liif"] = load_model(args)
            except UserError as exc:
                raise BatchAbort(str(exc)) from None
        _render_export(args, image, request, item.output, models, update, cancel)

    fields = {"scale": f"{args.scale:g}" if args.scale else args.size, "method": getattr(args, "method", "liif")}
    try:
        return batch_command(inputs, args.output, args.name or default_pattern(args.scale), fields, render,
                             overwrite=args.overwrite, label=label, say=say)
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
    image = open_image(args.input[0])
    return _write_export(args, image, _upscale_request(args, image))


def cmd_export(args: argparse.Namespace) -> int:
    """Export a region of images at any size with LIIF or a classic method (one file, or a batch)."""
    if _is_batch(args.image, args.output):
        return _batch(args, args.image, _export_request, "export")
    image = open_image(args.image[0])
    return _write_export(args, image, _export_request(args, image))


def _add_output_options(p: argparse.ArgumentParser, max_pixels: int) -> None:
    """The options upscale and export share after their own: quality, size limit, tiny images, batch, model."""
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality (default 95)")
    p.add_argument("--max-pixels", type=int, default=max_pixels, help=argparse.SUPPRESS)
    p.add_argument("--liif-under-2px", action="store_true",
                   help="an image under 2 px on a side: LIIF's own output (the official model's; colours drift "
                        "25-45 levels), not the bilinear stand-in")
    _add_batch_options(p)
    add_model_options(p)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register the upscale, export commands."""
    p = sub.add_parser("upscale", help="render an image at any size or scale with LIIF")
    p.add_argument("input", nargs="+", help="image file; or several files, folders and globs for a batch")
    p.add_argument("-o", "--output", required=True,
                   help="output file (format from the extension); for a batch, the output folder")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--scale", type=float, help="scale factor, e.g. 3.7 (below 1 downscales)")
    group.add_argument("--size", help="output WIDTHxHEIGHT, e.g. 1920x1080 (any aspect)")
    p.add_argument("--fast", action="store_true", help="fast mode (reduced precision, ≥ 60 dB vs exact)")
    _add_output_options(p, max_pixels=200_000_000)
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
    _add_output_options(p, max_pixels=400_000_000)
    p.set_defaults(func=cmd_export)
