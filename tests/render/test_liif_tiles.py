"""LIIF on lattice tiles: which pixels a tile holds, which codes it reads, and that tiling, grouping,
cancelling and releasing a tile's pass never change a pixel."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import pytest
import torch

from liif_viewer.cancel import Cancelled, CancelToken
from liif_viewer.model.coords import make_coord
from liif_viewer.render.fast_query import FoldedDecoder
from liif_viewer.render.features import FeatureStore
from liif_viewer.render.liif_tiles import TileJob, code_box, run_together, tile_inside


@pytest.fixture(scope="module")
def crop(sample_rgb) -> np.ndarray:
    return np.ascontiguousarray(sample_rgb[150:166, 200:220])  # 20 x 16 of the face


def _store(model, rgb: np.ndarray, precision: str = "exact") -> FeatureStore:
    return FeatureStore(model, rgb, precision, tile=48)


def _jobs(model, rgb, scale, tile, precision="exact", batch_size=None, store=None, decoder=None, adaptive=False):
    """Every lattice tile of the whole image at ``scale``: [(tx, ty, job)], and the decoder.

    ``adaptive``: the final pass refines adaptively above x4 (what fast mode does), else every pixel."""
    h, w = rgb.shape[:2]
    store = store or _store(model, rgb, precision)
    decoder = decoder or FoldedDecoder(model, precision, batch_size=batch_size)
    out = []
    for ty in range(math.ceil(h * scale[1] / tile)):
        for tx in range(math.ceil(w * scale[0] / tile)):
            inside = tile_inside(scale, tx, ty, tile, w, h)
            if inside is not None:
                out.append((tx, ty, TileJob(inside, scale, decoder, store, adaptive=adaptive)))
    return out, decoder


def _compose(jobs, values, tile, shape) -> np.ndarray:
    canvas = np.full((*shape, 3), np.nan, np.float32)
    for (tx, ty, job), v in zip(jobs, values, strict=True):
        i = job.inside
        y0, x0 = ty * tile + i.r0, tx * tile + i.c0
        canvas[y0:y0 + v.shape[0], x0:x0 + v.shape[1]] = v
    return canvas


def _render(jobs, decoder, cancel=None) -> list[np.ndarray]:
    return run_together([(job, job.finish_steps()) for _, _, job in jobs], decoder, cancel)


# --- geometry -----------------------------------------------------------------------------------------
def test_tile_inside_holds_the_pixels_whose_centres_lie_in_the_image():
    # a 10 x 6 image at x2 is 20 x 12 screen px; 16-px tiles
    first = tile_inside((2.0, 2.0), 0, 0, 16, 10, 6)
    assert (first.r0, first.c0, len(first.ys), len(first.xs)) == (0, 0, 12, 16)
    np.testing.assert_array_equal(first.xs, (np.arange(16) + 0.5) / 2)
    edge = tile_inside((2.0, 2.0), 1, 0, 16, 10, 6)  # screen cols 16..19 are inside, 20..31 are not
    assert (edge.c0, len(edge.xs)) == (0, 4)
    np.testing.assert_array_equal(edge.xs, [8.25, 8.75, 9.25, 9.75])
    assert edge.cell == (2 / 12, 2 / 20)
    for tx, ty in ((2, 0), (0, 1), (-1, 0), (0, -1)):
        assert tile_inside((2.0, 2.0), tx, ty, 16, 10, 6) is None
    # a fractional zoom: 5 px at x1.5 is 7.5 screen px, and pixel 7's centre (7.5 / 1.5 = 5) is outside
    odd = tile_inside((1.5, 1.5), 0, 0, 8, 5, 5)
    assert len(odd.xs) == len(odd.ys) == 7 and odd.cell == (2 / 7.5, 2 / 7.5)


@pytest.mark.parametrize("scale", [(0.7, 0.7), (1.0, 1.0), (2.37, 2.37), (3.0, 1.25), (13.1, 13.1)])
def test_tile_inside_matches_the_pixel_centre_test_everywhere(scale):
    w, h, tile = 17, 11, 16
    seen = np.zeros((math.ceil(h * scale[1]) + tile, math.ceil(w * scale[0]) + tile), int)
    for ty in range(-1, seen.shape[0] // tile + 1):
        for tx in range(-1, seen.shape[1] // tile + 1):
            cols = np.arange(tx * tile, (tx + 1) * tile)
            rows = np.arange(ty * tile, (ty + 1) * tile)
            x_in = cols[((cols + 0.5) / scale[0] >= 0) & ((cols + 0.5) / scale[0] < w)]
            y_in = rows[((rows + 0.5) / scale[1] >= 0) & ((rows + 0.5) / scale[1] < h)]
            inside = tile_inside(scale, tx, ty, tile, w, h)
            if not len(x_in) or not len(y_in):
                assert inside is None, (tx, ty)
                continue
            assert (ty * tile + inside.r0, tx * tile + inside.c0) == (y_in[0], x_in[0])
            assert (len(inside.ys), len(inside.xs)) == (len(y_in), len(x_in))
            seen[y_in[0]:y_in[-1] + 1, x_in[0]:x_in[-1] + 1] += 1
    # the tiles cover every inside screen pixel exactly once
    assert seen.sum() == seen[seen > 0].size == math.ceil(w * scale[0] - 0.5) * math.ceil(h * scale[1] - 0.5)


def test_tile_coordinates_are_the_official_make_coord_of_the_whole_output():
    """Tile by tile, the query coordinates of an x3 render are those of one 60 x 48 official grid
    (bit for bit: the same float32 steps, not float64 positions rounded once)."""
    rows, cols = make_coord(48).numpy(), make_coord(60).numpy()
    for tx, ty in ((0, 0), (1, 0), (2, 1), (3, 2)):
        inside = tile_inside((3.0, 3.0), tx, ty, 16, 20, 16)
        y0, x0 = ty * 16 + inside.r0, tx * 16 + inside.c0
        np.testing.assert_array_equal(inside.nx, cols[x0:x0 + len(inside.xs)])
        np.testing.assert_array_equal(inside.ny, rows[y0:y0 + len(inside.ys)])


def test_code_box_holds_every_code_the_local_ensembles_touch(model):
    assert code_box(np.array([0.25, 5.75]), np.array([8.25, 9.75]), 10, 6) == (0, 5, 6, 9)
    assert code_box(np.array([3.5]), np.array([4.0]), 10, 6) == (2, 5, 2, 5)
    decoder = FoldedDecoder(model, "exact")
    w, h = 20, 16
    for scale in ((0.8, 0.8), (3.0, 3.0), (7.3, 2.2)):
        for tx, ty in ((0, 0), (1, 1), (2, 0)):
            inside = tile_inside(scale, tx, ty, 16, w, h)
            if inside is None:
                continue
            r0, r1, c0, c1 = code_box(inside.ys, inside.xs, w, h)
            norm = torch.from_numpy(np.stack(np.meshgrid(inside.ny, inside.nx, indexing="ij"), -1).reshape(-1, 2))
            for rows, cols in decoder.neighbour_indices((h, w), norm):
                assert r0 <= rows.min() and rows.max() <= r1 and c0 <= cols.min() and cols.max() <= c1


# --- values -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [(3.0, 3.0), (2.6, 1.7)])
def test_a_tiled_render_equals_the_one_shot_render_exactly(model, crop, scale):
    h, w = crop.shape[:2]
    shape = (math.ceil(h * scale[1] - 0.5), math.ceil(w * scale[0] - 0.5))
    store = _store(model, crop)
    one, decoder = _jobs(model, crop, scale, 64, store=store)
    assert len(one) == 1
    whole = _compose(one, _render(one, decoder), 64, shape)
    small, decoder = _jobs(model, crop, scale, 16, store=store, decoder=decoder)
    assert len(small) >= 8
    tiled = _compose(small, [_render([j], decoder)[0] for j in small], 16, shape)
    assert not np.isnan(whole).any()
    np.testing.assert_array_equal(tiled, whole)
    # and rendered together (one shared query per round) as well
    np.testing.assert_array_equal(_compose(small, _render(small, decoder), 16, shape), whole)


# --- cancelling and releasing -------------------------------------------------------------------------
def _cancel_after(decoder: FoldedDecoder, batches: int):
    start = decoder.batches_run
    return CancelToken(when=lambda: decoder.batches_run - start >= batches)


@pytest.mark.parametrize("adaptive,scale,batches", [
    (False, (3.0, 3.0), 3),  # mid-tile, in the every-pixel pass
    (True, (9.0, 9.0), 2),   # during the band samples of an adaptive pass (fast mode above x4: 4 batches)
    (True, (9.0, 9.0), 10),  # during its refinement (19 batches in all)
])
def test_a_cancelled_pass_leaves_no_partial_result_and_resumes_exactly(model, crop, adaptive, scale, batches):
    if adaptive:
        crop = np.ascontiguousarray(crop[:8, :8])  # 72 x 72 px: 4 tiles
    store = _store(model, crop)
    fresh, decoder = _jobs(model, crop, scale, 64, batch_size=256, store=store, adaptive=adaptive)
    expected = _render(fresh, decoder)
    jobs, _ = _jobs(model, crop, scale, 64, store=store, decoder=decoder, adaptive=adaptive)
    assert all(job.refines == adaptive for _, _, job in jobs)
    start = decoder.batches_run
    with pytest.raises(Cancelled):
        _render(jobs, decoder, _cancel_after(decoder, batches))
    assert decoder.batches_run - start == batches
    assert sum(job.evaluated for _, _, job in jobs) < sum(job.evaluated for _, _, job in fresh)
    for _, _, job in jobs:
        assert not job.covers(job.full_rect())  # nothing claims to be done
        assert job.working_bytes == 0  # the interrupted passes' projections and bands are dropped
    for got, want in zip(_render(jobs, decoder), expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert all(job.covers(job.full_rect()) for _, _, job in jobs)


def test_release_drops_the_projections_and_the_pass_still_finishes_the_same(model, crop):
    """A tile's bytes (what the tile cache counts) include its projections while a pass runs;
    ``release`` drops them, and the pass then recomputes what it needs."""
    scale = (3.0, 3.0)
    store = _store(model, crop)
    (_, _, job), *_ = _jobs(model, crop, scale, 64, store=store)[0]
    base = job.nbytes
    assert base == job.sampler.values.nbytes + job.sampler.known.nbytes and job.working_bytes == 0
    (preview,) = run_together([(job, job.preview_steps())], job.decoder)
    assert preview.shape == job.sampler.values.shape
    codes = len(crop) * len(crop[0])  # the region's codes: the whole 20 x 16 image, 1 KB each (256 fp32)
    assert job.working_bytes >= codes * 256 * 4
    assert job.nbytes == base + job.working_bytes
    job.release()
    assert job.working_bytes == 0 and job.nbytes == base
    done = _render([(0, 0, job)], job.decoder)[0]
    assert job.working_bytes == 0  # a finished pass keeps only its values
    (_, _, other), *_ = _jobs(model, crop, scale, 64, store=store)[0]
    np.testing.assert_array_equal(done, _render([(0, 0, other)], other.decoder)[0])


def test_a_dropped_job_is_freed_at_once_not_by_the_cyclic_collector(model, crop):
    store = _store(model, crop)
    (_, _, job), *_ = _jobs(model, crop, (3.0, 3.0), 64, store=store)[0]
    gc.collect()
    gc.disable()
    try:
        run_together([(job, job.preview_steps())], job.decoder)
        ref, sampler = weakref.ref(job), weakref.ref(job.sampler)
        del job
        assert ref() is None and sampler() is None
    finally:
        gc.enable()
