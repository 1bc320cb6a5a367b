"""The one size-bounded cache of the package: a thread-safe LRU map with a byte budget and pinning.

The rendered screen tiles (:class:`.tile_cache.TileCache`) and the latent codes
(:class:`.features.FeatureStore`) both keep their values here. A value's size (its ``nbytes``)
is counted when it is stored and taken off again by that same count when it leaves, so the
count stays true when a value grows while cached (a tile a render is working on); what the
values hold now is :meth:`ByteLRU.live_bytes`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

__all__ = ["ByteLRU"]


class ByteLRU:
    """Maps keys to values with an ``nbytes``; evicts the least recently used past ``budget_bytes``.

    Pinned keys (:meth:`pin`) are never evicted, so the cache may hold more than its budget
    while they alone need more (:attr:`limit_bytes`). With ``keep_newest`` the most recently
    used value stays even when it alone is over the budget. Every method takes the lock: the
    cache may be shared by a render thread and an idle-time prefetch.
    """

    def __init__(self, budget_bytes: int, keep_newest: bool = False) -> None:
        self.budget_bytes = budget_bytes
        self.keep_newest = keep_newest
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}  # each value's size as counted when stored
        self._pinned: set[Hashable] = set()
        self._bytes = 0
        self._lock = threading.Lock()

    # --- reading --------------------------------------------------------------------------------------
    def get(self, key: Hashable) -> Any | None:
        """The cached value or None; a hit becomes the most recently used."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def __contains__(self, key: Hashable) -> bool:
        """Whether ``key`` is cached (not counted as a use)."""
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Hashable]:
        """The cached keys (a snapshot, least recently used first)."""
        with self._lock:
            return iter(list(self._items))

    def values(self) -> list[Any]:
        """The cached values (a snapshot, least recently used first)."""
        with self._lock:
            return list(self._items.values())

    # --- writing --------------------------------------------------------------------------------------
    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` as the most recently used (replacing any previous one) and evict past the budget."""
        with self._lock:
            self._forget(key)
            self._store(key, value)

    def add(self, key: Hashable, value: Any) -> bool:
        """Store ``value`` unless ``key`` is cached already (then keep that one); whether it was stored."""
        with self._lock:
            if key in self._items:
                return False
            self._store(key, value)
            return True

    def pop(self, key: Hashable) -> Any | None:
        """Remove and return ``key``'s value (None when absent)."""
        with self._lock:
            return self._forget(key)

    def clear(self) -> None:
        """Drop everything (the pin set stays)."""
        with self._lock:
            self._items.clear()
            self._sizes.clear()
            self._bytes = 0

    def pin(self, keys: Iterable[Hashable]) -> None:
        """Protect ``keys`` from eviction, replacing the previous pin set; evicts past the budget now."""
        with self._lock:
            self._pinned = set(keys)
            self._evict()

    def set_budget(self, budget_bytes: int) -> None:
        """Change the byte budget, evicting past it now (pinned values stay)."""
        with self._lock:
            self.budget_bytes = budget_bytes
            self._evict()

    # --- sizes ----------------------------------------------------------------------------------------
    @property
    def nbytes(self) -> int:
        """Bytes held, as counted when each value was stored (what the budget is checked against)."""
        return self._bytes

    @property
    def limit_bytes(self) -> int:
        """What the cache may hold now: the budget, or the pinned values when they alone need more."""
        return self.usage()[1]

    def usage(self) -> tuple[int, int]:
        """(:attr:`nbytes`, :attr:`limit_bytes`) read together under the lock: a consistent pair while
        another thread stores, evicts or re-pins (read one by one, a new pin set between the two reads
        can make a cache look over its limit)."""
        with self._lock:
            pinned = sum(self._sizes[k] for k in self._pinned if k in self._sizes)
            return self._bytes, max(self.budget_bytes, pinned)

    def live_bytes(self) -> int:
        """Bytes the values hold now, measured again (includes what they grew by since they were stored)."""
        with self._lock:
            return sum(value.nbytes for value in self._items.values())

    # --- under the lock -------------------------------------------------------------------------------
    def _store(self, key: Hashable, value: Any) -> None:
        self._items[key] = value
        self._sizes[key] = int(value.nbytes)
        self._bytes += self._sizes[key]
        self._evict()

    def _forget(self, key: Hashable) -> Any | None:
        # Subtract the size counted at put: a value that has grown since (a running render's working
        # state) would otherwise take more off the count than it added, and the cache would overfill.
        value = self._items.pop(key, None)
        if value is not None:
            self._bytes -= self._sizes.pop(key)
        return value

    def _evict(self) -> None:
        """Drop least recently used values past the budget, never pinned ones (nor the newest, if kept)."""
        keys = list(self._items)
        for key in keys[:-1] if self.keep_newest else keys:
            if self._bytes <= self.budget_bytes:
                break
            if key not in self._pinned:
                self._forget(key)
