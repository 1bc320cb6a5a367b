"""`main.py upscale` on real photos: any scale or size, 8-bit output, better than bicubic."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from liif_viewer.cli import main
from liif_viewer.files.image_io import load_image, to_uint8
from liif_viewer.render.inspection import psnr
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def photo(tmp_path_factory, sample_rgb) -> str:
    """A 40x36 crop of the bundled photo (face and suit edges)."""
    path = tmp_path_factory.mktemp("in") / "crop.png"
    Image.fromarray(to_uint8(sample_rgb[60:96, 200:240])).save(path)
    return str(path)


@pytest.mark.parametrize("args,size", [
    (["--scale", "2"], (80, 72)),
    (["--scale", "3.7"], (148, 133)),
    (["--scale", "12"], (480, 432)),
    (["--size", "333x517"], (333, 517)),
    (["--scale", "0.5"], (20, 18)),
])
def test_upscale_sizes(photo, tmp_path, model, args, size):
    out = tmp_path / "out.png"
    assert main(["upscale", photo, "-o", str(out), *args]) == 0
    with Image.open(out) as img:
        assert img.size == size and img.mode == "RGB"
        assert img.info.get("Source") == "crop.png"


def test_liif_beats_bicubic_on_x4(tmp_path, sample_rgb, model):
    hr8 = to_uint8(sample_rgb[128:256, 160:288])  # 128x128 crop of a real photo
    lr = Image.fromarray(hr8).resize((32, 32), Image.Resampling.BICUBIC)
    lr.save(tmp_path / "lr.png")
    assert main(["upscale", str(tmp_path / "lr.png"), "-o", str(tmp_path / "sr.png"), "--scale", "4"]) == 0
    sr = load_image(tmp_path / "sr.png").rgb
    bic = np.asarray(lr.resize((128, 128), Image.Resampling.BICUBIC), np.float32) / 255
    hr = hr8 / 255.0
    liif_db, bic_db = psnr(sr, hr), psnr(bic, hr)
    assert liif_db > bic_db + 0.5, (liif_db, bic_db)


def test_alpha_survives_upscale(tmp_path, model):
    rgba = np.zeros((12, 10, 4), np.uint8)
    rgba[..., 1] = 180
    rgba[..., 3] = 255
    rgba[:, :5, 3] = 0
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert main(["upscale", str(tmp_path / "a.png"), "-o", str(tmp_path / "b.png"), "--scale", "2"]) == 0
    with Image.open(tmp_path / "b.png") as img:
        assert img.mode == "RGBA" and img.size == (20, 24)
        alpha = np.asarray(img.getchannel("A"))
    assert alpha[:, :8].max() == 0 and alpha[:, 12:].min() == 255


def test_bad_input_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"junk")
    assert main(["upscale", str(bad), "-o", str(tmp_path / "o.png"), "--scale", "2"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: bad.png") and "\n" not in err
    assert not (tmp_path / "o.png").exists()


def test_bad_size_is_one_line_error(photo, tmp_path, capsys):
    assert main(["upscale", photo, "-o", str(tmp_path / "o.png"), "--size", "12by7"]) == 1
    assert "WIDTHxHEIGHT" in capsys.readouterr().err


def test_main_py_runs_as_a_process(photo, tmp_path):
    out = tmp_path / "p.jpg"
    proc = subprocess.run([sys.executable, "main.py", "upscale", photo, "-o", str(out), "--size", "61x47"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    with Image.open(out) as img:
        assert img.size == (61, 47) and img.format == "JPEG"


@pytest.mark.parametrize("entry", [["main.py"], ["-m", "liif_viewer"]])
def test_the_entry_points_exit_with_the_commands_status(tmp_path, entry):
    command = [sys.executable, *entry, "upscale", str(tmp_path / "missing.png"), "-o", str(tmp_path / "o.png")]
    proc = subprocess.run([*command, "--scale", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
