"""Synthetic input events (QTest's mouseMove carries no buttons, so drags are sent by hand), and a timer
that a test fires by hand. ``scripts/soak.py`` drives the viewer with the same events."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget


def wheel(widget: QWidget, x: float, y: float, notches: float = 1.0) -> None:
    """Turn the wheel ``notches`` (positive zooms in) with the cursor at (x, y) logical px."""
    pos = QPointF(x, y)
    event = QWheelEvent(pos, QPointF(widget.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, round(120 * notches)),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def mouse(widget: QWidget, kind: QEvent.Type, x: float, y: float, button: Qt.MouseButton,
          buttons: Qt.MouseButton) -> None:
    """Send one mouse event of ``kind`` at (x, y) logical px: ``button`` caused it, ``buttons`` are held."""
    pos = QPointF(x, y)
    event = QMouseEvent(kind, pos, QPointF(widget.mapToGlobal(pos)), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def drag(widget: QWidget, start: tuple[float, float], end: tuple[float, float], steps: int = 5,
         between: Callable[[], None] | None = None) -> None:
    """Press the left button at ``start``, move in ``steps`` to ``end`` (``between()`` before each move), release."""
    left = Qt.MouseButton.LeftButton
    mouse(widget, QEvent.Type.MouseButtonPress, *start, left, left)
    for i in range(1, steps + 1):
        if between is not None:
            between()
        x = start[0] + (end[0] - start[0]) * i / steps
        y = start[1] + (end[1] - start[1]) * i / steps
        mouse(widget, QEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton, left)
    mouse(widget, QEvent.Type.MouseButtonRelease, *end, left, Qt.MouseButton.NoButton)


def hover(widget: QWidget, x: float, y: float) -> None:
    """Move the mouse over ``widget`` with no button held."""
    mouse(widget, QEvent.Type.MouseMove, x, y, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)


class ManualTimer(QObject):
    """Stands in for a single-shot QTimer that fires only when the test says so (``fire``).

    Passed to ``RenderController.use_debounce_timer`` it makes "a burst of events becomes one LIIF
    request" independent of how fast the machine delivers the events.
    """

    timeout = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.active = False
        self.starts = 0  # how often it was (re)started: once per view change

    def start(self) -> None:
        self.active, self.starts = True, self.starts + 1

    def stop(self) -> None:
        self.active = False

    def isActive(self) -> bool:  # noqa: N802 (QTimer's name)
        return self.active

    def fire(self) -> None:
        """Time is up: emit ``timeout`` if started (as a single-shot timer would)."""
        if self.active:
            self.active = False
            self.timeout.emit()
