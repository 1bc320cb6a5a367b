"""Viewport geometry: which continuous image region a screen of pixels shows.

Spaces (names carry them):

* ``image_xy`` — continuous source-image pixels, x right, y down; pixel (i, j)
  covers [j, j+1) x [i, i+1) and has its centre at (j + .5, i + .5).
* ``screen_xy`` — output (device) pixels of the pane, same orientation;
  screen pixel (r, c) has its centre at (c + .5, r + .5).
* ``lattice`` — at a given ``scale`` (screen px per image px) the plane is cut
  into a fixed grid of screen-sized pixels, lattice pixel k spanning image
  [k / scale, (k + 1) / scale). A viewport's pixels are always lattice pixels:
  its origin is snapped to whole lattice steps, so panning at a fixed zoom
  re-uses rendered tiles and a tiled export equals a one-shot render.

A ``Viewport`` is a frozen value with geometry only (no tiles, threads or Qt).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

__all__ = ["Viewport", "MIN_SCALE", "MAX_SCALE"]

MIN_SCALE = 1e-3
MAX_SCALE = 4096.0


@dataclass(frozen=True)
class Viewport:
    """``center_xy`` (image px) shown at the middle of a ``width`` x ``height`` screen at ``scale``."""

    center_x: float
    center_y: float
    scale: float  # screen px per image px (horizontally; vertically too unless scale_y is set)
    width: int  # screen px
    height: int  # screen px
    scale_y: float | None = None  # vertical scale for stretched outputs (export/upscale to any size)

    def __post_init__(self) -> None:
        if self.width < 1 or self.height < 1:
            raise ValueError(f"viewport size must be positive, got {self.width}x{self.height}")
        for s in (self.scale, self.sy):
            if not (MIN_SCALE <= s <= MAX_SCALE) or not math.isfinite(s):
                raise ValueError(f"scale {s} outside [{MIN_SCALE}, {MAX_SCALE}]")

    @property
    def sx(self) -> float:
        """Horizontal scale, screen px per image px."""
        return self.scale

    @property
    def sy(self) -> float:
        """Vertical scale, screen px per image px."""
        return self.scale if self.scale_y is None else self.scale_y

    # --- construction -------------------------------------------------------------------------------
    @classmethod
    def fitted(cls, image_width: int, image_height: int, width: int, height: int) -> Viewport:
        """The whole image, centred, as large as fits."""
        scale = min(width / image_width, height / image_height)
        return cls(image_width / 2, image_height / 2, scale, width, height)

    @classmethod
    def from_region(cls, x: float, y: float, region_width: float, region_height: float,
                    width: int, height: int) -> Viewport:
        """Region (image px) stretched onto ``width`` x ``height`` screen px.

        The lattice origin is snapped, so the region is matched to within half an output pixel;
        a region starting at 0 (e.g. the whole image) is matched exactly.
        """
        sx, sy = width / region_width, height / region_height
        return cls(x + region_width / 2, y + region_height / 2, sx, width, height, None if sx == sy else sy)

    def with_size(self, width: int, height: int) -> Viewport:
        """Same centre and scale on a screen of another size."""
        return replace(self, width=width, height=height)

    def with_scale(self, scale: float) -> Viewport:
        """Same centre at another (uniform) scale, clamped to the supported range."""
        return replace(self, scale=min(MAX_SCALE, max(MIN_SCALE, scale)), scale_y=None)

    def zoomed_at(self, screen_xy: tuple[float, float], factor: float) -> Viewport:
        """Zoom by ``factor`` keeping the image point under ``screen_xy`` fixed on screen."""
        image_x, image_y = self.screen_to_image(*screen_xy)
        factor = min(MAX_SCALE / max(self.sx, self.sy), max(MIN_SCALE / min(self.sx, self.sy), factor))
        scale, scale_y = self.sx * factor, None if self.scale_y is None else self.scale_y * factor
        cx = image_x - (screen_xy[0] - self.width / 2) / scale
        cy = image_y - (screen_xy[1] - self.height / 2) / (scale_y or scale)
        return replace(self, center_x=cx, center_y=cy, scale=scale, scale_y=scale_y)

    def panned_by(self, dx_screen: float, dy_screen: float) -> Viewport:
        """Move the content by (dx, dy) screen px (content follows a drag)."""
        return replace(self, center_x=self.center_x - dx_screen / self.sx,
                       center_y=self.center_y - dy_screen / self.sy)

    def centered_on(self, image_x: float, image_y: float) -> Viewport:
        """Same scale and size, another centre."""
        return replace(self, center_x=image_x, center_y=image_y)

    # --- lattice ------------------------------------------------------------------------------------
    @property
    def origin_lattice(self) -> tuple[int, int]:
        """Lattice index (column, row) of the top-left screen pixel."""
        return (round(self.center_x * self.sx - self.width / 2),
                round(self.center_y * self.sy - self.height / 2))

    def image_rect(self) -> tuple[float, float, float, float]:
        """(x, y, w, h) in image px exactly covered by the rendered pixels (for placing the image)."""
        ox, oy = self.origin_lattice
        return ox / self.sx, oy / self.sy, self.width / self.sx, self.height / self.sy

    def pixel_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Image x of each screen column's centre (width,) and image y of each row's (height,), float64."""
        ox, oy = self.origin_lattice
        xs = (ox + np.arange(self.width, dtype=np.float64) + 0.5) / self.sx
        ys = (oy + np.arange(self.height, dtype=np.float64) + 0.5) / self.sy
        return xs, ys

    def visible_tiles(self, tile: int) -> list[tuple[int, int]]:
        """Screen tiles (tx, ty) of ``tile`` lattice px square that this view touches, nearest its middle first.

        Tile (tx, ty) holds lattice columns [tx * tile, (tx + 1) * tile) and rows [ty * tile, (ty + 1) * tile),
        so views at one scale share tiles wherever they overlap.
        """
        ox, oy = self.origin_lattice
        txs = range(math.floor(ox / tile), math.floor((ox + self.width - 1) / tile) + 1)
        tys = range(math.floor(oy / tile), math.floor((oy + self.height - 1) / tile) + 1)
        cx, cy = (ox + self.width / 2) / tile, (oy + self.height / 2) / tile
        return sorted(((tx, ty) for ty in tys for tx in txs),
                      key=lambda k: (k[0] + .5 - cx) ** 2 + (k[1] + .5 - cy) ** 2)

    def sub_view(self, x0: int, y0: int, width: int, height: int) -> Viewport:
        """The part of this view starting at screen pixel (x0, y0): same lattice, same pixels."""
        ox, oy = self.origin_lattice
        sub = replace(self, center_x=(ox + x0 + width / 2) / self.sx, center_y=(oy + y0 + height / 2) / self.sy,
                      width=width, height=height)
        assert sub.origin_lattice == (ox + x0, oy + y0)
        return sub

    # --- conversions --------------------------------------------------------------------------------
    def screen_to_image(self, screen_x: float, screen_y: float) -> tuple[float, float]:
        """Continuous screen position → image position (through the snapped lattice origin)."""
        ox, oy = self.origin_lattice
        return (ox + screen_x) / self.sx, (oy + screen_y) / self.sy

    def image_to_screen(self, image_x: float, image_y: float) -> tuple[float, float]:
        """Continuous image position → screen position."""
        ox, oy = self.origin_lattice
        return image_x * self.sx - ox, image_y * self.sy - oy

    def visible_image_rect(self, image_width: int, image_height: int) -> tuple[int, int, int, int] | None:
        """Integer pixel box (x0, y0, x1, y1) of the image that the view touches, or None when disjoint."""
        x, y, w, h = self.image_rect()
        x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
        x1, y1 = min(image_width, math.ceil(x + w)), min(image_height, math.ceil(y + h))
        if x0 >= x1 or y0 >= y1:
            return None
        return x0, y0, x1, y1
