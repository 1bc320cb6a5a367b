"""Headless data of the viewer's inspection tools: line profiles, difference images, histograms, PSNR.

Everything works on what a pane shows: uint8 RGB renders, each made for its own
:class:`Viewport` (screen pixel (r, c) of a render covers the image box of lattice pixel
(ox + c, oy + r)). No Qt here; the app draws what these functions return.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .resample import inside_span
from .viewport import Viewport

__all__ = ["LUMA", "CHANNELS", "channel_values", "line_points", "sample_render", "sample_layers",
           "abs_difference", "psnr", "colourise", "luma_histogram"]

#: Luma weights of displayed 8-bit RGB (ITU-R BT.601, as the eval's Y channel, without its offset).
LUMA = (0.299, 0.587, 0.114)
#: What a profile or histogram plots: luma, or one of the colour channels.
CHANNELS = ("luma", "red", "green", "blue")


def channel_values(rgb: np.ndarray, channel: str = "luma") -> np.ndarray:
    """(..., 3) RGB → (...) float64 values of ``channel`` (NaN stays NaN)."""
    rgb = np.asarray(rgb, np.float64)
    if channel == "luma":
        return rgb @ np.asarray(LUMA)
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
    return rgb[..., CHANNELS.index(channel) - 1]


def line_points(start_xy: tuple[float, float], end_xy: tuple[float, float],
                vp: Viewport) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along a line (image px) at the screen resolution of ``vp``: one per device pixel of its length.

    Returns (distance from the start in image px, x, y), each (n,) float64 with n ≥ 2; the first
    point is ``start_xy`` and the last ``end_xy``.
    """
    (x0, y0), (x1, y1) = start_xy, end_xy
    screen_length = math.hypot((x1 - x0) * vp.sx, (y1 - y0) * vp.sy)
    count = max(2, math.ceil(screen_length) + 1)
    t = np.linspace(0.0, 1.0, count)
    return t * math.hypot(x1 - x0, y1 - y0), x0 + t * (x1 - x0), y0 + t * (y1 - y0)


def sample_render(u8: np.ndarray, vp: Viewport, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """RGB (n, 3) float64 that the render ``u8`` (made for ``vp``) shows at image points (xs, ys).

    Each point takes the value of the screen pixel that contains it; points the render does not
    cover are NaN.
    """
    ox, oy = vp.origin_lattice
    cols = np.floor(np.asarray(xs, np.float64) * vp.sx - ox)
    rows = np.floor(np.asarray(ys, np.float64) * vp.sy - oy)
    height, width = u8.shape[:2]
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    out = np.full((len(cols), 3), np.nan)
    out[inside] = u8[rows[inside].astype(np.intp), cols[inside].astype(np.intp)]
    return out


def sample_layers(layers: Sequence[tuple[np.ndarray, Viewport]], xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """What a pane painting ``layers`` (bottom first) shows at image points: the topmost covering layer's value."""
    out = np.full((len(xs), 3), np.nan)
    for u8, vp in reversed(layers):
        missing = np.isnan(out[:, 0])
        if not missing.any():
            break
        out[missing] = sample_render(u8, vp, np.asarray(xs)[missing], np.asarray(ys)[missing])
    return out


def abs_difference(a_u8: np.ndarray, b_u8: np.ndarray) -> np.ndarray:
    """|a − b| per pixel in 8-bit levels, the largest of the R, G, B differences: uint8 (H, W)."""
    if a_u8.shape != b_u8.shape:
        raise ValueError(f"images differ in size: {a_u8.shape} and {b_u8.shape}")
    diff = np.maximum(a_u8, b_u8)
    diff -= np.minimum(a_u8, b_u8)  # |a − b| in uint8, no wider copies (it runs on the GUI thread)
    out = np.maximum(diff[..., 0], diff[..., 1])
    return np.maximum(out, diff[..., 2], out=out)


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 1.0) -> float:
    """PSNR (dB) of two images of one scale whose full range is ``peak`` (inf when they are equal).

    The one PSNR of the package: the bench, the fast-mode study and the eval's protocols (which
    first take the Y channel and shave the border) all come here.
    """
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(peak * peak / mse)


def colourise(values: np.ndarray, levels: tuple[float, float], lut: np.ndarray) -> np.ndarray:
    """uint8 ``values`` (H, W) through ``lut`` ((N, 3) uint8): ``levels[0]`` → lut[0], ``levels[1]`` and up → lut[-1].

    RGB (H, W, 3) uint8, by one look-up in a 256-entry table made for ``levels``.
    """
    low, high = levels
    span = max(high - low, 1e-9)
    index = np.clip((np.arange(256, dtype=np.float64) - low) * ((len(lut) - 1) / span), 0, len(lut) - 1)
    table = np.ascontiguousarray(lut[(index + 0.5).astype(np.intp), :3])
    return np.take(table, values.ravel(), axis=0).reshape(*values.shape, 3)  # 3x faster than table[values]


def luma_histogram(u8: np.ndarray, vp: Viewport, image_size: tuple[int, int]) -> np.ndarray:
    """Counts (256,) of the luma of the render's pixels whose centres lie on the image (not the margin).

    Luma rounded half up in integers, (299 R + 587 G + 114 B + 500) // 1000, without float copies.
    """
    ox, oy = vp.origin_lattice
    c0, c1 = inside_span(ox, u8.shape[1], vp.sx, image_size[0])
    r0, r1 = inside_span(oy, u8.shape[0], vp.sy, image_size[1])
    inside = u8[r0:r1, c0:c1]
    luma = inside[..., 0] * np.uint32(299)
    luma += inside[..., 1] * np.uint32(587)
    luma += inside[..., 2] * np.uint32(114)
    luma += 500
    luma //= 1000
    return np.bincount(luma.ravel(), minlength=256)[:256]
