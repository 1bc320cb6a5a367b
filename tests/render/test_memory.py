"""Bounded memory: caches count everything they hold, renders leave nothing behind, no re-encoding loops."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from liif_viewer.cancel import CancelToken
from liif_viewer.render import engine as engine_module
from liif_viewer.render import memory
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.memory import Trimmer, malloc_trim
from liif_viewer.render.viewport import Viewport


@pytest.fixture
def engine(model, sample_rgb):
    eng = RenderEngine(model, screen_tile=64, feature_tile=48)
    eng.set_image(sample_rgb[120:232, 170:282])  # 112 x 112 of the face
    return eng


def _cancel_after(engine: RenderEngine, precision: str, batches: int) -> CancelToken:
    """A cancel token that fires when ``batches`` more MLP batches have run (as a newer request would)."""
    dec = engine.decoder(precision)
    start = dec.batches_run
    return CancelToken(lambda: dec.batches_run - start >= batches)


def _working(engine: RenderEngine) -> int:
    return engine.tiles.live_bytes() - engine.tiles.nbytes


@pytest.mark.parametrize("zoom,precision,batches", [
    (1.5, "fast", 2),    # cancelled during the coarse preview (codes encoded): every tile projected
    (1.5, "exact", 12),  # cancelled while finishing tiles
    (12.0, "fast", 3),   # adaptive: band interpolations as well as projections
])
def test_a_cancelled_render_leaves_no_working_state_in_cached_tiles(engine, zoom, precision, batches):
    engine.features().region(0, 112, 0, 112)  # codes ready, so the render starts with a preview
    vp = Viewport(56.0, 56.0, zoom, 150, 120)
    steps = list(engine.render_liif(vp, precision, cancel=_cancel_after(engine, precision, batches)))
    assert "final" not in [s.kind for s in steps]
    assert len(engine.tiles) > 0
    assert _working(engine) == 0  # before: up to ~140 MB of projections per tile stayed in the cache
    # and the view still renders to the same image as an uninterrupted render
    done = list(engine.render_liif(vp, precision))[-1].image
    engine.tiles.clear()
    np.testing.assert_array_equal(done, list(engine.render_liif(vp, precision))[-1].image)


@pytest.mark.parametrize("precision", ["fast", "exact"])
def test_finished_tiles_keep_no_working_state(model, sample_rgb, precision):
    """A view needing more tiles than the budget, rendered progressively and in one call: every finished
    tile drops its projections and bands. (The soak walk, tests/app/test_soak.py, is what caught tiles
    finished by ``liif_tiles`` keeping them: 17 MB held against an 8 MB budget.)"""
    eng = RenderEngine(model, screen_tile=64, feature_tile=48, tile_budget_bytes=160 << 10)  # ~3 tiles of 64 px
    eng.set_image(sample_rgb[120:232, 170:282])
    vp = Viewport(56.0, 56.0, 32.0, 300, 200)  # 5 x 4 screen tiles or more
    steps = list(eng.render_liif(vp, precision))
    assert steps[-1].kind == "final" and len(eng.tiles) < eng.tile_count(vp)
    assert _working(eng) == 0 and eng.tiles.live_bytes() <= eng.tiles.budget_bytes
    eng.tiles.clear()
    eng.render_liif_sync(vp, precision)  # the one-call path (exports, bench) finishes tiles the same way
    assert _working(eng) == 0 and eng.tiles.live_bytes() <= eng.tiles.budget_bytes


def test_dropped_tiles_are_freed_at_once_not_by_the_cyclic_collector(engine):
    """A job <-> sampler reference cycle left every dropped tile to the rarely running cyclic collector."""
    engine.features().region(0, 112, 0, 112)
    gc.collect()
    gc.disable()
    try:
        refs = []
        for zoom, batches in ((1.5, 2), (12.0, 3), (2.5, None)):
            vp = Viewport(56.0, 56.0, zoom, 150, 120)
            cancel = _cancel_after(engine, "fast", batches) if batches else None
            list(engine.render_liif(vp, "fast", cancel=cancel))
            refs += [weakref.ref(engine.tile_job(vp, *k, "fast")[0]) for k in vp.visible_tiles(engine.screen_tile)]
        engine.tiles.clear()
        assert refs and all(ref() is None for ref in refs)
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        assert not {type(o).__name__ for o in gc.garbage} & {"TileJob", "TileSampler", "CodeRegion", "RenderStep"}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_the_preview_is_skipped_when_its_working_state_would_pass_the_allowance(engine, monkeypatch):
    engine.features().region(0, 112, 0, 112)
    vp = Viewport(56.0, 56.0, 1.2, 130, 130)
    monkeypatch.setattr(engine_module, "PREVIEW_WORKING_BYTES", 4 << 20)
    peak = [0]

    def watch() -> bool:  # called before every MLP batch
        peak[0] = max(peak[0], _working(engine))
        return False

    kinds = [s.kind for s in engine.render_liif(vp, "fast", cancel=CancelToken(watch))]
    assert "preview" not in kinds and kinds[-1] == "final"
    assert 0 < peak[0] <= engine.working_limit_bytes()
    assert _working(engine) == 0
    engine.tiles.clear()
    monkeypatch.setattr(engine_module, "PREVIEW_WORKING_BYTES", 256 << 20)
    assert "preview" in [s.kind for s in engine.render_liif(vp, "fast")]


def test_a_view_needing_more_features_than_the_budget_encodes_each_tile_once(model, sample_rgb):
    engine = RenderEngine(model, screen_tile=64, feature_tile=32, feature_budget_bytes=1 << 20)
    engine.set_image(sample_rgb[120:232, 170:282])
    store = engine.features()
    vp = Viewport(56.0, 56.0, 1.5, 170, 170)  # reads every one of the 16 feature tiles (~256 KB each)
    steps = list(engine.render_liif(vp, "exact"))
    assert steps[-1].final
    assert store.encodes == store.rows * store.cols == 16  # never evicted and encoded again meanwhile
    assert store.cached_bytes > store.budget_bytes and store.cached_bytes <= store.limit_bytes
    store.pin([(0, 0)])  # the next frame needs one tile: back within the budget
    assert store.cached_bytes <= store.budget_bytes == store.limit_bytes


def test_feature_and_tile_caches_stay_within_their_budgets_over_many_views(model, sample_rgb):
    engine = RenderEngine(model, screen_tile=64, feature_tile=48, feature_budget_bytes=3 << 20,
                          tile_budget_bytes=2 << 20)
    engine.set_image(sample_rgb[120:232, 170:282])
    rng = np.random.default_rng(5)
    for i in range(10):
        vp = Viewport(*rng.uniform(10, 100, 2), float(rng.choice([1.0, 2.5, 6.0, 20.0])), 96, 80)
        cancel = _cancel_after(engine, "fast", 3) if i % 2 else None
        for _ in engine.render_liif(vp, "fast", cancel=cancel):
            assert engine.tiles.nbytes <= engine.tiles.budget_bytes
        store = engine.features()
        assert store.cached_bytes <= store.limit_bytes
        assert engine.tiles.live_bytes() == engine.tiles.nbytes <= engine.tiles.budget_bytes


def test_trimmer_trims_at_most_once_per_interval():
    trimmer = Trimmer(interval_s=60.0)
    trimmer.maybe_trim()
    trimmer.maybe_trim()
    assert trimmer.calls == (1 if memory._LIBC is not None else 0)
    assert isinstance(malloc_trim(), bool)


def test_bf16_batches_reach_onednn_in_few_row_counts():
    """oneDNN keeps a kernel (~0.5 MB) per row count, built once per process; a query of any length pads to 7."""
    import torch

    from liif_viewer.render.fast_query import _pad_rows

    sizes = set()
    for rows in range(1, 4097):
        act = torch.arange(rows * 2, dtype=torch.float32).view(rows, 2).to(torch.bfloat16)
        padded = _pad_rows(act)
        sizes.add(padded.shape[0])
        assert padded.shape[0] >= rows and torch.equal(padded[:rows], act) and not padded[rows:].any()
    assert sorted(sizes) == [64, 128, 256, 512, 1024, 2048, 4096]
