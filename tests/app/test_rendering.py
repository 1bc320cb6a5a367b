"""The LIIF pane: exact engine output, one render per burst, and a GUI thread that never waits."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QThread, QTimer

from liif_viewer.app.messages import BACKGROUND
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.resample import to_display_uint8
from tests.app.conftest import open_and_settle, wait_settled
from tests.app.qt_events import ManualTimer, drag, wheel
from tests.conftest import SAMPLE, write_crop


@pytest.mark.parametrize("precision", ["fast", "exact"])
def test_liif_pane_final_image_equals_the_engine_render(qtbot, make_window, model, face_png, precision):
    window = make_window()
    window.set_precision(precision)
    # Tiles prefetched while idle come from other MLP batches: in fast mode bf16 sums in another
    # order (< 0.05 levels, now and then a 1-level flip in 8 bits). This test compares pixel for pixel.
    window.controller.liif.prefetch = False
    open_and_settle(qtbot, window, face_png)
    engine = RenderEngine(model, "cpu", background=BACKGROUND)
    engine.set_image(window.controller.doc.rgb)
    pane = window.area.panes["liif"]
    for change in (lambda: None, lambda: wheel(pane, 40, 60, notches=4), lambda: drag(pane, (80, 80), (37, 101))):
        change()
        wait_settled(qtbot, window)
        shown = window.store.newest("liif")
        assert shown.final and shown.viewport == window.state.viewport
        expected = to_display_uint8(engine.render_liif_sync(shown.viewport, precision))
        np.testing.assert_array_equal(shown.u8, expected)
        # and it is what the pane paints, pixel for pixel (below its label, around the navigator above ×4)
        grab = pane.grab().toImage().convertToFormat(pane.grab().toImage().Format.Format_RGB888)
        painted = np.frombuffer(grab.constBits(), np.uint8).reshape(grab.height(), grab.bytesPerLine())
        painted = painted[:, : grab.width() * 3].reshape(grab.height(), grab.width(), 3)
        mask = np.zeros(expected.shape[:2], bool)
        mask[60:, :] = True
        navigator = window.inspect.navigators[pane]
        if navigator.isVisible():
            box = navigator.geometry()
            mask[box.top():box.bottom() + 1, box.left():box.right() + 1] = False
        np.testing.assert_array_equal(painted[mask], expected[mask])


def test_a_burst_of_20_zoom_events_renders_once_at_full_resolution(qtbot, make_window, face_png):
    window = make_window()
    open_and_settle(qtbot, window, face_png)
    controller, worker = window.controller, window.controller.liif
    debounce = ManualTimer()  # the debounce's time is up only when this test says so, however busy the CPU
    controller.use_debounce_timer(debounce)
    finals_before, started_before = len(worker.final_ids), len(worker.started_ids)
    request_before = controller.liif_request
    pane = window.area.panes["liif"]
    for i in range(20):
        wheel(pane, 50 + i, 80, notches=0.5)
    assert debounce.starts == 20 and debounce.isActive()  # each event restarted the debounce
    assert controller.liif_request is request_before and not controller.is_settled()  # nothing asked of LIIF yet
    debounce.fire()
    wait_settled(qtbot, window)
    new_finals = worker.final_ids[finals_before:]
    assert new_finals == [controller.liif_request.request_id]
    assert len(worker.started_ids) - started_before == 1  # earlier views were never rendered
    assert window.store.newest("liif").viewport == window.state.viewport


def test_the_liif_pane_renders_off_the_gui_thread_while_the_event_loop_runs(qtbot, make_window, tmp_path):
    """Encoding and the full render of a new image run on the LIIF worker, and the GUI thread's event loop
    runs between every two of their steps (each step waits for three ticks of a GUI-thread timer; were the
    render on the GUI thread, no tick could come). How long the loop waits at most is a measurement:
    ``scripts/viewer_timing.py``, not asserted here."""
    window = make_window(900, 480)
    window.set_layout("liif")
    # (``is True``: a callback returning None counts as met for waitUntil, and None means "still loading")
    qtbot.waitUntil(lambda: window.controller.liif_available is True, timeout=60_000)
    worker = window.controller.liif
    engine = worker.engine  # idle: no image yet
    ticks = [0]
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    steps_seen: list[tuple[object, str, bool]] = []  # (thread, kind, the event loop ticked meanwhile)
    render_liif = engine.render_liif

    def event_loop_ticks(count: int = 3, limit_s: float = 60.0) -> bool:
        if steps_seen and not all(ok for *_, ok in steps_seen):
            return False  # failed once already: do not wait again
        first, give_up = ticks[0], time.monotonic() + limit_s  # (a bound for the failure, not a speed)
        while ticks[0] < first + count and time.monotonic() < give_up:
            time.sleep(0.002)
        return ticks[0] >= first + count

    def watched_render(*args, **kwargs):
        steps = render_liif(*args, **kwargs)
        try:
            for step in steps:
                steps_seen.append((QThread.currentThread(), step.kind, event_loop_ticks()))
                yield step
        finally:
            steps.close()

    engine.render_liif = watched_render
    photo = write_crop(tmp_path / "eye.png", 150, 60, 200, 160)  # a new image: encoding and the full render
    window.set_initial_view(3.0, (100.0, 80.0))
    timer.start()
    try:
        open_and_settle(qtbot, window, photo, timeout_ms=120_000)
    finally:
        timer.stop()
    vp = window.state.viewport
    assert vp.width * vp.height > 300_000  # a real render happened meanwhile
    kinds = [kind for _, kind, _ in steps_seen]
    assert kinds[-1] == "final" and len(kinds) >= 2, kinds
    assert all(thread is worker for thread, _, _ in steps_seen)  # not the GUI thread
    assert all(ticked for *_, ticked in steps_seen), steps_seen


class _SlowModel:
    """Stands in for the model until ``release`` is set: ``.to()`` waits, then hands over the real one."""

    def __init__(self, model, release) -> None:
        self.model, self.release = model, release

    def to(self, device):
        self.release.wait(600)  # the test sets it in any case (finally)
        return self.model.to(device)


@pytest.mark.parametrize("zoom", [3.0, 0.5])
def test_the_liif_pane_shows_a_stand_in_while_the_model_loads(qtbot, make_window, model, face_png, zoom):
    import threading

    from liif_viewer.render.resample import render_classic

    release = threading.Event()
    window = make_window(500, 300, model=_SlowModel(model, release))
    try:
        window.set_layout("liif")
        window.set_initial_view(zoom, (48.0, 36.0))
        with qtbot.waitSignal(window.image_opened, timeout=60_000):
            window.open_path(face_png)

        def standin_shown() -> bool:  # (one for an earlier view may come first: shown until this one)
            layers = window.store.layers("liif")
            return bool(layers) and layers[0].image.viewport == window.state.viewport

        qtbot.waitUntil(standin_shown, timeout=60_000)
        shown, vp = window.store.layers("liif")[0].image, window.state.viewport
        assert window.controller.liif_available is None and not shown.final and shown.viewport == vp
        u8 = np.asarray(window.controller.doc.u8)
        expected = to_display_uint8(render_classic(u8, vp, "bilinear" if zoom >= 1 else "area", BACKGROUND))
        np.testing.assert_array_equal(shown.u8, expected)
        qtbot.waitUntil(lambda: window.store.liif_note == "loading the model…", timeout=60_000)  # its phase now
        assert not window.controller.is_settled()
    finally:
        release.set()  # never leave the worker blocked, even when an assertion failed
    wait_settled(qtbot, window)
    assert window.store.newest("liif").final  # LIIF replaced the stand-in


def test_transparent_parts_show_a_checkerboard_in_every_pane(qtbot, make_window, tmp_path):
    """An RGBA photo: opaque on the left, transparent on the right; every pane shows the same."""
    from liif_viewer.render.alpha import CHECKER_PX

    crop = np.asarray(Image.open(SAMPLE).convert("RGB").crop((180, 90, 276, 162)))  # 96 x 72
    alpha = np.zeros((72, 96), np.uint8)
    alpha[:, :48] = 255
    path = tmp_path / "half.png"
    Image.fromarray(np.dstack([crop, alpha]), "RGBA").save(path)
    window = make_window(900, 300)
    window.set_initial_view(3.0, (48.0, 36.0))
    open_and_settle(qtbot, window, path)
    vp = window.state.viewport
    light, dark = round(0.80 * 255), round(0.62 * 255)
    for source in ("pixels", "bilinear", "liif"):
        shown = window.store.newest(source)
        assert shown.final and shown.viewport == vp, source
        u8 = shown.u8.astype(int)
        # image x 60..90 (screen = (x - left) * 3) is fully transparent: the checkerboard alone
        left, top = vp.center_x - vp.width / (2 * vp.sx), vp.center_y - vp.height / (2 * vp.sy)
        y0, y1 = int((2 - top) * vp.sy), int((70 - top) * vp.sy)
        x0, x1 = int((60 - left) * vp.sx), int((90 - left) * vp.sx)
        rows, cols = np.mgrid[y0:y1, x0:x1]
        board = np.where((rows // CHECKER_PX + cols // CHECKER_PX) % 2 == 0, light, dark)
        np.testing.assert_array_equal(u8[y0:y1, x0:x1], np.repeat(board[:, :, None], 3, axis=2), err_msg=source)
        # image x 10..40 is opaque: the image itself, no checkerboard
        x0, x1 = int((10 - left) * vp.sx), int((40 - left) * vp.sx)
        opaque = u8[y0:y1, x0:x1]
        assert np.abs(opaque - board.mean()).mean() > 20 and opaque.std() > 10, source
    for image_x, expected in ((20.5, 255), (75.5, 0)):  # the readout gives the image's opacity too
        (_, values) = window.controller.readout(((image_x - left) * vp.sx, (36.5 - top) * vp.sy))
        assert values["alpha"] == (expected,)
        window.status.set_cursor((image_x, 36.5), values)
        assert f"alpha {expected}" in window.status.cursor.text()


def test_a_one_pixel_image_shows_its_colour_in_the_liif_pane(qtbot, make_window, tmp_path):
    path = tmp_path / "dot.png"
    Image.fromarray(np.array([[[200, 30, 30]]], np.uint8)).save(path)
    window = make_window(600, 300)
    open_and_settle(qtbot, window, path)
    vp = window.state.viewport
    assert vp.scale > 50  # fit: one pixel fills the pane's height
    shown = window.store.newest("liif")
    assert shown.final and shown.viewport == vp
    middle = shown.u8[vp.height // 4:3 * vp.height // 4, vp.width // 2 - 20:vp.width // 2 + 20]
    assert (middle.reshape(-1, 3) == (200, 30, 30)).all()  # not LIIF's mottled (184, 60, 51)
    assert "LIIF needs 2×2 px" in window.store.liif_note  # and the pane says why it is not LIIF's
