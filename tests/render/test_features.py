"""Tiled encoding equals whole-image encoding; the cache keeps to its budget."""

from __future__ import annotations

import torch

from liif_viewer.cancel import CancelToken
from liif_viewer.render.features import FeatureStore


def test_tiled_encoding_equals_whole_image(model, sample_rgb):
    rgb = sample_rgb[:150, :130]  # 150 x 130 with 48-code tiles: 4 x 3 tiles, partial edge tiles
    store = FeatureStore(model, rgb, "exact", tile=48)
    tiled = store.region(0, 150, 0, 130)
    with torch.no_grad():
        whole = model.encode(torch.from_numpy(rgb).permute(2, 0, 1).contiguous())[0]
    assert store.encodes == 12
    assert (tiled - whole).abs().max().item() <= 1e-4


def test_region_outside_image_is_zero(model, sample_rgb):
    store = FeatureStore(model, sample_rgb[:40, :40], "exact", tile=32)
    region = store.region(-1, 3, 38, 42)
    assert region.shape == (64, 4, 4)
    assert torch.all(region[:, 0] == 0) and torch.all(region[:, :, 2:] == 0)
    assert region[:, 1:, :2].abs().sum() > 0


def test_lru_budget_and_pinning(model, sample_rgb):
    rgb = sample_rgb[:64, :64]
    one_tile = 64 * 32 * 32 * 4
    store = FeatureStore(model, rgb, "exact", tile=32, budget_bytes=2 * one_tile)
    store.pin([(0, 0)])
    for key in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        store.ensure(key)
    assert store.cached_bytes <= 2 * one_tile
    assert store.has((0, 0)) and store.has((1, 1)) and not store.has((0, 1))


def test_fast_precision_features_are_close(model, sample_rgb):
    rgb = sample_rgb[200:260, 200:260]
    exact = FeatureStore(model, rgb, "exact", tile=64).region(0, 60, 0, 60)
    fast = FeatureStore(model, rgb, "fast", tile=64).region(0, 60, 0, 60)
    rel = (exact - fast).norm() / exact.norm()
    assert rel < 0.05


def test_blocks_equal_whole_image_and_stop_when_cancelled(model, sample_rgb):
    rgb = sample_rgb[:120, :140]
    store = FeatureStore(model, rgb, "exact", tile=32)
    keys = store.tiles_for(0, 120, 0, 140)  # 4 x 5 tiles: one block
    checks = []
    assert list(store.encode_iter(keys, CancelToken(lambda: checks.append(1) or len(checks) > 5))) == []
    assert store.cached_bytes == 0 and len(checks) == 6  # stopped inside the encoder, between its blocks
    steps = list(store.encode_iter(keys))
    assert steps == [(20, 20)] and store.encodes == 20
    with torch.no_grad():
        whole = model.encode(torch.from_numpy(rgb).permute(2, 0, 1).contiguous())[0]
    assert (store.region(0, 120, 0, 140) - whole).abs().max().item() <= 1e-4
    assert store.encodes == 20  # region() found every tile cached


def test_a_planned_frame_encodes_its_pieces_in_the_planned_blocks(model, sample_rgb):
    store = FeatureStore(model, sample_rgb[:200, :200], "exact", tile=32)
    calls = []
    encode = store._encode
    store._encode = lambda rgb, cancel=None: calls.append(rgb.shape) or encode(rgb, cancel)
    frame = store.tiles_for(0, 160, 0, 160)  # 5 x 5 tiles: one block, 195 px with its halo, grown to 200
    store.plan(frame, (80.0, 80.0))
    for piece in (store.tiles_for(0, 64, 0, 64), store.tiles_for(64, 160, 0, 160), frame):
        list(store.encode_iter(piece))
    assert calls == [(1, 3, 200, 200)] and all(store.has(k) for k in frame)


def test_crops_grow_to_a_few_shapes_and_keep_the_codes(model, sample_rgb):
    from liif_viewer.render.features import CROP_STEP, _crop_span

    assert _crop_span(64, 128, 35, 1000) == (29, 29 + 5 * CROP_STEP)  # 134 px grown to 160, after
    assert _crop_span(900, 980, 35, 1000) == (1000 - 5 * CROP_STEP, 1000)  # 135 px grown to 160, before
    assert _crop_span(0, 50, 35, 60) == (0, 60)  # the whole (small) image
    rgb = sample_rgb[:200, :200]
    store = FeatureStore(model, rgb, "exact", tile=32)
    store.encode_block((2, 4, 2, 4))
    with torch.no_grad():
        whole = model.encode(torch.from_numpy(rgb).permute(2, 0, 1).contiguous())[0]
    assert (store.region(64, 128, 64, 128) - whole[:, 64:128, 64:128]).abs().max().item() <= 1e-4
    assert store.encodes == 4  # the 2 x 2 tiles, from the one block
