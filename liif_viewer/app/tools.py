"""The window's Export and Demo commands: export dialog, resolution sweep, zoom flight, presentation, recording.

``WindowTools`` hangs off the window as ``window.tools``; the command table names its methods
(``tools.export_view``…). It is given what it uses (the view state, the controller, the panes, the
status bar, the settings) and the window only as the parent of its dialogs and for presentation mode.
Long work runs in ``BackgroundJob``s on engines of their own that share
the viewer's model, so the panes keep rendering meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QWidget

from ..tasks.demos import flight_viewports, run_flight
from .export_dialog import ExportDialog, ExportSource
from .export_form import view_region
from .flight import ZoomFlight
from .flight_dialog import FlightDialog, read_flight_settings, write_flight_settings
from .recording import RecordDialog
from .sweep_window import SweepWindow, view_square

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMainWindow

    from ..cancel import CancelToken
    from .controller import RenderController
    from .pane_area import PaneArea
    from .status import StatusPanel
    from .view_state import ViewState

__all__ = ["WindowTools", "PRESENTATION_LABEL_SCALE"]

PRESENTATION_LABEL_SCALE = 2.2
PICK_PROMPT = "click the point to fly to (Esc cancels)"


class WindowTools(QObject):
    """Export, sweep, flight and presentation for one viewer window."""

    def __init__(self, window: QMainWindow, state: ViewState, controller: RenderController, area: PaneArea,
                 status: StatusPanel, settings: QSettings, leave_full_screen: Callable[[], None]) -> None:
        super().__init__(window)
        self.window = window  # the dialogs' parent; full screen and its menu and status bars (presentation)
        self.state, self.controller, self.area, self.status, self.settings = state, controller, area, status, settings
        self._leave_full_screen = leave_full_screen
        self.flight = ZoomFlight(state, controller, self)
        self.flight.settings = read_flight_settings(settings)
        self.export_dialog: ExportDialog | None = None
        self.sweep_window: SweepWindow | None = None
        self.flight_dialog: FlightDialog | None = None
        self.record_dialog: RecordDialog | None = None
        self.target_xy: tuple[float, float] | None = None  # the last clicked or typed flight target
        self.presenting = False
        self._picking = False
        self._hover: tuple[float, float] | None = None
        self._was_full_screen = False
        area.clicked.connect(self._on_click)
        area.hovered.connect(lambda _pane, xy: setattr(self, "_hover", xy))
        window.installEventFilter(self)

    def _say(self, text: str, ms: int = 5000) -> None:
        self.status.message(text, ms)

    def _model(self) -> tuple[object | None, object]:
        """The viewer's model and device (None until loaded), as the LIIF worker published them."""
        return self.controller.model, self.controller.device

    def _image_name(self) -> str:
        doc = self.controller.doc
        return Path(doc.path).stem if doc is not None and doc.path else "image"

    # --- export -------------------------------------------------------------------------------------
    def export_source(self) -> ExportSource | None:
        """What an export starts from: the image, the LIIF pane's view and the model (None: no image)."""
        doc = self.controller.doc
        if doc is None:
            return None
        vp = self.state.viewport
        region = view_region(vp, doc.size)
        view_size = (max(1, round(region[2] * vp.scale)), max(1, round(region[3] * vp.scale)))
        model, device = self._model()
        return ExportSource(doc.document, region, view_size, model, device)

    def export_view(self) -> ExportDialog | None:
        """File → Export View… (Ctrl+E)."""
        if self.export_dialog is not None and self.export_dialog.job is not None:
            self.export_dialog.show()
            self.export_dialog.raise_()
            return self.export_dialog
        source = self.export_source()
        if source is None:
            self._say("open an image first")
            return None
        if self.export_dialog is not None:
            self.export_dialog.close()
            self.export_dialog.deleteLater()
        self.export_dialog = ExportDialog(source, self.settings, self.window)
        self.export_dialog.show()
        return self.export_dialog

    # --- resolution sweep ---------------------------------------------------------------------------
    def open_sweep(self) -> SweepWindow | None:
        """Demo → Resolution Sweep…: a window that renders and plays the sweep of the current image."""
        doc = self.controller.doc
        model, device = self._model()
        if doc is None or model is None:
            self._say("open an image first" if doc is None else "the sweep needs LIIF, and the model is not ready")
            return None
        if self.sweep_window is not None:
            self.sweep_window.close()
            self.sweep_window.deleteLater()
        crop = view_square(view_region(self.state.viewport, doc.size), doc.size)
        self.sweep_window = SweepWindow(doc.rgb, model, device, self.settings, crop, self._image_name(),
                                        self.window)
        self.sweep_window.show()
        self.sweep_window.render()
        return self.sweep_window

    # --- zoom flight --------------------------------------------------------------------------------
    def default_target(self) -> tuple[float, float]:
        """The last chosen point, else the point under the cursor, else the view's centre (image px)."""
        if self.target_xy is not None:
            return self.target_xy
        for pane in self.area.visible_panes():
            local = pane.mapFromGlobal(QCursor.pos())
            if pane.rect().contains(local):
                return self.state.image_under(pane.to_device(local.toPointF()))
        return self.state.center_x, self.state.center_y

    def fly(self, target_xy: tuple[float, float] | None = None) -> bool:
        """Fly from fit to the chosen zoom about ``target_xy`` (default: ``default_target``)."""
        if self.flight_dialog is not None and self.flight_dialog.isVisible():
            self.flight.settings = self.flight_dialog.settings()
            target_xy = target_xy or self.flight_dialog.target()
        target_xy = target_xy or self.default_target()
        self.target_xy = target_xy
        if self._picking:  # Space while picking: fly about the default point, and stop asking
            self._stop_picking()
        started = self.flight.start(target_xy)
        if not started:
            self._say("open an image first")
        return started

    def toggle_flight(self) -> None:
        """Space: start a flight, or stop the one under way."""
        if self.flight.flying:
            self.flight.stop()
        else:
            self.fly()

    def pick_flight_target(self) -> None:
        """Z: the next click on the image starts a flight about that point."""
        self._picking = True
        self.area.setCursor(Qt.CursorShape.CrossCursor)
        self._say(PICK_PROMPT, 10_000)

    def _on_click(self, _pane: QWidget, screen_xy: tuple[float, float]) -> None:
        image_xy = self.state.image_under(screen_xy)
        if self.flight_dialog is not None and self.flight_dialog.isVisible():
            self.flight_dialog.set_target(image_xy)
            self.target_xy = image_xy
        if self._picking:
            self._stop_picking()
            self.fly(image_xy)

    def _stop_picking(self) -> None:
        self._picking = False
        self.area.unsetCursor()
        if self.status.bar.currentMessage() == PICK_PROMPT:  # answered or cancelled: the prompt goes
            self.status.bar.clearMessage()

    def flight_settings(self) -> FlightDialog:
        """Demo → Zoom Flight…: target, zoom, length, frame rate; Fly and Record…."""
        if self.flight_dialog is None:
            size = self.controller.doc.size if self.controller.doc is not None else (1, 1)
            self.flight_dialog = FlightDialog(self.flight.settings, self.default_target(), size, self.window)
            self.flight_dialog.fly_requested.connect(lambda: self.fly())
            self.flight_dialog.record_requested.connect(self.record_flight)
            self.flight_dialog.finished.connect(lambda _: self._forget_flight_dialog())
        self.flight_dialog.show()
        self.flight_dialog.raise_()
        return self.flight_dialog

    def _forget_flight_dialog(self) -> None:
        if self.flight_dialog is not None:
            write_flight_settings(self.settings, self.flight_dialog.settings())
            self.flight_dialog.deleteLater()
            self.flight_dialog = None

    def record_flight(self) -> RecordDialog | None:
        """Record… the flight (final LIIF renders, Pixels | Bilinear | LIIF) to GIF, APNG or MP4."""
        doc = self.controller.doc
        model, device = self._model()
        if doc is None or model is None:
            self._say("open an image first" if doc is None else "recording needs LIIF, and the model is not ready")
            return None
        if self.flight_dialog is not None:
            self.flight.settings = self.flight_dialog.settings()
            self.target_xy = self.flight_dialog.target()
        flight, target = self.flight.settings, self.default_target()
        document, precision = doc.document, self.controller.precision

        def frames(cancel: CancelToken):  # noqa: ANN202
            viewports = flight_viewports(document.size, flight.record_pane, target, flight.zoom, flight.frames)
            return run_flight(document.rgb, model, device, viewports, precision, cancel, document.id), flight.frames

        self.record_dialog = RecordDialog("Record zoom flight", f"{self._image_name()}-flight", frames, flight.fps,
                                          self.settings, self.window)
        self.record_dialog.show()
        return self.record_dialog

    # --- presentation -------------------------------------------------------------------------------
    def toggle_presentation(self) -> None:
        """F5: full screen, no menus or status bar, large pane titles; Space flies; Esc leaves."""
        if self.presenting:
            self.leave()
            return
        self.presenting = True
        self._was_full_screen = self.window.isFullScreen()
        self.window.menuBar().hide()
        self.window.statusBar().hide()
        self.area.set_label_scale(PRESENTATION_LABEL_SCALE)
        self.window.showFullScreen()

    def leave(self) -> None:
        """Esc: stop picking a target, leave presentation mode, leave full screen."""
        if self._picking:
            self._stop_picking()
            return
        if self.presenting:
            self.presenting = False
            self.flight.stop()
            self.window.menuBar().show()
            self.window.statusBar().show()
            self.area.set_label_scale(1.0)
            if self._was_full_screen:
                return
        self._leave_full_screen()

    # --- closing ------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the flight and every background job (the window is closing)."""
        self.flight.stop()
        for widget in (self.export_dialog, self.sweep_window, self.record_dialog, self.flight_dialog):
            if widget is not None:
                widget.close()
        if self.sweep_window is not None and self.sweep_window.record_dialog is not None:
            self.sweep_window.record_dialog.close()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: D102, N802
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False
