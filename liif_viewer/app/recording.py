"""Record… for both demos: final-quality frames written to GIF, APNG or MP4 in the background.

The frames come from :mod:`liif_viewer.tasks.demos` on an engine of the job's own (sharing the
model), and go through :func:`liif_viewer.files.record.write_animation`, which writes a
temporary file and renames it when complete: a cancel or a failure leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ..cancel import Cancelled, CancelToken
from ..files.image_io import check_writable
from ..files.record import FORMATS, RecordError, write_animation
from .job_panel import FileJobDialog
from .jobs import BackgroundJob, UserFacingError
from .settings import read_str

__all__ = ["RecordDialog", "FrameSource"]

#: builds (frames, frame count) for a recording; runs on the job's thread and must honour ``cancel``
FrameSource = Callable[[CancelToken], tuple[Iterator[np.ndarray], int]]
_FILTER = "Animated GIF (*.gif);;APNG (*.png *.apng);;MP4 video (*.mp4)"


def _record_work(source: FrameSource, path: Path, fps: float):  # noqa: ANN202
    def work(cancel: CancelToken, report: Callable[[int, int], None]) -> tuple[Path, int]:
        frames, total = source(cancel)
        report(0, total)

        def checked() -> Iterator[np.ndarray]:
            for frame in frames:
                if cancel.cancelled:
                    raise Cancelled
                yield frame
            if cancel.cancelled:
                raise Cancelled

        try:
            count = write_animation(path, checked(), fps, progress=lambda k: report(k, total))
        except RecordError as exc:
            if cancel.cancelled:
                raise Cancelled from None
            raise UserFacingError(str(exc)) from None
        return path, count

    return work


class RecordDialog(FileJobDialog):
    """Choose a file, then record with a progress bar, ETA and Cancel; ``last_written`` once done."""

    def __init__(self, title: str, name: str, source: FrameSource, fps: float, settings: QSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__("Record", "Record to", _FILTER,
                         "Frames are final LIIF renders; GIF, APNG (.png) or MP4 by the file name.", parent)
        self.setWindowTitle(title)
        self.source, self.fps, self.settings = source, fps, settings
        self.last_written: Path | None = None
        self.frame_count = 0
        folder = read_str(settings, "record/dir", str(Path.home()))
        suffix = read_str(settings, "record/suffix", ".gif", tuple(FORMATS))
        self.path.setText(str(Path(folder if Path(folder).is_dir() else Path.home()) / f"{name}{suffix}"))
        self.panel.succeeded.connect(self._on_done)
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        for widget in (QLabel("File"), self.path, self.browse):
            row.addWidget(widget)
        layout.addLayout(row)
        layout.addWidget(self.panel)
        self.resize(560, self.sizeHint().height())

    def start(self) -> bool:
        """Start recording; False (with a message) when it cannot start."""
        if self.panel.busy:
            return False
        path = Path(self.path.text()).expanduser()
        problem = ""
        if path.suffix.lower() not in FORMATS:
            problem = f"{path.name}: choose a .gif, .png (APNG) or .mp4 file name"
        else:
            problem = check_writable(path, tuple(FORMATS))
        if problem:
            self.panel.say(problem, error=True)
            return False
        if path.exists() and not self.confirm_overwrite(path):
            self.panel.say("not recorded: the file exists")
            return False
        self.panel.run(BackgroundJob(_record_work(self.source, path, self.fps), self), f"recording {path.name}…",
                       "recording cancelled; nothing was written")
        return True

    def _on_done(self, result: tuple[Path, int]) -> None:
        self.last_written, self.frame_count = result
        self.settings.setValue("record/dir", str(self.last_written.parent))  # remembered once it took a file
        self.settings.setValue("record/suffix", self.last_written.suffix.lower())
        seconds = self.job.elapsed_s() if self.job is not None else 0.0
        self.panel.finish(f"wrote {self.last_written} ({self.frame_count} frames at {self.fps:g} fps) "
                          f"in {seconds:.1f} s")
