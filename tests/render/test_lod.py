"""Adaptive level of detail: fewer evaluations at high zoom, within the error bound of fast mode."""

from __future__ import annotations

import numpy as np
import pytest

from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.image_io import load_image
from liif_viewer.render.lod import TileSampler
from liif_viewer.render.viewport import Viewport
from tests.conftest import shared_dir


def _sampler(fn, h=64, w=80):
    def evaluate(rows, cols):
        return np.repeat(fn(rows.astype(float), cols.astype(float))[:, None], 3, axis=1).astype(np.float32)
    return TileSampler(h, w, evaluate)


def test_smooth_function_needs_few_evaluations():
    s = _sampler(lambda r, c: 0.5 + 0.3 * np.sin(r / 40) * np.cos(c / 50))
    s.bands(8)
    out = s.refine_cells(0.5 / 255)
    rr, cc = np.meshgrid(np.arange(64), np.arange(80), indexing="ij")
    truth = 0.5 + 0.3 * np.sin(rr / 40) * np.cos(cc / 50)
    assert np.abs(out[..., 0] - truth).max() < 0.5 / 255
    assert s.evaluated / (64 * 80) < 0.1


def test_edges_are_refined_and_band_ends_always_evaluated():
    s = _sampler(lambda r, c: (c > 37.5 + r / 10).astype(float))
    s.bands(8, (0, 64, 0, 80), np.array([29]), np.array([39]))
    out = s.refine_cells(0.5 / 255)
    rr, cc = np.meshgrid(np.arange(64), np.arange(80), indexing="ij")
    truth = (cc > 37.5 + rr / 10).astype(float)
    assert np.abs(out[..., 0] - truth).max() < 1e-6  # the step is found exactly, not blurred
    for line in (0, 29, 30, 63):  # the first and last row of every band: evaluated at the samples
        assert s.known[line, [0, 39, 40, 79]].all()
    for col in (0, 79):  # samples along the edges at most the spacing apart
        assert np.diff(np.flatnonzero(s.known[:, col])).max() <= 8
    assert s.evaluated / (64 * 80) < 0.5


def test_rect_limits_the_work():
    s = _sampler(lambda r, c: r * 0 + 0.5)
    s.coarse(4, (10, 20, 30, 40))
    s.full((10, 20, 30, 40))
    assert s.known.sum() == 100 and s.known[10:20, 30:40].all()
    s = _sampler(lambda r, c: r * 0 + 0.5)
    s.bands(8, (10, 20, 30, 40))
    s.refine_cells()
    assert not s.known[:10].any() and not s.known[:, :30].any() and s.known[10:20, 30:40].any()


def _photos():
    photos = [("astronaut", None)]
    try:
        set14 = shared_dir("benchmarks", "Set14")
        photos += [("set14", set14 / name) for name in ("baboon.png", "comic.png")]
    except pytest.skip.Exception:
        pass
    return photos


@pytest.fixture(scope="module")
def photo_engines(model, sample_rgb):
    """One engine per photo, kept across zooms so each region is encoded once."""
    engines = []
    for name, path in _photos():
        engine = RenderEngine(model)
        engine.set_image(sample_rgb if path is None else load_image(path).rgb)
        engines.append((name, engine))
    return engines


@pytest.mark.parametrize("scale", [2.0, 8.0, 16.0, 24.0, 30.0, 64.0])
def test_fast_mode_error_bound_against_exact(photo_engines, scale):
    """Fast mode (bf16 + adaptive refinement) stays >= 60 dB and <= 2 levels from exact."""
    for name, engine in photo_engines:
        w, h = engine.image_size
        centres = [(w * 0.45, h * 0.4), (1.0, h - 2.0)]  # inside, and a view cut by the image corner
        for cx, cy in centres:
            vp = Viewport(cx, cy, scale, 160, 120)
            exact = engine.render_liif_sync(vp, "exact")
            steps = list(engine.render_liif(vp, "fast"))
            fast = steps[-1].image
            psnr = 10 * np.log10(1 / max(np.mean((fast - exact) ** 2), 1e-20))
            worst = np.abs(fast - exact).max() * 255
            assert psnr >= 60 and worst <= 2.0, (name, scale, cx, cy, psnr, worst)
            if scale >= 30:
                assert steps[-1].evaluated_fraction < 0.5, (name, scale, steps[-1].evaluated_fraction)


def test_exact_mode_is_untouched_by_lod(model, sample_rgb):
    engine = RenderEngine(model)
    engine.set_image(sample_rgb[:64, :64])
    vp = Viewport(32.0, 32.0, 30.0, 96, 96)
    a = engine.render_liif_sync(vp, "exact")
    engine.adaptive = False
    engine.tiles.clear()
    b = engine.render_liif_sync(vp, "exact")
    np.testing.assert_array_equal(a, b)
