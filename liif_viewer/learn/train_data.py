"""Training data for the paper's self-supervised task (LIIF section 3.4, ``sr-implicit-downsampled``).

Each sample: a random HR crop of side ``round(patch * s)`` with ``s`` uniform in
[1, ``scale_max``], downsampled with Pillow's bicubic (from 8-bit) to a ``patch`` x ``patch``
LR input; the same random flips/transpose on both; ``sample_q`` HR pixel centres drawn
without replacement, with their RGB and the cell of one HR pixel. No labels are needed:
every image of a folder teaches the model its own details.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..files.image_io import ImageLoadError, load_image, to_uint8
from ..model import make_coord

__all__ = ["TrainDataError", "TrainImages", "load_images", "PatchSampler", "SampleDraw"]


class TrainDataError(ValueError):
    """The training folder holds no usable images; the message lists what was skipped."""


@dataclass(frozen=True)
class TrainImages:
    """8-bit RGB images (H, W, 3) held in memory (as LIIF's ``cache: in_memory``), and what was skipped."""

    images: tuple[np.ndarray, ...]
    names: tuple[str, ...]
    skipped: tuple[str, ...]  # "file (reason)"


def load_images(folder: str | Path, min_side: int) -> TrainImages:
    """Every readable image in ``folder`` (not recursive) whose shorter side is at least ``min_side``.

    Raises ``TrainDataError`` when none is left, listing the files skipped and why.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise TrainDataError(f"{folder} is not a folder")
    images, names, skipped = [], [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        try:
            rgb = to_uint8(load_image(path).rgb)
        except ImageLoadError:
            skipped.append(f"{path.name} (not an image)")
            continue
        if min(rgb.shape[:2]) < min_side:
            skipped.append(f"{path.name} ({rgb.shape[1]}x{rgb.shape[0]}, smaller than a {min_side}x{min_side} patch)")
            continue
        images.append(rgb)
        names.append(path.name)
    if not images:
        detail = f"; skipped: {', '.join(skipped)}" if skipped else " (the folder is empty)"
        raise TrainDataError(f"no usable training images in {folder}{detail}")
    return TrainImages(tuple(images), tuple(names), tuple(skipped))


@dataclass(frozen=True)
class SampleDraw:
    """The random choices of one sample: HR crop side and corner, (flip rows, flip columns, transpose), and
    the flat indices of the queried HR pixels."""

    side: int
    y0: int
    x0: int
    flips: tuple[bool, bool, bool]
    picks: np.ndarray


class PatchSampler:
    """Random training samples from ``images``: LR patches, HR query coordinates, cells and targets."""

    def __init__(self, images: tuple[np.ndarray, ...], patch: int = 48, scale_max: float = 4.0,
                 sample_q: int = 2304, augment: bool = True) -> None:
        if sample_q > patch * patch:
            raise ValueError(f"sample_q {sample_q} exceeds the {patch * patch} HR pixels of a x1 patch")
        self.images = images
        self.patch = patch
        self.scale_max = scale_max
        self.sample_q = sample_q
        self.augment = augment

    def sample(self, index: int, rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """One sample of image ``index``: inp (3, p, p), coord/cell (Q, 2) norm_yx, gt (Q, 3), all in [0, 1]."""
        return self.cut(index, self.draw(index, rng))

    def draw(self, index: int, rng: np.random.Generator) -> SampleDraw:
        """The random choices of one sample of image ``index`` (all that ``sample`` takes from ``rng``).

        A rank of a distributed run draws every sample of the global batch, so that the stream stays the
        same as in one process, but cuts only its own share.
        """
        hr = self.images[index]
        # Images between one patch and scale_max patches wide train on the scales they allow.
        s_max = min(self.scale_max, min(hr.shape[:2]) / self.patch)
        side = min(round(self.patch * rng.uniform(1.0, s_max)), *hr.shape[:2])
        y0 = int(rng.integers(0, hr.shape[0] - side + 1))
        x0 = int(rng.integers(0, hr.shape[1] - side + 1))
        flips = tuple(bool(f) for f in rng.random(3) < 0.5) if self.augment else (False, False, False)
        picks = rng.choice(side * side, self.sample_q, replace=False)
        return SampleDraw(side, y0, x0, flips, picks)

    def cut(self, index: int, draw: SampleDraw) -> dict[str, torch.Tensor]:
        """The sample of image ``index`` that ``draw`` describes."""
        hr, side, y0, x0, picks = self.images[index], draw.side, draw.y0, draw.x0, draw.picks
        crop_hr = hr[y0:y0 + side, x0:x0 + side]
        crop_lr = np.asarray(Image.fromarray(crop_hr).resize((self.patch, self.patch), Image.Resampling.BICUBIC))
        if any(draw.flips):
            crop_lr, crop_hr = (self._augment(a, *draw.flips) for a in (crop_lr, crop_hr))
        rows, cols = np.divmod(picks, side)
        centres = make_coord(side)
        coord = torch.stack([centres[torch.from_numpy(rows)], centres[torch.from_numpy(cols)]], dim=-1)
        gt = torch.from_numpy(crop_hr.reshape(-1, 3)[picks].astype(np.float32) / 255.0)
        cell = torch.full((self.sample_q, 2), 2.0 / side)
        inp = torch.from_numpy(np.ascontiguousarray(crop_lr.transpose(2, 0, 1)).astype(np.float32) / 255.0)
        return {"inp": inp, "coord": coord, "cell": cell, "gt": gt}

    def batch(self, indices: list[int], rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """Samples of ``indices`` stacked along a new first axis."""
        samples = [self.sample(i, rng) for i in indices]
        return {key: torch.stack([s[key] for s in samples]) for key in samples[0]}

    @staticmethod
    def _augment(a: np.ndarray, flip_rows: bool, flip_cols: bool, transpose: bool) -> np.ndarray:
        if flip_rows:
            a = a[::-1]
        if flip_cols:
            a = a[:, ::-1]
        if transpose:
            a = a.transpose(1, 0, 2)
        return np.ascontiguousarray(a)
