"""Headless data of the viewer's inspection tools: line profiles, difference images, histograms.

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
           "abs_difference", "colourise", "luma_histogram"]

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
    diff = np.abs(a_u8.astype(np.int16) - b_u8.astype(np.int16))
    return diff.max(axis=2).astype(np.uint8)


def colourise(values: np.ndarray, levels: tuple[float, float], lut: np.ndarray) -> np.ndarray:
    """``values`` (H, W) through ``lut`` ((N, 3) uint8): ``levels[0]`` → lut[0], ``levels[1]`` and up → lut[-1]."""
    low, high = levels
    span = max(high - low, 1e-9)
    index = np.clip((values.astype(np.float32) - low) * ((len(lut) - 1) / span), 0, len(lut) - 1)
    return np.ascontiguousarray(lut[(index + 0.5).astype(np.intp)][..., :3])


def luma_histogram(u8: np.ndarray, vp: Viewport, image_size: tuple[int, int]) -> np.ndarray:
    """Counts (256,) of the rounded luma of the render's pixels whose centres lie on the image (not the margin)."""
    ox, oy = vp.origin_lattice
    c0, c1 = inside_span(ox, u8.shape[1], vp.sx, image_size[0])
    r0, r1 = inside_span(oy, u8.shape[0], vp.sy, image_size[1])
    inside = u8[r0:r1, c0:c1].reshape(-1, 3).astype(np.float32)
    luma = inside @ np.asarray(LUMA, np.float32)
    return np.bincount(np.clip(luma + 0.5, 0, 255).astype(np.intp), minlength=256)[:256]
