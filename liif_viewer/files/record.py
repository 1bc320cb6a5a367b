"""Writing frame sequences: animated GIF and APNG with Pillow, MP4 (H.264) with PyAV.

Every writer streams to a temporary file beside the target and renames it when
complete, so a cancelled or failed recording leaves nothing behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from .atomic import atomic_write

__all__ = ["FORMATS", "RecordError", "write_animation"]

FORMATS = {".gif": "GIF", ".png": "APNG", ".apng": "APNG", ".mp4": "MP4"}


class RecordError(RuntimeError):
    """The recording could not be written; nothing was left at the target."""


def _write_pillow(tmp: Path, frames: Iterable[np.ndarray], fps: float, fmt: str,
                  progress: Callable[[int], None]) -> int:
    images = []
    for k, frame in enumerate(frames, 1):
        img = Image.fromarray(frame)
        # GIF holds 256 colours a frame: quantise now so memory stays at one byte a pixel.
        images.append(img.quantize(256, dither=Image.Dither.NONE) if fmt == "GIF" else img)
        progress(k)
    if not images:
        raise RecordError("no frames were rendered")
    duration = round(1000 / fps)
    images[0].save(tmp, format="PNG" if fmt == "APNG" else "GIF", save_all=True, append_images=images[1:],
                   duration=duration, loop=0)
    return len(images)


def _write_mp4(tmp: Path, frames: Iterable[np.ndarray], fps: float, progress: Callable[[int], None]) -> int:
    try:
        import av
    except ImportError:
        raise RecordError("MP4 needs PyAV: pip install av (or record .gif / .png)") from None
    from fractions import Fraction

    count = 0
    with av.open(str(tmp), mode="w", format="mp4") as container:
        stream = None
        for frame in frames:
            # H.264 with 4:2:0 chroma needs even sizes: pad by one row/column where needed.
            h, w = frame.shape[:2]
            frame = np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
            if stream is None:
                stream = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
                stream.width, stream.height = frame.shape[1], frame.shape[0]
                stream.pix_fmt = "yuv420p"
                stream.options = {"crf": "18", "preset": "medium"}
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")):
                container.mux(packet)
            count += 1
            progress(count)
        if stream is None:
            raise RecordError("no frames were rendered")
        for packet in stream.encode():
            container.mux(packet)
    return count


def write_animation(path: str | os.PathLike[str], frames: Iterable[np.ndarray], fps: float = 30.0,
                    progress: Callable[[int], None] = lambda k: None) -> int:
    """Write ``frames`` (uint8 H x W x 3, all the same size) to ``path``; returns the frame count."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise RecordError(f"{path.name}: unknown animation format; use .gif, .png (APNG) or .mp4")
    if not path.parent.is_dir():
        raise RecordError(f"cannot write {path}: folder {path.parent} does not exist")
    writing = atomic_write(path)  # a cancel (Ctrl+C, closed generator) leaves nothing behind, as a failure
    try:
        with writing as tmp:
            count = _write_mp4(tmp, frames, fps, progress) if fmt == "MP4" else _write_pillow(tmp, frames, fps, fmt,
                                                                                               progress)
    except RecordError:
        raise
    except Exception as exc:
        raise RecordError(f"could not write {path}: {exc}") from None
    return count
