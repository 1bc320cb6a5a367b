"""A transparent layer over one pane that draws the profile line and, while drawing is on, lets a drag set it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from .pane import ImagePane
from .view_state import ViewState

__all__ = ["LineOverlay"]

Line = tuple[tuple[float, float], tuple[float, float]]  # start and end, image px


class LineOverlay(QWidget):
    """Covers ``pane`` exactly. The line is held in image px, so it stays on the same image points
    through pans and zooms. While ``drawing`` a left drag sets it (``drawn`` fires on every move);
    otherwise every mouse event passes through to the pane."""

    drawn = Signal(object)  # Line

    def __init__(self, pane: ImagePane, state: ViewState) -> None:
        super().__init__(pane)
        self.pane, self.state = pane, state
        self.line: Line | None = None
        self.drawing = False
        self._start: tuple[float, float] | None = None
        self.setMouseTracking(True)
        self.set_drawing(False)
        self.setGeometry(pane.rect())
        pane.installEventFilter(self)
        state.changed.connect(self.update)

    def set_drawing(self, on: bool) -> None:
        """Whether a drag draws the line (else the pane pans as usual)."""
        self.drawing = on
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, not on)
        self.setCursor(Qt.CursorShape.CrossCursor) if on else self.unsetCursor()

    def set_line(self, line: Line | None) -> None:
        """Show ``line`` (None: none)."""
        self.line = line
        self.update()

    def _image_xy(self, pos: QPointF) -> tuple[float, float]:
        return self.state.image_under(self.pane.to_device(pos))

    def _widget_xy(self, image_xy: tuple[float, float]) -> QPointF:
        x, y = self.state.viewport.image_to_screen(*image_xy)
        dpr = self.devicePixelRatioF()
        return QPointF(x / dpr, y / dpr)

    # --- events -------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: D102, N802
        if watched is self.pane and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.pane.rect())
        return False

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        self._start = self._image_xy(event.position())
        self.set_line((self._start, self._start))
        self.drawn.emit(self.line)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        self.pane.hovered.emit(self.pane.to_device(event.position()))  # the status bar readout keeps working
        if self._start is not None:
            self.set_line((self._start, self._image_xy(event.position())))
            self.drawn.emit(self.line)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        if event.button() == Qt.MouseButton.LeftButton and self._start is not None:
            self.set_line((self._start, self._image_xy(event.position())))
            self._start = None
            self.drawn.emit(self.line)

    def leaveEvent(self, event: QEvent) -> None:  # noqa: D102, N802
        self.pane.hovered.emit(None)
        super().leaveEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: D102, N802
        if self.line is None:
            return
        start, end = (self._widget_xy(p) for p in self.line)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(0, 0, 0, 160), 3.5))
        painter.drawLine(start, end)
        painter.setPen(QPen(QColor(255, 230, 60), 1.5))
        painter.drawLine(start, end)
        painter.setBrush(QColor(255, 230, 60))
        painter.drawEllipse(start, 3.5, 3.5)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(end, 3.5, 3.5)
        painter.end()
