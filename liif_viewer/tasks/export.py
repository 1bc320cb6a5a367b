"""Export: any region of the image at any output size, tile by tile, written atomically.

The same engine and lattice as the screen: a LIIF export is the view
``Viewport.from_region(region, size)`` rendered in rows of screen tiles, so the
result is identical to a one-shot render of that view, at any size, with memory
bounded by the 8-bit output plus one row of tiles. Classic methods are rendered
in strips of the same view.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ..files.image_io import LoadedImage, save_image, to_uint8
from ..render.viewport import Viewport

if TYPE_CHECKING:  # torch is imported only where an engine is made (the viewer's window starts without it)
    from ..render.engine import RenderEngine

__all__ = ["ExportRequest", "ExportJob", "METHODS", "parse_region", "export_metadata"]

METHODS = ("liif", "bilinear", "bicubic", "nearest")
_STRIP_ROWS = 256


def parse_region(text: str) -> tuple[float, float, float, float]:
    """``"X,Y,W,H"`` in image pixels → tuple; raises ``ValueError`` with a readable message."""
    try:
        x, y, w, h = (float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"region {text!r} is not X,Y,W,H in image pixels, e.g. 100,80,64,36") from None
    if w <= 0 or h <= 0:
        raise ValueError(f"region {text!r} must have a positive width and height")
    return x, y, w, h


@dataclass(frozen=True)
class ExportRequest:
    """What to export: ``region`` (x, y, w, h) in image px onto ``size`` (width, height) px."""

    region: tuple[float, float, float, float]
    size: tuple[int, int]
    method: str = "liif"
    precision: str = "exact"  # LIIF only: "exact" or "fast"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.size[0] < 1 or self.size[1] < 1:
            raise ValueError(f"output size must be at least 1x1, got {self.size[0]}x{self.size[1]}")

    @property
    def viewport(self) -> Viewport:
        """The view this export renders."""
        x, y, w, h = self.region
        return Viewport.from_region(x, y, w, h, *self.size)

    @property
    def label(self) -> str:
        """Method as shown to users, e.g. ``LIIF (exact)``."""
        return f"LIIF ({self.precision})" if self.method == "liif" else self.method


def export_metadata(request: ExportRequest, source: str, model_sha256: str) -> dict[str, str]:
    """PNG text chunks: source file, region, output size, method, model hash."""
    x, y, w, h = request.region
    return {
        "Software": "liif-viewer",
        "Source": Path(source).name if source else "",
        "Region": f"{x:g},{y:g},{w:g},{h:g}",
        "Size": f"{request.size[0]}x{request.size[1]}",
        "Method": request.label,
        "LIIF-Model-sha256": model_sha256 if request.method == "liif" else "",
    }


class ExportJob:
    """Renders one export into ``rgb8`` (uint8, H x W x 3); ``run`` yields progress and can be cancelled."""

    def __init__(self, engine: RenderEngine, request: ExportRequest) -> None:
        self.engine = engine
        self.request = request
        from ..render.lod import EXPORT  # here: lod needs torch, which the viewer's window starts without

        engine.lod = EXPORT  # fast mode: within 1 level of exact's 8-bit output (see .lod)
        width, height = request.size
        self.rgb8 = np.empty((height, width, 3), np.uint8)

    def total_steps(self) -> int:
        """How many progress steps ``run`` yields."""
        if self.request.method == "liif":
            return self.engine.tile_count(self.request.viewport)
        return math.ceil(self.request.size[1] / _STRIP_ROWS)

    def run(self, cancel: Callable[[], bool] | None = None) -> Iterator[tuple[int, int]]:
        """Render, yielding (done, total) after each tile or strip; stops early when ``cancel()``."""
        cancel = cancel or (lambda: False)
        vp, total = self.request.viewport, self.total_steps()
        if self.request.method == "liif":
            tiles = self.engine.iter_view_tiles(vp, self.request.precision, cancel, cache=False, order="rows")
            for done, (x0, y0, block) in enumerate(tiles, 1):
                self.rgb8[y0:y0 + block.shape[0], x0:x0 + block.shape[1]] = to_uint8(block)
                yield done, total
                if cancel():
                    return
            return
        for done, y0 in enumerate(range(0, vp.height, _STRIP_ROWS), 1):
            rows = min(_STRIP_ROWS, vp.height - y0)
            strip = self.engine.render_classic(vp.sub_view(0, y0, vp.width, rows), self.request.method)
            self.rgb8[y0:y0 + rows] = to_uint8(strip)
            yield done, total
            if cancel():
                return

    def alpha8(self, image: LoadedImage) -> np.ndarray | None:
        """The image's alpha over the region at the output size (bilinear), or None."""
        if image.alpha is None:
            return None
        x, y, w, h = self.request.region
        img = Image.fromarray(image.alpha.astype(np.float32), "F")
        resized = img.resize(self.request.size, Image.Resampling.BILINEAR, box=(x, y, x + w, y + h))
        return to_uint8(np.asarray(resized))

    def save(self, path: str | Path, image: LoadedImage, model_sha256: str = "", quality: int = 95) -> Path:
        """Write the result atomically, with ICC, EXIF and PNG text metadata (see ``export_metadata``)."""
        return save_image(path, self.rgb8, self.alpha8(image), image.icc_profile, image.exif, quality=quality,
                          text=export_metadata(self.request, image.source, model_sha256))
