"""Grab the export dialog and the resolution sweep window for the README (run under xvfb-run or offscreen).

    xvfb-run -a .venv/bin/python scripts/gui_screenshots.py docs/
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def wait_until(app: QApplication, condition: object, timeout_s: float = 300.0) -> None:
    """Run the event loop until ``condition()`` or the timeout."""
    end = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the window did not settle in time")
        app.processEvents()
        time.sleep(0.01)


def main(out_dir: str) -> int:
    """Write export-dialog.png and sweep-window.png into ``out_dir``."""
    from liif_viewer.app import ViewerWindow
    from liif_viewer.app.window import SAMPLE_IMAGE

    app = QApplication.instance() or QApplication(sys.argv)
    out = Path(out_dir)
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "shots.ini"), QSettings.Format.IniFormat)
    window = ViewerWindow(settings, device="cpu")
    window.resize(1200, 520)
    window.show()
    window.set_initial_view(3.0, (236.0, 150.0))
    window.open_path(SAMPLE_IMAGE)
    wait_until(app, window.controller.is_settled)
    dialog = window.tools.export_view()
    dialog.form.set_scale(8.0)
    dialog.form.method.setCurrentIndex(1)
    dialog.path.setText(str(Path(tempfile.mkdtemp()) / Path(dialog.path.text()).name))
    dialog.start()  # grabbed mid-way, showing the progress and ETA, then cancelled
    wait_until(app, lambda: dialog.panel.progress.value() >= 6)
    dialog.adjustSize()
    app.processEvents()
    dialog.grab().save(str(out / "export-dialog.png"))
    dialog.cancel()
    wait_until(app, lambda: dialog.job is None)
    sweep = window.tools.open_sweep()
    sweep.to_px.setValue(256)
    sweep.frame_count.setValue(12)
    sweep.display_px.setValue(384)
    sweep.bilinear.setChecked(True)
    sweep.resize(1000, 560)
    sweep.render()
    wait_until(app, sweep.is_complete)
    sweep.play_button.setChecked(False)  # it plays as frames arrive: stop on one frame for the picture
    sweep.show_frame(5)
    app.processEvents()
    sweep.grab().save(str(out / "sweep-window.png"))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs"))
