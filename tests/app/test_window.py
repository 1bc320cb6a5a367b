"""The window: opening files, messages, layouts, settings, readout, keyboard."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from liif_viewer.app.messages import SOURCES
from tests.app.conftest import open_and_settle, wait_settled
from tests.app.qt_events import drag, hover


def shown_sources(window) -> set[str]:
    return {s for s in SOURCES if window.store.newest(s) is not None}


def test_opening_an_image_shows_it_in_all_three_panes(qtbot, make_window, face_png):
    window = make_window()
    open_and_settle(qtbot, window, face_png)
    assert window.controller.doc.size == (96, 72)
    assert window.status.image.text() == "face.png  96×72"
    assert "face.png" in window.windowTitle()
    assert [p.sources for p in window.area.visible_panes()] == [("pixels",), ("bilinear",), ("liif",)]
    vp = window.state.viewport
    assert window.state.fitting and vp.scale == window.state.fit_scale
    for source in SOURCES:
        top = window.store.newest(source)
        assert top.final and top.viewport == vp and top.u8.shape == (vp.height, vp.width, 3)
    panes = window.area.visible_panes()
    assert len({(p.width(), p.height()) for p in panes}) == 1  # one viewport serves every pane
    assert window.status.render.text().startswith("LIIF ")
    assert window.status.device.text().startswith("CPU")


def test_opening_a_corrupt_file_keeps_the_previous_image_and_says_why(qtbot, make_window, face_png, tmp_path):
    window = make_window()
    open_and_settle(qtbot, window, face_png)
    before = {s: window.store.newest(s) for s in SOURCES}
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a PNG")
    with qtbot.waitSignal(window.open_failed, timeout=60_000) as blocker:
        window.open_path(bad)
    path, message = blocker.args
    assert path == str(bad) and "\n" not in message
    assert message == "broken.png: the PNG file is damaged (its header is not valid)"
    assert window.controller.doc.path == str(face_png)
    assert window.status.bar.currentMessage() == message
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and boxes[-1].text() == message
    boxes[-1].close()
    assert {s: window.store.newest(s) for s in SOURCES} == before
    assert window.controller.is_settled()


def test_missing_file_gives_a_message_too(qtbot, make_window, tmp_path, face_png):
    from liif_viewer.app.pane_area import EMPTY_HINT

    window = make_window()
    hint = window.area.hint
    assert hint.isVisible() and hint.text() == EMPTY_HINT  # the empty window says how to open an image
    assert hint.geometry().contains(window.area.rect().center())
    with qtbot.waitSignal(window.open_failed, timeout=60_000) as blocker:
        window.open_path(tmp_path / "nope.jpg")
        assert hint.text() == "opening nope.jpg…"
    assert "nope.jpg" in blocker.args[1]
    assert window.controller.doc is None
    assert hint.isVisible() and hint.text() == EMPTY_HINT
    with qtbot.waitSignal(window.image_opened, timeout=60_000):
        window.open_path(face_png)
    assert not hint.isVisible()


def test_layouts_liif_alone_and_swipe_with_a_draggable_divider(qtbot, make_window, face_png):
    window = make_window()
    open_and_settle(qtbot, window, face_png)
    window.set_layout("liif")
    assert window.area.visible_panes() == [window.area.panes["liif"]]
    wait_settled(qtbot, window)
    assert window.store.newest("liif").viewport.width == window.area.panes["liif"].width()

    window.set_layout("swipe")
    swipe = window.area.swipe
    assert window.area.visible_panes() == [swipe] and swipe.sources == ("bilinear", "liif")
    wait_settled(qtbot, window)
    x = swipe.divider * swipe.width()
    centre = window.state.center_x
    drag(swipe, (x, 50), (x - 100, 50))  # grabbing the divider moves it, not the image
    assert swipe.divider == (x - 100) / swipe.width()
    assert window.state.center_x == centre
    window.toggle_swipe_partner()
    assert swipe.sources == ("pixels", "liif")
    wait_settled(qtbot, window)


def test_layout_mode_recent_files_and_geometry_persist(qtbot, make_window, settings, face_png):
    first = make_window(700, 350)
    open_and_settle(qtbot, first, face_png)
    first.set_layout("swipe")
    first.set_swipe_partner("pixels")
    first.set_precision("exact")
    first.close()
    assert settings.value("layout") == "swipe"

    second = make_window(300, 200)
    second.restoreGeometry(settings.value("geometry"))
    assert second.area.mode == "swipe" and second.area.swipe_partner == "pixels"
    assert second.controller.precision == "exact" and second.status.mode.text() == "exact"
    assert second.recent.paths()[0] == str(Path(face_png).resolve())
    assert (second.width(), second.height()) == (700, 350)


def test_cursor_readout_shows_position_and_every_panes_rgb(qtbot, make_window, noise_png):
    window = make_window()
    open_and_settle(qtbot, window, noise_png)
    window.state.zoom_to(2.0)
    wait_settled(qtbot, window)
    pane = window.area.panes["bilinear"]
    sx, sy = pane.width() // 2 + 7, pane.height() // 2 + 5
    hover(pane, sx, sy)
    vp = window.state.viewport
    x, y = vp.screen_to_image(sx + 0.5, sy + 0.5)
    assert 0 <= x < 64 and 0 <= y < 48
    expected = window.controller.doc.u8[int(y), int(x)]
    text = window.status.cursor.text()
    assert "Pixels {} {} {}".format(*expected) in text
    assert "Bilinear" in text and "LIIF" in text and "…" not in text
    liif = window.store.newest("liif").u8[sy, sx]
    assert "LIIF {} {} {}".format(*liif) in text


def test_keyboard_fit_one_to_one_zoom_and_pan(qtbot, make_window, face_png):
    window = make_window()
    open_and_settle(qtbot, window, face_png)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=30_000)
    qtbot.keyClick(window, Qt.Key.Key_1)
    assert window.state.scale == 1.0
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    assert window.state.scale == 1.25
    qtbot.keyClick(window, Qt.Key.Key_Minus)
    assert window.state.scale == 1.0
    x = window.state.center_x
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.state.center_x > x
    qtbot.keyClick(window, Qt.Key.Key_F)
    assert window.state.fitting
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert window.area.mode == "liif"
    qtbot.keyClick(window, Qt.Key.Key_M)
    assert window.controller.precision == "exact"
    qtbot.keyClick(window, Qt.Key.Key_Question)
    sheet = window._shortcuts
    assert sheet is not None and sheet.isVisible()
    qtbot.keyClicks(sheet, "?")  # the sheet has the focus: `?` closes it again
    assert not sheet.isVisible()
    window.commands["shortcuts"].trigger()
    assert sheet.isVisible()
    window.commands["shortcuts"].trigger()  # and `?` on the window toggles it
    assert not sheet.isVisible()
    window.commands["shortcuts"].trigger()
    qtbot.keyClick(sheet, Qt.Key.Key_Escape)
    assert not sheet.isVisible()
    window.commands["shortcuts"].trigger()
    qtbot.keyClick(sheet, Qt.Key.Key_F1)
    assert not sheet.isVisible()


def test_dropping_a_file_opens_it(qtbot, make_window, face_png):
    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(face_png))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.image_opened, timeout=60_000):
        window.dropEvent(event)
    assert window.controller.doc.path == str(face_png)


def test_without_a_model_the_classic_panes_still_work(qtbot, make_window, face_png, tmp_path):
    bad = tmp_path / "not-a-checkpoint.pth"
    bad.write_bytes(b"nope")
    window = make_window(model=None, model_path=str(bad))
    # (a condition, not model_failed: showing the window ran the event loop, which may have delivered it)
    qtbot.waitUntil(lambda: window.controller.liif_available is False, timeout=60_000)
    assert "not-a-checkpoint.pth" in window.status.bar.currentMessage()
    open_and_settle(qtbot, window, face_png)
    assert window.store.newest("pixels").final and window.store.newest("liif") is None
    assert window.status.device.text() == "LIIF unavailable"


def test_paste_shows_the_clipboard_image_and_copy_gives_the_liif_view(qtbot, make_window, noise_png):
    from PySide6.QtGui import QGuiApplication, QImage

    from liif_viewer.app.clipboard import qimage_to_u8

    window = make_window()
    pixels = np.ascontiguousarray(np.asarray(Image.open(noise_png).convert("RGB")))
    height, width = pixels.shape[:2]
    QGuiApplication.clipboard().setImage(QImage(pixels.data, width, height, 3 * width,
                                                QImage.Format.Format_RGB888).copy())
    with qtbot.waitSignal(window.image_opened, timeout=60_000):
        window.paste_image()
    np.testing.assert_array_equal(window.controller.doc.u8, pixels)
    assert window.recent.paths() == []
    wait_settled(qtbot, window)
    window.copy_view()
    copied = qimage_to_u8(QGuiApplication.clipboard().image())
    np.testing.assert_array_equal(copied, window.store.newest("liif").u8)


def test_progress_text_stays_on_one_line_inside_the_bar(qtbot):
    from PySide6.QtWidgets import QStatusBar

    from liif_viewer.app.status import PROGRESS_WIDTH, StatusPanel

    bar = QStatusBar()
    qtbot.addWidget(bar)
    status = StatusPanel(bar)
    bar.show()
    long = "encoding features (3/9) for the whole view of this rather large photograph at 100%"
    status.set_progress(0.3, long)
    shown = status.progress.format()
    assert "\n" not in shown and shown.endswith("…") and status.progress.toolTip() == long
    assert status.progress.fontMetrics().horizontalAdvance(shown) <= PROGRESS_WIDTH - 16
    status.set_progress(0.5, "encoding 1/9")
    assert status.progress.format() == "encoding 1/9" and status.progress.text() == "encoding 1/9"


def test_the_window_starts_without_torch_and_says_what_the_model_start_is_doing(qtbot, model, settings, face_png):
    import subprocess
    import sys

    from liif_viewer.app import ViewerWindow
    from tests.conftest import ROOT

    code = "import sys, liif_viewer.app, liif_viewer.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.stdout.strip() == "False", out.stderr  # torch loads in the LIIF worker, behind a shown window
    window = ViewerWindow(settings, model=model, device="cpu")
    qtbot.addWidget(window)
    phases, notes = [], []
    window.controller.model_phase.connect(phases.append)
    window.store.changed.connect(lambda s: s == "liif" and notes.append(window.store.liif_note))
    # Panes wide enough that the face at fit is above 1:1 (below it LIIF shows the area-averaged
    # input and encodes nothing), and no idle prefetch that could encode this small photo whole
    # after a first layout's view, before the view at fit asks for its features.
    window.resize(900, 400)
    window.show()
    window.controller.liif.prefetch = False
    window.open_path(face_png)
    with qtbot.waitSignal(window.controller.model_ready, timeout=30_000):
        pass
    assert phases == ["starting PyTorch…", "loading the model…"]
    assert window.status.device.text().startswith("CPU")
    wait_settled(qtbot, window)
    assert any(n.startswith("encoding features (") for n in notes), set(notes)
    assert window.store.liif_note == ""
