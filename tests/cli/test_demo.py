"""`main.py demo sweep|zoom` records readable animations with the requested frame count."""

from __future__ import annotations

from PIL import Image

from liif_viewer.cli import main
from tests.conftest import SAMPLE


def test_demo_sweep_gif(tmp_path, model):
    out = tmp_path / "sweep.gif"
    assert main(["demo", "sweep", str(SAMPLE), "-o", str(out), "--from", "16", "--to", "48", "--frames", "3",
                 "--size", "96x96"]) == 0
    with Image.open(out) as img:
        assert img.n_frames == 3 and img.size == (96, 96)


def test_demo_zoom_apng(tmp_path, model):
    out = tmp_path / "zoom.png"
    assert main(["demo", "zoom", str(SAMPLE), "-o", str(out), "--at", "236,135", "--zoom", "12", "--frames", "3",
                 "--size", "64x48"]) == 0
    with Image.open(out) as img:
        assert img.n_frames == 3 and img.size == (192, 48)


def test_demo_bad_crop(tmp_path, capsys):
    assert main(["demo", "sweep", str(SAMPLE), "-o", str(tmp_path / "s.gif"), "--crop", "500,500,100"]) == 1
    assert "does not fit" in capsys.readouterr().err
