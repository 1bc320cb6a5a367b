"""Demo menu: the resolution sweep window, the live zoom flight, presentation mode, and Record…."""

from __future__ import annotations

import av
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from liif_viewer.app.flight import FlightSettings
from liif_viewer.app.tools import PICK_PROMPT
from liif_viewer.tasks.demos import SweepSpec, sweep_frames, sweep_input
from tests.app.conftest import open_and_settle, wait_settled


@pytest.fixture
def window(qtbot, make_window, face_png):
    win = make_window(600, 300)
    open_and_settle(qtbot, win, face_png)
    return win


class SteppingClock:
    """A flight's clock that moves on ``step`` seconds each time it is read (once per frame), so the
    frames a flight shows do not depend on how busy the machine is."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 100.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def small_sweep(qtbot, window, frames: int = 3):
    sweep = window.tools.open_sweep()
    qtbot.addWidget(sweep)
    sweep.input_px.setValue(8)
    sweep.to_px.setValue(24)
    sweep.frame_count.setValue(frames)
    sweep.display_px.setValue(48)
    sweep.bilinear.setChecked(True)
    sweep.render()
    return sweep


def test_sweep_window_frames_are_the_engines_frames(qtbot, window, model):
    from liif_viewer.render.engine import RenderEngine

    sweep = small_sweep(qtbot, window)
    qtbot.waitUntil(lambda: sweep.is_complete(), timeout=120_000)
    assert sweep.resolutions == [8, 16, 24]
    assert all(frame.shape == (48, 96, 3) for frame in sweep.frames)  # LIIF | Bilinear, each 48 px square
    engine = RenderEngine(model, "cpu")
    engine.set_image(sweep_input(window.controller.doc.rgb, 8))
    spec = SweepSpec(8, 24, 3, 48, True, "fast")
    for k, (res, frame) in enumerate(sweep_frames(engine, spec)):
        assert res == sweep.resolutions[k] and np.array_equal(frame, sweep.frames[k])
    sweep.play_button.click()  # it was playing from the start; pause to look at one frame
    assert sweep.play_button.text() == "Play"
    sweep.show_frame(2)
    assert sweep.slider.value() == 2 and sweep.caption.text() == "24×24 from 8×8"
    assert not sweep.picture.pixmap().isNull()
    sweep.play_button.click()
    qtbot.waitUntil(lambda: sweep.slider.value() != 2, timeout=30_000)  # plays on, looping
    sweep.play_button.click()
    assert sweep.play_button.text() == "Play"


def test_sweep_window_opens_on_the_screen_and_plays_as_frames_arrive(qtbot, window):
    sweep = small_sweep(qtbot, window, frames=6)
    assert sweep.play_button.isChecked() and sweep.play_button.text() == "Pause"
    available = window.screen().availableGeometry()
    assert available.contains(sweep.geometry())
    shown = []
    sweep.slider.valueChanged.connect(shown.append)
    qtbot.waitUntil(lambda: sweep.is_complete(), timeout=120_000)
    qtbot.waitUntil(lambda: len(set(shown)) >= 4, timeout=30_000)  # it moved through the frames by itself


def test_a_window_is_placed_inside_the_available_screen_area():
    from PySide6.QtCore import QRect, QSize

    from liif_viewer.app.sweep_window import placed_on_screen

    screen = QRect(0, 0, 1600, 1000)
    # centred on its parent when there is room
    assert placed_on_screen(QSize(600, 400), QRect(500, 300, 600, 400), screen).center() == QRect(
        500, 300, 600, 400).center()
    # a parent near the bottom-right corner: moved in, frame included
    rect = placed_on_screen(QSize(1100, 720), QRect(1200, 800, 800, 600), screen)
    assert rect.size() == QSize(1100, 720) and rect.right() <= 1600 - 8 and rect.bottom() <= 1000 - 8
    assert rect.top() >= 40 and rect.left() >= 8
    # a screen smaller than the window: shrunk to fit, title bar on screen
    rect = placed_on_screen(QSize(1100, 720), QRect(0, 0, 800, 600), QRect(0, 30, 1024, 738))
    assert rect.width() <= 1024 - 16 and rect.top() >= 30 + 40 and rect.bottom() <= 30 + 738 - 8


def test_recording_the_sweep_from_the_gui_writes_every_frame(qtbot, window, tmp_path):
    sweep = small_sweep(qtbot, window, frames=4)
    dialog = sweep.record()
    out = tmp_path / "sweep.gif"
    dialog.path.setText(str(out))
    assert dialog.start()
    with qtbot.waitSignal(dialog.panel.succeeded, timeout=120_000):  # (re-emitted in the GUI thread: not missed)
        pass
    qtbot.waitUntil(lambda: dialog.job is None, timeout=30_000)
    with Image.open(out) as gif:
        assert gif.n_frames == 4 and gif.size == (96, 48)
    assert dialog.frame_count == 4 and "wrote" in dialog.panel.message.text()


def test_recording_the_flight_to_mp4_and_cancelling_one(qtbot, window, tmp_path):
    window.tools.target_xy = (40.0, 30.0)
    window.tools.flight.settings = FlightSettings(zoom=6.0, seconds=0.5, fps=10.0, record_pane=(32, 32))
    dialog = window.tools.record_flight()
    qtbot.addWidget(dialog)
    out = tmp_path / "flight.mp4"
    dialog.path.setText(str(out))
    assert dialog.start()
    with qtbot.waitSignal(dialog.panel.succeeded, timeout=120_000):  # (re-emitted in the GUI thread: not missed)
        pass
    qtbot.waitUntil(lambda: dialog.job is None, timeout=30_000)
    with av.open(str(out)) as video:
        frames = [f.to_ndarray(format="rgb24") for f in video.decode(video=0)]
    assert len(frames) == 5 and frames[0].shape == (32, 96, 3)
    # a long recording, cancelled: nothing is left behind
    window.tools.flight.settings = FlightSettings(zoom=6.0, seconds=60.0, fps=10.0, record_pane=(64, 64))
    dialog = window.tools.record_flight()
    qtbot.addWidget(dialog)
    folder = tmp_path / "cancelled"
    folder.mkdir()
    dialog.path.setText(str(folder / "long.gif"))
    assert dialog.start()
    qtbot.waitUntil(lambda: dialog.panel.progress.value() >= 1, timeout=60_000)  # frames are being written
    with qtbot.waitSignal(dialog.panel.ended, timeout=60_000):
        dialog.cancel()
    assert list(folder.iterdir()) == [] and "cancelled" in dialog.panel.message.text()


def test_zoom_flight_lands_at_the_zoom_with_the_target_fixed(qtbot, window):
    state, flight = window.state, window.tools.flight
    target = (30.0, 20.0)
    flight.clock = SteppingClock(1 / 32)
    assert flight.start(target, FlightSettings(zoom=8.0, seconds=0.4, fps=30.0))
    fit_vp = state.viewport
    assert state.scale == state.fit_scale
    anchor = fit_vp.image_to_screen(*target)
    seen = []
    state.changed.connect(lambda: seen.append((state.scale, state.viewport.image_to_screen(*target))))
    with qtbot.waitSignal(flight.finished, timeout=30_000):
        pass
    assert state.scale == pytest.approx(8.0)
    assert flight.frames_shown == 13  # 0.4 s in steps of 1/32 s: frames at a steady rate, the 13th lands
    scales = [s for s, _ in seen]
    assert scales == sorted(scales)
    for _, screen_xy in seen:  # the target stays where it was (to the lattice's snap)
        assert abs(screen_xy[0] - anchor[0]) <= 1.0 and abs(screen_xy[1] - anchor[1]) <= 1.0
    wait_settled(qtbot, window)
    assert window.store.newest("liif").viewport == state.viewport  # LIIF catches up at the end


def test_a_resize_during_the_flight_keeps_the_target_in_view(qtbot, window):
    state, flight = window.state, window.tools.flight
    target = (60.0, 40.0)
    flight.clock = SteppingClock(1 / 32)
    assert flight.start(target, FlightSettings(zoom=6.0, seconds=0.6, fps=30.0))
    window.resize(900, 420)  # e.g. presentation mode going full screen as the flight starts
    with qtbot.waitSignal(flight.finished, timeout=30_000):
        pass
    x, y = state.viewport.image_to_screen(*target)
    assert abs(x - flight.anchor_xy[0]) <= 1.0 and abs(y - flight.anchor_xy[1]) <= 1.0
    assert 0 <= x < state.pane_size[0] and 0 <= y < state.pane_size[1]


def test_click_a_point_flies_to_it_and_presentation_mode(qtbot, window):
    tools = window.tools
    tools.flight.settings = FlightSettings(zoom=4.0, seconds=0.2, fps=30.0)
    tools.pick_flight_target()
    assert window.status.bar.currentMessage() == PICK_PROMPT
    pane = window.area.panes["liif"]
    click = QPoint(pane.width() // 2 + 10, pane.height() // 2 - 5)
    expected = window.state.image_under(pane.to_device(click.toPointF()))
    qtbot.mouseClick(pane, Qt.MouseButton.LeftButton, pos=click)
    assert tools.flight.flying and tools.target_xy == pytest.approx(expected)
    assert window.status.bar.currentMessage() == ""  # the prompt is answered: it leaves with the click
    with qtbot.waitSignal(tools.flight.finished, timeout=30_000):
        pass
    assert PICK_PROMPT not in window.status.bar.currentMessage()
    tools.pick_flight_target()  # Space while picking flies about the default point and ends the prompt too
    window.commands["flight"].trigger()
    assert tools.flight.flying and window.status.bar.currentMessage() == ""
    with qtbot.waitSignal(tools.flight.finished, timeout=30_000):
        pass
    tools.toggle_presentation()
    assert tools.presenting and not window.menuBar().isVisible() and not window.statusBar().isVisible()
    assert pane.label_scale > 1
    window.commands["flight"].trigger()  # Space flies again about the same point
    assert tools.flight.flying
    window.commands["leave_full_screen"].trigger()  # Esc
    assert not tools.presenting and not tools.flight.flying
    assert window.menuBar().isVisible() and window.statusBar().isVisible() and pane.label_scale == 1
