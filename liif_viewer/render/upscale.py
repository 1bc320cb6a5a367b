"""Whole-image upscaling to any output size: the engine behind ``main.py upscale``."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from ..model import LIIF
from .image_io import LoadedImage, to_uint8

__all__ = ["parse_size", "output_size", "upscale_rgb", "resize_alpha"]


def parse_size(text: str) -> tuple[int, int]:
    """``"1920x1080"`` → (width, height); raises ``ValueError`` with a readable message."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match:
        raise ValueError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 1920x1080")
    width, height = int(match.group(1)), int(match.group(2))
    if width < 1 or height < 1:
        raise ValueError(f"size {text!r} must be at least 1x1")
    return width, height


def output_size(width: int, height: int, scale: float | None = None,
                size: tuple[int, int] | None = None) -> tuple[int, int]:
    """Output (width, height) from a scale factor (rounded to nearest pixel) or an explicit size."""
    if size is not None:
        return size
    if scale is None or not scale > 0:
        raise ValueError("give a positive --scale or a --size")
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_alpha(alpha: np.ndarray, width: int, height: int) -> np.ndarray:
    """Alpha (h, w) float in [0, 1] → uint8 (height, width), bilinear (pixel-centre aligned)."""
    img = Image.fromarray(alpha.astype(np.float32), "F").resize((width, height), Image.Resampling.BILINEAR)
    return to_uint8(np.asarray(img))


@torch.no_grad()
def upscale_rgb(
    model: LIIF,
    image: LoadedImage,
    width: int,
    height: int,
    device: torch.device | str = "cpu",
    batch_size: int = 16384,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """LIIF output of ``image`` on a ``width`` x ``height`` grid → uint8 (height, width, 3).

    Exact fp32 reference path, queried in batches of ``batch_size`` pixels.
    """
    rgb = torch.from_numpy(image.rgb).permute(2, 0, 1).to(device)
    out = model.render_grid(rgb, height, width, batch_size=batch_size, progress=progress)
    return to_uint8(out.cpu().numpy())
