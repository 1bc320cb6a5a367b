"""Planning feature blocks: every missing tile once, within the size cap, nearest first."""

from __future__ import annotations

from liif_viewer.render.feature_blocks import block_codes, plan_blocks


def _tiles(blocks):
    return [(r, c) for r0, r1, c0, c1 in blocks for r in range(r0, r1) for c in range(c0, c1)]


def test_a_rectangle_of_missing_tiles_is_one_block_when_it_fits():
    keys = [(r, c) for r in range(2, 6) for c in range(3, 8)]
    assert plan_blocks(keys, tile=32, halo=35, height=1000, width=1000) == [(2, 6, 3, 8)]


def test_large_requests_split_within_the_cap_and_cover_each_tile_once():
    keys = [(r, c) for r in range(0, 20) for c in range(0, 30)]  # 640 x 960 codes
    cap = 300 * 300
    blocks = plan_blocks(keys, tile=32, halo=35, height=4000, width=4000, max_codes=cap)
    assert sorted(_tiles(blocks)) == sorted(keys)
    assert all(block_codes(b, 32, 35, 4000, 4000) <= cap for b in blocks)
    assert len(blocks) <= 16


def test_scattered_tiles_are_not_merged_into_mostly_cached_blocks():
    keys = [(0, 0), (0, 9), (9, 0), (9, 9)]
    blocks = plan_blocks(keys, tile=32, halo=35, height=1000, width=1000)
    assert sorted(_tiles(blocks)) == sorted(keys)


def test_blocks_come_nearest_the_centre_first():
    keys = [(r, c) for r in range(0, 8) for c in range(0, 40)]
    blocks = plan_blocks(keys, tile=32, halo=35, height=256, width=1280, centre_yx=(128, 1200),
                         max_codes=200 * 200)
    first = blocks[0]
    assert first[2] * 32 <= 1200 <= first[3] * 32  # the block holding the centre comes first


def test_edge_blocks_have_no_halo_beyond_the_image():
    assert block_codes((0, 1, 0, 1), 32, 35, 20, 25) == 20 * 25
    assert block_codes((2, 3, 2, 3), 32, 35, 1000, 1000) == (32 + 70) ** 2
    assert block_codes((1, 2, 1, 2), 32, 35, 1000, 1000) == (32 + 32 + 35) ** 2  # clipped at 0


def test_the_fast_store_encodes_in_smaller_blocks_than_the_exact_one(model):
    """bf16 encodes slow down per pixel as blocks outgrow the caches, fp32 ones do not: each store plans
    within its own cap, and both cover a 12 MP photo's 1:1 view with every tile once."""
    import numpy as np

    from liif_viewer.render.feature_blocks import FAST_MAX_BLOCK_CODES, MAX_BLOCK_CODES
    from liif_viewer.render.features import FeatureStore

    rgb = np.zeros((3000, 4000, 3), np.float32)
    keys = [(r, c) for r in range(29, 46) for c in range(18, 32)]  # a 640x720 view's tiles (48 px)
    for precision, cap in (("exact", MAX_BLOCK_CODES), ("fast", FAST_MAX_BLOCK_CODES)):
        store = FeatureStore(model, rgb, precision, tile=48)
        assert store.max_block_codes == cap
        store.plan(keys)
        blocks = store._planned
        assert sorted(_tiles(blocks)) == sorted(keys)
        assert all(block_codes(b, 48, store.halo, 3000, 4000) <= cap for b in blocks)
        sizes = [block_codes(b, 48, store.halo, 3000, 4000) for b in blocks]
        assert (max(sizes) > FAST_MAX_BLOCK_CODES) == (precision == "exact")
