"""Fast exports shared among forked worker processes: one process's pixels, whatever happens to a worker."""

from __future__ import annotations

import multiprocessing
import os
import signal

import numpy as np
import pytest

from liif_viewer.cancel import CancelToken
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.lod import EXPORT
from liif_viewer.tasks.export import ExportJob, ExportRequest
from liif_viewer.tasks.export_workers import MAX_WORKERS, export_workers, shares_work

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="exports fork worker processes only where fork exists")

FAST_X24 = ExportRequest((20.0, 15.0, 24.0, 18.0), (576, 432), "liif", "fast")  # 9 x 7 tiles of 64 px


@pytest.fixture
def crop(sample_rgb) -> np.ndarray:
    return sample_rgb[140:200, 180:250]  # 60 x 70, the eye


def _job(model, crop, request: ExportRequest, workers: int) -> ExportJob:
    engine = RenderEngine(model, screen_tile=64)
    engine.lod = EXPORT
    engine.set_image(crop)
    return ExportJob(engine, request, workers)


@pytest.fixture
def one_process(model, crop) -> np.ndarray:
    job = _job(model, crop, FAST_X24, 1)
    list(job.run())
    return job.rgb8


def _check_progress(steps: list[tuple[int, int]], total: int) -> None:
    done = [d for d, _ in steps]
    assert done == sorted(done) and all(t == total for _, t in steps)
    assert steps[-1] == (total, total) and len(steps) == len(set(steps))


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_give_the_pixels_of_one_process(model, crop, one_process, workers):
    job = _job(model, crop, FAST_X24, workers)
    assert shares_work(job.engine, FAST_X24.viewport, "fast", workers)
    steps = list(job.run())
    np.testing.assert_array_equal(job.rgb8, one_process)
    _check_progress(steps, job.total_steps())
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("failure", ["raises", "is killed"])
def test_a_worker_that_fails_has_its_tiles_rendered_here(model, crop, one_process, monkeypatch, failure):
    parent, render = os.getpid(), RenderEngine.iter_view_tiles

    def failing_in_workers(self, *args, **kwargs):
        for n, tile in enumerate(render(self, *args, **kwargs)):
            if os.getpid() != parent and n == 2:
                if failure == "raises":
                    raise RuntimeError("a worker's failure")
                os.kill(os.getpid(), signal.SIGKILL)
            yield tile

    monkeypatch.setattr(RenderEngine, "iter_view_tiles", failing_in_workers)
    job = _job(model, crop, FAST_X24, 2)
    steps = list(job.run())
    np.testing.assert_array_equal(job.rgb8, one_process)
    _check_progress(steps, job.total_steps())
    assert multiprocessing.active_children() == []


def test_a_cancel_stops_the_workers_too(model, crop):
    job = _job(model, crop, FAST_X24, 2)
    cancel = CancelToken()
    steps = []
    for step in job.run(cancel):
        steps.append(step)
        cancel.cancel()
    assert len(steps) == 1 and steps[0][0] < job.total_steps()
    assert multiprocessing.active_children() == []


def test_a_view_whose_codes_exceed_the_budget_stays_in_one_process(model, crop, one_process, monkeypatch):
    import liif_viewer.tasks.export as export

    monkeypatch.setattr(export, "render_shared", lambda *a, **k: pytest.fail("forked with codes over budget"))
    engine = RenderEngine(model, screen_tile=64, feature_budget_bytes=64 << 10)  # 64 KB: 4 feature tiles
    engine.lod = EXPORT
    engine.set_image(crop)
    job = ExportJob(engine, FAST_X24, 2)
    assert shares_work(engine, FAST_X24.viewport, "fast", 2)
    list(job.run())
    np.testing.assert_array_equal(job.rgb8, one_process)


def test_only_fast_renders_that_refine_adaptively_are_shared(model, crop):
    engine = _job(model, crop, FAST_X24, 2).engine
    vp = FAST_X24.viewport
    assert shares_work(engine, vp, "fast", 2)
    assert not shares_work(engine, vp, "fast", 1)
    assert not shares_work(engine, vp, "exact", 2)  # exact: torch's own threads were faster
    low = ExportRequest((0.0, 0.0, 60.0, 50.0), (120, 100), "liif", "fast").viewport  # x2: every pixel, one query
    assert not shares_work(engine, low, "fast", 2)
    assert not shares_work(engine, vp, "fast", engine.tile_count(vp))  # fewer than two tiles each


def test_the_command_line_uses_the_cores_it_may_run_on():
    workers = export_workers()
    assert 1 <= workers <= MAX_WORKERS
    assert workers == min(MAX_WORKERS, len(os.sched_getaffinity(0)))  # Linux, where the tests fork
