"""Reading and writing images with Pillow, with one stated policy for every mode.

Policy (applies to the viewer, ``upscale`` and ``export``):

* EXIF orientation is applied on load, so pixels are shown as the camera meant.
* Colour is processed in the file's own encoding; an embedded ICC profile is kept
  and written back to outputs that can hold it (PNG, JPEG, TIFF, WebP), together
  with the EXIF block (orientation reset to 1).
* Grayscale (L, I;16, I, F) is replicated to RGB; 16-bit data keeps its precision
  as float (Pillow reads 48-bit RGB PNGs as 8-bit RGB, a Pillow limitation).
* Palette images are expanded; CMYK and YCbCr/LAB are converted to RGB by Pillow.
* Alpha is kept (8-bit, as every Pillow mode with alpha holds it): it is resized
  separately with bilinear interpolation and written back where the output format
  supports it (PNG, TIFF, WebP); JPEG outputs drop it, composited over white.
* A file that is missing, empty, truncated, corrupt or not an image raises
  ``ImageLoadError`` with a one-line message.
"""

from __future__ import annotations

import errno
import itertools
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .atomic import atomic_write

__all__ = ["ImageDocument", "ImageLoadError", "ImageSaveError", "load_image", "save_image", "to_uint8", "ALPHA_FORMATS",
           "check_writable", "write_error_reason"]

ALPHA_FORMATS = {".png", ".tif", ".tiff", ".webp"}
#: zlib level of PNG outputs. Pillow's default, 6, took 0.40 s for a 1920x1080 export (13 s at 70 MP); over
#: 32 images (Set14, Urban100 and their x3 upscales) 4 wrote 2.2x faster for files 2.6% larger (median; at
#: most 21%), 3 wrote 2.6x faster for 6.5% larger (docs/performance.md).
PNG_COMPRESS_LEVEL = 4
_SUFFIX_FORMAT = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP",
                  ".bmp": "BMP"}
_EXIF_ORIENTATION = 0x0112
_document_ids = itertools.count(1)  # next() on a count is atomic: documents may be made in any thread


class ImageLoadError(ValueError):
    """The file cannot be read as an image; ``str(exc)`` is a one-line message."""


class ImageSaveError(OSError):
    """The output could not be written; nothing partial was left behind."""


@dataclass(eq=False)
class ImageDocument:
    """One open image, passed around (never copied) by the viewer, the commands and the tasks.

    ``rgb`` (H, W, 3) float32 in [0, 1]; ``alpha`` (H, W) uint8 or None; the file's ``icc_profile``
    and ``exif`` (orientation reset to 1) for outputs; ``path`` the file it came from (or a name for
    pixels that have none, e.g. pasted); ``id`` unique in the process (one counter for every document),
    so caches and requests keyed by it never mix two images.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None = None
    icc_profile: bytes | None = None
    exif: bytes | None = None
    path: str = ""
    mode: str = "RGB"
    notes: list[str] = field(default_factory=list)
    id: int = field(default_factory=lambda: next(_document_ids))

    @property
    def height(self) -> int:
        """Rows."""
        return int(self.rgb.shape[0])

    @property
    def width(self) -> int:
        """Columns."""
        return int(self.rgb.shape[1])

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in image px."""
        return self.width, self.height


def _float_gray(img: Image.Image) -> np.ndarray:
    arr = np.asarray(img)
    if img.mode.startswith("I;16"):
        return arr.astype(np.float32) / 65535.0
    if img.mode == "I":
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        return np.clip(arr.astype(np.float32) / top, 0.0, 1.0)
    if img.mode == "F":
        return np.clip(arr.astype(np.float32), 0.0, 1.0)
    return arr.astype(np.float32) / 255.0


def _to_arrays(img: Image.Image, notes: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    mode = img.mode
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        mode = img.mode
    alpha = None
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = np.ascontiguousarray(img.getchannel("A"), dtype=np.uint8)
        img = img.convert("RGB" if mode.startswith(("RGB", "P")) else "L")
        mode = img.mode
    if mode in ("L", "1", "I", "F") or mode.startswith("I;16"):
        gray = _float_gray(img.convert("L") if mode == "1" else img)
        notes.append("grayscale shown as RGB")
        return np.repeat(gray[:, :, None], 3, axis=2), alpha
    if mode != "RGB":
        notes.append(f"{mode} converted to RGB")
        img = img.convert("RGB")
    return np.asarray(img, dtype=np.float32) / 255.0, alpha


_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"),
               (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"BM", "BMP"))


