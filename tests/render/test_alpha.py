"""Transparency: an image's alpha resampled like its pane, and RGB composited over the screen-fixed
grey checkerboard by that alpha (straight, not premultiplied, colour)."""

from __future__ import annotations

import numpy as np
import pytest

from liif_viewer.render.alpha import CHECKER_PX, alpha_for_view, over_checkerboard
from liif_viewer.render.viewport import Viewport

LIGHT, DARK = np.float32(0.80), np.float32(0.62)


def _view(scale: float, width: int, height: int, ox: int = 0, oy: int = 0) -> Viewport:
    vp = Viewport((ox + width / 2) / scale, (oy + height / 2) / scale, scale, width, height)
    assert vp.origin_lattice == (ox, oy)
    return vp


def _board(h: int, w: int) -> np.ndarray:
    """The checkerboard by hand: light where (row // 8 + col // 8) is even."""
    board = np.empty((h, w), np.float32)
    for r in range(h):
        for c in range(w):
            board[r, c] = LIGHT if (r // CHECKER_PX + c // CHECKER_PX) % 2 == 0 else DARK
    return board


def test_transparent_pixels_show_the_checkerboard_in_8_px_squares():
    rng = np.random.default_rng(0)
    rgb = rng.random((20, 27, 3), dtype=np.float32)
    out = over_checkerboard(rgb, np.zeros((20, 27), np.float32))
    assert out.shape == (20, 27, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.repeat(_board(20, 27)[:, :, None], 3, axis=2))
    assert out[0, 0, 0] == out[7, 7, 0] == out[8, 8, 0] == LIGHT
    assert out[0, 8, 0] == out[8, 0, 0] == out[19, 26, 0] == DARK
    # the board is fixed to the screen: other colours under it change nothing
    np.testing.assert_array_equal(over_checkerboard(1 - rgb, np.zeros((20, 27), np.float32)), out)


def test_opaque_pixels_show_their_colour_and_partial_alpha_blends_linearly():
    rgb = np.zeros((16, 16, 3), np.float32)
    rgb[..., 0] = 1.0  # red
    np.testing.assert_array_equal(over_checkerboard(rgb, np.ones((16, 16), np.float32)), rgb)
    alpha = np.full((16, 16), 0.25, np.float32)
    out = over_checkerboard(rgb, alpha)
    np.testing.assert_allclose(out[0, 0], [0.25 + 0.75 * 0.80, 0.75 * 0.80, 0.75 * 0.80], rtol=1e-6)
    np.testing.assert_allclose(out[0, 8], [0.25 + 0.75 * 0.62, 0.75 * 0.62, 0.75 * 0.62], rtol=1e-6)


def test_nearest_alpha_repeats_each_pixel_and_is_opaque_outside_the_image():
    alpha = np.array([[0, 255, 128], [64, 32, 0]], np.uint8)  # 3 x 2
    got = alpha_for_view(alpha, _view(2.0, 8, 6, ox=-1, oy=-1), "nearest")
    assert got.shape == (6, 8) and got.dtype == np.float32
    np.testing.assert_array_equal(got[1:5, 1:7], np.repeat(np.repeat(alpha, 2, axis=0), 2, axis=1) / np.float32(255))
    inside = np.zeros((6, 8), bool)
    inside[1:5, 1:7] = True
    assert np.all(got[~inside] == 1.0)  # outside the image the pane's background stays as it is


def test_bilinear_alpha_ramps_between_pixel_centres():
    alpha = np.array([[0, 255]], np.uint8)
    got = alpha_for_view(alpha, _view(2.0, 4, 2), "bilinear")
    # screen centres at image x 0.25 (clamped), 0.75, 1.25, 1.75 (clamped): 0, 63.75, 191.25, 255
    np.testing.assert_array_equal(np.round(got * 255), [[0, 64, 191, 255]] * 2)


@pytest.mark.parametrize("method", ["nearest", "bilinear", "bicubic"])
def test_a_transparent_edge_stays_transparent_up_to_the_image_border(method):
    """Outside is opaque (alpha 1) but must not bleed into the image's own edge pixels."""
    alpha = np.zeros((5, 6), np.uint8)
    got = alpha_for_view(alpha, _view(4.0, 40, 36, ox=-8, oy=-8), method)
    assert np.all(got[8:28, 8:32] == 0.0)
    assert np.all(got[:8] == 1.0) and np.all(got[28:] == 1.0) and np.all(got[:, :8] == 1.0)


def test_area_alpha_below_one_to_one_averages_each_block():
    alpha = np.zeros((8, 8), np.uint8)
    alpha[::2, ::2] = 255  # one opaque pixel in each 2 x 2 block
    got = alpha_for_view(alpha, _view(0.5, 4, 4), "area")
    np.testing.assert_array_equal(np.round(got * 255), np.full((4, 4), 64))  # 255 / 4 = 63.75


def test_a_half_transparent_view_composites_alpha_and_colour_together():
    """What a pane shows for an image with alpha: the resampled alpha weights the resampled colour."""
    alpha = np.array([[255, 0]], np.uint8)
    vp = _view(8.0, 16, 8)
    a = alpha_for_view(alpha, vp, "nearest")
    rgb = np.zeros((8, 16, 3), np.float32)
    rgb[..., 1] = 1.0  # green
    out = over_checkerboard(rgb, a)
    np.testing.assert_array_equal(out[:, :8], rgb[:, :8])  # the opaque pixel: its colour
    np.testing.assert_array_equal(out[:, 8:, 0], np.full((8, 8), DARK))  # the clear one: the board's 2nd square
