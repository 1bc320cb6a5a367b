"""The dock below the panes: the line profile and the histogram of the view, one curve per method (pyqtgraph).

Both plots keep pyqtgraph's context menu, whose Export… saves the plot as PNG or SVG, or its
curves as CSV.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QComboBox, QDockWidget, QHBoxLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from ..render.inspection import CHANNELS
from .messages import SOURCES, TITLES

__all__ = ["InspectDock", "CURVE_COLOURS"]

CURVE_COLOURS = {"pixels": (200, 200, 200), "bilinear": (255, 165, 50), "liif": (70, 200, 255)}


def _plot(x_label: str, y_label: str) -> tuple[pg.PlotWidget, dict[str, pg.PlotDataItem]]:
    plot = pg.PlotWidget(background=(24, 24, 27))
    plot.showGrid(x=True, y=True, alpha=0.2)
    plot.setLabel("bottom", x_label)
    plot.setLabel("left", y_label)
    plot.addLegend(offset=(-10, 10), brush=(24, 24, 27, 210))
    curves = {s: plot.plot([], [], name=TITLES[s], pen=pg.mkPen(CURVE_COLOURS[s], width=1.6), connect="finite")
              for s in SOURCES}
    return plot, curves


class InspectDock(QDockWidget):
    """Tabs "Profile" and "Histogram"; ``closed`` fires when the person closes the dock."""

    closed = Signal()
    channel_changed = Signal(str)
    tab_changed = Signal(str)  # profile | histogram

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Inspect", parent)
        self.setObjectName("inspect_dock")
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.TopDockWidgetArea)
        self.tabs = QTabWidget()
        self.profile_plot, self.profile_curves = _plot("distance along the line (image px)", "8-bit level")
        self.profile_plot.setYRange(0, 255)
        self.channel = QComboBox()
        self.channel.addItems(CHANNELS)
        self.channel.currentTextChanged.connect(self.channel_changed)
        self.readout = QLabel("drag a line across the image")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel("values:"))
        row.addWidget(self.channel)
        row.addWidget(self.readout, 1)
        layout.addLayout(row)
        layout.addWidget(self.profile_plot, 1)
        self.tabs.addTab(page, "Profile")
        self.histogram_plot, self.histogram_curves = _plot("luma (8-bit level)", "screen pixels")
        self.tabs.addTab(self.histogram_plot, "Histogram")
        self.tabs.currentChanged.connect(lambda _i: self.tab_changed.emit(self.tab))
        self.setWidget(self.tabs)
        self._distance = np.zeros(0)
        self._values: dict[str, np.ndarray] = {}
        self.profile_plot.scene().sigMouseMoved.connect(self._on_plot_hover)

    @property
    def tab(self) -> str:
        """The tab shown: ``profile`` or ``histogram``."""
        return "histogram" if self.tabs.currentIndex() == 1 else "profile"

    def show_tab(self, tab: str) -> None:
        """Show the dock at ``profile`` or ``histogram``."""
        self.tabs.setCurrentIndex(1 if tab == "histogram" else 0)
        self.show()
        self.raise_()

    # --- data ---------------------------------------------------------------------------------------
    def set_profile(self, distance: np.ndarray, values: dict[str, np.ndarray]) -> None:
        """Curves of ``values`` (per source, NaN where the pane shows no render) against ``distance`` (image px)."""
        self._distance, self._values = distance, values
        for source, curve in self.profile_curves.items():
            if source in values:
                curve.setData(distance, values[source], connect="finite")
            else:
                curve.setData([], [])

    def set_histograms(self, counts: dict[str, np.ndarray]) -> None:
        """One step curve of 256 luma bins per source."""
        edges = np.arange(257) - 0.5
        for source, curve in self.histogram_curves.items():
            if source in counts:
                curve.setData(edges, counts[source], stepMode="center")
            else:
                curve.setData([], [])

    def values_at(self, distance: float) -> tuple[float, dict[str, float]] | None:
        """The profile point nearest ``distance`` (image px): its distance and each curve's value there."""
        if len(self._distance) == 0:
            return None
        i = int(np.clip(np.searchsorted(self._distance, distance), 0, len(self._distance) - 1))
        if i > 0 and abs(self._distance[i - 1] - distance) < abs(self._distance[i] - distance):
            i -= 1
        return float(self._distance[i]), {s: float(v[i]) for s, v in self._values.items()}

    def _on_plot_hover(self, scene_pos: QPointF) -> None:
        point = self.profile_plot.plotItem.vb.mapSceneToView(scene_pos)
        found = self.values_at(point.x())
        if found is None:
            return
        distance, values = found
        shown = "   ".join(f"{TITLES[s]} {'–' if np.isnan(v) else f'{v:.1f}'}" for s, v in values.items())
        self.readout.setText(f"at {distance:.2f} px:   {shown}")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: D102, N802
        super().closeEvent(event)
        self.closed.emit()
