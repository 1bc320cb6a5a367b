"""Grab the README's pictures of dialogs and tools (run under xvfb-run or offscreen).

    xvfb-run -a .venv/bin/python scripts/gui_screenshots.py docs/ [export sweep inspect diff eval]

export-dialog.png, sweep-window.png, inspect.png (profile dock and navigator at ×8), difference.png
(the difference layout) and eval-chart.png (``eval --plot``'s chart of docs/eval-set5-set14.jsonl,
saved JSON lines of ``eval``). With names, only those.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QPointF, QSettings
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


SHOTS = ("export", "sweep", "inspect", "diff", "eval")
EVAL_JSONL = ROOT / "docs" / "eval-set5-set14.jsonl"


def _window(app: QApplication, width: int, height: int, zoom: float, centre: tuple[float, float]) -> object:
    from liif_viewer.app import ViewerWindow
    from liif_viewer.app.window import SAMPLE_IMAGE

    settings = QSettings(str(Path(tempfile.mkdtemp()) / "shots.ini"), QSettings.Format.IniFormat)
    window = ViewerWindow(settings, device="cpu")
    window.resize(width, height)
    window.show()
    window.set_initial_view(zoom, centre)
    window.open_path(SAMPLE_IMAGE)
    wait_until(app, window.controller.is_settled)
    return window


def main(out_dir: str, shots: tuple[str, ...] = SHOTS) -> int:
    """Write the pictures named in ``shots`` into ``out_dir``."""
    app = QApplication.instance() or QApplication(sys.argv)
    out = Path(out_dir)
    if "export" in shots or "sweep" in shots:
        export_and_sweep(app, out, shots)
    if "inspect" in shots:
        inspect_tools(app, out)
    if "diff" in shots:
        difference(app, out)
    if "eval" in shots:
        eval_chart(out)
    return 0


def export_and_sweep(app: QApplication, out: Path, shots: tuple[str, ...]) -> None:
    """export-dialog.png and sweep-window.png."""
    window = _window(app, 1200, 520, 3.0, (236.0, 150.0))
    if "export" in shots:
        export_dialog(app, out, window)
    if "sweep" in shots:
        sweep_window(app, out, window)
    window.close()


def export_dialog(app: QApplication, out: Path, window: object) -> None:
    """The export dialog mid-way."""
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


def sweep_window(app: QApplication, out: Path, window: object) -> None:
    """The resolution sweep window on one frame."""
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


def inspect_tools(app: QApplication, out: Path) -> None:
    """inspect.png: ×8 on the eyes, a profile across the left eye, the navigator in the LIIF pane."""
    window = _window(app, 1500, 900, 8.0, (212.0, 108.0))
    window.inspect.set_drawing(True)
    window.inspect.set_line(((193.0, 101.5), (216.0, 101.5)))
    window.inspect.set_drawing(False)
    for _ in range(20):  # let the dock take its room (a new, smaller view) before waiting for it to settle
        app.processEvents()
        time.sleep(0.02)
    wait_until(app, lambda: window.controller.is_settled() and not window.inspect.pending
               and window.inspect.profile is not None and len(window.inspect.profile[1]) == 3)
    plot = window.inspect.dock.profile_plot
    distance = window.inspect.profile[0]
    point = plot.plotItem.vb.mapViewToScene(QPointF(distance[len(distance) * 2 // 5], 128.0))
    plot.scene().sigMouseMoved.emit(point)  # the readout of the values under the cursor
    app.processEvents()
    window.grab().save(str(out / "inspect.png"))
    window.close()


def difference(app: QApplication, out: Path) -> None:
    """difference.png: |LIIF − Bilinear| at ×4 on the face."""
    window = _window(app, 1000, 640, 4.0, (236.0, 150.0))
    window.set_layout("diff")
    wait_until(app, lambda: window.controller.is_settled()
               and window.area.diff.difference_view == window.state.viewport)
    app.processEvents()
    window.area.grab().save(str(out / "difference.png"))  # the pane itself
    window.close()


def eval_chart(out: Path) -> None:
    """eval-chart.png from the saved JSON lines of the README's eval command."""
    from liif_viewer.cli.charts import eval_chart as chart
    from liif_viewer.cli.charts import save_chart

    rows = [json.loads(line) for line in EVAL_JSONL.read_text().splitlines() if line.strip()]
    save_chart(chart([row for row in rows if row["image"] == "mean"]), str(out / "eval-chart.png"))


if __name__ == "__main__":
    names = tuple(sys.argv[2:]) or SHOTS
    unknown = set(names) - set(SHOTS)
    if unknown:
        sys.exit(f"unknown picture(s) {', '.join(sorted(unknown))}; choose from {', '.join(SHOTS)}")
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs", names))
