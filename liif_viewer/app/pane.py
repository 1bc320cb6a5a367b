"""One image pane: paints renders 1:1 on device pixels and turns mouse, wheel and pinch into view changes.

Panes are plain painted widgets rather than pyqtgraph ViewBoxes: every render is already
made at the pane's exact device resolution on the viewport's pixel lattice, so it is drawn
unscaled at an integer device position (pixel exact, HiDPI included); a stale render is
drawn moved and rescaled to the current view until its replacement arrives. Where no render
covers the view yet (a strip a drag exposes, the margin of a zoom-out), the image itself is
drawn, scaled by the painter (smooth, or blocky in the Pixels pane), so a pane never shows empty
background where the image is.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QMouseEvent,
    QNativeGestureEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QRegion,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from ..render.viewport import Viewport
from .messages import BACKGROUND_U8, TITLES
from .store import Layer, RenderStore
from .view_state import ViewState, format_zoom

__all__ = ["ImagePane", "WHEEL_STEP"]

WHEEL_STEP = 1.2  # zoom factor per wheel notch (120 eighths of a degree)
_DIVIDER_GRAB_PX = 8  # logical px either side of the swipe divider that grab it


def _inner(rect: QRectF) -> QRect:
    """The whole logical pixels inside ``rect``."""
    left, top = math.ceil(rect.left()), math.ceil(rect.top())
    right, bottom = math.floor(rect.right()), math.floor(rect.bottom())
    return QRect(left, top, max(0, right - left), max(0, bottom - top))


class ImagePane(QWidget):
    """Shows ``sources[0]`` (or, in a swipe pane, ``sources[0]`` left of the divider and ``sources[1]`` right)."""

    hovered = Signal(object)  # (x, y) device px in the pane, or None when the cursor leaves
    divider_moved = Signal(float)  # swipe divider position, 0..1 of the width
    clicked = Signal(object)  # (x, y) device px of a left click that did not drag

    def __init__(self, state: ViewState, store: RenderStore, sources: tuple[str, ...],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.store = store
        self.sources = sources
        self.divider = 0.5
        self.label_scale = 1.0  # pane titles grow in presentation mode
        self._press_at: QPointF | None = None
        self._drag_from: QPointF | None = None
        self._dragging_divider = False
        self.setMouseTracking(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.grabGesture(Qt.GestureType.PinchGesture)
        state.changed.connect(self.update)
        store.changed.connect(self._on_store_changed)

    @property
    def is_swipe(self) -> bool:
        """Whether this pane compares two sources with a divider."""
        return len(self.sources) == 2

    def set_sources(self, sources: tuple[str, ...]) -> None:
        """Show other sources (e.g. swipe against Pixels instead of Bilinear)."""
        self.sources = sources
        self.update()

    def to_device(self, pos: QPointF) -> tuple[float, float]:
        """A logical widget position → device px of the pane's viewport."""
        dpr = self.devicePixelRatioF()
        return pos.x() * dpr, pos.y() * dpr

    # --- painting -----------------------------------------------------------------------------------
    def _on_store_changed(self, source: str) -> None:
        if source in self.sources:
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: D102, N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(*BACKGROUND_U8))
        vp = self.state.viewport
        if self.is_swipe:
            x = round(self.divider * self.width())
            left = QRectF(0, 0, x, self.height())
            right = QRectF(x, 0, self.width() - x, self.height())
            for source, clip in zip(self.sources, (left, right), strict=True):
                painter.save()
                painter.setClipRect(clip)
                self._paint_source(painter, source, vp, clip.toRect())
                painter.restore()
            painter.setPen(QPen(QColor(255, 255, 255, 200), 1))
            painter.drawLine(QPointF(x + 0.5, 0), QPointF(x + 0.5, self.height()))
            painter.setBrush(QColor(255, 255, 255, 200))
            painter.drawEllipse(QPointF(x + 0.5, self.height() / 2), 5, 5)
            self._paint_label(painter, self.sources[0], left=True)
            self._paint_label(painter, self.sources[1], left=False)
        else:
            self._paint_source(painter, self.sources[0], vp, self.rect())
            self._paint_label(painter, self.sources[0], left=True)
        if "liif" in self.sources and self.store.liif_note:
            self._paint_note(painter, self.store.liif_note)
        painter.end()

    def _paint_source(self, painter: QPainter, source: str, vp: Viewport, area: QRect) -> None:
        dpr = self.devicePixelRatioF()
        layers = self.store.layers(source)
        uncovered = QRegion(area)
        for layer in layers:
            uncovered -= QRegion(_inner(self._layer_target(layer, vp, dpr)))
        if not uncovered.isEmpty():
            self._paint_base(painter, vp, dpr, source != "pixels", uncovered)
        for layer in layers:
            self._paint_layer(painter, layer, vp, dpr, smooth=source != "pixels")

    def _paint_base(self, painter: QPainter, vp: Viewport, dpr: float, smooth: bool, region: QRegion) -> None:
        """The image itself, scaled by the painter, where no render covers the view (``region``)."""
        base = self.store.base
        if base is None:
            return
        x, y, w, h = vp.image_rect()  # the visible part of the image, plus a pixel for interpolation
        x0, y0 = max(0, math.floor(x) - 1), max(0, math.floor(y) - 1)
        x1, y1 = min(base.width(), math.ceil(x + w) + 1), min(base.height(), math.ceil(y + h) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        sx, sy = vp.image_to_screen(x0, y0)
        target = QRectF(sx / dpr, sy / dpr, (x1 - x0) * vp.sx / dpr, (y1 - y0) * vp.sy / dpr)
        painter.save()
        painter.setClipRegion(region, Qt.ClipOperation.IntersectClip)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawImage(target, base, QRectF(x0, y0, x1 - x0, y1 - y0))
        painter.restore()

    @staticmethod
    def _layer_target(layer: Layer, vp: Viewport, dpr: float) -> QRectF:
        """Where ``layer`` lands in the pane (logical px) for the current view ``vp``."""
        lvp = layer.image.viewport
        x, y, w, h = lvp.image_rect()
        sx, sy = vp.image_to_screen(x, y)
        if lvp.scale == vp.scale:  # same lattice: an integer device offset, drawn unscaled
            return QRectF(round(sx) / dpr, round(sy) / dpr, lvp.width / dpr, lvp.height / dpr)
        return QRectF(sx / dpr, sy / dpr, w * vp.scale / dpr, h * vp.scale / dpr)

    def _paint_layer(self, painter: QPainter, layer: Layer, vp: Viewport, dpr: float, smooth: bool) -> None:
        lvp = layer.image.viewport
        target = self._layer_target(layer, vp, dpr)
        layer.qimage.setDevicePixelRatio(dpr)
        if lvp.scale == vp.scale:
            painter.drawImage(target.topLeft(), layer.qimage)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawImage(target, layer.qimage, QRectF(0, 0, lvp.width, lvp.height))

    def _paint_label(self, painter: QPainter, source: str, left: bool) -> None:
        text = f"{TITLES.get(source, source)}  {format_zoom(self.state.scale)}"
        font = QFont(self.font())
        font.setPointSizeF(max(9.0, font.pointSizeF()) * self.label_scale)
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        box = QRectF(0, 0, metrics.horizontalAdvance(text) + 14, metrics.height() + 8)
        box.moveTopLeft(QPointF(8, 8) if left else QPointF(self.width() - box.width() - 8, 8))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(240, 240, 240))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_note(self, painter: QPainter, note: str) -> None:
        painter.setFont(self.font())
        metrics = painter.fontMetrics()
        box = QRectF(0, 0, metrics.horizontalAdvance(note) + 12, metrics.height() + 6)
        box.moveBottomRight(QPointF(self.width() - 8, self.height() - 8))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 120))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(220, 220, 220))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, note)

    # --- input --------------------------------------------------------------------------------------
    def _near_divider(self, pos: QPointF) -> bool:
        return self.is_swipe and abs(pos.x() - self.divider * self.width()) <= _DIVIDER_GRAB_PX

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._dragging_divider = self._near_divider(event.position())
        self._drag_from = self._press_at = event.position()
        if not self._dragging_divider:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        pos = event.position()
        if self._drag_from is not None and self._dragging_divider:
            self.divider = min(1.0, max(0.0, pos.x() / max(1, self.width())))
            self.divider_moved.emit(self.divider)
            self.update()
        elif self._drag_from is not None:
            (x0, y0), (x1, y1) = self.to_device(self._drag_from), self.to_device(pos)
            self._drag_from = pos
            self.state.pan_by(x1 - x0, y1 - y0)
        elif self.is_swipe:
            near = self._near_divider(pos)
            self.setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.OpenHandCursor)
        self.hovered.emit(self.to_device(pos))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        if event.button() == Qt.MouseButton.LeftButton:
            press, self._press_at = self._press_at, None
            if press is not None and not self._dragging_divider:
                moved = event.position() - press
                if abs(moved.x()) + abs(moved.y()) <= 3:
                    self.clicked.emit(self.to_device(event.position()))
            self._drag_from = None
            self._dragging_divider = False
            self.setCursor(Qt.CursorShape.OpenHandCursor)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: D102, N802
        """Toggle fit ↔ 1:1 (one image px per device px) about the cursor."""
        if self._near_divider(event.position()):
            return
        if self.state.fitting:
            self.state.zoom_to(1.0, self.to_device(event.position()))
        else:
            self.state.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: D102, N802
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.state.zoom_at(self.to_device(event.position()), WHEEL_STEP ** (delta / 120.0))
        event.accept()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: D102, N802
        self.hovered.emit(None)
        super().leaveEvent(event)

    def event(self, event: QEvent) -> bool:  # noqa: D102
        if event.type() == QEvent.Type.NativeGesture and isinstance(event, QNativeGestureEvent):
            if event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:  # trackpad pinch
                self.state.zoom_at(self.to_device(event.position()), 1.0 + event.value())
                return True
        if event.type() == QEvent.Type.Gesture:  # touchscreen pinch
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if pinch is not None:
                centre = self.mapFromGlobal(pinch.centerPoint().toPoint())
                self.state.zoom_at(self.to_device(QPointF(centre)), pinch.scaleFactor())
                return True
        return super().event(event)
