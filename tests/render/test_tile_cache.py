"""TileCache: a byte-budgeted LRU whose count stays true when values grow while cached."""

from __future__ import annotations

import numpy as np

from liif_viewer.render.tile_cache import TileCache


class Growing:
    """A value whose size grows after it is stored, like a tile a render is working on."""

    def __init__(self, nbytes: int) -> None:
        self.nbytes = nbytes


def test_least_recently_used_values_are_evicted_past_the_budget():
    cache = TileCache(budget_bytes=3000)
    for key in "abc":
        cache.put(key, np.zeros(1000, np.uint8))
    assert cache.get("a") is not None  # a becomes the most recently used
    cache.put("d", np.zeros(1000, np.uint8))
    assert cache.get("b") is None and all(cache.get(k) is not None for k in "acd")
    assert cache.nbytes == cache.live_bytes() == 3000


def test_a_value_that_grew_while_cached_does_not_shrink_the_count_when_evicted():
    cache = TileCache(budget_bytes=3000)
    for round_ in range(20):
        value = Growing(1000)
        cache.put(("tile", round_), value)
        value.nbytes = 5000  # working state added by a render, then the tile is evicted
    for value in cache.values():
        value.nbytes = 1000  # renders done: working state released
    assert cache.nbytes == 3000 and cache.live_bytes() <= cache.budget_bytes
    assert len(cache) == 3


def test_pop_and_clear_keep_the_count():
    cache = TileCache(budget_bytes=10_000)
    value = Growing(1000)
    cache.put("a", value)
    value.nbytes = 4000
    assert cache.pop("a") is value and cache.nbytes == 0
    cache.put("b", Growing(2000))
    cache.put("b", Growing(500))  # replaced
    assert cache.nbytes == 500
    cache.clear()
    assert cache.nbytes == 0 and len(cache) == 0
