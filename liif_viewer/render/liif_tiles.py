"""LIIF on one lattice tile: which pixels, which codes, and the progressive sampler that fills it.

A lattice tile (tx, ty) at scale (sx, sy) is ``T`` x ``T`` screen pixels; its *inside*
region is the pixels whose centres lie in the image (the rest is background). A
:class:`TileJob` projects the codes that region touches once, then answers the
:class:`~.lod.TileSampler`'s evaluations: a first pass (preview), then every pixel
(``exact``, or low zoom) or adaptive refinement (``fast`` at high zoom). The passes are
step generators; :func:`run_together` answers the requests of several tiles with one query.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np
import torch

from ..cancel import CancelToken
from ..model.coords import lattice_coord, lattice_size
from .bands import band_spacing, kink_breaks
from .fast_query import CodeRegion, FoldedDecoder, QueryPart
from .features import FeatureStore
from .lod import SCREEN, LodSettings, Rect, Steps, TileSampler
from .lod_checks import steep
from .resample import inside_span

__all__ = ["TileJob", "Scale", "tile_inside", "code_box", "run_together"]

Scale = tuple[float, float]  # (sx, sy): screen px per image px, horizontally and vertically


@dataclass(frozen=True)
class TileInside:
    """Inside region of a tile: rows [r0, r0+len(ys)) and cols [c0, c0+len(xs)).

    ``ys``/``xs`` are the pixel centres in image px (float64, for geometry: which codes,
    where the kinks are); ``ny``/``nx`` are the same centres as LIIF queries them (float32,
    the official ``make_coord`` arithmetic on the virtual output grid, see
    :func:`~liif_viewer.model.coords.lattice_coord`), and ``cell`` the query's (row, col) cell.
    """

    r0: int
    c0: int
    ys: np.ndarray
    xs: np.ndarray
    ny: np.ndarray
    nx: np.ndarray
    cell: tuple[float, float]


def tile_inside(scale: Scale, tx: int, ty: int, tile: int, image_w: int, image_h: int) -> TileInside | None:
    """The inside region of lattice tile (tx, ty), or None when the tile misses the image."""
    c0, c1 = inside_span(tx * tile, tile, scale[0], image_w)
    r0, r1 = inside_span(ty * tile, tile, scale[1], image_h)
    if c0 >= c1 or r0 >= r1:
        return None
    xs = (tx * tile + np.arange(c0, c1, dtype=np.float64) + 0.5) / scale[0]
    ys = (ty * tile + np.arange(r0, r1, dtype=np.float64) + 0.5) / scale[1]
    grid_w, grid_h = lattice_size(image_w, scale[0]), lattice_size(image_h, scale[1])
    nx = lattice_coord(tx * tile + c0, c1 - c0, grid_w).numpy()
    ny = lattice_coord(ty * tile + r0, r1 - r0, grid_h).numpy()
    return TileInside(r0, c0, ys, xs, ny, nx, (2.0 / grid_h, 2.0 / grid_w))


def code_box(ys: np.ndarray, xs: np.ndarray, image_w: int, image_h: int) -> tuple[int, int, int, int]:
    """Inclusive code rows/cols (r0, r1, c0, c1) that the local ensembles of these centres can touch."""
    r0 = max(0, math.floor(ys[0] - 0.5) - 1)
    r1 = min(image_h - 1, math.floor(ys[-1] + 0.5) + 1)
    c0 = max(0, math.floor(xs[0] - 0.5) - 1)
    c1 = min(image_w - 1, math.floor(xs[-1] + 0.5) + 1)
    return r0, r1, c0, c1


class TileJob:
    """Progressive LIIF of one tile's inside region."""

    def __init__(self, inside: TileInside, scale: Scale, decoder: FoldedDecoder, store: FeatureStore,
                 cancel: CancelToken | None = None, adaptive: bool = False,
                 lod: LodSettings = SCREEN, polish: FoldedDecoder | None = None) -> None:
        self.inside = inside
        self.scale = scale
        self.decoder = decoder
        self.store = store
        self.cancel = cancel
        self.adaptive = adaptive
        self.lod = lod
        #: re-evaluates the steep pixels of the final values when ``lod.polish`` is set (an fp32 decoder)
        self.polish = polish if lod.polish is not None else None
        self.polished = 0
        self.grid_hw = (store.height, store.width)
        self._region: CodeRegion | None = None
        self._rect: Rect | None = None  # the rect being evaluated; the projected region covers it
        # The sampler calls back through a weak reference: a job <-> sampler cycle left every dropped
        # tile (values, projections) to the cyclic garbage collector, which rarely ran: GBs in a soak.
        job = weakref.ref(self)
        self.sampler = TileSampler(len(inside.ys), len(inside.xs), lambda rows, cols: job()._evaluate(rows, cols))
        self._coarse_rect: Rect | None = None
        self._done: list[Rect] = []

    @property
    def refines(self) -> bool:
        """Whether the final pass is adaptive (fast mode above x4) rather than every pixel."""
        return self.adaptive and min(self.scale) > 4

    def _norm(self, rows: np.ndarray, cols: np.ndarray) -> torch.Tensor:
        """LIIF (row, col) coordinates (N, 2) of pixels (rows, cols) of the inside region."""
        norm = np.stack([self.inside.ny[rows], self.inside.nx[cols]], axis=-1)
        return torch.from_numpy(norm).to(self.decoder.device)

    def _make_region(self) -> CodeRegion:
        """Project the codes the current rect's pixels touch (not the whole tile's)."""
        h, w = self.grid_hw
        pr0, pr1, pc0, pc1 = self._rect or self.full_rect()
        ys, xs = self.inside.ys[pr0:pr1], self.inside.xs[pc0:pc1]
        r0, r1, c0, c1 = code_box(ys, xs, w, h)
        feat = self.store.region(r0 - 1, r1 + 2, c0 - 1, c1 + 2)
        n_codes, n_pixels = (r1 - r0 + 1) * (c1 - c0 + 1), len(ys) * len(xs)
        if n_codes <= 8 * n_pixels:
            return self.decoder.project_region(feat, r0, c0)
        # Zoomed out: project only the codes that the queries' ensembles touch.
        yy, xx = np.meshgrid(np.arange(pr0, pr1), np.arange(pc0, pc1), indexing="ij")
        norm = self._norm(yy.ravel(), xx.ravel())
        local = torch.cat([(iy - r0) * (c1 - c0 + 1) + (ix - c0)
                           for iy, ix in self.decoder.neighbour_indices(self.grid_hw, norm)])
        return self.decoder.project_sparse(feat, r0, c0, local)

    def request_part(self, rows: np.ndarray, cols: np.ndarray) -> QueryPart:
        """The decoder query (region, coordinates, cell) for pixels (rows, cols) of the inside region."""
        if self._region is None:
            self._region = self._make_region()
        norm = self._norm(rows, cols)
        cell = torch.tensor([self.inside.cell], device=self.decoder.device)
        return self._region, norm, cell.expand(norm.shape[0], 2)

    def _evaluate(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        region, norm, cell = self.request_part(rows, cols)
        rgb = self.decoder.query(region, self.grid_hw, norm, cell, cancel=self.cancel)
        return rgb.clamp_(0, 1).cpu().numpy()

    def covers(self, rect: Rect) -> bool:
        """Whether final values exist for every pixel of ``rect`` (local rows/cols of the inside region)."""
        r0, r1, c0, c1 = rect
        return any(a <= r0 and r1 <= b and c <= c0 and c1 <= d for a, b, c, d in self._done)

    def full_rect(self) -> Rect:
        """The whole inside region."""
        return (0, len(self.inside.ys), 0, len(self.inside.xs))

    def _use_rect(self, rect: Rect) -> None:
        if rect != self._rect:
            self._rect, self._region = rect, None

    def preview_steps(self, rect: Rect | None = None, image: bool = True) -> Steps[np.ndarray | None]:
        """Coarse pass over ``rect``, interpolated: float32 (h, w, 3) (zero outside ``rect``)."""
        rect = rect or self.full_rect()
        self._use_rect(rect)
        if not self.refines:
            out = self.sampler.coarse(rect=rect, preview=image)
        else:
            # LIIF's local ensemble switches codes where a query crosses a code centre: the output
            # has kinks there (and a jump on the last code centre) and is smooth in between.
            rows = kink_breaks(self.inside.ys, self.grid_hw[0])
            cols = kink_breaks(self.inside.xs, self.grid_hw[1])
            spacing = band_spacing(min(self.scale))
            out = yield from self.sampler.bands_steps(spacing, rect, rows, cols, preview=image)
        self._coarse_rect = rect  # only once complete: a cancelled pass is redone, not trusted
        return out

    def finish_steps(self, rect: Rect | None = None) -> Steps[np.ndarray]:
        """Final values over ``rect``: every pixel, or adaptive refinement in fast mode at high zoom."""
        rect = rect or self.full_rect()
        if self.covers(rect):
            return self.sampler.values
        self._use_rect(rect)
        if self.refines:
            if self._coarse_rect != rect:
                yield from self.preview_steps(rect, image=False)
            yield from self.sampler.refine_steps(self.lod.tolerance, check=self.lod.tolerance * self.lod.check)
        else:
            yield from self.sampler.full_steps(rect)
        if self.polish is not None:
            self._polish(rect)
        self._done.append(rect)
        self._region = self._rect = None  # projections can be large; recomputed if this tile is extended
        return self.sampler.values

    def _polish(self, rect: Rect) -> None:
        """Re-evaluate the steep pixels of ``rect`` with the fp32 decoder (see .lod_checks.steep)."""
        rows, cols = steep(self.sampler.values, rect, self.lod.polish)
        if not len(rows):
            return
        region, norm, cell = self.request_part(rows, cols)  # layer-1 projections are fp32 in both
        rgb = self.polish.query(region, self.grid_hw, norm, cell, cancel=self.cancel)
        self.sampler.values[rows, cols] = rgb.clamp_(0, 1).cpu().numpy()
        self.polished += len(rows)

    @property
    def evaluated(self) -> int:
        """Pixels evaluated by LIIF so far (an export's fp32 re-evaluations included)."""
        return self.sampler.evaluated + self.polished

    def release(self) -> None:
        """Drop the working state of an unfinished pass: the code projections and the band interpolation.

        A render calls this when it stops (cancelled or done); the next pass recomputes what it needs
        (evaluated pixels are kept). Without it a cached tile held up to ~140 MB of projections at 1:1.
        """
        self._region = self._rect = None
        self._coarse_rect = None
        self.sampler.forget_bands()

    @property
    def working_bytes(self) -> int:
        """Memory of the working state that :meth:`release` drops."""
        region = self._region
        total = self.sampler.band_bytes
        if region is not None:
            total += region.proj.numel() * region.proj.element_size()
            if region.lookup is not None:
                total += region.lookup.numel() * region.lookup.element_size()
            if region.with_cell is not None:
                total += region.with_cell[1].numel() * region.with_cell[1].element_size()
        return total

    @property
    def nbytes(self) -> int:
        """All the memory the tile holds: values, mask and any working state (for the tile cache)."""
        return self.sampler.values.nbytes + self.sampler.known.nbytes + self.working_bytes


def run_together(passes: list[tuple[TileJob, Steps[np.ndarray | None]]], decoder: FoldedDecoder,
                 cancel: CancelToken | None = None) -> list[np.ndarray | None]:
    """Run the passes of several tiles in step, one shared decoder query per round; their results.

    Each round gathers every tile's pending request into :meth:`FoldedDecoder.query_parts`, so
    small refinement levels of many tiles fill the MLP's batches together.
    """
    results: list[np.ndarray | None] = [None] * len(passes)
    pending: list[tuple[int, tuple[np.ndarray, np.ndarray]]] = []

    def advance(i: int, answer: np.ndarray | None) -> None:
        try:
            steps = passes[i][1]
            pending.append((i, next(steps) if answer is None else steps.send(answer)))
        except StopIteration as stop:
            results[i] = stop.value

    try:
        for i in range(len(passes)):
            advance(i, None)
        while pending:
            current, pending[:] = list(pending), []
            parts = [passes[i][0].request_part(*request) for i, request in current]
            grid_hw = passes[current[0][0]][0].grid_hw
            outs = decoder.query_parts(parts, grid_hw, cancel)
            for (i, _), rgb in zip(current, outs, strict=True):
                advance(i, rgb.clamp_(0, 1).cpu().numpy())
    except BaseException:  # cancelled: the interrupted passes' projections must not stay in cached tiles
        for job, _ in passes:
            job.release()
        raise
    return results
