"""The status bar: image, cursor readout of every pane, zoom, LIIF timing, device and fast/exact toggle."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from .messages import TITLES
from .view_state import format_zoom

__all__ = ["StatusPanel", "format_rate", "PROGRESS_WIDTH"]

PROGRESS_WIDTH = 230  # logical px of the progress bar; its text is kept to one line inside it


def format_rate(px_per_s: float) -> str:
    """``185 kpx/s``, ``1.2 Mpx/s``."""
    if px_per_s >= 1e6:
        return f"{px_per_s / 1e6:.1f} Mpx/s"
    return f"{px_per_s / 1e3:.0f} kpx/s"


class StatusPanel(QWidget):
    """Owns the status bar's widgets; messages appear at its left for a while."""

    precision_changed = Signal(str)  # fast | exact

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.bar = bar
        self.image = QLabel("no image")
        self.cursor = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setFixedWidth(PROGRESS_WIDTH)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.render = QLabel("")
        self.render.setToolTip("last full LIIF render of the view: time · LIIF pixels per second · share of the "
                               "view LIIF evaluated (the rest came from the tile cache)")
        self.zoom = QLabel("")
        self.device = QLabel("loading the model…")
        self.mode = QToolButton()
        self.mode.setCheckable(True)
        self.mode.setAutoRaise(True)
        self.mode.setToolTip("LIIF precision: fast (bfloat16 hidden layers) or exact (fp32). Key: M")
        self.mode.toggled.connect(self._on_mode_toggled)
        self.set_precision("fast")
        bar.addWidget(self.image)
        bar.addWidget(self.cursor, 1)
        for widget in (self.progress, self.render, self.zoom, self.device, self.mode):
            bar.addPermanentWidget(widget)

    # --- setters ------------------------------------------------------------------------------------
    def set_image(self, path: str, size: tuple[int, int]) -> None:
        """Image name and size."""
        self.image.setText(f"{Path(path).name}  {size[0]}×{size[1]}")
        self.image.setToolTip(path)

    def set_zoom(self, scale: float) -> None:
        """Zoom factor (device px per image px)."""
        self.zoom.setText(format_zoom(scale))

    def set_cursor(self, image_xy: tuple[float, float] | None,
                   values: dict[str, tuple[int, int, int] | None]) -> None:
        """Cursor position in image px, the RGB each pane shows there, and ``alpha`` when given."""
        if image_xy is None:
            self.cursor.setText("")
            return
        parts = [f"x {image_xy[0]:.1f}  y {image_xy[1]:.1f}"]
        for source, rgb in values.items():
            if source == "alpha":
                parts.append(f"alpha {rgb[0]}")
                continue
            if isinstance(rgb, int):  # one value (the difference view's |Δ|)
                parts.append(f"{source} {rgb}")
                continue
            shown = "…" if rgb is None else "{} {} {}".format(*rgb)
            parts.append(f"{TITLES.get(source, source)} {shown}")
        self.cursor.setText("   ·   ".join(parts))

    def set_progress(self, fraction: float | None, text: str = "") -> None:
        """Encoding/refining progress; None hides the bar."""
        if fraction is None:
            self.progress.hide()
            return
        self.progress.setValue(round(100 * max(0.0, min(1.0, fraction))))
        # One line, elided to the bar (a style wraps text that does not fit into two cramped lines).
        text = " ".join(text.split())
        fitted = self.progress.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, PROGRESS_WIDTH - 16)
        self.progress.setFormat(fitted.replace("%", "%%") if text else "%p %")
        self.progress.setToolTip(text)
        self.progress.show()

    def set_render(self, seconds: float, evaluated_px: int, evaluated_fraction: float) -> None:
        """Last full LIIF render: time, throughput and how much of the view LIIF evaluated."""
        if evaluated_px <= 0:
            self.render.setText(f"LIIF {seconds * 1000:.0f} ms (from cache)")
        else:
            rate = format_rate(evaluated_px / max(seconds, 1e-6))
            self.render.setText(f"LIIF {seconds:.2f} s · {rate} · {min(1.0, evaluated_fraction):.0%} evaluated")

    def set_device(self, text: str) -> None:
        """Device the model runs on."""
        self.device.setText(text)

    def set_precision(self, precision: str) -> None:
        """Show (without re-emitting) the LIIF precision."""
        self.mode.blockSignals(True)
        self.mode.setChecked(precision == "exact")
        self.mode.blockSignals(False)
        self.mode.setText("exact" if precision == "exact" else "fast")

    def message(self, text: str, timeout_ms: int = 6000) -> None:
        """A transient message at the left."""
        self.bar.showMessage(text, timeout_ms)

    def _on_mode_toggled(self, checked: bool) -> None:
        precision = "exact" if checked else "fast"
        self.mode.setText(precision)
        self.precision_changed.emit(precision)
