"""A byte-budgeted LRU cache of rendered screen tiles (any value with an ``nbytes`` attribute).

A value's size is taken when it is stored; a value that grows while a render works on it
(a tile job's code projections) must shrink back when that render stops (``TileJob.release``),
so that :meth:`TileCache.live_bytes` equals :attr:`TileCache.nbytes` between renders.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

__all__ = ["TileCache"]


class TileCache:
    """Maps a small frozen key to an array; evicts least recently used past ``budget_bytes``."""

    def __init__(self, budget_bytes: int = 256 << 20) -> None:
        self.budget_bytes = budget_bytes
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}  # each value's size as counted when stored
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The cached array or None; a hit becomes most recently used."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value`` (replacing any previous one) and evict past the budget."""
        with self._lock:
            self._forget(key)
            self._items[key] = value
            self._sizes[key] = value.nbytes
            self._bytes += self._sizes[key]
            while self._bytes > self.budget_bytes and len(self._items) > 1:
                self._forget(next(iter(self._items)))

    def pop(self, key: Hashable) -> Any:
        """Remove and return ``key``'s value (None when absent)."""
        with self._lock:
            return self._forget(key)

    def _forget(self, key: Hashable) -> Any:
        # Subtract the size counted at put: a value that has grown since (a running render's working
        # state) would otherwise take more off the count than it added, and the cache would overfill.
        value = self._items.pop(key, None)
        if value is not None:
            self._bytes -= self._sizes.pop(key)
        return value

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._items.clear()
            self._sizes.clear()
            self._bytes = 0

    def values(self) -> list[Any]:
        """The cached values (a snapshot, least recently used first)."""
        with self._lock:
            return list(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        """Bytes held, as counted when each value was stored (what the budget is checked against)."""
        return self._bytes

    def live_bytes(self) -> int:
        """Bytes the values hold now, measured again (includes the working state of running renders)."""
        with self._lock:
            return sum(value.nbytes for value in self._items.values())
