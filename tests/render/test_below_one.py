"""Below 1:1 LIIF shows the input averaged over each screen pixel: the right colours, nothing encoded."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from liif_viewer.model.coords import lattice_coord
from liif_viewer.render.engine import RenderEngine, averaged
from liif_viewer.render.resample import render_classic, to_display_uint8
from liif_viewer.render.viewport import Viewport
from tests.conftest import saturated_rgb

BG = (0.25, 0.5, 0.75)


@pytest.fixture
def engine(model):
    eng = RenderEngine(model, screen_tile=64, feature_tile=48, background=BG)
    eng.set_image(saturated_rgb(160, 120))
    return eng


def _levels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(to_display_uint8(a).astype(np.int16) - to_display_uint8(b))


def _straight_query(model, rgb: np.ndarray, vp: Viewport) -> np.ndarray:
    """The paper's query at the view's inside pixel centres with the view's cell (what LIIF did before)."""
    h, w = rgb.shape[:2]
    xs, ys = vp.pixel_centres()
    xs, ys = xs[(xs >= 0) & (xs < w)], ys[(ys >= 0) & (ys < h)]
    # the official make_coord arithmetic on the view's lattice (pixel k's centre is (k + 0.5) / scale)
    ny = lattice_coord(round(ys[0] * vp.sy - 0.5), len(ys), h * vp.sy)
    nx = lattice_coord(round(xs[0] * vp.sx - 0.5), len(xs), w * vp.sx)
    coord = torch.stack(torch.meshgrid(ny, nx, indexing="ij"), -1).reshape(1, -1, 2)
    cell = torch.tensor([2 / (h * vp.sy), 2 / (w * vp.sx)]).expand(1, coord.shape[1], 2)
    with torch.no_grad():
        feat = model.encode(torch.from_numpy(rgb).permute(2, 0, 1).contiguous())
        return model.query(feat, coord, cell)[0].clamp(0, 1).numpy().reshape(len(ys), len(xs), 3)


@pytest.mark.parametrize("scale", [0.9, 0.5, 0.26, 0.124])
@pytest.mark.parametrize("precision", ["fast", "exact"])
def test_below_one_liif_is_the_area_averaged_input(engine, scale, precision):
    vp = Viewport(80.0, 60.0, scale, max(8, round(200 * scale)), max(8, round(150 * scale)))
    steps = list(engine.render_liif(vp, precision))
    area = render_classic(engine.image_u8, vp, "area", BG)
    assert [s.kind for s in steps] == ["final"]
    assert _levels(steps[-1].image, area).mean() <= 2.0  # the bound; it is in fact equal
    np.testing.assert_array_equal(steps[-1].image, area)
    assert engine.feature_store() is None  # no features encoded on the way (a 12 MP photo would take minutes)


def test_below_one_export_tiles_equal_the_view(engine):
    vp = Viewport(83.3, 61.7, 0.37, 70, 50)
    tiles = np.zeros((vp.height, vp.width, 3), np.float32)
    for x0, y0, block in engine.iter_view_tiles(vp, "exact", order="rows"):
        tiles[y0:y0 + block.shape[0], x0:x0 + block.shape[1]] = block
    assert engine.tile_count(vp) > 1
    assert _levels(tiles, render_classic(engine.image_u8, vp, "area", BG)).max() <= 1


def test_the_straight_query_washes_saturated_colours_out_below_one(engine, model):
    """Why: LIIF asked for cells of ~4 input pixels is far from the picture; at 1:1 it is close."""
    rgb = engine.rgb
    quarter = Viewport(80.0, 60.0, 0.26, 42, 31)
    assert averaged(quarter) and not averaged(Viewport(80.0, 60.0, 1.0, 160, 120))
    area = render_classic(engine.image_u8, quarter, "area")
    assert _levels(_straight_query(model, rgb, quarter), area).mean() > 15  # measured 25 levels
    one = Viewport(80.0, 60.0, 1.0, 160, 120)
    straight_one = _straight_query(model, rgb, one)
    assert _levels(straight_one, rgb).mean() < 8  # measured 5.5 (LIIF smooths this image's noise)
    # and the viewer's LIIF at 1:1 is that query (the rule switches exactly at 1:1)
    assert _levels(engine.render_liif_sync(one, "exact"), straight_one).max() <= 1


def test_exact_exports_below_one_can_ask_for_liifs_own_output(engine):
    """``liif_below_one`` (exact ``upscale``/``export``, ``eval``): exact gives LIIF's output, fast still averages."""
    vp = Viewport(83.3, 61.7, 0.5, 70, 50)
    area = render_classic(engine.image_u8, vp, "area", BG)
    engine.liif_below_one = True
    try:
        exact = engine.render_liif_sync(vp, "exact")
        fast = engine.render_liif_sync(vp, "fast")
    finally:
        engine.liif_below_one = False
    assert _levels(fast, area).max() <= 1
    assert _levels(exact, area).mean() > 1  # LIIF asked for cells of two input pixels drifts from the average
    assert _levels(engine.render_liif_sync(vp, "exact"), area).max() <= 1  # the viewer's default again
