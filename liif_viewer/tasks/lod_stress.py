"""Stress study of fast mode's error bound: many views of many photos, fast against exact.

Views are drawn at random (seeded) over photos, zooms, centres and sizes, a share of
them cut by the image border. Each view is rendered once in exact mode and in fast
mode with the screen's and the export's level-of-detail settings (``lod.SCREEN`` and
``lod.EXPORT``); the errors are the float images' (what the screen shows) and the 8-bit
files' (what an export writes). ``scripts/lod_stress.py`` runs the full study; the bench
and the tests run fixed, seeded subsets of it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..files.image_io import load_image, to_uint8
from ..render.engine import RenderEngine
from ..render.inspection import psnr
from ..render.lod import EXPORT, SCREEN, LodSettings
from ..render.viewport import Viewport

__all__ = ["StressView", "ViewError", "ZOOMS", "ODD_ZOOMS", "MODES", "BOUND", "benchmark_photos", "shared_benchmarks",
           "centre_crops", "make_views", "measure_view", "pixels_over", "run_views", "summarise", "headline",
           "bench_subset"]

#: Zooms of the study (screen px per image px).
ZOOMS = (4.5, 6.0, 8.0, 12.0, 16.0, 20.0, 24.0, 30.0, 48.0, 64.0)
#: Odd integer zooms put pixel centres exactly on code centres, the last one included (see bands.kink_breaks).
ODD_ZOOMS = (5.0, 15.0, 31.0)
#: Fast mode's two settings: the screen's and the export's.
MODES = {"screen": SCREEN, "export": EXPORT}
#: The promise: screen float max levels, export 8-bit max levels, min PSNR (dB).
BOUND = {"screen_levels": 2.0, "export_u8_levels": 1, "psnr_db": 60.0}


@dataclass(frozen=True)
class StressView:
    """One view of the study: a photo (key into the photo table) at ``zoom``, centre and size."""

    photo: str
    zoom: float
    center_x: float
    center_y: float
    width: int
    height: int
    border: bool  # cut by the image border

    def viewport(self) -> Viewport:
        """The view as a viewport."""
        return Viewport(self.center_x, self.center_y, self.zoom, self.width, self.height)


@dataclass(frozen=True)
class ViewError:
    """Fast against exact on one view in one mode."""

    view: StressView
    mode: str  # a key of MODES
    max_levels: float  # float images, 8-bit levels
    psnr_db: float  # float images
    max_u8: int  # 8-bit images
    psnr_u8_db: float  # 8-bit images
    evaluated: float  # fraction of the view's pixels evaluated by LIIF
    worst_xy: tuple[int, int]  # screen (x, y) of the largest float error
    over_bound: float = 0.0  # fraction of the view's pixels over the mode's bound (see pixels_over)

    def as_dict(self) -> dict[str, object]:
        """Flat dict for JSON."""
        out = asdict(self)
        out.update(out.pop("view"))
        return out


def pixels_over(mode: str, fast: np.ndarray, exact: np.ndarray) -> float:
    """Fraction of pixels over ``mode``'s bound: float error > 2 levels (screen), 8-bit > 1 level (export)."""
    if mode == "export":
        diff = np.abs(to_uint8(fast).astype(np.int16) - to_uint8(exact)).max(axis=2)
        return float(np.mean(diff > BOUND["export_u8_levels"]))
    return float(np.mean(np.abs(fast - exact).max(axis=2) * 255 > BOUND["screen_levels"]))


def benchmark_photos(root: Path, sets: Iterable[str] = ("Set5", "Set14", "Urban100")) -> dict[str, Path]:
    """``{"Set14/baboon": path, ...}`` of the benchmark photos under ``root`` (high-resolution ones only)."""
    out = {}
    for name in sets:
        for path in sorted((root / name).glob("*.png")):
            out[f"{name}/{path.stem}"] = path
    return out


