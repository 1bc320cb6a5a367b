"""Time the viewer's LIIF pane at a deep zoom: last zoom step → final image, and event-loop gaps.

Usage: ``.venv/bin/python scripts/viewer_timing.py [WIDTH HEIGHT] [--zoom 30] [--exact]``

Opens the bundled sample in a real ViewerWindow (offscreen unless QT_QPA_PLATFORM says otherwise),
shows the LIIF pane alone, zooms to the face at the given zoom and waits until the features are
encoded. Then, five times, it steps the zoom to a nearby value not rendered before (so no screen
tile is cached) and measures the time until the pane shows its final image, while a 10 ms timer
records the longest gap between event-loop ticks. The model loads in the viewer's worker thread,
as in the app (torch work in a second thread slows the worker; see app/worker.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", nargs="*", type=int, default=[1920, 1080], help="window WIDTH HEIGHT")
    parser.add_argument("--zoom", type=float, default=30.0)
    parser.add_argument("--exact", action="store_true", help="exact mode instead of fast")
    args = parser.parse_args()

    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([])  # noqa: F841 (kept alive for the whole run)
    from collections.abc import Callable
    from tempfile import TemporaryDirectory

    from liif_viewer.app import ViewerWindow

    with TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "viewer.ini"), QSettings.Format.IniFormat)
        window = ViewerWindow(settings, model=None, device="cpu")
        window.resize(*args.size)
        window.show()

        def wait(condition: Callable[[], bool]) -> None:
            loop, check = QEventLoop(), QTimer()
            check.setInterval(5)
            check.timeout.connect(lambda: loop.quit() if condition() else None)
            check.start()
            loop.exec()
            check.stop()

        window.open_path(ROOT / "resources" / "sample-astronaut.png")
        wait(lambda: window.controller.doc is not None)
        window.set_layout("liif")
        window.set_precision("exact" if args.exact else "fast")
        window.state.center_on(230.0, 150.0)
        window.state.zoom_to(args.zoom)
        wait(window.controller.is_settled)  # encodes this view's features
        vp = window.state.viewport
        print(f"LIIF pane {vp.width}x{vp.height} device px at x{args.zoom:g}, {'exact' if args.exact else 'fast'}")

        gaps: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        ticker = QTimer()
        ticker.setInterval(10)
        ticker.timeout.connect(tick)
        ticker.start()
        times = []
        for factor in (0.985, 1.015, 0.97, 1.03, 0.955):
            target = args.zoom * factor
            start = time.perf_counter()
            gaps.clear()
            last[0] = start
            window.state.zoom_to(target)
            wait(window.controller.is_settled)
            times.append(time.perf_counter() - start)
            print(f"x{target:.2f}: final image {times[-1]:.3f} s after the zoom step, "
                  f"longest event-loop gap {max(gaps or [0]) * 1000:.0f} ms")
        print(f"median {statistics.median(times):.3f} s")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
