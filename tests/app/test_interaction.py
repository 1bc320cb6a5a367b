"""Wheel zoom about the cursor and drag panning, on every pane at once."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage

from liif_viewer.app.messages import BACKGROUND_U8, SOURCES
from liif_viewer.app.pane import WHEEL_STEP
from tests.app.conftest import open_and_settle, wait_settled
from tests.app.qt_events import ManualTimer, drag, wheel


@pytest.mark.parametrize("pane_name", ["pixels", "liif"])
def test_wheel_zoom_keeps_the_image_point_under_the_cursor(qtbot, make_window, face_png, pane_name):
    window = make_window()
    open_and_settle(qtbot, window, face_png)
    pane = window.area.panes[pane_name]
    cursor = (37.0, 151.0)
    device_xy = pane.to_device(QPointF(*cursor))
    before = window.state.image_under(device_xy)
    scale = window.state.scale
    for _ in range(12):
        wheel(pane, *cursor, notches=1)
    assert window.state.scale == pytest.approx(scale * WHEEL_STEP ** 12)
    after = window.state.image_under(device_xy)
    # exact but for the pixel lattice, which snaps each view by under half a device pixel (no drift over steps)
    tolerance = 0.5 / scale + 0.5 / window.state.scale
    assert abs(after[0] - before[0]) <= tolerance
    assert abs(after[1] - before[1]) <= tolerance
    wheel(pane, *cursor, notches=-12)
    assert window.state.scale == pytest.approx(scale)


def test_drag_pans_all_three_panes_together(qtbot, make_window, face_png):
    window = make_window()
    open_and_settle(qtbot, window, face_png)
    window.state.zoom_to(3.0)
    wait_settled(qtbot, window)
    cx, cy = window.state.center_x, window.state.center_y
    pane = window.area.panes["pixels"]
    drag(pane, (100, 100), (160, 70))
    assert (window.state.center_x, window.state.center_y) == pytest.approx((cx - 60 / 3.0, cy + 30 / 3.0))
    # right away, every pane paints its old render moved by the drag; then all re-render the same region
    wait_settled(qtbot, window)
    vp = window.state.viewport
    rects = {window.store.newest(s).viewport.image_rect() for s in SOURCES}
    assert rects == {vp.image_rect()}
    assert all(window.store.newest(s).viewport == vp for s in SOURCES)
    # the same image point sits under the same screen pixel in every pane: the grabs line up
    grabs = [p.grab().toImage() for p in window.area.visible_panes()]
    assert len({(g.width(), g.height()) for g in grabs}) == 1


def test_zoom_is_limited_to_fit_over_8_and_128(qtbot, make_window, face_png):
    window = make_window()
    open_and_settle(qtbot, window, face_png)
    pane = window.area.panes["liif"]
    for _ in range(60):
        wheel(pane, 50, 50, notches=2)
    assert window.state.scale == 128
    for _ in range(80):
        wheel(pane, 50, 50, notches=-2)
    assert window.state.scale == pytest.approx(window.state.fit_scale / 8)
    assert pane.grab().width() == pane.width()


def _painted(pane) -> np.ndarray:
    """What ``pane`` paints now (a synchronous paint, before any worker can answer), RGB uint8."""
    image = pane.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3)


def _empty_inside_the_image(window, pane) -> int:
    """Pixels of ``pane`` that show the bare background where the image is (the pane titles and the
    LIIF note, drawn over the image, are left out)."""
    vp, (width, height) = window.state.viewport, window.state.image_size
    x0, y0 = vp.image_to_screen(0, 0)
    x1, y1 = vp.image_to_screen(width, height)
    x0, y0 = max(0, int(np.ceil(x0)) + 1), max(40, int(np.ceil(y0)) + 1)  # below the title
    x1, y1 = min(vp.width, int(x1) - 1), min(vp.height - 40, int(y1) - 1)  # above the note
    inside = _painted(pane)[y0:y1, x0:x1]
    assert inside.size > 0
    return int(np.all(inside == BACKGROUND_U8, axis=-1).sum())


def test_after_a_pan_or_a_zoom_out_no_pane_shows_empty_background_where_the_image_is(qtbot, make_window,
                                                                                      tmp_path):
    rng = np.random.default_rng(7)
    path = tmp_path / "noise.png"  # no pixel is the background colour, and any resampling shows
    Image.fromarray(rng.integers(60, 256, (90, 120, 3), dtype=np.uint8)).save(path)
    window = make_window(900, 300)
    window.set_initial_view(4.0, (60.0, 45.0))
    open_and_settle(qtbot, window, path)
    panes = window.area.visible_panes()
    changes = [
        lambda: window.state.pan_by(-120, 70),  # a drag: strips of the image come into view
        lambda: window.state.zoom_at((150, 150), 1 / 3),  # a fast wheel zoom-out: the old frame shrinks
        lambda: window.state.pan_by(90, -40),
        lambda: window.state.zoom_at((20, 200), 0.6),
    ]
    for change in changes:
        change()
        for pane in panes:  # right away: the workers have not answered yet
            assert _empty_inside_the_image(window, pane) == 0, pane.sources
        wait_settled(qtbot, window)
    window.set_layout("swipe")
    window.state.pan_by(-80, 30)
    assert _empty_inside_the_image(window, window.area.swipe) == 0


def test_the_liif_pane_gets_the_bilinear_panes_pixels_as_its_stand_in_at_once(qtbot, make_window, face_png):
    window = make_window(900, 300)
    window.set_initial_view(3.0, (48.0, 36.0))
    open_and_settle(qtbot, window, face_png)
    window.controller.use_debounce_timer(ManualTimer())  # never fired: hold LIIF back, the stand-in is all that comes
    window.state.pan_by(-100, 20)
    vp = window.state.viewport
    qtbot.waitUntil(lambda: window.store.newest("bilinear").viewport == vp, timeout=60_000)
    qtbot.waitUntil(lambda: window.store.layers("liif")[0].image.viewport == vp, timeout=60_000)
    standin = window.store.layers("liif")[0].image
    assert not standin.final and standin.u8 is window.store.newest("bilinear").u8  # the same render, not a second
    assert window.store.layers("liif")[-1].image.final  # the last LIIF render lies over it, moved
    window.controller.request_liif()
    wait_settled(qtbot, window)
    assert [layer.image.final for layer in window.store.layers("liif")] == [True]  # covered: dropped
