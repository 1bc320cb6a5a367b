"""A-posteriori checks of fast mode's filled pixels, and the pixels exports re-evaluate in fp32.

LIIF's output is smooth between kinks, but its kinks (ReLU switches of the MLP, besides
the code centres) can sit anywhere, and a quadtree block's five check points can all
miss one. These checks read the filled result instead, at no extra evaluation:

* *pixel scale* (blocks of at most ``SMALL_SIDE`` px): a filled pixel between evaluated
  ones is off by about half the slope change of a kink it hides, and that change shows in
  the second differences of the filled image around it; ``L`` times the largest of them
  bounds a single kink's error;
* *block scale* (larger blocks, where single-pixel second differences are partly bf16
  noise): along the block's corner rows and columns the slope across the block is
  compared with the slopes over the same length just outside it. A kink at fraction
  ``t`` with slope change ``s`` changes the slope by ``s (1 - t)`` at one end and
  ``s t`` at the other, and errs by ``s L t (1 - t) = L g h / (g + h)`` for those two
  changes ``g, h``. Two kinks (a valley inside the block) can leave both ends' slopes
  unchanged, so larger blocks are also judged at pixel scale against a higher limit:
  the valley shows on the evaluated lines that cross it.

Blocks flagged by either are refined further (see :meth:`.lod.TileSampler.refine_steps`); a block
found unsuspicious is judged again only once a value it reads has changed (:class:`Changes`).
:func:`steep` finds the pixels where bf16's rounding error can reach a level: it grows with
the local slope (in the stress study every error above 0.75 levels sat where neighbouring
pixels differ by 7.6 levels or more), so exports re-evaluate those in fp32.
"""

from __future__ import annotations

import numpy as np

__all__ = ["block_pixels", "pixel_suspects", "block_suspects", "steep", "SMALL_SIDE", "Changes"]

Rect = tuple[int, int, int, int]  # rows [r0, r1) x cols [c0, c1)
#: Blocks up to this many pixels a side are judged at pixel scale, larger ones at block scale.
SMALL_SIDE = 3


