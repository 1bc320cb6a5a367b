"""What each pane source (pixels, bilinear, liif) shows: layers of renders with their viewports."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ..render.viewport import Viewport
from .messages import SOURCES, PaneImage

__all__ = ["RenderStore", "Layer"]


@dataclass(frozen=True, eq=False)
class Layer:
    """A render and the QImage that wraps its pixels (no copy; ``image.u8`` keeps them alive)."""

    image: PaneImage
    qimage: QImage

    @classmethod
    def of(cls, image: PaneImage) -> Layer:
        """Wrap ``image`` for painting."""
        return cls(image, cls.wrap(image.u8))

    @staticmethod
    def wrap(u8: np.ndarray) -> QImage:
        """A QImage over contiguous uint8 RGB (H, W, 3) pixels, without a copy (keep ``u8`` alive)."""
        height, width = u8.shape[:2]
        return QImage(u8.data, width, height, 3 * width, QImage.Format.Format_RGB888)


class RenderStore(QObject):
    """Per source, the layers a pane paints bottom to top, each placed by its own viewport.

    A pane keeps showing its last render, moved and rescaled to the current view, until a
    newer one arrives. While LIIF refines, the last final LIIF render at the same scale stays
    on top of the stand-in: on the shared pixel lattice its pixels are exactly the ones the
    new render will produce, so panning never flashes back to the blurry stand-in.

    Under the LIIF renders lies the classic stand-in of the newest view (bilinear, or area below
    1:1, from the classic worker), which fills what a moved or shrunk LIIF render leaves open;
    and ``base`` (the whole image) lets a pane fill any pixel no render covers yet.
    """

    changed = Signal(str)  # source

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._layers: dict[str, list[Layer]] = {s: [] for s in SOURCES}
        self._liif_final: Layer | None = None
        self._liif_standin: Layer | None = None
        self.base: QImage | None = None  # the image itself (uint8 RGB), for pixels no render covers yet
        self._base_u8: np.ndarray | None = None  # keeps ``base``'s pixels alive
        self.liif_note = ""  # "refining 40 %", "encoding features (3/9)", "LIIF unavailable: ..."

    def clear(self) -> None:
        """Forget every render (a new image)."""
        self._liif_final = self._liif_standin = None
        for source in SOURCES:
            self._layers[source] = []
            self.changed.emit(source)

    def set_base(self, u8: np.ndarray | None) -> None:
        """The image (uint8 (H, W, 3)) that panes draw where no render covers the view yet."""
        self._base_u8 = None if u8 is None else np.ascontiguousarray(u8)
        self.base = None if u8 is None else Layer.wrap(self._base_u8)
        for source in SOURCES:
            self.changed.emit(source)

    def layers(self, source: str) -> list[Layer]:
        """Layers of ``source``, bottom first."""
        if source == "liif" and self._liif_standin is not None:
            return [self._liif_standin, *self._layers["liif"]]
        return self._layers[source]

    def set_liif_standin(self, image: PaneImage) -> None:
        """The classic stand-in of the newest view, shown under the LIIF renders (not when one covers it)."""
        if not self.is_current("liif", image.viewport):
            self._liif_standin = Layer.of(image)
            self.changed.emit("liif")

    def newest(self, source: str) -> PaneImage | None:
        """The newest render of ``source``; not always the top layer: a LIIF partial render lies under the
        last final render of the same zoom, so for LIIF it is the bottom one of its renders."""
        layers = self._layers[source]
        if not layers:
            return None
        return layers[0].image if source == "liif" else layers[-1].image

    def set_image(self, image: PaneImage) -> None:
        """Show ``image`` in its source."""
        layer = Layer.of(image)
        if image.source != "liif":
            self._layers[image.source] = [layer]
        elif image.final:
            self._liif_final = layer
            self._layers["liif"] = [layer]
            if self._liif_standin is not None and self._liif_standin.image.viewport == image.viewport:
                self._liif_standin = None  # covered everywhere
        else:
            keep = self._liif_final
            same_lattice = keep is not None and keep.image.viewport.scale == image.viewport.scale
            self._layers["liif"] = [layer, keep] if same_lattice else [layer]
        self.changed.emit(image.source)

    def set_liif_note(self, note: str) -> None:
        """The LIIF pane's small status text ('' when final)."""
        if note != self.liif_note:
            self.liif_note = note
            self.changed.emit("liif")

    def is_current(self, source: str, vp: Viewport) -> bool:
        """Whether ``source`` shows its final render made for exactly ``vp``."""
        newest = self.newest(source)
        return newest is not None and newest.final and newest.viewport == vp

    def sample(self, source: str, vp: Viewport, screen_xy: tuple[float, float]) -> tuple[int, int, int] | None:
        """RGB that ``source`` shows at ``screen_xy`` (device px of ``vp``), from a render at the same scale."""
        for layer in reversed(self.layers(source)):
            lvp = layer.image.viewport
            if lvp.scale != vp.scale:
                continue
            ox, oy = vp.origin_lattice
            lx, ly = lvp.origin_lattice
            col, row = int(ox + screen_xy[0]) - lx, int(oy + screen_xy[1]) - ly
            if 0 <= row < lvp.height and 0 <= col < lvp.width:
                r, g, b = layer.image.u8[row, col]
                return int(r), int(g), int(b)
        return None
