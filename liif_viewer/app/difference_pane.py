"""The difference layout's pane: |LIIF − Bilinear| (or − Pixels) of the panes' own renders, as a heat map.

It pans and zooms like any pane. Its sources are the partner and LIIF, so both are rendered for
every view; whenever the newest renders of both are of one view, their difference is taken (on the
store's change, so it is never of an older pair), coloured (pyqtgraph's colour map, levels set on
the colour bar at the right) and kept until the next pair.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QWidget

from ..render.inspection import abs_difference, colourise
from .messages import BACKGROUND_U8, TITLES, PaneImage
from .pane import ImagePane
from .store import Layer, RenderStore
from .view_state import ViewState

__all__ = ["DifferencePane", "DEFAULT_LEVELS", "COLOUR_MAP"]

DEFAULT_LEVELS = (0.0, 32.0)  # 8-bit levels at the ends of the colour bar
COLOUR_MAP = "inferno"
_BAR_WIDTH = 92  # logical px


class DifferencePane(ImagePane):
    """``difference`` holds |LIIF − partner| (uint8 (H, W), the largest channel difference) of the newest pair
    of renders made for one view, and ``difference_view`` that view."""

    def __init__(self, state: ViewState, store: RenderStore, partner: str, parent: QWidget | None = None) -> None:
        super().__init__(state, store, (partner, "liif"), parent)
        self.levels = DEFAULT_LEVELS
        self.colour_map = pg.colormap.get(COLOUR_MAP)
        self._lut = self.colour_map.getLookupTable(nPts=256, alpha=False)
        self.difference: np.ndarray | None = None
        self.difference_view = None
        self._pair: tuple[int, int] | None = None  # ids of the two renders the difference came from
        self._heat: Layer | None = None
        self.bar_view = pg.GraphicsLayoutWidget(self)
        self.bar_view.setBackground(BACKGROUND_U8)
        self.bar = pg.ColorBarItem(values=self.levels, colorMap=self.colour_map, label="|Δ| (8-bit levels)",
                                   limits=(0, 255), rounding=1, interactive=True, colorMapMenu=False)
        self.bar_view.addItem(self.bar)
        self.bar.sigLevelsChanged.connect(self._on_levels)

    @property
    def is_swipe(self) -> bool:  # two sources, but no divider
        """Never: the pane shows one picture made of both sources."""
        return False

    @property
    def title(self) -> str:
        """``|LIIF − Bilinear|`` or ``|LIIF − Pixels|``."""
        return f"|LIIF − {TITLES[self.sources[0]]}|"

    def set_sources(self, sources: tuple[str, ...]) -> None:  # noqa: D102
        if sources != self.sources:
            self.difference = self.difference_view = self._pair = self._heat = None
        super().set_sources(sources)
        self.refresh()

    def value_at(self, screen_xy: tuple[float, float]) -> int | None:
        """|Δ| shown at ``screen_xy`` (device px), when a difference of the current scale covers it."""
        vp, dvp = self.state.viewport, self.difference_view
        if self.difference is None or dvp.scale != vp.scale:
            return None
        (ox, oy), (dx, dy) = vp.origin_lattice, dvp.origin_lattice
        col, row = int(ox + screen_xy[0]) - dx, int(oy + screen_xy[1]) - dy
        if 0 <= row < dvp.height and 0 <= col < dvp.width:
            return int(self.difference[row, col])
        return None

    # --- the difference -----------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Take the difference of the newest renders of the partner and LIIF when they show one view."""
        partner, liif = self.store.newest(self.sources[0]), self.store.newest("liif")
        if partner is None or liif is None or partner.viewport != liif.viewport:
            return False
        pair = (id(partner), id(liif))
        if pair == self._pair:
            return False
        self._pair = pair
        self.difference, self.difference_view = abs_difference(liif.u8, partner.u8), liif.viewport
        self._colourise()
        return True

    def _colourise(self) -> None:
        if self.difference is not None:
            heat = colourise(self.difference, self.levels, self._lut)
            self._heat = Layer.of(PaneImage("liif", 0, self.difference_view, heat))

    def _on_levels(self, bar: pg.ColorBarItem) -> None:
        self.levels = tuple(float(v) for v in bar.levels())
        self._colourise()
        self.update()

    # --- painting -----------------------------------------------------------------------------------
    def _on_store_changed(self, source: str) -> None:
        if source in self.sources and self.isVisible():  # at once, so the difference is always of the newest pair
            self.refresh()
            self.update()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: D102, N802
        self.refresh()
        super().showEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: D102, N802
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(*BACKGROUND_U8))
        if self._heat is not None:
            self._paint_layer(painter, self._heat, self.state.viewport, self.devicePixelRatioF(), smooth=False)
        else:
            painter.setPen(QColor(200, 200, 205))
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, "waiting for LIIF…")
        self._paint_label(painter, self.title, left=True)
        if self.store.liif_note:
            self._paint_note(painter, self.store.liif_note)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: D102, N802
        self.bar_view.setGeometry(self.width() - _BAR_WIDTH, 44, _BAR_WIDTH, max(60, self.height() - 88))
        super().resizeEvent(event)
