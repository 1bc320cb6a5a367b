"""Render workers: ordered commands, latest-request-wins, cancellation, results as queued signals."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QThread, Signal

from liif_viewer.app.messages import LiifRequest, LoadModel, SetImage
from liif_viewer.app.worker import LiifWorker, _JobThread
from liif_viewer.render.image_io import load_image
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
            self.release.wait(5)
        self.finished_job.emit(request.request_id, cancel.cancelled)


def test_new_request_cancels_the_running_one_and_drops_the_pending_ones(qtbot):
    worker = BlockingWorker()
    results: list[tuple[int, bool]] = []
    worker.finished_job.connect(lambda rid, cancelled: results.append((rid, cancelled)))
    worker.start()
    try:
        worker.request(FakeRequest(1))
        assert worker.entered.wait(5)
        for rid in range(2, 21):  # a burst while request 1 runs: only the newest survives
            worker.request(FakeRequest(rid))
        worker.release.set()
        qtbot.waitUntil(lambda: len(results) == 2, timeout=5000)
        assert results == [(1, True), (20, False)]
        assert worker.dropped == list(range(2, 20))
        assert all(t is worker for t in worker.threads)  # jobs ran on the worker thread
    finally:
        worker.stop()
    assert worker.isFinished()


def test_commands_run_in_order_before_requests(qtbot):
    worker = BlockingWorker()
    results: list[int] = []
    worker.finished_job.connect(lambda rid, _c: results.append(rid))
    worker.post("a")
    worker.request(FakeRequest(5))
    worker.post("b")
    worker.start()
    try:
        qtbot.waitUntil(lambda: len(results) == 3, timeout=5000)
        assert results == [-1, -1, 5]
    finally:
        worker.stop()


def test_liif_burst_of_20_requests_gives_one_final_render_the_last(qtbot, model, face_png):
    rgb = load_image(face_png).rgb
    worker = LiifWorker()
    updates = []
    worker.updated.connect(updates.append)
    worker.post(LoadModel(device="cpu", model=model))
    worker.post(SetImage(1, rgb))
    worker.start()
    try:
        requests = [LiifRequest(i, 1, Viewport(48, 36, 1.5 + 0.1 * i, 120, 90), "fast") for i in range(1, 21)]
        for request in requests:
            worker.request(request)
        qtbot.waitUntil(lambda: any(u.final for u in updates), timeout=30_000)
        qtbot.wait(200)  # nothing else may follow
    finally:
        worker.stop()
    assert worker.final_ids == [20]
    finals = [u for u in updates if u.final]
    assert [u.request.request_id for u in finals] == [20]
    assert finals[0].image.u8.shape == (90, 120, 3) and finals[0].image.u8.dtype == np.uint8
    assert len(worker.started_ids) <= 2  # the first may start before the burst; the rest never start
    assert set(worker.dropped) | set(worker.started_ids) >= set(range(2, 20))
