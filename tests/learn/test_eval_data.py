"""Benchmark folders: finding sets, skipping what is not an image, and preparing LR/HR pairs."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from liif_viewer.learn.eval_data import EvalDataError, bicubic_upsample, find_sets, prepare_pair


def _png(path, w: int, h: int, seed: int = 0) -> np.ndarray:
    arr = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return arr


def test_folder_of_sets_finds_each_set_and_lists_non_images(tmp_path):
    _png(tmp_path / "A" / "x.png", 8, 8)
    _png(tmp_path / "B" / "HR" / "y.png", 8, 8)
    (tmp_path / "B" / "notes.txt").write_text("hello")  # beside HR/: not part of the set
    (tmp_path / "A" / "junk.png").write_bytes(b"not a png")
    (tmp_path / "A" / "README.md").write_text("# about")
    (tmp_path / "empty").mkdir()
    sets = find_sets(tmp_path)
    assert [s.name for s in sets] == ["A", "B"]
    assert [p.name for p in sets[0].images] == ["x.png"]
    assert sets[0].skipped == ("README.md (not an image)", "junk.png (not an image Pillow can read)")
    assert [p.name for p in sets[1].images] == ["y.png"]


def test_a_folder_holding_images_is_one_set(tmp_path):
    _png(tmp_path / "one.png", 8, 8)
    assert [(s.name, len(s.images)) for s in find_sets(tmp_path)] == [(tmp_path.name, 1)]


@pytest.mark.parametrize("setup,message", [
    (lambda p: None, "no images found"),
    (lambda p: (p / "a.txt").write_text("x"), "skipped: a.txt (not an image)"),
    (lambda p: ((p / "S").mkdir(), (p / "S" / "b.jpg").write_bytes(b"x")), "skipped: S/b.jpg"),
])
def test_folders_without_images_say_what_was_skipped(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(EvalDataError, match=re.escape(message)):
        find_sets(tmp_path)
    with pytest.raises(EvalDataError, match="is not a folder"):
        find_sets(tmp_path / "missing")


def test_official_lr_file_is_used_and_hr_cropped_top_left(tmp_path):
    hr = _png(tmp_path / "S" / "img.png", 11, 10)
    lr = _png(tmp_path / "S" / "LR_bicubic" / "X3" / "imgx3.png", 3, 3, seed=1)
    bench = find_sets(tmp_path)[0]
    pair = prepare_pair(bench, bench.images[0], 3)
    assert pair.lr_source == "LR_bicubic"
    np.testing.assert_array_equal(pair.lr_u8, lr)
    np.testing.assert_array_equal(pair.hr_u8, hr[:9, :9])


def test_without_lr_file_hr_is_cropped_to_multiples_and_pillow_bicubic_downscaled(tmp_path):
    hr = _png(tmp_path / "S" / "img.png", 13, 10)
    bench = find_sets(tmp_path)[0]
    pair = prepare_pair(bench, bench.images[0], 4)
    assert pair.lr_source == "pillow-bicubic"
    np.testing.assert_array_equal(pair.hr_u8, hr[:8, :12])
    expected = np.asarray(Image.fromarray(hr[:8, :12]).resize((3, 2), Image.Resampling.BICUBIC))
    np.testing.assert_array_equal(pair.lr_u8, expected)
    with pytest.raises(ValueError, match="smaller than the scale"):
        prepare_pair(bench, bench.images[0], 11)


def test_bicubic_baseline_is_pillow_bicubic_in_float():
    lr = np.random.default_rng(2).integers(0, 256, (6, 7, 3), dtype=np.uint8)
    up = bicubic_upsample(lr, 21, 18)
    assert up.shape == (18, 21, 3) and up.min() >= 0 and up.max() <= 1
    # Pillow's 8-bit path rounds (and clips overshoot) between its two passes; the float path does not.
    eight_bit = np.asarray(Image.fromarray(lr).resize((21, 18), Image.Resampling.BICUBIC)) / 255.0
    assert np.abs(up - eight_bit).mean() < 0.5 / 255
    assert not np.allclose(up * 255, np.round(up * 255))
    flat = np.full((5, 4, 3), 77, np.uint8)
    np.testing.assert_allclose(bicubic_upsample(flat, 12, 15), 77 / 255, atol=1e-6)
