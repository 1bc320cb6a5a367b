"""ByteLRU, the one size-bounded cache: budget, recency, pinning, the newest kept, counts under threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from liif_viewer.render.lru import ByteLRU


def block(nbytes: int) -> np.ndarray:
    return np.zeros(nbytes, np.uint8)


def test_evicts_least_recently_used_past_the_budget_and_a_peek_is_no_use():
    cache = ByteLRU(budget_bytes=3000)
    for key in "abc":
        cache.put(key, block(1000))
    assert "a" in cache and list(cache) == ["a", "b", "c"]  # `in` does not count as a use
    assert cache.get("b") is not None  # b becomes the most recently used
    cache.put("d", block(1000))
    assert list(cache) == ["c", "b", "d"] and cache.nbytes == 3000
    cache.put("e", block(2000))
    assert list(cache) == ["d", "e"] and cache.nbytes == 3000


def test_add_keeps_the_value_already_cached_and_put_replaces_it():
    cache = ByteLRU(budget_bytes=10_000)
    first = block(100)
    assert cache.add("k", first) is True
    assert cache.add("k", block(700)) is False and cache.get("k") is first and cache.nbytes == 100
    cache.put("k", block(700))
    assert cache.get("k") is not first and cache.nbytes == 700 and len(cache) == 1


def test_pinned_keys_stay_past_the_budget_until_unpinned():
    cache = ByteLRU(budget_bytes=2000)
    cache.pin(["a", "b", "c"])
    for key in "abc":
        cache.put(key, block(1000))
    assert len(cache) == 3 and cache.nbytes == 3000 == cache.limit_bytes  # the pinned frame needs more
    cache.put("d", block(1000))  # not pinned, over the budget: it goes at once
    assert "d" not in cache and cache.nbytes == 3000
    cache.pin(["c"])  # the next frame: back within the budget, least recently used first
    assert list(cache) == ["b", "c"] and cache.nbytes == 2000 == cache.limit_bytes


def test_set_budget_evicts_now_but_keeps_pinned():
    cache = ByteLRU(budget_bytes=4000)
    for key in "abcd":
        cache.put(key, block(1000))
    cache.pin(["a"])
    cache.set_budget(1500)
    assert list(cache) == ["a"] and cache.budget_bytes == 1500


def test_keep_newest_keeps_one_value_larger_than_the_whole_budget():
    plain, newest = ByteLRU(budget_bytes=500), ByteLRU(budget_bytes=500, keep_newest=True)
    for cache in (plain, newest):
        cache.put("small", block(100))
        cache.put("big", block(1000))
    assert list(plain) == [] and plain.nbytes == 0
    assert list(newest) == ["big"] and newest.nbytes == 1000


def test_counts_stay_exact_when_threads_share_the_cache():
    cache = ByteLRU(budget_bytes=64 * 100)
    cache.pin(range(8))

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(2000):
            key = int(rng.integers(0, 200))
            if rng.random() < 0.5:
                cache.put(key, block(100))
            elif rng.random() < 0.5:
                cache.add(key, block(100))
            else:
                cache.pop(key)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.nbytes == cache.live_bytes() == 100 * len(cache) <= cache.limit_bytes


@pytest.mark.parametrize("keep_newest", [False, True])
def test_clear_and_pop_keep_the_count(keep_newest):
    cache = ByteLRU(budget_bytes=10_000, keep_newest=keep_newest)
    cache.put("a", block(1000))
    cache.put("b", block(2000))
    assert cache.pop("a").nbytes == 1000 and cache.pop("a") is None and cache.nbytes == 2000
    cache.clear()
    assert cache.nbytes == 0 and len(cache) == 0 and cache.values() == []


def test_usage_reads_bytes_and_limit_together_while_another_thread_repins():
    """A reader must never see more bytes than the limit, though a writer keeps re-pinning and storing."""
    import threading

    import numpy as np

    cache = ByteLRU(budget_bytes=4 * 1000)
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            keys = [(i + k) % 40 for k in range(8)]  # 8 kB pinned: above the 4 kB budget
            cache.pin(keys)
            for k in keys:
                cache.put(k, np.zeros(1000, np.uint8))
            i += 3

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        readings = [cache.usage() for _ in range(20000)]
    finally:
        stop.set()
        thread.join()
    assert all(held <= limit for held, limit in readings)
    assert max(limit for _, limit in readings) > cache.budget_bytes  # the pins did lift the limit