def _sniffed_format(path: Path) -> str:
    """The image format the file's first bytes announce ('' when none)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return ""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((fmt for magic, fmt in _SIGNATURES if head.startswith(magic)), "")


def _damage(name: str, fmt: str, detail: str) -> str:
    """What is wrong with a file whose image data cannot be decoded, in one line."""
    kind = f"{fmt} file" if fmt else "image file"
    if "truncated" in detail.lower():
        return f"{name}: the {kind} is cut short (incomplete download or copy?)"
    return f"{name}: the {kind} is damaged ({detail or 'its data cannot be decoded'})"


def load_image(path: str | os.PathLike[str]) -> ImageDocument:
    """Read ``path`` following the module's policy; raises ``ImageLoadError``."""
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ImageLoadError(f"{name}: no such file")
    if path.is_dir():
        raise ImageLoadError(f"{name}: is a folder, not an image")
    if path.stat().st_size == 0:
        raise ImageLoadError(f"{name}: the file is empty")
    fmt = ""
    try:
        with Image.open(path) as img:
            fmt = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "TIFF": "TIFF"}.get(img.format or "", img.format or "")
            img.load()
            icc = img.info.get("icc_profile")
            exif = img.getexif()
            img = ImageOps.exif_transpose(img) or img
            exif_bytes = None
            if len(exif):
                exif[_EXIF_ORIENTATION] = 1
                exif_bytes = exif.tobytes()
            notes: list[str] = []
            rgb, alpha = _to_arrays(img, notes)
            mode = img.mode
    except UnidentifiedImageError:
        sniffed = _sniffed_format(path)
        if sniffed:
            raise ImageLoadError(f"{name}: the {sniffed} file is damaged (its header is not valid)") from None
        raise ImageLoadError(f"{name}: not an image (its contents match no image format the viewer reads)") from None
    except Image.DecompressionBombError as exc:
        raise ImageLoadError(f"{name}: too large to open safely ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(_damage(name, fmt or _sniffed_format(path), str(exc).strip().splitlines()[0]
                                     if str(exc).strip() else "")) from None
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise ImageLoadError(f"{name}: the image has no pixels")
    return ImageDocument(np.ascontiguousarray(rgb), alpha, icc, exif_bytes, str(path), mode, notes)


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    """Float in [0, 1] (any shape) → uint8, clamped and rounded to nearest."""
    return np.floor(np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _encoder_options(fmt: str, quality: int, icc: bytes | None, exif: bytes | None,
                     pnginfo: dict[str, str] | None) -> dict[str, object]:
    opts: dict[str, object] = {}
    if icc and fmt in ("PNG", "JPEG", "TIFF", "WEBP"):
        opts["icc_profile"] = icc
    if exif and fmt in ("PNG", "JPEG", "TIFF", "WEBP"):
        opts["exif"] = exif
    if fmt in ("JPEG", "WEBP"):
        opts["quality"] = quality
    if fmt == "PNG":
        opts["compress_level"] = PNG_COMPRESS_LEVEL
    if fmt == "PNG" and pnginfo:
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        for key, value in pnginfo.items():
            info.add_text(key, value)
        opts["pnginfo"] = info
    return opts


def write_error_reason(exc: OSError) -> str:
    """Why creating or writing a file failed, in words (the folder is known to exist)."""
    reasons = {
        errno.EACCES: "permission denied (you cannot create files there)",
        errno.EPERM: "permission denied (you cannot create files there)",
        errno.EROFS: "the folder is on a read-only file system",
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "your disk quota is used up",
        errno.ENOENT: "the folder does not accept new files (a system folder?)",
        errno.ENAMETOOLONG: "the file name is too long",
        errno.EISDIR: "a folder has that name",
    }
    return reasons.get(exc.errno or -1) or exc.strerror or str(exc)


def check_writable(path: str | os.PathLike[str], suffixes: tuple[str, ...] = tuple(_SUFFIX_FORMAT)) -> str:
    """'' when a file can be written at ``path``, else a one-line reason, found before any work is done:
    the extension is one of ``suffixes``, and a temporary file is created in the folder and deleted
    again (permissions alone do not tell, e.g. root in /proc, a read-only mount)."""
    path = Path(path)
    if path.suffix.lower() not in suffixes:
        return f"{path.name}: unknown output format; use one of {', '.join(sorted(suffixes))}"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        return f"cannot write {path}: folder {folder} does not exist"
    if not folder.is_dir():
        return f"cannot write {path}: {folder} is a file, not a folder"
    if path.is_dir():
        return f"cannot write {path}: it is a folder"
    if len(os.fsencode(path.name)) > 255:
        return f"cannot write {path.name[:40]}…: the file name is too long"
    try:
        fd, name = tempfile.mkstemp(prefix=".liif-viewer-check-", suffix=".part", dir=folder)
    except OSError as exc:
        return f"cannot write to {folder}: {write_error_reason(exc)}; choose another folder"
    os.close(fd)
    Path(name).unlink(missing_ok=True)
    return ""


def save_image(
    path: str | os.PathLike[str],
    rgb8: np.ndarray,
    alpha8: np.ndarray | None = None,
    icc_profile: bytes | None = None,
    exif: bytes | None = None,
    quality: int = 95,
    text: dict[str, str] | None = None,
) -> Path:
    """Write uint8 RGB (H, W, 3) (+ alpha) atomically: a temporary file, then a rename.

    The format follows the extension. On any failure nothing is left at ``path``
    and ``ImageSaveError`` says what happened.
    """
    path = Path(path)
    fmt = _SUFFIX_FORMAT.get(path.suffix.lower())
    if fmt is None:
        raise ImageSaveError(f"{path.name}: unknown output format; use one of {', '.join(sorted(_SUFFIX_FORMAT))}")
    if alpha8 is not None and path.suffix.lower() in ALPHA_FORMATS:
        img = Image.fromarray(np.dstack([rgb8, alpha8]), "RGBA")
    else:
        if alpha8 is not None:  # composite over white for formats without alpha
            a = alpha8.astype(np.float32)[:, :, None] / 255.0
            rgb8 = np.floor(rgb8 * a + 255.0 * (1 - a) + 0.5).astype(np.uint8)
        img = Image.fromarray(rgb8, "RGB")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ImageSaveError(f"cannot write {path}: folder {folder} does not exist")
    try:
        writing = atomic_write(path)
    except OSError as exc:
        raise ImageSaveError(f"cannot write to {folder}: {write_error_reason(exc)}") from None
    try:
        with writing as part, open(part, "wb") as fh:
            img.save(fh, format=fmt, **_encoder_options(fmt, quality, icc_profile, exif, text))
    except Exception as exc:
        reason = write_error_reason(exc) if isinstance(exc, OSError) else str(exc)
        raise ImageSaveError(f"could not write {path}: {reason}") from None
    return path
