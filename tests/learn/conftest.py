"""Fixtures of this folder: one torch thread per test (see tests/_threads.py)."""

from tests._threads import one_thread  # noqa: F401  (autouse fixture)
