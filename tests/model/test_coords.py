"""LIIF's coordinates: pixel centres in [-1, 1] with the official float32 steps, on whole and virtual grids."""

from __future__ import annotations

import numpy as np
import torch

from liif_viewer.model.coords import (
    grid_cell,
    grid_norm_yx,
    image_xy_to_norm_yx,
    lattice_coord,
    lattice_size,
    make_coord,
)


def test_make_coord_pixel_centres():
    np.testing.assert_allclose(make_coord(4).numpy(), [-0.75, -0.25, 0.25, 0.75])
    assert make_coord(1).item() == 0.0


def test_make_coord_takes_the_official_float32_steps():
    """``fl32(-1 + 1/n) + fl32(fl32(2/n) * k)``: not the float64 centre rounded once (they differ by an ulp)."""
    for n in (3, 48, 60, 77, 1000):
        k = np.arange(n, dtype=np.float32)
        official = np.float32(-1 + 1 / n) + np.float32(2 / n) * k
        got = make_coord(n).numpy()
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, official)
    rounded_once = ((2 * np.arange(60) + 1) / 60 - 1).astype(np.float32)
    assert (make_coord(60).numpy() != rounded_once).any()  # why the steps matter


def test_a_lattice_window_is_a_slice_of_the_whole_grid():
    whole = make_coord(60).numpy()
    np.testing.assert_array_equal(lattice_coord(17, 20, 60).numpy(), whole[17:37])
    np.testing.assert_array_equal(lattice_coord(0, 60, 60).numpy(), whole)
    # a fractional virtual grid, and windows reaching outside it (negative first pixel)
    frac = lattice_coord(-3, 10, 23.7).numpy()
    np.testing.assert_allclose(frac, -1 + (2 * np.arange(-3, 7) + 1) / 23.7, atol=1e-6)
    assert frac[2] < -1 < frac[3]


def test_lattice_size_snaps_to_the_whole_output_size_an_export_asks_for():
    assert 11 * (100 / 11) != 100 and lattice_size(11, 100 / 11) == 100.0  # 100.00000000000001 unsnapped
    assert 19 * (1000 / 19) != 1000 and lattice_size(19, 1000 / 19) == 1000.0
    assert lattice_size(512, 2.0) == 1024.0
    assert lattice_size(10, 2.37) == 10 * 2.37  # a zoom that is no whole size stays fractional
    assert lattice_size(3, 0.1) == 3 * 0.1  # below one pixel: never snapped up to 1


def test_grids_are_row_major_row_col_pairs_with_one_cell_each():
    norm = grid_norm_yx(2, 3)
    assert norm.shape == (6, 2)
    np.testing.assert_allclose(norm[1].numpy(), [-0.5, 0.0])  # row 0, column 1
    np.testing.assert_allclose(norm[3].numpy(), [0.5, -2 / 3])  # row 1, column 0
    cell = grid_cell(2, 3, 6)
    assert cell.shape == (6, 2)
    np.testing.assert_allclose(cell[4].numpy(), [1.0, 2 / 3])


def test_image_pixel_centres_map_onto_make_coord():
    xs, ys = torch.meshgrid(torch.arange(5) + 0.5, torch.arange(3) + 0.5, indexing="xy")
    norm = image_xy_to_norm_yx(torch.stack([xs, ys], -1).reshape(-1, 2), 3, 5)
    np.testing.assert_allclose(norm.numpy(), grid_norm_yx(3, 5).numpy(), atol=1e-7)
    corners = image_xy_to_norm_yx(torch.tensor([[0.0, 0.0], [5.0, 3.0]]), 3, 5)
    np.testing.assert_array_equal(corners.numpy(), [[-1, -1], [1, 1]])  # the outer edges
