"""LIIF's coordinate convention, owned here and nowhere else.

A point of an image of ``H`` rows and ``W`` columns is written ``norm_yx``:
(row, col) order, each axis mapped to [-1, 1] so that -1 and 1 are the outer
*edges* of the image and pixel ``i`` has its centre at ``-1 + (2 i + 1) / n``.
A query's ``cell`` is the size of one output pixel in the same units
(``2 / H_out``, ``2 / W_out``). ``torch.nn.functional.grid_sample`` wants
(x, y) order, hence the ``flip(-1)`` wherever it is called.
"""

from __future__ import annotations

import torch

__all__ = ["make_coord", "grid_norm_yx", "grid_cell", "image_xy_to_norm_yx"]


def make_coord(
    size: int, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Pixel-centre coordinates of ``size`` pixels along one axis, in [-1, 1]; shape (size,)."""
    radius = 1.0 / size
    return -1.0 + radius + (2.0 * radius) * torch.arange(size, device=device, dtype=dtype)


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