def shared_benchmarks() -> Path | None:
    """The benchmark photos (``../shared/benchmarks``, or under $LIIF_VIEWER_SHARED_DIR), or None."""
    root = Path(os.environ.get("LIIF_VIEWER_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
    return root / "benchmarks" if (root / "benchmarks").is_dir() else None


def centre_crops(photos: Mapping[str, Path], side: int) -> dict[str, np.ndarray]:
    """``side`` x ``side`` centre crops (RGB in [0, 1]) of the photos: small images encode in a second."""
    out = {}
    for key, path in photos.items():
        rgb = load_image(path).rgb
        y0, x0 = max(0, (rgb.shape[0] - side) // 2), max(0, (rgb.shape[1] - side) // 2)
        out[key] = np.ascontiguousarray(rgb[y0:y0 + side, x0:x0 + side])
    return out


def make_views(sizes: dict[str, tuple[int, int]], zooms: Iterable[float] = ZOOMS, per_zoom: int = 2,
               seed: int = 14, min_side: int = 64, max_side: int = 320,
               border_share: float = 0.3) -> list[StressView]:
    """``per_zoom`` views of every photo (``sizes``: key → (width, height)) at every zoom.

    Sizes are uniform in [min_side, max_side] per axis. A ``border_share`` of the views is placed
    across an edge or corner of the image (random which, random how far), the rest lies inside
    the image wherever it fits.
    """
    rng = np.random.default_rng(seed)
    views = []
    for photo in sorted(sizes):
        img_w, img_h = sizes[photo]
        for zoom in zooms:
            for _ in range(per_zoom):
                w, h = (int(v) for v in rng.integers(min_side, max_side + 1, 2))
                half_x, half_y = w / zoom / 2, h / zoom / 2
                border = bool(rng.random() < border_share)
                cx, cy = _inside_centre(rng, img_w, half_x), _inside_centre(rng, img_h, half_y)
                if border:
                    edge = int(rng.integers(0, 8))  # 4 edges, 4 corners
                    if edge in (0, 4, 5):
                        cx = rng.uniform(-0.8, 0.8) * half_x
                    if edge in (1, 6, 7):
                        cx = img_w + rng.uniform(-0.8, 0.8) * half_x
                    if edge in (2, 4, 6):
                        cy = rng.uniform(-0.8, 0.8) * half_y
                    if edge in (3, 5, 7):
                        cy = img_h + rng.uniform(-0.8, 0.8) * half_y
                views.append(StressView(photo, float(zoom), float(cx), float(cy), w, h, border))
    return views


def _inside_centre(rng: np.random.Generator, size: int, half: float) -> float:
    if 2 * half >= size:
        return size / 2 + rng.uniform(-0.25, 0.25) * (2 * half - size)
    return rng.uniform(half, size - half)


def measure_view(engine: RenderEngine, view: StressView, modes: Mapping[str, LodSettings] = MODES,
                 exact: np.ndarray | None = None) -> list[ViewError]:
    """Render ``view`` exactly (unless ``exact`` is given) and in fast mode with each check of ``modes``."""
    vp = view.viewport()
    engine.tiles.clear()
    if exact is None:
        exact = engine.render_liif_sync(vp, "exact")
    exact_u8 = to_uint8(exact)
    out = []
    saved = engine.lod
    try:
        for mode, settings in modes.items():
            engine.lod = settings
            engine.tiles.clear()
            steps = list(engine.render_liif(vp, "fast"))
            fast = steps[-1].image
            diff = np.abs(fast - exact).max(axis=2)
            y, x = np.unravel_index(int(np.argmax(diff)), diff.shape)
            fast_u8 = to_uint8(fast)
            out.append(ViewError(view, mode, float(diff.max() * 255), psnr(fast, exact),
                                 int(np.abs(fast_u8.astype(np.int16) - exact_u8).max()),
                                 psnr(fast_u8, exact_u8, 255.0), steps[-1].evaluated_fraction, (int(x), int(y)),
                                 pixels_over(mode, fast, exact)))
    finally:
        engine.lod = saved
        engine.tiles.clear()
    return out


def run_views(engine: RenderEngine, views: list[StressView], photos: Mapping[str, Path | np.ndarray],
              modes: Mapping[str, LodSettings] = MODES) -> Iterator[ViewError]:
    """:func:`measure_view` of every view, photo by photo (each photo is loaded and encoded once).

    ``photos`` maps the views' photo keys to image files or to RGB arrays (H, W, 3) in [0, 1].
    """
    current = None
    for view in sorted(views, key=lambda v: v.photo):
        if view.photo != current:
            photo = photos[view.photo]
            engine.set_image(photo if isinstance(photo, np.ndarray) else load_image(photo).rgb)
            current = view.photo
        yield from measure_view(engine, view, modes)


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, np.float64), q)) if values else math.nan


