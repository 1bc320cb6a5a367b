"""Time the viewer's start on the sample, phase by phase, warm and as a first start would be.

Usage: ``.venv/bin/python scripts/startup_timing.py [--runs 3] [--cold bytecode,fonts,files] [--until model]``

Each run is a fresh process that opens the bundled sample in a real ViewerWindow (offscreen
unless QT_QPA_PLATFORM says otherwise) and prints the seconds since the process started at
which: the app's modules were imported, the window was shown, the image was read, the model's
start reached each phase (PyTorch being imported in the LIIF worker, the model being loaded),
the model was ready, the first encoding step, the preview and the final LIIF pane arrived; and the
longest gap in the window's event loop meanwhile.
``--cold`` makes a run start as the first start after set-up would, in any mix of:

* ``bytecode``: no compiled Python anywhere (a fresh, empty ``PYTHONPYCACHEPREFIX``);
* ``fonts``: no fontconfig cache of the user (a fresh ``XDG_CACHE_HOME``);
* ``files``: torch's shared libraries and the weights dropped from the page cache (Linux).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_T0 = time.perf_counter()


def _child() -> None:
    """One start, in this process; prints one JSON line of phase times."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks.setdefault(name, round(time.perf_counter() - _T0 + _PROCESS_START_S, 3))
        if name == _UNTIL:
            QTimer.singleShot(0, QApplication.quit)

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    mark("qt")
    from liif_viewer.app import ViewerWindow

    mark("imported")
    with tempfile.TemporaryDirectory() as tmp:
        window = ViewerWindow(QSettings(str(Path(tmp) / "v.ini"), QSettings.Format.IniFormat), device="cpu")
        window.resize(1500, 640)
        c = window.controller
        c.opened.connect(lambda _i: mark("image"))
        if hasattr(c, "model_phase"):
            c.model_phase.connect(lambda text: mark({"starting PyTorch…": "torch", "loading the model…": "load"}.get(
                text, text)))
        c.model_ready.connect(lambda _d: mark("model"))
        c.liif_step.connect(lambda u: mark(u.kind))
        gaps: list[float] = []
        last = [0.0]

        def tick() -> None:
            now = time.perf_counter()
            if last[0]:
                gaps.append(now - last[0])
            last[0] = now

        ticker = QTimer()
        ticker.setInterval(10)
        ticker.timeout.connect(tick)
        notes: list[str] = []
        window.store.changed.connect(lambda s: s == "liif" and window.store.liif_note not in notes[-1:]
                                     and notes.append(window.store.liif_note))
        window.settled.connect(lambda: (mark("settled"), QTimer.singleShot(0, app.quit)))
        window.open_path(ROOT / "resources" / "sample-astronaut.png")
        window.show()
        mark("shown")
        ticker.start()
        QTimer.singleShot(300_000, app.quit)
        app.exec()
        ticker.stop()
        window.close()
    print(json.dumps({"marks": marks, "notes": [n for n in notes if n], "max_gap_ms": round(max(gaps or [0]) * 1000)}))


def _drop_from_page_cache(paths: list[Path]) -> None:
    for path in paths:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _run(cold: set[str], until: str) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if "bytecode" in cold:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pyc")
        if "fonts" in cold:
            env["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        if "files" in cold:
            import torch

            libs = list((Path(torch.__file__).parent / "lib").glob("*.so*"))
            _drop_from_page_cache(libs + list((ROOT / "models").glob("*.pth")))
        start = time.time()
        out = subprocess.run([sys.executable, __file__, "--child", repr(start), until], env=env, capture_output=True,
                             text=True, timeout=600)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"the viewer run failed:\n{out.stderr[-2000:]}")
    return json.loads(lines[-1])


_PROCESS_START_S = 0.0
_UNTIL = "settled"


def main() -> int:
    global _PROCESS_START_S, _UNTIL
    if len(sys.argv) >= 4 and sys.argv[1] == "--child":
        _PROCESS_START_S = time.time() - float(sys.argv[2]) - (time.perf_counter() - _T0)
        _UNTIL = sys.argv[3]
        _child()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", default="", help="comma-separated: bytecode, fonts, files (see the docstring)")
    parser.add_argument("--until", default="settled", choices=("model", "final", "settled"),
                        help="end each run when the model is ready, or at the final LIIF pane (default)")
    args = parser.parse_args()
    cold = {c for c in args.cold.split(",") if c}
    runs = [_run(cold, args.until) for _ in range(args.runs)]
    names = ["qt", "imported", "shown", "image", "torch", "load", "model", "standin", "encoding", "preview",
             "final", "settled"]
    print(f"start {'cold: ' + ', '.join(sorted(cold)) if cold else 'warm'}; seconds since the process started "
          f"(median of {len(runs)}; load {os.getloadavg()[0]:.2f})")
    for name in names:
        values = [r["marks"][name] for r in runs if name in r["marks"]]
        if values:
            print(f"  {name:<9} {statistics.median(values):7.2f}   ({', '.join(f'{v:.2f}' for v in values)})")
    print(f"  longest event-loop gap from shown to the end: {statistics.median(r['max_gap_ms'] for r in runs)} ms "
          f"({', '.join(str(r['max_gap_ms']) for r in runs)})")
    print("LIIF pane notes seen:", " | ".join(runs[-1]["notes"][:12]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
