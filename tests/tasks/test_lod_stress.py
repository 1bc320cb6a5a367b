"""The stress study's views and summaries (the renders themselves are checked in test_lod.py)."""

from __future__ import annotations

import math

import numpy as np

from liif_viewer.tasks import lod_stress as stress
from liif_viewer.tasks.bench import SAMPLE
from liif_viewer.tasks.lod_stress import StressView, ViewError


def test_views_are_seeded_cover_every_zoom_and_a_share_cut_by_the_border():
    sizes = {"a": (300, 200), "b": (120, 400)}
    views = stress.make_views(sizes, stress.ZOOMS, 3, seed=5, border_share=0.4)
    assert views == stress.make_views(sizes, stress.ZOOMS, 3, seed=5, border_share=0.4)
    assert views != stress.make_views(sizes, stress.ZOOMS, 3, seed=6, border_share=0.4)
    assert len(views) == 2 * len(stress.ZOOMS) * 3
    assert {v.zoom for v in views} == set(stress.ZOOMS)
    for v in views:
        w, h = sizes[v.photo]
        x, y, vw, vh = v.viewport().image_rect()
        cut = x < 0 or y < 0 or x + vw > w or y + vh > h
        assert 64 <= v.width <= 320 and 64 <= v.height <= 320
        if v.border:
            assert cut, v  # placed across an edge or a corner
        elif vw <= w and vh <= h:
            assert not cut, v  # inside wherever it fits
    assert 0.25 < np.mean([v.border for v in views]) < 0.55


def test_summaries_per_zoom_and_the_bench_keys():
    def error(zoom: float, mode: str, levels: float, u8: int) -> ViewError:
        view = StressView("a", zoom, 10.0, 10.0, 64, 64, False)
        return ViewError(view, mode, levels, 70 - levels, u8, 61 - u8, 0.1, (0, 0))

    errors = [error(8.0, "screen", 0.5, 1), error(8.0, "screen", 1.5, 2), error(30.0, "screen", 1.0, 1),
              error(8.0, "export", 0.4, 1), error(30.0, "export", 0.9, 1)]
    table = stress.summarise(errors)
    assert list(table) == [("export", 8.0), ("export", 30.0), ("screen", 8.0), ("screen", 30.0)]
    assert table[("screen", 8.0)]["max"] == 1.5 and table[("screen", 8.0)]["views"] == 2
    assert math.isclose(table[("screen", 8.0)]["p50"], 1.0)
    keys = stress.headline(errors)
    assert keys["lod_stress_views"] == 3 and keys["lod_stress_max_levels"] == 1.5
    assert keys["lod_stress_export_max_u8"] == 1 and keys["lod_stress_min_psnr_db"] == 68.5


def test_the_bench_subset_falls_back_to_the_sample(monkeypatch, tmp_path):
    monkeypatch.setenv("LIIF_VIEWER_SHARED_DIR", str(tmp_path))  # no benchmarks there
    photos, views, source = stress.bench_subset(SAMPLE)
    assert "sample" in source and len(photos) == 4
    assert all(p.shape == (stress.BENCH_CROP, stress.BENCH_CROP, 3) for p in photos.values())
    assert len(views) == 4 * len(stress.ZOOMS + stress.ODD_ZOOMS)
    assert views == stress.bench_subset(SAMPLE)[1]  # fixed


def test_pixels_over_the_bound_per_mode():
    exact = np.full((4, 5, 3), 100 / 255, np.float32)
    fast = exact.copy()
    fast[0, 0, 1] += 2.5 / 255  # over the screen's 2 levels, and 2 levels off in 8 bits
    fast[1, 1, 0] += 1.2 / 255  # within both bounds (1 level off in 8 bits)
    assert stress.pixels_over("screen", fast, exact) == 1 / 20
    assert stress.pixels_over("export", fast, exact) == 1 / 20
    assert stress.pixels_over("screen", exact, exact) == 0 == stress.pixels_over("export", exact, exact)
