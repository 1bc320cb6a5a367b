"""Idle prefetch: a half-pane pan finds its pixels ready; a new view stops it at once; memory stays in budget."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from liif_viewer.cancel import CancelToken
from liif_viewer.files.image_io import load_image
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.prefetch import prefetch_steps, ring_view, view_feature_keys, whole_image_fits
from liif_viewer.render.viewport import Viewport
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def photo_12mp(tmp_path_factory) -> np.ndarray:
    """A 4000 x 3000 photo (the sample, enlarged), read back from a PNG in a temporary folder."""
    from PIL import Image

    path = Path(tmp_path_factory.mktemp("big")) / "big.png"
    with Image.open(SAMPLE) as img:
        img.convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC).save(path, compress_level=1)
    return load_image(path).rgb


def test_ring_view_keeps_the_lattice():
    vp = Viewport(123.4, 56.7, 2.0, 64, 48)
    ring = ring_view(vp, 0.5)
    assert (ring.width, ring.height) == (128, 96)
    ox, oy = vp.origin_lattice
    assert ring.origin_lattice == (ox - 32, oy - 24)


def test_a_half_pane_pan_after_prefetch_is_drawn_from_cache(model, sample_rgb):
    engine = RenderEngine(model, screen_tile=64, feature_tile=32)
    engine.set_image(sample_rgb)
    vp = Viewport(250.0, 260.0, 2.0, 96, 80)
    engine.render_liif_sync(vp, "fast")
    steps = list(prefetch_steps(engine, vp, "fast"))
    assert steps and steps[-1].startswith("prefetching features")  # up to the whole (small) image
    store, decoder = engine.features("fast"), engine.decoder("fast")
    assert whole_image_fits(store) and all(store.has(k) for k in store.tiles_for(0, 512, 0, 512))
    encodes, queries = store.encodes, decoder.queries_run
    panned = vp.panned_by(-48, 20)
    got = engine.render_liif_sync(panned, "fast")
    assert store.encodes == encodes and decoder.queries_run == queries  # nothing left to compute
    fresh = RenderEngine(model, screen_tile=64, feature_tile=32)
    fresh.set_image(sample_rgb)
    # fast codes depend a little on the block they were encoded in (20-px halo; oneDNN's bf16 sums
    # in a shape's own order): up to ~0.3 levels here, the same as a fresh render otherwise
    assert np.abs(got - fresh.render_liif_sync(panned, "fast")).max() * 255 < 0.5


def test_below_one_to_one_only_whole_images_within_the_budget_are_prefetched(model, sample_rgb):
    engine = RenderEngine(model, screen_tile=64, feature_tile=32, feature_budget_bytes=1 << 20)
    engine.set_image(sample_rgb[:200, :200])
    assert not whole_image_fits(engine.features("fast"))  # 200 x 200 x 64 x 4 B > 1 MB
    assert list(prefetch_steps(engine, Viewport(100.0, 100.0, 0.5, 64, 64), "fast")) == []
    assert engine.features("fast").cached_bytes == 0


def test_a_new_view_stops_prefetch_within_one_tile(model, photo_12mp):
    engine = RenderEngine(model, feature_budget_bytes=64 << 20)
    engine.set_image(photo_12mp)
    vp = Viewport(2000.0, 1500.0, 2.0, 320, 240)
    engine.render_liif_sync(vp, "fast")
    store = engine.features("fast")
    token = CancelToken()
    encoder_checks_after_cancel, blocks = [], []
    encode = store._encode

    def encode_then_cancel(rgb, cancel=None):
        blocks.append(rgb.shape)
        if len(blocks) == 2:  # a new view arrives while the second block is encoded
            token.cancel()

        def watched() -> bool:
            if token.cancelled:
                encoder_checks_after_cancel.append(1)
            return cancel.cancelled

        return encode(rgb, CancelToken(watched))

    store._encode = encode_then_cancel
    before = store.cached_bytes
    steps = list(prefetch_steps(engine, vp, "fast", token, screen_tiles=False))
    assert token.cancelled and len(blocks) == 2 and len(steps) == 1  # one block done, the second stopped
    assert len(encoder_checks_after_cancel) == 1  # the encoder stopped at its next residual block
    assert before < store.cached_bytes  # the first block's tiles are kept


def test_prefetch_on_a_12mp_photo_stays_within_the_feature_budget(model, photo_12mp):
    budget = 24 << 20
    engine = RenderEngine(model, feature_budget_bytes=budget)
    engine.set_image(photo_12mp)
    vp = Viewport(1000.0, 2000.0, 1.0, 256, 192)
    engine.render_liif_sync(vp, "fast")
    store = engine.features("fast")
    assert not whole_image_fits(store)
    peak = store.cached_bytes
    for _ in prefetch_steps(engine, vp, "fast", screen_tiles=False):
        peak = max(peak, store.cached_bytes)
    assert peak <= budget
    ring = set(view_feature_keys(store, ring_view(vp, 1.0)))
    assert all(k in ring for k in store._cache)  # only the view and its ring, nothing of the rest
    assert sum(store.has(k) for k in ring) > len(view_feature_keys(store, vp))  # and it did prefetch
