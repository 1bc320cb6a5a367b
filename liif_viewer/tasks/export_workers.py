"""Fast exports on every core: the view's tiles shared among forked worker processes.

Fast mode's level of detail spends about half its time in per-tile numpy and Python work, which runs
on one core whatever torch's thread count. So a fast export that refines adaptively encodes the
view's codes once, then forks: each process renders every n-th tile with its share of the cores and
writes 8-bit pixels into one shared buffer. The pixels are those of one process, bit for bit (a
query's colour does not depend on what shares its batch, nor on the thread count). Exact exports stay
in one process: their time is torch's multi-threaded matrix products, and workers made them slower
(docs/performance.md).

Only on Linux, and only where the caller allows it: the command line does (it runs nothing else
meanwhile); the viewer does not, since a fork copies only the calling thread, and a lock that one of
its other threads held (its render thread runs torch) would never be released in the child. A worker
that fails or dies has its tiles rendered by the parent, so the export still completes.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from ..cancel import CancelToken
from ..files.image_io import to_uint8

if TYPE_CHECKING:
    from ..render.engine import RenderEngine
    from ..render.viewport import Viewport

__all__ = ["MAX_WORKERS", "export_workers", "shares_work", "shared_array", "render_shared"]

#: Most processes one export uses.
MAX_WORKERS = 4
_POLL_S = 0.02


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def export_workers() -> int:
    """How many processes a fast export may use here: the cores this process may run on, at most
    MAX_WORKERS; 1 where exports do not fork (not Linux)."""
    if not sys.platform.startswith("linux") or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(MAX_WORKERS, _cores()))


def shares_work(engine: RenderEngine, vp: Viewport, precision: str, workers: int) -> bool:
    """Whether an export of ``vp`` goes to ``workers`` processes: a CPU render that refines adaptively,
    with at least two tiles per process."""
    return (workers > 1 and engine.device.type == "cpu" and engine.refines_adaptively(vp, precision)
            and engine.tile_count(vp) >= 2 * workers)


def shared_array(shape: tuple[int, ...], dtype: type = np.uint8) -> np.ndarray:
    """A zeroed array in anonymous shared memory: what forked processes write into it, this one sees."""
    count = int(np.prod(shape))
    memory = mmap.mmap(-1, max(1, count * np.dtype(dtype).itemsize))
    return np.frombuffer(memory, dtype, count).reshape(shape)  # the array keeps the mapping alive


class _Shared:
    """What the processes share: the 8-bit output, tiles done per share, finished flags, a stop flag."""

    def __init__(self, rgb8: np.ndarray, shares: int) -> None:
        self.rgb8 = rgb8
        counts = shared_array((2 * shares + 1,), np.int64)
        self.done, self.finished, self.stop = counts[:shares], counts[shares:2 * shares], counts[2 * shares:]

    def render(self, engine: RenderEngine, vp: Viewport, precision: str, k: int, n: int,
               cancel: CancelToken | None = None) -> Iterator[None]:
        """Render share ``k`` of ``n`` of ``vp`` into ``rgb8`` from where it stopped (the tiles it counts are
        written), yielding after each tile; marks the share finished."""
        first = k + int(self.done[k]) * n
        for x0, y0, block in engine.iter_view_tiles(vp, precision, cancel, cache=False, order="rows",
                                                    share=(first, n)):
            self.rgb8[y0:y0 + block.shape[0], x0:x0 + block.shape[1]] = to_uint8(block)
            self.done[k] += 1
            yield
            if self.stop[0] or (cancel is not None and cancel.cancelled):
                return
        self.finished[k] = 1


def _work(shared: _Shared, engine: RenderEngine, vp: Viewport, precision: str, k: int, n: int,
          threads: int) -> None:
    """A worker process: its share of the tiles, quietly (a failure leaves the share unfinished)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle
    try:
        import torch

        torch.set_num_threads(threads)
        for _ in shared.render(engine, vp, precision, k, n):
            pass
    except BaseException:  # noqa: BLE001 - the parent renders an unfinished share itself
        pass


def render_shared(engine: RenderEngine, vp: Viewport, precision: str, rgb8: np.ndarray, workers: int,
                  cancel: CancelToken | None = None) -> Iterator[tuple[int, int]]:
    """Render ``vp`` into ``rgb8`` (a ``shared_array``) in ``workers`` processes (this one and forked ones),
    yielding (tiles done, total) as they progress; stops early once ``cancel`` is set (``rgb8`` is then
    incomplete).

    Encode the view's codes first (``RenderEngine.encode_view``), so that the workers share them.
    """
    import torch

    cancel = cancel or CancelToken()
    total = engine.tile_count(vp)
    shared = _Shared(rgb8, workers)
    threads_before = torch.get_num_threads()
    threads = max(1, _cores() // workers)
    context = multiprocessing.get_context("fork")
    procs: dict[int, multiprocessing.process.BaseProcess] = {}
    reported = 0
    for stream in (sys.stdout, sys.stderr):  # else a worker would write out a copy of what they hold
        if stream is not None:
            stream.flush()
    try:
        for k in range(1, workers):
            proc = context.Process(target=_work, args=(shared, engine, vp, precision, k, workers, threads),
                                   daemon=True)
            try:
                proc.start()
            except OSError:  # no worker (e.g. a process limit): its share is rendered here
                continue
            procs[k] = proc
        torch.set_num_threads(threads)
        for k in range(workers):  # this process's share, then each worker's in turn
            proc = procs.get(k)
            while proc is not None and proc.is_alive() and not cancel.cancelled:
                proc.join(_POLL_S)
                if int(shared.done.sum()) != reported:
                    reported = int(shared.done.sum())
                    yield reported, total
            if not shared.finished[k] and not cancel.cancelled:  # this one's, or the rest of a worker's that
                for _ in shared.render(engine, vp, precision, k, workers, cancel):  # failed, died or is none
                    reported = int(shared.done.sum())
                    yield reported, total
        if not cancel.cancelled and reported != total:
            yield total, total
    finally:
        shared.stop[0] = 1
        for proc in procs.values():
            proc.join(1.0)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        torch.set_num_threads(threads_before)
