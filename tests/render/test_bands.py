"""Band samples and in-band cubic interpolation (the first pass of fast mode's LOD)."""

from __future__ import annotations

import numpy as np

from liif_viewer.render.bands import band_samples, band_spacing, cubic_matrix, kink_breaks, segments
from liif_viewer.render.lod import TileSampler


def test_bands_end_at_every_kink_and_respect_the_spacing():
    samples, bands = band_samples(0, 100, np.array([29, 59, 99, 150]), 8)
    for kink in (29, 59):  # both sides of each kink are samples, in different bands
        i = np.searchsorted(samples, kink)
        assert samples[i] == kink and samples[i + 1] == kink + 1 and bands[i] != bands[i + 1]
    assert samples[0] == 0 and samples[-1] == 99
    same = bands[1:] == bands[:-1]
    assert np.diff(samples)[same].max() <= 8
    assert np.all(np.diff(samples) > 0)


def test_cubic_is_exact_for_cubics_within_a_band_and_never_crosses_a_kink():
    samples, bands = band_samples(0, 90, np.array([29, 59]), 8)
    m = cubic_matrix(0, 90, samples, bands)
    np.testing.assert_allclose(m.sum(axis=1), 1, atol=1e-6)
    x = np.arange(90.0)
    band_of = np.searchsorted([29.5, 59.5], x)
    # a different cubic in each band, with jumps between them: reproduced to float precision
    f = np.choose(band_of, [1e-4 * (x - 10) ** 3, 0.3 - 0.02 * x + 1e-3 * x**2, np.sin(0) + 0.5 - 1e-5 * (x - 70) ** 3])
    np.testing.assert_allclose(m @ f[samples], f, atol=1e-4)
    for p in range(90):  # weights only on samples of the pixel's own band
        used = samples[np.abs(m[p]) > 0]
        assert np.all(np.searchsorted([29.5, 59.5], used) == band_of[p])


def test_a_pixel_on_the_last_code_centre_is_a_band_of_its_own():
    """x5 over a 10-code axis: pixel 47's centre is the last code centre (9.5), where LIIF jumps."""
    centres = (np.arange(40, 50) + 0.5) / 5.0  # pixels 40..49 (local 0..9), the last ones inside the image
    breaks = kink_breaks(centres, 10)
    assert breaks.tolist() == [1, 6, 7]  # code centres 8.5 (local 2) and 9.5 (local 7), and after 7
    samples, bands = band_samples(0, 10, breaks, 4)
    lone = np.flatnonzero(samples == 7)[0]
    assert np.sum(bands == bands[lone]) == 1  # local 7 alone in its band
    assert {6, 8} <= set(samples.tolist())  # its neighbours end and start the bands beside it
    # an interior code centre is a kink, not a jump: one break before it, none after
    assert 2 not in breaks.tolist()
    # far from the last code centre nothing changes
    assert kink_breaks(centres - 3, 10).tolist() == np.flatnonzero(np.diff(np.floor(centres - 3.5))).tolist()


def test_segments_pair_neighbours_within_bands_and_keep_lone_samples():
    samples, bands = band_samples(0, 12, np.array([0, 5]), 3)
    seg = segments(samples, bands)
    assert [0, 0] in seg.tolist()  # a band of one row
    assert all(bands[np.searchsorted(samples, a)] == bands[np.searchsorted(samples, b)] for a, b in seg)
    assert np.all(np.diff(seg[:, 0]) >= 0)


def test_spacing_grows_with_zoom():
    assert band_spacing(5) == 4 and band_spacing(30) == 8 and band_spacing(48) == 12 and band_spacing(200) == 12


def test_cells_with_a_sharp_edge_are_refined_and_smooth_ones_are_not():
    h, w = 96, 120
    kinks = np.arange(29, 120, 30)

    def truth(r, c):
        smooth = 0.4 + 0.2 * np.sin(r / 23.0) * np.cos(c / 31.0)
        return smooth + 0.3 * (c > 70.5 + r / 7)  # one sharp, slanted edge

    def evaluate(rows, cols):
        return np.repeat(truth(rows.astype(float), cols.astype(float))[:, None], 3, axis=1).astype(np.float32)

    s = TileSampler(h, w, evaluate)
    preview = s.bands(8, None, kinks[kinks < h - 1], kinks)
    out = s.refine_cells(0.5 / 255)
    rr, cc = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    expected = truth(rr.astype(float), cc.astype(float))
    assert np.abs(out[..., 0] - expected).max() * 255 <= 1.0
    assert np.abs(preview[..., 0] - expected).max() > 0.1  # the first pass alone blurs the edge
    edge = np.abs(cc - (70.5 + rr / 7)) < 2
    assert s.known[edge].mean() > 0.9  # pixels at the edge are evaluated
    assert s.known[~edge].mean() < 0.25  # the smooth rest mostly interpolated
