"""What every command shares: the one-line ``UserError``, ``say``, the progress bar, the model
loader, the model options, opening the input image and its output size."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..files.image_io import ImageDocument

__all__ = ["UserError", "say", "load_model", "progress_bar", "add_model_options", "open_image", "output_size"]


class UserError(Exception):
    """An error to show as one line, without a traceback."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_model(args: argparse.Namespace):  # noqa: ANN202  (returns LIIF; imported lazily)
    from ..model import CheckpointError, WeightsError, load_model, pick_device

    try:
        device = pick_device(args.device)
        return load_model(args.model, device=device, say=say), device
    except (CheckpointError, WeightsError, ValueError) as exc:
        raise UserError(str(exc)) from None


def progress_bar(desc: str, unit: str = "tile") -> tuple[Callable[[int, int], None], Callable[[], None]]:
    """A console progress bar (quiet when stderr is not a terminal): (update(done, total), close())."""
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=unit, file=sys.stderr, disable=None, leave=False)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return update, bar.close


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", metavar="PATH", help="a LIIF-format checkpoint (default: the official weights)")
    p.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda or cuda:N")


def open_image(path: str) -> ImageDocument:
    from ..files.image_io import ImageLoadError, load_image

    try:
        return load_image(path)
    except ImageLoadError as exc:
        raise UserError(str(exc)) from None


def output_size(width: float, height: float, args: argparse.Namespace) -> tuple[int, int]:
    """Output size of a ``width`` x ``height`` source from ``--scale`` or ``--size``; errors in the options' words."""
    from ..render.sizes import output_size, parse_size

    try:
        size = parse_size(args.size) if args.size else None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    try:
        return output_size(width, height, args.scale, size)
    except ValueError:  # no size and no positive scale
        raise UserError("give a positive --scale or a --size") from None
