"""Render workers: each a QThread that runs ordered commands, then the newest render request.

A request replaces any older one still pending (which is dropped unstarted) and cancels the
one running, whose engine generator stops at its next cancellation point (between MLP
batches). Results leave by signal, so Qt queues them to the GUI thread; each carries its
request id and the GUI drops stale ones. Two workers exist: ``LiifWorker`` owns the
(not thread-safe) ``RenderEngine``; ``ClassicWorker`` reads image files and renders the
Pixels/Bilinear panes, so those panes stay live while LIIF encodes.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal

from ..cancel import CancelToken
from ..files.image_io import ImageDocument, ImageLoadError, load_image
from ..render.alpha import alpha_for_view, over_checkerboard
from ..render.memory import Trimmer
from ..render.resample import inside_span, render_classic, standin_method, to_display_uint8
from ..render.viewport import Viewport
from .messages import (
    BACKGROUND,
    CLASSIC_METHODS,
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

if TYPE_CHECKING:  # torch loads in the LIIF worker's thread, so the window shows before it is there
    from ..render.engine import RenderEngine

__all__ = ["LiifWorker", "ClassicWorker", "one_line", "opened_image", "STOP_WAIT_MS"]

logger = logging.getLogger(__name__)

#: How long ``stop`` waits for a worker to end. Renders stop at their next cancellation point (well
#: under a second), but a job that cannot be cancelled (importing torch, loading the model) runs to its
#: end; on a busy 2-core machine that took over 10 s. A QThread destroyed while it still runs aborts the
#: process, so this is generous: it bounds a hang, it is not a speed promise.
STOP_WAIT_MS = 120_000


def opened_image(document: ImageDocument) -> OpenedImage:
    """``document`` as the viewer holds it: with its 8-bit display copy, and its alpha only when some
    pixel is transparent (the same array, not a copy)."""
    alpha = document.alpha
    if alpha is not None and bool((alpha == 255).all()):
        alpha = None
    return OpenedImage(document, to_display_uint8(document.rgb), alpha)


def one_line(exc: BaseException) -> str:
    """An exception as one line for the status bar."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def inside_pixels(vp: Viewport, image_size: tuple[int, int]) -> int:
    """Screen pixels of ``vp`` whose centres fall inside the image."""
    ox, oy = vp.origin_lattice
    c0, c1 = inside_span(ox, vp.width, vp.scale, image_size[0])
    r0, r1 = inside_span(oy, vp.height, vp.scale, image_size[1])
    return max(0, c1 - c0) * max(0, r1 - r0)


class _JobThread(QThread):
    """Ordered commands first, then the newest request; a new job cancels the running request."""

    failed = Signal(str)  # one-line message of an unexpected error

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cond = threading.Condition()
        self._commands: deque[object] = deque()
        self._pending: tuple[object, CancelToken] | None = None
        self._running: CancelToken | None = None
        self._stopping = False
        self.dropped: list[int] = []  # ids of requests replaced before they started
        #: low-priority work for idle time (``set_idle_work``): run step by step while nothing waits
        self._idle: tuple[Generator[object, None, None], CancelToken] | None = None

    def post(self, command: object) -> None:
        """Queue a command; it runs after the current job, before any request."""
        with self._cond:
            self._commands.append(command)
            self._cancel_running()
            self._cond.notify()

    def _cancel_running(self) -> None:
        """Cancel the running job and any idle work (lock held)."""
        if self._running is not None:
            self._running.cancel()
        if self._idle is not None:
            self._idle[1].cancel()

    def request(self, request: object) -> None:
        """Make ``request`` the next one to run, replacing and cancelling older ones."""
        with self._cond:
            if self._pending is not None:
                self.dropped.append(self._pending[0].request_id)
            self._pending = (request, CancelToken())
            self._cancel_running()
            self._cond.notify()

    def stop(self, timeout_ms: int = STOP_WAIT_MS) -> bool:
        """Cancel everything and end the thread (waits up to ``timeout_ms``); whether it ended."""
        with self._cond:
            self._stopping = True
            self._commands.clear()
            self._pending = None
            self._cancel_running()
            self._cond.notify()
        ended = self.wait(timeout_ms)
        if not ended:
            logger.warning("%s did not end within %d ms", type(self).__name__, timeout_ms)
        return ended

    def set_idle_work(self, steps: Generator[object, None, None], cancel: CancelToken) -> None:
        """Run ``steps`` one by one while no command or request waits (worker thread only).

        Any new command or request cancels ``cancel`` (stopping the step that runs) and drops the work.
        """
        self._idle = (steps, cancel)

    @property
    def idle_work_pending(self) -> bool:
        """Whether idle work (prefetch) is still to run or running; a render's tiles may hold its working state."""
        return self._idle is not None

    def _idle_step(self, steps: Iterator[object]) -> None:
        try:
            next(steps)
        except StopIteration:
            self._idle = None
            if self.engine is not None:
                self.engine.release_working()
        except Exception:  # idle work is optional: drop it, never the thread
            logger.debug("idle work failed", exc_info=True)
            self._idle = None
        finally:
            with self._cond:
                self._running = None

    def run(self) -> None:  # noqa: D102 (QThread override)
        while True:
            with self._cond:
                while not (self._stopping or self._commands or self._pending or self._idle):
                    self._cond.wait()
                if self._stopping:
                    return
                idle_steps = None
                if self._commands or self._pending:
                    if self._idle is not None:  # superseded (post/request cancelled its token)
                        self._idle[0].close()  # a prefetch stopped between steps drops its working state
                    self._idle = None
                    token = CancelToken()
                    if self._commands:
                        job, is_command = self._commands.popleft(), True
                    else:
                        (job, token), self._pending, is_command = self._pending, None, False
                    self._running = token
                else:
                    idle_steps, self._running = self._idle
            if idle_steps is not None:
                self._idle_step(idle_steps)
                continue
            try:
                if is_command:
                    self.run_command(job)
                else:
                    self.run_request(job, token)
                    if not token.cancelled:
                        self.after_request(job)
            except Exception as exc:  # a bug must not kill the thread; tell the user in one line
                logger.debug("worker job %r failed", job, exc_info=True)
                self.failed.emit(one_line(exc))
            finally:
                with self._cond:
                    self._running = None

    def run_command(self, command: object) -> None:
        """Run one command (worker thread)."""
        raise NotImplementedError

    def run_request(self, request: object, cancel: CancelToken) -> None:
        """Run one request, stopping early once ``cancel`` is set (worker thread)."""
        raise NotImplementedError

    def after_request(self, request: object) -> None:
        """Called after ``request`` ran to its end uncancelled, e.g. to ``set_idle_work`` (worker thread)."""


