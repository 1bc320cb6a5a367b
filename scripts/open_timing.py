"""Time opening a photo in the viewer: when each pane shows its final render of the fit view.

Usage: ``.venv/bin/python scripts/open_timing.py [PHOTO] [--window-size 1500x900] [--layout three]``
(default photo: the bundled sample enlarged to 4000 x 3000, made in a temporary folder).

Starts the real window (the X server of ``DISPLAY`` when set, else offscreen), waits for the model,
opens the photo and prints, from the open call, the seconds until the Pixels, Bilinear and LIIF panes
each show their final render of the fitted view, and how far the LIIF pane is from the input
area-averaged over each screen pixel (mean and max levels of 8-bit).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", nargs="?", type=Path)
    parser.add_argument("--window-size", default="1500x900")
    parser.add_argument("--layout", default="three", choices=("three", "liif", "swipe"))
    args = parser.parse_args()
    width, height = (int(v) for v in args.window_size.lower().split("x"))

    import numpy as np
    import torch
    from PIL import Image
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    app = QApplication([])  # noqa: F841
    from liif_viewer.app import ViewerWindow
    from liif_viewer.app.messages import BACKGROUND
    from liif_viewer.render.resample import render_classic, to_display_uint8
    from liif_viewer.tasks.bench import SAMPLE

    def wait(condition: Callable[[], bool], timeout_s: float = 600) -> None:
        end = time.perf_counter() + timeout_s
        while not condition() and time.perf_counter() < end:
            loop = QEventLoop()
            QTimer.singleShot(5, loop.quit)
            loop.exec()

    with tempfile.TemporaryDirectory() as tmp:
        photo = args.photo
        if photo is None:
            photo = Path(tmp) / "big.png"
            with Image.open(SAMPLE) as img:
                img.convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC).save(photo, compress_level=1)
        window = ViewerWindow(QSettings(str(Path(tmp) / "v.ini"), QSettings.Format.IniFormat), device="cpu")
        window.resize(width, height)
        window.show()
        window.set_layout(args.layout)
        wait(lambda: window.controller.liif_available is not None)
        final: dict[str, float] = {}
        start = time.perf_counter()

        def note(source: str) -> None:
            top = window.store.newest(source)
            if source not in final and top is not None and top.final and top.viewport == window.state.viewport:
                final[source] = time.perf_counter() - start

        window.store.changed.connect(note)
        window.open_path(photo)
        wait(window.controller.is_settled)
        for source in window.area.visible_sources():
            note(source)
        vp = window.state.viewport
        expected = to_display_uint8(render_classic(np.asarray(window.controller.doc.u8), vp, "area", BACKGROUND))
        levels = np.abs(window.store.newest("liif").u8.astype(np.int16) - expected)
        size = window.controller.doc.size
        print(f"{photo.name} {size[0]}x{size[1]} at fit (x{vp.scale:.3g}, pane {vp.width}x{vp.height}): "
              + ", ".join(f"{s} final {final[s]:.2f} s" for s in ("pixels", "bilinear", "liif") if s in final)
              + f"; LIIF vs area-averaged input: mean {levels.mean():.2f}, max {levels.max()} levels")
        window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
