"""Viewport geometry: conversions, zoom about a point, lattice snapping."""

from __future__ import annotations

import numpy as np
import pytest

from liif_viewer.render.viewport import Viewport


def test_fitted_shows_whole_image():
    vp = Viewport.fitted(512, 256, 800, 600)
    x, y, w, h = vp.image_rect()
    assert vp.scale == pytest.approx(800 / 512)
    assert x <= 0 and y <= 0 and x + w >= 512 and y + h >= 256


@pytest.mark.parametrize("factor", [1.25, 0.5, 8.0])
def test_zoom_keeps_point_under_cursor(factor):
    vp = Viewport(100.0, 80.0, 2.0, 640, 480)
    cursor = (123.0, 321.0)
    before = vp.screen_to_image(*cursor)
    after = vp.zoomed_at(cursor, factor)
    sx, sy = after.image_to_screen(*before)
    assert abs(sx - cursor[0]) <= 0.5 and abs(sy - cursor[1]) <= 0.5  # within the lattice snap


def test_pan_moves_content_with_the_drag():
    vp = Viewport(100.0, 80.0, 4.0, 200, 200)
    moved = vp.panned_by(40, -20)
    assert moved.image_to_screen(*vp.screen_to_image(50, 50)) == pytest.approx((90, 30), abs=0.5)


def test_pixel_centres_follow_lattice():
    vp = Viewport(10.3, 7.9, 3.0, 5, 4)
    xs, ys = vp.pixel_centres()
    ox, oy = vp.origin_lattice
    np.testing.assert_allclose(xs, (ox + np.arange(5) + 0.5) / 3)
    np.testing.assert_allclose(ys, (oy + np.arange(4) + 0.5) / 3)


def test_from_region_whole_image_is_exact_and_stretches():
    vp = Viewport.from_region(0, 0, 40, 36, 333, 517)
    assert vp.origin_lattice == (0, 0)
    assert vp.image_rect() == pytest.approx((0, 0, 40, 36))
    assert vp.sx == pytest.approx(333 / 40) and vp.sy == pytest.approx(517 / 36)


def test_invalid_viewports_raise():
    with pytest.raises(ValueError):
        Viewport(0, 0, 1.0, 0, 10)
    with pytest.raises(ValueError):
        Viewport(0, 0, float("nan"), 10, 10)


def test_visible_tiles_cover_the_view_once_nearest_the_middle_first():
    vp = Viewport(50.0, 40.0, 2.0, 300, 200)  # lattice origin (-50, -20): columns [-50, 250), rows [-20, 180)
    assert vp.origin_lattice == (-50, -20)
    tiles = vp.visible_tiles(128)
    assert sorted(tiles) == [(tx, ty) for tx in (-1, 0, 1) for ty in (-1, 0, 1)]
    assert tiles[0] == (0, 0)  # the middle (lattice 100, 80) lies in tile (0, 0)
    covered = np.zeros((200, 300), int)
    for tx, ty in tiles:
        x0, y0 = tx * 128 + 50, ty * 128 + 20
        covered[max(0, y0):max(0, y0 + 128), max(0, x0):max(0, x0 + 128)] += 1
    assert (covered == 1).all()
    assert Viewport(32.0, 32.0, 2.0, 128, 128).visible_tiles(128) == [(0, 0)]  # exactly one tile
    assert Viewport(32.5, 32.0, 2.0, 128, 128).visible_tiles(128) == [(0, 0), (1, 0)]  # one lattice px over
