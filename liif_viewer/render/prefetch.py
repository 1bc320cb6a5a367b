"""Idle work for the view on screen: what a pan or a zoom would need next, prepared before it is asked for.

:func:`prefetch_steps` is a generator; each yield is a point where a new view may stop it (the
viewer's LIIF worker runs it only while no request waits, and a new request cancels it). The
encoder also checks ``cancel`` between its residual blocks, so a new view waits at most a small
part of one block's encode. In order:

1. the feature tiles of a ring half a pane wide around the view (nearest first);
2. the LIIF screen tiles of that ring at the view's zoom (a pan by half a pane is then drawn from cache);
3. the features of a ring one pane wide;
4. the features of the whole image, when they fit in the feature budget.

Features never go past the budget for prefetching: each phase stops where the cache would
have to evict (the view's own tiles are pinned and never evicted anyway). Below 1:1 the LIIF
pane shows the area-averaged image and needs no features, so only phase 4 applies there.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..cancel import Cancelled, CancelToken
from .features import FeatureStore, TileKey
from .viewport import Viewport

if TYPE_CHECKING:  # the engine imports nothing from here; avoid the cycle at run time anyway
    from .engine import RenderEngine

__all__ = ["prefetch_steps", "ring_view", "view_feature_keys", "whole_image_fits"]


def ring_view(vp: Viewport, panes: float) -> Viewport:
    """``vp`` grown by ``panes`` of its own size on every side (same centre, zoom and lattice)."""
    mx, my = math.ceil(vp.width * panes), math.ceil(vp.height * panes)
    return vp.with_size(vp.width + 2 * mx, vp.height + 2 * my)


def view_feature_keys(store: FeatureStore, vp: Viewport) -> list[TileKey]:
    """Feature tiles a LIIF render of ``vp`` reads (its image rect, plus the unfold's and ensemble's margin)."""
    box = vp.visible_image_rect(store.width, store.height)
    if box is None:
        return []
    x0, y0, x1, y1 = box
    return store.tiles_for(y0 - 2, y1 + 2, x0 - 2, x1 + 2)


def whole_image_fits(store: FeatureStore) -> bool:
    """Whether all of the image's features fit in the store's budget."""
    return store.height * store.width * store.model.feat_dim * 4 <= store.budget_bytes


def _encode_within_budget(store: FeatureStore, keys: list[TileKey], centre_yx: tuple[float, float],
                          cancel: CancelToken) -> Iterator[str]:
    """Encode the missing ``keys``, nearest ``centre_yx`` first, as far as the budget goes without evicting."""
    tile_bytes = store.tile * store.tile * store.model.feat_dim * 4
    missing = store.by_distance([k for k in keys if not store.has(k)], centre_yx)
    room = max(0, (store.budget_bytes - store.cached_bytes) // tile_bytes)
    for done, total in store.encode_iter(missing[:room], cancel, centre_yx):
        yield f"prefetching features ({done}/{total})"


def prefetch_steps(engine: RenderEngine, vp: Viewport, precision: str = "fast",
                   cancel: CancelToken | None = None, screen_tiles: bool = True) -> Iterator[str]:
    """Prepare what views near ``vp`` need, step by step (see the module docstring); yields what it did.

    ``engine`` is the engine that rendered ``vp``. Stops quietly once ``cancel``
    is set (between steps, inside an encode, or between a screen tile's batches).
    """
    cancel = cancel or CancelToken()
    if engine.rgb is None or not engine.liif_applies:
        return
    below = min(vp.sx, vp.sy) < 1
    if below and engine.rgb.shape[0] * engine.rgb.shape[1] * engine.model.feat_dim * 4 > engine.feature_budget_bytes:
        return  # below 1:1 only the whole image is prefetched: make no feature store for a photo past the budget
    store = engine.features(precision, max(1.0, min(vp.sx, vp.sy)))  # below 1:1: the store of 1:1
    centre = (vp.center_y, vp.center_x)
    near = ring_view(vp, 0.5)
    try:
        if not below:
            near_keys = view_feature_keys(store, near)
            yield from _encode_within_budget(store, near_keys, centre, cancel)
            # Screen tiles only on prefetched features (never encoding past the budget for them).
            # ... and only when the ring's tiles fit the tile cache (else they would evict the view's own)
            tile_bytes = engine.screen_tile ** 2 * 13  # float32 RGB values and a known mask per pixel
            fits = engine.tile_count(near) * tile_bytes <= engine.tiles.budget_bytes
            if screen_tiles and fits and not cancel.cancelled and all(store.has(k) for k in near_keys):
                for _ in engine.iter_view_tiles(near, precision, cancel):
                    if cancel.cancelled:
                        return
                    yield "prefetching the view's surroundings"
            if not cancel.cancelled:
                yield from _encode_within_budget(store, view_feature_keys(store, ring_view(vp, 1.0)), centre, cancel)
        if whole_image_fits(store) and not cancel.cancelled:
            everything = store.tiles_for(0, store.height, 0, store.width)
            yield from _encode_within_budget(store, everything, centre, cancel)
    except Cancelled:
        return
