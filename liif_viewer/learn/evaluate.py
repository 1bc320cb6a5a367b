"""``main.py eval``: the paper's PSNR protocols on benchmark sets, LIIF against bicubic.

Protocols (LIIF's ``utils.calc_psnr``, ``test.py``):

* ``benchmark`` (Set5, Set14, B100, Urban100): PSNR of the Y channel of the difference,
  ``(65.738 R + 129.057 G + 25.064 B) / 256``, a border of ``scale`` pixels shaved.
* ``div2k``: PSNR over RGB, a border of ``scale + 6`` pixels shaved.

The prediction is clamped to [0, 1] and not rounded to 8 bits; a set's score is the
mean of its per-image PSNRs. LIIF is rendered by the engine's exact fast path (fp32,
equal to the official query on its ``make_coord`` grid within 1e-5, memory bounded by tiles); the
bicubic baseline upsamples the same LR input with Pillow's bicubic.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..files.image_io import ImageLoadError
from ..model import LIIF
from ..render.engine import RenderEngine
from ..render.inspection import psnr as plain_psnr
from ..render.viewport import Viewport
from .eval_data import BenchmarkSet, bicubic_upsample, prepare_pair

__all__ = ["PROTOCOLS", "Y_COEFFS", "EvalRow", "Skipped", "psnr", "shave_px", "protocol_for", "upsample_liif",
           "iter_eval", "count_jobs"]

PROTOCOLS = ("benchmark", "div2k")
#: Y (luma) weights of the difference, over 256 (ITU-R BT.601 for 8-bit, as in LIIF and EDSR).
Y_COEFFS = (65.738 / 256, 129.057 / 256, 25.064 / 256)


@dataclass(frozen=True)
class EvalRow:
    """PSNR (dB) of one image, or the set mean when ``image == "mean"``."""

    set: str
    scale: int
    image: str
    psnr_liif: float
    psnr_bicubic: float
    protocol: str = "benchmark"
    count: int = 1  # images averaged (mean rows)

    def as_json(self) -> dict[str, object]:
        """The JSON-lines record: set, scale, image, psnr_liif, psnr_bicubic."""
        return {"set": self.set, "scale": self.scale, "image": self.image,
                "psnr_liif": round(self.psnr_liif, 4), "psnr_bicubic": round(self.psnr_bicubic, 4)}


@dataclass(frozen=True)
class Skipped:
    """An image left out of a set at a scale, and why."""

    set: str
    scale: int
    image: str
    reason: str


def shave_px(protocol: str, scale: int) -> int:
    """Border pixels left out of the PSNR under ``protocol`` at ``scale``."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}")
    return scale if protocol == "benchmark" else scale + 6


def psnr(pred: np.ndarray, target: np.ndarray, protocol: str, scale: int) -> float:
    """PSNR (dB) of ``pred`` against ``target``, both (H, W, 3) in [0, 1], under ``protocol``."""
    shave = shave_px(protocol, scale)
    pred, target = np.asarray(pred, np.float64), np.asarray(target, np.float64)
    if protocol == "benchmark":
        pred, target = pred @ np.asarray(Y_COEFFS), target @ np.asarray(Y_COEFFS)
    valid = (slice(shave, -shave), slice(shave, -shave))
    if pred[valid].size == 0:
        raise ValueError(f"image {target.shape[1]}x{target.shape[0]} is no larger than its {shave}-pixel border")
    return plain_psnr(pred[valid], target[valid])


def protocol_for(set_name: str, protocol: str = "auto") -> str:
    """``auto`` → ``div2k`` for DIV2K sets, else ``benchmark``; other values as given."""
    if protocol == "auto":
        return "div2k" if set_name.lower().startswith("div2k") else "benchmark"
    shave_px(protocol, 1)  # validates the name
    return protocol


def upsample_liif(engine: RenderEngine, lr_u8: np.ndarray, width: int, height: int) -> np.ndarray:
    """LIIF of 8-bit RGB at ``width`` x ``height`` (exact fast path, clamped): float32 (H, W, 3).

    Always the model's own output, also for an input under 2 px on a side (it is LIIF that is scored).
    """
    engine.liif_under_min_side = engine.liif_below_one = True
    engine.set_image(lr_u8.astype(np.float32) / 255.0)
    h, w = lr_u8.shape[:2]
    vp = Viewport.from_region(0, 0, w, h, width, height)
    out = np.empty((height, width, 3), np.float32)
    for x0, y0, block in engine.iter_view_tiles(vp, "exact", cache=False, order="rows"):
        out[y0:y0 + block.shape[0], x0:x0 + block.shape[1]] = block
    return np.clip(out, 0.0, 1.0, out=out)


@torch.no_grad()
def iter_eval(model: LIIF, device: torch.device | str, sets: Sequence[BenchmarkSet], scales: Sequence[int],
              protocol: str = "auto") -> Iterator[EvalRow | Skipped]:
    """Evaluate every image of every set at every scale; yields per-image rows, skips, then each set-scale mean.

    Sets are walked in order, each over ``scales``; after a set's images at one scale comes
    its ``"mean"`` row (omitted when every image was skipped).
    """
    engine = RenderEngine(model, device)
    for bench in sets:
        proto = protocol_for(bench.name, protocol)
        for scale in scales:
            rows: list[EvalRow] = []
            for image in bench.images:
                try:
                    pair = prepare_pair(bench, image, scale)
                    height, width = pair.hr_u8.shape[:2]
                    target = pair.hr_u8.astype(np.float32) / 255.0
                    if min(height, width) <= 2 * shave_px(proto, scale):
                        raise ValueError(f"{width}x{height} at x{scale} is no larger than the shaved border")
                    liif = upsample_liif(engine, pair.lr_u8, width, height)
                    bicubic = bicubic_upsample(pair.lr_u8, width, height)
                except (ImageLoadError, ValueError) as exc:
                    yield Skipped(bench.name, scale, image.name, str(exc))
                    continue
                row = EvalRow(bench.name, scale, image.stem, psnr(liif, target, proto, scale),
                              psnr(bicubic, target, proto, scale), proto)
                rows.append(row)
                yield row
            if rows:
                yield EvalRow(bench.name, scale, "mean", float(np.mean([r.psnr_liif for r in rows])),
                              float(np.mean([r.psnr_bicubic for r in rows])), proto, len(rows))


def count_jobs(sets: Sequence[BenchmarkSet], scales: Sequence[int]) -> int:
    """How many per-image evaluations ``iter_eval`` runs (for a progress bar)."""
    return sum(len(s.images) for s in sets) * len(scales)

