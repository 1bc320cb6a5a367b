"""Render workers: ordered commands, latest-request-wins, cancellation, results as queued signals."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QCoreApplication, QThread, Signal

from liif_viewer.app.messages import LiifRequest, LoadModel, SetImage
from liif_viewer.app.worker import LiifWorker, _JobThread, opened_image
from liif_viewer.files.image_io import ImageDocument, load_image
from liif_viewer.render.viewport import Viewport


@dataclass(frozen=True)
class FakeRequest:
    request_id: int


class BlockingWorker(_JobThread):
    """A fake job: request 1 blocks until released, then reports whether it saw its cancellation."""

    finished_job = Signal(int, bool)  # request id, cancelled

    def __init__(self):
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self.threads: list[QThread] = []

    def run_command(self, command):
        self.finished_job.emit(-1, False)

    def run_request(self, request, cancel):
        self.threads.append(QThread.currentThread())
        if request.request_id == 1:
            self.entered.set()
            self.release.wait(60)
        self.finished_job.emit(request.request_id, cancel.cancelled)


def test_new_request_cancels_the_running_one_and_drops_the_pending_ones(qtbot):
    worker = BlockingWorker()
    results: list[tuple[int, bool]] = []
    worker.finished_job.connect(lambda rid, cancelled: results.append((rid, cancelled)))
    worker.start()
    try:
        worker.request(FakeRequest(1))
        assert worker.entered.wait(30)
        for rid in range(2, 21):  # a burst while request 1 runs: only the newest survives
            worker.request(FakeRequest(rid))
        worker.release.set()
        qtbot.waitUntil(lambda: len(results) == 2, timeout=30_000)
        assert results == [(1, True), (20, False)]
        assert worker.dropped == list(range(2, 20))
        assert all(t is worker for t in worker.threads)  # jobs ran on the worker thread
    finally:
        worker.stop()
    assert worker.isFinished()


class UntilCancelledWorker(BlockingWorker):
    """Request 1 runs until it is cancelled (a render between two of its cancellation points)."""

    def run_request(self, request, cancel):
        self.entered.set()
        for _ in range(60_000):  # 60 s at most: a broken cancel fails the test rather than hanging it
            if cancel.cancelled:
                break
            QThread.msleep(1)
        self.finished_job.emit(request.request_id, cancel.cancelled)


def test_stop_cancels_the_running_request_and_ends_the_thread(qtbot):
    worker = UntilCancelledWorker()
    results: list[tuple[int, bool]] = []
    worker.finished_job.connect(lambda rid, cancelled: results.append((rid, cancelled)))
    worker.start()
    worker.request(FakeRequest(1))
    assert worker.entered.wait(30)
    assert worker.stop()  # cancels request 1 and joins the thread
    assert worker.isFinished()
    QCoreApplication.sendPostedEvents()
    assert results == [(1, True)]


def test_commands_run_in_order_before_requests(qtbot):
    worker = BlockingWorker()
    results: list[int] = []
    worker.finished_job.connect(lambda rid, _c: results.append(rid))
    worker.post("a")
    worker.request(FakeRequest(5))
    worker.post("b")
    worker.start()
    try:
        qtbot.waitUntil(lambda: len(results) == 3, timeout=30_000)
        assert results == [-1, -1, 5]
    finally:
        worker.stop()


def test_liif_burst_of_20_requests_gives_one_final_render_the_last(qtbot, model, face_png):
    rgb = load_image(face_png).rgb
    worker = LiifWorker()
    updates = []
    worker.updated.connect(updates.append)
    worker.post(LoadModel(device="cpu", model=model))
    image = opened_image(ImageDocument(rgb))
    worker.post(SetImage(image))
    worker.start()
    try:
        requests = [LiifRequest(i, image.image_id, Viewport(48, 36, 1.5 + 0.1 * i, 120, 90), "fast")
                    for i in range(1, 21)]
        for request in requests:
            worker.request(request)
        qtbot.waitUntil(lambda: 20 in worker.final_ids, timeout=60_000)  # any other final comes before it
    finally:
        assert worker.stop()  # joined: every update it emitted is queued to this thread by now
    QCoreApplication.sendPostedEvents()  # deliver them all
    assert worker.final_ids == [20]
    finals = [u for u in updates if u.final]
    assert [u.request.request_id for u in finals] == [20]
    assert finals[0].image.u8.shape == (90, 120, 3) and finals[0].image.u8.dtype == np.uint8
    assert len(worker.started_ids) <= 2  # the first may start before the burst; the rest never start
    assert set(worker.dropped) | set(worker.started_ids) >= set(range(2, 20))


IDLE_STEPS = 100_000  # 2 ms each: far more than the test lets run, however slow the machine


class IdleWorker(BlockingWorker):
    """After each request, idle work: steps that count themselves until cancelled."""

    def __init__(self):
        super().__init__()
        self.idle_steps: list[int] = []
        self.tokens = []

    def after_request(self, request):
        from liif_viewer.cancel import CancelToken

        token = CancelToken()
        self.tokens.append(token)

        def steps(rid=request.request_id):
            for _ in range(IDLE_STEPS):
                if token.cancelled:
                    return
                self.idle_steps.append(rid)
                QThread.msleep(2)
                yield

        self.set_idle_work(steps(), token)


def test_idle_work_runs_between_requests_and_a_new_request_stops_it(qtbot):
    worker = IdleWorker()
    results: list[int] = []
    worker.finished_job.connect(lambda rid, _c: results.append(rid))
    worker.start()
    try:
        worker.request(FakeRequest(7))
        qtbot.waitUntil(lambda: len(worker.idle_steps) >= 5, timeout=30_000)
        worker.request(FakeRequest(8))
        qtbot.waitUntil(lambda: results == [7, 8], timeout=30_000)
        assert worker.tokens[0].cancelled  # the idle work of request 7 was told to stop
        qtbot.waitUntil(lambda: 8 in worker.idle_steps, timeout=30_000)  # request 8's own idle work
        steps_of_7, steps_of_8 = worker.idle_steps.count(7), worker.idle_steps.count(8)
        qtbot.waitUntil(lambda: worker.idle_steps.count(8) >= steps_of_8 + 5, timeout=30_000)  # the thread ran on
        assert worker.idle_steps.count(7) == steps_of_7 < IDLE_STEPS  # and never resumed 7's idle work
    finally:
        worker.stop()
    assert worker.isFinished() and worker.tokens[-1].cancelled


def test_liif_worker_prefetches_around_a_final_view_while_idle(qtbot, model, sample_rgb):
    worker = LiifWorker()
    updates = []
    worker.updated.connect(updates.append)
    worker.post(LoadModel(device="cpu", model=model))
    image = opened_image(ImageDocument(sample_rgb))
    worker.post(SetImage(image))
    worker.start()
    try:
        vp = Viewport(256, 256, 2.0, 96, 80)
        worker.request(LiifRequest(1, image.image_id, vp, "fast"))
        qtbot.waitUntil(lambda: worker.final_ids == [1], timeout=60_000)
        store = worker.engine.features("fast")
        shown = store.cached_bytes
        # the prefetch (set up just after the final image: ``_idle`` may still be None here) added codes
        # around the view and ran to its end
        qtbot.waitUntil(lambda: store.cached_bytes > shown and worker._idle is None, timeout=120_000)
        worker.request(LiifRequest(2, image.image_id, vp.panned_by(-48, 0), "fast"))  # half a pane: prepared already
        qtbot.waitUntil(lambda: worker.final_ids == [1, 2], timeout=60_000)
    finally:
        worker.stop()
    finals = [u for u in updates if u.final]
    assert [u.request.request_id for u in finals] == [1, 2]
    assert [u.kind for u in updates if u.request.request_id == 2] == ["final"]  # straight from cache


def test_the_liif_worker_publishes_its_model_and_device_once_before_it_is_ready(qtbot, model):
    """Jobs that share the model (export, demos) get it by signal, not by reading the worker's engine."""
    worker = LiifWorker()
    events = []
    worker.model_loaded.connect(lambda m, device: events.append(("loaded", m, str(device))))
    worker.model_ready.connect(lambda text: events.append(("ready", text)))
    worker.post(LoadModel(device="cpu", model=model))
    worker.start()
    try:
        qtbot.waitUntil(lambda: len(events) == 2, timeout=120_000)
    finally:
        worker.stop()
    assert events[0] == ("loaded", model, "cpu") and events[1][0] == "ready"
