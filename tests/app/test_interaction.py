"""Wheel zoom about the cursor and drag panning, on every pane at once."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from liif_viewer.app.messages import SOURCES
from liif_viewer.app.pane import WHEEL_STEP
from tests.app.conftest import open_and_settle, wait_settled
from tests.app.qt_events import drag, wheel


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
    rects = {window.store.top(s).viewport.image_rect() for s in SOURCES}
    assert rects == {vp.image_rect()}
    assert all(window.store.top(s).viewport == vp for s in SOURCES)
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
