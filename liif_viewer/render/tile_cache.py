"""The engine's cache of rendered screen tiles: a :class:`.lru.ByteLRU` that keeps the newest tile.

A tile's size is taken when it is stored; a tile that grows while a render works on it
(a tile job's code projections) must shrink back when that render stops (``TileJob.release``),
so that :meth:`TileCache.live_bytes` equals :attr:`TileCache.nbytes` between renders.
"""

from __future__ import annotations

from .lru import ByteLRU

__all__ = ["TileCache"]


class TileCache(ByteLRU):
    """Maps a small frozen key to a tile; evicts least recently used past ``budget_bytes``.

    The most recently used tile stays even when it alone is over the budget (a view is never
    left without the tile it is drawing).
    """

    def __init__(self, budget_bytes: int = 256 << 20) -> None:
        super().__init__(budget_bytes, keep_newest=True)
