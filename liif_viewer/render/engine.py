"""The render engine: every pane's pixels for a viewport, LIIF progressively and cancellably.

``RenderEngine`` owns one image, its feature stores (one per precision) and a
cache of rendered screen tiles. A LIIF render is a generator of
:class:`RenderStep`: a stand-in (bilinear, or area-averaged below 1:1) at once,
a coarse preview (1/4 of the pixels per axis) when the codes are ready, partial
updates as full-resolution tiles land (centre first), then the final image.
Each yield is a cancellation point, and the query checks the cancel token
between MLP batches, so superseded work stops within one batch.
Screen tiles live on the viewport lattice (see :mod:`.viewport`), so panning at a
fixed zoom renders only newly exposed tiles, and any tiling of a view (export)
gives exactly the one-shot result.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..model import LIIF
from .fast_query import PRECISIONS, Cancelled, FoldedDecoder
from .features import FeatureStore
from .resample import inside_span, render_classic, to_display_uint8
from .tile_cache import TileCache
from .viewport import Viewport

__all__ = ["RenderEngine", "RenderStep", "CancelToken", "Cancelled", "PRECISIONS"]

_PREVIEW_FACTOR = 4
Scale = tuple[float, float]  # (sx, sy): screen px per image px, horizontally and vertically


class CancelToken:
    """Set by the requester when a newer request supersedes this one."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the running job to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel`` was called."""
        return self._event.is_set()

    def __call__(self) -> bool:
        return self._event.is_set()


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

    def __init__(self, model: LIIF, device: torch.device | str = "cpu", screen_tile: int = 128,
                 feature_tile: int = 96, feature_budget_bytes: int = 1 << 30,
                 tile_budget_bytes: int = 256 << 20,
                 background: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> None:
        self.model = model
        self.device = torch.device(device)
        self.screen_tile = screen_tile
        self.feature_tile = feature_tile
        self.feature_budget_bytes = feature_budget_bytes
        self.background = background
        self.tiles = TileCache(tile_budget_bytes)
        self._decoders: dict[str, FoldedDecoder] = {}
        self._stores: dict[str, FeatureStore] = {}
        self._image_ids = itertools.count(1)
        self.image_id = 0
        self.rgb: np.ndarray | None = None
        self.image_u8: np.ndarray | None = None

    # --- image --------------------------------------------------------------------------------------
    def set_image(self, rgb: np.ndarray) -> None:
        """Use ``rgb`` (H, W, 3) float in [0, 1]; drops every cache of the previous image."""
        self.rgb = np.ascontiguousarray(rgb, dtype=np.float32)
        self.image_u8 = to_display_uint8(self.rgb)
        self.image_id = next(self._image_ids)
        self._stores.clear()
        self.tiles.clear()

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

    def features(self, precision: str) -> FeatureStore:
        """The feature store of the current image for ``precision`` (created on first use)."""
        if self.rgb is None:
            raise RuntimeError("no image set")
        if precision not in self._stores:
            self._stores[precision] = FeatureStore(self.model, self.rgb, precision, self.device,
                                                   self.feature_tile, self.feature_budget_bytes)
        return self._stores[precision]

    # --- classic panes ------------------------------------------------------------------------------
    def render_classic(self, vp: Viewport, method: str) -> np.ndarray:
        """Nearest/bilinear/bicubic/area render of the view (float32, exact output size)."""
        if self.image_u8 is None:
            raise RuntimeError("no image set")
        return render_classic(self.image_u8, vp, method, self.background)

    def standin(self, vp: Viewport) -> np.ndarray:
        """What the LIIF pane shows before LIIF arrives: bilinear, or area-averaged below 1:1."""
        return self.render_classic(vp, "bilinear" if min(vp.sx, vp.sy) >= 1 else "area")

    # --- LIIF tiles ---------------------------------------------------------------------------------
    def _code_box(self, ys: np.ndarray, xs: np.ndarray) -> tuple[int, int, int, int]:
        height, width = self.rgb.shape[:2]
        r0 = max(0, math.floor(ys[0] - 0.5) - 1)
        r1 = min(height - 1, math.floor(ys[-1] + 0.5) + 1)
        c0 = max(0, math.floor(xs[0] - 0.5) - 1)
        c1 = min(width - 1, math.floor(xs[-1] + 0.5) + 1)
        return r0, r1, c0, c1

    def tile_feature_keys(self, scale: Scale, tx: int, ty: int, precision: str) -> list[tuple[int, int]]:
        """Feature tiles the lattice tile (tx, ty) at ``scale`` (sx, sy) reads."""
        span = self._tile_span(scale, tx, ty)
        if span is None:
            return []
        ys, xs = span
        r0, r1, c0, c1 = self._code_box(ys, xs)
        return self.features(precision).tiles_for(r0 - 1, r1 + 2, c0 - 1, c1 + 2)

    def _tile_span(self, scale: Scale, tx: int, ty: int) -> tuple[np.ndarray, np.ndarray] | None:
        t = self.screen_tile
        width, height = self.image_size
        c0, c1 = inside_span(tx * t, t, scale[0], width)
        r0, r1 = inside_span(ty * t, t, scale[1], height)
        if c0 >= c1 or r0 >= r1:
            return None
        xs = (tx * t + np.arange(c0, c1, dtype=np.float64) + 0.5) / scale[0]
        ys = (ty * t + np.arange(r0, r1, dtype=np.float64) + 0.5) / scale[1]
        return ys, xs

    def liif_tile(self, scale: Scale, tx: int, ty: int, precision: str,
                  cancelled: Callable[[], bool] | None = None, cache: bool = True) -> np.ndarray:
        """LIIF of lattice tile (tx, ty) at ``scale`` (sx, sy): float32 (T, T, 3), background outside; cached."""
        key = (self.image_id, precision, scale, tx, ty)
        hit = self.tiles.get(key)
        if hit is not None:
            return hit
        t = self.screen_tile
        out = np.empty((t, t, 3), np.float32)
        out[:] = self.background
        span = self._tile_span(scale, tx, ty)
        if span is not None:
            ys, xs = span
            rgb = self.query_points(ys, xs, scale, precision, cancelled)
            width, height = self.image_size
            c0 = inside_span(tx * t, t, scale[0], width)[0]
            r0 = inside_span(ty * t, t, scale[1], height)[0]
            out[r0:r0 + len(ys), c0:c0 + len(xs)] = rgb
        if cache:
            self.tiles.put(key, out)
        return out

    def query_points(self, ys: np.ndarray, xs: np.ndarray, scale: Scale, precision: str,
                     cancelled: Callable[[], bool] | None = None) -> np.ndarray:
        """LIIF RGB (clamped) on the grid ``ys`` x ``xs`` of image-pixel centres (inside the image)."""
        width, height = self.image_size
        dec = self.decoder(precision)
        store = self.features(precision)
        r0, r1, c0, c1 = self._code_box(ys, xs)
        feat = store.region(r0 - 1, r1 + 2, c0 - 1, c1 + 2)
        norm_y = torch.from_numpy((ys / height * 2.0 - 1.0).astype(np.float32))
        norm_x = torch.from_numpy((xs / width * 2.0 - 1.0).astype(np.float32))
        norm_yx = torch.stack(torch.meshgrid(norm_y, norm_x, indexing="ij"), dim=-1).reshape(-1, 2).to(self.device)
        cell = torch.tensor([[2.0 / (height * scale[1]), 2.0 / (width * scale[0])]], device=self.device)
        cell = cell.expand(norm_yx.shape[0], 2)
        n_codes = (r1 - r0 + 1) * (c1 - c0 + 1)
        if n_codes > 8 * norm_yx.shape[0]:  # zoomed out: project only the codes the queries touch
            local = torch.cat([(iy - r0) * (c1 - c0 + 1) + (ix - c0)
                               for iy, ix in dec.neighbour_indices((height, width), norm_yx)])
            region = dec.project_sparse(feat, r0, c0, local)
        else:
            region = dec.project_region(feat, r0, c0)
        rgb = dec.query(region, (height, width), norm_yx, cell, cancelled=cancelled)
        return rgb.clamp_(0, 1).view(len(ys), len(xs), 3).cpu().numpy()

    # --- composing views ----------------------------------------------------------------------------
    def _lattice_tiles(self, vp: Viewport) -> list[tuple[int, int]]:
        t = self.screen_tile
        ox, oy = vp.origin_lattice
        txs = range(math.floor(ox / t), math.floor((ox + vp.width - 1) / t) + 1)
        tys = range(math.floor(oy / t), math.floor((oy + vp.height - 1) / t) + 1)
        cx, cy = (ox + vp.width / 2) / t, (oy + vp.height / 2) / t
        return sorted(((tx, ty) for ty in tys for tx in txs),
                      key=lambda k: (k[0] + .5 - cx) ** 2 + (k[1] + .5 - cy) ** 2)

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

    def _preview(self, vp: Viewport, precision: str, cancel: Callable[[], bool]) -> np.ndarray:
        f = _PREVIEW_FACTOR
        ox, oy = vp.origin_lattice
        cx, cy = math.floor(ox / f), math.floor(oy / f)
        wc = math.ceil((ox + vp.width) / f) - cx
        hc = math.ceil((oy + vp.height) / f) - cy
        coarse_vp = Viewport((cx + wc / 2) * f / vp.sx, (cy + hc / 2) * f / vp.sy, vp.sx / f, wc, hc,
                             None if vp.scale_y is None else vp.sy / f)
        assert coarse_vp.origin_lattice == (cx, cy)
        coarse = self.render_liif_sync(coarse_vp, precision, cancel)
        big = np.repeat(np.repeat(coarse, f, axis=0), f, axis=1)
        return big[oy - cy * f:oy - cy * f + vp.height, ox - cx * f:ox - cx * f + vp.width]

    def iter_view_tiles(self, vp: Viewport, precision: str = "exact", cancel: Callable[[], bool] | None = None,
                        cache: bool = True, order: str = "centre") -> Iterator[tuple[int, int, np.ndarray]]:
        """LIIF of ``vp`` tile by tile: yields (screen x0, screen y0, float32 block) covering the view once.

        ``order`` is ``centre`` (nearest the middle first) or ``rows`` (top to bottom, for export);
        ``cache=False`` keeps the screen-tile cache out of it (one-off exports).
        """
        t = self.screen_tile
        ox, oy = vp.origin_lattice
        tiles = self._lattice_tiles(vp)
        if order == "rows":
            tiles.sort(key=lambda k: (k[1], k[0]))
        scale = (vp.sx, vp.sy)
        for tx, ty in tiles:
            tile = self.liif_tile(scale, tx, ty, precision, cancel, cache=cache)
            x0, y0 = tx * t - ox, ty * t - oy
            cx0, cy0 = max(0, x0), max(0, y0)
            cx1, cy1 = min(vp.width, x0 + t), min(vp.height, y0 + t)
            yield cx0, cy0, tile[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]

    def tile_count(self, vp: Viewport) -> int:
        """How many screen tiles ``iter_view_tiles`` yields for ``vp``."""
        return len(self._lattice_tiles(vp))

    def render_liif_sync(self, vp: Viewport, precision: str = "exact",
                         cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """The final LIIF image of ``vp`` in one call (tests, bench); float32 (H, W, 3)."""
        canvas = np.empty((vp.height, vp.width, 3), np.float32)
        for x0, y0, block in self.iter_view_tiles(vp, precision, cancel):
            canvas[y0:y0 + block.shape[0], x0:x0 + block.shape[1]] = block
        return canvas

    def render_liif(self, vp: Viewport, precision: str = "fast", cancel: Callable[[], bool] | None = None,
                    request_id: int = 0, partial_every_s: float = 0.15) -> Iterator[RenderStep]:
        """Progressive LIIF render of ``vp``; see the module docstring for the steps.

        Stops quietly (no further steps) once ``cancel()`` is true.
        """
        cancel = cancel or (lambda: False)
        start = time.perf_counter()
        inside = max(1, self._inside_pixels(vp))
        tiles = self._lattice_tiles(vp)
        scale = (vp.sx, vp.sy)
        missing = [k for k in tiles if self.tiles.get((self.image_id, precision, scale, *k)) is None]
        store = self.features(precision)
        keys = sorted({fk for k in missing for fk in self.tile_feature_keys(scale, *k, precision)})
        store.pin(keys)
        if not missing:
            image = self.render_liif_sync(vp, precision)
            yield RenderStep(request_id, "final", image, 1.0, 0.0, time.perf_counter() - start)
            return
        canvas = self.standin(vp)
        yield RenderStep(request_id, "standin", canvas.copy(), 0.0, 0.0, time.perf_counter() - start,
                         "bilinear stand-in" if min(vp.sx, vp.sy) >= 1 else "area-averaged stand-in")
        evaluated = 0
        try:
            unencoded = [k for k in keys if not store.has(k)]
            if not unencoded and len(missing) > 1:
                preview = self._preview(vp, precision, cancel)
                evaluated += inside // (_PREVIEW_FACTOR ** 2)
                yield RenderStep(request_id, "preview", preview, 0.1, evaluated / inside,
                                 time.perf_counter() - start, "coarse preview")
            if cancel():
                return
            last_yield = time.perf_counter()
            for done, (tx, ty) in enumerate(tiles, 1):
                if cancel():
                    return
                needed = [k for k in self.tile_feature_keys(scale, tx, ty, precision) if not store.has(k)]
                for i, _ in enumerate(store.encode_iter(needed, cancel)):
                    yield RenderStep(request_id, "encoding", None, done / len(tiles), evaluated / inside,
                                     time.perf_counter() - start, f"encoding features ({i + 1}/{len(needed)})")
                if cancel():
                    return
                key = (self.image_id, precision, scale, tx, ty)
                if self.tiles.get(key) is None:
                    span = self._tile_span(scale, tx, ty)
                    evaluated += len(span[0]) * len(span[1]) if span else 0
                self._paste(canvas, vp, tx, ty, self.liif_tile(scale, tx, ty, precision, cancel))
                now = time.perf_counter()
                if done < len(tiles) and now - last_yield >= partial_every_s:
                    last_yield = now
                    yield RenderStep(request_id, "partial", canvas.copy(), done / len(tiles), evaluated / inside,
                                     now - start, f"refining {done}/{len(tiles)}")
        except Cancelled:
            return
        yield RenderStep(request_id, "final", canvas, 1.0, evaluated / inside, time.perf_counter() - start)
