"""`liif-viewer install-desktop`: a valid freedesktop entry that opens files with this installation, the icon
at every size, and a clean uninstall."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from liif_viewer import desktop
from liif_viewer.cli import main
from liif_viewer.locations import ICON_SIZES

pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="freedesktop integration only")


def _entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def _validate(path: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool:  # from desktop-file-utils, where installed
        proc = subprocess.run([tool, str(path)], capture_output=True, text=True)
        assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_install_writes_a_valid_entry_and_icons_and_uninstall_removes_them(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert main(["install-desktop"]) == 0
    assert "installed" in capsys.readouterr().out
    entry_path = tmp_path / "share" / "applications" / "liif-viewer.desktop"
    _validate(entry_path)
    entry = _entry(entry_path)
    assert entry["Type"] == "Application" and entry["Name"] == "LIIF Viewer" and entry["Terminal"] == "false"
    command = desktop.launcher()
    assert entry["Exec"] == " ".join(command) + " view %F"  # plain paths need no quoting
    assert entry["TryExec"] == command[0] and Path(command[0]).is_file()
    assert entry["Icon"] == "liif-viewer" and entry["StartupWMClass"] == "liif-viewer"
    assert {"image/png", "image/jpeg", "image/tiff"} <= set(entry["MimeType"].rstrip(";").split(";"))
    assert "Graphics" in entry["Categories"].split(";")
    icons = tmp_path / "share" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "liif-viewer.svg").read_text().lstrip().startswith("<?xml")
    for size in ICON_SIZES:
        with Image.open(icons / f"{size}x{size}" / "apps" / "liif-viewer.png") as img:
            assert img.size == (size, size) and img.mode == "RGBA"

    assert main(["install-desktop", "--uninstall"]) == 0
    assert not [p for p in desktop.installed_paths(tmp_path / "share") if p.exists()]
    assert main(["install-desktop", "--uninstall"]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_exec_line_quotes_paths_with_spaces_and_specials(tmp_path):
    text = desktop.desktop_entry(['/opt/my apps/$HOME/liif-viewer', "-m", "100%"])
    exec_line = next(ln for ln in text.splitlines() if ln.startswith("Exec="))
    assert exec_line == 'Exec="/opt/my apps/\\\\$HOME/liif-viewer" -m 100%% view %F'
    path = tmp_path / "liif-viewer.desktop"
    path.write_text(text)
    _validate(path)


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "share"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    assert main(["install-desktop"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: could not install the desktop entry") and err.count("\n") == 1
