"""A whole view per pass: every pixel of a view in one decoder query, for GPUs.

The tiled renderer (:mod:`.liif_tiles`) runs per-tile Python — rects, code boxes, numpy
coordinates, a projection per tile — which a CPU hides behind the MLP but a GPU does not
(an H200 rendered a 1920x1080 view at x4 at ~3 M px/s while its decoder alone ran 28 M px/s).
:func:`render_view` instead makes, on the decoder's device, the coordinates of every inside
pixel of the view, takes the view's codes from the feature store (kept on the device) as one
region, projects them once and answers all pixels with one :meth:`FoldedDecoder.query_parts` (its
batches loop over device tensors only). Views whose projection would pass ``max_codes`` are
cut into bands of rows, one query each.

Every pixel is evaluated (no level of detail), so it serves exact mode and fast mode at the
zooms where fast mode evaluates every pixel; its pixels equal the tiled renderer's to float
rounding (the same coordinates, codes and decoder).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..cancel import CancelToken
from ..model.coords import lattice_coord, lattice_size
from .fast_query import FoldedDecoder
from .features import FeatureStore
from .liif_tiles import code_box
from .resample import inside_span
from .viewport import Viewport

__all__ = ["render_view", "view_axis_coords", "MAX_PASS_CODES"]

#: Codes one pass projects at most (1 KB each at 256 hidden units): 256 MB.
MAX_PASS_CODES = 1 << 18


def view_axis_coords(origin: int, first: int, count: int, scale: float, size: int,
                     device: torch.device) -> tuple[torch.Tensor, float, float]:
    """LIIF coordinates (count,) float32 of lattice pixels ``origin + first + i`` along an axis of ``size`` px.

    Made on ``device``; the same values the tiled renderer computes for those pixels (the official
    ``make_coord`` arithmetic on the virtual output grid, :func:`~liif_viewer.model.coords.lattice_coord`). Also the
    first and last pixel centres in image px (float64), for choosing codes.
    """
    norm = lattice_coord(origin + first, count, lattice_size(size, scale), device=device)
    return norm, (origin + first + 0.5) / scale, (origin + first + count - 0.5) / scale


def render_view(vp: Viewport, store: FeatureStore, decoder: FoldedDecoder,
                background: tuple[float, float, float] = (0.0, 0.0, 0.0),
                cancel: CancelToken | None = None, max_codes: int = MAX_PASS_CODES) -> torch.Tensor:
    """LIIF of every pixel of ``vp`` whose centre is in the image: float32 (H, W, 3) on the decoder's device.

    Raises :class:`~liif_viewer.cancel.Cancelled` once ``cancel`` is set (checked between batches).
    """
    device = decoder.device
    out = torch.empty(vp.height, vp.width, 3, device=device)
    out[:] = torch.tensor(background, device=device)
    h, w = store.height, store.width
    ox, oy = vp.origin_lattice
    c0, c1 = inside_span(ox, vp.width, vp.sx, w)
    r0, r1 = inside_span(oy, vp.height, vp.sy, h)
    if c0 >= c1 or r0 >= r1:
        return out
    nx, x_first, x_last = view_axis_coords(ox, c0, c1 - c0, vp.sx, w, device)
    cell = torch.tensor([[2.0 / lattice_size(h, vp.sy), 2.0 / lattice_size(w, vp.sx)]], device=device)
    code_cols = math.floor(x_last + 0.5) - math.floor(x_first - 0.5) + 3
    band = max(1, int((max_codes / code_cols - 3) * vp.sy))  # screen rows per pass: codes within max_codes
    for top in range(r0, r1, band):
        bottom = min(r1, top + band)
        ny, y_first, y_last = view_axis_coords(oy, top, bottom - top, vp.sy, h, device)
        kr0, kr1, kc0, kc1 = code_box(np.array([y_first, y_last]), np.array([x_first, x_last]), w, h)
        region = decoder.project_region(store.region(kr0 - 1, kr1 + 2, kc0 - 1, kc1 + 2), kr0, kc0)
        norm = torch.stack(torch.meshgrid(ny, nx, indexing="ij"), dim=-1).view(-1, 2)
        # One part: fast mode adds the (uniform) cell's layer-1 term to the projections once, as tiles do.
        rgb = decoder.query_parts([(region, norm, cell.expand(norm.shape[0], 2))], (h, w), cancel)[0]
        out[top:bottom, c0:c1] = rgb.clamp_(0, 1).view(bottom - top, c1 - c0, 3)
        del region, rgb
    return out
