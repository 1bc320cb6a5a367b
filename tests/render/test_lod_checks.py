"""A-posteriori checks of fast mode's filled pixels (kinks between check points) and the steep-pixel finder."""

from __future__ import annotations

import numpy as np
import pytest

from liif_viewer.render import lod
from liif_viewer.render.lod import TileSampler
from liif_viewer.render.lod_checks import block_pixels, block_suspects, pixel_suspects, steep


def _row_image(row: np.ndarray, height: int = 5) -> np.ndarray:
    return np.repeat(np.repeat(row[None, :, None], height, axis=0), 3, axis=2).astype(np.float32)


def test_block_pixels_cover_each_block_edges_included():
    rows, cols = block_pixels(np.array([[0, 1, 2, 4], [5, 5, 0, 0]]))
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [
        (0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4), (5, 0)]


def test_a_kink_hidden_by_a_two_pixel_fill_is_found_at_pixel_scale():
    x = np.arange(12, dtype=np.float64)
    truth = np.where(x < 6, 0.3 + 0.02 * x, 0.3 + 0.12 - 0.01 * (x - 6))  # slope change at pixel 6
    filled = truth.copy()
    filled[6] = (truth[5] + truth[7]) / 2  # a block (5..7) filled from its ends
    error = abs(filled[6] - truth[6])
    values = _row_image(filled)
    block = np.array([[1, 3, 5, 7]])
    assert pixel_suspects(values, block, (0, 5, 0, 12), error / 2)[0]
    assert not pixel_suspects(_row_image(0.3 + 0.02 * x), block, (0, 5, 0, 12), 1e-6)[0]  # straight: no flag


@pytest.mark.parametrize("t", [0.25, 0.5, 0.75])
def test_block_scale_estimate_of_a_single_kink_is_its_error(t):
    """Slope s, then s - 3e-3 from 8 + 8t on: a block 8..16 filled linearly is off by s L t (1 - t)."""
    x = np.arange(40, dtype=np.float64)
    kink = 8 + 8 * t
    truth = 0.4 + 0.01 * x - 3e-3 * np.maximum(x - kink, 0)
    filled = truth.copy()
    filled[8:17] = truth[8] + (truth[16] - truth[8]) * (x[8:17] - 8) / 8
    error = np.abs(filled - truth).max()
    assert error == pytest.approx(3e-3 * 8 * t * (1 - t), rel=1e-6)
    values = _row_image(filled)
    block = np.array([[0, 4, 8, 16]])
    assert block_suspects(values, block, (0, 5, 0, 40), error * 0.99)[0]
    assert not block_suspects(values, block, (0, 5, 0, 40), error * 1.01)[0]


def test_steep_pixels_are_both_sides_of_a_step():
    row = np.where(np.arange(10) < 5, 0.2, 0.3)
    rows, cols = steep(_row_image(row, 3), (0, 3, 0, 10), 0.05)
    assert set(cols.tolist()) == {4, 5} and set(rows.tolist()) == {0, 1, 2}


def _ridge(h: int, w: int):
    """A smooth ramp with a narrow diagonal ridge (4 levels high, 8 px wide)."""
    def truth(r, c):
        along = (c - 1.3 * r - 17.0) / 4.0
        return 0.4 + 0.001 * r + 0.0007 * c + 0.016 * np.maximum(0, 1 - np.abs(along))

    def evaluate(rows, cols):
        return np.repeat(truth(rows.astype(float), cols.astype(float))[:, None], 3, axis=1).astype(np.float32)

    rr, cc = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    return evaluate, truth(rr.astype(float), cc.astype(float))


def _refined(monkeypatch, checks: bool) -> tuple[float, float]:
    h, w = 96, 96
    evaluate, expected = _ridge(h, w)
    if not checks:  # the quadtree alone, as before the a-posteriori checks
        monkeypatch.setattr(lod, "pixel_suspects", lambda v, b, r, lim: np.zeros(len(b), bool))
        monkeypatch.setattr(lod, "block_suspects", lambda v, b, r, lim: np.zeros(len(b), bool))
    s = TileSampler(h, w, evaluate)
    s.bands(12, None, np.array([47]), np.array([47]))
    out = s.refine_cells(1 / 255, check=0.5 / 255)
    return float(np.abs(out[..., 0] - expected).max() * 255), s.evaluated / (h * w)


def test_a_narrow_ridge_between_check_points_is_refined(monkeypatch):
    with_checks, cost = _refined(monkeypatch, True)
    monkeypatch.undo()
    without, cost_without = _refined(monkeypatch, False)
    assert without > 2.0  # the five check points per block let the ridge through
    assert with_checks <= 1.0 and with_checks < without / 2
    assert cost_without < cost < 0.3  # bought with a few more evaluations


def test_one_pixel_thin_blocks_are_evaluated_whole():
    """A lone column (a band of one pixel) is refined by evaluating it, not from three collinear points.

    Along column 10, rows 0-8 hold a sine that is zero at rows 0, 4 and 8 and 5 levels off in
    between, then a ramp. The cubic pass misses at row 4 (the ramp bends it), so the cell is
    refined; a quadtree block one pixel wide sees only rows 0, 4 and 8, all on one line.
    """
    h, w = 40, 30

    def truth(r, c):
        column = np.where(r <= 8, 0.02 * np.sin(np.pi * r / 4), 0.05 * (r - 8) / 8)
        return 0.5 + column * (c == 10)

    def evaluate(rows, cols):
        return np.repeat(truth(rows.astype(float), cols)[:, None], 3, axis=1).astype(np.float32)

    s = TileSampler(h, w, evaluate)
    s.bands(8, None, None, np.array([9, 10]))  # column 10 is a band of its own
    out = s.refine_cells(1 / 255)
    rr, cc = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    assert s.known[0:9, 10].all()
    assert np.abs(out[..., 0] - truth(rr, cc)).max() * 255 < 1.0

