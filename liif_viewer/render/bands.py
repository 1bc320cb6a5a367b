"""Sample lines and cubic interpolation along one axis of a tile, within LIIF's smooth bands.

LIIF's output has a kink wherever a query crosses a code centre (the local ensemble
switches codes there) and is smooth in between. Along one axis a tile's rows (or
columns) therefore fall into *bands*: runs of pixels between two kinks. Each band
gets its own sample lines, its two end pixels included and the rest at most
``spacing`` apart, and pixels are interpolated from the samples of their own band
only (cubic through the 4 nearest samples, fewer when the band has fewer), so no
interpolation crosses a kink and nothing is extrapolated.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

__all__ = ["band_samples", "band_spacing", "cubic_matrix", "kink_breaks", "segments", "separable", "SINGULAR_PX"]

#: Pixels closer than this (image px) to the last code centre of an axis get a band of their own.
SINGULAR_PX = 1e-3


def kink_breaks(centres: np.ndarray, size: int) -> np.ndarray:
    """Band breaks (p: between p and p + 1) along an axis of pixel ``centres`` (image px, ascending).

    A break wherever a query crosses a code centre (image coordinate k + 0.5): the local
    ensemble switches codes there. And on both sides of a pixel on the *last* code centre
    (``size - 0.5``): there both ensemble members of the axis are the last code, their
    offsets are 0 and every area weight is LIIF's 1e-9 nudge, so the weights are a ratio
    of rounding noise and the output jumps by up to ~20 levels on that one line (odd
    integer zooms put pixels exactly there). Such a line is sampled on its own and no
    interpolation crosses it.
    """
    breaks = np.flatnonzero(np.diff(np.floor(centres - 0.5)))
    on_last = np.flatnonzero(np.abs(centres - (size - 0.5)) < SINGULAR_PX)
    return np.union1d(breaks, np.concatenate([on_last - 1, on_last]))


def band_samples(lo: int, hi: int, breaks: np.ndarray | None, spacing: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample positions in [lo, hi) and the band of each: (positions, band ids), both ascending.

    ``breaks`` are positions p with a kink between p and p + 1.
    """
    cuts = np.asarray([] if breaks is None else breaks, np.int64)
    cuts = cuts[(cuts >= lo) & (cuts < hi - 1)]
    starts = np.concatenate([[lo], cuts + 1])
    ends = np.concatenate([cuts, [hi - 1]])
    positions, bands = [], []
    for band, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        pieces = max(1, math.ceil((end - start) / spacing))
        here = np.unique(np.round(np.linspace(start, end, pieces + 1)).astype(np.int64))
        positions.append(here)
        bands.append(np.full(len(here), band, np.int64))
    return np.concatenate(positions), np.concatenate(bands)


def _cubic_matrix(lo: int, hi: int, samples: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """(hi - lo, len(samples)) float32 weights: each pixel from the 4 nearest samples of its band.

    Lagrange cubic through samples j-1..j+2 around the pixel's interval j (shifted to stay in
    the band; quadratic or linear where the band has 3 or 2 samples). Exact at the samples.
    """
    pixels = np.arange(lo, hi)
    out = np.zeros((len(pixels), len(samples)), np.float64)
    band_of = np.searchsorted(samples, pixels, side="right") - 1  # sample at or left of each pixel
    band_of = bands[np.clip(band_of, 0, len(samples) - 1)]
    first = np.searchsorted(bands, band_of, side="left")  # index of the band's first sample
    count = np.searchsorted(bands, band_of, side="right") - first
    seg = np.clip(np.searchsorted(samples, pixels, side="right") - 1 - first, 0, np.maximum(count - 2, 0))
    order = np.minimum(count, 4)  # points in the stencil
    start = first + np.clip(seg - (order // 2 - 1), 0, count - order)
    x = pixels.astype(np.float64)
    for k in range(4):
        use = k < order
        node = np.where(use, start + k, 0)
        weight = np.where(use, 1.0, 0.0)
        for m in range(4):
            other = np.where(use & (m < order) & (m != k), start + m, -1)
            ok = other >= 0
            xo, xk = samples[np.where(ok, other, 0)], samples[node]
            weight = np.where(ok, weight * (x - xo) / np.where(ok, xk - xo, 1), weight)
        rows = np.flatnonzero(use)
        np.add.at(out, (rows, node[rows]), weight[rows])
    return out.astype(np.float32)


@functools.lru_cache(maxsize=64)
def _cubic_matrix_cached(lo: int, hi: int, samples: bytes, bands: bytes) -> np.ndarray:
    return _cubic_matrix(lo, hi, np.frombuffer(samples, np.int64), np.frombuffer(bands, np.int64))


def cubic_matrix(lo: int, hi: int, samples: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """:func:`_cubic_matrix`, kept for the last 64 sample sets (shared: do not modify it): the tiles of one
    row of a view share their rows' samples, those of one column their columns'."""
    return _cubic_matrix_cached(lo, hi, np.ascontiguousarray(samples, np.int64).tobytes(),
                                np.ascontiguousarray(bands, np.int64).tobytes())


#: The largest gap between band samples. 16 px at x64 let a ridge 10 px wide pass between samples
#: and checks (2.3 levels off, docs/performance.md); 12 px costs x64 views ~1.5% more evaluations.
MAX_SPACING = 12


def band_spacing(scale: float) -> int:
    """Largest gap between band samples: about 4 intervals per latent cell (4 to MAX_SPACING px)."""
    return int(min(MAX_SPACING, max(4, round(scale / 4))))


def segments(samples: np.ndarray, bands: np.ndarray) -> np.ndarray:
    """(a, b) pairs of neighbouring samples of one band, (a, a) for a lone sample; sorted by a."""
    same = bands[1:] == bands[:-1]
    pairs = np.stack([samples[:-1][same], samples[1:][same]], axis=1)
    lone = samples[np.bincount(bands)[bands] == 1]
    out = np.concatenate([pairs, np.stack([lone, lone], axis=1)]).reshape(-1, 2)
    return out[np.argsort(out[:, 0], kind="stable")]


def separable(along_y: np.ndarray, grid: np.ndarray, along_x: np.ndarray) -> np.ndarray:
    """``along_y @ grid @ along_x.T`` for each channel of ``grid`` (R, C, 3) → (h, w, 3).

    In torch, not numpy: NumPy's BLAS threads keep spinning after a call and slowed the MLP
    queries that followed on the same cores by about 2x.
    """
    g = torch.from_numpy(np.ascontiguousarray(grid.transpose(2, 0, 1)))  # (3, R, C)
    out = torch.from_numpy(along_y) @ g @ torch.from_numpy(along_x).t()  # (3, h, w)
    return out.permute(1, 2, 0).contiguous().numpy()
