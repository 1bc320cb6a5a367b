"""The real window under Xvfb (skipped where xvfb-run is missing), the README, and closing mid-render."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from tests.conftest import ROOT


def laplacian_variance(gray: np.ndarray) -> float:
    lap = 4 * gray[1:-1, 1:-1] - gray[:-2, 1:-1] - gray[2:, 1:-1] - gray[1:-1, :-2] - gray[1:-1, 2:]
    return float(lap.var())


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed (apt-get install xvfb)")
def test_real_window_under_xvfb_shows_three_panes_with_different_detail_at_x8(tmp_path):
    out = tmp_path / "screenshot.png"
    proc = subprocess.run([str(ROOT / "scripts" / "screenshot.sh"), str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=900)  # a hang bound, not a speed limit
    assert proc.returncode == 0, proc.stderr
    gray = np.asarray(Image.open(out).convert("L"), np.float64)
    assert gray.shape == (640, 1500)
    width = (1500 - 4) // 3  # the panes' layout: equal widths, 2 px gaps, leftover as margin
    left = (1500 - (3 * width + 4)) // 2
    # rows above the navigator, which sits in the LIIF pane's bottom-left corner at ×8
    panes = [gray[80:400, left + i * (width + 2) + 10:left + i * (width + 2) + width - 10] for i in range(3)]
    pixels, bilinear, liif = panes
    # Pixels: 8 x 8 blocks, so horizontal changes happen on one column phase of 8
    steps = np.abs(np.diff(pixels, axis=1)).sum(axis=0)
    by_phase = [steps[k::8].sum() for k in range(8)]
    assert max(by_phase) > 0.9 * sum(by_phase)
    # LIIF: much more fine detail than bilinear's smooth blur of the same region
    assert laplacian_variance(liif) > 1.5 * laplacian_variance(bilinear)
    # and the same region: the big structures line up
    assert np.corrcoef(bilinear[::8, ::8].ravel(), liif[::8, ::8].ravel())[0, 1] > 0.9


def test_readme_lists_every_shortcut():
    from liif_viewer.app.actions import cheat_sheet_rows

    readme = (ROOT / "README.md").read_text()
    assert "./scripts/setup.sh && .venv/bin/python main.py view" in readme
    assert "docs/screenshot.png" in readme and (ROOT / "docs" / "screenshot.png").stat().st_size < 1 << 20
    for keys, what in cheat_sheet_rows():
        assert f"| {keys} | {what} |" in readme


def test_closing_mid_render_neither_hangs_nor_crashes(qtbot, make_window, tmp_path):
    from tests.conftest import write_crop

    window = make_window(900, 480)
    window.set_initial_view(4.0, None)
    with qtbot.waitSignal(window.controller.liif_step, timeout=60_000):
        window.open_path(write_crop(tmp_path / "big.png", 0, 0, 400, 400))
    window.close()  # cancels the render and joins both workers; one that hangs is given up after STOP_WAIT_MS
    assert window.controller.liif.isFinished() and window.controller.classic.isFinished()
