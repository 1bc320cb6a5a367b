"""Classic renderers of a viewport: nearest ("Pixels"), bilinear, bicubic and area average.

All take the same :class:`Viewport` and return float32 RGB (height, width, 3) whose
pixel (r, c) samples the image at the viewport's lattice pixel centre, exactly as
the LIIF renderer does; pixels whose centre lies outside the image get
``background``. Pillow does the resampling (fast, SIMD); the visible crop gets a
2-pixel edge-replicated border so interpolation clamps at the image edge.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from .viewport import Viewport

__all__ = ["FILTERS", "render_classic", "inside_span", "to_display_uint8", "standin_method"]

#: The classic methods by name, each with the Pillow filter that renders it.
FILTERS = {
    "nearest": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "area": Image.Resampling.BOX,
}
_PAD = 3


def inside_span(origin: int, count: int, scale: float, size: int) -> tuple[int, int]:
    """Screen index range [a, b) of lattice pixels origin+i whose centres lie inside [0, size)."""
    a = max(0, math.ceil(-0.5 - origin))
    b = min(count, math.ceil(size * scale - 0.5 - origin))
    # Guard float edge cases: re-check the end points against the exact centre test.
    while a < b and (origin + a + 0.5) / scale < 0:
        a += 1
    while b > a and (origin + b - 0.5) / scale >= size:
        b -= 1
    return a, max(a, b)


def standin_method(vp: Viewport) -> str:
    """How LIIF's stand-in (and an image's alpha on the LIIF pane) is resampled: bilinear, area below 1:1."""
    return "bilinear" if min(vp.sx, vp.sy) >= 1 else "area"


def to_display_uint8(rgb: np.ndarray) -> np.ndarray:
    """Float RGB in [0, 1] → uint8 for display (rounded, clamped): floor(x * 255 + 0.5).

    NumPy, in place on one temporary (not torch: it runs in the viewer's classic-pane thread,
    and torch's OpenMP teams in several threads of a 2-core machine slow each other down).
    """
    out = np.clip(rgb, 0.0, 1.0, dtype=np.float32)
    out *= 255.0
    out += 0.5
    return out.astype(np.uint8)  # truncation = floor for x >= 0


def render_classic(image_u8: np.ndarray, vp: Viewport, method: str = "bilinear",
                   background: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> np.ndarray:
    """Render ``image_u8`` (H, W, 3) uint8 in ``vp`` with ``method``; float32 (vp.height, vp.width, 3)."""
    if method not in FILTERS:
        raise ValueError(f"method must be one of {sorted(FILTERS)}, got {method!r}")
    height, width = image_u8.shape[:2]
    out = np.empty((vp.height, vp.width, 3), np.float32)
    out[:] = background
    ox, oy = vp.origin_lattice
    c0, c1 = inside_span(ox, vp.width, vp.sx, width)
    r0, r1 = inside_span(oy, vp.height, vp.sy, height)
    if c0 >= c1 or r0 >= r1:
        return out
    # Image-space box of the inside lattice pixels, and the integer crop (plus padding) that holds it.
    bx0, bx1 = (ox + c0) / vp.sx, (ox + c1) / vp.sx
    by0, by1 = (oy + r0) / vp.sy, (oy + r1) / vp.sy
    pad_x0, pad_y0 = _PAD + math.ceil(1.0 / vp.sx), _PAD + math.ceil(1.0 / vp.sy)
    x0, x1 = max(0, math.floor(bx0) - pad_x0), min(width, math.ceil(bx1) + pad_x0)
    y0, y1 = max(0, math.floor(by0) - pad_y0), min(height, math.ceil(by1) + pad_y0)
    crop = image_u8[y0:y1, x0:x1]
    padded = np.pad(crop, ((pad_y0, pad_y0), (pad_x0, pad_x0), (0, 0)), mode="edge")
    box = (bx0 - x0 + pad_x0, by0 - y0 + pad_y0, bx1 - x0 + pad_x0, by1 - y0 + pad_y0)
    resized = Image.fromarray(padded).resize((c1 - c0, r1 - r0), FILTERS[method], box=box)
    out[r0:r1, c0:c1] = np.asarray(resized, np.float32) / 255.0
    return out
