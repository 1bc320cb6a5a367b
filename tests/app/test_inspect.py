"""Inspect tools on real renders: line profile, difference view, navigator, histogram."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QPointF, Qt

from liif_viewer.app.messages import BACKGROUND
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.resample import to_display_uint8
from tests.app.conftest import open_and_settle, wait_settled
from tests.app.qt_events import drag, hover, wheel

EDGE_GREYS = np.clip(40 + 30 * (np.arange(48) - 20), 40, 190)  # 40 up to x = 20, a 5-px ramp, 190 from x = 25


@pytest.fixture
def edge_png(tmp_path):
    """48 x 32 grey columns: a soft step edge (the ramp spans image x 20..25)."""
    path = tmp_path / "edge.png"
    Image.fromarray(np.repeat(np.repeat(EDGE_GREYS.astype(np.uint8)[None, :, None], 32, 0), 3, 2)).save(path)
    return path


def _screen_cells(vp, xs, ys):
    """The screen pixel (row, col) of ``vp`` holding each image point."""
    ox, oy = vp.origin_lattice
    return np.floor(ys * vp.sy - oy).astype(int), np.floor(xs * vp.sx - ox).astype(int)


def _wait_profile(qtbot, window, sources=("pixels", "bilinear", "liif")):
    def ready() -> bool:
        profile = window.inspect.profile
        return (profile is not None and window.controller.is_settled() and not window.inspect.pending
                and set(profile[1]) == set(sources)
                and window.inspect.profile_view == window.state.viewport)

    qtbot.waitUntil(ready, timeout=120_000)
    return window.inspect.profile


def _check_against_the_image_and_engine(window, model, line):
    vp = window.state.viewport
    distance, values = window.inspect.profile
    (x0, y0), (x1, y1) = line
    count = len(distance)
    assert count == max(2, math.ceil(math.hypot(x1 - x0, y1 - y0) * vp.scale) + 1)  # the line's screen px
    assert distance[-1] == pytest.approx(math.hypot(x1 - x0, y1 - y0))  # image px on the x axis
    t = np.linspace(0, 1, count)
    xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    rows, cols = _screen_cells(vp, xs, ys)
    centres = (vp.origin_lattice[0] + cols + 0.5) / vp.sx  # image x of each screen pixel's centre
    # Pixels: the image pixel under each screen pixel's centre: a staircase, one step per image pixel
    np.testing.assert_allclose(values["pixels"], EDGE_GREYS[np.floor(centres).astype(int)], atol=1e-3)
    # Bilinear: a straight ramp between the pixel centres 20.5 and 25.5
    np.testing.assert_allclose(values["bilinear"], np.interp(centres - 0.5, np.arange(48), EDGE_GREYS), atol=1.0)
    # LIIF: what the LIIF pane shows (its final render of this view) at those very screen pixels …
    shown = window.store.newest("liif")
    assert shown.final and shown.viewport == vp
    luma = [0.299, 0.587, 0.114]
    np.testing.assert_allclose(values["liif"], shown.u8[rows, cols].astype(float) @ luma, atol=1e-6)
    # … which is the engine's output there, within the fast-mode bound (features encoded in other blocks, by
    # prefetch or on demand, may round differently in bf16; exact mode is compared pixel for pixel elsewhere)
    engine = RenderEngine(model, "cpu", background=BACKGROUND)
    engine.set_image(window.controller.doc.rgb)
    liif = to_display_uint8(engine.render_liif_sync(vp, window.controller.precision)).astype(float)
    bound = 0 if window.controller.precision == "exact" else 2
    assert np.abs(values["liif"] - liif[rows, cols] @ luma).max() <= bound


def test_a_profile_across_a_soft_edge_is_a_staircase_a_ramp_and_liif_and_follows_a_zoom(
        qtbot, make_window, model, edge_png):
    window = make_window(900, 320)
    window.set_initial_view(8.0, (23.0, 16.0))
    open_and_settle(qtbot, window, edge_png)
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert window.inspect.drawing and window.inspect.dock.isVisible()
    wait_settled(qtbot, window)  # the dock took room from the panes: a new view
    pane = window.area.panes["liif"]
    overlay = window.inspect.overlays[pane]
    vp = window.state.viewport
    (sx0, sy), (sx1, _) = vp.image_to_screen(17.0, 16.3), vp.image_to_screen(29.0, 16.3)
    drag(overlay, (math.floor(sx0) + 0.5, math.floor(sy) + 0.5), (math.floor(sx1) + 0.5, math.floor(sy) + 0.5))
    line = window.inspect.line
    assert line[0][0] < 20 < 26 < line[1][0] and line[0][1] == line[1][1]
    assert all(o.line == line for o in window.inspect.overlays.values())  # every pane shows the line
    _wait_profile(qtbot, window)
    _check_against_the_image_and_engine(window, model, line)
    pixels = np.round(window.inspect.profile[1]["pixels"], 6)  # luma of grey: g within 1e-13
    levels, starts, runs = np.unique(pixels, return_index=True, return_counts=True)
    np.testing.assert_array_equal(levels, [40, 70, 100, 130, 160, 190])  # a staircase of 30-level steps
    assert list(runs[1:-1]) == [8, 8, 8, 8] and list(np.diff(starts[1:])) == [8, 8, 8, 8]  # ×8: 8 px per step

    qtbot.keyClick(window, Qt.Key.Key_P)  # back to panning: the line and the plot stay
    assert not window.inspect.drawing and window.inspect.line == line
    wheel(pane, pane.width() / 2, pane.height() / 2, notches=2)  # zoom in ×1.44 about the centre
    wait_settled(qtbot, window)
    assert window.state.scale == pytest.approx(8.0 * 1.2**2)
    _wait_profile(qtbot, window)
    assert window.inspect.line == line  # the same image points
    _check_against_the_image_and_engine(window, model, line)
    curve = window.inspect.dock.profile_curves["liif"]  # what the plot draws is the profile
    np.testing.assert_array_equal(curve.getData()[1], window.inspect.profile[1]["liif"])
    menu = [a.text() for a in window.inspect.dock.profile_plot.scene().contextMenu]
    assert "Export..." in menu  # PNG / SVG / CSV through pyqtgraph's exporters


def test_the_difference_view_is_liif_minus_bilinear_of_the_panes_own_images(qtbot, make_window, face_png):
    window = make_window(700, 360)
    window.set_initial_view(4.0, (48.0, 36.0))
    open_and_settle(qtbot, window, face_png)
    qtbot.keyClick(window, Qt.Key.Key_D)
    assert window.area.mode == "diff"
    pane = window.area.diff
    wait_settled(qtbot, window)
    qtbot.waitUntil(lambda: pane.difference_view == window.state.viewport, timeout=120_000)
    liif, bilinear = window.store.newest("liif"), window.store.newest("bilinear")
    assert liif.final and liif.viewport == bilinear.viewport == window.state.viewport
    expected = np.abs(liif.u8.astype(int) - bilinear.u8.astype(int)).max(axis=2)
    np.testing.assert_array_equal(pane.difference, expected)
    assert 2 < expected.mean() < 40  # LIIF adds detail: not nothing, not noise
    # the cursor readout gives the difference under the cursor
    row, col = np.unravel_index(np.argmax(expected), expected.shape)
    hover(pane, col + 0.5, row + 0.5)
    assert f"|LIIF − Bilinear| {expected[row, col]}" in window.status.cursor.text()
    # against Pixels (B), the same from the Pixels pane's render
    qtbot.keyClick(window, Qt.Key.Key_B)
    wait_settled(qtbot, window)
    qtbot.waitUntil(lambda: pane.difference_view == window.state.viewport and pane.sources[0] == "pixels"
                    and pane.difference is not None, timeout=120_000)
    pixels = window.store.newest("pixels")
    assert pixels.viewport == window.state.viewport
    np.testing.assert_array_equal(pane.difference,
                                  np.abs(window.store.newest("liif").u8.astype(int) - pixels.u8.astype(int)).max(2))


def test_clicking_in_the_navigator_centres_the_view_on_that_point(qtbot, make_window, face_png):
    window = make_window(900, 360)
    open_and_settle(qtbot, window, face_png)
    navigator = window.inspect.navigators[window.area.panes["liif"]]
    assert not navigator.isVisible()  # at fit it is not needed
    window.state.zoom_to(8.0)
    qtbot.waitUntil(navigator.isVisible, timeout=120_000)
    assert navigator.geometry().bottom() < window.area.panes["liif"].height()  # in the pane's corner
    frame = navigator.frame()
    pos = QPoint(round(frame.x() + 0.8 * frame.width()), round(frame.y() + 0.25 * frame.height()))
    image_xy = ((pos.x() - frame.x()) * 96 / frame.width(), (pos.y() - frame.y()) * 72 / frame.height())
    qtbot.mouseClick(navigator, Qt.MouseButton.LeftButton, pos=pos)
    assert (window.state.center_x, window.state.center_y) == pytest.approx(image_xy, abs=1e-9)
    vp = window.state.viewport
    assert vp.screen_to_image(vp.width / 2, vp.height / 2) == pytest.approx(image_xy, abs=1 / vp.scale)
    wait_settled(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N)  # N hides it, and shows it again
    assert not navigator.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_N)
    assert navigator.isVisible()
    assert navigator.to_image(QPointF(pos)) == pytest.approx(image_xy)


def test_the_histogram_counts_each_panes_view_and_liif_keeps_the_tones(qtbot, make_window, face_png):
    window = make_window(900, 360)
    window.set_initial_view(3.0, (48.0, 36.0))
    open_and_settle(qtbot, window, face_png)
    window.inspect.show_histogram()
    wait_settled(qtbot, window)
    qtbot.waitUntil(lambda: set(window.inspect.histograms) == {"pixels", "bilinear", "liif"}
                    and all(window.store.newest(s).viewport == window.state.viewport for s in window.inspect.histograms)
                    and window.inspect.histogram_view == window.state.viewport and not window.inspect.pending,
                    timeout=120_000)
    vp = window.state.viewport
    xs, ys = vp.pixel_centres()
    inside = int(((xs >= 0) & (xs < 96)).sum() * ((ys >= 0) & (ys < 72)).sum())
    means = {}
    for source, counts in window.inspect.histograms.items():
        assert counts.shape == (256,) and counts.sum() == inside, source
        means[source] = (counts * np.arange(256)).sum() / counts.sum()
        np.testing.assert_array_equal(window.inspect.dock.histogram_curves[source].getData()[1], counts)
    assert abs(means["liif"] - means["bilinear"]) < 1.5 and abs(means["liif"] - means["pixels"]) < 1.5
