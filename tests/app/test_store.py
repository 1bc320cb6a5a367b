"""RenderStore: the layers each pane paints (bottom first) and the newest render of each source."""

from __future__ import annotations

import numpy as np

from liif_viewer.app.messages import PaneImage
from liif_viewer.app.store import RenderStore
from liif_viewer.render.viewport import Viewport


def render(source: str, vp: Viewport, final: bool = True, level: int = 0) -> PaneImage:
    return PaneImage(source, 0, vp, np.full((vp.height, vp.width, 3), level, np.uint8), final)


def test_a_liif_partial_lies_under_the_last_final_of_its_zoom_and_is_the_newest(qtbot):
    store = RenderStore()
    here, moved = Viewport(40, 30, 2.0, 80, 60), Viewport(45, 30, 2.0, 80, 60)
    final = render("liif", here, level=200)
    store.set_image(final)
    assert store.newest("liif") is final and store.is_current("liif", here)
    partial = render("liif", moved, final=False, level=50)
    with qtbot.waitSignal(store.changed, check_params_cb=lambda source: source == "liif"):
        store.set_image(partial)
    assert [layer.image for layer in store.layers("liif")] == [partial, final]  # bottom first
    assert store.newest("liif") is partial and not store.is_current("liif", moved)
    assert store.sample("liif", moved, (1, 1)) == (200, 200, 200)  # where both cover it, the final shows
    zoomed = render("liif", Viewport(40, 30, 3.0, 80, 60), final=False)
    store.set_image(zoomed)  # another zoom: the old final's pixels are not on its lattice
    assert [layer.image for layer in store.layers("liif")] == [zoomed] and store.newest("liif") is zoomed


def test_classic_sources_keep_their_newest_render_only(qtbot):
    store = RenderStore()
    assert store.newest("bilinear") is None
    first, second = render("bilinear", Viewport(40, 30, 2.0, 80, 60)), render("bilinear", Viewport(41, 30, 2.0, 80, 60))
    store.set_image(first)
    store.set_image(second)
    assert store.newest("bilinear") is second and [layer.image for layer in store.layers("bilinear")] == [second]
    store.clear()
    assert store.newest("bilinear") is None and store.layers("liif") == []
