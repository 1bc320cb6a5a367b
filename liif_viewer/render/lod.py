"""Adaptive level of detail: evaluate LIIF where the image needs it, interpolate where it is smooth.

Fast mode above x4 samples a tile in two passes (:meth:`TileSampler.bands_steps`,
:meth:`TileSampler.refine_steps`):

1. *Band samples.* Between two of LIIF's kinks (code centres) the output is smooth,
   so each axis is cut into bands at the kinks and sampled at both ends of every
   band and at most ``spacing`` pixels apart in between (:mod:`.bands`). The grid
   of those rows x columns is evaluated and interpolated cubically within bands.
2. *Checks and refinement.* Each cell of that grid (between neighbouring samples)
   has its centre evaluated, and cells on the rect's rim the midpoint of their outer
   edge too. Where the cubic value there is off, the cell and its neighbours (whose
   cubic stencils reach into it) are refined as quadtree blocks: the midpoints of a
   block's edges and its centre are evaluated and compared with the bilinear
   prediction from its corners; blocks that deviate by more than the tolerance split
   in four, the others are filled bilinearly. Blocks one pixel thin are evaluated
   whole (their check points all lie on one line). The filled blocks are then checked
   a posteriori for kinks between their check points (:mod:`.lod_checks`) and
   refined again where one may put them off by more than the tolerance.

How closely this follows LIIF is one :class:`LodSettings`: :data:`SCREEN` for the
viewer, :data:`EXPORT` for files (tighter, and steep pixels re-evaluated in fp32).
Blocks never leave the tile's inside region (pixels whose centres lie in the
image) and every band's end pixels are evaluated, so nothing is extrapolated.
The passes are generators of evaluation requests, so that many tiles can share
one batched MLP query (see :func:`drive`). Where every pixel is evaluated (exact mode,
low zoom), :meth:`TileSampler.coarse` first gives a bilinear preview from every
``PREVIEW_STRIDE``-th pixel.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from .bands import band_samples, cubic_matrix, segments, separable
from .lod_checks import SMALL_SIDE, Changes, block_pixels, block_suspects, by_shape, pixel_suspects

__all__ = ["TileSampler", "Steps", "drive", "LodSettings", "SCREEN", "EXPORT", "DEFAULT_TOLERANCE",
           "PREVIEW_STRIDE", "Rect"]


@dataclass(frozen=True)
class LodSettings:
    """How closely fast mode's level of detail follows LIIF (RGB units in [0, 1])."""

    #: Largest deviation a quadtree block's check points may show and the block still be filled,
    #: and the largest error the a-posteriori checks may estimate for a filled block.
    tolerance: float
    #: The cell-centre check of the cubic pass, as a fraction of ``tolerance``.
    check: float = 0.5
    #: Exports: pixels that differ from a neighbour by this much or more are re-evaluated in fp32
    #: (bf16's error grows with the local slope; see .lod_checks). None: never.
    polish: float | None = None


#: The viewer: within 2 levels of exact (float) on the stress study (docs/performance.md).
SCREEN = LodSettings(1.0 / 255)
#: Files: 8-bit output within 1 level of exact's.
EXPORT = LodSettings(0.6 / 255, polish=4.0 / 255)
DEFAULT_TOLERANCE = SCREEN.tolerance
#: A-posteriori checks (see .lod_checks), in tolerances: side x largest second difference for blocks up
#: to SMALL_SIDE; for larger ones the single-kink estimate at block scale, and side x second difference
#: against a higher limit (bf16 noise in single-pixel differences; a kink mid-block errs side x d2 / 4).
#: Chosen on the stress study's Set14 views (docs/performance.md).
PIXEL_CHECK, BLOCK_CHECK, LARGE_PIXEL_CHECK = 2.0, 1.0, 4.0
#: Rounds of a-posteriori checks and refinement (each halves the blocks it refines).
CHECK_ROUNDS = 8

