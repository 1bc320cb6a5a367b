"""Latent codes for images of any size: a tiled encoder with a halo and an LRU cache.

The image is cut into square tiles of ``tile`` codes. A tile is encoded from its
pixels plus a ``halo`` of context on every side (clipped at the image border,
where the encoder's own zero padding applies), and only its interior is kept,
so each tile equals the whole-image encoding: the halo is at least the
encoder's receptive radius. Tiles are encoded on demand, nearest to the view
first, and kept in an LRU cache with a byte budget; the tiles the current
frame needs are never evicted while it is being drawn.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import torch

from ..model import LIIF

__all__ = ["FeatureStore", "TileKey"]

TileKey = tuple[int, int]  # (tile row, tile col)


class FeatureStore:
    """Codes of one image for one model and precision (``exact`` fp32, ``fast`` reduced precision)."""

    def __init__(self, model: LIIF, rgb: np.ndarray, precision: str = "exact",
                 device: torch.device | str = "cpu", tile: int = 96, budget_bytes: int = 1 << 30) -> None:
        self.model = model
        self.rgb = rgb  # (H, W, 3) float32 in [0, 1], shared, never copied whole
        self.height, self.width = rgb.shape[:2]
        self.precision = precision
        self.device = torch.device(device)
        self.tile = tile
        self.halo = int(getattr(model.encoder, "receptive_radius", 34)) + 1
        self.budget_bytes = budget_bytes
        self.rows = math.ceil(self.height / tile)
        self.cols = math.ceil(self.width / tile)
        self._cache: OrderedDict[TileKey, torch.Tensor] = OrderedDict()
        self._bytes = 0
        self._pinned: set[TileKey] = set()
        self._lock = threading.Lock()
        #: tiles encoded so far (a tile evicted and encoded again counts twice).
        self.encodes = 0

    # --- which tiles ----------------------------------------------------------------------------------
    def tiles_for(self, row0: int, row1: int, col0: int, col1: int) -> list[TileKey]:
        """Tiles covering code rows [row0, row1) and cols [col0, col1), clipped to the grid."""
        t = self.tile
        r0, r1 = max(0, row0) // t, (min(self.height, row1) - 1) // t
        c0, c1 = max(0, col0) // t, (min(self.width, col1) - 1) // t
        return [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]

    def by_distance(self, keys: Iterable[TileKey], centre_yx: tuple[float, float]) -> list[TileKey]:
        """``keys`` sorted nearest first to an image point (y, x)."""
        t = self.tile
        cy, cx = centre_yx
        return sorted(keys, key=lambda k: ((k[0] + .5) * t - cy) ** 2 + ((k[1] + .5) * t - cx) ** 2)

    def has(self, key: TileKey) -> bool:
        """Whether tile ``key`` is encoded and cached."""
        with self._lock:
            return key in self._cache

    def pin(self, keys: Iterable[TileKey]) -> None:
        """Protect ``keys`` from eviction (the frame being drawn); replaces the previous pin set.

        A view that needs more codes than the budget keeps them all while it is drawn (never
        evicting and encoding again within one frame); the next pin set brings the cache back
        within the budget.
        """
        with self._lock:
            self._pinned = set(keys)
            self._evict()

    @property
    def cached_bytes(self) -> int:
        """Bytes of codes held now."""
        return self._bytes

    @property
    def limit_bytes(self) -> int:
        """What the cache may hold now: the budget, or the pinned tiles when they alone need more."""
        with self._lock:
            pinned = sum(self._nbytes(self._cache[k]) for k in self._pinned if k in self._cache)
        return max(self.budget_bytes, pinned)

    @staticmethod
    def _nbytes(feat: torch.Tensor) -> int:
        return feat.numel() * feat.element_size()

    # --- encoding -------------------------------------------------------------------------------------
    @torch.no_grad()
    def _encode_tile(self, key: TileKey) -> torch.Tensor:
        t, halo = self.tile, self.halo
        y0, x0 = key[0] * t, key[1] * t
        y1, x1 = min(self.height, y0 + t), min(self.width, x0 + t)
        sy0, sx0 = max(0, y0 - halo), max(0, x0 - halo)
        sy1, sx1 = min(self.height, y1 + halo), min(self.width, x1 + halo)
        crop = torch.from_numpy(np.ascontiguousarray(self.rgb[sy0:sy1, sx0:sx1])).permute(2, 0, 1)
        crop = crop.to(self.device).unsqueeze(0)
        if self.precision == "fast":
            dtype = torch.float16 if self.device.type == "cuda" else torch.bfloat16
            with torch.autocast(self.device.type, dtype=dtype):
                feat = self.model.encode(crop)
            feat = feat.to(dtype)
        else:
            feat = self.model.encode(crop)
        return feat[0, :, y0 - sy0:y1 - sy0, x0 - sx0:x1 - sx0].contiguous()

    def ensure(self, key: TileKey) -> torch.Tensor:
        """The codes of tile ``key`` (C, th, tw), encoding them when missing."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        feat = self._encode_tile(key)
        with self._lock:
            self.encodes += 1
            if key not in self._cache:
                self._cache[key] = feat
                self._bytes += self._nbytes(feat)
                self._evict()
            return self._cache.get(key, feat)

    def _evict(self) -> None:
        """Drop least recently used tiles past the budget, never pinned ones (lock held)."""
        for key in list(self._cache):
            if self._bytes <= self.budget_bytes:
                break
            if key in self._pinned:
                continue
            self._bytes -= self._nbytes(self._cache.pop(key))

    def encode_iter(self, keys: Iterable[TileKey],
                    cancelled: Callable[[], bool] = lambda: False) -> Iterator[tuple[int, int]]:
        """Encode ``keys`` in order, yielding (done, total) after each; stops early when ``cancelled``."""
        keys = list(keys)
        for i, key in enumerate(keys):
            if cancelled():
                return
            self.ensure(key)
            yield i + 1, len(keys)

    # --- assembling regions ---------------------------------------------------------------------------
    def region(self, row0: int, row1: int, col0: int, col1: int) -> torch.Tensor:
        """Codes of rows [row0, row1) x cols [col0, col1) as fp32 (C, rows, cols); zeros outside the image.

        Encodes whatever tiles are missing.
        """
        c = self.model.feat_dim
        out = torch.zeros(c, row1 - row0, col1 - col0, device=self.device)
        if row1 <= 0 or col1 <= 0 or row0 >= self.height or col0 >= self.width:
            return out
        t = self.tile
        for key in self.tiles_for(row0, row1, col0, col1):
            feat = self.ensure(key)
            ty0, tx0 = key[0] * t, key[1] * t
            ry0, ry1 = max(row0, ty0), min(row1, ty0 + feat.shape[1])
            rx0, rx1 = max(col0, tx0), min(col1, tx0 + feat.shape[2])
            out[:, ry0 - row0:ry1 - row0, rx0 - col0:rx1 - col0] = feat[:, ry0 - ty0:ry1 - ty0, rx0 - tx0:rx1 - tx0]
        return out
