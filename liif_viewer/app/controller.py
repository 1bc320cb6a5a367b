"""Between the view and the workers: view changes become requests, results become pane images."""

from __future__ import annotations

import gc
import itertools
import logging

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ..files.image_io import ImageDocument
from .messages import (
    CLASSIC_METHODS,
    SOURCES,
    ClassicRequest,
    LiifRequest,
    LiifUpdate,
    LoadModel,
    OpenedImage,
    OpenImage,
    PaneImage,
    SetImage,
    UseImage,
)
from .pane_area import PaneArea
from .store import RenderStore
from .view_state import ViewState
from .worker import ClassicWorker, LiifWorker

__all__ = ["RenderController", "LIIF_DEBOUNCE_MS"]

logger = logging.getLogger(__name__)

LIIF_DEBOUNCE_MS = 60  # a burst of wheel/drag events becomes one LIIF request this long after the last


def _over_grey(u8: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """An image with transparency over the checkerboard's mean grey (what panes draw before a render)."""
    a = alpha[:, :, None].astype(np.float32) / 255.0
    return (u8 * a + 181.0 * (1.0 - a) + 0.5).astype(np.uint8)


class RenderController(QObject):
    """Owns the two workers; the newest view wins, stale results are dropped and counted.

    Classic panes (Pixels, Bilinear) are requested on every change (a few ms each, coalesced by
    their worker); LIIF is requested once the view has been still for ``LIIF_DEBOUNCE_MS``.
    ``settled`` fires whenever every visible pane shows its final render of the current view.
    """

    opened = Signal(object)  # OpenedImage
    open_failed = Signal(str, str)  # path, message
    liif_step = Signal(object)  # LiifUpdate of the current request
    model_phase = Signal(str)  # what the model's start is doing (starting PyTorch…, loading the model…, …)
    model_ready = Signal(str)  # device description
    model_failed = Signal(str)  # message
    message = Signal(str)  # worker progress or error, for the status bar
    settled = Signal()

    def __init__(self, state: ViewState, store: RenderStore, area: PaneArea, parent: QObject | None = None,
                 liif_debounce_ms: int = LIIF_DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self.state, self.store, self.area = state, store, area
        self.doc: OpenedImage | None = None
        #: the LIIF worker's model and its device once loaded (given by signal, so read here in the GUI
        #: thread); jobs that share the model (export, demos) take them from here
        self.model: object | None = None
        self.device: object = "cpu"
        self.precision = "fast"
        self.liif_available: bool | None = None  # None while the model loads
        self.model_phase_text = "loading the model…"  # the LIIF pane's note until the model is ready
        self.stale_dropped = 0  # results that arrived for a superseded request
        self._request_ids = itertools.count(1)
        self._classic_id = 0
        self._classic_shown: dict[str, int] = {}  # per source, the request id of the classic render shown
        self.liif_request: LiifRequest | None = None
        self._liif_timer = QTimer(self)
        self._liif_timer.setSingleShot(True)
        self._liif_timer.setInterval(liif_debounce_ms)
        self._liif_timer.timeout.connect(self.request_liif)
        self.classic = ClassicWorker(self)
        self.liif = LiifWorker(self)
        self.classic.opened.connect(self._on_opened)
        self.classic.open_failed.connect(self.open_failed)
        self.classic.rendered.connect(self._on_classic)
        self.liif.updated.connect(self._on_liif)
        self.liif.phase.connect(self._on_model_phase)
        self.liif.model_loaded.connect(self._on_model_loaded)
        self.liif.model_ready.connect(self._on_model_ready)
        self.liif.model_failed.connect(self._on_model_failed)
        self.liif.message.connect(self.message)
        for worker in (self.classic, self.liif):
            worker.failed.connect(lambda text: self.message.emit(f"render error: {text}"))
        state.changed.connect(self.view_changed)

    # --- lifecycle ----------------------------------------------------------------------------------
    def start(self, load: LoadModel) -> None:
        """Start both workers and load the model in the LIIF worker."""
        self.classic.start()
        self.liif.start()
        self.liif.post(load)

    def shutdown(self) -> None:
        """Cancel work and end both threads (idempotent)."""
        self._liif_timer.stop()
        for worker in (self.classic, self.liif):
            worker.stop()

    def open_path(self, path: str) -> None:
        """Read ``path`` into a document in the background; ``opened`` or ``open_failed`` follows."""
        self.classic.post(OpenImage(str(path)))

    def use_pixels(self, name: str, rgb: np.ndarray) -> int:
        """Show in-memory pixels (float32 RGB (H, W, 3) in [0, 1]) as a new document called ``name``; its id."""
        document = ImageDocument(rgb, path=name)
        self.classic.post(UseImage(document))
        return document.id

    def readout(self, screen_xy: tuple[float, float]) -> tuple[tuple[float, float], dict[str, tuple | None]]:
        """Image position under ``screen_xy`` (device px), the RGB each source shows there, and the
        image's alpha there (key ``alpha``) when it has transparency."""
        vp = self.state.viewport
        image_xy = vp.screen_to_image(*screen_xy)
        centre_x, centre_y = vp.screen_to_image(int(screen_xy[0]) + 0.5, int(screen_xy[1]) + 0.5)
        values: dict[str, tuple | None] = {"pixels": None, "bilinear": None, "liif": None}
        width, height = self.doc.size
        if 0 <= centre_x < width and 0 <= centre_y < height:  # the screen pixel's centre is on the image
            values["pixels"] = tuple(int(v) for v in self.doc.u8[int(centre_y), int(centre_x)])
            for source in ("bilinear", "liif"):
                values[source] = self.store.sample(source, vp, screen_xy)
            if self.doc.alpha is not None:  # the image pixel's opacity (the panes show colour over a checkerboard)
                values["alpha"] = (int(self.doc.alpha[int(centre_y), int(centre_x)]),)
        return image_xy, values

    def set_precision(self, precision: str) -> None:
        """LIIF ``fast`` or ``exact``; re-renders the LIIF pane."""
        if precision != self.precision:
            self.precision = precision
            self.request_liif()

    def use_debounce_timer(self, timer: QTimer) -> None:
        """Debounce LIIF requests with ``timer`` instead of the built-in ``LIIF_DEBOUNCE_MS`` one.

        Anything with ``start()``, ``stop()``, ``isActive()`` and a ``timeout`` signal will do; tests pass a
        timer they fire by hand, so "a burst becomes one request" does not depend on how busy the CPU is.
        """
        self._liif_timer.stop()
        self._liif_timer.timeout.disconnect(self.request_liif)
        self._liif_timer = timer
        timer.timeout.connect(self.request_liif)

    # --- requests -----------------------------------------------------------------------------------
    def view_changed(self) -> None:
        """Request the classic panes now and LIIF after the debounce."""
        if self.doc is None:
            return
        self.request_classic()
        if self.liif_available is None:
            self.store.set_liif_note(self.model_phase_text)
        if self.liif_available is not False:
            self._liif_timer.start()

    def request_classic(self) -> None:
        """Render the visible classic panes of the current view, and the LIIF pane's stand-in."""
        visible = self.area.visible_sources()
        sources = tuple(s for s in CLASSIC_METHODS if s in visible)
        # Until LIIF has rendered this very view, a classic stand-in (a few ms) lies under the LIIF
        # renders, so what a drag exposes or a zoom-out uncovers is never empty.
        standin = "liif" in visible and not self.store.is_current("liif", self.state.viewport)
        if self.doc is None or not (sources or standin):
            return
        self._classic_id = next(self._request_ids)
        self.classic.request(ClassicRequest(self._classic_id, self.doc.image_id, self.state.viewport, sources,
                                            standin))

    def request_liif(self) -> None:
        """Render the LIIF pane of the current view (the newest request wins)."""
        self._liif_timer.stop()
        if self.doc is None or self.liif_available is False:
            return
        request = LiifRequest(next(self._request_ids), self.doc.image_id, self.state.viewport, self.precision)
        self.liif_request = request
        self.liif.request(request)

    # --- results ------------------------------------------------------------------------------------
    def _on_opened(self, image: OpenedImage) -> None:
        self.doc = image
        self.store.clear()
        # renders of the previous image (requests up to now) are not shown any more
        self._classic_shown = dict.fromkeys(SOURCES, self._classic_id + 1)
        self.store.set_base(image.u8 if image.alpha is None else _over_grey(image.u8, image.alpha))
        self.liif.post(SetImage(image))
        self.opened.emit(image)  # the window sets the initial view, which requests renders
        self.view_changed()

    def _on_classic(self, image: PaneImage) -> None:
        # A render of an older view is still the best a pane has until the newest arrives (it is
        # drawn moved to the current view): show it unless something newer is shown already.
        if image.request_id < self._classic_shown.get(image.source, 0):
            self.stale_dropped += 1
            return
        self._classic_shown[image.source] = image.request_id
        if image.source == "liif":
            self.store.set_liif_standin(image)
        else:
            self.store.set_image(image)
        self._check_settled()

    def _on_liif(self, update: LiifUpdate) -> None:
        if self.liif_request is None or update.request.request_id != self.liif_request.request_id:
            self.stale_dropped += 1
            return
        if update.image is not None:
            self.store.set_image(update.image)
        if update.final:
            self.store.set_liif_note(update.message)  # '' unless the final image is not LIIF's (tiny images)
        elif update.kind in ("encoding", "standin"):
            self.store.set_liif_note(update.message)  # encoding features (3/9); bilinear stand-in
        else:
            self.store.set_liif_note(f"refining {update.progress:.0%}")
        self.liif_step.emit(update)
        self._check_settled()

    def _on_model_phase(self, text: str) -> None:
        self.model_phase_text = text
        if self.liif_available is None and self.doc is not None:
            self.store.set_liif_note(text)
        self.model_phase.emit(text)

    def _on_model_loaded(self, model: object, device: object) -> None:
        self.model, self.device = model, device

    def _on_model_ready(self, device: str) -> None:
        # torch, Qt and the model are now loaded and live as long as the process. A full garbage
        # collection walks every object while holding the GIL (~0.1 s here), which would freeze the
        # GUI mid-render; frozen objects are skipped, so collections stay short.
        gc.freeze()
        self.liif_available = True
        self.model_ready.emit(device)
        if self.doc is not None and self.liif_request is None:
            self.request_liif()

    def _on_model_failed(self, text: str) -> None:
        self.liif_available = False
        self.store.set_liif_note("LIIF unavailable (see the status bar)")
        self.model_failed.emit(text)
        self._check_settled()

    def is_settled(self) -> bool:
        """Whether every visible pane shows its final render of the current view."""
        if self.doc is None or self._liif_timer.isActive():
            return False
        vp = self.state.viewport
        for source in self.area.visible_sources():
            if source == "liif" and self.liif_available is False:
                continue
            if not self.store.is_current(source, vp):
                return False
        return True

    def _check_settled(self) -> None:
        if self.is_settled():
            self.settled.emit()
