"""The paper's two demos, headless: the resolution sweep and the zoom flight.

* Resolution sweep: a small input (a square crop downscaled to e.g. 32 px) rendered by
  LIIF at every output resolution from the input size to a target (e.g. 640), each
  frame shown by nearest up-sampling to a fixed display size and labelled.
* Zoom flight: from the fitted view to a zoom (e.g. x30) about a target point, which
  stays fixed on screen; scale grows geometrically with eased timing, so the motion
  looks steady. Frames show Pixels | Bilinear | LIIF side by side.

Frames are uint8 (H, W, 3) arrays; :mod:`liif_viewer.files.record` writes them to GIF, APNG or MP4.
``run_sweep`` and ``run_flight`` are the jobs the ``demo`` command and the viewer's sweep window and
flight recording run: each on an engine of its own (sharing the model), frame by frame, cancellable.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..cancel import CancelToken
from ..files.image_io import to_uint8
from ..render.viewport import Viewport

if TYPE_CHECKING:  # torch is imported only where an engine is made (the viewer's window starts without it)
    from ..render.engine import RenderEngine

__all__ = ["SweepSpec", "sweep_input", "sweep_resolutions", "sweep_frames", "ease", "flight_viewports", "flight_frames",
           "label_frame", "run_sweep", "run_flight"]

_LABEL_BG = (0, 0, 0)
_LABEL_FG = (255, 255, 255)


def label_frame(frame: np.ndarray, text: str, size_px: int = 0) -> np.ndarray:
    """Draw ``text`` in a dark band at the top-left of ``frame`` (uint8, modified copy).

    Pillow's built-in font is ASCII-only (no "×"), so labels are written with plain "x".
    """
    img = Image.fromarray(frame)
    size_px = size_px or max(12, frame.shape[0] // 24)
    font = ImageFont.load_default(size=size_px)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = max(3, size_px // 4)
    draw.rectangle((0, 0, right - left + 2 * pad, bottom - top + 2 * pad), fill=_LABEL_BG)
    draw.text((pad - left, pad - top), text, fill=_LABEL_FG, font=font)
    return np.asarray(img)


# --- resolution sweep ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepSpec:
    """From ``start`` px to ``stop`` px in ``frames`` steps, shown at ``display`` px square."""

    start: int = 32
    stop: int = 640
    frames: int = 60
    display: int = 640
    with_bilinear: bool = False
    precision: str = "exact"


def sweep_input(rgb: np.ndarray, size: int, crop: tuple[int, int, int] | None = None) -> np.ndarray:
    """A square crop (x, y, side) — default the centred largest square — downscaled to ``size`` px."""
    h, w = rgb.shape[:2]
    if crop is None:
        side = min(h, w)
        crop = ((w - side) // 2, (h - side) // 2, side)
    x, y, side = crop
    if side < 1 or x < 0 or y < 0 or x + side > w or y + side > h:
        raise ValueError(f"crop {x},{y},{side} does not fit a {w}x{h} image")
    img = Image.fromarray(to_uint8(rgb[y:y + side, x:x + side]))
    small = img.resize((size, size), Image.Resampling.BICUBIC) if side != size else img
    return np.asarray(small, np.float32) / 255.0


def sweep_resolutions(spec: SweepSpec) -> list[int]:
    """Output resolutions of the frames: from ``start`` to ``stop``, evenly spaced, rounded."""
    count = max(2, spec.frames)
    return [round(spec.start + (spec.stop - spec.start) * k / (count - 1)) for k in range(count)]


def sweep_frames(engine: RenderEngine, spec: SweepSpec,
                 cancel: CancelToken | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(resolution, frame) for each step; ``engine`` holds the small input image."""
    width, height = engine.image_size
    for res in sweep_resolutions(spec):
        if cancel is not None and cancel.cancelled:
            return
        vp = Viewport.from_region(0, 0, width, height, res, res)
        liif = Image.fromarray(to_uint8(engine.render_liif_sync(vp, spec.precision, cancel)))
        panes = [label_frame(np.asarray(liif.resize((spec.display, spec.display), Image.Resampling.NEAREST)),
                             f"LIIF {res}x{res}")]
        if spec.with_bilinear:
            bil = Image.fromarray(to_uint8(engine.render_classic(vp, "bilinear")))
            panes.append(label_frame(np.asarray(bil.resize((spec.display, spec.display),
                                                           Image.Resampling.NEAREST)), f"Bilinear {res}x{res}"))
        yield res, np.concatenate(panes, axis=1)


# --- zoom flight -------------------------------------------------------------------------------------
def ease(t: float) -> float:
    """Smoothstep on ``t`` clamped to [0, 1]: starts and ends gently (this flight and the viewer's live one)."""
    t = min(1.0, max(0.0, t))
    return t * t * (3 - 2 * t)


def flight_viewports(image_size: tuple[int, int], pane_size: tuple[int, int], target_xy: tuple[float, float],
                     zoom: float, frames: int) -> list[Viewport]:
    """Viewports from fit to ``zoom`` about ``target_xy`` (image px), which stays at one screen position."""
    fit = Viewport.fitted(*image_size, *pane_size)
    anchor = fit.image_to_screen(*target_xy)
    total = math.log(zoom / fit.scale)
    out = []
    for k in range(frames):
        t = ease(k / (frames - 1)) if frames > 1 else 1.0
        out.append(fit.zoomed_at(anchor, math.exp(total * t)))
    return out


def flight_frames(engine: RenderEngine, viewports: list[Viewport], precision: str = "fast",
                  cancel: CancelToken | None = None) -> Iterator[np.ndarray]:
    """Pixels | Bilinear | LIIF frames at full LIIF quality (the final render of each view)."""
    for vp in viewports:
        if cancel is not None and cancel.cancelled:
            return
        zoom = f"x{vp.scale:.3g}"
        panes = [label_frame(to_uint8(engine.render_classic(vp, "nearest")), f"Pixels {zoom}"),
                 label_frame(to_uint8(engine.render_classic(vp, "bilinear")), f"Bilinear {zoom}"),
                 label_frame(to_uint8(engine.render_liif_sync(vp, precision, cancel)), f"LIIF {zoom}")]
        yield np.concatenate(panes, axis=1)


# --- the jobs ------------------------------------------------------------------------------------------
def _engine(model: object, device: object, rgb: np.ndarray, image_id: int = 0) -> RenderEngine:
    from ..render.engine import RenderEngine

    engine = RenderEngine(model, device)
    engine.set_image(rgb, image_id)
    return engine


def run_sweep(small: np.ndarray, model: object, device: object, spec: SweepSpec,
              cancel: CancelToken | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """The resolution sweep of ``small`` (the sweep input, see ``sweep_input``) on an engine of its own:
    (resolution, frame) for each step, until done or ``cancel`` is set."""
    yield from sweep_frames(_engine(model, device, small), spec, cancel)


def run_flight(rgb: np.ndarray, model: object, device: object, viewports: list[Viewport], precision: str = "fast",
               cancel: CancelToken | None = None, image_id: int = 0) -> Iterator[np.ndarray]:
    """The zoom flight of the image ``rgb`` (document ``image_id``) through ``viewports`` (see
    ``flight_viewports``) on an engine of its own: one frame per view, until done or ``cancel`` is set."""
    yield from flight_frames(_engine(model, device, rgb, image_id), viewports, precision, cancel)
