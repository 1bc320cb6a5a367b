"""The classic renderers: each screen pixel samples the image at its lattice centre (nearest, bilinear,
bicubic), or averages what it covers below 1:1 (area); the background outside; display rounding."""

from __future__ import annotations

import numpy as np
import pytest

from liif_viewer.render.resample import inside_span, render_classic, standin_method, to_display_uint8
from liif_viewer.render.viewport import Viewport

BG = (0.25, 0.5, 0.75)


def _view(scale: float, width: int, height: int, ox: int = 0, oy: int = 0, sy: float | None = None) -> Viewport:
    """The view whose top-left screen pixel is lattice pixel (ox, oy)."""
    vp = Viewport((ox + width / 2) / scale, (oy + height / 2) / (sy or scale), scale, width, height, sy)
    assert vp.origin_lattice == (ox, oy)
    return vp


def _levels(rgb: np.ndarray) -> np.ndarray:
    """Float output back to the 0..255 levels Pillow computed (render_classic divides uint8 by 255)."""
    levels = rgb * 255
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-3)
    return np.round(levels).astype(int)


def test_inside_span_keeps_the_lattice_pixels_whose_centres_lie_inside():
    assert inside_span(-3, 10, 1.0, 4) == (3, 7)  # centres -2.5 .. 6.5; 0.5 .. 3.5 inside
    assert inside_span(0, 10, 2.0, 3) == (0, 6)  # centre (5 + .5) / 2 = 2.75 < 3, (6 + .5) / 2 outside
    assert inside_span(4, 3, 2.0, 3) == (0, 2)
    assert inside_span(0, 4, 0.5, 3) == (0, 1)  # below 1:1: lattice pixel 1's centre is image x 3 (outside)
    a, b = inside_span(20, 5, 1.0, 4)  # wholly outside: empty
    assert a >= b
    a, b = inside_span(-30, 5, 1.0, 4)
    assert a >= b


def test_nearest_repeats_each_pixel_and_fills_outside_with_the_background():
    image = np.array([[[10, 20, 30], [40, 50, 60], [70, 80, 90]],
                      [[100, 110, 120], [130, 140, 150], [160, 170, 180]]], np.uint8)  # 3 x 2
    out = render_classic(image, _view(2.0, 8, 5, ox=-1, oy=0), "nearest", BG)
    assert out.shape == (5, 8, 3) and out.dtype == np.float32
    inside = _levels(out[:4, 1:7])
    np.testing.assert_array_equal(inside, np.repeat(np.repeat(image, 2, axis=0), 2, axis=1))
    assert np.all(out[:, 0] == np.float32(BG)) and np.all(out[:, 7] == np.float32(BG))
    assert np.all(out[4] == np.float32(BG))


def test_bilinear_interpolates_between_pixel_centres_and_clamps_at_the_edges():
    image = np.zeros((1, 2, 3), np.uint8)
    image[0, 1] = (200, 100, 40)
    out = _levels(render_classic(image, _view(2.0, 4, 2), "bilinear"))
    # screen centres at image x 0.25 (before the first pixel centre: clamped), 0.75, 1.25, 1.75 (clamped)
    np.testing.assert_array_equal(out[0, :, 0], [0, 50, 150, 200])
    np.testing.assert_array_equal(out[0, :, 1], [0, 25, 75, 100])
    np.testing.assert_array_equal(out[0, :, 2], [0, 10, 30, 40])
    np.testing.assert_array_equal(out[0], out[1])  # one image row: every screen row the same


@pytest.mark.parametrize("method", ["bilinear", "bicubic"])
def test_interpolation_reproduces_a_linear_ramp_inside_the_image(method):
    """Both filters are exact on linear functions: away from the clamped edges each screen pixel is
    the ramp at its lattice centre, to within Pillow's rounding to a level."""
    yy, xx = np.mgrid[0:12, 0:16]
    ramp = 20.0 + 10.0 * xx + 6.0 * yy  # 20 .. 236
    image = np.repeat(ramp[:, :, None], 3, axis=2).astype(np.uint8)
    vp = _view(2.5, 30, 20, ox=5, oy=4, sy=1.5)
    out = render_classic(image, vp, method)
    xs, ys = vp.pixel_centres()
    expected = 20.0 + 10.0 * (xs[None, :] - 0.5) + 6.0 * (ys[:, None] - 0.5)
    inner = (ys[:, None] > 2.0) & (ys[:, None] < 10.0) & (xs[None, :] > 2.0) & (xs[None, :] < 14.0)
    assert inner.sum() > 200
    assert np.abs(out[:, :, 1] * 255 - expected)[inner].max() <= 0.51


@pytest.mark.parametrize(("scale", "block"), [(0.5, 2), (0.25, 4)])
def test_area_below_one_to_one_is_the_mean_of_each_covered_block(scale, block):
    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    vp = _view(scale, 6, 5, ox=2, oy=1)  # screen pixel (r, c) covers image rows (1 + r) * block .. + block
    out = _levels(render_classic(image, vp, "area"))
    y0, x0 = block, 2 * block
    crop = image[y0:y0 + 5 * block, x0:x0 + 6 * block].astype(np.float64)
    means = crop.reshape(5, block, 6, block, 3).mean(axis=(1, 3))
    assert np.abs(out - means).max() <= 1.0
    # exactly: Pillow averages along rows, rounds half up to a level, then averages down the columns
    rows = np.floor(crop.reshape(5 * block, 6, block, 3).mean(axis=2) + 0.5)
    np.testing.assert_array_equal(out, np.floor(rows.reshape(5, block, 6, 3).mean(axis=1) + 0.5))


def test_the_background_is_used_only_outside_the_image():
    image = np.full((4, 4, 3), 255, np.uint8)
    for method in ("nearest", "bilinear", "bicubic", "area"):
        out = render_classic(image, _view(1.0, 8, 8, ox=-2, oy=-2), method, BG)
        assert np.all(out[2:6, 2:6] == 1.0), method  # no background bleeds into the image's edge pixels
        outside = np.ones((8, 8), bool)
        outside[2:6, 2:6] = False
        assert np.all(out[outside] == np.float32(BG)), method
    away = render_classic(image, _view(1.0, 5, 5, ox=100), "bilinear", BG)
    assert np.all(away == np.float32(BG))


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="lanczos"):
        render_classic(np.zeros((2, 2, 3), np.uint8), _view(1.0, 2, 2), "lanczos")


def test_the_stand_in_is_bilinear_from_one_to_one_and_area_below():
    assert standin_method(_view(1.0, 4, 4)) == "bilinear"
    assert standin_method(_view(7.5, 4, 4)) == "bilinear"
    assert standin_method(_view(0.99, 4, 4)) == "area"
    assert standin_method(_view(2.0, 4, 4, sy=0.5)) == "area"  # either axis below 1:1


def test_display_uint8_rounds_half_up_and_clips():
    levels = np.arange(256)
    np.testing.assert_array_equal(to_display_uint8(levels / 255.0), levels)  # every level survives
    half = np.array([0.5, 1.5, 127.5, 254.5]) / 255
    np.testing.assert_array_equal(to_display_uint8(half), [1, 2, 128, 255])
    np.testing.assert_array_equal(to_display_uint8(half - 1e-4), [0, 1, 127, 254])
    rgb = np.array([[[-0.3, 1.7, 0.5]]], np.float32)
    copy = rgb.copy()
    out = to_display_uint8(rgb)
    assert out.dtype == np.uint8 and out.shape == (1, 1, 3)
    np.testing.assert_array_equal(out, [[[0, 255, 128]]])
    np.testing.assert_array_equal(rgb, copy)  # the input is left as it was
