"""Cancelling long work: one token, one exception, for every layer (a leaf: it imports nothing else).

Work that can be stopped takes ``cancel: CancelToken | None`` and checks ``cancel.cancelled`` between
small steps (MLP batches, encoder blocks, tiles, frames, files). Where it has to leave from deep inside
(an encode, a query, a job), it raises :class:`Cancelled`; generators stop quietly instead. No torch
here, so the viewer's window imports it cheaply.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["CancelToken", "Cancelled"]


class Cancelled(Exception):
    """Raised where work stops part-way because its token was cancelled."""


class CancelToken:
    """Set by whoever started the work (a newer request, a Cancel button, Ctrl+C); read by the work.

    ``when``, if given, is a condition that cancels too (checked at each read of ``cancelled``), e.g. a
    deadline, or a test's "after the third batch".
    """

    def __init__(self, when: Callable[[], bool] | None = None) -> None:
        self._event = threading.Event()
        self._when = when

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel`` was called (or ``when`` says stop)."""
        return self._event.is_set() or (self._when is not None and bool(self._when()))

