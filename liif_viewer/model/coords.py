"""LIIF's coordinate convention, owned here and nowhere else.

A point of an image of ``H`` rows and ``W`` columns is written ``norm_yx``:
(row, col) order, each axis mapped to [-1, 1] so that -1 and 1 are the outer
*edges* of the image and pixel ``i`` has its centre at ``-1 + (2 i + 1) / n``.
A query's ``cell`` is the size of one output pixel in the same units
(``2 / H_out``, ``2 / W_out``). ``torch.nn.functional.grid_sample`` wants
(x, y) order, hence the ``flip(-1)`` wherever it is called.

Output pixel centres are computed with the official ``make_coord``'s float32
arithmetic, ``fl32(-1 + 1/n) + fl32(2/n) * k``, never from float64 positions
rounded once: the two differ by an ulp now and then, and LIIF's local ensemble is
ill-conditioned exactly where pixel centres meet code centres (docs/exactness.md),
so an ulp there can move the output by many 8-bit levels. Any view or export is a
window of lattice pixels ``k`` into a *virtual* output grid of ``n = image size x
scale`` pixels per axis (:func:`lattice_size`); :func:`lattice_coord` gives their
centres, so a whole-image render at any size equals the official query's grid.
"""

from __future__ import annotations

import torch

__all__ = ["make_coord", "lattice_coord", "lattice_size", "grid_norm_yx", "grid_cell", "image_xy_to_norm_yx"]


def make_coord(size: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Pixel-centre coordinates of ``size`` pixels along one axis, in [-1, 1], float32; shape (size,)."""
    return lattice_coord(0, size, size, device)


def lattice_coord(first: int, count: int, size: float,
                  device: torch.device | str | None = None) -> torch.Tensor:
    """Centres of pixels ``first .. first+count-1`` of a ``size``-pixel axis, float32; shape (count,).

    The official ``make_coord`` arithmetic step by step: the float64 scalars
    ``-1 + 1/size`` and ``2/size`` are rounded to float32 by the tensor ops, and
    pixel ``k`` gets ``fl32(-1 + 1/size) + fl32(fl32(2/size) * k)``. ``size`` may be
    fractional (a zoom that is not a whole output size) and ``first`` negative.
    """
    radius = 1.0 / size
    index = torch.arange(first, first + count, device=device).float()
    return -1.0 + radius + (2.0 * radius) * index


def lattice_size(image_px: int, scale: float) -> float:
    """Pixels of the virtual output grid along an axis of ``image_px`` pixels shown at ``scale``.

    ``image_px * scale``, snapped to the whole number it is within rounding of, so that
    an export to ``W_out`` pixels (scale ``W_out / image_px``) uses exactly ``W_out``.
    """
    size = image_px * scale
    whole = round(size)
    return float(whole) if whole >= 1 and abs(size - whole) <= 1e-9 * size else size


def grid_norm_yx(
    height: int, width: int, device: torch.device | str | None = None
) -> torch.Tensor:
    """Pixel centres of a ``height`` x ``width`` grid as (row, col) pairs; shape (H*W, 2), row-major."""
    rows = make_coord(height, device)
    cols = make_coord(width, device)
    yy, xx = torch.meshgrid(rows, cols, indexing="ij")
    return torch.stack([yy, xx], dim=-1).reshape(-1, 2)


def grid_cell(height: int, width: int, count: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Cell of each of ``count`` queries on a ``height`` x ``width`` output grid; shape (count, 2)."""
    cell = torch.tensor([2.0 / height, 2.0 / width], device=device)
    return cell.expand(count, 2).clone()


def image_xy_to_norm_yx(image_xy: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Continuous image-pixel (x, y) (pixel centres at .5) to LIIF (row, col) in [-1, 1]."""
    x = image_xy[..., 0] / width * 2.0 - 1.0
    y = image_xy[..., 1] / height * 2.0 - 1.0
    return torch.stack([y, x], dim=-1)