class ClassicWorker(_JobThread):
    """Reads images (``OpenImage``) and renders the Pixels and Bilinear panes (``ClassicRequest``)."""

    opened = Signal(object)  # OpenedImage
    open_failed = Signal(str, str)  # path, one-line message
    rendered = Signal(object)  # PaneImage

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._image: OpenedImage | None = None

    def run_command(self, command: object) -> None:
        """Read the document of an ``OpenImage`` (or take a ``UseImage``'s); it becomes the one classic
        renders use, and goes to the GUI thread by ``opened``."""
        if isinstance(command, UseImage):
            document = command.document
        else:
            assert isinstance(command, OpenImage)
            try:
                document = load_image(command.path)
            except ImageLoadError as exc:
                self.open_failed.emit(command.path, str(exc))
                return
            except (OSError, ValueError, MemoryError) as exc:
                self.open_failed.emit(command.path, f"cannot read {command.path}: {one_line(exc)}")
                return
        self._image = opened_image(document)
        self.opened.emit(self._image)

    def run_request(self, request: object, cancel: CancelToken) -> None:
        """Render each requested classic source of the current image."""
        assert isinstance(request, ClassicRequest)
        vp = request.viewport
        done: dict[str, np.ndarray] = {}  # method → display pixels of this view
        for source in request.sources:
            if cancel.cancelled or self._image is None or request.image_id != self._image.image_id:
                return
            method = CLASSIC_METHODS[source]
            done[method] = to_display_uint8(self._render(vp, method))
            self.rendered.emit(PaneImage(source, request.request_id, vp, done[method]))
        if request.liif_standin and not cancel.cancelled and self._image is not None \
                and request.image_id == self._image.image_id:
            method = standin_method(vp)  # the Bilinear pane's pixels when it has them (no second render)
            u8 = done[method] if method in done else to_display_uint8(self._render(vp, method))
            self.rendered.emit(PaneImage("liif", request.request_id, vp, u8, final=False))

    def _render(self, vp: Viewport, method: str) -> np.ndarray:
        image = self._image
        rgb = render_classic(image.u8, vp, method, BACKGROUND)
        return rgb if image.alpha is None else over_checkerboard(rgb, alpha_for_view(image.alpha, vp, method))


#: Seconds between partial LIIF updates on screen. Each costs a frame copy, a conversion and a repaint
#: that compete with the render on a 2-core CPU; after the coarse preview, fewer suffice.
PARTIAL_EVERY_S = 0.5


