"""`main.py export` on a real photo: regions, sizes, methods, metadata, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from liif_viewer.cli import main
from tests.conftest import SAMPLE


def test_export_region_at_any_size(tmp_path, model):
    out = tmp_path / "eye.png"
    assert main(["export", str(SAMPLE), "-o", str(out), "--region", "180,140,40,30", "--size", "333x250"]) == 0
    with Image.open(out) as img:
        assert img.size == (333, 250)
        assert img.info["Method"] == "LIIF (exact)" and img.info["Region"] == "180,140,40,30"
        assert len(img.info["LIIF-Model-sha256"]) == 64


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "nearest"])
def test_export_classic_methods(tmp_path, method):
    out = tmp_path / f"{method}.jpg"
    assert main(["export", str(SAMPLE), "-o", str(out), "--scale", "0.5", "--method", method]) == 0
    with Image.open(out) as img:
        assert img.size == (256, 256) and img.format == "JPEG"


def test_fast_export(tmp_path, model):
    out = tmp_path / "fast.webp"
    assert main(["export", str(SAMPLE), "-o", str(out), "--region", "200,150,16,9", "--size", "480x270",
                 "--fast"]) == 0
    with Image.open(out) as img:
        assert img.size == (480, 270)
        assert np.asarray(img).std() > 1  # real content, not a flat fill


def test_unwritable_path_is_a_clear_error(tmp_path, capsys):
    target = tmp_path / "missing-folder" / "x.png"
    assert main(["export", str(SAMPLE), "-o", str(target), "--scale", "0.25", "--method", "nearest"]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
    assert not target.parent.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_read_only_folder(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        assert main(["export", str(SAMPLE), "-o", str(folder / "x.png"), "--scale", "0.25"]) == 1
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc (a folder that takes no files)")
@pytest.mark.parametrize("command", ["export", "upscale"])
def test_a_folder_that_takes_no_files_fails_before_any_work(tmp_path, capsys, monkeypatch, command):
    import liif_viewer.cli.export as cli_export

    def no_model(args):
        raise AssertionError("the model was loaded for an export that cannot be written")

    monkeypatch.setattr(cli_export, "load_model", no_model)
    size = ["--size", "6000x4003"]  # minutes of exact LIIF, were it rendered first
    assert main([command, str(SAMPLE), "-o", "/proc/forbidden.png", *size]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: cannot write to /proc: the folder does not accept new files (a system folder?); " \
                  "choose another folder"
    assert main([command, str(SAMPLE), "-o", str(tmp_path / "x.pdf"), *size]) == 1  # nor an unknown format
    assert "unknown output format" in capsys.readouterr().err


def test_bad_region_is_a_clear_error(tmp_path, capsys):
    assert main(["export", str(SAMPLE), "-o", str(tmp_path / "x.png"), "--size", "10x10", "--region", "1,2"]) == 1
    assert "X,Y,W,H" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["upscale", "export"])
def test_a_scale_that_is_not_positive_is_a_clear_error_in_the_options_words(tmp_path, capsys, command):
    assert main([command, str(SAMPLE), "-o", str(tmp_path / "x.png"), "--scale", "-2"]) == 1
    assert capsys.readouterr().err.strip() == "error: give a positive --scale or a --size"
    assert not (tmp_path / "x.png").exists()
