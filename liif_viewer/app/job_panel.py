"""The export and record dialogs' shared parts: the job panel at their bottom (progress bar, ETA, a message
line, Start and Cancel/Close) and the file dialog around it (an output path, Browse…, ask before replacing)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
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

from .jobs import BackgroundJob, format_eta

__all__ = ["JobPanel", "FileJobDialog", "ask_overwrite", "ask_yes_no"]


class JobPanel(QWidget):
    """Runs one ``BackgroundJob`` at a time; ``succeeded(result)`` passes the job's result on.

    The progress bar appears once work starts; Cancel stops the job at its next step, and
    becomes Close (``close_requested``) when nothing runs. Failures show as one red line.
    """

    start_requested = Signal()
    close_requested = Signal()
    succeeded = Signal(object)
    ended = Signal()  # after any end: success, failure or cancel

    def __init__(self, start_text: str, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job: BackgroundJob | None = None
        self.progress = QProgressBar()
        self.progress.hide()
        self.eta = QLabel()
        self.message = QLabel(hint)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.start_button = QPushButton(start_text)
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start_requested)
        self.cancel_button = QPushButton("Close")
        self.cancel_button.clicked.connect(self._cancel_or_close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.progress, self.eta, self.message):
            layout.addWidget(widget)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.start_button)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)

    @property
    def busy(self) -> bool:
        """Whether a job is running."""
        return self.job is not None

    def run(self, job: BackgroundJob, text: str, cancelled_text: str) -> None:
        """Start ``job``, saying ``text``; ``cancelled_text`` is shown if it is cancelled."""
        self.job = job
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_succeeded)
        job.failed.connect(lambda message: self.finish(message, error=True))
        job.cancelled.connect(lambda: self.finish(cancelled_text))
        self.progress.setValue(0)
        self.progress.show()
        self.eta.setText("starting…")
        self.start_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.say(text)
        job.start()

    def cancel(self) -> None:
        """Stop the running job at its next step."""
        if self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.eta.setText("cancelling…")

    def stop(self) -> None:
        """Cancel and wait for the job (the dialog is closing)."""
        if self.job is not None:
            self.job.stop()

    def _cancel_or_close(self) -> None:
        if self.job is not None:
            self.cancel()
        else:
            self.close_requested.emit()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        if self.job is not None and done:
            self.eta.setText(format_eta(done, total, self.job.elapsed_s()))

    def _on_succeeded(self, result: object) -> None:
        self.succeeded.emit(result)  # the owner says what was written (``finish``)

    def finish(self, text: str, error: bool = False) -> None:
        """The job is over: reset the controls and say ``text``."""
        if self.job is not None:
            self.job.wait()
            self.job.deleteLater()
        self.job = None
        self.progress.hide()
        self.eta.setText("")
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Close")
        self.say(text, error)
        self.ended.emit()

    def say(self, text: str, error: bool = False) -> None:
        """Show ``text`` (red when ``error``)."""
        self.message.setStyleSheet("color: #d33;" if error else "")
        self.message.setText(text)


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    """A Yes/No question whose default is No."""
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def ask_overwrite(parent: QWidget, path: Path) -> bool:
    """Ask whether to replace an existing output file (default: No)."""
    return ask_yes_no(parent, "Replace file?", f"{path.name} already exists in {path.parent}. Replace it?")


class FileJobDialog(QDialog):
    """A dialog that writes one file with a background job: ``path`` (with Browse…), ``panel`` (a JobPanel
    whose Start calls ``start`` and whose Close closes the dialog), and an overwrite question that tests
    replace (``confirm_overwrite``). Subclasses build their layout around ``path`` and ``panel``."""

    def __init__(self, start_text: str, browse_title: str, file_filter: str, hint: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._browse_title, self._file_filter = browse_title, file_filter
        #: asks before replacing a file; tests replace it with an automatic answer
        self.confirm_overwrite = self._ask_overwrite
        self.path = QLineEdit()
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        self.panel = JobPanel(start_text, hint, self)
        self.panel.start_requested.connect(self.start)
        self.panel.close_requested.connect(self.close)

    def start(self) -> bool:
        """Start the job; False (with a message in the panel) when it cannot start."""
        raise NotImplementedError

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self._browse_title, self.path.text(), self._file_filter,
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.path.setText(path)

    def _ask_overwrite(self, path: Path) -> bool:
        return ask_overwrite(self, path)

    @property
    def job(self) -> BackgroundJob | None:
        """The job under way, if any."""
        return self.panel.job

    def cancel(self) -> None:
        """Stop the running job at its next step (nothing is written)."""
        self.panel.cancel()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: D102, N802
        self.panel.stop()
        super().closeEvent(event)
