"""The paper's PSNR protocols, and eval's LIIF numbers against the straightforward query on Set5."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from liif_viewer.learn.eval_data import BenchmarkSet, find_sets, prepare_pair
from liif_viewer.learn.evaluate import EvalRow, Skipped, iter_eval, psnr, shave_px
from tests.conftest import shared_dir


def _official_calc_psnr(sr: torch.Tensor, hr: torch.Tensor, dataset: str, scale: int) -> float:
    """LIIF's ``utils.calc_psnr`` (NCHW tensors in [0, 1]), restated for the comparison."""
    diff = sr - hr
    if dataset == "benchmark":
        shave = scale
        convert = diff.new_tensor([65.738, 129.057, 25.064]).view(1, 3, 1, 1) / 256
        diff = diff.mul(convert).sum(dim=1)
    else:
        shave = scale + 6
    valid = diff[..., shave:-shave, shave:-shave]
    return float(-10 * torch.log10(valid.pow(2).mean()))


def test_psnr_benchmark_is_y_of_the_difference_with_scale_shave():
    target = np.full((20, 20, 3), 0.5)
    pred = target + 0.01
    pred[:3] = 1.0  # in the 3-pixel border: shaved at x3, counted at x2
    y_gain = (65.738 + 129.057 + 25.064) / 256
    assert psnr(pred, target, "benchmark", 3) == pytest.approx(-20 * math.log10(0.01 * y_gain), abs=1e-9)
    assert psnr(pred, target, "benchmark", 2) < 30


def test_psnr_div2k_is_rgb_with_scale_plus_six_shave():
    target = np.zeros((30, 30, 3))
    pred = target.copy()
    pred[..., 0] = 0.03  # one channel off: the RGB mean squared error is 0.03² / 3
    pred[:8] = 1.0  # inside the 8-pixel border of x2
    assert shave_px("div2k", 2) == 8
    assert psnr(pred, target, "div2k", 2) == pytest.approx(-10 * math.log10(0.03**2 / 3), abs=1e-9)


def test_psnr_matches_official_formula_on_random_images():
    rng = np.random.default_rng(1)
    hr, sr = rng.random((40, 36, 3)), rng.random((40, 36, 3))
    to_t = lambda a: torch.from_numpy(a).permute(2, 0, 1)[None]  # noqa: E731
    for dataset, scale in [("benchmark", 4), ("div2k", 3)]:
        assert psnr(sr, hr, dataset, scale) == pytest.approx(_official_calc_psnr(to_t(sr), to_t(hr), dataset, scale),
                                                             abs=1e-9)


@pytest.fixture(scope="module")
def set5_crops(tmp_path_factory) -> BenchmarkSet:
    """Top-left crops of two Set5 images and of their official x2/x4 LR files (kept small for speed)."""
    src = shared_dir("benchmarks", "Set5")
    root = tmp_path_factory.mktemp("bench") / "Set5"
    (root / "LR_bicubic").mkdir(parents=True)
    for name in ("butterfly", "head"):
        Image.open(src / f"{name}.png").crop((0, 0, 128, 128)).save(root / f"{name}.png")
        for s in (2, 4):
            (root / "LR_bicubic" / f"X{s}").mkdir(exist_ok=True)
            lr = Image.open(src / "LR_bicubic" / f"X{s}" / f"{name}x{s}.png")
            lr.crop((0, 0, 128 // s, 128 // s)).save(root / "LR_bicubic" / f"X{s}" / f"{name}x{s}.png")
    return find_sets(root)[0]


def _one_image(bench: BenchmarkSet, name: str) -> BenchmarkSet:
    return BenchmarkSet(bench.name, tuple(p for p in bench.images if p.stem == name), bench.lr_root)


@pytest.mark.parametrize("name,scale", [("butterfly", 2), ("butterfly", 4), ("head", 12)])
def test_eval_equals_straightforward_query_on_set5(model, set5_crops, name, scale):
    bench = _one_image(set5_crops, name)
    rows = [r for r in iter_eval(model, "cpu", [bench], [scale]) if isinstance(r, EvalRow)]
    got, mean = rows
    assert (got.image, mean.image, mean.count) == (name, "mean", 1)
    assert mean.psnr_liif == got.psnr_liif

    pair = prepare_pair(bench, bench.images[0], scale)
    assert pair.lr_source == ("LR_bicubic" if scale <= 4 else "pillow-bicubic")
    h, w = pair.hr_u8.shape[:2]
    lr = torch.from_numpy(pair.lr_u8.copy()).permute(2, 0, 1).float() / 255
    reference = model.render_grid(lr, h, w).permute(2, 0, 1)[None]  # the paper's query, clamped
    hr = torch.from_numpy(pair.hr_u8.copy()).permute(2, 0, 1)[None].float() / 255
    expected = _official_calc_psnr(reference, hr, "benchmark", scale)
    assert got.psnr_liif == pytest.approx(expected, abs=2e-3)
    assert got.psnr_liif > got.psnr_bicubic + (2.0 if scale <= 4 else 0.3)


def test_images_too_small_for_a_scale_are_skipped(model, tmp_path):
    Image.new("RGB", (20, 20), (10, 200, 30)).save(tmp_path / "tiny.png")
    bench = find_sets(tmp_path)[0]
    items = list(iter_eval(model, "cpu", [bench], [8, 30]))
    assert [type(i) for i in items] == [Skipped, Skipped]
    assert "border" in items[0].reason and "smaller than the scale" in items[1].reason
