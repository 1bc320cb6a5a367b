"""The render engine: exact views equal the reference query; progressive, cached, cancellable."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from liif_viewer.cancel import CancelToken
from liif_viewer.model.coords import lattice_coord, lattice_size
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.inspection import psnr
from liif_viewer.render.resample import to_display_uint8
from liif_viewer.render.viewport import Viewport

BG = (0.25, 0.5, 0.75)


@pytest.fixture
def engine(model, sample_rgb):
    eng = RenderEngine(model, screen_tile=64, feature_tile=48, background=BG)
    eng.set_image(sample_rgb[150:210, 190:260])  # 60 x 70 crop of the face
    return eng


def _reference_view(model, rgb: np.ndarray, vp: Viewport) -> np.ndarray:
    """The paper's straightforward query at every inside pixel centre of ``vp``; background elsewhere.

    The view is a window into the virtual output grid of ``image size x scale`` pixels per axis;
    its pixels' coordinates are that grid's ``make_coord`` centres (the official arithmetic).
    """
    h, w = rgb.shape[:2]
    xs, ys = vp.pixel_centres()
    ox, oy = vp.origin_lattice
    out = np.empty((vp.height, vp.width, 3), np.float32)
    out[:] = BG
    inside_y = (ys >= 0) & (ys < h)
    inside_x = (xs >= 0) & (xs < w)
    grid_h, grid_w = lattice_size(h, vp.sy), lattice_size(w, vp.sx)
    ny = lattice_coord(oy, vp.height, grid_h)[torch.from_numpy(inside_y)]
    nx = lattice_coord(ox, vp.width, grid_w)[torch.from_numpy(inside_x)]
    coord = torch.stack(torch.meshgrid(ny, nx, indexing="ij"), -1).reshape(1, -1, 2)
    cell = torch.tensor([2 / grid_h, 2 / grid_w]).expand(1, coord.shape[1], 2)
    with torch.no_grad():
        feat = model.encode(torch.from_numpy(rgb).permute(2, 0, 1).contiguous())
        pred = model.query(feat, coord, cell)[0].clamp(0, 1).numpy()
    out[np.ix_(inside_y, inside_x)] = pred.reshape(inside_y.sum(), inside_x.sum(), 3)
    return out


@pytest.mark.parametrize("vp", [
    Viewport(35.0, 30.0, 1.0, 70, 60),            # 1:1, whole image
    Viewport(3.3, 57.1, 5.3, 90, 70),            # x5.3 across the top-left... bottom-left corner
    Viewport(69.0, 2.0, 12.0, 100, 80),          # x12 at the top-right corner, half outside
    Viewport(20.0, 30.0, 3.0, 97, 61, 4.5),      # stretched (export to any aspect)
])
def test_exact_view_equals_reference(engine, model, vp):
    got = engine.render_liif_sync(vp, "exact")
    ref = _reference_view(model, engine.rgb, vp)
    assert got.shape == (vp.height, vp.width, 3)
    assert np.abs(got - ref).max() <= 1e-5


def test_fast_view_psnr(engine):
    vp = Viewport(30.0, 30.0, 6.0, 120, 100)
    exact = engine.render_liif_sync(vp, "exact")
    fast = engine.render_liif_sync(vp, "fast")
    db = psnr(exact, fast)
    assert db >= 60, db


def test_progressive_steps_end_in_the_sync_result(engine):
    vp = Viewport(30.0, 25.0, 4.0, 150, 130)
    engine.features("fast", 4.0).region(0, 60, 0, 70)  # encode everything first (the codes x4 reads)
    steps = list(engine.render_liif(vp, "fast", request_id=7))
    kinds = [s.kind for s in steps]
    assert kinds[0] == "standin" and kinds[1] == "preview" and kinds[-1] == "final"
    assert all(s.request_id == 7 for s in steps)
    assert steps[1].evaluated_fraction < 0.25
    np.testing.assert_array_equal(steps[-1].image, engine.render_liif_sync(vp, "fast"))
    # the coarse preview is already close to the final image
    assert np.abs(steps[1].image - steps[-1].image).mean() < 0.05


def test_encoding_steps_when_features_missing(engine):
    steps = list(engine.render_liif(Viewport(30.0, 30.0, 2.0, 80, 80), "exact"))
    assert "encoding" in [s.kind for s in steps]
    assert steps[-1].final


def test_panning_renders_only_new_tiles(engine):
    vp = Viewport(30.0, 30.0, 8.0, 128, 128)
    engine.render_liif_sync(vp, "exact")
    dec = engine.decoder("exact")
    before = dec.queries_run
    engine.render_liif_sync(vp, "exact")
    assert dec.queries_run == before  # same view: all from the tile cache
    engine.render_liif_sync(vp.panned_by(-64, 0), "exact")  # a newly exposed strip of 64 x 128
    assert dec.queries_run - before == 64 * 128


def test_superseded_request_stops_within_one_batch(engine):
    engine.render_liif_sync(Viewport(30.0, 30.0, 1.0, 70, 60), "exact")  # features ready
    dec = engine.decoder("exact")
    start = dec.batches_run
    # What a newer request does from the GUI thread, here at a deterministic moment: during batch 3.
    token = CancelToken(lambda: dec.batches_run - start >= 3)
    kinds = [s.kind for s in engine.render_liif(Viewport(30.0, 30.0, 10.0, 300, 300), "exact", cancel=token)]
    assert token.cancelled and "final" not in kinds
    assert dec.batches_run - start == 3  # ~45 batches were due; none started after the cancel


def test_classic_panes_are_aligned(engine):
    vp = Viewport(12.7, 40.2, 7.0, 90, 80)
    xs, ys = vp.pixel_centres()
    nearest = engine.render_classic(vp, "nearest")
    ref = engine.image_u8[np.floor(ys).astype(int)][:, np.floor(xs).astype(int)]
    np.testing.assert_array_equal(to_display_uint8(nearest), ref)
    for method in ("bilinear", "bicubic", "area"):
        assert engine.render_classic(vp, method).shape == (80, 90, 3)


def test_outside_the_image_is_background(engine):
    vp = Viewport(-100.0, -100.0, 2.0, 40, 40)
    assert np.all(engine.render_liif_sync(vp, "exact") == np.float32(BG))
    assert np.all(engine.render_classic(vp, "bilinear") == np.float32(BG))


def test_tiles_refined_together_equal_tiles_refined_alone(model, sample_rgb):
    """Fast mode at high zoom refines tiles in groups with shared batches: same pixels as one by one."""
    vp = Viewport(230.0, 150.0, 30.0, 300, 200)
    together, alone = RenderEngine(model, screen_tile=64), RenderEngine(model, screen_tile=64)
    for engine in (together, alone):
        engine.set_image(sample_rgb)
    a = together.render_liif_sync(vp, "fast")
    t = alone.screen_tile
    ox, oy = vp.origin_lattice
    b = np.empty_like(a)
    for tx, ty in vp.visible_tiles(alone.screen_tile):  # one tile per call
        (tile,) = alone.liif_tiles(vp, [(tx, ty)], "fast")
        x0, y0 = tx * t - ox, ty * t - oy
        cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(vp.width, x0 + t), min(vp.height, y0 + t)
        b[cy0:cy1, cx0:cx1] = tile[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
    assert np.abs(a - b).max() * 255 < 0.05


def test_a_cancelled_deep_zoom_render_resumes_to_the_same_image(model, sample_rgb):
    """Cancelling fast mode mid-pass leaves cached tiles that finish exactly like fresh ones."""
    vp = Viewport(230.0, 150.0, 30.0, 300, 200)
    fresh = RenderEngine(model, screen_tile=64)
    fresh.set_image(sample_rgb)
    expected = fresh.render_liif_sync(vp, "fast")
    for stop_after in (1, 3, 6):  # during the band samples, the checks, the refinement
        interrupted = RenderEngine(model, screen_tile=64)
        interrupted.set_image(sample_rgb)
        x, y, w, h = vp.image_rect()
        interrupted.features("fast", 30.0).region(int(y) - 2, int(y + h) + 3, int(x) - 2, int(x + w) + 3)
        decoder = interrupted.decoder("fast")
        start = decoder.batches_run
        cancel = CancelToken(lambda start=start, stop_after=stop_after, decoder=decoder:
                             decoder.batches_run - start >= stop_after)
        steps = list(interrupted.render_liif(vp, "fast", cancel=cancel))
        assert not steps[-1].final, stop_after
        np.testing.assert_array_equal(interrupted.render_liif_sync(vp, "fast"), expected)


def test_a_fresh_view_encodes_only_the_feature_tiles_it_shows(model, sample_rgb):
    """Screen tiles at the view's edge reach beyond it; their hidden part is not encoded."""
    engine = RenderEngine(model)  # 256-px screen tiles: at x4 one covers 64 image px
    engine.set_image(sample_rgb)
    vp = Viewport(74.0, 74.0, 4.0, 64, 64)  # image px 66..82: inside feature tile (1, 1) of 48 px
    tiles = vp.visible_tiles(engine.screen_tile)
    whole = {fk for k in tiles for fk in engine.tile_feature_keys((4.0, 4.0), *k, "fast")}
    shown = {fk for k in tiles for fk in engine._view_feature_keys(vp, k, "fast")}
    steps = list(engine.render_liif(vp, "fast"))
    assert steps[-1].final
    store = engine.features("fast", 4.0)
    assert {k for k in whole if store.has(k)} == shown and len(shown) < len(whole)


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 1)])
def test_images_too_small_for_liif_show_their_true_colours(model, shape):
    """A 1-pixel-wide image is outside what LIIF can encode (it drifts by 25-45 levels, mottled);
    the engine shows the stand-in instead, which for a 1x1 image is its one colour everywhere."""
    from liif_viewer.render.engine import MIN_LIIF_SIDE
    from liif_viewer.render.resample import render_classic

    rng = np.random.default_rng(1)
    rgb = np.full((*shape, 3), (200 / 255, 30 / 255, 30 / 255), np.float32)
    if max(shape) > 1:
        rgb[..., 1] += rng.uniform(0, 0.2, shape).astype(np.float32)  # a strip varies along its length
    eng = RenderEngine(model, screen_tile=64, background=BG)
    eng.set_image(rgb)
    assert not eng.liif_applies and min(shape) < MIN_LIIF_SIDE
    h, w = shape
    for vp in (Viewport(w / 2, h / 2, 100.0, 150, 130), Viewport(w / 2, h / 2, 0.5, 20, 20)):
        steps = list(eng.render_liif(vp, "fast"))
        assert [s.kind for s in steps] == ["final"]
        expected = render_classic(to_display_uint8(rgb), vp, "bilinear" if vp.scale >= 1 else "area", BG)
        np.testing.assert_array_equal(steps[0].image, expected)
        np.testing.assert_array_equal(eng.render_liif_sync(vp, "exact"), expected)  # tile by tile (exports)
    if shape == (1, 1):
        shown = to_display_uint8(eng.render_liif_sync(Viewport(0.5, 0.5, 100.0, 100, 100), "exact"))
        assert (shown.reshape(-1, 3) == (200, 30, 30)).all()  # every pixel, not a mottled (184, 60, 51)
    eng.set_image(np.repeat(np.repeat(rgb, 2, axis=0), 2, axis=1))
    assert eng.liif_applies  # two pixels each way are enough


