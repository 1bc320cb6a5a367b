"""The shared pan/zoom state: zoom about a point, limits, fit, formatting."""

from __future__ import annotations

import pytest

from liif_viewer.app.view_state import FIT_DIVISOR, MAX_ZOOM, ViewState, format_zoom


def make_state(image=(512, 384), pane=(400, 300)) -> ViewState:
    state = ViewState()
    state.set_pane_size(*pane)
    state.set_image_size(*image)
    return state


def test_new_image_is_fitted_and_centred():
    state = make_state()
    assert state.fitting
    assert state.scale == pytest.approx(400 / 512)
    assert (state.center_x, state.center_y) == (256, 192)


@pytest.mark.parametrize("factor", [1.2, 3.7, 0.5, 40.0])
def test_zoom_at_keeps_the_image_point_under_the_cursor(factor):
    state = make_state()
    screen_xy = (123.4, 77.9)
    before, scale = state.image_under(screen_xy), state.scale
    state.zoom_at(screen_xy, factor)
    after = state.image_under(screen_xy)
    # exact but for the pixel lattice, which snaps each view's origin by under half a device px
    assert abs(after[0] - before[0]) <= 0.5 / scale + 0.5 / state.scale
    assert abs(after[1] - before[1]) <= 0.5 / scale + 0.5 / state.scale
    assert not state.fitting


def test_many_wheel_steps_do_not_drift():
    state = make_state()
    screen_xy = (311.0, 40.0)
    centre = state.image_under(screen_xy)
    x, y = state.center_x + (311 - 200) / state.scale, state.center_y + (40 - 150) / state.scale
    for _ in range(40):
        state.zoom_at(screen_xy, 1.1)
    for _ in range(40):
        state.zoom_at(screen_xy, 1 / 1.1)
    assert (state.center_x + (311 - 200) / state.scale, state.center_y + (40 - 150) / state.scale) == \
        pytest.approx((x, y))
    assert state.image_under(screen_xy) == pytest.approx(centre, abs=1 / state.scale + 1e-9)


def test_zoom_range_is_fit_over_8_to_at_least_128():
    state = make_state()
    state.zoom_at((200, 150), 1e-6)
    assert state.scale == pytest.approx(state.fit_scale / FIT_DIVISOR)
    state.zoom_at((200, 150), 1e9)
    assert state.scale == MAX_ZOOM >= 64


def test_fit_follows_the_pane_size_until_the_user_zooms():
    state = make_state()
    state.set_pane_size(800, 600)
    assert state.scale == pytest.approx(800 / 512)
    state.zoom_to(2.0)
    state.set_pane_size(400, 300)
    assert state.scale == 2.0 and not state.fitting


def test_pan_moves_content_with_the_drag_and_keeps_the_image_reachable():
    state = make_state()
    state.zoom_to(4.0)
    state.pan_by(40, -20)
    assert (state.center_x, state.center_y) == pytest.approx((256 - 10, 192 + 5))
    state.pan_by(1e6, 1e6)
    assert (state.center_x, state.center_y) == (0, 0)


def test_changed_fires_once_per_change(qtbot):
    state = make_state()
    with qtbot.waitSignal(state.changed, timeout=100):
        state.zoom_to(3.0)
    with qtbot.assertNotEmitted(state.changed):
        state.zoom_to(3.0)


@pytest.mark.parametrize(("scale", "text"), [(12.5, "×12.5"), (1.0, "×1"), (1 / 3, "×0.333"), (128, "×128"),
                                             (8.0, "×8"), (2.25, "×2.25")])
def test_format_zoom(scale, text):
    assert format_zoom(scale) == text
