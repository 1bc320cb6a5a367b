"""The render engine: every pane's pixels for a viewport, LIIF progressively and cancellably.

``RenderEngine`` owns one image, its feature stores (the fp32 codes, and the fast encoder's
for fast mode at low zoom: see :meth:`RenderEngine.features`) and a cache of rendered screen
tiles. A LIIF render is a generator of
:class:`RenderStep`: a bilinear stand-in at once, a coarse preview (1/4 of the
pixels per axis) when the codes are ready, partial updates as full-resolution
tiles land (centre first), then the final image. Below 1:1 the final image is
the input averaged over each screen pixel, at once (see :func:`averaged`).
Each yield is a cancellation point, and the query checks the cancel token
between MLP batches, so superseded work stops within one batch.
Screen tiles live on the viewport lattice (see :mod:`.viewport`), so panning at a
fixed zoom renders only newly exposed tiles, and any tiling of a view (export)
gives exactly the one-shot result.

Memory: cached tiles hold their values; a render's working state (code
projections, band interpolations) lives in its tiles only while it runs and is
released when it stops, and the preview keeps at most ``PREVIEW_WORKING_BYTES``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..cancel import Cancelled, CancelToken
from ..model import LIIF
from .fast_query import PRECISIONS, FoldedDecoder
from .features import FeatureStore
from .liif_tiles import Scale, TileInside, TileJob, code_box, run_together, tile_inside
from .lod import SCREEN, LodSettings, Rect
from .prefetch import view_feature_keys
from .resample import inside_span, render_classic, standin_method, to_display_uint8
from .tile_cache import TileCache
from .view_pass import render_view
from .viewport import Viewport

__all__ = ["RenderEngine", "RenderStep", "PRECISIONS", "MIN_LIIF_SIDE", "averaged"]

#: Tiles refined together (one shared MLP query per refinement level) in fast mode at high zoom: at
#: least this many, and more while their code projections stay under CPU_GROUP_CODES codes (those of
#: GROUP_TILES tiles at x4, ~36 MB): a 1920x1080 view at x30 refines its 40 tiles together, 5% faster
#: than in groups of 8 (fewer, larger decoder queries), with the same pixels.
GROUP_TILES = 8
CPU_GROUP_CODES = GROUP_TILES * (256 // 4 + 3) ** 2
#: On a GPU, tiles go together while their code projections stay under this many codes (256 MB).
GPU_GROUP_CODES = 1 << 18
#: Fast mode reads codes from the fast (bf16) encoder up to this zoom and exact ones above: the
#: encoder's error shows more as the zoom grows (within 0.9 levels at x1-x2 on the study's photos,
#: up to 1.4 at x3-x4 and 2.2 at x8 with the level of detail: docs/performance.md), while the
#: codes a view needs shrink with the square of the zoom (an exact encode is cheap from x4).
FAST_ENCODER_MAX_ZOOM = 2.0
#: LIIF needs images at least this many pixels wide and high. Across a 1-pixel side the encoder sees
#: nothing but its zero padding, and colours drift by 25-45 levels (a 1x1 (200, 30, 30) renders a
#: mottled ~(184, 60, 51)); smaller images get the stand-in, which is exact for them.
MIN_LIIF_SIDE = 2
#: The coarse preview keeps every missing tile's working state (layer-1 code projections, 1 KB per
#: code, and band interpolations) until the tile's final pass. Past this many bytes (views near 1:1
#: in a large pane: 1.6 GB at 1:1 in a 1600x1000 pane) the preview is skipped; the bilinear stand-in
#: shown meanwhile is already close to LIIF there.
PREVIEW_WORKING_BYTES = 256 << 20


def averaged(vp: Viewport) -> bool:
    """Whether LIIF shows ``vp`` as the input averaged over each screen pixel: below 1:1 on either axis.

    LIIF was trained on cells of at most one input pixel; asked for larger ones it extrapolates
    (washed-out colours). Below 1:1 a screen pixel shows the average of the continuous image over
    its footprint, and LIIF at 1:1 reproduces the input (35-62 dB on Set5/Set14/Urban100, mean
    0.04-3 levels of 8-bit; area-averaged to x0.5 the two differ by 0.03-1.1 levels on average:
    ``scripts/one_to_one.py``), so the input's area average is that image, without encoding a
    whole large photo to show it. A stretched export that shrinks one axis averages both.
    """
    return min(vp.sx, vp.sy) < 1.0


@dataclass(frozen=True)
class RenderStep:
    """One progressive result of a LIIF render; ``image`` is float32 (H, W, 3) in [0, 1] or None."""

    request_id: int
    kind: str  # "standin" | "encoding" | "preview" | "partial" | "final"
    image: np.ndarray | None
    progress: float  # 0..1 of this render
    evaluated_fraction: float  # screen pixels evaluated by LIIF in this render / pixels shown
    seconds: float  # since the render started
    message: str = ""

    @property
    def final(self) -> bool:
        """Whether this is the full-resolution result."""
        return self.kind == "final"


class RenderEngine:
    """Headless renderer of one image for every pane; owned by one thread at a time."""

    def __init__(self, model: LIIF, device: torch.device | str = "cpu", screen_tile: int = 256,
                 feature_tile: int = 48, feature_budget_bytes: int = 1 << 30,
                 tile_budget_bytes: int = 256 << 20, background: tuple[float, float, float] = (0.0, 0.0, 0.0),
                 exact_feature_tile: int | None = None) -> None:
        self.model = model
        self.device = torch.device(device)
        self.screen_tile = screen_tile
        self.feature_tile = feature_tile
        #: tile of the fp32 store, if not ``feature_tile``: its codes equal the whole image's on any tiling,
        #: so a one-off render (an export) can encode in small tiles and pay for fewer codes it does not show
        self.exact_feature_tile = exact_feature_tile or feature_tile
        self.feature_budget_bytes = feature_budget_bytes
        self.background = background
        #: fast mode refines adaptively at high zoom (see .lod); False evaluates every pixel.
        self.adaptive = True
        #: adaptive refinement applies above this zoom. On a GPU the MLP is cheap and the refinement's
        #: per-tile CPU work is not: on an H200 it was 1.9x slower than every pixel at x8 and 1.07x
        #: faster at x30 (docs/performance.md), so there it starts at x28.
        self.adaptive_min_zoom = 4.0 if self.device.type == "cpu" else 28.0
        #: how closely fast mode's level of detail follows LIIF: lod.SCREEN; exports use lod.EXPORT.
        self.lod: LodSettings = SCREEN
        #: images under MIN_LIIF_SIDE get LIIF's own output, as the official code gives it, rather than the
        #: stand-in (``eval`` scores the model; ``upscale``/``export --liif-under-2px``); set before rendering.
        self.liif_under_min_side = False
        #: below 1:1 (see ``averaged``) exact renders give LIIF's own output, as the official code gives it,
        #: rather than the area-averaged input (exact ``upscale``/``export``, ``eval``); the viewer leaves it off.
        self.liif_below_one = False
        #: fast mode encodes with bf16 convolutions up to FAST_ENCODER_MAX_ZOOM (its own feature
        #: store); False: fast mode reads exact mode's fp32 codes at every zoom
        self.fast_encoder = True
        #: render views at every-pixel zooms as one whole-view pass (render/view_pass.py) instead of
        #: screen tiles: on a GPU, where per-tile Python work dominates; the CPU keeps its tiles (cached
        #: for panning, the view filling in tile by tile)
        self.view_pass = self.device.type == "cuda"
        self.tiles = TileCache(tile_budget_bytes)
        self._decoders: dict[str, FoldedDecoder] = {}
        self._stores: dict[str, FeatureStore] = {}
        #: the id of the image's document (``files.image_io.ImageDocument.id``): tiles are keyed by it
        self.image_id = 0
        self.rgb: np.ndarray | None = None
        self.image_u8: np.ndarray | None = None

    # --- image --------------------------------------------------------------------------------------
    def set_image(self, rgb: np.ndarray, image_id: int = 0, u8: np.ndarray | None = None) -> None:
        """Use ``rgb`` (H, W, 3) float in [0, 1]; drops every cache of the previous image.

        ``image_id`` is the id of the image's document (the engine counts no ids of its own); ``u8`` its
        8-bit display copy (``to_display_uint8(rgb)``) when the caller holds one already, so the viewer
        keeps one. Neither array is copied when it is contiguous already (float32, uint8).
        """
        self.rgb = np.ascontiguousarray(rgb, dtype=np.float32)
        self.image_u8 = to_display_uint8(self.rgb) if u8 is None else np.ascontiguousarray(u8, dtype=np.uint8)
        self.image_id = image_id
        self._stores.clear()
        self.tiles.clear()

    @property
    def liif_applies(self) -> bool:
        """Whether LIIF renders give LIIF: the image is large enough (see MIN_LIIF_SIDE) or
        ``liif_under_min_side`` asks for LIIF anyway; else they give the stand-in."""
        return self.rgb is not None and (self.liif_under_min_side or min(self.rgb.shape[:2]) >= MIN_LIIF_SIDE)

    def averages(self, vp: Viewport, precision: str) -> bool:
        """Whether a LIIF render of ``vp`` is the area-averaged input (below 1:1, unless ``liif_below_one``
        asks for LIIF's own exact output there)."""
        return averaged(vp) and not (self.liif_below_one and precision == "exact")

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) of the current image."""
        if self.rgb is None:
            raise RuntimeError("no image set")
        return self.rgb.shape[1], self.rgb.shape[0]

    def decoder(self, precision: str) -> FoldedDecoder:
        """The fast decoder for ``precision`` (built once)."""
        if precision not in self._decoders:
            self._decoders[precision] = FoldedDecoder(self.model, precision, self.device)
        return self._decoders[precision]

    def features(self, precision: str = "exact", scale: float | None = None) -> FeatureStore:
        """The feature store of the current image for ``precision`` at zoom ``scale`` (created on first use).

        Fast mode up to FAST_ENCODER_MAX_ZOOM (or when no zoom is given) has its own store, from
        the fast encoder (bf16 convolutions, :mod:`liif_viewer.model.fused_encoder`), when
        ``fast_encoder`` is set; otherwise every render reads the fp32 one. The two share the
        feature budget: the one in use gets three quarters, the other is trimmed to one.
        """
        if self.rgb is None:
            raise RuntimeError("no image set")
        fast = precision == "fast" and self.fast_encoder and (scale is None or scale <= FAST_ENCODER_MAX_ZOOM)
        key, kind = ("fast", "fast") if fast else ("fp32", "exact")
        store = self._stores.get(key)
        if store is None:
            tile = self.feature_tile if fast else self.exact_feature_tile
            store = self._stores[key] = FeatureStore(self.model, self.rgb, kind, self.device, tile,
                                                     self.feature_budget_bytes)
        other = self._stores.get("fp32" if fast else "fast")
        if other is not None and other.budget_bytes != self.feature_budget_bytes // 4:
            other.set_budget(self.feature_budget_bytes // 4)
            store.set_budget(self.feature_budget_bytes - other.budget_bytes)
        return store

    def feature_store(self) -> FeatureStore | None:
        """The current image's feature store if one was made, exact first (never makes one; any thread)."""
        return self._stores.get("fp32") or self._stores.get("fast")

    def feature_stores(self) -> list[FeatureStore]:
        """Every feature store made for the current image (exact, fast); they share the feature budget."""
        return list(self._stores.values())

    # --- classic panes ------------------------------------------------------------------------------
    def render_classic(self, vp: Viewport, method: str) -> np.ndarray:
        """Nearest/bilinear/bicubic/area render of the view (float32, exact output size)."""
        if self.image_u8 is None:
            raise RuntimeError("no image set")
        return render_classic(self.image_u8, vp, method, self.background)

    def standin(self, vp: Viewport) -> np.ndarray:
        """What the LIIF pane shows before LIIF arrives: bilinear, or area-averaged below 1:1."""
        return self.render_classic(vp, standin_method(vp))

    # --- LIIF tiles ---------------------------------------------------------------------------------
    def _inside(self, scale: Scale, tx: int, ty: int) -> TileInside | None:
        width, height = self.image_size
        return tile_inside(scale, tx, ty, self.screen_tile, width, height)

    def tile_feature_keys(self, scale: Scale, tx: int, ty: int, precision: str,
                          rect: Rect | None = None) -> list[tuple[int, int]]:
        """Feature tiles the lattice tile (tx, ty) at ``scale`` (sx, sy) reads, or only its ``rect``.

        ``rect`` (rows/cols of the tile's inside region, as from :meth:`tile_job`) limits the
        answer to the part a view shows: an edge tile may reach ~250 px beyond the view, and
        encoding its hidden part nearly doubled the encoding of a fresh full-window view.
        """
        inside = self._inside(scale, tx, ty)
        if inside is None:
            return []
        ys, xs = inside.ys, inside.xs
        if rect is not None:
            ys, xs = ys[rect[0]:rect[1]], xs[rect[2]:rect[3]]
            if not len(ys) or not len(xs):
                return []
        width, height = self.image_size
        r0, r1, c0, c1 = code_box(ys, xs, width, height)
        return self.features(precision, min(scale)).tiles_for(r0 - 1, r1 + 2, c0 - 1, c1 + 2)

    def _view_feature_keys(self, vp: Viewport, k: tuple[int, int], precision: str) -> list[tuple[int, int]]:
        """Feature tiles that the part of lattice tile ``k`` shown by ``vp`` reads."""
        inside = self._inside((vp.sx, vp.sy), *k)
        rect = None if inside is None else self._view_rect(vp, *k, inside)
        return [] if rect is None else self.tile_feature_keys((vp.sx, vp.sy), *k, precision, rect)

    def _tiles_feature_keys(self, vp: Viewport, tiles: list[tuple[int, int]], precision: str) -> list[tuple[int, int]]:
        """Feature tiles that the parts of lattice ``tiles`` shown by ``vp`` read, each once, sorted."""
        return sorted({fk for k in tiles for fk in self._view_feature_keys(vp, k, precision)})

    def _adaptive(self, precision: str, scale: Scale) -> bool:
        """Whether fast mode refines adaptively at ``scale`` (else it evaluates every pixel)."""
        return precision == "fast" and self.adaptive and min(scale) > self.adaptive_min_zoom

    def _tile_key(self, precision: str, scale: Scale, tx: int, ty: int) -> tuple[object, ...]:
        lod = self.lod if precision == "fast" else None
        return (self.image_id, precision, lod, self._adaptive(precision, scale), scale, tx, ty)

    def _job(self, scale: Scale, tx: int, ty: int, precision: str,
             cancel: CancelToken | None) -> TileJob | None:
        inside = self._inside(scale, tx, ty)
        if inside is None:
            return None
        fast = precision == "fast"
        polish = self.decoder("exact") if fast and self.lod.polish is not None else None
        return TileJob(inside, scale, self.decoder(precision), self.features(precision, min(scale)), cancel,
                       adaptive=self._adaptive(precision, scale), lod=self.lod, polish=polish)

    def _blank_tile(self) -> np.ndarray:
        out = np.empty((self.screen_tile, self.screen_tile, 3), np.float32)
        out[:] = self.background
        return out

    def _place(self, tile: np.ndarray, job: TileJob, values: np.ndarray) -> np.ndarray:
        i = job.inside
        tile[i.r0:i.r0 + len(i.ys), i.c0:i.c0 + len(i.xs)] = values
        return tile

    def _view_rect(self, vp: Viewport, tx: int, ty: int, inside: TileInside) -> Rect | None:
        """Rows/cols of the tile's inside region that ``vp`` shows (local to the region), or None."""
        t = self.screen_tile
        ox, oy = vp.origin_lattice
        x0, y0 = max(0, ox - tx * t), max(0, oy - ty * t)
        x1, y1 = min(t, ox + vp.width - tx * t), min(t, oy + vp.height - ty * t)
        r0, r1 = max(y0, inside.r0) - inside.r0, min(y1, inside.r0 + len(inside.ys)) - inside.r0
        c0, c1 = max(x0, inside.c0) - inside.c0, min(x1, inside.c0 + len(inside.xs)) - inside.c0
        return (r0, r1, c0, c1) if r0 < r1 and c0 < c1 else None

    def tile_job(self, vp: Viewport, tx: int, ty: int, precision: str,
                 cancel: CancelToken | None = None) -> tuple[TileJob | None, Rect | None, bool]:
        """The (possibly cached) job of tile (tx, ty) for ``vp``, the rect the view needs, and whether it is done."""
        scale = (vp.sx, vp.sy)
        key = self._tile_key(precision, scale, tx, ty)
        job = self.tiles.get(key)
        if job is None:
            job = self._job(scale, tx, ty, precision, cancel)
            if job is None:
                return None, None, True
            self.tiles.put(key, job)
        job.cancel = cancel
        rect = self._view_rect(vp, tx, ty, job.inside)
        return job, rect, rect is None or job.covers(rect)

    def release_working(self) -> None:
        """Drop the working state (projections, bands) of every cached tile: call when no render runs,
        so that between renders the tile cache holds only values (what its budget counts)."""
        for job in self.tiles.values():
            job.release()

    def liif_tiles(self, vp: Viewport, keys: list[tuple[int, int]], precision: str,
                   cancel: CancelToken | None = None) -> list[np.ndarray]:
        """Final LIIF of the lattice tiles ``keys`` of ``vp``, refined together (shared MLP batches):
        float32 (T, T, 3) each, valid where the view shows it."""
        jobs = [self.tile_job(vp, tx, ty, precision, cancel)[:2] for tx, ty in keys]
        passes = [(job, job.finish_steps(rect)) for job, rect in jobs if job is not None and rect is not None]
        values = iter(run_together(passes, self.decoder(precision), cancel) if passes else [])
        for job, _ in passes:  # done: no cached tile keeps working state (a job made again after the tile
            job.release()  # cache evicted it mid-render is not among the render's own jobs to release)
        out = []
        for job, rect in jobs:
            tile = self._blank_tile()
            if job is not None and rect is not None:
                self._place(tile, job, next(values))
            out.append(tile)
        return out

    def _groups(self, vp: Viewport, tiles: list[tuple[int, int]], precision: str) -> list[list[tuple[int, int]]]:
        """Tiles in runs that are rendered together (shared MLP batches).

        On the CPU: GROUP_TILES or more when refining adaptively (many small queries), else one by one
        (each tile is one big query, and the view fills in tile by tile). On a GPU: as many as
        keep the tiles' layer-1 projections under GPU_GROUP_CODES codes, since one tile's query
        is far too small to keep a GPU busy (H200: whole-view groups 0.76-0.96x the time).
        """
        codes = min((self.screen_tile / min(vp.sx, vp.sy) + 3) ** 2, 4 * self.screen_tile ** 2)  # per tile
        if self.device.type != "cpu":
            size = max(1, int(GPU_GROUP_CODES // codes))
        elif self._adaptive(precision, (vp.sx, vp.sy)):
            size = max(GROUP_TILES, int(CPU_GROUP_CODES // codes))
        else:
            size = 1
        return [tiles[i:i + size] for i in range(0, len(tiles), size)]

    # --- composing views ----------------------------------------------------------------------------
    def _paste(self, canvas: np.ndarray, vp: Viewport, tx: int, ty: int, tile: np.ndarray) -> None:
        t = self.screen_tile
        ox, oy = vp.origin_lattice
        x0, y0 = tx * t - ox, ty * t - oy
        cx0, cy0 = max(0, x0), max(0, y0)
        cx1, cy1 = min(vp.width, x0 + t), min(vp.height, y0 + t)
        canvas[cy0:cy1, cx0:cx1] = tile[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]

    def _inside_pixels(self, vp: Viewport) -> int:
        width, height = self.image_size
        ox, oy = vp.origin_lattice
        c0, c1 = inside_span(ox, vp.width, vp.sx, width)
        r0, r1 = inside_span(oy, vp.height, vp.sy, height)
        return max(0, c1 - c0) * max(0, r1 - r0)

    def iter_view_tiles(self, vp: Viewport, precision: str = "exact", cancel: CancelToken | None = None,
                        cache: bool = True, order: str = "centre",
                        share: tuple[int, int] = (0, 1)) -> Iterator[tuple[int, int, np.ndarray]]:
        """LIIF of ``vp`` tile by tile: yields (screen x0, screen y0, float32 block) covering the view once.

        ``order`` is ``centre`` (nearest the middle first) or ``rows`` (top to bottom, for export);
        ``cache=False`` keeps the screen-tile cache out of it (one-off exports). ``share`` (k, n) yields
        only every n-th tile in that order from the k-th: the n shares (0, n) ... (n - 1, n) cover the view once.
        """
        t = self.screen_tile
        ox, oy = vp.origin_lattice
        tiles = vp.visible_tiles(self.screen_tile)
        if order == "rows":
            tiles.sort(key=lambda k: (k[1], k[0]))
        tiles = tiles[share[0]::share[1]]
        if not self.liif_applies:  # too small for LIIF: the stand-in, tile by tile
            for tx, ty in tiles:
                cx0, cy0 = max(0, tx * t - ox), max(0, ty * t - oy)
                cx1, cy1 = min(vp.width, (tx + 1) * t - ox), min(vp.height, (ty + 1) * t - oy)
                yield cx0, cy0, self.standin(vp.sub_view(cx0, cy0, cx1 - cx0, cy1 - cy0))
            return
        if self.averages(vp, precision):  # below 1:1: the input averaged over each screen pixel (see ``averaged``)
            for tx, ty in tiles:
                x0, y0 = max(0, tx * t - ox), max(0, ty * t - oy)
                x1, y1 = min(vp.width, (tx + 1) * t - ox), min(vp.height, (ty + 1) * t - oy)
                yield x0, y0, self.render_classic(vp.sub_view(x0, y0, x1 - x0, y1 - y0), "area")
            return
        store = self.features(precision, min(vp.sx, vp.sy))  # the view's feature blocks: few halos in all
        store.plan(self._tiles_feature_keys(vp, tiles, precision), (vp.center_y, vp.center_x))
        for group in self._groups(vp, tiles, precision):
            for (tx, ty), tile in zip(group, self.liif_tiles(vp, group, precision, cancel), strict=True):
                if not cache:
                    self.tiles.pop(self._tile_key(precision, (vp.sx, vp.sy), tx, ty))
                x0, y0 = tx * t - ox, ty * t - oy
                cx0, cy0 = max(0, x0), max(0, y0)
                cx1, cy1 = min(vp.width, x0 + t), min(vp.height, y0 + t)
                yield cx0, cy0, tile[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]

    def tile_count(self, vp: Viewport) -> int:
        """How many screen tiles ``iter_view_tiles`` yields for ``vp``."""
        return len(vp.visible_tiles(self.screen_tile))

    def refines_adaptively(self, vp: Viewport, precision: str) -> bool:
        """Whether a LIIF render of ``vp`` in ``precision`` refines adaptively (fast mode's level of detail),
        rather than evaluating every pixel or giving the stand-in or the area-averaged input."""
        return self.liif_applies and not self.averages(vp, precision) and self._adaptive(precision, (vp.sx, vp.sy))

    def encode_view(self, vp: Viewport, precision: str, cancel: CancelToken | None = None) -> bool:
        """Encode every feature tile a LIIF render of ``vp`` reads, when together they fit the feature budget;
        whether they are all cached now (renders of ``vp`` then encode nothing)."""
        store = self.features(precision, min(vp.sx, vp.sy))
        keys = self._tiles_feature_keys(vp, vp.visible_tiles(self.screen_tile), precision)
        if len(keys) * store.tile ** 2 * self.model.feat_dim * 4 > store.budget_bytes:
            return False
        for _ in store.encode_iter(keys, cancel, (vp.center_y, vp.center_x)):
            pass
        return all(store.has(k) for k in keys)

    def render_liif_sync(self, vp: Viewport, precision: str = "exact",
                         cancel: CancelToken | None = None) -> np.ndarray:
        """The final LIIF image of ``vp`` in one call (tests, bench); float32 (H, W, 3)."""
        if self._one_pass(vp, precision) and self.liif_applies:
            return render_view(vp, self.features(precision, min(vp.sx, vp.sy)), self.decoder(precision),
                               self.background, cancel).cpu().numpy()
        canvas = np.empty((vp.height, vp.width, 3), np.float32)
        for x0, y0, block in self.iter_view_tiles(vp, precision, cancel):
            canvas[y0:y0 + block.shape[0], x0:x0 + block.shape[1]] = block
        return canvas

    def render_liif(self, vp: Viewport, precision: str = "fast", cancel: CancelToken | None = None,
                    request_id: int = 0, partial_every_s: float = 0.15) -> Iterator[RenderStep]:
        """Progressive LIIF render of ``vp``; see the module docstring for the steps.

        Stops quietly (no further steps) once ``cancel`` is set.
        """
        cancel = cancel or CancelToken()
        start = time.perf_counter()
        if not self.liif_applies:
            yield RenderStep(request_id, "final", self.standin(vp), 1.0, 0.0, time.perf_counter() - start,
                             f"{standin_method(vp)} (LIIF needs {MIN_LIIF_SIDE}×{MIN_LIIF_SIDE} px or more)")
            return
        if self.averages(vp, precision):  # the stand-in is the final image (tiled exports of it agree within 1 level)
            image = self.render_classic(vp, "area")
            yield RenderStep(request_id, "final", image, 1.0, 0.0, time.perf_counter() - start,
                             "area-averaged input")
            return
        if self._one_pass(vp, precision):
            yield from self._render_one_pass(vp, precision, cancel, request_id, start)
            return
        inside = max(1, self._inside_pixels(vp))
        tiles = vp.visible_tiles(self.screen_tile)
        missing = [k for k in tiles if not self.tile_job(vp, *k, precision, cancel)[2]]
        store = self.features(precision, min(vp.sx, vp.sy))
        keys = self._tiles_feature_keys(vp, missing, precision)
        store.pin(keys)
        store.plan(keys, (vp.center_y, vp.center_x))  # the view's blocks: few halos, the centre first
        if not missing:
            image = self.render_liif_sync(vp, precision)
            yield RenderStep(request_id, "final", image, 1.0, 0.0, time.perf_counter() - start)
            return
        canvas = self.standin(vp)
        yield RenderStep(request_id, "standin", canvas.copy(), 0.0, 0.0, time.perf_counter() - start,
                         "bilinear stand-in")
        jobs = {k: self.tile_job(vp, *k, precision, cancel) for k in missing}
        evaluated_before = self._evaluated(jobs)

        def fraction() -> float:
            return (self._evaluated(jobs) - evaluated_before) / inside

        try:
            working = sum(self._working_bytes(job, rect) for job, rect, _ in jobs.values())
            if working <= PREVIEW_WORKING_BYTES and all(store.has(k) for k in keys):
                # Codes ready: a coarse pass over the whole view first (the same samples the final uses).
                previews = [(k, *jobs[k][:2]) for k in missing]
                previews = [(k, job, rect) for k, job, rect in previews if job is not None and rect is not None]
                images = run_together([(job, job.preview_steps(rect)) for _, job, rect in previews],
                                      self.decoder(precision), cancel)
                if cancel.cancelled:
                    return
                for (k, job, _), image in zip(previews, images, strict=True):
                    self._paste(canvas, vp, *k, self._place(self._blank_tile(), job, image))
                yield RenderStep(request_id, "preview", canvas.copy(), 0.1, fraction(),
                                 time.perf_counter() - start, "coarse preview")
            last_yield = time.perf_counter()
            done = 0
            for group in self._groups(vp, tiles, precision):
                if cancel.cancelled:
                    return
                for k in group:
                    if k not in missing:
                        continue
                    needed = [fk for fk in self._view_feature_keys(vp, k, precision) if not store.has(fk)]
                    if needed:  # say so before the first tile, which may take seconds
                        yield RenderStep(request_id, "encoding", None, done / len(tiles), fraction(),
                                         time.perf_counter() - start, f"encoding features (0/{len(needed)})")
                    for i, _ in enumerate(store.encode_iter(needed, cancel)):
                        yield RenderStep(request_id, "encoding", None, done / len(tiles), fraction(),
                                         time.perf_counter() - start, f"encoding features ({i + 1}/{len(needed)})")
                    if cancel.cancelled:
                        return
                for k, tile in zip(group, self.liif_tiles(vp, group, precision, cancel), strict=True):
                    self._paste(canvas, vp, *k, tile)
                done += len(group)
                now = time.perf_counter()
                if done < len(tiles) and now - last_yield >= partial_every_s:
                    last_yield = now
                    yield RenderStep(request_id, "partial", canvas.copy(), done / len(tiles), fraction(),
                                     now - start, f"refining {done}/{len(tiles)}")
        except Cancelled:
            return
        finally:  # cancelled or done: no cached tile keeps this render's projections
            for job, _, _ in jobs.values():
                if job is not None:
                    job.release()
        yield RenderStep(request_id, "final", canvas, 1.0, fraction(), time.perf_counter() - start)

    def _one_pass(self, vp: Viewport, precision: str) -> bool:
        """Whether ``vp`` renders as one whole-view pass (``view_pass``, from 1:1, every pixel evaluated)."""
        return self.view_pass and min(vp.sx, vp.sy) >= 1 and not self._adaptive(precision, (vp.sx, vp.sy))

    def _render_one_pass(self, vp: Viewport, precision: str, cancel: CancelToken, request_id: int,
                         start: float) -> Iterator[RenderStep]:
        """:meth:`render_liif` as a whole-view pass: stand-in, encoding steps, the final image."""
        store = self.features(precision, min(vp.sx, vp.sy))
        keys = view_feature_keys(store, vp)
        store.pin(keys)
        yield RenderStep(request_id, "standin", self.standin(vp), 0.0, 0.0, time.perf_counter() - start,
                         "bilinear stand-in")
        for done, total in store.encode_iter(keys, cancel, (vp.center_y, vp.center_x)):
            yield RenderStep(request_id, "encoding", None, 0.0, 0.0, time.perf_counter() - start,
                             f"encoding features ({done}/{total})")
        if cancel.cancelled:
            return
        try:
            image = render_view(vp, store, self.decoder(precision), self.background, cancel).cpu().numpy()
        except Cancelled:
            return
        yield RenderStep(request_id, "final", image, 1.0, 1.0, time.perf_counter() - start)

    def _hidden(self) -> int:
        return int(self.model.imnet.linears[0].weight.shape[0])

    def _working_bytes(self, job: TileJob | None, rect: Rect | None) -> int:
        """Upper bound of the working state a preview of ``rect`` leaves in ``job``: projections, bands."""
        if job is None or rect is None:
            return 0
        rows = (rect[1] - rect[0]) / job.scale[1] + 4
        cols = (rect[3] - rect[2]) / job.scale[0] + 4
        bands = (rect[1] - rect[0]) * (rect[3] - rect[2]) * 12 if job.refines else 0
        return int(rows * cols) * self._hidden() * 4 + bands

    def working_limit_bytes(self) -> int:
        """The most working state one render keeps in its tiles at once (beyond their cached values).

        The preview's allowance plus the tile being finished, largest at 1:1: its projections and
        their copy with the cell term (a group of tiles refined together at high zoom holds less).
        """
        return PREVIEW_WORKING_BYTES + 2 * (self.screen_tile + 4) ** 2 * self._hidden() * 4

    @staticmethod
    def _evaluated(jobs: dict[tuple[int, int], tuple[TileJob | None, Rect | None, bool]]) -> int:
        return sum(job.evaluated for job, _, _ in jobs.values() if job is not None)
