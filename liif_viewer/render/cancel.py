"""The cancel token of every long render (no torch here, so the viewer's window imports it cheaply)."""

from __future__ import annotations

import threading

__all__ = ["CancelToken"]


class CancelToken:
    """Set by the requester when a newer request supersedes this one."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the running job to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel`` was called."""
        return self._event.is_set()

    def __call__(self) -> bool:
        return self._event.is_set()