class LiifWorker(_JobThread):
    """Owns the model and the RenderEngine; runs ``LoadModel``, ``SetImage`` and ``LiifRequest`` jobs.

    Keep torch work in this thread (the model is loaded here too): once a second thread has run
    torch's OpenMP-parallel ops, a 2-core machine ran this thread's small ops 2-4x slower
    (measured: a x30 full-window refine 1.5 s instead of 1.0 s with the model loaded in the GUI thread).
    torch itself is imported here too, while the window is already up.
    """

    model_loaded = Signal(object, object)  # the model and its torch device, once (before model_ready)
    model_ready = Signal(str)  # device description
    model_failed = Signal(str)  # one-line message; LIIF is unavailable
    message = Signal(str)  # progress of fetching weights etc.
    phase = Signal(str)  # what the model's start is doing: starting PyTorch…, loading the model…, …
    updated = Signal(object)  # LiifUpdate

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine: RenderEngine | None = None
        self._image: OpenedImage | None = None
        self.started_ids: list[int] = []  # requests whose render began
        self.final_ids: list[int] = []  # requests whose full-resolution render completed
        #: while idle after a final render, prepare what the views around it need (render/prefetch.py)
        self.prefetch = True
        self.trimmer = Trimmer()  # returns the heap that finished renders freed

    def run_command(self, command: object) -> None:
        """Load the model, or hand the engine a new image."""
        if isinstance(command, LoadModel):
            self._load_model(command)
        elif isinstance(command, SetImage):
            self._image = command.image
            self._give_engine_image()
            self.trimmer.maybe_trim()  # the previous image's caches are gone

    def _load_model(self, command: LoadModel) -> None:
        self.phase.emit("starting PyTorch…")  # its first import after set-up reads ~0.5 GB of libraries
        from ..model import CheckpointError, WeightsError, describe_device, load_model, pick_device
        from ..render.engine import RenderEngine

        try:
            device = pick_device(command.device)
            model = command.model
            self.phase.emit("loading the model…")
            if model is None:
                model = load_model(command.path, device=device, say=self.message.emit)
            else:
                model = model.to(device)
        except (CheckpointError, WeightsError, ValueError, OSError, RuntimeError) as exc:
            self.model_failed.emit(str(exc).strip().splitlines()[0] if str(exc).strip() else one_line(exc))
            return
        # No warm-up render here: measured, a tiny render before the first view cost ~2.8 s on a busy
        # 2-core machine and took nothing off the first view (torch's first-use costs are small).
        self.engine = RenderEngine(model, device, background=BACKGROUND)
        self._give_engine_image()
        self.model_loaded.emit(model, device)  # for the jobs that share the model (export, demos)
        self.model_ready.emit(describe_device(device))

    def _give_engine_image(self) -> None:
        """The engine renders the current document, under its id, with the display copy shared."""
        image = self._image
        if self.engine is not None and image is not None:
            self.engine.set_image(image.rgb, image.image_id, image.u8)

    def after_request(self, request: object) -> None:
        """After a final LIIF render: prefetch around its view while no new request comes."""
        if not (self.prefetch and self.engine is not None and self.final_ids
                and self.final_ids[-1] == request.request_id):
            return
        from ..render.prefetch import prefetch_steps

        token = CancelToken()
        self.set_idle_work(prefetch_steps(self.engine, request.viewport, request.precision, token), token)

    def run_request(self, request: object, cancel: CancelToken) -> None:
        """Render the LIIF pane progressively, emitting each step until final or cancelled."""
        assert isinstance(request, LiifRequest)
        image = self._image
        if self.engine is None or image is None or request.image_id != image.image_id or self.engine.rgb is None:
            return
        self.started_ids.append(request.request_id)
        vp = request.viewport
        inside = max(1, inside_pixels(vp, image.size))
        steps = self.engine.render_liif(vp, request.precision, cancel=cancel, request_id=request.request_id,
                                        partial_every_s=PARTIAL_EVERY_S)
        alpha = None if image.alpha is None else alpha_for_view(image.alpha, vp, standin_method(vp))
        try:
            for step in steps:
                if cancel.cancelled:
                    return
                image = None
                if step.image is not None:
                    rgb = step.image if alpha is None else over_checkerboard(step.image, alpha)
                    image = PaneImage("liif", request.request_id, vp, to_display_uint8(rgb), step.final)
                if step.final:
                    self.final_ids.append(request.request_id)
                self.updated.emit(LiifUpdate(request, step.kind, image, step.progress, step.evaluated_fraction,
                                             round(step.evaluated_fraction * inside), step.seconds, step.message))
        finally:
            steps.close()  # a cancelled render drops its working state now
            self.engine.release_working()  # and no tile keeps any (also those made again after an eviction)
            self.trimmer.maybe_trim()
