"""Giving freed memory back to the system.

glibc keeps freed heap memory for reuse, and after a burst of large renders on two threads
(arrays of a few MB each come from the heap once glibc's mmap threshold has risen) a soak of
the viewer held ~400 MB of free heap in RSS; ``malloc_trim(0)`` returned it (1064 -> 667 MB,
docs/performance.md). :class:`Trimmer` calls it at most every ``interval_s`` seconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import time

__all__ = ["malloc_trim", "Trimmer"]


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.malloc_trim.restype = ctypes.c_int
        return libc
    except (OSError, AttributeError):  # not glibc (e.g. musl has no malloc_trim)
        return None


_LIBC = _libc()


def malloc_trim() -> bool:
    """Return free heap memory of every arena to the system; whether any was released (False without glibc)."""
    return bool(_LIBC.malloc_trim(0)) if _LIBC is not None else False


class Trimmer:
    """Calls :func:`malloc_trim` when asked, but at most once every ``interval_s`` seconds."""

    def __init__(self, interval_s: float = 2.0) -> None:
        self.interval_s = interval_s
        self._last = float("-inf")
        self.calls = 0
        self.seconds = 0.0  # time spent trimming so far

    def maybe_trim(self) -> None:
        """Trim if the last trim was long enough ago."""
        now = time.perf_counter()
        if _LIBC is None or now - self._last < self.interval_s:
            return
        malloc_trim()
        self._last = time.perf_counter()
        self.calls += 1
        self.seconds += self._last - now
