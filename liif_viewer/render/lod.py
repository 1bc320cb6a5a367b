"""Adaptive level of detail: evaluate LIIF where the image needs it, interpolate where it is smooth.

A screen tile is sampled on a coarse grid (stride ``S``) whose first and last rows
and columns are always evaluated, cutting it into blocks whose four corners are
known. Each refinement step evaluates the midpoints of the active blocks' edges
and centre and compares them with the bilinear prediction from the corners:
blocks that deviate by more than ``tolerance`` split into four active children;
the others stop, and their children become leaves filled bilinearly from their
evaluated corners. Blocks never leave the tile's inside region (the pixels whose
centres lie in the image), so nothing is extrapolated.

At high zoom a latent cell spans many screen pixels and LIIF is smooth at screen
scale, so most blocks stop early; near edges they refine down to single pixels.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["TileSampler", "initial_stride", "tolerance_for", "DEFAULT_TOLERANCE", "Rect"]

#: Largest midpoint deviation (RGB in [0, 1]) a block may show and still be interpolated.
DEFAULT_TOLERANCE = 0.5 / 255
#: From this zoom on, LIIF is smooth enough at screen scale that twice the tolerance keeps the
#: same error bound (measured: <= 1.7 levels max at x16-x64, >= 66 dB; docs/performance.md).
HIGH_ZOOM = 16.0


def tolerance_for(scale: float) -> float:
    """Refinement tolerance for a zoom: 0.5 levels of 8-bit below x16, 1 level from x16 on."""
    return DEFAULT_TOLERANCE * (2.0 if scale >= HIGH_ZOOM else 1.0)

Evaluate = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (rows, cols) int arrays → (N, 3) float32
Rect = tuple[int, int, int, int]  # rows [r0, r1) x cols [c0, c1)


def initial_stride(scale: float, adaptive: bool) -> int:
    """Stride of the first pass: 4 for the preview when every pixel is evaluated, else from the zoom."""
    if not adaptive or scale <= 4:
        return 4
    return int(min(16, 2 ** math.floor(math.log2(scale / 2))))


def _axis_samples(n: int, stride: int) -> np.ndarray:
    return np.unique(np.append(np.arange(0, n, stride), n - 1))


def _interp_weights(targets: np.ndarray, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left and right sample indices and the right one's weight, for linear interpolation at ``targets``."""
    if len(samples) == 1:
        zeros = np.zeros(len(targets), np.int64)
        return zeros, zeros, np.zeros(len(targets), np.float32)
    lo = np.clip(np.searchsorted(samples, targets, side="right") - 1, 0, len(samples) - 2)
    weight = (targets - samples[lo]) / (samples[lo + 1] - samples[lo])
    return lo, lo + 1, np.clip(weight, 0, 1).astype(np.float32)


def _with_breaks(samples: np.ndarray, breaks: np.ndarray | None, lo: int, hi: int) -> np.ndarray:
    if breaks is None or not len(breaks):
        return samples
    both = np.concatenate([samples, breaks, breaks + 1])
    return np.unique(both[(both >= lo) & (both < hi)])


