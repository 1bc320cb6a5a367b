"""The window's Inspect commands: the line profile (P), the histogram of the view, the navigator (N).

``InspectTools`` hangs off the window as ``window.inspect``; the command table names its methods
(``inspect.toggle_profile``…). It is given what it uses (the view state, the render store, the panes,
the controller, the status bar, and the main window its dock goes in), not the viewer's window.
Profiles and histograms are computed from what the panes show (the render store's layers) by the
headless functions of ``render.inspection``; a change of the view or of a render schedules one
recomputation on the next turn of the event loop, so a burst of them costs one.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from ..render.inspection import channel_values, line_points, luma_histogram, sample_layers
from ..render.viewport import Viewport
from .controller import RenderController
from .inspect_dock import InspectDock
from .line_overlay import Line, LineOverlay
from .messages import SOURCES
from .navigator import NAVIGATOR_MIN_ZOOM, Navigator
from .pane_area import PaneArea
from .status import StatusPanel
from .store import RenderStore
from .view_state import ViewState

__all__ = ["InspectTools", "DOCK_MIN_PX"]

DOCK_MIN_PX = 200  # logical px of the dock's height when it opens


class InspectTools(QObject):
    """Profile line, profile and histogram dock, and navigators over the panes of ``area``.

    ``profile`` is the last computed profile: (distance in image px, {source: values}) for the view
    ``profile_view``; ``histograms`` the last histograms ({source: 256 counts}) for ``histogram_view``.
    ``checked`` (command name, on) says when a checkable command (profile, navigator) turns on or off.
    """

    checked = Signal(str, bool)

    def __init__(self, window: QMainWindow, state: ViewState, store: RenderStore, area: PaneArea,
                 controller: RenderController, status: StatusPanel) -> None:
        super().__init__(window)
        self.window = window  # the dock's main window
        self.state, self.store, self.area, self.controller, self.status = state, store, area, controller, status
        self.line: Line | None = None
        self.drawing = False
        self.channel = "luma"
        self.profile: tuple[np.ndarray, dict[str, np.ndarray]] | None = None
        self.histograms: dict[str, np.ndarray] = {}
        self.profile_view: Viewport | None = None
        self.histogram_view: Viewport | None = None
        self.navigator_forced: bool | None = None  # None: shown above ×4
        self.dock = InspectDock(window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        self.dock.hide()
        self.dock.closed.connect(self._on_dock_closed)
        self.dock.channel_changed.connect(self._on_channel)
        self.dock.tab_changed.connect(lambda _tab: self._schedule())
        panes = self.area.all_panes()
        self.overlays = {pane: LineOverlay(pane, self.state) for pane in panes}
        for overlay in self.overlays.values():
            overlay.drawn.connect(self.set_line)
        self.navigators = {pane: Navigator(pane, self.state, self.store) for pane in panes if "liif" in pane.sources}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        self.state.changed.connect(self._on_view)
        self.store.changed.connect(self._on_store)
        controller.opened.connect(self._on_opened)

    # --- commands -----------------------------------------------------------------------------------
    def toggle_profile(self) -> None:
        """P: drag to draw a profile line (the dock opens), or back to panning (line and plot stay)."""
        self.set_drawing(not self.drawing)

    def set_drawing(self, on: bool) -> None:
        """Whether a drag in a pane draws the profile line."""
        self.drawing = on
        for overlay in self.overlays.values():
            overlay.set_drawing(on)
        self._check("profile", on)
        if on:
            self._show_dock("profile")
            self.status.message("drag a line across the image (P again: drag pans)", 8000)

    def show_histogram(self) -> None:
        """The histogram of the view, per pane."""
        self._show_dock("histogram")
        self._schedule()

    def toggle_navigator(self) -> None:
        """N: show or hide the navigator (by default it shows above ×4)."""
        self.navigator_forced = not self.navigator_shown()
        self._update_navigators()

    def navigator_shown(self) -> bool:
        """Whether the navigator is wanted at this zoom."""
        if self.navigator_forced is not None:
            return self.navigator_forced
        return self.state.scale > NAVIGATOR_MIN_ZOOM

    def set_line(self, line: Line | None) -> None:
        """The profile line (image px); None removes it."""
        self.line = line
        for overlay in self.overlays.values():
            overlay.set_line(line)
        self._schedule()

    # --- updates ------------------------------------------------------------------------------------
    def _on_view(self) -> None:
        self._update_navigators()
        self._schedule()

    def _on_store(self, _source: str) -> None:
        self._update_navigators()  # (a new layout shows other panes: their navigator comes with their renders)
        self._schedule()

    def _update_navigators(self) -> None:
        shown = self.navigator_shown() and self.controller.doc is not None
        for pane, navigator in self.navigators.items():
            navigator.setVisible(shown and pane.isVisible())
        self._check("navigator", shown)

    def _show_dock(self, tab: str) -> None:
        first = not self.dock.isVisible()
        self.dock.show_tab(tab)
        if first:  # a third of the window, the panes keep the rest
            height = max(DOCK_MIN_PX, self.window.height() // 3)
            self.window.resizeDocks([self.dock], [height], Qt.Orientation.Vertical)

    def _check(self, command: str, on: bool) -> None:
        self.checked.emit(command, on)

    def _on_opened(self, _image: object) -> None:
        self.histograms = {}
        self.set_line(None)

    def _on_channel(self, channel: str) -> None:
        self.channel = channel
        self._schedule()

    def _on_dock_closed(self) -> None:
        self.set_drawing(False)
        self.set_line(None)

    def _schedule(self) -> None:
        if self.dock.isVisible() or self.line is not None:
            self._timer.start()

    @property
    def pending(self) -> bool:
        """Whether a recomputation is scheduled (the plots lag the panes until it runs)."""
        return self._timer.isActive()

    def refresh(self) -> None:
        """Recompute what the dock shows now."""
        self._timer.stop()
        self._update_navigators()
        doc, vp = self.controller.doc, self.state.viewport
        visible = [s for s in SOURCES if s in self.area.visible_sources()]
        if self.line is None or doc is None:
            self.profile = self.profile_view = None
            self.dock.set_profile(np.zeros(0), {})
        else:
            distance, xs, ys = line_points(*self.line, vp)
            values = {}
            for source in visible:
                layers = [(layer.image.u8, layer.image.viewport) for layer in self.store.layers(source)]
                if layers:
                    values[source] = channel_values(sample_layers(layers, xs, ys), self.channel)
            self.profile, self.profile_view = (distance, values), vp
            self.dock.set_profile(distance, values)
        if self.dock.isVisible() and self.dock.tab == "histogram" and doc is not None:
            for source in visible:
                top = self.store.newest(source)
                if top is not None and top.final:  # a view's final render (partial LIIF images are not)
                    self.histograms[source] = luma_histogram(top.u8, top.viewport, doc.size)
            self.histograms = {s: c for s, c in self.histograms.items() if s in visible}
            self.histogram_view = vp
            self.dock.set_histograms(self.histograms)
