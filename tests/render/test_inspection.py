"""Profile sampling, difference images, PSNR and histograms on real classic renders of synthetic images."""

from __future__ import annotations

import numpy as np
import pytest

from liif_viewer.render.inspection import (
    abs_difference,
    channel_values,
    colourise,
    line_points,
    luma_histogram,
    psnr,
    sample_layers,
    sample_render,
)
from liif_viewer.render.resample import render_classic, to_display_uint8
from liif_viewer.render.viewport import Viewport


def soft_edge(width: int = 32, height: int = 16) -> np.ndarray:
    """Grey columns: 40 up to x = 10, then +30 per column up to 190 (a 5-pixel ramp), then 190."""
    row = np.clip(40 + 30 * (np.arange(width) - 10), 40, 190).astype(np.uint8)
    return np.repeat(np.repeat(row[None, :, None], height, axis=0), 3, axis=2)


def test_line_points_one_per_screen_pixel():
    vp = Viewport(16, 8, 8.0, 256, 128)
    distance, xs, ys = line_points((4.0, 8.0), (20.0, 8.0), vp)
    assert len(xs) == 16 * 8 + 1
    assert (xs[0], xs[-1], ys[0], ys[-1]) == (4.0, 20.0, 8.0, 8.0)
    np.testing.assert_allclose(distance, xs - 4.0)
    assert len(line_points((4.0, 8.0), (20.0, 8.0), vp.with_scale(2.0))[1]) == 16 * 2 + 1  # follows the zoom
    assert len(line_points((3.0, 3.0), (3.0, 3.0), vp)[1]) == 2  # a click is still a line


def test_profile_of_a_soft_edge_is_a_staircase_in_pixels_and_a_ramp_in_bilinear():
    image, scale = soft_edge(), 8.0
    vp = Viewport(16, 8, scale, 256, 128)
    # along a row, through screen pixel centres: x from 8.5/8 to ...
    _, xs, ys = line_points((8 + 0.5 / scale, 8.2), (16 - 0.5 / scale, 8.2), vp)
    pixels = channel_values(sample_render(to_display_uint8(render_classic(image, vp, "nearest")), vp, xs, ys))
    bilinear = channel_values(sample_render(to_display_uint8(render_classic(image, vp, "bilinear")), vp, xs, ys))
    # Pixels: constant over each image pixel (8 screen px), stepping 30 levels at pixel borders
    steps = pixels.reshape(8, 8)
    assert np.all(steps == steps[:, :1])
    np.testing.assert_allclose(np.diff(steps[:, 0]), [0, 0, 30, 30, 30, 30, 30], atol=0.01)
    # Bilinear: a straight line between the pixel centres x = 10.5 and 15.5 (slope 30 per image px)
    ramp = (xs >= 10.5) & (xs <= 15.5)
    np.testing.assert_allclose(bilinear[ramp], 40 + 30 * (xs[ramp] - 10.5), atol=1.0)


def test_sample_render_is_nan_off_the_render_and_layers_fill_from_the_top():
    vp = Viewport(16, 8, 4.0, 8, 8)  # a small render: image x in [15, 17), y in [7, 9)
    top = np.full((8, 8, 3), 200, np.uint8)
    values = sample_render(top, vp, np.array([15.1, 16.9, 14.9, 17.1]), np.array([8.0, 8.0, 8.0, 8.0]))
    assert np.all(values[:2] == 200) and np.isnan(values[2:]).all()
    wide = Viewport(16, 8, 4.0, 64, 32)
    bottom = np.full((32, 64, 3), 10, np.uint8)
    both = sample_layers([(bottom, wide), (top, vp)], np.array([16.0, 12.0, 100.0]), np.array([8.0, 8.0, 8.0]))
    assert both[0, 0] == 200 and both[1, 0] == 10 and np.isnan(both[2, 0])


def test_channels():
    rgb = np.array([[10.0, 20.0, 30.0]])
    assert channel_values(rgb, "red")[0] == 10 and channel_values(rgb, "blue")[0] == 30
    assert channel_values(rgb)[0] == pytest.approx(0.299 * 10 + 0.587 * 20 + 0.114 * 30)
    with pytest.raises(ValueError, match="channel must be one of"):
        channel_values(rgb, "alpha")


def test_abs_difference_is_the_largest_channel_difference():
    a = np.array([[[10, 200, 0], [255, 0, 7]]], np.uint8)
    b = np.array([[[12, 190, 0], [0, 3, 7]]], np.uint8)
    np.testing.assert_array_equal(abs_difference(a, b), [[10, 255]])
    np.testing.assert_array_equal(abs_difference(b, a), abs_difference(a, b))
    with pytest.raises(ValueError, match="differ in size"):
        abs_difference(a, b[:, :1])


def test_psnr_of_a_known_error_at_either_peak():
    a = np.full((4, 6, 3), 0.5)
    assert psnr(a, a) == float("inf")
    assert psnr(a, a + 0.01) == pytest.approx(40.0)  # mse 1e-4 of a full range of 1
    assert psnr(a, a - 0.1) == pytest.approx(20.0)  # the sign of the error does not matter
    u8 = to_display_uint8(render_classic(soft_edge(), Viewport(16, 8, 1.0, 32, 16), "nearest"))
    off = u8.astype(np.int16) + 3  # 3 levels everywhere: mse 9 of a full range of 255
    assert psnr(u8, off, 255.0) == pytest.approx(20 * np.log10(255 / 3))
    assert psnr(u8, off, 255.0) == pytest.approx(psnr(u8 / 255.0, off / 255.0))


def test_colourise_maps_levels_to_the_ends_of_the_table():
    lut = np.stack([np.arange(256)] * 3, axis=1).astype(np.uint8)
    out = colourise(np.array([[0, 16, 32, 200]], np.uint8), (0, 32), lut)
    assert out.shape == (1, 4, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, :, 0], [0, 128, 255, 255])


def test_luma_histogram_counts_the_image_not_the_margin():
    image = soft_edge(16, 8)
    vp = Viewport.fitted(16, 8, 64, 64)  # ×4, 16 rows of margin above and below
    u8 = to_display_uint8(render_classic(image, vp, "nearest", background=(1.0, 0.0, 0.0)))
    counts = luma_histogram(u8, vp, (16, 8))
    assert counts.sum() == 64 * 32
    assert counts[40] == 11 * 4 * 32 and counts[190] == 4 * 32  # each image column: 4 x 32 screen px
    np.testing.assert_array_equal(np.nonzero(counts)[0], [40, 70, 100, 130, 160, 190])
