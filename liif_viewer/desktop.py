"""Desktop integration on freedesktop systems (Linux, BSD): a menu entry, file-manager "Open with", icons.

``install`` writes ``liif-viewer.desktop`` into ``$XDG_DATA_HOME/applications`` and the icon (SVG and PNG
sizes) into ``$XDG_DATA_HOME/icons/hicolor``, for the current user only; ``uninstall`` removes exactly
those files. The entry starts this installation's ``liif-viewer`` (or ``python -m liif_viewer``) with
``view %F``: one file or several (the first opens, the rest go to Open Recent).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .files.atomic import atomic_write
from .locations import APP_NAME, ICON_SIZES, icon_file

__all__ = ["DESKTOP_FILE", "MIME_TYPES", "data_home", "launcher", "desktop_entry", "install", "uninstall",
           "installed_paths"]

DESKTOP_FILE = f"{APP_NAME}.desktop"
MIME_TYPES = ("image/png", "image/jpeg", "image/tiff", "image/webp", "image/bmp", "image/gif")
_RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')


def data_home() -> Path:
    """``$XDG_DATA_HOME`` or ``~/.local/share``."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def launcher() -> list[str]:
    """The command that starts this installation: its ``liif-viewer`` script, else ``python -m liif_viewer``."""
    script = Path(sys.executable).parent / APP_NAME
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "liif_viewer"]


def _exec_arg(arg: str) -> str:
    """One argument of an ``Exec`` line, quoted as the Desktop Entry Specification asks."""
    if arg and not (_RESERVED & set(arg)):
        return arg.replace("%", "%%")
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return '"' + escaped.replace("%", "%%") + '"'


def desktop_entry(command: Sequence[str]) -> str:
    """The text of the ``.desktop`` file that runs ``command view %F``."""
    exec_line = " ".join(_exec_arg(a) for a in command)
    # A string value escapes backslashes once more (spec: "Exec key" and "Possible value types").
    exec_line = exec_line.replace("\\", "\\\\")
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        "Name=LIIF Viewer",
        "GenericName=Image Viewer",
        "Comment=Zoom into any photo as a continuous image (LIIF super-resolution)",
        f"Exec={exec_line} view %F",
        f"TryExec={command[0]}",
        f"Icon={APP_NAME}",
        "Terminal=false",
        "Categories=Graphics;2DGraphics;RasterGraphics;Viewer;",
        f"MimeType={';'.join(MIME_TYPES)};",
        "Keywords=zoom;upscale;super-resolution;LIIF;photo;",
        "StartupNotify=true",
        f"StartupWMClass={APP_NAME}",
    ]
    return "\n".join(lines) + "\n"


def installed_paths(home: Path | None = None) -> list[Path]:
    """Every file ``install`` writes under ``home`` (default ``data_home()``)."""
    home = home or data_home()
    icons = home / "icons" / "hicolor"
    return ([home / "applications" / DESKTOP_FILE, icons / "scalable" / "apps" / f"{APP_NAME}.svg"]
            + [icons / f"{n}x{n}" / "apps" / f"{APP_NAME}.png" for n in ICON_SIZES])


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as part:
        part.write_bytes(data)


def _refresh_caches(home: Path) -> None:
    """Let menus and file managers see the change now (best effort: the tools are optional)."""
    for cmd in (["update-desktop-database", "-q", str(home / "applications")],
                ["gtk-update-icon-cache", "-q", "-t", "-f", str(home / "icons" / "hicolor")]):
        if shutil.which(cmd[0]):
            subprocess.run(cmd, capture_output=True, check=False, timeout=60)


def install(home: Path | None = None, command: Sequence[str] | None = None) -> list[Path]:
    """Write the desktop entry and the icons; returns the files written. OSError when it cannot."""
    home = home or data_home()
    desktop, svg, *pngs = installed_paths(home)
    _write(svg, icon_file().read_bytes())
    for size, png in zip(ICON_SIZES, pngs, strict=True):
        _write(png, icon_file(size).read_bytes())
    _write(desktop, desktop_entry(command or launcher()).encode())
    _refresh_caches(home)
    return [desktop, svg, *pngs]


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what ``install`` wrote; returns the files removed (none when it was not installed)."""
    home = home or data_home()
    removed = []
    for path in installed_paths(home):
        if path.is_file():
            path.unlink()
            removed.append(path)
    _refresh_caches(home)
    return removed
