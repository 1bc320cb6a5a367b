"""``main.py view``: argument errors without Qt, and ``--screenshot`` as a real process (offscreen)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from liif_viewer.cli import main
from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def _private_config(tmp_path, monkeypatch):
    """The viewer processes never touch the user's settings (what tests/app/conftest.py does for the Qt tests)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def run_view(*args: str, scale_factor: str = "1", timeout_s: float = 600,
             **env_vars: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=scale_factor, **env_vars)
    return subprocess.run([sys.executable, "main.py", "view", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout_s)


@pytest.mark.parametrize(("args", "message"), [
    (["--center", "12"], "--center must look like X,Y"),
    (["--zoom", "-2"], "--zoom must be positive"),
    (["--window-size", "big"], "--window-size must look like WxH"),
])
def test_bad_arguments_give_one_line(capsys, args, message):
    assert main(["view", *args, "--screenshot", "unused.png"]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_screenshot_waits_for_every_final_render_and_exits_0(tmp_path, face_png):
    out = tmp_path / "shots" / "view.png"
    temp = tmp_path / "temp"
    temp.mkdir()
    orphan = temp / "liif-viewer-shot-99999999-abc"  # left by a killed run (no such process)
    orphan.mkdir()
    proc = run_view(str(face_png), "--zoom", "4", "--center", "48,36", "--window-size", "600x300",
                    "--screenshot", str(out), TMPDIR=str(temp))
    assert proc.returncode == 0, proc.stderr
    assert list(temp.iterdir()) == []  # its own settings folder is gone, and the orphan too
    assert proc.stdout.strip() == f"wrote {out}"
    shot = np.asarray(Image.open(out).convert("RGB"))
    assert shot.shape == (300, 600, 3)
    assert not list(out.parent.glob(".*part*"))  # written atomically


def test_screenshot_of_a_file_that_cannot_be_read_fails_with_one_line(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"no jpeg here")
    proc = run_view(str(bad), "--window-size", "400x200", "--screenshot", str(tmp_path / "x.png"))
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("error: ") and "bad.jpg" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_one_to_one_is_one_image_pixel_per_device_pixel_on_hidpi(tmp_path, noise_png):
    out = tmp_path / "hidpi.png"
    proc = run_view(str(noise_png), "--zoom", "1", "--layout", "three", "--window-size", "500x260",
                    "--screenshot", str(out), scale_factor="2")
    assert proc.returncode == 0, proc.stderr
    shot = np.asarray(Image.open(out).convert("RGB"))
    assert shot.shape == (520, 1000, 3)  # the grab is in device pixels
    source = np.asarray(Image.open(noise_png).convert("RGB"))
    height, width = source.shape[:2]
    found = []
    for y, x in zip(*np.nonzero(np.all(shot == source[0, 0], axis=-1)), strict=True):
        if np.array_equal(shot[y:y + height, x:x + width], source):
            found.append((y, x))
    # the Pixels pane (left third) shows the 64 x 48 source exactly, one image px per device px
    assert any(x < 1000 / 3 for _, x in found), found


def test_orphaned_screenshot_folders_are_removed_only_when_their_process_is_gone(tmp_path):
    from liif_viewer.app.run import remove_orphaned_shot_folders

    dead = tmp_path / "liif-viewer-shot-99999999-x1"
    live = tmp_path / f"liif-viewer-shot-{os.getpid()}-x2"
    other = tmp_path / "liif-viewer-notes"
    for folder in (dead, live, other):
        folder.mkdir()
    (dead / "settings.ini").write_text("[General]\n")
    assert remove_orphaned_shot_folders(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])
