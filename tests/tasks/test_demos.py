"""The paper's demos, headless: sweep frames equal the engine's output; the flight keeps its target fixed."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from liif_viewer.files.image_io import to_uint8
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.viewport import Viewport
from liif_viewer.tasks.demos import (
    SweepSpec,
    ease,
    flight_frames,
    flight_viewports,
    sweep_frames,
    sweep_input,
    sweep_resolutions,
)


@pytest.fixture
def small_engine(model, sample_rgb):
    engine = RenderEngine(model)
    engine.set_image(sweep_input(sample_rgb, 16, crop=(180, 100, 128)))
    return engine


def test_sweep_frames_sizes_labels_and_content(small_engine):
    spec = SweepSpec(start=16, stop=64, frames=4, display=96, with_bilinear=True, precision="exact")
    assert sweep_resolutions(spec) == [16, 32, 48, 64]
    frames = list(sweep_frames(small_engine, spec))
    assert [res for res, _ in frames] == [16, 32, 48, 64]
    for res, frame in frames:
        assert frame.shape == (96, 192, 3)
        liif = to_uint8(small_engine.render_liif_sync(Viewport.from_region(0, 0, 16, 16, res, res), "exact"))
        shown = np.asarray(Image.fromarray(liif).resize((96, 96), Image.Resampling.NEAREST))
        # Below the label band, frame k is the engine's LIIF output at resolution k, nearest up-sampled.
        np.testing.assert_array_equal(frame[40:, :96], shown[40:])
        assert frame[:8, :40].mean() < frame[40:, :96].mean()  # the dark label band is drawn


def test_ease_starts_and_ends_gently_and_clamps():
    ts = np.linspace(0, 1, 101)
    values = [ease(t) for t in ts]
    assert values[0] == 0.0 and values[-1] == 1.0 and values[50] == pytest.approx(0.5)
    assert values == sorted(values)
    assert ease(0.01) < 0.01 and ease(0.99) > 0.99  # slow at both ends
    assert [ease(1 - t) for t in ts] == pytest.approx([1 - v for v in values])  # symmetric
    assert ease(-0.5) == 0.0 and ease(1.5) == 1.0  # a late frame lands, not overshoots


def test_flight_keeps_target_fixed_and_reaches_zoom():
    target = (236.0, 135.0)
    vps = flight_viewports((512, 512), (200, 150), target, 30.0, 12)
    anchor = vps[0].image_to_screen(*target)
    assert vps[0].scale == pytest.approx(150 / 512) and vps[-1].scale == pytest.approx(30.0)
    scales = [vp.scale for vp in vps]
    assert scales == sorted(scales)
    for vp in vps:
        sx, sy = vp.image_to_screen(*target)
        assert abs(sx - anchor[0]) <= 0.5 and abs(sy - anchor[1]) <= 0.5


def test_flight_frames_show_three_panes(model, sample_rgb):
    engine = RenderEngine(model)
    engine.set_image(sample_rgb[100:164, 200:264])
    vps = flight_viewports((64, 64), (48, 40), (30.0, 30.0), 8.0, 3)
    frames = list(flight_frames(engine, vps, "exact"))
    assert len(frames) == 3 and frames[0].shape == (40, 144, 3)
    np.testing.assert_array_equal(frames[-1][20:, 96:], to_uint8(engine.render_liif_sync(vps[-1], "exact"))[20:])
