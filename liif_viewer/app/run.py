"""Starting the viewer: the QApplication, the window, and the ``--screenshot`` mode."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from .. import __version__
from ..files.atomic import atomic_write
from ..locations import APP_NAME, ICON_SIZES, DataFileError, icon_file
from .pane_area import LAYOUTS
from .settings import APPLICATION, ORGANIZATION
from .window import SAMPLE_IMAGE, ViewerWindow

__all__ = ["ViewOptions", "ViewerError", "run_viewer", "SCREENSHOT_SIZE", "app_icon", "open_files"]

SCREENSHOT_SIZE = (1500, 640)  # logical px of the window in --screenshot mode unless --window-size says otherwise
_SETTLE_CHECK_MS = 300  # after the last pane settles, wait this long (a late resize would restart renders)
_SHOT_PREFIX = "liif-viewer-shot-"  # + pid: the private settings folder of a --screenshot run


class ViewerError(Exception):
    """The viewer could not start or finish a screenshot; ``str`` is a one-line reason."""


@dataclass(frozen=True)
class ViewOptions:
    """What ``main.py view`` asked for."""

    image: str | None = None  # default: the bundled sample photo
    more_images: tuple[str, ...] = ()  # further files given (e.g. by a file manager): listed in Open Recent
    zoom: float | None = None  # device px per image px; default: fit
    center: tuple[float, float] | None = None  # image px; default: the image centre
    layout: str | None = None  # three | liif | swipe; default: the remembered one
    precision: str | None = None  # fast | exact; default: the remembered one
    screenshot: str | None = None  # save a grab of the settled window here and exit
    window_size: tuple[int, int] | None = None  # logical px
    model_path: str | None = None
    device: str = "auto"
    timeout_s: float = 900.0  # screenshot mode gives up after this long


def _needs_offscreen(options: ViewOptions) -> bool:
    no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM") or not no_display:
        return False
    if options.screenshot:
        return True
    raise ViewerError("no display found (DISPLAY and WAYLAND_DISPLAY are unset): run it in a desktop session, "
                      "or add --screenshot OUT.png to render the window offscreen")


def app_icon() -> QIcon:
    """The application icon at every bundled size (empty if the installation lacks it)."""
    icon = QIcon()
    try:
        for size in ICON_SIZES:
            icon.addFile(str(icon_file(size)))
        icon.addFile(str(icon_file()))
    except DataFileError:
        pass  # a window without an icon still works
    return icon


def open_files(window: ViewerWindow, paths: list[str]) -> None:
    """Open the first of ``paths`` (as a file manager passes them); the others go to Open Recent, in order."""
    for path in reversed(paths[1:]):
        window.recent.add(path)
    window.open_path(paths[0])


def _dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, rgb in ((roles.Window, (45, 45, 48)), (roles.WindowText, (225, 225, 225)), (roles.Base, (30, 30, 32)),
                      (roles.AlternateBase, (45, 45, 48)), (roles.Text, (225, 225, 225)), (roles.Button, (52, 52, 56)),
                      (roles.ButtonText, (225, 225, 225)), (roles.Highlight, (61, 122, 200)),
                      (roles.HighlightedText, (255, 255, 255)), (roles.ToolTipBase, (30, 30, 32)),
                      (roles.ToolTipText, (225, 225, 225))):
        palette.setColor(role, QColor(*rgb))
    app.setPalette(palette)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or we cannot tell: leave its folder alone
    return True


def remove_orphaned_shot_folders(root: Path) -> list[Path]:
    """Remove screenshot runs' settings folders in ``root`` whose process has gone (killed or aborted
    before it could clean up); returns those removed."""
    removed = []
    for folder in root.glob(f"{_SHOT_PREFIX}*"):
        pid = folder.name[len(_SHOT_PREFIX):].split("-", 1)[0]
        if folder.is_dir() and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def run_viewer(options: ViewOptions) -> int:
    """Show the viewer until it is closed (or, with ``screenshot``, until the grab is saved); exit status."""
    if options.layout is not None and options.layout not in LAYOUTS:
        raise ViewerError(f"--layout must be one of {', '.join(LAYOUTS)}")
    if _needs_offscreen(options):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "liif-viewer"])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_NAME)  # matches the entry of `liif-viewer install-desktop`
    app.setWindowIcon(app_icon())
    _dark_theme(app)
    with contextlib.ExitStack() as cleanup:
        if options.screenshot:
            # A screenshot never reads or writes the user's settings, so it is reproducible. Its private
            # settings live in a temporary folder named after this process; folders that a killed run
            # left behind are removed by the next one. A normal start makes no temporary folder.
            remove_orphaned_shot_folders(Path(tempfile.gettempdir()))
            tmp = cleanup.enter_context(tempfile.TemporaryDirectory(prefix=f"{_SHOT_PREFIX}{os.getpid()}-"))
            settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        else:
            settings = QSettings()
        window = ViewerWindow(settings, model_path=options.model_path, device=options.device)
        if options.layout:
            window.set_layout(options.layout)
        if options.precision:
            window.set_precision(options.precision)
        if options.window_size or options.screenshot:
            window.resize(*(options.window_size or SCREENSHOT_SIZE))
        window.set_initial_view(options.zoom, options.center)
        window.show()  # first: a status message shown before the window is hides none of its labels
        open_files(window, [options.image or str(SAMPLE_IMAGE), *options.more_images])
        if not options.screenshot:
            return app.exec()
        return _screenshot(app, window, Path(options.screenshot), options.timeout_s)


def _screenshot(app: QApplication, window: ViewerWindow, out: Path, timeout_s: float) -> int:
    outcome: dict[str, str | None] = {}

    def finish(error: str | None) -> None:
        if not outcome:
            outcome["error"] = error
            app.quit()

    def grab_if_still_settled() -> None:
        if outcome or not window.controller.is_settled():
            return  # something changed; the next ``settled`` tries again
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            with atomic_write(out) as part:
                if not window.grab().save(str(part)):
                    raise OSError(f"could not write {out}")
        except OSError:
            finish(f"could not write {out}")
            return
        finish(None)

    window.settled.connect(lambda: QTimer.singleShot(_SETTLE_CHECK_MS, grab_if_still_settled))
    window.open_failed.connect(lambda _path, message: finish(message))
    window.controller.model_failed.connect(finish)
    QTimer.singleShot(round(timeout_s * 1000), lambda: finish(f"no final render within {timeout_s:.0f} s"))
    app.exec()
    window.close()
    if outcome.get("error"):
        raise ViewerError(outcome["error"])
    return 0