def summarise(errors: Iterable[ViewError], key: Callable[[ViewError], object] = lambda e: e.view.zoom
              ) -> dict[tuple[str, object], dict[str, float]]:
    """Per (mode, key) (by default the zoom): views, p50/p99/max of the max-level error, min PSNR, ..."""
    groups: dict[tuple[str, object], list[ViewError]] = {}
    for e in errors:
        groups.setdefault((e.mode, key(e)), []).append(e)
    out = {}
    def order(group: tuple[str, object]) -> tuple[str, float, str]:
        value = group[1]
        return group[0], float(value) if isinstance(value, int | float) else math.inf, str(value)

    for group, items in sorted(groups.items(), key=lambda kv: order(kv[0])):
        levels = [e.max_levels for e in items]
        out[group] = {
            "views": len(items),
            "p50": _percentile(levels, 50), "p99": _percentile(levels, 99), "max": max(levels),
            "min_psnr_db": min(e.psnr_db for e in items),
            "max_u8": max(e.max_u8 for e in items),
            "min_psnr_u8_db": min(e.psnr_u8_db for e in items),
            "evaluated": float(np.mean([e.evaluated for e in items])),
            "over_bound": float(np.mean([e.over_bound for e in items])),
        }
    return out


def headline(errors: Iterable[ViewError]) -> dict[str, float]:
    """The bench's keys: views, worst screen error (float levels), worst PSNR (screen), worst export (8-bit)."""
    errors = list(errors)
    screen = [e for e in errors if e.mode == "screen"]
    export = [e for e in errors if e.mode == "export"]
    return {
        "lod_stress_views": len(screen),
        "lod_stress_max_levels": max(e.max_levels for e in screen),
        "lod_stress_min_psnr_db": min(e.psnr_db for e in errors),
        "lod_stress_export_max_u8": max(e.max_u8 for e in export),
        "lod_stress_export_min_psnr_u8_db": min(e.psnr_u8_db for e in export),
        "lod_stress_evaluated": float(np.mean([e.evaluated for e in screen])),
    }


#: The bench's subset: photos that no tolerance was tuned on (Set5), cropped so that they encode fast,
#: and views BENCH_SIDES px a side (160 px took ~25 s of CPU for each photo's 13 views; this about half).
BENCH_SET, BENCH_CROP, BENCH_SEED, BENCH_SIDES = "Set5", 192, 2024, (48, 112)


def bench_subset(sample: Path) -> tuple[dict[str, np.ndarray], list[StressView], str]:
    """The bench's fixed, seeded subset of the study: (photos, views, what the photos are).

    Centre crops of Set5 when the benchmark photos are beside the checkout, else four crops of
    ``sample``; one view per photo and zoom (the study's zooms and the odd ones), BENCH_SIDES px a side,
    40% of them cut by the border.
    """
    root = shared_benchmarks()
    if root is not None and (root / BENCH_SET).is_dir():
        photos = centre_crops(benchmark_photos(root, [BENCH_SET]), BENCH_CROP)
        source = f"{BENCH_SET} ({BENCH_CROP}x{BENCH_CROP} centre crops)"
    else:
        rgb = load_image(sample).rgb
        h, w = rgb.shape[:2]
        corners = [(0, 0), (0, w - BENCH_CROP), (h - BENCH_CROP, 0), (h - BENCH_CROP, w - BENCH_CROP)]
        photos = {f"sample/{i}": np.ascontiguousarray(rgb[y:y + BENCH_CROP, x:x + BENCH_CROP])
                  for i, (y, x) in enumerate(corners)}
        source = f"bundled sample ({len(photos)} crops of {BENCH_CROP}x{BENCH_CROP})"
    sizes = {k: (v.shape[1], v.shape[0]) for k, v in photos.items()}
    views = make_views(sizes, ZOOMS + ODD_ZOOMS, 1, BENCH_SEED, *BENCH_SIDES, border_share=0.4)
    return photos, views, source
