"""File → Export View…: region and size logic, a real export, overwrite, cancel, failures, remembered settings."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from PIL import Image

from liif_viewer.app.export_form import locked_height, scaled_size, view_region
from liif_viewer.render.viewport import Viewport
from tests.app.conftest import open_and_settle
from tests.conftest import SAMPLE


@pytest.fixture
def dialog(qtbot, make_window, face_png):
    window = make_window(600, 300)
    open_and_settle(qtbot, window, face_png)
    dlg = window.tools.export_view()
    qtbot.addWidget(dlg)
    return dlg


def run_export(qtbot, dlg, timeout_ms: int = 120_000) -> None:
    """Wait for the started export to succeed.

    On the panel's signal, which the GUI thread emits: the job's own ``succeeded`` leaves its thread
    and can come before a wait set up after ``start()`` (a small export on a busy machine), and be missed.
    """
    with qtbot.waitSignal(dlg.panel.succeeded, timeout=timeout_ms):
        pass
    qtbot.waitUntil(lambda: dlg.job is None, timeout=30_000)


def test_size_helpers():
    vp = Viewport(48, 36, 4.0, 100, 60)  # 25 x 15 image px about the centre
    assert view_region(vp, (96, 72)) == (35.5, 28.5, 25.0, 15.0)
    assert view_region(Viewport.fitted(96, 72, 400, 100), (96, 72)) == (0.0, 0.0, 96.0, 72.0)  # margins clipped
    assert locked_height(200, (0, 0, 96, 72)) == 150
    assert scaled_size((0, 0, 96, 72), 2.5) == (240, 180)


def test_region_size_aspect_and_scale(dialog):
    form = dialog.form
    assert form.region_view.isChecked() and form.region() == dialog.source.view == (0.0, 0.0, 96.0, 72.0)
    assert form.output_size() == dialog.source.view_size  # first use: what the pane shows
    form.out_width.setValue(200)
    assert form.output_size() == (200, 150) and "200 × 150 px" in form.summary.text()
    form.out_height.setValue(30)
    assert form.output_size() == (40, 30)
    form.lock.setChecked(False)
    form.out_width.setValue(77)
    assert form.output_size() == (77, 30)
    form.set_region((10, 20, 30, 10))  # typed in image px
    assert form.region_custom.isChecked() and form.region() == (10, 20, 30, 10)
    form.set_scale(3.0)
    assert form.output_size() == (90, 30) and "90 × 30 px" in form.summary.text()
    form.region_whole.setChecked(True)
    assert form.region() == (0.0, 0.0, 96.0, 72.0) and form.output_size() == (288, 216)
    assert dialog.path.text().endswith("face-liif-288x216.png")  # the automatic name follows the size


def test_a_stretched_size_says_both_scales_and_the_scale_box_follows_the_size(dialog):
    form = dialog.form
    form.set_region((10, 10, 40, 48))
    form.lock.setChecked(False)
    form.set_size(3000, 2000)
    assert form.output_size() == (3000, 2000)
    assert "×75.0 × 41.7, stretched 1.8:1 wide" in form.summary.text()
    assert form.scale.value() == pytest.approx(75.0)  # not a stale 4.000
    form.lock.setChecked(True)  # the lock restores the region's aspect: one scale again
    assert form.output_size() == (3000, 3600) and "stretched" not in form.summary.text()
    assert "×75.0" in form.summary.text()
    form.out_width.setValue(200)
    assert form.scale.value() == pytest.approx(5.0) and form.output_size() == (200, 240)
    form.set_scale(2.5)  # scale mode: the box is the input again
    assert form.output_size() == (100, 120) and form.scale.value() == 2.5


def test_describe_scale_allows_the_rounding_of_one_output_pixel():
    from liif_viewer.app.export_form import describe_scale

    assert describe_scale((101, 33), (0, 0, 30, 10)) == ("×3.37", False)  # 101 x 33.7 rounded: not stretched
    assert describe_scale((40, 80), (0, 0, 40, 40)) == ("×1 × 2, stretched 2:1 tall", True)


def test_quality_is_offered_for_lossy_formats_only(dialog, tmp_path):
    for name, lossy in (("a.png", False), ("a.jpg", True), ("a.tif", False), ("a.webp", True)):
        dialog.path.setText(str(tmp_path / name))
        assert dialog.quality.isVisibleTo(dialog) == lossy, name


def test_exports_the_same_file_as_the_export_command(qtbot, dialog, face_png, tmp_path):
    from liif_viewer.cli import main

    dialog.form.region_whole.setChecked(True)
    dialog.form.set_scale(1.5)
    dialog.form.method.setCurrentIndex(0)  # LIIF (fast)
    out = tmp_path / "out" / "face-x1.5.png"
    out.parent.mkdir()
    dialog.path.setText(str(out))
    assert dialog.start()
    assert not dialog.panel.start_button.isEnabled() and dialog.panel.progress.isVisible()
    run_export(qtbot, dialog)
    assert dialog.last_written == out
    assert "wrote" in dialog.panel.message.text() and "s/MP" in dialog.panel.message.text()
    with Image.open(out) as img:
        assert img.size == (144, 108)
        assert img.text["Method"] == "LIIF (fast)" and img.text["Source"] == "face.png"
    command = tmp_path / "command" / "face.png"  # the same name: the file names its source
    command.parent.mkdir()
    assert main(["export", str(face_png), "-o", str(command), "--scale", "1.5", "--fast", "--device", "cpu"]) == 0
    assert command.read_bytes() == out.read_bytes()  # pixels, metadata and encoding: one pipeline
    # remembered for next time: folder, format, size mode
    again = dialog.parent().tools.export_view()
    qtbot.addWidget(again)
    assert again.path.text().startswith(str(out.parent)) and again.path.text().endswith(".png")
    assert again.form.by_scale.isChecked() and again.form.scale.value() == 1.5


def test_the_export_keeps_icc_and_exif_of_the_open_image_without_reading_it_again(qtbot, make_window, tmp_path):
    from PIL import ImageCms

    source = tmp_path / "camera.jpg"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x010F] = "doc16 camera"  # Make
    Image.open(SAMPLE).convert("RGB").crop((180, 90, 276, 162)).save(source, quality=92, icc_profile=icc,
                                                                       exif=exif.tobytes())
    window = make_window(600, 300)
    open_and_settle(qtbot, window, source)
    dialog = window.tools.export_view()
    qtbot.addWidget(dialog)
    source.unlink()  # gone (moved, renamed, on an unplugged card): the export still has what it needs
    dialog.form.region_whole.setChecked(True)
    dialog.form.method.setCurrentIndex(2)  # bilinear
    out = tmp_path / "out.png"
    dialog.path.setText(str(out))
    assert dialog.start()
    run_export(qtbot, dialog)
    with Image.open(out) as img:
        assert img.info["icc_profile"] == icc
        assert img.getexif()[0x010F] == "doc16 camera"
        assert img.text["Source"] == "camera.jpg"


def test_overwriting_asks_first(qtbot, dialog, tmp_path):
    out = tmp_path / "exists.jpg"
    out.write_bytes(b"keep me")
    dialog.form.method.setCurrentIndex(2)  # bilinear
    dialog.path.setText(str(out))
    assert dialog.quality.isEnabled() and "JPEG" in dialog.format_label.text()
    asked = []
    dialog.confirm_overwrite = lambda path: asked.append(path) or False
    assert not dialog.start()
    assert asked == [out] and out.read_bytes() == b"keep me" and "exists" in dialog.panel.message.text()
    dialog.confirm_overwrite = lambda path: True
    assert dialog.start()
    run_export(qtbot, dialog)
    with Image.open(out) as img:
        assert img.format == "JPEG"


def test_cancel_stops_and_leaves_no_file(qtbot, dialog, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    dialog.form.region_whole.setChecked(True)
    dialog.form.set_size(1600, 1200)  # 12 x 10 tiles of exact LIIF: far longer than the cancel takes
    dialog.form.method.setCurrentIndex(1)
    out = tmp_path / "big.png"
    dialog.path.setText(str(out))
    assert dialog.start()
    qtbot.waitUntil(lambda: dialog.panel.progress.value() >= 1, timeout=60_000)  # tiles are being rendered
    with qtbot.waitSignal(dialog.panel.ended, timeout=60_000):
        dialog.panel.cancel_button.click()
    assert dialog.job is None
    assert "cancelled" in dialog.panel.message.text()
    assert list(tmp_path.iterdir()) == []  # no file, no temporary left behind
    assert dialog.panel.start_button.isEnabled()


def test_unwritable_destination_gives_a_clear_message(qtbot, dialog, tmp_path):
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    dialog.path.setText(str(not_a_folder / "out.png"))
    assert not dialog.start()
    assert "is a file, not a folder" in dialog.panel.message.text() and dialog.job is None
    dialog.path.setText(str(tmp_path / "out.bmpx"))
    assert not dialog.start() and ".png" in dialog.panel.message.text()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc (a folder that takes no files)")
def test_a_folder_that_takes_no_files_is_refused_before_rendering_and_not_remembered(qtbot, dialog):
    dialog.form.region_whole.setChecked(True)
    dialog.form.set_size(6000, 4500)
    dialog.form.method.setCurrentIndex(1)  # exact LIIF: minutes, were it rendered first
    dialog.confirm_large = lambda text: True
    dialog.path.setText("/proc/forbidden.png")
    assert not dialog.start() and dialog.job is None
    assert dialog.panel.message.text() == ("cannot write to /proc: the folder does not accept new files "
                                           "(a system folder?); choose another folder")
    assert dialog.settings.value("export/dir") is None  # /proc is not remembered as the export folder


def test_a_full_disk_gives_a_message_and_no_partial_file(qtbot, dialog, tmp_path, monkeypatch):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    import liif_viewer.files.image_io as image_io

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(image_io.os, "replace", full_disk)
    dialog.form.method.setCurrentIndex(4)  # nearest: quick
    dialog.path.setText(str(tmp_path / "out.png"))
    assert dialog.start()
    with qtbot.waitSignal(dialog.panel.ended, timeout=60_000):
        pass
    assert dialog.job is None
    assert "the disk is full" in dialog.panel.message.text() and "Traceback" not in dialog.panel.message.text()
    assert list(tmp_path.iterdir()) == []
    assert dialog.settings.value("export/dir") is None  # a folder is remembered only once a file was written


def test_a_large_export_asks_first_and_one_beyond_memory_is_refused(qtbot, dialog, tmp_path, monkeypatch):
    import liif_viewer.app.export_dialog as export_dialog

    out = tmp_path / "big.png"
    dialog.path.setText(str(out))
    dialog.form.set_size(12_000, 9_000)  # 108 MP
    asked: list[str] = []
    dialog.confirm_large = lambda text: asked.append(text) or False
    monkeypatch.setattr(export_dialog, "available_memory_bytes", lambda: 64 << 30)
    assert not dialog.start() and dialog.job is None and not out.exists()
    assert len(asked) == 1 and "108 MP" in asked[0] and "GB of memory" in asked[0] and "min" in asked[0]
    assert "too large" in dialog.panel.message.text()
    monkeypatch.setattr(export_dialog, "available_memory_bytes", lambda: 256 << 20)  # 256 MB free
    asked.clear()
    assert not dialog.start() and dialog.job is None and not asked
    assert "GB is free" in dialog.panel.message.text()
    dialog.form.set_size(96, 72)  # small again: no question, the export runs
    monkeypatch.setattr(export_dialog, "available_memory_bytes", lambda: 8 << 30)
    assert dialog.start() and not asked
    dialog.cancel()
    qtbot.waitUntil(lambda: dialog.job is None, timeout=60_000)
