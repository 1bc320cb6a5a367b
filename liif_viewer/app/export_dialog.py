"""File → Export View… (Ctrl+E): a region of the image at any size, rendered in the background.

The dialog is thin over :mod:`liif_viewer.tasks.export`: it builds an ``ExportRequest`` and runs
``run_export`` (the ``export`` command's pipeline, on an engine of its own sharing the viewer's
model; inference only) on the open ``ImageDocument`` in a ``BackgroundJob``, so the panes keep
rendering. The document carries the file's ICC, EXIF and alpha, so nothing is read again. Cancel
stops at the next tile; the file is written atomically only when every tile is done, so a cancel or
a failure leaves nothing behind.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..cancel import CancelToken
from ..files.image_io import ImageDocument, ImageSaveError, check_writable
from ..tasks.export import ExportRequest, run_export
from .export_form import ExportForm, Region
from .job_panel import FileJobDialog, ask_yes_no
from .jobs import BackgroundJob, UserFacingError
from .settings import read_float, read_str

__all__ = ["ExportDialog", "ExportSource", "FORMATS", "check_output_path"]

FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WebP"}
_FILTER = "PNG (*.png);;JPEG (*.jpg *.jpeg);;TIFF (*.tif *.tiff);;WebP (*.webp)"
#: Exports from this many pixels on ask first, with the memory and time they will take.
LARGE_EXPORT_PIXELS = 100_000_000
#: Rough seconds per megapixel before this dialog has measured one (2-core CPU, docs/performance.md).
_GUESS_S_PER_MP = {"fast": 2.1, "exact": 8.0, "classic": 0.1}


def export_memory_bytes(width: int, height: int) -> int:
    """Rough new memory an export needs: the 8-bit result, its copy while encoding, and some margin."""
    return 6 * width * height + (64 << 20)


def available_memory_bytes() -> int | None:
    """Physical memory free for a new allocation, where the platform says (else None)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


