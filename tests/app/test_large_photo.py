"""A 12 MP photo opens at fit with the right colours in the LIIF pane, encoding nothing on the way."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from liif_viewer.app.messages import BACKGROUND
from liif_viewer.files.image_io import to_uint8
from liif_viewer.render.resample import render_classic, to_display_uint8
from tests.app.conftest import wait_settled
from tests.conftest import saturated_rgb


@pytest.fixture(scope="module")
def big_saturated_png(tmp_path_factory):
    """4000 x 3000 px: the saturated test pattern, enlarged (blocks of 96 px, stripes of 12)."""
    path = tmp_path_factory.mktemp("big") / "saturated-12mp.png"
    small = Image.fromarray(to_uint8(saturated_rgb(1000, 750)))
    small.resize((4000, 3000), Image.Resampling.NEAREST).save(path, compress_level=1)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["three", "liif"])
def test_a_12_mp_photo_at_fit_shows_the_area_averaged_input_in_the_liif_pane(qtbot, make_window, big_saturated_png,
                                                                             layout):
    window = make_window(900, 500)
    window.set_layout(layout)
    with qtbot.waitSignal(window.image_opened, timeout=300_000):  # reading 12 MP: a hang bound
        window.open_path(big_saturated_png)
    wait_settled(qtbot, window, 300_000)
    vp = window.state.viewport
    assert window.state.fitting and vp.scale < 0.2
    shown = window.store.newest("liif")
    assert shown.final and shown.viewport == vp
    expected = to_display_uint8(render_classic(np.asarray(window.controller.doc.u8), vp, "area", BACKGROUND))
    levels = np.abs(shown.u8.astype(np.int16) - expected)
    assert levels.mean() <= 2.0 and levels.max() <= 1  # the bound is a mean of 2 levels
    engine = window.controller.liif.engine
    assert engine.feature_store() is None  # nothing encoded: the whole photo would take minutes


@pytest.mark.parametrize("zoom", [0.5, 0.26])
def test_colours_below_one_to_one_follow_the_picture(qtbot, make_window, tmp_path, zoom):
    """The readout of the LIIF pane on a saturated photo below 1:1 is the picture's average there."""
    path = tmp_path / "saturated.png"
    Image.fromarray(to_uint8(saturated_rgb(480, 360))).save(path)
    window = make_window(700, 400)
    window.set_initial_view(zoom, (240.0, 180.0))
    with qtbot.waitSignal(window.image_opened, timeout=120_000):
        window.open_path(path)
    wait_settled(qtbot, window)
    vp = window.state.viewport
    area = to_display_uint8(render_classic(np.asarray(window.controller.doc.u8), vp, "area", BACKGROUND))
    for dx, dy in ((0, 0), (-20, 10), (30, -25), (-55, -40)):
        x, y = vp.width // 2 + dx, vp.height // 2 + dy
        _, values = window.controller.readout((x + 0.5, y + 0.5))
        assert values["liif"] == tuple(int(v) for v in area[y, x]), (x, y, values)