def test_fast_mode_reads_fast_codes_up_to_x2_and_the_stores_share_the_budget(model, sample_rgb):
    from liif_viewer.render.engine import FAST_ENCODER_MAX_ZOOM

    engine = RenderEngine(model, screen_tile=64, feature_tile=32, feature_budget_bytes=8 << 20)
    engine.set_image(sample_rgb[:120, :120])
    low, high = Viewport(60.0, 60.0, FAST_ENCODER_MAX_ZOOM, 64, 64), Viewport(60.0, 60.0, 4.0, 64, 64)
    engine.render_liif_sync(low, "fast")
    fast_store = engine.features("fast", FAST_ENCODER_MAX_ZOOM)
    assert fast_store.precision == "fast" and fast_store.cached_bytes > 0
    engine.render_liif_sync(high, "fast")
    exact_store = engine.features("fast", 4.0)
    assert exact_store is engine.features("exact") and exact_store.cached_bytes > 0
    assert exact_store.budget_bytes + fast_store.budget_bytes == 8 << 20
    assert fast_store.budget_bytes == 2 << 20 and fast_store.cached_bytes <= 2 << 20  # the one not in use
    # exact mode never reads the fast codes
    exact = engine.render_liif_sync(low, "exact")
    fresh = RenderEngine(model, screen_tile=64, feature_tile=32)
    fresh.fast_encoder = False
    fresh.set_image(sample_rgb[:120, :120])
    np.testing.assert_array_equal(exact, fresh.render_liif_sync(low, "exact"))