class TileSampler:
    """Progressive evaluation of one (h, w) region: a coarse pass, then full or adaptive refinement."""

    def __init__(self, height: int, width: int, evaluate: Evaluate) -> None:
        self.height, self.width = height, width
        self.evaluate = evaluate
        self.values = np.zeros((height, width, 3), np.float32)
        self.known = np.zeros((height, width), bool)
        self.evaluated = 0
        self._rows = np.zeros(0, np.int64)
        self._cols = np.zeros(0, np.int64)

    def _eval(self, rows: np.ndarray, cols: np.ndarray) -> None:
        keep = ~self.known[rows, cols]
        rows, cols = rows[keep], cols[keep]
        if rows.size:
            flat = np.unique(rows * self.width + cols)
            rows, cols = flat // self.width, flat % self.width
            self.values[rows, cols] = self.evaluate(rows, cols)
            self.known[rows, cols] = True
            self.evaluated += rows.size

    # --- passes -------------------------------------------------------------------------------------
    def coarse(self, stride: int, rect: Rect | None = None, row_breaks: np.ndarray | None = None,
               col_breaks: np.ndarray | None = None, preview: bool = True) -> np.ndarray | None:
        """Evaluate the stride grid of ``rect`` (its edges included); return a preview of the region.

        ``row_breaks``/``col_breaks`` are indices p where the function has a kink between p and
        p + 1; both sides join the grid, so no block straddles a kink. The preview holds the
        bilinear fill of the grid inside ``rect`` (other pixels are zero); None when not asked for.
        """
        r0, r1, c0, c1 = rect or (0, self.height, 0, self.width)
        self._rows = _with_breaks(r0 + _axis_samples(r1 - r0, stride), row_breaks, r0, r1)
        self._cols = _with_breaks(c0 + _axis_samples(c1 - c0, stride), col_breaks, c0, c1)
        rr, cc = np.meshgrid(self._rows, self._cols, indexing="ij")
        self._eval(rr.ravel(), cc.ravel())
        if not preview:
            return None
        out = np.zeros_like(self.values)
        grid = self.values[np.ix_(self._rows, self._cols)]  # (R, C, 3)
        lo_c, hi_c, w_c = _interp_weights(np.arange(c0, c1), self._cols)
        by_row = grid[:, lo_c] * (1 - w_c)[None, :, None] + grid[:, hi_c] * w_c[None, :, None]
        lo_r, hi_r, w_r = _interp_weights(np.arange(r0, r1), self._rows)
        out[r0:r1, c0:c1] = by_row[lo_r] * (1 - w_r)[:, None, None] + by_row[hi_r] * w_r[:, None, None]
        return out

    def full(self, rect: Rect | None = None) -> np.ndarray:
        """Evaluate every pixel of ``rect`` (exact mode, or low zoom)."""
        r0, r1, c0, c1 = rect or (0, self.height, 0, self.width)
        rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
        self._eval(rr.ravel(), cc.ravel())
        return self.values

    def adaptive(self, tolerance: float = DEFAULT_TOLERANCE, rect: Rect | None = None) -> np.ndarray:
        """Refine the blocks of the last ``coarse`` grid (over ``rect``) until each stops deviating.

        Leaves are filled bilinearly; pixels evaluated earlier are never overwritten.
        """
        rows, cols = self._rows, self._cols
        if len(rows) < 2 or len(cols) < 2:
            return self.full(rect)
        a, c = np.meshgrid(rows[:-1], cols[:-1], indexing="ij")
        b, d = np.meshgrid(rows[1:], cols[1:], indexing="ij")
        active = np.stack([a.ravel(), b.ravel(), c.ravel(), d.ravel()], axis=1)
        leaves = []
        while len(active):
            active, done = self._refine(active, tolerance)
            leaves.append(done)
        self._fill(np.concatenate(leaves))
        return self.values

    def _refine(self, blocks: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
        a, b, c, d = blocks.T
        m, n = (a + b) // 2, (c + d) // 2
        pts_r = np.stack([m, m, a, b, m], axis=1)
        pts_c = np.stack([c, d, n, n, n], axis=1)
        self._eval(pts_r.ravel(), pts_c.ravel())
        ty = (pts_r - a[:, None]) / np.maximum(b - a, 1)[:, None]
        tx = (pts_c - c[:, None]) / np.maximum(d - c, 1)[:, None]
        v = self.values
        pred = ((1 - ty)[..., None] * ((1 - tx)[..., None] * v[a, c][:, None] + tx[..., None] * v[a, d][:, None])
                + ty[..., None] * ((1 - tx)[..., None] * v[b, c][:, None] + tx[..., None] * v[b, d][:, None]))
        deviation = np.abs(v[pts_r, pts_c] - pred).max(axis=(1, 2))
        # Children: split each axis at its midpoint where the block is more than one step long.
        split_r, split_c = b - a > 1, d - c > 1
        kids = []
        for top in (True, False):
            for left in (True, False):
                ka = np.where(top, a, np.where(split_r, m, a))
                kb = np.where(top, np.where(split_r, m, b), b)
                kc = np.where(left, c, np.where(split_c, n, c))
                kd = np.where(left, np.where(split_c, n, d), d)
                keep = (top | split_r) & (left | split_c)
                kids.append((np.stack([ka, kb, kc, kd], axis=1), keep, deviation > tolerance))
        active, done = [], []
        for child, keep, refine in kids:
            small = (child[:, 1] - child[:, 0] <= 1) & (child[:, 3] - child[:, 2] <= 1)
            active.append(child[keep & refine & ~small])
            done.append(child[keep & ~(refine & ~small)])
        return np.concatenate(active), np.concatenate(done)

    def _fill(self, leaves: np.ndarray) -> None:
        """Bilinear fill of every leaf's not-yet-evaluated pixels from its four evaluated corners."""
        width = self.width
        flat_v = self.values.reshape(-1, 3)
        flat_known = self.known.ravel()
        heights, widths = leaves[:, 1] - leaves[:, 0], leaves[:, 3] - leaves[:, 2]
        for hh, ww in set(zip(heights.tolist(), widths.tolist(), strict=True)):
            if hh <= 1 and ww <= 1:
                continue
            a, b, c, d = leaves[(heights == hh) & (widths == ww)].T
            offsets = (np.arange(hh + 1)[:, None] * width + np.arange(ww + 1)[None, :]).ravel()  # (P,)
            targets = (a * width + c)[:, None] + offsets[None, :]  # (K, P) flat pixel indices
            leaf, pos = np.nonzero(~flat_known[targets])
            if not leaf.size:
                continue
            wy = (pos // (ww + 1) / max(hh, 1)).astype(np.float32)[:, None]
            wx = (pos % (ww + 1) / max(ww, 1)).astype(np.float32)[:, None]
            a, b, c, d = a[leaf], b[leaf], c[leaf], d[leaf]
            top = flat_v[a * width + c] * (1 - wx) + flat_v[a * width + d] * wx
            bottom = flat_v[b * width + c] * (1 - wx) + flat_v[b * width + d] * wx
            flat_v[targets[leaf, pos]] = top * (1 - wy) + bottom * wy