Evaluate = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (rows, cols) int arrays → (N, 3) float32
Rect = tuple[int, int, int, int]  # rows [r0, r1) x cols [c0, c1)
T = TypeVar("T")
#: A pass as a generator: yields (rows, cols) to evaluate, is sent their (N, 3) values, returns T.
Steps = Generator[tuple[np.ndarray, np.ndarray], np.ndarray, T]


def drive(steps: Steps[T], evaluate: Evaluate) -> T:
    """Run a pass to its end, answering each of its requests with ``evaluate``."""
    try:
        request = next(steps)
        while True:
            request = steps.send(evaluate(*request))
    except StopIteration as stop:
        return stop.value


#: Every this many pixels per axis, the preview of a render that evaluates every pixel.
PREVIEW_STRIDE = 4


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


class TileSampler:
    """Progressive evaluation of one (h, w) region: a first pass, then every pixel or refinement."""

    def __init__(self, height: int, width: int, evaluate: Evaluate) -> None:
        self.height, self.width = height, width
        self.evaluate = evaluate
        self.values = np.zeros((height, width, 3), np.float32)
        self.known = np.zeros((height, width), bool)
        self.evaluated = 0
        self._rows = np.zeros(0, np.int64)
        #: rect, row and column segments, and cubic interpolation of the last band pass
        self._band_state: tuple[Rect, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._cols = np.zeros(0, np.int64)
        self._changes: Changes | None = None  # set while refine_steps' checks watch the values

    def _eval_steps(self, rows: np.ndarray, cols: np.ndarray) -> Steps[None]:
        if not rows.size:
            return
        keep = ~self.known[rows, cols]
        rows, cols = rows[keep], cols[keep]
        if rows.size:
            flat = rows * self.width + cols
            if 16 * flat.size > self.known.size:  # many: mark and read back (sorted, once each) instead of sorting
                seen = np.zeros(self.known.size, bool)
                seen[flat] = True
                flat = np.flatnonzero(seen)
            else:
                flat = np.unique(flat)
            rows, cols = flat // self.width, flat % self.width
            self.values[rows, cols] = yield rows, cols
            self.known[rows, cols] = True
            self.evaluated += rows.size
            if self._changes is not None:
                self._changes.mark(rows, cols)

    def _eval(self, rows: np.ndarray, cols: np.ndarray) -> None:
        drive(self._eval_steps(rows, cols), self.evaluate)

    # --- passes -------------------------------------------------------------------------------------
    def coarse(self, stride: int = PREVIEW_STRIDE, rect: Rect | None = None,
               preview: bool = True) -> np.ndarray | None:
        """Evaluate every ``stride``-th pixel of ``rect`` (its last row and column included).

        Returns the bilinear fill of that grid inside ``rect`` (zero elsewhere), or None when
        ``preview`` is False.
        """
        r0, r1, c0, c1 = rect or (0, self.height, 0, self.width)
        rows, cols = r0 + _axis_samples(r1 - r0, stride), c0 + _axis_samples(c1 - c0, stride)
        rr, cc = np.meshgrid(rows, cols, indexing="ij")
        self._eval(rr.ravel(), cc.ravel())
        if not preview:
            return None
        out = np.zeros_like(self.values)
        grid = self.values[np.ix_(rows, cols)]  # (R, C, 3)
        lo_c, hi_c, w_c = _interp_weights(np.arange(c0, c1), cols)
        by_row = grid[:, lo_c] * (1 - w_c)[None, :, None] + grid[:, hi_c] * w_c[None, :, None]
        lo_r, hi_r, w_r = _interp_weights(np.arange(r0, r1), rows)
        out[r0:r1, c0:c1] = by_row[lo_r] * (1 - w_r)[:, None, None] + by_row[hi_r] * w_r[:, None, None]
        return out

    def bands_steps(self, spacing: int, rect: Rect | None = None, row_breaks: np.ndarray | None = None,
                    col_breaks: np.ndarray | None = None, preview: bool = True) -> Steps[np.ndarray | None]:
        """Evaluate the band samples of ``rect`` (see :mod:`.bands`) and interpolate them cubically.

        ``row_breaks``/``col_breaks`` are the kinks (p: between p and p + 1). The interpolation is
        kept for :meth:`refine_steps`; returned (full size, zero outside ``rect``) when ``preview``.
        """
        r0, r1, c0, c1 = rect or (0, self.height, 0, self.width)
        rows, row_bands = band_samples(r0, r1, row_breaks, spacing)
        cols, col_bands = band_samples(c0, c1, col_breaks, spacing)
        rr, cc = np.meshgrid(rows, cols, indexing="ij")
        yield from self._eval_steps(rr.ravel(), cc.ravel())
        grid = self.values[np.ix_(rows, cols)]  # (R, C, 3)
        smooth = separable(cubic_matrix(r0, r1, rows, row_bands), grid, cubic_matrix(c0, c1, cols, col_bands))
        self._band_state = ((r0, r1, c0, c1), segments(rows, row_bands), segments(cols, col_bands), smooth)
        if not preview:
            return None
        out = np.zeros_like(self.values)
        out[r0:r1, c0:c1] = smooth
        return out

    def bands(self, spacing: int, rect: Rect | None = None, row_breaks: np.ndarray | None = None,
              col_breaks: np.ndarray | None = None, preview: bool = True) -> np.ndarray | None:
        """:meth:`bands_steps`, evaluated here."""
        return drive(self.bands_steps(spacing, rect, row_breaks, col_breaks, preview), self.evaluate)

    def refine_steps(self, tolerance: float = DEFAULT_TOLERANCE, check: float | None = None) -> Steps[np.ndarray]:
        """Check the last band interpolation at each cell's centre; refine around cells that miss.

        A cell lies between neighbouring band samples in both axes. Where its centre's cubic
        value is off by more than ``check`` (default ``tolerance``), the cell and its neighbours
        are refined as quadtree blocks to ``tolerance``. Elsewhere the cubic interpolation
        stands. Evaluated pixels always keep their evaluated values.
        """
        if self._band_state is None:
            raise RuntimeError("refine_steps needs a complete bands pass over the same rect first")
        (r0, r1, c0, c1), row_seg, col_seg, smooth = self._band_state
        ri, ci = np.meshgrid(np.arange(len(row_seg)), np.arange(len(col_seg)), indexing="ij")
        cells = np.concatenate([row_seg[ri], col_seg[ci]], axis=2)  # (I, J, 4): a, b, c, d
        a, b, c, d = np.moveaxis(cells, 2, 0)
        inner = (b - a > 1) | (d - c > 1)  # cells with pixels that are not samples
        m, n = (a + b) // 2, (c + d) // 2
        # The rect's outer sample lines are seen by one cell only: check their midpoints too.
        rims = [(rim & inner, rows, cols)
                for rim, rows, cols in ((a == r0, a, n), (b == r1 - 1, b, n), (c == c0, m, c), (d == c1 - 1, m, d))]
        yield from self._eval_steps(np.concatenate([m[inner]] + [rows[rim] for rim, rows, _ in rims]),
                                    np.concatenate([n[inner]] + [cols[rim] for rim, _, cols in rims]))
        deviation = np.abs(self.values[m, n] - smooth[m - r0, n - c0]).max(axis=2)
        for rim, rows, cols in rims:
            off = np.abs(self.values[rows, cols] - smooth[rows - r0, cols - c0]).max(axis=2)
            deviation = np.where(rim, np.maximum(deviation, off), deviation)
        missed = inner & (deviation > (tolerance if check is None else check))
        # Cubic stencils reach one cell further: next to a missed cell, trust only bilinear + checks.
        near = np.zeros((len(row_seg) + 2, len(col_seg) + 2), bool)
        for dy in range(3):
            for dx in range(3):
                near[dy:dy + len(row_seg), dx:dx + len(col_seg)] |= missed
        near = near[1:-1, 1:-1] & inner
        np.copyto(self.values[r0:r1, c0:c1], smooth, where=~self.known[r0:r1, c0:c1, None])
        active = cells[near]
        filled = np.zeros((0, 4), np.int64)  # leaves filled so far and not refined since
        fresh = np.zeros(0, bool)  # which of them no check has judged yet
        rect = (r0, r1, c0, c1)
        self._changes = changes = Changes(self.height, self.width, ("small", "large"))
        try:  # a cancelled render closes this pass at a yield
            for _ in range(CHECK_ROUNDS):
                leaves = []
                while len(active):
                    # A block one pixel thin has all its check points on one line: evaluate it whole.
                    thin = np.minimum(active[:, 1] - active[:, 0], active[:, 3] - active[:, 2]) == 0
                    active, done = yield from self._refine_steps(active[~thin], tolerance, block_pixels(active[thin]))
                    leaves.append(done)
                if leaves:
                    leaves = np.concatenate(leaves)
                    leaves = leaves[(leaves[:, 1] - leaves[:, 0] > 1) | (leaves[:, 3] - leaves[:, 2] > 1)]
                    self._fill(leaves)
                    changes.mark_blocks(leaves)
                    filled = np.concatenate([filled, leaves])
                    fresh = np.concatenate([fresh, np.ones(len(leaves), bool)])
                # A posteriori: small blocks that may hide a kink are evaluated, larger ones refined again.
                # New evaluations change what their neighbours' differences show, so a block is judged
                # again whenever a value it reads has changed (see .lod_checks.Changes).
                side = np.maximum(filled[:, 1] - filled[:, 0], filled[:, 3] - filled[:, 2])
                is_small = side <= SMALL_SIDE
                small, large = filled[is_small], filled[~is_small]
                judge = fresh[is_small] | changes.touched("small", Changes.reach(small, scale=False))
                redo = np.zeros(len(small), bool)
                redo[judge] = pixel_suspects(self.values, small[judge], rect, PIXEL_CHECK * tolerance)
                changes.clear("small")
                yield from self._eval_steps(*block_pixels(small[redo]))
                judge = fresh[~is_small] | changes.touched("large", Changes.reach(large, scale=True))
                again = np.zeros(len(large), bool)
                again[judge] = block_suspects(self.values, large[judge], rect, BLOCK_CHECK * tolerance)
                again[judge] |= pixel_suspects(self.values, large[judge], rect, LARGE_PIXEL_CHECK * tolerance)
                changes.clear("large")
                active, filled = large[again], np.concatenate([small[~redo], large[~again]])
                fresh = np.zeros(len(filled), bool)
                if not redo.any() and not len(active):
                    break
        finally:
            self._changes = None
        self._band_state = None  # the interpolation (as big as the values) is not needed any more
        return self.values

    @property
    def band_bytes(self) -> int:
        """Memory of the last band pass's interpolation, kept for :meth:`refine_steps`."""
        return 0 if self._band_state is None else sum(a.nbytes for a in self._band_state[1:])

    def forget_bands(self) -> None:
        """Drop the last band pass's interpolation (a later refinement needs a new band pass)."""
        self._band_state = None

    def refine_cells(self, tolerance: float = DEFAULT_TOLERANCE, check: float | None = None) -> np.ndarray:
        """:meth:`refine_steps`, evaluated here."""
        return drive(self.refine_steps(tolerance, check), self.evaluate)

    def full_steps(self, rect: Rect | None = None) -> Steps[np.ndarray]:
        """Evaluate every pixel of ``rect`` (exact mode, or low zoom)."""
        r0, r1, c0, c1 = rect or (0, self.height, 0, self.width)
        rr, cc = np.meshgrid(np.arange(r0, r1), np.arange(c0, c1), indexing="ij")
        yield from self._eval_steps(rr.ravel(), cc.ravel())
        return self.values

    def full(self, rect: Rect | None = None) -> np.ndarray:
        """:meth:`full_steps`, evaluated here."""
        return drive(self.full_steps(rect), self.evaluate)

    def _refine_steps(self, blocks: np.ndarray, tolerance: float,
                      also: tuple[np.ndarray, np.ndarray]) -> Steps[tuple[np.ndarray, np.ndarray]]:
        """One quadtree level: evaluate the blocks' 5 check points (and the pixels ``also``, in the same
        request); return (children to refine, leaves)."""
        a, b, c, d = blocks.T
        m, n = (a + b) // 2, (c + d) // 2
        pts_r = np.stack([m, m, a, b, m], axis=1)
        pts_c = np.stack([c, d, n, n, n], axis=1)
        yield from self._eval_steps(np.concatenate([pts_r.ravel(), also[0]]), np.concatenate([pts_c.ravel(), also[1]]))
        ty = (pts_r - a[:, None]) / np.maximum(b - a, 1)[:, None]
        tx = (pts_c - c[:, None]) / np.maximum(d - c, 1)[:, None]
        v = self.values
        pred = ((1 - ty)[..., None] * ((1 - tx)[..., None] * v[a, c][:, None] + tx[..., None] * v[a, d][:, None])
                + ty[..., None] * ((1 - tx)[..., None] * v[b, c][:, None] + tx[..., None] * v[b, d][:, None]))
        deviation = np.abs(v[pts_r, pts_c] - pred).max(axis=(1, 2))
        # Children: split each axis at its midpoint where the block is more than one step long;
        # in the order top-left, top-right, bottom-left, bottom-right, each in the blocks' order.
        split_r, split_c = b - a > 1, d - c > 1
        mid_r0, mid_r1 = np.where(split_r, m, a), np.where(split_r, m, b)
        mid_c0, mid_c1 = np.where(split_c, n, c), np.where(split_c, n, d)
        kids = np.stack([np.stack(edges, axis=1) for edges in ((a, mid_r1, c, mid_c1), (a, mid_r1, mid_c0, d),
                                                               (mid_r0, b, c, mid_c1), (mid_r0, b, mid_c0, d))])
        keep = np.stack([np.ones_like(split_r), split_c, split_r, split_r & split_c])  # (4, blocks)
        small = (kids[..., 1] - kids[..., 0] <= 1) & (kids[..., 3] - kids[..., 2] <= 1)
        refine = (deviation > tolerance) & ~small
        return kids[keep & refine], kids[keep & ~refine]

    def _fill(self, leaves: np.ndarray) -> None:
        """Bilinear fill of every leaf's not-yet-evaluated pixels from its four evaluated corners.

        Leaves share their edges; a pixel two leaves hold takes the later leaf's value (in the
        order of ``leaves``). Leaves of one shape are filled together, as (leaves, rows, cols) arrays.
        """
        leaves = leaves[(leaves[:, 1] - leaves[:, 0] > 1) | (leaves[:, 3] - leaves[:, 2] > 1)]
        if not len(leaves):
            return
        width = self.width
        v, known = self.values.reshape(-1, 3), self.known.ravel()
        a, b, c, d = leaves.T
        last = np.full(len(known), -1, np.int64)  # the last leaf holding each pixel
        pixels = []
        for idx, rows, cols in by_shape(leaves):
            flat = rows * width + cols  # (n, pixels)
            # Repeats within a group come in leaf order, so the later leaf's (larger) index lands last.
            last[flat] = np.maximum(last[flat], idx[:, None])
            pixels.append((idx, int(b[idx[0]] - a[idx[0]]), int(d[idx[0]] - c[idx[0]]), flat))
        for idx, hh, ww, flat in pixels:
            write = (last[flat] == idx[:, None]) & ~known[flat]
            if not write.any():
                continue
            wx = (np.arange(ww + 1) / max(ww, 1)).astype(np.float32)[None, :, None]
            wy = (np.arange(hh + 1) / max(hh, 1)).astype(np.float32)[None, :, None, None]
            top, bottom = a[idx] * width, b[idx] * width
            left, right = c[idx], d[idx]
            upper = v[top + left][:, None] * (1 - wx) + v[top + right][:, None] * wx  # (n, ww + 1, 3)
            lower = v[bottom + left][:, None] * (1 - wx) + v[bottom + right][:, None] * wx
            fill = upper[:, None] * (1 - wy) + lower[:, None] * wy  # (n, hh + 1, ww + 1, 3)
            v[flat[write]] = fill.reshape(len(idx), -1, 3)[write]