@dataclass(frozen=True, eq=False)
class ExportSource:
    """What the window hands the dialog: the open document, the view's region, and the model (None: no LIIF)."""

    document: ImageDocument
    view: Region  # the LIIF pane's region, image px
    view_size: tuple[int, int]  # what the view shows of that region, device px
    model: object | None
    device: object = "cpu"

    @property
    def path(self) -> str:
        """The image file ('' or a name for pasted pixels)."""
        return self.document.path

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) image px."""
        return self.document.size


def check_output_path(path: Path) -> str:
    """A one-line reason ``path`` cannot be written to, or '' (a file is created and deleted there to know)."""
    if path.suffix.lower() not in FORMATS:
        return f"{path.name}: choose a .png, .jpg, .tif or .webp file name"
    return check_writable(path)


def _export_work(source: ExportSource, request: ExportRequest, path: Path, quality: int):  # noqa: ANN202
    def work(cancel: CancelToken, report: Callable[[int, int], None]) -> tuple[Path, float]:
        start = time.perf_counter()
        result = run_export(source.document, source.model, source.device, request, report, cancel)
        try:
            out = result.save(path, quality=quality)
        except ImageSaveError as exc:
            raise UserFacingError(str(exc)) from None
        return out, time.perf_counter() - start

    return work


class ExportDialog(FileJobDialog):
    """Non-modal; ``last_written`` is the file once one was written."""

    def __init__(self, source: ExportSource, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__("Export", "Export to", _FILTER, parent=parent)
        self.setWindowTitle("Export view")
        self.source, self.settings = source, settings
        self.last_written: Path | None = None
        self.seconds_per_mp: float | None = None
        #: asks before a large export (the question's text is passed); tests replace it too
        self.confirm_large: Callable[[str], bool] = self._ask_large
        self.form = ExportForm(source.size, source.view, self)
        self.format_label = QLabel()
        self.quality = QSpinBox()
        self.quality.setRange(1, 100)
        self.quality.setPrefix("quality ")
        self.panel.succeeded.connect(self._on_done)
        self.panel.ended.connect(lambda: self._set_editable(True))
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        row = QHBoxLayout()
        for widget in (QLabel("File"), self.path, self.browse):
            row.addWidget(widget)
        layout.addLayout(row)
        row = QHBoxLayout()
        for widget in (self.format_label, self.quality):
            row.addWidget(widget)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(self.panel)
        self._auto_name = ""
        self._restore()
        self.path.textChanged.connect(self._on_path_edited)
        self.form.changed.connect(self._refresh_name)

    # --- settings -----------------------------------------------------------------------------------
    def _restore(self) -> None:
        s = self.settings
        folder = read_str(s, "export/dir", str(Path(self.source.path).parent if self.source.path else Path.home()))
        self._folder = folder if Path(folder).is_dir() else str(Path.home())
        self._suffix = read_str(s, "export/suffix", ".png", tuple(FORMATS))
        self.quality.setValue(int(read_float(s, "export/quality", 95, 1, 100)))
        self.form.method.setCurrentIndex(int(read_float(s, "export/method", 0, 0, 4)))
        self.form.lock.setChecked(read_str(s, "export/lock", "true", ("true", "false")) == "true")
        if read_str(s, "export/mode", "view", ("view", "scale", "size")) == "scale":
            self.form.set_scale(read_float(s, "export/scale", 4.0, 0.01, 1000.0))
        elif read_str(s, "export/mode", "view", ("view", "scale", "size")) == "size":
            width = int(read_float(s, "export/width", 1920, 1, 65_000))
            self.form.set_size(width, int(read_float(s, "export/height", 1080, 1, 65_000)))
            self.form.refit()
        else:  # first use: exactly what the LIIF pane shows
            self.form.set_size(*self.source.view_size)
        self._refresh_name()

    def _remember(self) -> None:
        """The choices of an export that starts (its folder only once it has written a file)."""
        s = self.settings
        s.setValue("export/quality", self.quality.value())
        s.setValue("export/method", self.form.method.currentIndex())
        s.setValue("export/lock", "true" if self.form.lock.isChecked() else "false")
        s.setValue("export/mode", "scale" if self.form.by_scale.isChecked() else "size")
        s.setValue("export/scale", self.form.scale.value())
        s.setValue("export/width", self.form.out_width.value())
        s.setValue("export/height", self.form.out_height.value())

    # --- file name ----------------------------------------------------------------------------------
    def _default_name(self) -> str:
        stem = Path(self.source.path).stem if self.source.path else "export"
        width, height = self.form.output_size()
        method, precision = self.form.method_choice()
        return str(Path(self._folder) / f"{stem}-{method}-{width}x{height}{self._suffix}")

    def _refresh_name(self) -> None:
        if not self.path.text() or self.path.text() == self._auto_name:
            self._auto_name = self._default_name()
            self.path.setText(self._auto_name)
        self._on_path_edited()

    def _on_path_edited(self) -> None:
        fmt = FORMATS.get(Path(self.path.text()).suffix.lower())
        self.format_label.setText(f"Format: {fmt}" if fmt else "Format: unknown — use .png, .jpg, .tif or .webp")
        self.quality.setVisible(fmt in ("JPEG", "WebP"))  # a quality only for the lossy formats
        self.quality.setEnabled(self.path.isEnabled())

    def _ask_large(self, text: str) -> bool:
        return ask_yes_no(self, "Large export", text)

    def _size_problem(self, width: int, height: int, method: str, precision: str) -> tuple[str, bool]:
        """('', _) when the size is fine; else (message, True) to refuse or (question, False) to ask."""
        need, free = export_memory_bytes(width, height), available_memory_bytes()
        mp = width * height / 1e6
        if free is not None and need > free:
            return (f"{width}×{height} ({mp:,.0f} MP) needs about {need / 2**30:.1f} GB of memory and "
                    f"{free / 2**30:.1f} GB is free: choose a smaller size or region"), True
        if width * height < LARGE_EXPORT_PIXELS:
            return "", False
        rate = self.seconds_per_mp or _GUESS_S_PER_MP[precision if method == "liif" else "classic"]
        minutes = rate * mp / 60
        return (f"{width}×{height} is {mp:,.0f} MP: it needs about {need / 2**30:.1f} GB of memory and "
                f"roughly {minutes:,.0f} min on this machine. Export anyway?"), False

    # --- running ------------------------------------------------------------------------------------
    def start(self) -> bool:
        """Check the settings and start the export; False (with a message) when it cannot start."""
        if self.panel.busy:
            return False
        path = Path(self.path.text()).expanduser()
        method, precision = self.form.method_choice()
        problem = check_output_path(path)
        if not problem and method == "liif" and self.source.model is None:
            problem = ("LIIF is not ready (the model is still loading, or failed to load: see the status bar); "
                       "wait, or choose bilinear, bicubic or nearest")
        if problem:
            self.panel.say(problem, error=True)
            return False
        text, refuse = self._size_problem(*self.form.output_size(), method, precision)
        if refuse:
            self.panel.say(text, error=True)
            return False
        if text and not self.confirm_large(text):
            self.panel.say("not exported: too large")
            return False
        if path.exists() and not self.confirm_overwrite(path):
            self.panel.say("not exported: the file exists")
            return False
        try:
            request = ExportRequest(self.form.region(), self.form.output_size(), method, precision)
        except ValueError as exc:
            self.panel.say(str(exc), error=True)
            return False
        self._remember()
        self._set_editable(False)
        job = BackgroundJob(_export_work(self.source, request, path, self.quality.value()), self)
        self.panel.run(job, f"exporting {request.size[0]}×{request.size[1]} px with {request.label}…",
                       "export cancelled; nothing was written")
        return True

    def _set_editable(self, editable: bool) -> None:
        for widget in (self.form, self.path, self.browse, self.quality):
            widget.setEnabled(editable)
        self._on_path_edited()  # quality only for JPEG and WebP

    def _on_done(self, result: tuple[Path, float]) -> None:
        path, seconds = result
        self.last_written = path
        self.settings.setValue("export/dir", str(path.parent))  # a folder that took a file
        self.settings.setValue("export/suffix", path.suffix.lower())
        width, height = self.form.output_size()
        self.seconds_per_mp = seconds / max(1e-6, width * height / 1e6)
        self.panel.finish(f"wrote {path} ({width}×{height}) in {seconds:.1f} s ({self.seconds_per_mp:.2f} s/MP)")