class Changes:
    """Where a tile's values changed since each kind of check last judged its blocks, in coarse cells.

    A block's verdict depends only on the values it reads (:meth:`reach`), so a block judged
    unsuspicious stays so until one of those changes: each round of a-posteriori checks judges
    only new blocks and those whose reach holds a changed cell, with the verdicts judging all
    would give. Cells are ``CELL`` px a side; a coarse cell marked for one changed pixel only
    makes more blocks judged again, never fewer.
    """

    CELL = 8

    def __init__(self, height: int, width: int, kinds: tuple[str, ...]) -> None:
        shape = (-(-height // self.CELL), -(-width // self.CELL))
        self._grids = {kind: np.zeros(shape, bool) for kind in kinds}

    def mark(self, rows: np.ndarray, cols: np.ndarray) -> None:
        """Pixels (rows, cols) changed."""
        for grid in self._grids.values():
            grid[rows // self.CELL, cols // self.CELL] = True

    def mark_blocks(self, blocks: np.ndarray) -> None:
        """Pixels anywhere in the blocks (a, b, c, d) changed."""
        if not len(blocks):
            return
        lo_r, hi_r = blocks[:, 0] // self.CELL, blocks[:, 1] // self.CELL
        lo_c, hi_c = blocks[:, 2] // self.CELL, blocks[:, 3] // self.CELL
        for dy in range(int((hi_r - lo_r).max()) + 1):
            for dx in range(int((hi_c - lo_c).max()) + 1):
                self.mark(np.minimum(lo_r + dy, hi_r), np.minimum(lo_c + dx, hi_c))

    @staticmethod
    def reach(blocks: np.ndarray, scale: bool) -> np.ndarray:
        """The pixels the checks read for each block, as boxes (a, b, c, d): its 4-neighbours for
        :func:`pixel_suspects`; with ``scale`` also :func:`block_suspects`' slopes one side length beyond."""
        grow_r = np.maximum(blocks[:, 1] - blocks[:, 0], 1) if scale else 1
        grow_c = np.maximum(blocks[:, 3] - blocks[:, 2], 1) if scale else 1
        return np.stack([blocks[:, 0] - grow_r, blocks[:, 1] + grow_r, blocks[:, 2] - grow_c,
                         blocks[:, 3] + grow_c], axis=1)

    def touched(self, kind: str, boxes: np.ndarray) -> np.ndarray:
        """Which boxes (a, b, c, d) hold a cell changed since ``kind`` was last cleared."""
        grid = self._grids[kind]
        if not len(boxes):
            return np.zeros(0, bool)
        table = np.zeros((grid.shape[0] + 1, grid.shape[1] + 1), np.int32)
        table[1:, 1:] = grid.cumsum(0).cumsum(1)
        r0 = np.clip(boxes[:, 0] // self.CELL, 0, grid.shape[0] - 1)
        r1 = np.clip(boxes[:, 1] // self.CELL, 0, grid.shape[0] - 1) + 1
        c0 = np.clip(boxes[:, 2] // self.CELL, 0, grid.shape[1] - 1)
        c1 = np.clip(boxes[:, 3] // self.CELL, 0, grid.shape[1] - 1) + 1
        return table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0] > 0

    def clear(self, kind: str) -> None:
        """``kind`` has judged its blocks on the values as they are now."""
        self._grids[kind][:] = False


def by_shape(blocks: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The blocks (a, b, c, d) grouped by shape: (indices into ``blocks``, in their order; rows and cols
    of every pixel of those blocks, edges included, each (blocks, pixels))."""
    if not len(blocks):
        return []
    a, b, c, d = blocks.T
    shapes = (b - a) * (int(d.max() - c.min()) + 2) + (d - c)
    order = np.argsort(shapes, kind="stable")
    out = []
    for idx in np.split(order, np.flatnonzero(np.diff(shapes[order])) + 1):
        height, width = b[idx[0]] - a[idx[0]] + 1, d[idx[0]] - c[idx[0]] + 1
        dy, dx = np.divmod(np.arange(height * width), width)
        out.append((idx, a[idx][:, None] + dy, c[idx][:, None] + dx))
    return out


def _pixels(groups: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Rows and cols of every pixel of :func:`by_shape`'s groups, group after group."""
    if not groups:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return (np.concatenate([rows.ravel() for _, rows, _ in groups]),
            np.concatenate([cols.ravel() for *_, cols in groups]))


def block_pixels(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and cols of every pixel of the blocks (a, b, c, d), edges included (repeats possible)."""
    return _pixels(by_shape(blocks))


def _channel_max(a: np.ndarray) -> np.ndarray:
    """Largest of the 3 channels (as ``.max(axis=-1)``; elementwise is ~3x faster than a reduction over 3)."""
    return np.maximum(np.maximum(a[..., 0], a[..., 1]), a[..., 2])


def _second_differences(values: np.ndarray, rect: Rect) -> np.ndarray:
    """Largest |second difference| along rows or columns at each pixel of ``rect`` (0 on its rim)."""
    r0, r1, c0, c1 = rect
    v = values[r0:r1, c0:c1]
    d2 = np.zeros(v.shape[:2], np.float32)
    d2[:, 1:-1] = _channel_max(np.abs(v[:, :-2] - 2 * v[:, 1:-1] + v[:, 2:]))
    d2[1:-1] = np.maximum(d2[1:-1], _channel_max(np.abs(v[:-2] - 2 * v[1:-1] + v[2:])))
    return d2


def _second_differences_at(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, rect: Rect) -> np.ndarray:
    """:func:`_second_differences` at the pixels (rows, cols) only (the same values)."""
    r0, r1, c0, c1 = rect
    width = values.shape[1]
    v = values.reshape(-1, 3)
    out = np.zeros(len(rows), np.float32)
    along = (cols > c0) & (cols < c1 - 1)
    at = rows[along] * width + cols[along]
    out[along] = _channel_max(np.abs(v[at - 1] - 2 * v[at] + v[at + 1]))
    across = (rows > r0) & (rows < r1 - 1)
    at = rows[across] * width + cols[across]
    out[across] = np.maximum(out[across], _channel_max(np.abs(v[at - width] - 2 * v[at] + v[at + width])))
    return out


def pixel_suspects(values: np.ndarray, blocks: np.ndarray, rect: Rect, limit: float) -> np.ndarray:
    """Which blocks' fill may be off by more than ``limit``: side x largest second difference over them."""
    if not len(blocks):
        return np.zeros(0, bool)
    groups = by_shape(blocks)
    rows, cols = _pixels(groups)
    r0, r1, c0, c1 = rect
    if 4 * len(rows) < (r1 - r0) * (c1 - c0):  # few pixels: at those only
        d2 = _second_differences_at(values, rows, cols, rect)
    else:
        d2 = _second_differences(values, rect)[rows - r0, cols - c0]
    worst = np.empty(len(blocks), np.float32)
    start = 0
    for idx, block_rows, _ in groups:
        worst[idx] = d2[start:start + block_rows.size].reshape(block_rows.shape).max(axis=1)
        start += block_rows.size
    side = np.maximum(blocks[:, 1] - blocks[:, 0], blocks[:, 3] - blocks[:, 2])
    return worst * side > limit


def block_suspects(values: np.ndarray, blocks: np.ndarray, rect: Rect, limit: float) -> np.ndarray:
    """Which blocks' fill may cross a kink that puts it off by more than ``limit`` (slopes at block scale)."""
    r0, r1, c0, c1 = rect
    estimate = np.zeros(len(blocks), np.float32)
    if not len(blocks):
        return estimate > limit
    for along_rows in (True, False):
        # Lines (corner rows or columns) and the span [lo, hi] of the block along them.
        lines = (blocks[:, 0], blocks[:, 1]) if along_rows else (blocks[:, 2], blocks[:, 3])
        lo, hi = (blocks[:, 2], blocks[:, 3]) if along_rows else (blocks[:, 0], blocks[:, 1])
        start, stop = (c0, c1) if along_rows else (r0, r1)
        n = hi - lo
        before, after = np.maximum(lo - n, start), np.minimum(hi + n, stop - 1)
        for line in lines:
            def at(pos: np.ndarray, line: np.ndarray = line, along_rows: bool = along_rows) -> np.ndarray:
                return values[line, pos] if along_rows else values[pos, line]

            inside = (at(hi) - at(lo)) / np.maximum(n, 1)[:, None]
            g = np.abs(inside - (at(lo) - at(before)) / np.maximum(lo - before, 1)[:, None])
            h = np.abs((at(after) - at(hi)) / np.maximum(after - hi, 1)[:, None] - inside)
            # At the rect's edge one side is unknown: take the kink for mid-block (g = h).
            g, h = np.where((lo > before)[:, None], g, h), np.where((after > hi)[:, None], h, g)
            kink = (n[:, None] * g * h / np.maximum(g + h, 1e-12)).max(axis=1)
            estimate = np.maximum(estimate, np.where(n > 1, kink, 0))
    return estimate > limit


def steep(values: np.ndarray, rect: Rect, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows and cols of the pixels of ``rect`` that differ from a 4-neighbour by ``limit`` or more."""
    r0, r1, c0, c1 = rect
    v = values[r0:r1, c0:c1]
    grad = np.zeros(v.shape[:2], np.float32)
    dx = _channel_max(np.abs(np.diff(v, axis=1)))
    dy = _channel_max(np.abs(np.diff(v, axis=0)))
    grad[:, 1:] = dx
    grad[:, :-1] = np.maximum(grad[:, :-1], dx)
    grad[1:] = np.maximum(grad[1:], dy)
    grad[:-1] = np.maximum(grad[:-1], dy)
    rows, cols = np.nonzero(grad >= limit)
    return rows + r0, cols + c0
