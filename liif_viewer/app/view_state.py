"""The one pan/zoom state every pane shares, and the zoom limits of the viewer."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..render.viewport import Viewport

__all__ = ["ViewState", "MAX_ZOOM", "FIT_DIVISOR", "format_zoom"]

MAX_ZOOM = 128.0  # device px per image px; LIIF keeps going where the other panes show blocks and blur
FIT_DIVISOR = 8.0  # the smallest zoom is the fitted zoom divided by this


def format_zoom(scale: float) -> str:
    """``×12.5``, ``×1``, ``×0.333``: three significant figures, no trailing zeros."""
    text = f"{scale:.3g}"
    if "e" in text:
        text = f"{scale:.1f}"
    return "×" + text


class ViewState(QObject):
    """Centre (image px) and scale (device px per image px) shown by every pane of one size (device px).

    ``changed`` fires after any change; ``viewport`` is the frozen value the panes and renderers use.
    While ``fitting`` is true the view follows the pane size (fit on resize); any zoom or pan clears it.
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.center_x = 0.5
        self.center_y = 0.5
        self.scale = 1.0
        self.image_size: tuple[int, int] | None = None
        self.pane_size: tuple[int, int] = (1, 1)
        self.fitting = True

    # --- values -------------------------------------------------------------------------------------
    @property
    def viewport(self) -> Viewport:
        """The viewport of one pane (all visible panes have this size)."""
        return Viewport(self.center_x, self.center_y, self.scale, *self.pane_size)

    @property
    def fit_scale(self) -> float:
        """The scale at which the whole image fits the pane."""
        if self.image_size is None:
            return 1.0
        (iw, ih), (pw, ph) = self.image_size, self.pane_size
        return min(pw / iw, ph / ih)

    @property
    def min_scale(self) -> float:
        """Smallest allowed scale: fit ÷ 8."""
        return self.fit_scale / FIT_DIVISOR

    @property
    def max_scale(self) -> float:
        """Largest allowed scale: ×128, or the fitted scale for tiny images."""
        return max(MAX_ZOOM, self.fit_scale)

    # --- inputs -------------------------------------------------------------------------------------
    def set_image_size(self, width: int, height: int) -> None:
        """A new image: fit it."""
        self.image_size = (width, height)
        self.fit()

    def set_pane_size(self, width: int, height: int) -> None:
        """Pane size in device px; keeps the centre and scale unless fitting."""
        size = (max(1, width), max(1, height))
        if size == self.pane_size:
            return
        self.pane_size = size
        if self.fitting and self.image_size is not None:
            self._set(self.image_size[0] / 2, self.image_size[1] / 2, self.fit_scale, keep_fitting=True, force=True)
        else:
            self._set(self.center_x, self.center_y, self.scale, keep_fitting=self.fitting, force=True)

    def fit(self) -> None:
        """Show the whole image, centred."""
        if self.image_size is None:
            return
        self._set(self.image_size[0] / 2, self.image_size[1] / 2, self.fit_scale, keep_fitting=True, force=True)

    def zoom_at(self, screen_xy: tuple[float, float], factor: float) -> None:
        """Zoom by ``factor`` keeping the image point under ``screen_xy`` (device px) where it is."""
        self.zoom_to(self.scale * factor, screen_xy)

    def zoom_to(self, scale: float, screen_xy: tuple[float, float] | None = None) -> None:
        """Zoom to ``scale`` (clamped) about ``screen_xy`` (device px; default the pane centre)."""
        scale = min(self.max_scale, max(self.min_scale, scale))
        if screen_xy is None:
            self._set(self.center_x, self.center_y, scale)
            return
        # Continuous centre maths (not the lattice-snapped Viewport.zoomed_at), so that a long run of
        # wheel steps keeps the point within the snap's half pixel instead of drifting a bit each step.
        width, height = self.pane_size
        offset_x, offset_y = screen_xy[0] - width / 2, screen_xy[1] - height / 2
        image_x, image_y = self.center_x + offset_x / self.scale, self.center_y + offset_y / self.scale
        self._set(image_x - offset_x / scale, image_y - offset_y / scale, scale)

    def pan_by(self, dx_screen: float, dy_screen: float) -> None:
        """Move the content by (dx, dy) device px, as a drag does."""
        self._set(self.center_x - dx_screen / self.scale, self.center_y - dy_screen / self.scale, self.scale)

    def center_on(self, image_x: float, image_y: float) -> None:
        """Put the image point (image px) at the pane centre."""
        self._set(image_x, image_y, self.scale)

    def image_under(self, screen_xy: tuple[float, float]) -> tuple[float, float]:
        """Image position (image px) shown at ``screen_xy`` (device px)."""
        return self.viewport.screen_to_image(*screen_xy)

    # --- internals ----------------------------------------------------------------------------------
    def _set(self, center_x: float, center_y: float, scale: float, keep_fitting: bool = False,
             force: bool = False) -> None:
        if self.image_size is not None:  # keep the image centre reachable, never lost off screen
            center_x = min(float(self.image_size[0]), max(0.0, center_x))
            center_y = min(float(self.image_size[1]), max(0.0, center_y))
        self.fitting = keep_fitting
        if not force and (center_x, center_y, scale) == (self.center_x, self.center_y, self.scale):
            return
        self.center_x, self.center_y, self.scale = center_x, center_y, scale
        self.changed.emit()
