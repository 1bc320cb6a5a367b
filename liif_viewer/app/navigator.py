"""The navigator: an overview of the whole image in a corner of a pane, the visible part outlined.

A click or drag in it centres the view on that image point (as OpenSeadragon's navigator does).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from .store import RenderStore
from .view_state import ViewState

__all__ = ["Navigator", "NAVIGATOR_PX", "NAVIGATOR_MIN_ZOOM"]

NAVIGATOR_PX = 170  # logical px of the overview's longer side
NAVIGATOR_MIN_ZOOM = 4.0  # shown by default above this zoom
_MARGIN = 8
_PAD = 3


class Navigator(QWidget):
    """Sits at the bottom-left of its parent ``pane`` and follows the shared view."""

    def __init__(self, pane: QWidget, state: ViewState, store: RenderStore) -> None:
        super().__init__(pane)
        self.pane, self.state, self.store = pane, state, store
        self._thumb: QImage | None = None
        self._thumb_key: tuple[int, int, int] | None = None
        self.setObjectName("navigator")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("click or drag to move the view (N hides)")
        pane.installEventFilter(self)
        state.changed.connect(self._place)
        store.changed.connect(lambda _source: self._place())
        self.hide()

    # --- geometry -----------------------------------------------------------------------------------
    def frame(self) -> QRectF:
        """Where the whole image is drawn in this widget (logical px)."""
        width, height = self.state.image_size or (1, 1)
        k = (self.width() - 2 * _PAD) / width
        return QRectF(_PAD, _PAD, width * k, height * k)

    def to_image(self, pos: QPointF) -> tuple[float, float]:
        """The image point (image px) under ``pos`` (logical px of this widget)."""
        frame = self.frame()
        k = frame.width() / (self.state.image_size or (1, 1))[0]
        return (pos.x() - frame.x()) / k, (pos.y() - frame.y()) / k

    def _place(self) -> None:
        if self.state.image_size is None:
            return
        width, height = self.state.image_size
        side = min(NAVIGATOR_PX, 0.4 * self.pane.width(), 0.4 * self.pane.height())
        k = side / max(width, height)
        size = (round(width * k) + 2 * _PAD, round(height * k) + 2 * _PAD)
        self.setGeometry(_MARGIN, self.pane.height() - size[1] - _MARGIN, *size)
        self.raise_()
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: D102, N802
        if watched is self.pane and event.type() == QEvent.Type.Resize:
            self._place()
        return False

    # --- painting -----------------------------------------------------------------------------------
    def _thumbnail(self, width: int, height: int) -> QImage | None:
        base = self.store.base
        if base is None:
            return None
        key = (base.cacheKey(), width, height)
        if key != self._thumb_key:  # nearest to 4x the size, then smooth: cheap even for a 12 MP image
            rough = base.scaled(4 * width, 4 * height, Qt.AspectRatioMode.IgnoreAspectRatio,
                                Qt.TransformationMode.FastTransformation)
            self._thumb = rough.scaled(width, height, Qt.AspectRatioMode.IgnoreAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
            self._thumb_key = key
        return self._thumb

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: D102, N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 170))
        frame = self.frame()
        thumb = self._thumbnail(max(1, round(frame.width())), max(1, round(frame.height())))
        if thumb is not None:
            painter.drawImage(frame.topLeft(), thumb)
        width = (self.state.image_size or (1, 1))[0]
        k = frame.width() / width
        x, y, w, h = self.state.viewport.image_rect()
        seen = QRectF(frame.x() + x * k, frame.y() + y * k, max(3.0, w * k), max(3.0, h * k)).intersected(frame)
        painter.setClipRect(frame)
        painter.setPen(QPen(QColor(255, 230, 60), 1.5))
        painter.setBrush(QColor(255, 230, 60, 40))
        painter.drawRect(seen)
        painter.end()

    # --- input --------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        if event.button() == Qt.MouseButton.LeftButton:
            self.state.center_on(*self.to_image(event.position()))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.state.center_on(*self.to_image(event.position()))
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        event.accept()  # not the pane's fit ↔ 1:1
