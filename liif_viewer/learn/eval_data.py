"""Benchmark folders for ``main.py eval``: finding the sets and preparing each LR/HR pair.

A *set* is a folder of HR images (directly, or in an ``HR/`` subfolder). Where the set
provides the official low-resolution inputs, ``LR_bicubic/X<s>/<name>x<s>.png`` (the EDSR
benchmark layout that LIIF's ``configs/test/test-{set5,set14}-{2,3,4}.yaml`` read), they are
used and the HR image is cropped from the top-left to ``s`` x the LR size (LIIF's
``sr-implicit-paired``). Otherwise the HR image is cropped from the top-left to multiples of
``s`` and downscaled with Pillow's bicubic from 8-bit (LIIF's ``sr-implicit-downsampled``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..files.image_io import load_image, to_uint8

__all__ = ["BenchmarkSet", "EvalDataError", "Pair", "find_sets", "prepare_pair", "bicubic_upsample"]

_LR_DIR = "LR_bicubic"
_NOT_IMAGES = {".md", ".txt", ".json", ".yaml", ".yml", ".csv", ".py", ".pth", ".zip", ".tar", ".gz"}


class EvalDataError(ValueError):
    """The data folder holds no usable benchmark images; the message says what was found."""


@dataclass(frozen=True)
class BenchmarkSet:
    """One benchmark set: its name, HR images, where its LR inputs live, and the files skipped."""

    name: str
    images: tuple[Path, ...]
    lr_root: Path | None  # the folder holding X2/, X3/, ... (None when the set has none)
    skipped: tuple[str, ...] = ()  # "file (reason)"

    def lr_path(self, image: Path, scale: int) -> Path | None:
        """The official LR input of ``image`` at ``scale``, when the set has one."""
        if self.lr_root is None:
            return None
        folder = self.lr_root / f"X{scale}"
        for name in (f"{image.stem}x{scale}{image.suffix}", image.name):
            if (folder / name).is_file():
                return folder / name
        return None


@dataclass(frozen=True)
class Pair:
    """An evaluation pair: 8-bit LR input (h, w, 3) and 8-bit HR target (s*h, s*w, 3)."""

    lr_u8: np.ndarray
    hr_u8: np.ndarray
    lr_source: str  # "LR_bicubic" (official file) or "pillow-bicubic" (made from HR)


def _is_image(path: Path) -> str:
    """'' when Pillow can read the header of ``path``, else the reason it cannot."""
    if path.suffix.lower() in _NOT_IMAGES:
        return "not an image"
    try:
        with Image.open(path) as img:
            img.size  # noqa: B018  (header only)
    except (UnidentifiedImageError, OSError, ValueError):
        return "not an image Pillow can read"
    return ""


def _scan(folder: Path) -> tuple[list[Path], list[str]]:
    images, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        reason = _is_image(path)
        if reason:
            skipped.append(f"{path.name} ({reason})")
        else:
            images.append(path)
    return images, skipped


def _as_set(folder: Path) -> BenchmarkSet | None:
    hr_dir = folder / "HR" if (folder / "HR").is_dir() else folder
    images, skipped = _scan(hr_dir)
    if not images and not skipped:
        return None
    lr_root = folder / _LR_DIR if (folder / _LR_DIR).is_dir() else None
    return BenchmarkSet(folder.name, tuple(images), lr_root, tuple(skipped))


def find_sets(data_dir: str | Path) -> list[BenchmarkSet]:
    """The sets in ``data_dir``: the folder itself when it holds images, else each subfolder that does.

    Raises ``EvalDataError`` when nothing usable is found (listing skipped files).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise EvalDataError(f"{data_dir} is not a folder")
    own = _as_set(data_dir)
    if own is not None and own.images:
        sets = [own]
    else:
        subs = [s for s in (_as_set(p) for p in sorted(data_dir.iterdir()) if p.is_dir() and p.name != _LR_DIR)
                if s is not None]
        sets = [s for s in subs if s.images]
        if not sets:
            skipped = [*(own.skipped if own else ()), *(f"{s.name}/{f}" for s in subs for f in s.skipped)]
            detail = f"; skipped: {', '.join(skipped)}" if skipped else ""
            raise EvalDataError(f"no images found in {data_dir} or its subfolders{detail}")
    return sets


def _read_u8(path: Path) -> np.ndarray:
    """8-bit RGB (H, W, 3) of ``path`` (grayscale replicated, as LIIF's ``.convert('RGB')``)."""
    return to_uint8(load_image(path).rgb)


def prepare_pair(bench: BenchmarkSet, image: Path, scale: int) -> Pair:
    """The LR input and HR target of ``image`` at integer ``scale`` (see the module docstring).

    Raises ``ImageLoadError`` for unreadable files and ``ValueError`` when the image is too
    small for ``scale`` or does not match its LR file.
    """
    hr = _read_u8(image)
    lr_file = bench.lr_path(image, scale)
    if lr_file is not None:
        lr = _read_u8(lr_file)
        h, w = lr.shape[0] * scale, lr.shape[1] * scale
        if hr.shape[0] < h or hr.shape[1] < w:
            raise ValueError(f"HR {hr.shape[1]}x{hr.shape[0]} is smaller than x{scale} of {lr_file.name}")
        return Pair(lr, np.ascontiguousarray(hr[:h, :w]), _LR_DIR)
    h_lr, w_lr = hr.shape[0] // scale, hr.shape[1] // scale
    if h_lr < 1 or w_lr < 1:
        raise ValueError(f"{hr.shape[1]}x{hr.shape[0]} is smaller than the scale x{scale}")
    hr = np.ascontiguousarray(hr[: h_lr * scale, : w_lr * scale])
    lr = np.asarray(Image.fromarray(hr).resize((w_lr, h_lr), Image.Resampling.BICUBIC))
    return Pair(lr, hr, "pillow-bicubic")


def bicubic_upsample(lr_u8: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pillow bicubic of 8-bit RGB to ``width`` x ``height``, computed in float (no 8-bit rounding), in [0, 1]."""
    channels = [
        np.asarray(Image.fromarray(lr_u8[..., c].astype(np.float32) / 255.0).resize(
            (width, height), Image.Resampling.BICUBIC))
        for c in range(3)
    ]
    return np.clip(np.stack(channels, axis=-1), 0.0, 1.0)

