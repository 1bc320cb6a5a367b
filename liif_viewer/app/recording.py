"""Record… for both demos: final-quality frames written to GIF, APNG or MP4 in the background.

The frames come from :mod:`liif_viewer.render.demos` on an engine of the job's own (sharing the
model), and go through :func:`liif_viewer.render.record.write_animation`, which writes a
temporary file and renames it when complete: a cancel or a failure leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..render.record import FORMATS, RecordError, write_animation
from .jobs import BackgroundJob, JobCancelled, UserFacingError, format_eta
from .settings import read_str

__all__ = ["RecordDialog", "FrameSource"]

#: builds (frames, frame count) for a recording; runs on the job's thread and must honour ``cancel``
FrameSource = Callable[[Callable[[], bool]], tuple[Iterator[np.ndarray], int]]
_FILTER = "Animated GIF (*.gif);;APNG (*.png *.apng);;MP4 video (*.mp4)"


def _record_work(source: FrameSource, path: Path, fps: float):  # noqa: ANN202
    def work(cancel: Callable[[], bool], report: Callable[[int, int], None]) -> tuple[Path, int]:
        frames, total = source(cancel)
        report(0, total)

        def checked() -> Iterator[np.ndarray]:
            for frame in frames:
                if cancel():
                    raise JobCancelled
                yield frame
            if cancel():
                raise JobCancelled

        try:
            count = write_animation(path, checked(), fps, progress=lambda k: report(k, total))
        except RecordError as exc:
            if cancel():
                raise JobCancelled from None
            raise UserFacingError(str(exc)) from None
        return path, count

    return work


class RecordDialog(QDialog):
    """Choose a file, then record with a progress bar, ETA and Cancel; ``last_written`` once done."""

    def __init__(self, title: str, name: str, source: FrameSource, fps: float, settings: QSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.source, self.fps, self.settings = source, fps, settings
        self.job: BackgroundJob | None = None
        self.last_written: Path | None = None
        self.frame_count = 0
        self.confirm_overwrite: Callable[[Path], bool] = self._ask_overwrite
        folder = read_str(settings, "record/dir", str(Path.home()))
        suffix = read_str(settings, "record/suffix", ".gif", tuple(FORMATS))
        self.path = QLineEdit(str(Path(folder if Path(folder).is_dir() else Path.home()) / f"{name}{suffix}"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.progress = QProgressBar()
        self.progress.hide()
        self.eta = QLabel()
        self.message = QLabel("Frames are final LIIF renders; GIF, APNG (.png) or MP4 by the file name.")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.record_button = QPushButton("Record")
        self.record_button.setDefault(True)
        self.record_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Close")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        for widget in (QLabel("File"), self.path, browse):
            row.addWidget(widget)
        layout.addLayout(row)
        for widget in (self.progress, self.eta, self.message):
            layout.addWidget(widget)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.record_button)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        self.resize(560, self.sizeHint().height())

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Record to", self.path.text(), _FILTER,
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.path.setText(path)

    def _ask_overwrite(self, path: Path) -> bool:
        answer = QMessageBox.question(self, "Replace file?", f"{path.name} already exists. Replace it?",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def start(self) -> bool:
        """Start recording; False (with a message) when it cannot start."""
        if self.job is not None:
            return False
        path = Path(self.path.text()).expanduser()
        if path.suffix.lower() not in FORMATS:
            self._say(f"{path.name}: choose a .gif, .png (APNG) or .mp4 file name", error=True)
            return False
        if not path.parent.is_dir():
            self._say(f"cannot write {path}: folder {path.parent} does not exist", error=True)
            return False
        if path.exists() and not self.confirm_overwrite(path):
            self._say("not recorded: the file exists")
            return False
        self.settings.setValue("record/dir", str(path.parent))
        self.settings.setValue("record/suffix", path.suffix.lower())
        self.job = BackgroundJob(_record_work(self.source, path, self.fps), self)
        self.job.progress.connect(self._on_progress)
        self.job.succeeded.connect(self._on_done)
        self.job.failed.connect(lambda text: self._finish(text, error=True))
        self.job.cancelled.connect(lambda: self._finish("recording cancelled; nothing was written"))
        self.progress.setValue(0)
        self.progress.show()
        self.eta.setText("rendering the first frame…")
        self.record_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self._say(f"recording {path.name}…")
        self.job.start()
        return True

    def cancel(self) -> None:
        """Stop at the next frame; nothing is written."""
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.eta.setText("cancelling…")

    def _cancel_or_close(self) -> None:
        if self.job is not None:
            self.cancel()
        else:
            self.close()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        if self.job is not None and done:
            self.eta.setText(format_eta(done, total, self.job.elapsed_s()))

    def _on_done(self, result: tuple[Path, int]) -> None:
        self.last_written, self.frame_count = result
        seconds = self.job.elapsed_s() if self.job is not None else 0.0
        self._finish(f"wrote {self.last_written} ({self.frame_count} frames at {self.fps:g} fps) in {seconds:.1f} s")

    def _finish(self, text: str, error: bool = False) -> None:
        if self.job is not None:
            self.job.wait()
            self.job.deleteLater()
        self.job = None
        self.progress.hide()
        self.eta.setText("")
        self.record_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Close")
        self._say(text, error)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #d33;" if error else "")
        self.message.setText(text)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: D102, N802
        if self.job is not None:
            self.job.stop()
        super().closeEvent(event)
