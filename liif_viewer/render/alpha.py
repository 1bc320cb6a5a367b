"""Showing transparency: an image's alpha resampled for a view, composited over a checkerboard.

LIIF and the classic resamplers work on RGB; a pane of an image with alpha shows that RGB
over the usual grey checkerboard (8 device px squares, fixed to the screen), weighted by the
alpha resampled like the pane (nearest for the pixel pane, bilinear otherwise; area-averaged
below 1:1). Outside the image, alpha is 1: the pane background stays as it is.
"""

from __future__ import annotations

import numpy as np

from .resample import render_classic
from .viewport import Viewport

__all__ = ["CHECKER_PX", "alpha_for_view", "over_checkerboard"]

CHECKER_PX = 8
_LIGHT, _DARK = 0.80, 0.62


def alpha_for_view(alpha_u8: np.ndarray, vp: Viewport, method: str) -> np.ndarray:
    """``alpha_u8`` (H, W) uint8 resampled for ``vp`` with ``method``: float32 (h, w) in [0, 1], 1 outside."""
    stacked = np.repeat(alpha_u8[:, :, None], 3, axis=2)
    return render_classic(stacked, vp, method, (1.0, 1.0, 1.0))[:, :, 0]


def over_checkerboard(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """``rgb`` (h, w, 3) float over the screen-fixed checkerboard, weighted by ``alpha`` (h, w)."""
    h, w = alpha.shape
    ys, xs = np.arange(h) // CHECKER_PX, np.arange(w) // CHECKER_PX
    board = np.where((ys[:, None] + xs[None, :]) % 2 == 0, _LIGHT, _DARK).astype(np.float32)
    a = alpha[:, :, None].astype(np.float32)
    return rgb * a + board[:, :, None] * (1.0 - a)
