"""The whole-view pass (the GPU path, run here on the CPU) equals the tiled renderer."""

from __future__ import annotations

import numpy as np
import pytest

from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.view_pass import render_view
from liif_viewer.render.viewport import Viewport

BG = (0.25, 0.5, 0.75)


@pytest.fixture(scope="module")
def engine(model, sample_rgb):
    eng = RenderEngine(model, screen_tile=64, feature_tile=32, background=BG)
    eng.set_image(sample_rgb[100:190, 150:260])  # 90 x 110
    return eng


@pytest.mark.parametrize("vp", [
    Viewport(55.0, 45.0, 1.0, 110, 90),           # 1:1, the whole image
    Viewport(3.3, 80.1, 5.3, 90, 70),             # x5.3 at the bottom-left corner, part outside
    Viewport(40.0, 30.0, 2.0, 97, 61, 3.5),       # stretched
])
@pytest.mark.parametrize("precision", ["exact", "fast"])
def test_view_pass_equals_the_tiled_renderer(engine, vp, precision):
    engine.adaptive = False  # every pixel, as the pass does
    tiled = engine.render_liif_sync(vp, precision)
    store = engine.features(precision, min(vp.sx, vp.sy))  # the codes the tiles read at this zoom
    one_pass = render_view(vp, store, engine.decoder(precision), BG).cpu().numpy()
    assert one_pass.shape == tiled.shape
    # fast: bf16 hidden layers round sums made over other code regions and batches: ~0.03 levels
    assert np.abs(one_pass - tiled).max() <= (2e-6 if precision == "exact" else 1e-3)


def test_bands_of_rows_equal_one_pass(engine):
    vp = Viewport(50.0, 40.0, 3.0, 120, 100)
    store, decoder = engine.features("exact"), engine.decoder("exact")
    whole = render_view(vp, store, decoder, BG)
    batches = decoder.batches_run
    banded = render_view(vp, store, decoder, BG, max_codes=400)  # ~10 code rows of ~44 columns per pass
    assert decoder.batches_run - batches > 3
    assert np.abs((whole - banded).cpu().numpy()).max() <= 2e-6


@pytest.mark.parametrize("precision", ["exact", "fast"])
def test_the_engine_renders_a_view_in_one_pass_where_asked(model, sample_rgb, precision):
    """``view_pass`` (on by default on CUDA): stand-in, encoding, then the final image of one pass."""
    tiled = RenderEngine(model, screen_tile=64, feature_tile=32, background=BG)
    one = RenderEngine(model, screen_tile=64, feature_tile=32, background=BG)
    assert not one.view_pass  # the CPU keeps its tiles
    one.view_pass = True
    for engine in (tiled, one):
        engine.set_image(sample_rgb[100:190, 150:260])
    vp = Viewport(50.0, 40.0, 2.5, 100, 80)
    steps = list(one.render_liif(vp, precision))
    assert [s.kind for s in steps][0] == "standin" and "encoding" in [s.kind for s in steps]
    assert steps[-1].final and len(one.tiles) == 0  # no screen tiles were made
    expected = tiled.render_liif_sync(vp, precision)
    assert np.abs(steps[-1].image - expected).max() <= (2e-6 if precision == "exact" else 1e-3)
    assert np.abs(one.render_liif_sync(vp, precision) - expected).max() <= (2e-6 if precision == "exact" else 1e-3)
