"""Guards the Qt binding: the calls the panes make must not leak references to ``None``.

PySide6 6.12.0 on Python 3.11 took one reference from ``None`` in every void-returning call
(``QPainter.save``, ``setClipRect``, ``QFont.setPointSizeF``, ...); a viewer left open aborted with
"deallocating None" after a few minutes. On Python >= 3.12 ``None`` is immortal and its count is
constant, so these tests pass there whatever the binding does (and no crash is possible).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen

_ROUNDS = 300  # a leak of one reference per call loses at least this many


def _none_refs_lost(action, rounds: int = _ROUNDS) -> int:
    action()  # warm up caches (fonts, glyphs) so that only the repeated calls are counted
    before = sys.getrefcount(None)
    for _ in range(rounds):
        action()
    return before - sys.getrefcount(None)


def test_painter_calls_keep_none_references(qapp):
    """Every QPainter/QFont/QImage call that ImagePane makes, repeated: no reference to None is lost."""
    target = QImage(64, 48, QImage.Format.Format_RGB32)
    layer = QImage(16, 16, QImage.Format.Format_RGB32)
    layer.fill(QColor(10, 20, 30))
    painter = QPainter(target)
    font = QFont()

    def paint_once() -> None:
        painter.fillRect(QRectF(0, 0, 64, 48), QColor(30, 30, 30))
        painter.save()
        painter.setClipRect(QRectF(0, 0, 32, 48))
        layer.setDevicePixelRatio(1.0)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        painter.drawImage(QPointF(1, 1), layer)
        painter.drawImage(QRectF(0, 0, 40, 40), layer, QRectF(0, 0, 16, 16))
        painter.restore()
        painter.setPen(QPen(QColor(255, 255, 255, 200), 1))
        painter.drawLine(QPointF(0.5, 0), QPointF(0.5, 48))
        painter.setBrush(QColor(255, 255, 255, 200))
        painter.drawEllipse(QPointF(10, 10), 5, 5)
        font.setPointSizeF(9.0)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(QRectF(2, 2, 30, 12), 4, 4)
        painter.setPen(QColor(240, 240, 240))
        painter.drawText(QRectF(2, 2, 30, 12), Qt.AlignmentFlag.AlignCenter, "LIIF")

    try:
        lost = _none_refs_lost(paint_once)
    finally:
        painter.end()
    assert lost < _ROUNDS // 2, f"the Qt binding lost {lost} references to None in {_ROUNDS} paints"


def test_window_paints_keep_none_references(make_window, qtbot, face_png):
    """Repainting the real window (three panes, then swipe) loses no reference to None."""
    from tests.app.conftest import open_and_settle

    window = make_window(480, 240)
    open_and_settle(qtbot, window, face_png)
    assert _none_refs_lost(window.grab, rounds=100) < 50
    window.set_layout("swipe")
    assert _none_refs_lost(window.grab, rounds=100) < 50
