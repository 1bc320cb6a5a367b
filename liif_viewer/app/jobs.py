"""Long one-off jobs (export, recording, sweep frames) on their own thread, with progress and a real Cancel.

A job is a function ``work(cancel, report)`` that checks ``cancel.cancelled`` (a ``CancelToken``)
between small steps (tiles, frames), raising ``Cancelled`` to stop part-way, and calls
``report(done, total)``; its return value, its failure (one line) or its cancellation comes back
by queued signal. These jobs use their own ``RenderEngine`` on the shared
model (read-only inference), so the viewer's LIIF worker keeps rendering the panes meanwhile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, QThread, Signal

from ..cancel import Cancelled, CancelToken
from .worker import STOP_WAIT_MS, one_line

__all__ = ["BackgroundJob", "UserFacingError", "format_eta"]

logger = logging.getLogger(__name__)

Work = Callable[[CancelToken, Callable[[int, int], None]], object]


class UserFacingError(Exception):
    """A failure whose message is already a clear sentence for the user (no exception type added)."""


def format_eta(done: int, total: int, elapsed_s: float) -> str:
    """``12 / 40 · 0:07 left`` from progress so far (empty until the first step is done)."""
    if done <= 0 or total <= 0:
        return ""
    left = max(0.0, elapsed_s * (total - done) / done)
    minutes, seconds = divmod(round(left), 60)
    return f"{done} / {total} · {minutes}:{seconds:02d} left"


class BackgroundJob(QThread):
    """Runs ``work`` once (iterating it if it returns an iterator, emitting ``yielded`` per item).

    Emits ``progress(done, total)``, then one of ``succeeded``, ``failed``, ``cancelled``.
    """

    progress = Signal(int, int)
    yielded = Signal(object)  # each item, when ``work`` returns an iterator (e.g. frames)
    succeeded = Signal(object)  # what ``work`` returned
    failed = Signal(str)  # one-line message
    cancelled = Signal()

    def __init__(self, work: Work, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.work = work
        self.token = CancelToken()
        self.started_at = 0.0

    def cancel(self) -> None:
        """Ask the job to stop at its next check (a tile or a frame)."""
        self.token.cancel()

    def elapsed_s(self) -> float:
        """Seconds since the job started."""
        return time.perf_counter() - self.started_at if self.started_at else 0.0

    def run(self) -> None:  # noqa: D102 (QThread override)
        self.started_at = time.perf_counter()
        try:
            result = self.work(self.token, self.progress.emit)
            if isinstance(result, Iterator):
                for item in result:
                    if self.token.cancelled:
                        raise Cancelled
                    self.yielded.emit(item)
                result = None
        except Cancelled:
            self.cancelled.emit()
            return
        except UserFacingError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # shown as one line, never a traceback
            if self.token.cancelled:
                self.cancelled.emit()
                return
            logger.debug("background job failed", exc_info=True)
            self.failed.emit(one_line(exc))
            return
        if self.token.cancelled:
            self.cancelled.emit()
        else:
            self.succeeded.emit(result)

    def stop(self, timeout_ms: int = STOP_WAIT_MS) -> bool:
        """Cancel and wait for the thread to end (window or dialog closing); whether it ended."""
        self.cancel()
        return self.wait(timeout_ms)
