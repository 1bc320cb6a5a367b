"""Starting the viewer as a file manager does: several files, the application's icon and names."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize

from liif_viewer.app.run import app_icon, open_files
from liif_viewer.cli import main
from tests.conftest import write_crop


def test_first_file_opens_and_the_rest_go_to_open_recent(qtbot, make_window, tmp_path):
    files = [write_crop(tmp_path / f"f{i}.png", 100 + 30 * i, 100, 40, 30) for i in range(3)]
    window = make_window()
    with qtbot.waitSignal(window.image_opened, timeout=120_000):
        open_files(window, [str(p) for p in files])
    assert window.controller.doc.path == str(files[0])
    assert window.recent.paths() == [str(Path(p).resolve()) for p in files]


def test_view_passes_every_file_on(monkeypatch):
    seen = []
    monkeypatch.setattr("liif_viewer.app.run_viewer", lambda options: seen.append(options) or 0)
    assert main(["view", "a.png", "b.jpg", "c.tif"]) == 0
    assert seen[0].image == "a.png" and seen[0].more_images == ("b.jpg", "c.tif")
    assert main(["view"]) == 0
    assert seen[1].image is None and seen[1].more_images == ()


def test_icon_has_every_size(qapp):
    sizes = app_icon().availableSizes()
    assert QSize(16, 16) in sizes and QSize(256, 256) in sizes
