"""Demo → Resolution Sweep: a small input rendered by LIIF at every resolution, played as a movie.

Frames come from :func:`liif_viewer.tasks.demos.sweep_frames` on an engine of their own in a
``BackgroundJob``; the window plays what is ready (waiting at the newest frame while more
arrive), and a labelled slider scrubs. It plays from the first frame on. F11 shows it full screen
without controls; Space plays or pauses; Esc leaves full screen. It opens on the screen of the
window it belongs to, inside that screen's available area.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QMargins, QRect, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QImage, QKeySequence, QPixmap, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledSlider

from ..cancel import CancelToken
from ..tasks.demos import SweepSpec, run_sweep, sweep_input, sweep_resolutions
from .jobs import BackgroundJob
from .recording import RecordDialog

__all__ = ["SweepWindow", "centre_square", "view_square", "placed_on_screen"]

#: Room kept for a window manager's borders and title bar (unknown before the window is shown).
_FRAME = QMargins(8, 40, 8, 8)


def centre_square(image_size: tuple[int, int]) -> tuple[int, int, int]:
    """The largest centred square (x, y, side) of the image."""
    width, height = image_size
    side = min(width, height)
    return (width - side) // 2, (height - side) // 2, side


def view_square(region: tuple[float, float, float, float], image_size: tuple[int, int]) -> tuple[int, int, int]:
    """The largest square inside ``region`` (image px), centred on it and kept inside the image."""
    x, y, w, h = region
    side = max(1, min(int(min(w, h)), *image_size))
    x0 = min(max(0, round(x + (w - side) / 2)), image_size[0] - side)
    y0 = min(max(0, round(y + (h - side) / 2)), image_size[1] - side)
    return x0, y0, side


def placed_on_screen(size: QSize, around: QRect, available: QRect) -> QRect:
    """A window's client rectangle of at most ``size``, centred on ``around`` and, with the window
    manager's frame allowed for, wholly inside ``available`` (the screen's area without panels)."""
    inner = available.marginsRemoved(_FRAME)
    width, height = min(size.width(), inner.width()), min(size.height(), inner.height())
    x = min(max(inner.left(), around.x() + (around.width() - width) // 2), inner.right() + 1 - width)
    y = min(max(inner.top(), around.y() + (around.height() - height) // 2), inner.bottom() + 1 - height)
    return QRect(x, y, width, height)


def _spin(low: int, high: int, value: int, suffix: str = " px") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)
    return box


class SweepWindow(QWidget):
    """Plays the sweep of ``rgb`` (the whole image's centre square, or ``view_crop``) at ``fps``."""

    def __init__(self, rgb: np.ndarray, model: object, device: object, settings: QSettings,
                 view_crop: tuple[int, int, int] | None = None, name: str = "sweep",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Resolution sweep — liif-viewer")
        self.rgb, self.model, self.device, self.settings = rgb, model, device, settings
        self.view_crop, self.name = view_crop, name
        self.frames: list[np.ndarray] = []
        self.resolutions: list[int] = []
        self.spec = SweepSpec()
        self.job: BackgroundJob | None = None
        self.record_dialog: RecordDialog | None = None
        # controls
        self.input_px, self.to_px = _spin(4, 256, 32), _spin(8, 4096, 640)
        self.frame_count = _spin(2, 600, 30, "")
        self.display_px = _spin(32, 2048, 512)
        self.bilinear = QCheckBox("Bilinear beside")
        self.crop = QComboBox()
        self.crop.addItems(["Centre square", "Square of the current view"])
        self.crop.setEnabled(view_crop is not None)
        self.precision = QComboBox()
        self.precision.addItems(["fast", "exact"])
        self.render_button = QPushButton("Render")
        self.render_button.clicked.connect(self.render)
        self.controls = QWidget()
        rows = QVBoxLayout(self.controls)  # two rows, so the window fits small screens too
        rows.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        for label, widget in (("input", self.input_px), ("to", self.to_px), ("frames", self.frame_count),
                              ("shown at", self.display_px)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addStretch(1)
        rows.addLayout(row)
        row = QHBoxLayout()
        for widget in (self.crop, self.bilinear, QLabel("LIIF"), self.precision, self.render_button):
            row.addWidget(widget)
        row.addStretch(1)
        rows.addLayout(row)
        # picture and player
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.picture.setMinimumSize(256, 256)
        self.picture.setStyleSheet("background: black;")
        self.caption = QLabel()
        self.play_button = QPushButton("Play")
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self.set_playing)
        self.slider = QLabeledSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(self.show_frame)
        self.record_button = QPushButton("Record…")
        self.record_button.clicked.connect(self.record)
        self.player = QWidget()
        row = QHBoxLayout(self.player)
        for widget in (self.play_button, self.slider, self.caption, self.record_button):
            row.addWidget(widget, 1 if widget is self.slider else 0)
        layout = QVBoxLayout(self)
        layout.addWidget(self.controls)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.player)
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // 12)
        self._timer.timeout.connect(self._advance)
        for keys, slot in (("Space", self.play_button.toggle), ("F11", self.toggle_presentation),
                           ("Esc", self.leave_presentation)):
            QShortcut(QKeySequence(keys), self, slot)
        self.resize(1100, 720)
        if parent is not None and parent.screen() is not None:
            self.setGeometry(placed_on_screen(self.size(), parent.frameGeometry(),
                                              parent.screen().availableGeometry()))

    # --- rendering ----------------------------------------------------------------------------------
    def current_spec(self) -> SweepSpec:
        """The sweep the controls describe."""
        start = self.input_px.value()
        return SweepSpec(start, max(start + 1, self.to_px.value()), self.frame_count.value(),
                         self.display_px.value(), self.bilinear.isChecked(), self.precision.currentText())

    def crop_box(self) -> tuple[int, int, int] | None:
        """The square (x, y, side) of the image the sweep starts from; None = centred."""
        return self.view_crop if self.crop.currentIndex() == 1 else None

    def render(self) -> None:
        """(Re)start rendering the frames in the background; shows each as it arrives."""
        self._stop_job()
        self.spec = self.current_spec()
        self.frames, self.resolutions = [], []
        small = sweep_input(self.rgb, self.spec.start, self.crop_box())
        spec, model, device = self.spec, self.model, self.device

        def work(cancel: CancelToken, report: Callable[[int, int], None]):  # noqa: ANN202
            return run_sweep(small, model, device, spec, cancel)

        self.job = BackgroundJob(work, self)
        self.job.yielded.connect(self._on_frame)
        self.job.failed.connect(lambda text: self.caption.setText(f"cannot render: {text}"))
        self.job.succeeded.connect(lambda _: self._show_caption())
        self.caption.setText("rendering…")
        self.job.start()
        self.play_button.setChecked(True)  # frames play as they arrive (waiting at the newest)

    def _on_frame(self, item: tuple[int, np.ndarray]) -> None:
        resolution, frame = item
        self.resolutions.append(resolution)
        self.frames.append(frame)
        self.slider.setRange(0, len(self.frames) - 1)
        if len(self.frames) == 1:
            self.show_frame(0)
        self._show_caption()

    def is_complete(self) -> bool:
        """Whether every frame of the sweep has arrived."""
        return bool(self.frames) and len(self.frames) == len(sweep_resolutions(self.spec))

    def _stop_job(self) -> None:
        if self.job is not None:
            self.job.stop()
            self.job.deleteLater()
            self.job = None

    # --- playing ------------------------------------------------------------------------------------
    def show_frame(self, index: int) -> None:
        """Show frame ``index``, scaled to fit by nearest so the pixels stay crisp."""
        if not 0 <= index < len(self.frames):
            return
        if self.slider.value() != index:
            self.slider.setValue(index)
        frame = np.ascontiguousarray(self.frames[index])
        image = QImage(frame.data, frame.shape[1], frame.shape[0], frame.strides[0], QImage.Format.Format_RGB888)
        pixmap = QPixmap.fromImage(image.copy())
        target = self.picture.size() * self.picture.devicePixelRatioF()
        pixmap = pixmap.scaled(target, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
        pixmap.setDevicePixelRatio(self.picture.devicePixelRatioF())
        self.picture.setPixmap(pixmap)
        self._show_caption()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: D102, N802
        super().resizeEvent(event)
        self.show_frame(self.slider.value())

    def _show_caption(self) -> None:
        if not self.frames:
            return
        res = self.resolutions[self.slider.value()]
        total = len(sweep_resolutions(self.spec))
        ready = "" if len(self.frames) == total else f" · {len(self.frames)}/{total} rendered"
        self.caption.setText(f"{res}×{res} from {self.spec.start}×{self.spec.start}{ready}")

    def set_playing(self, playing: bool) -> None:
        """Play or pause."""
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            self._timer.start()
        else:
            self._timer.stop()

    def _advance(self) -> None:
        index = self.slider.value() + 1
        if index < len(self.frames):
            self.show_frame(index)
        elif self.is_complete():
            self.show_frame(0)  # loop; while frames are still rendering, wait at the newest

    # --- presentation and recording -----------------------------------------------------------------
    def toggle_presentation(self) -> None:
        """Full screen with only the picture and a large label (F11); Esc leaves."""
        if self.isFullScreen():
            self.leave_presentation()
            return
        self.controls.hide()
        self.player.hide()
        self.showFullScreen()

    def leave_presentation(self) -> None:
        """Back to the window with its controls."""
        self.controls.show()
        self.player.show()
        if self.isFullScreen():
            self.showNormal()

    def record(self) -> RecordDialog:
        """Record… the sweep described by the controls (final LIIF renders) to GIF, APNG or MP4."""
        spec, crop, rgb, model, device = self.current_spec(), self.crop_box(), self.rgb, self.model, self.device

        def frames(cancel: CancelToken):  # noqa: ANN202
            small = sweep_input(rgb, spec.start, crop)
            return (frame for _, frame in run_sweep(small, model, device, spec, cancel)), len(sweep_resolutions(spec))

        self.record_dialog = RecordDialog("Record resolution sweep", f"{self.name}-sweep", frames, 12.0,
                                          self.settings, self)
        self.record_dialog.setWindowFlag(Qt.WindowType.Dialog)
        self.record_dialog.show()
        return self.record_dialog

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: D102, N802
        self._timer.stop()
        self._stop_job()
        if self.record_dialog is not None:
            self.record_dialog.close()
        super().closeEvent(event)
