"""Frozen values that cross between the GUI thread and the render workers (no Qt here)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..files.image_io import ImageDocument
from ..render.viewport import Viewport

__all__ = [
    "SOURCES", "TITLES", "CLASSIC_METHODS", "BACKGROUND_U8", "BACKGROUND",
    "OpenImage", "UseImage", "OpenedImage", "LoadModel", "SetImage",
    "ClassicRequest", "LiifRequest", "PaneImage", "LiifUpdate",
]

SOURCES = ("pixels", "bilinear", "liif")
TITLES = {"pixels": "Pixels", "bilinear": "Bilinear", "liif": "LIIF"}
CLASSIC_METHODS = {"pixels": "nearest", "bilinear": "bilinear"}
BACKGROUND_U8 = (38, 38, 41)  # pane background; renders use it outside the image so edges are seamless
BACKGROUND = tuple(c / 255.0 for c in BACKGROUND_U8)


# --- commands (run in order, never dropped) -------------------------------------------------------------
@dataclass(frozen=True)
class OpenImage:
    """Read ``path`` into a new document."""

    path: str


@dataclass(frozen=True, eq=False)
class UseImage:
    """Use a document whose pixels are already in memory (e.g. pasted)."""

    document: ImageDocument


@dataclass(frozen=True, eq=False)
class OpenedImage:
    """An opened image as the viewer holds it: its ``document`` (pixels, alpha, ICC, EXIF, path, id:
    one for the controller, both workers, their engine and the export), the display copy ``u8``
    (H, W, 3), and ``alpha``, the document's alpha when it has any transparency (else None)."""

    document: ImageDocument
    u8: np.ndarray
    alpha: np.ndarray | None = None

    @property
    def image_id(self) -> int:
        """The document's id."""
        return self.document.id

    @property
    def path(self) -> str:
        """The file it came from (or the name of pixels that have none, e.g. pasted)."""
        return self.document.path

    @property
    def rgb(self) -> np.ndarray:
        """float32 (H, W, 3) in [0, 1] (the document's, not a copy)."""
        return self.document.rgb

    @property
    def notes(self) -> tuple[str, ...]:
        """What loading changed, e.g. ``grayscale shown as RGB``."""
        return tuple(self.document.notes)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in image px."""
        return self.document.size


@dataclass(frozen=True)
class LoadModel:
    """Load the LIIF model (``model`` if given, else the checkpoint at ``path`` or the official one)."""

    path: str | None = None
    device: str = "auto"
    model: object | None = field(default=None, compare=False)


@dataclass(frozen=True, eq=False)
class SetImage:
    """Give the render engine the opened ``image`` (its document, display copy and display alpha)."""

    image: OpenedImage


# --- requests (the newest wins; older pending ones are dropped unstarted) -------------------------------
@dataclass(frozen=True)
class ClassicRequest:
    """Render ``sources`` (keys of CLASSIC_METHODS) of image ``image_id`` for ``viewport``.

    ``liif_standin`` also renders a provisional (non-final) image for the LIIF pane, shown under its
    LIIF renders until LIIF has rendered this view: bilinear, or area-averaged below 1:1.
    """

    request_id: int
    image_id: int
    viewport: Viewport
    sources: tuple[str, ...]
    liif_standin: bool = False


@dataclass(frozen=True)
class LiifRequest:
    """Render the LIIF pane of image ``image_id`` for ``viewport`` at ``precision`` (fast | exact)."""

    request_id: int
    image_id: int
    viewport: Viewport
    precision: str


# --- results --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class PaneImage:
    """What one pane source shows: ``u8`` (H, W, 3) rendered for ``viewport``; ``final`` when complete."""

    source: str
    request_id: int
    viewport: Viewport
    u8: np.ndarray
    final: bool = True


@dataclass(frozen=True, eq=False)
class LiifUpdate:
    """One progressive LIIF step for ``request``, as the render engine's RenderStep, with a display image."""

    request: LiifRequest
    kind: str  # standin | encoding | preview | partial | final
    image: PaneImage | None
    progress: float  # 0..1
    evaluated_fraction: float  # LIIF-evaluated px / px inside the image
    evaluated_px: int  # LIIF-evaluated px so far
    seconds: float  # since the render started
    message: str = ""

    @property
    def final(self) -> bool:
        """Whether this is the full-resolution result."""
        return self.kind == "final"
