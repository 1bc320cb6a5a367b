"""Latent codes for images of any size: a tiled encoder with a halo and an LRU cache.

The image is cut into square tiles of ``tile`` codes. Missing tiles are encoded in
blocks (rectangles of tiles, :mod:`.feature_blocks`), each from its pixels plus a
``halo`` of context on every side (clipped at the image border, where the encoder's
own zero padding applies), keeping only the interior, so each tile equals the
whole-image encoding: the halo is at least the encoder's receptive radius. Tiles are
encoded on demand, nearest to the view first, and kept in an LRU cache with a byte
budget (:class:`.lru.ByteLRU`); the tiles the current frame needs are never evicted while it is being drawn.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator

import numpy as np
import torch

from ..cancel import Cancelled, CancelToken
from ..model import LIIF
from ..model.fused_encoder import FAST_HALO, image_encoder
from .feature_blocks import FAST_MAX_BLOCK_CODES, MAX_BLOCK_CODES, Block, plan_blocks
from .lru import ByteLRU

__all__ = ["FeatureStore", "TileKey"]

TileKey = tuple[int, int]  # (tile row, tile col)


#: Crop sides are rounded up to a multiple of this many pixels (more context, same codes): oneDNN
#: keeps a compiled kernel for every input shape it meets (~0.75 MB each for the bf16 encoder).
CROP_STEP = 32


def _crop_span(start: int, stop: int, halo: int, size: int) -> tuple[int, int]:
    """Pixels [a, b) to encode for codes [start, stop): the halo, then grown to a multiple of CROP_STEP.

    Growth goes into the image (after, then before), never past it: extra context leaves the
    kept codes unchanged, while a crop edge inside the image would not.
    """
    a, b = max(0, start - halo), min(size, stop + halo)
    want = -(-(b - a) // CROP_STEP) * CROP_STEP
    b = min(size, a + want)
    a = max(0, b - want)
    return a, b


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
        #: largest block encoded at once (pixels, halo included)
        self.max_block_codes = MAX_BLOCK_CODES
        if precision == "fast":  # approximate codes: a narrower halo costs less than their own error
            self.halo = min(self.halo, FAST_HALO)
            self.max_block_codes = FAST_MAX_BLOCK_CODES
        self._encode = image_encoder(model, precision, self.device)  # channels_last, fused (fp32 or bf16 convs)
        self.rows = math.ceil(self.height / tile)
        self.cols = math.ceil(self.width / tile)
        self._cache = ByteLRU(budget_bytes)  # TileKey → (C, th, tw) codes; thread-safe
        self._planned: list[Block] = []  # blocks of the frame being drawn, not yet encoded (see ``plan``)
        self._count_lock = threading.Lock()
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
        return key in self._cache

    def pin(self, keys: Iterable[TileKey]) -> None:
        """Protect ``keys`` from eviction (the frame being drawn); replaces the previous pin set.

        A view that needs more codes than the budget keeps them all while it is drawn (never
        evicting and encoding again within one frame); the next pin set brings the cache back
        within the budget.
        """
        self._cache.pin(keys)

    @property
    def budget_bytes(self) -> int:
        """How many bytes of codes the cache keeps (more only while pinned tiles need more)."""
        return self._cache.budget_bytes

    def set_budget(self, budget_bytes: int) -> None:
        """Change the byte budget, evicting least recently used tiles past it now (pinned ones stay)."""
        self._cache.set_budget(budget_bytes)

    @property
    def cached_bytes(self) -> int:
        """Bytes of codes held now."""
        return self._cache.nbytes

    @property
    def limit_bytes(self) -> int:
        """What the cache may hold now: the budget, or the pinned tiles when they alone need more."""
        return self._cache.limit_bytes

    def usage(self) -> tuple[int, int]:
        """(``cached_bytes``, ``limit_bytes``) as one consistent reading (any thread)."""
        return self._cache.usage()

    # --- encoding -------------------------------------------------------------------------------------
    @torch.no_grad()
    def _encode_box(self, block: Block,
                    cancel: CancelToken | None = None) -> list[tuple[TileKey, torch.Tensor]]:
        """Codes of tile rows [r0, r1) x cols [c0, c1), encoded as one crop with one halo, tile by tile."""
        t, halo = self.tile, self.halo
        r0, r1, c0, c1 = block
        y0, x0 = r0 * t, c0 * t
        y1, x1 = min(self.height, r1 * t), min(self.width, c1 * t)
        sy0, sy1 = _crop_span(y0, y1, halo, self.height)
        sx0, sx1 = _crop_span(x0, x1, halo, self.width)
        crop = torch.from_numpy(np.ascontiguousarray(self.rgb[sy0:sy1, sx0:sx1])).permute(2, 0, 1)
        feat = self._encode(crop.to(self.device).unsqueeze(0), cancel)[0]
        out = []
        for row in range(r0, r1):
            for col in range(c0, c1):
                ty, tx = row * t - sy0, col * t - sx0
                tile = feat[:, ty:ty + min(t, self.height - row * t), tx:tx + min(t, self.width - col * t)]
                out.append(((row, col), tile.contiguous()))
        return out

    def ensure(self, key: TileKey) -> torch.Tensor:
        """The codes of tile ``key`` (C, th, tw), encoding them when missing."""
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        feat = self._encode_box((key[0], key[0] + 1, key[1], key[1] + 1))[0][1]
        self._add(key, feat)
        cached = self._cache.get(key)  # the codes another thread cached first, if it did
        return feat if cached is None else cached

    def plan(self, keys: Iterable[TileKey], centre_yx: tuple[float, float] | None = None) -> None:
        """Plan the blocks of a whole frame's missing ``keys`` at once (replacing any previous plan).

        A frame drawn piece by piece asks ``encode_iter`` for each piece's tiles; with a plan, each
        piece encodes the planned blocks holding its tiles, so the frame pays for few halos in all.
        """
        missing = [k for k in dict.fromkeys(keys) if not self.has(k)]
        self._planned = plan_blocks(missing, self.tile, self.halo, self.height, self.width, centre_yx,
                                    self.max_block_codes)

    def _blocks_for(self, missing: list[TileKey], centre_yx: tuple[float, float] | None) -> list[Block]:
        """Planned blocks holding any of ``missing`` (taken from the plan), then new blocks for the rest."""
        wanted = set(missing)
        taken = [b for b in self._planned
                 if any((r, c) in wanted for r in range(b[0], b[1]) for c in range(b[2], b[3]))]
        self._planned = [b for b in self._planned if b not in taken]
        covered = {(r, c) for b in taken for r in range(b[0], b[1]) for c in range(b[2], b[3])}
        rest = [k for k in missing if k not in covered]
        return taken + plan_blocks(rest, self.tile, self.halo, self.height, self.width, centre_yx,
                                   self.max_block_codes)

    def encode_iter(self, keys: Iterable[TileKey], cancel: CancelToken | None = None,
                    centre_yx: tuple[float, float] | None = None) -> Iterator[tuple[int, int]]:
        """Encode the missing ``keys`` in blocks (one halo each), yielding (tiles done, total) after each block.

        Blocks of the frame's plan come first (see ``plan``), then new ones nearest ``centre_yx``
        (else in the keys' order). Stops early, quietly, once ``cancel`` is set: between
        blocks, and inside one between the encoder's residual blocks.
        """
        keys = list(dict.fromkeys(keys))
        missing = [k for k in keys if not self.has(k)]
        for block in self._blocks_for(missing, centre_yx):
            if cancel is not None and cancel.cancelled:
                return
            try:
                self.encode_block(block, cancel)
            except Cancelled:
                return
            yield sum(self.has(k) for k in keys), len(keys)

    def encode_block(self, block: Block, cancel: CancelToken | None = None) -> int:
        """Encode tile rows [r0, r1) x cols [c0, c1) with one halo and cache each tile; how many it added.

        Raises :class:`~liif_viewer.cancel.Cancelled` when ``cancel`` stops the encoder.
        """
        return sum(self._add(key, feat) for key, feat in self._encode_box(block, cancel))

    def _add(self, key: TileKey, feat: torch.Tensor) -> bool:
        """Cache ``feat`` as tile ``key`` unless it is there already; whether it was added."""
        with self._count_lock:
            self.encodes += 1
        return self._cache.add(key, feat)

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
        keys = self.tiles_for(row0, row1, col0, col1)
        for _ in self.encode_iter(keys, centre_yx=((row0 + row1) / 2, (col0 + col1) / 2)):
            pass
        for key in keys:
            feat = self.ensure(key)
            ty0, tx0 = key[0] * t, key[1] * t
            ry0, ry1 = max(row0, ty0), min(row1, ty0 + feat.shape[1])
            rx0, rx1 = max(col0, tx0), min(col1, tx0 + feat.shape[2])
            out[:, ry0 - row0:ry1 - row0, rx0 - col0:rx1 - col0] = feat[:, ry0 - ty0:ry1 - ty0, rx0 - tx0:rx1 - tx0]
        return out
