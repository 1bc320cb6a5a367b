"""The main window: linked panes, menus and shortcuts, opening files, the status bar and settings."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QCloseEvent, QCursor, QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox, QWidget

from ..locations import sample_image
from .actions import ShortcutsDialog, build_menus
from .clipboard import clipboard_rgb
from .controller import RenderController
from .inspect_tools import InspectTools
from .messages import LiifUpdate, LoadModel, OpenedImage
from .pane_area import EMPTY_HINT, LAYOUTS, SWIPE_PARTNERS, PaneArea
from .settings import RecentFiles, read_float, read_str
from .status import StatusPanel
from .store import RenderStore
from .tools import WindowTools
from .view_state import ViewState

__all__ = ["ViewerWindow", "SAMPLE_IMAGE", "KEY_ZOOM_STEP"]

SAMPLE_IMAGE = sample_image()
KEY_ZOOM_STEP = 1.25
_PAN_FRACTION = 0.125  # of the pane per arrow key
_IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.webp *.bmp *.gif);;All files (*)"


class ViewerWindow(QMainWindow):
    """liif-viewer's window. ``settings`` is where it remembers things (tests pass a temporary one).

    ``model`` (an already loaded LIIF) skips loading; otherwise the worker loads ``model_path`` or
    the official weights on ``device``.
    """

    def __init__(self, settings: QSettings, model: object | None = None, model_path: str | None = None,
                 device: str = "auto", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.recent = RecentFiles(settings)
        self.state = ViewState(self)
        self.store = RenderStore(self)
        self.area = PaneArea(self.state, self.store, self)
        self.setCentralWidget(self.area)
        self.status = StatusPanel(self.statusBar())
        self.controller = RenderController(self.state, self.store, self.area, self)
        self.settled = self.controller.settled
        self.image_opened = self.controller.opened
        self.open_failed = self.controller.open_failed
        self._initial_view: tuple[float | None, tuple[float, float] | None] | None = None
        self._hover: tuple[float, float] | None = None
        self._shortcuts: ShortcutsDialog | None = None
        self._closed = False
        self.tools = WindowTools(self, self.state, self.controller, self.area, self.status, self.settings,
                                 self.leave_full_screen)  # Export and Demo commands
        self.inspect = InspectTools(self, self.state, self.store, self.area, self.controller,
                                    self.status)  # line profile, histogram, navigator
        self.commands, self.recent_menu = build_menus(self)
        self.inspect.checked.connect(lambda name, on: self.commands[name].setChecked(on))
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.setWindowTitle("liif-viewer")
        self.setAcceptDrops(True)
        self._connect()
        self._restore_settings()
        self.controller.start(LoadModel(model_path, device, model))

    def _connect(self) -> None:
        c = self.controller
        c.opened.connect(self._on_opened)
        c.open_failed.connect(self._on_open_failed)
        c.liif_step.connect(self._on_liif_step)
        c.model_phase.connect(self.status.set_device)  # starting PyTorch…, loading the model…, …
        c.model_ready.connect(self.status.set_device)
        c.model_failed.connect(self._on_model_failed)
        c.message.connect(self.status.message)
        self.state.changed.connect(lambda: self.status.set_zoom(self.state.scale))
        self.store.changed.connect(lambda _source: self._refresh_readout())
        self.area.hovered.connect(self._on_hover)
        self.area.swipe.divider_moved.connect(lambda x: self.settings.setValue("swipe_divider", x))
        self.status.precision_changed.connect(self.set_precision)

    # --- opening ------------------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> None:
        """Open an image file in the background (the current image stays until it has loaded)."""
        self.status.message(f"opening {Path(path).name}…", 0)
        if self.controller.doc is None:
            self.area.set_hint(f"opening {Path(path).name}…")
        self.controller.open_path(str(path))

    def set_initial_view(self, zoom: float | None, center: tuple[float, float] | None) -> None:
        """Zoom (device px per image px) and centre (image px) to apply when the next image opens."""
        self._initial_view = (zoom, center)

    def choose_file(self) -> None:
        """File → Open."""
        start = read_str(self.settings, "last_dir", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open image", start, _IMAGE_FILTER)
        if path:
            self.settings.setValue("last_dir", str(Path(path).parent))
            self.open_path(path)

    def open_sample(self) -> None:
        """Open the bundled sample photo."""
        self.open_path(SAMPLE_IMAGE)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent.paths():
            self.recent_menu.addAction(Path(path).name, partial(self.open_path, path)).setToolTip(path)
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _on_opened(self, image: OpenedImage) -> None:
        self.status.bar.clearMessage()
        self.area.set_hint("")
        self.status.set_image(image.path, image.size)
        self.setWindowTitle(f"{Path(image.path).name} — liif-viewer")
        if Path(image.path).is_file() and Path(image.path).resolve() != SAMPLE_IMAGE:
            self.recent.add(image.path)
        self.state.set_image_size(*image.size)
        if self._initial_view is not None:
            (zoom, center), self._initial_view = self._initial_view, None
            if zoom is not None:
                self.state.zoom_to(zoom)
            if center is not None:
                self.state.center_on(*center)
        if image.notes:
            self.status.message("; ".join(image.notes))

    def _on_open_failed(self, path: str, message: str) -> None:
        self.status.message(message, 10_000)
        self.recent.remove(path)
        if self.controller.doc is None:
            self.area.set_hint(EMPTY_HINT)
        box = QMessageBox(QMessageBox.Icon.Warning, "Cannot open image", message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, does not block the event loop

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: D102, N802
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: D102, N802
        files = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            self.open_path(files[0])
            event.acceptProposedAction()

    def paste_image(self) -> None:
        """Show the clipboard's image."""
        rgb = clipboard_rgb()
        if rgb is None:
            self.status.message("the clipboard holds no image", 4000)
        else:
            self.controller.use_pixels("clipboard image", rgb)

    def copy_view(self) -> None:
        """Copy the LIIF pane's current render to the clipboard."""
        layers = self.store.layers("liif")
        if layers:
            QGuiApplication.clipboard().setImage(layers[-1].qimage.copy())
            self.status.message("LIIF view copied", 2000)

    # --- view commands ------------------------------------------------------------------------------
    def fit(self) -> None:
        """Show the whole image."""
        self.state.fit()

    def one_to_one(self) -> None:
        """One image pixel per device pixel, about the pane centre."""
        self.state.zoom_to(1.0)

    def zoom_in(self) -> None:
        """Zoom in one step, about the cursor when it is over a pane."""
        self._key_zoom(KEY_ZOOM_STEP)

    def zoom_out(self) -> None:
        """Zoom out one step, about the cursor when it is over a pane."""
        self._key_zoom(1 / KEY_ZOOM_STEP)

    def _key_zoom(self, factor: float) -> None:
        for pane in self.area.visible_panes():
            local = pane.mapFromGlobal(QCursor.pos())
            if pane.rect().contains(local):
                self.state.zoom_at(pane.to_device(local.toPointF()), factor)
                return
        self.state.zoom_to(self.state.scale * factor)

    def _pan_step(self, fx: float, fy: float) -> None:
        width, height = self.state.pane_size
        self.state.pan_by(fx * width * _PAN_FRACTION, fy * height * _PAN_FRACTION)

    def pan_left(self) -> None:
        """Show more of the left."""
        self._pan_step(1, 0)

    def pan_right(self) -> None:
        """Show more of the right."""
        self._pan_step(-1, 0)

    def pan_up(self) -> None:
        """Show more of the top."""
        self._pan_step(0, 1)

    def pan_down(self) -> None:
        """Show more of the bottom."""
        self._pan_step(0, -1)

    def set_layout(self, mode: str) -> None:
        """``three``, ``liif``, ``swipe`` or ``diff``."""
        self.area.set_mode(mode)
        self.commands[f"layout_{mode}"].setChecked(True)
        self.settings.setValue("layout", mode)
        self.controller.view_changed()

    def layout_three(self) -> None:
        """Pixels | Bilinear | LIIF."""
        self.set_layout("three")

    def layout_liif(self) -> None:
        """The LIIF pane alone."""
        self.set_layout("liif")

    def layout_swipe(self) -> None:
        """LIIF against Bilinear (or Pixels) with a draggable divider."""
        self.set_layout("swipe")

    def layout_diff(self) -> None:
        """|LIIF − Bilinear| (or − Pixels) as a heat map."""
        self.set_layout("diff")

    def set_swipe_partner(self, source: str) -> None:
        """Swipe (and difference) LIIF against ``bilinear`` or ``pixels``."""
        self.area.set_swipe_partner(source)
        self.commands["swipe_partner"].setChecked(source == "pixels")
        self.settings.setValue("swipe_partner", source)
        self.controller.view_changed()

    def toggle_swipe_partner(self) -> None:
        """Swipe against Pixels ↔ Bilinear."""
        self.set_swipe_partner("bilinear" if self.area.swipe_partner == "pixels" else "pixels")

    def set_precision(self, precision: str) -> None:
        """LIIF ``fast`` (default) or ``exact``."""
        self.commands["exact"].setChecked(precision == "exact")
        self.status.set_precision(precision)
        self.settings.setValue("precision", precision)
        self.controller.set_precision(precision)

    def toggle_exact(self) -> None:
        """Fast ↔ exact LIIF."""
        self.set_precision("fast" if self.controller.precision == "exact" else "exact")

    def toggle_full_screen(self) -> None:
        """F11."""
        if self.isFullScreen():
            self.leave_full_screen()
        else:
            self.showFullScreen()
            self.commands["full_screen"].setChecked(True)

    def leave_full_screen(self) -> None:
        """Esc."""
        if self.isFullScreen():
            self.showNormal()
        self.commands["full_screen"].setChecked(False)

    def show_shortcuts(self) -> None:
        """The `?` cheat sheet: opens it, or closes it when it is open."""
        if self._shortcuts is None:
            self._shortcuts = ShortcutsDialog(self)
        if self._shortcuts.isVisible():
            self._shortcuts.close()
            return
        self._shortcuts.show()
        self._shortcuts.raise_()

    # --- status -------------------------------------------------------------------------------------
    def _on_liif_step(self, update: LiifUpdate) -> None:
        if update.final:
            self.status.set_progress(None)
            if update.message:  # not LIIF's own image (an image too small for LIIF): no timing to show
                self.status.render.setText("")
            else:
                self.status.set_render(update.seconds, update.evaluated_px, update.evaluated_fraction)
        else:
            self.status.set_progress(update.progress, update.message or update.kind)

    def _on_model_failed(self, message: str) -> None:
        self.status.set_device("LIIF unavailable")
        self.status.message(message, 30_000)

    def _on_hover(self, _pane: QWidget, screen_xy: tuple[float, float] | None) -> None:
        self._hover = screen_xy
        self._refresh_readout()

    def _refresh_readout(self) -> None:
        if self.controller.doc is None or self._hover is None:
            self.status.set_cursor(None, {})
        else:
            image_xy, values = self.controller.readout(self._hover)
            if self.area.mode == "diff":
                values = {s: values[s] for s in self.area.diff.sources}
                values[self.area.diff.title] = self.area.diff.value_at(self._hover)
            self.status.set_cursor(image_xy, values)

    # --- settings -----------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry", QByteArray())
        if not isinstance(geometry, QByteArray) or geometry.isEmpty() or not self.restoreGeometry(geometry):
            self.resize(1500, 640)
        self.set_layout(read_str(self.settings, "layout", "three", LAYOUTS))
        self.set_swipe_partner(read_str(self.settings, "swipe_partner", "bilinear", SWIPE_PARTNERS))
        self.set_precision(read_str(self.settings, "precision", "fast", ("fast", "exact")))
        self.area.swipe.divider = read_float(self.settings, "swipe_divider", 0.5, 0.0, 1.0)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: D102, N802
        if not self._closed:
            self._closed = True
            self.settings.setValue("geometry", self.saveGeometry())
            self.settings.sync()
            self.controller.shutdown()
        super().closeEvent(event)
