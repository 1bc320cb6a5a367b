"""Export: any region of the image at any output size, tile by tile, written atomically.

The same engine and lattice as the screen: a LIIF export is the view
``Viewport.from_region(region, size)`` rendered in rows of screen tiles, so the
result is identical to a one-shot render of that view, at any size, with memory
bounded by the 8-bit output plus one row of tiles. Classic methods are rendered
in strips of the same view.

``run_export`` is the one export pipeline: the ``upscale``/``export`` commands (one file or a batch)
and the viewer's Export dialog call it with the image's :class:`ImageDocument` (its pixels, alpha,
ICC and EXIF as opened: nothing is read again), then ``ExportResult.save``. It makes its own engine
with the export's settings (``export_engine``), so the same request gives the same file everywhere.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ..cancel import Cancelled, CancelToken
from ..files.image_io import ImageDocument, save_image, to_uint8
from ..render.viewport import Viewport
from .export_workers import render_shared, shared_array, shares_work

if TYPE_CHECKING:  # torch is imported only where an engine is made (the viewer's window starts without it)
    from ..render.engine import RenderEngine

__all__ = ["ExportRequest", "ExportJob", "ExportResult", "METHODS", "parse_region", "export_metadata", "export_engine",
           "export_label", "run_export"]

METHODS = ("liif", "bilinear", "bicubic", "nearest")
#: An export's fp32 codes are encoded in tiles of this many codes (the viewer's 48 keep for panning): it
#: renders its region once, and whole 48-code tiles around a small region cost up to twice the encoder's work
#: (the x30 bench export: 0.28 -> 0.15 s). The fast encoder's bf16 codes keep the viewer's tiling.
EXPORT_EXACT_FEATURE_TILE = 16
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


def export_engine(document: ImageDocument, model: object, device: object = "cpu",
                  liif_under_min_side: bool = False) -> RenderEngine:
    """A render engine of its own on ``document`` with the export's settings, stated here and nowhere else:
    fast mode's level of detail ``lod.EXPORT`` (within 1 level of exact's 8-bit output), LIIF's own exact
    output below 1:1 (as the official code gives it; fast averages), and, with ``liif_under_min_side``,
    LIIF's own output for images under ``MIN_LIIF_SIDE`` (else the stand-in). ``model`` may be None for
    the classic methods."""
    from ..render.engine import RenderEngine  # here: torch, which the viewer's window starts without
    from ..render.lod import EXPORT

    engine = RenderEngine(model, device, exact_feature_tile=EXPORT_EXACT_FEATURE_TILE)
    engine.lod = EXPORT
    engine.liif_below_one = True
    engine.liif_under_min_side = liif_under_min_side
    engine.set_image(document.rgb, document.id)
    return engine


def export_label(document: ImageDocument, request: ExportRequest, liif_under_min_side: bool = False) -> str:
    """What the export's pixels are, for users: the request's label, or e.g. ``bilinear stand-in`` for a LIIF
    export of an image too small for LIIF (what ``export_engine`` renders then)."""
    from ..render.engine import MIN_LIIF_SIDE
    from ..render.resample import standin_method

    if request.method == "liif" and not (liif_under_min_side or min(document.size) >= MIN_LIIF_SIDE):
        return f"{standin_method(request.viewport)} stand-in"
    return request.label


class ExportJob:
    """Renders one export of ``engine``'s image into ``rgb8`` (uint8, H x W x 3); ``run`` yields progress and
    can be cancelled. The engine is used as given (``export_engine`` makes one with the export's settings)."""

    def __init__(self, engine: RenderEngine, request: ExportRequest, workers: int = 1) -> None:
        self.engine = engine
        self.request = request
        #: processes a fast export that refines adaptively may use (see .export_workers); 1: this one only
        self.workers = workers
        width, height = request.size
        self.rgb8 = np.empty((height, width, 3), np.uint8)

    def total_steps(self) -> int:
        """How many progress steps ``run`` yields."""
        if self.request.method == "liif":
            return self.engine.tile_count(self.request.viewport)
        return math.ceil(self.request.size[1] / _STRIP_ROWS)

    def run(self, cancel: CancelToken | None = None) -> Iterator[tuple[int, int]]:
        """Render, yielding (done, total) after each tile or strip; stops early once ``cancel`` is set."""
        cancel = cancel or CancelToken()
        vp, total = self.request.viewport, self.total_steps()
        if self.request.method == "liif":
            precision = self.request.precision
            if shares_work(self.engine, vp, precision, self.workers) and self.engine.encode_view(vp, precision, cancel):
                self.rgb8 = shared_array(self.rgb8.shape)  # the workers write into it too
                yield from render_shared(self.engine, vp, precision, self.rgb8, self.workers, cancel)
                return
            tiles = self.engine.iter_view_tiles(vp, precision, cancel, cache=False, order="rows")
            for done, (x0, y0, block) in enumerate(tiles, 1):
                self.rgb8[y0:y0 + block.shape[0], x0:x0 + block.shape[1]] = to_uint8(block)
                yield done, total
                if cancel.cancelled:
                    return
            return
        for done, y0 in enumerate(range(0, vp.height, _STRIP_ROWS), 1):
            rows = min(_STRIP_ROWS, vp.height - y0)
            strip = self.engine.render_classic(vp.sub_view(0, y0, vp.width, rows), self.request.method)
            self.rgb8[y0:y0 + rows] = to_uint8(strip)
            yield done, total
            if cancel.cancelled:
                return


def export_alpha8(document: ImageDocument, request: ExportRequest) -> np.ndarray | None:
    """The document's alpha over the request's region at its output size (bilinear), or None."""
    if document.alpha is None:
        return None
    x, y, w, h = request.region
    img = Image.fromarray(document.alpha.astype(np.float32) / 255.0, "F")
    resized = img.resize(request.size, Image.Resampling.BILINEAR, box=(x, y, x + w, y + h))
    return to_uint8(np.asarray(resized))


@dataclass(eq=False)
class ExportResult:
    """A finished export of ``document``: ``rgb8`` and what it is (``label``), ready to ``save``."""

    document: ImageDocument
    request: ExportRequest
    rgb8: np.ndarray
    label: str
    model_sha256: str = ""
    seconds: float = 0.0

    def save(self, path: str | Path, quality: int = 95) -> Path:
        """Write it atomically with the document's ICC, EXIF and alpha and the PNG text metadata (see
        ``export_metadata``); raises ``ImageSaveError``."""
        doc = self.document
        return save_image(path, self.rgb8, export_alpha8(doc, self.request), doc.icc_profile, doc.exif,
                          quality=quality, text=export_metadata(self.request, doc.path, self.model_sha256))


def run_export(document: ImageDocument, model: object, device: object, request: ExportRequest,
               progress: Callable[[int, int], None] | None = None, cancel: CancelToken | None = None, *,
               liif_under_min_side: bool = False, workers: int = 1) -> ExportResult:
    """Render ``request`` of ``document`` on an engine of its own (``export_engine``; ``model`` shared,
    inference only, None for classic methods), reporting ``progress(done, total)`` after each tile or strip.
    Raises :class:`~liif_viewer.cancel.Cancelled` when ``cancel`` stops it (nothing to save then).
    ``workers`` > 1 lets a fast export fork worker processes (see .export_workers: not from the viewer)."""
    start = time.perf_counter()
    engine = export_engine(document, model, device, liif_under_min_side)
    job = ExportJob(engine, request, workers)
    for done, total in job.run(cancel):
        if progress is not None:
            progress(done, total)
    if cancel is not None and cancel.cancelled:
        raise Cancelled
    sha256 = model.checkpoint_sha256 if model is not None and request.method == "liif" else ""
    return ExportResult(document, request, job.rgb8, export_label(document, request, liif_under_min_side), sha256,
                        time.perf_counter() - start)
