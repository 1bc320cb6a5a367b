"""Soak the viewer: a seeded random walk of zooms, drags, keys and layouts; RSS and cache sizes as it goes.

Usage::

    .venv/bin/python scripts/soak.py [PHOTO ...] (--minutes M | --events N) [--seed S]
                                     [--window-size WxH] [--json] [--max-rss-mb MB]

Runs the real ``ViewerWindow`` (on the X server of ``DISPLAY`` when set, e.g. under Xvfb, else
offscreen) with its workers rendering for real, on the photos given (default: the bundled sample),
switching photo every ``--switch-every`` events. Ten warm-up events first (1:1, zooms to x4 and x10,
each layout, back to fit; each followed by final renders), then random ones a few tens of ms apart
as a hand makes them: wheel zooms at random points between fit and x64, short drags, arrow keys,
+/-, F and 1, layout keys (T, L, S, B), and now and then a pause until every pane is final. Prints RSS every
``--every`` seconds, with the render caches' live contents against their budgets; with ``--json``
the last line is a summary (``tests/app/test_soak.py`` runs this script and checks it). Exit status
1 when a cache went over its budget, a worker reported an error, or RSS passed ``--max-rss-mb``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from tests.app.qt_events import drag, wheel  # noqa: E402

MAX_WALK_ZOOM = 64.0
KEYS = {"left": Qt.Key.Key_Left, "right": Qt.Key.Key_Right, "up": Qt.Key.Key_Up, "down": Qt.Key.Key_Down,
        "plus": Qt.Key.Key_Plus, "minus": Qt.Key.Key_Minus, "fit": Qt.Key.Key_F, "one": Qt.Key.Key_1,
        "three": Qt.Key.Key_T, "liif": Qt.Key.Key_L, "swipe": Qt.Key.Key_S, "partner": Qt.Key.Key_B}
#: The first ten events, each followed by final renders: every render path runs once (encoding, every
#: pixel at low zoom, adaptive refinement, each layout) before the reference RSS is taken.
WARM_UP = (("key", "one"), ("wheel", 3), ("wheel", 5), ("key", "liif"), ("wheel", 5), ("key", "swipe"),
           ("drag", 120), ("key", "three"), ("wheel", -8), ("key", "fit"))
#: (event, weight) of the walk
EVENTS = (("wheel", 34), ("drag", 20), ("arrow", 14), ("plus_minus", 6), ("layout", 10), ("fit_one", 4),
          ("pause", 12))


def rss_mb() -> float:
    """This process's resident set now (Linux), in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pump(ms: float) -> None:
    """Run the event loop for ``ms`` milliseconds."""
    loop = QEventLoop()
    QTimer.singleShot(max(0, round(ms)), loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Run the event loop until ``condition()`` (checked every 10 ms) or the timeout; whether it held."""
    end = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > end:
            return False
        pump(10)
    return True


class Walk:
    """The random walk over one window; ``step()`` makes one event and returns its name."""

    def __init__(self, window: Any, photos: list[Path], seed: int, switch_every: int, pause_s: float) -> None:
        self.window = window
        self.photos = photos
        self.rng = random.Random(seed)
        self.switch_every = switch_every
        self.pause_s = pause_s
        self.events = 0
        self.photo = 0
        self.pauses_settled = 0

    def _pane(self) -> QWidget:
        return self.rng.choice(self.window.area.visible_panes())

    def _point(self, pane: QWidget) -> tuple[float, float]:
        return self.rng.uniform(5, pane.width() - 5), self.rng.uniform(5, pane.height() - 5)

    def open(self, index: int) -> None:
        """Open photo ``index`` and wait until it is shown."""
        self.photo = index % len(self.photos)
        opened = []
        self.window.image_opened.connect(opened.append)
        self.window.open_path(self.photos[self.photo])
        wait_until(lambda: bool(opened), 120)
        self.window.image_opened.disconnect(opened.append)

    def _drag(self, pane: QWidget, x: float, y: float, dx: float, dy: float) -> None:
        drag(pane, (x, y), (x + dx, y + dy), steps=4, between=lambda: pump(8))

    def _warm_up(self, kind: str, value: object) -> str:
        pane = self.window.area.visible_panes()[-1]
        if kind == "key":
            QTest.keyClick(self.window, KEYS[value])
        elif kind == "wheel":
            wheel(pane, pane.width() / 2, pane.height() / 2, value)
        else:
            self._drag(pane, pane.width() / 2, pane.height() / 2, value, value / 2)
        self.pauses_settled += wait_until(self.window.controller.is_settled, 3 * self.pause_s)
        return kind

    def step(self) -> str:
        """One event of the walk (a photo switch every ``switch_every`` events)."""
        self.events += 1
        if self.events <= len(WARM_UP):
            return self._warm_up(*WARM_UP[self.events - 1])
        if len(self.photos) > 1 and self.events % self.switch_every == self.switch_every // 2:
            self.open(self.photo + 1)
            return "open"
        state = self.window.state
        kind = self.rng.choices([e for e, _ in EVENTS], [w for _, w in EVENTS])[0]
        if kind == "wheel":
            pane = self._pane()
            notches = self.rng.choice((1, 1, 2, 3, 5))
            zoom_in = state.scale <= state.fit_scale or (state.scale * 1.2 ** notches <= MAX_WALK_ZOOM
                                                         and self.rng.random() < 0.55)
            wheel(pane, *self._point(pane), notches if zoom_in else -notches)
        elif kind == "drag":
            pane = self._pane()
            self._drag(pane, *self._point(pane), self.rng.uniform(-150, 150), self.rng.uniform(-150, 150))
        elif kind == "arrow":
            QTest.keyClick(self.window, KEYS[self.rng.choice(("left", "right", "up", "down"))])
        elif kind == "plus_minus":
            QTest.keyClick(self.window, KEYS["plus" if state.scale * 1.25 <= MAX_WALK_ZOOM else "minus"])
        elif kind == "layout":
            QTest.keyClick(self.window, KEYS[self.rng.choice(("three", "liif", "swipe", "partner"))])
        elif kind == "fit_one":
            QTest.keyClick(self.window, KEYS[self.rng.choice(("fit", "one"))])
        else:
            self.pauses_settled += wait_until(self.window.controller.is_settled, self.pause_s)
        return kind


class Probe:
    """Live sizes of the LIIF engine's caches (read from the GUI thread; the caches lock themselves)."""

    def __init__(self, window: Any) -> None:
        self.window = window

    @property
    def engine(self) -> Any:
        """The LIIF worker's RenderEngine (None until the model has loaded)."""
        return self.window.controller.liif.engine

    def sizes(self) -> dict[str, float]:
        """Tiles and features held now and their limits, in MB (zeros before the engine exists)."""
        engine = self.engine
        out = {"tiles_mb": 0.0, "tiles_budget_mb": 0.0, "tiles_limit_mb": 0.0, "features_mb": 0.0,
               "features_limit_mb": 0.0}
        if engine is None:
            return out
        # Between renders a cached tile holds only its values; a running render adds its working state.
        out["tiles_mb"] = engine.tiles.live_bytes() / 2**20
        out["tiles_budget_mb"] = engine.tiles.budget_bytes / 2**20
        out["tiles_limit_mb"] = (engine.tiles.budget_bytes + engine.working_limit_bytes()) / 2**20
        for store in engine.feature_stores():  # exact and fast codes share the feature budget
            held, limit = store.usage()  # one reading: the worker may re-pin between two
            out["features_mb"] += held / 2**20
            out["features_limit_mb"] += limit / 2**20
        return out


def retained() -> dict[str, float]:
    """Live render objects and torch tensor memory (gc-tracked objects), for ``--diagnose``."""
    import gc

    import torch

    from liif_viewer.render.fast_query import CodeRegion
    from liif_viewer.render.liif_tiles import TileJob

    gc.collect()
    counts = {"tile_jobs": 0, "code_regions": 0, "tensors": 0, "tensor_mb": 0.0}
    seen: set[int] = set()
    for obj in gc.get_objects():
        if isinstance(obj, TileJob):
            counts["tile_jobs"] += 1
        elif isinstance(obj, CodeRegion):
            counts["code_regions"] += 1
        elif isinstance(obj, torch.Tensor) and obj.device.type == "cpu":
            storage = obj.untyped_storage()
            if storage.data_ptr() not in seen:
                seen.add(storage.data_ptr())
                counts["tensors"] += 1
                counts["tensor_mb"] += storage.nbytes() / 2**20
    return counts


def heap_mb() -> dict[str, float]:
    """glibc's heap over all arenas (mallinfo2): in use, free inside the heaps, and mmapped blocks, in MB."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                           "fsmblks", "uordblks", "fordblks", "keepcost")]

    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2
        info = libc.mallinfo2()
    except (OSError, AttributeError):
        return {}
    return {"heap_used": info.uordblks / 2**20, "heap_free": info.fordblks / 2**20, "mmapped": info.hblkhd / 2**20}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", nargs="*", type=Path)
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float)
    length.add_argument("--events", type=int)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--window-size", default="1500x900")
    parser.add_argument("--switch-every", type=int, default=100, help="open the next photo every N events")
    parser.add_argument("--gap-ms", default="20,140", help="range of the random wait after each event (ms)")
    parser.add_argument("--pause", type=float, default=4.0, help="longest wait for final renders in a pause")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between RSS lines")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds to stay idle after the walk")
    parser.add_argument("--enlarge", metavar="WxH",
                        help="resize each photo to WxH first (bicubic, in a temporary folder), e.g. 4000x3000")
    parser.add_argument("--feature-budget-mb", type=int, help="the engine's feature budget (default: its own)")
    parser.add_argument("--tile-budget-mb", type=int, help="the engine's screen-tile budget (default: its own)")
    parser.add_argument("--max-rss-mb", type=float, default=float("inf"), help="stop with status 1 past this")
    parser.add_argument("--no-trim", action="store_true",
                        help="never malloc_trim in the LIIF worker (to measure what trimming is worth)")
    parser.add_argument("--json", action="store_true", help="end with a one-line JSON summary")
    parser.add_argument("--diagnose", action="store_true",
                        help="at the end, count live tiles, projections and tensors, and RSS after malloc_trim")
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="N",
                        help="trace Python and NumPy allocations; print the N largest sites at the end")
    args = parser.parse_args()
    photos = args.photos or [ROOT / "resources" / "sample-astronaut.png"]
    width, height = (int(v) for v in args.window_size.lower().split("x"))
    gap = tuple(float(v) for v in args.gap_ms.split(","))

    import torch
    from PySide6.QtCore import QSettings

    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(12)

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    app = QApplication([])  # noqa: F841 (kept alive for the whole run)
    from tempfile import TemporaryDirectory

    from liif_viewer.app import ViewerWindow

    with TemporaryDirectory() as tmp:
        if args.enlarge:
            from PIL import Image

            size = tuple(int(v) for v in args.enlarge.lower().split("x"))
            for i, photo in enumerate(photos):
                with Image.open(photo) as img:
                    photos[i] = Path(tmp) / f"{photo.stem}-{size[0]}x{size[1]}.png"
                    img.convert("RGB").resize(size, Image.Resampling.BICUBIC).save(photos[i], compress_level=1)
        settings = QSettings(str(Path(tmp) / "viewer.ini"), QSettings.Format.IniFormat)
        window = ViewerWindow(settings, model=None, device="cpu")
        window.resize(width, height)
        window.show()
        window.activateWindow()
        failures: list[str] = []
        window.controller.liif.failed.connect(failures.append)
        window.controller.classic.failed.connect(failures.append)
        probe = Probe(window)
        if not wait_until(lambda: window.controller.liif_available is not None, 300):
            print("error: the model did not load", file=sys.stderr)
            return 1
        if window.controller.liif_available is False:
            print("error: LIIF is unavailable", file=sys.stderr)
            return 1
        engine = probe.engine
        if args.no_trim:
            window.controller.liif.trimmer.interval_s = float("inf")
        if args.feature_budget_mb is not None:
            engine.feature_budget_bytes = args.feature_budget_mb << 20
        if args.tile_budget_mb is not None:
            engine.tiles.budget_bytes = args.tile_budget_mb << 20
        walk = Walk(window, photos, args.seed, args.switch_every, args.pause)
        walk.open(0)
        start = last_line = time.perf_counter()
        summary: dict[str, object] = {"photos": [p.name for p in photos], "seed": args.seed,
                                      "window": [width, height]}
        over = {"tiles_mb": 0.0, "features_mb": 0.0}
        counts: dict[str, int] = {}
        rss_max = 0.0
        status = 0
        while True:
            elapsed = time.perf_counter() - start
            if args.events is not None and walk.events >= args.events:
                break
            if args.events is None and elapsed >= 60 * (args.minutes or 1.0):
                break
            kind = walk.step()
            counts[kind] = counts.get(kind, 0) + 1
            pump(walk.rng.uniform(*gap))
            sizes, rss = probe.sizes(), rss_mb()
            rss_max = max(rss_max, rss)
            for key in over:
                over[key] = max(over[key], sizes[key] - sizes[key.replace("_mb", "_limit_mb")])
            if walk.events == len(WARM_UP):  # the reference: after the ten warm-up events, every pane final
                summary["settled_after_10"] = wait_until(window.controller.is_settled, 180)  # slow on a shared CPU
                summary["rss_after_10_mb"] = rss_mb()
            now = time.perf_counter()
            if now - last_line >= args.every:
                last_line = now
                print(f"t={now - start:6.0f} s  events={walk.events:5d}  rss={rss:7.0f} MB  "
                      f"tiles={sizes['tiles_mb']:5.0f}/{sizes['tiles_limit_mb']:.0f} MB  "
                      f"features={sizes['features_mb']:5.0f}/{sizes['features_limit_mb']:.0f} MB  "
                      f"zoom=x{window.state.scale:.3g}  layout={window.area.mode}"
                      + ("".join(f"  {k}={v:.0f}" for k, v in heap_mb().items()) if args.diagnose else ""), flush=True)
            if rss > args.max_rss_mb:
                print(f"stopping: RSS {rss:.0f} MB passed --max-rss-mb {args.max_rss_mb:.0f}", flush=True)
                status = 1
                break
        summary["walk_s"] = time.perf_counter() - start
        summary["events"] = walk.events
        summary["counts"] = counts
        summary["pauses_settled"] = walk.pauses_settled
        summary["rss_end_mb"] = rss_mb()
        summary["settled_at_end"] = wait_until(window.controller.is_settled, 180)  # slow when the CPU is shared
        pump(1000 * args.idle)
        # prefetch (idle work, started after the final render) may still run: its tiles hold a pass's state
        summary["prefetch_done_at_end"] = wait_until(lambda: not window.controller.liif.idle_work_pending, 120)
        summary["rss_idle_mb"] = rss_mb()
        summary["rss_max_mb"] = max(rss_max, summary["rss_idle_mb"])
        summary["over_budget_mb"] = over
        summary["sizes_end"] = probe.sizes()
        if args.tracemalloc:
            import tracemalloc

            for stat in tracemalloc.take_snapshot().statistics("traceback")[:args.tracemalloc]:
                print(f"{stat.size / 2**20:8.1f} MB in {stat.count} blocks", flush=True)
                for line in stat.traceback.format()[-12:]:
                    print("    " + line, flush=True)
        if args.diagnose:
            engine = probe.engine
            if engine is not None:  # tiles that still hold working state (should be none when settled)
                summary["tiles_working"] = [
                    (str(key), value.working_bytes, value.sampler.band_bytes)
                    for key, value in list(engine.tiles._items.items()) if getattr(value, "working_bytes", 0)]
            summary["retained"] = retained()
            summary["rss_after_gc_mb"] = rss_mb()
            from liif_viewer.render.memory import malloc_trim

            summary["malloc_trim"] = malloc_trim()
            summary["rss_after_trim_mb"] = rss_mb()
            print(f"retained: {summary['retained']}; RSS after gc {summary['rss_after_gc_mb']:.0f} MB, "
                  f"after malloc_trim {summary['rss_after_trim_mb']:.0f} MB", flush=True)
        trimmer = window.controller.liif.trimmer
        summary["trims"] = {"calls": trimmer.calls, "seconds": trimmer.seconds}
        summary["worker_errors"] = failures
        summary["workers_running"] = window.controller.liif.isRunning() and window.controller.classic.isRunning()
        print(f"done: {walk.events} events in {summary['walk_s']:.0f} s; RSS after 10 events "
              f"{summary.get('rss_after_10_mb', float('nan')):.0f} MB, at the end {summary['rss_end_mb']:.0f} MB, "
              f"idle {summary['rss_idle_mb']:.0f} MB, max {summary['rss_max_mb']:.0f} MB", flush=True)
        window.close()
    if any(v > 0 for v in over.values()) or failures or not summary["workers_running"]:
        status = 1
    if args.json:
        print(json.dumps(summary), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
