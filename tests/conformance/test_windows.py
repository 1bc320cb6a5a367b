"""Views and region exports are windows into one virtual full-resolution grid (no oracle needed).

At a given scale the viewer, a region export and a whole-image export compute every lattice
pixel with the same coordinate arithmetic, so they show the same pixels byte for byte; the
whole-image render at an output size is the official grid (tests/conformance/test_official.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from liif_viewer.files.image_io import to_uint8
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.viewport import Viewport
from liif_viewer.tasks.export import ExportJob, ExportRequest

SCALE = 5  # odd: pixel centres fall on the last code row and column


@pytest.fixture(scope="module")
def crop(sample_rgb) -> np.ndarray:
    return np.ascontiguousarray(sample_rgb[-14:, -20:])  # 20 x 14 at the photo's bottom-right corner


@pytest.fixture(scope="module")
def whole(model, crop) -> np.ndarray:
    """The whole crop exported at x5 (100 x 70), 8-bit."""
    engine = RenderEngine(model)
    engine.set_image(crop)
    job = ExportJob(engine, ExportRequest((0, 0, 20, 14), (100, 70)))
    for _ in job.run():
        pass
    return job.rgb8


@pytest.mark.parametrize("centre,size", [
    ((10.0, 7.0), (100, 70)),  # the whole image, as the export frames it
    ((19.3, 13.1), (61, 37)),  # bottom-right corner, most of the view outside
    ((0.9, 6.2), (43, 29)),  # left edge
    ((12.45, 3.77), (24, 16)),  # inside, off the export's tile grid
])
def test_viewer_at_x5_shows_the_export_pixels(model, crop, whole, centre, size):
    engine = RenderEngine(model, screen_tile=64)
    engine.set_image(crop)
    vp = Viewport(centre[0], centre[1], float(SCALE), *size)
    view = engine.render_liif_sync(vp, "exact")
    ox, oy = vp.origin_lattice
    # lattice pixel (row, col) of the view is pixel (oy + row, ox + col) of the x5 export
    rows, cols = np.arange(oy, oy + vp.height), np.arange(ox, ox + vp.width)
    inside_r, inside_c = (rows >= 0) & (rows < 70), (cols >= 0) & (cols < 100)
    assert inside_r.any() and inside_c.any()
    got = to_uint8(view[np.ix_(inside_r, inside_c)])
    np.testing.assert_array_equal(got, whole[np.ix_(rows[inside_r], cols[inside_c])])


@pytest.mark.parametrize("region,size,rows,cols", [
    ((4, 2, 10, 8), (50, 40), (10, 50), (20, 70)),  # a region on whole pixels, at x5
    ((15.2, 9.4, 4.8, 4.6), (24, 23), (47, 70), (76, 100)),  # to the bottom-right corner, on x5 lattice steps
])
def test_region_export_is_a_window_of_the_whole_export(model, crop, whole, region, size, rows, cols):
    engine = RenderEngine(model, screen_tile=37)
    engine.set_image(crop)
    job = ExportJob(engine, ExportRequest(region, size))
    for _ in job.run():
        pass
    np.testing.assert_array_equal(job.rgb8, whole[rows[0]:rows[1], cols[0]:cols[1]])
