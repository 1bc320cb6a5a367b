"""The central widget: the panes of the current layout, all exactly the same size."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

from .difference_pane import DifferencePane
from .pane import ImagePane
from .store import RenderStore
from .view_state import ViewState

__all__ = ["PaneArea", "LAYOUTS", "SWIPE_PARTNERS", "EMPTY_HINT"]

EMPTY_HINT = "Open an image: Ctrl+O, drop a file, or paste (Ctrl+V)"

LAYOUTS = ("three", "liif", "swipe", "diff")
SWIPE_PARTNERS = ("bilinear", "pixels")
_GAP = 2  # logical px between panes


class PaneArea(QWidget):
    """Lays out the Pixels | Bilinear | LIIF panes, the LIIF pane alone, a swipe of LIIF against a partner,
    or the difference of LIIF and the partner.

    Panes get identical sizes (leftover pixels become margin), so one viewport serves every pane.
    """

    hovered = Signal(object, object)  # pane, (x, y) device px or None
    clicked = Signal(object, object)  # pane, (x, y) device px of a click without a drag

    def __init__(self, state: ViewState, store: RenderStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.mode = "three"
        self.swipe_partner = "bilinear"
        self.panes = {source: ImagePane(state, store, (source,), self) for source in ("pixels", "bilinear", "liif")}
        self.swipe = ImagePane(state, store, (self.swipe_partner, "liif"), self)
        self.diff = DifferencePane(state, store, self.swipe_partner, self)  # |LIIF − partner|
        for pane in self.all_panes():
            pane.hovered.connect(lambda xy, p=pane: self.hovered.emit(p, xy))
            pane.clicked.connect(lambda xy, p=pane: self.clicked.emit(p, xy))
        self.hint = QLabel(EMPTY_HINT, self)  # over the panes while no image is shown
        self.hint.setObjectName("empty_hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hint.setStyleSheet("color: rgb(200, 200, 205); font-size: 15pt; background: transparent;")
        self.setMinimumSize(240, 160)
        self.set_mode("three")

    def all_panes(self) -> list[ImagePane]:
        """Every pane, shown or not."""
        return [*self.panes.values(), self.swipe, self.diff]

    def visible_panes(self) -> list[ImagePane]:
        """The panes of the current layout, left to right."""
        if self.mode == "three":
            return [self.panes["pixels"], self.panes["bilinear"], self.panes["liif"]]
        if self.mode == "liif":
            return [self.panes["liif"]]
        if self.mode == "diff":
            return [self.diff]
        return [self.swipe]

    def visible_sources(self) -> set[str]:
        """Sources some visible pane shows."""
        return {s for pane in self.visible_panes() for s in pane.sources}

    def set_mode(self, mode: str) -> None:
        """Switch layout: ``three``, ``liif``, ``swipe`` or ``diff``."""
        if mode not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {mode!r}")
        self.mode = mode
        visible = self.visible_panes()
        for pane in self.all_panes():
            pane.setVisible(pane in visible)
        self._relayout()

    def set_swipe_partner(self, source: str) -> None:
        """Compare LIIF against ``bilinear`` or ``pixels`` in the swipe and difference layouts."""
        if source not in SWIPE_PARTNERS:
            raise ValueError(f"swipe partner must be one of {', '.join(SWIPE_PARTNERS)}, got {source!r}")
        self.swipe_partner = source
        self.swipe.set_sources((source, "liif"))
        self.diff.set_sources((source, "liif"))

    def set_hint(self, text: str) -> None:
        """Text centred over the panes (how to open an image, or what is opening); '' hides it."""
        self.hint.setText(text)
        self.hint.setVisible(bool(text))
        self.hint.raise_()

    def set_label_scale(self, factor: float) -> None:
        """Pane titles ``factor`` times their usual size (presentation mode)."""
        for pane in self.all_panes():
            pane.label_scale = factor
            pane.update()

    def _relayout(self) -> None:
        panes = self.visible_panes()
        n = len(panes)
        width = max(1, (self.width() - _GAP * (n - 1)) // n)
        height = max(1, self.height())
        x = (self.width() - (width * n + _GAP * (n - 1))) // 2
        for pane in panes:
            pane.setGeometry(QRect(x, 0, width, height))
            x += width + _GAP
        self.hint.setGeometry(self.rect().adjusted(20, 20, -20, -20))
        self.hint.raise_()
        dpr = self.devicePixelRatioF()
        self.state.set_pane_size(round(width * dpr), round(height * dpr))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: D102, N802
        self._relayout()
        super().resizeEvent(event)

    def event(self, event: QEvent) -> bool:  # noqa: D102
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self._relayout()
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: D102, N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(12, 12, 14))
        painter.end()
