"""`main.py train`: a run that writes a loadable checkpoint, resumes, and refuses bad folders in one line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from liif_viewer.cli import main
from liif_viewer.model import load_model
from liif_viewer.model.checkpoint import read_checkpoint
from tests._threads import one_thread  # noqa: F401  (autouse fixture: one torch thread per test)


@pytest.fixture()
def folder(tmp_path):
    """One 56x52 noise image and a stray file."""
    data = tmp_path / "photos"
    data.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (52, 56, 3), dtype=np.uint8)).save(data / "a.png")
    (data / "notes.md").write_text("hello")
    return data


def test_train_from_scratch_writes_a_checkpoint_that_resumes_and_loads(folder, tmp_path, capsys):
    out = tmp_path / "mine.pth"
    args = ["train", "--data", str(folder), "--init", "scratch", "--out", str(out), "--batch-size", "1",
            "--repeat", "1", "--device", "cpu"]
    assert main([*args, "--epochs", "1"]) == 0
    printed, err = capsys.readouterr()
    assert "epoch 1/1  loss " in printed and f"saved {out}" in printed
    assert "skipped 1 file(s): notes.md (not an image)" in err and "lr 0.0001" in err

    assert main([*args, "--epochs", "2"]) == 1  # an existing run is never overwritten silently
    assert "pass --resume" in capsys.readouterr().err
    assert main([*args, "--epochs", "2", "--resume"]) == 0
    assert "resuming" in capsys.readouterr().err
    assert read_checkpoint(out)["epoch"] == 2
    assert load_model(out).feat_dim == 64


@pytest.mark.parametrize("make,message", [
    (lambda p: None, "the folder is empty"),
    (lambda p: (p / "x.txt").write_text("x"), "skipped: x.txt (not an image)"),
    (lambda p: Image.new("RGB", (30, 60)).save(p / "s.png"), "s.png (30x60, smaller than a 48x48 patch)"),
])
def test_bad_folders_are_one_line_errors(tmp_path, capsys, make, message):
    data = tmp_path / "d"
    data.mkdir()
    make(data)
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "o.pth")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no usable training images") and message in err and "\n" not in err
