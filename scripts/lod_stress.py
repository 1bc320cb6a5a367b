"""Stress study of fast mode's error bound (issue 14): fast against exact on hundreds of random views.

Usage (from the repository root)::

    nice -n 10 .venv/bin/python scripts/lod_stress.py [--sets Set5 Set14 Urban100] [--per-zoom 2]
        [--zooms 4.5 6 ...] [--photos SUBSTR ...] [--jsonl out.jsonl] [--save DIR] [--simulate DIR]
        [--export-tolerance LEVELS]

Every photo of the chosen benchmark sets (../shared/benchmarks) gets ``--per-zoom`` random views
(seeded) at every zoom; each view is rendered exactly and in fast mode with the screen's and the
export's check (see liif_viewer/render/lod_stress.py). Prints one JSON line per view and mode to
``--jsonl`` and a markdown table per zoom to stdout.

``--save DIR`` also stores each view's exact image and its every-pixel fast image; ``--simulate DIR``
then replays fast mode's level of detail on those images (evaluations looked up instead of
queried: the sampler's decisions are the engine's, in seconds instead of minutes), for tuning.
``--export-tolerance`` replaces the export's tolerance (8-bit levels; its other settings kept).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from liif_viewer.files.image_io import load_image, to_uint8  # noqa: E402
from liif_viewer.render.engine import RenderEngine  # noqa: E402
from liif_viewer.render.inspection import psnr  # noqa: E402
from liif_viewer.render.liif_tiles import TileJob, tile_inside  # noqa: E402
from liif_viewer.render.lod import EXPORT, LodSettings, drive  # noqa: E402
from liif_viewer.render.lod_checks import steep  # noqa: E402
from liif_viewer.tasks import lod_stress as stress  # noqa: E402
from liif_viewer.tasks.lod_stress import MODES, StressView, ViewError  # noqa: E402


def _table(errors: list[ViewError], modes: dict[str, LodSettings]) -> str:
    lines = []
    for mode in modes:
        lines += [f"\n{mode}: {modes[mode]}\n",
                  "| zoom | views | p50 | p99 | max (levels) | min PSNR | max 8-bit | min PSNR 8-bit | evaluated "
                  "| px over bound |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        mine = [e for e in errors if e.mode == mode]
        rows = list(stress.summarise(mine).items()) + list(stress.summarise(mine, lambda e: "all").items())
        for (_, zoom), s in rows:
            zoom_text = f"x{zoom:g}" if isinstance(zoom, float) else f"**{zoom}**"
            lines.append(f"| {zoom_text} | {s['views']} | {s['p50']:.2f} | {s['p99']:.2f} | {s['max']:.2f} | "
                         f"{s['min_psnr_db']:.1f} | {s['max_u8']} | {s['min_psnr_u8_db']:.1f} | "
                         f"{100 * s['evaluated']:.1f}% | {100 * s['over_bound']:.3g}% |")
    return "\n".join(lines)


class _Grid:
    """Stands in for a FeatureStore where only the code grid's size is read (simulation)."""

    def __init__(self, height: int, width: int) -> None:
        self.height, self.width = height, width


def simulate_view(view: StressView, exact: np.ndarray, every: np.ndarray, image_wh: tuple[int, int],
                  settings: LodSettings, screen_tile: int = 256) -> tuple[np.ndarray, float]:
    """Fast mode's LOD on ``view`` with evaluations looked up in ``every`` (fast, every pixel).

    The same tiles, rects and passes as the engine (TileJob driven directly; an export's fp32
    re-evaluations looked up in ``exact``); returns the image and the fraction of the view's
    inside pixels evaluated (as ``RenderStep.evaluated_fraction``).
    """
    engine = RenderEngine(None, screen_tile=screen_tile)  # geometry only: no decoder is built
    engine.rgb = np.zeros((image_wh[1], image_wh[0], 3), np.float32)
    vp = view.viewport()
    scale = (vp.sx, vp.sy)
    out = exact.copy()  # background pixels equal
    ox, oy = vp.origin_lattice
    evaluated = 0
    for tx, ty in vp.visible_tiles(engine.screen_tile):
        inside = tile_inside(scale, tx, ty, screen_tile, *image_wh)
        if inside is None:
            continue
        rect = engine._view_rect(vp, tx, ty, inside)
        if rect is None:
            continue
        job = TileJob(inside, scale, None, _Grid(image_wh[1], image_wh[0]), adaptive=True,  # type: ignore[arg-type]
                      lod=settings)
        y0, x0 = ty * screen_tile + inside.r0 - oy, tx * screen_tile + inside.c0 - ox

        def lookup(rows: np.ndarray, cols: np.ndarray, y0: int = y0, x0: int = x0) -> np.ndarray:
            return every[rows + y0, cols + x0]

        values = drive(job.finish_steps(rect), lookup)
        if settings.polish is not None:  # as TileJob._polish, with exact's values
            rows, cols = steep(values, rect, settings.polish)
            values[rows, cols] = exact[rows + y0, cols + x0]
            evaluated += len(rows)
        r0, r1, c0, c1 = rect
        out[y0 + r0:y0 + r1, x0 + c0:x0 + c1] = values[r0:r1, c0:c1]
        evaluated += job.evaluated
    return out, evaluated / max(1, engine._inside_pixels(vp))


def _error(view: StressView, mode: str, fast: np.ndarray, exact: np.ndarray, evaluated: float) -> ViewError:
    diff = np.abs(fast - exact).max(axis=2)
    y, x = np.unravel_index(int(np.argmax(diff)), diff.shape)
    fast_u8, exact_u8 = to_uint8(fast), to_uint8(exact)
    return ViewError(view, mode, float(diff.max() * 255), psnr(fast, exact),
                     int(np.abs(fast_u8.astype(np.int16) - exact_u8).max()), psnr(fast_u8, exact_u8, 255.0),
                     evaluated, (int(x), int(y)), stress.pixels_over(mode, fast, exact))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("LIIF_VIEWER_SHARED_DIR", ROOT.parent / "shared"))
    parser.add_argument("--root", type=Path, default=shared / "benchmarks", help="benchmark photos")
    parser.add_argument("--sets", nargs="+", default=["Set5", "Set14", "Urban100"])
    parser.add_argument("--photos", nargs="*", default=[], help="only photos whose key contains one of these")
    parser.add_argument("--zooms", nargs="+", type=float, default=list(stress.ZOOMS))
    parser.add_argument("--per-zoom", type=int, default=1)
    parser.add_argument("--feature-tile", type=int, default=256)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--max-side", type=int, default=320)
    parser.add_argument("--border-share", type=float, default=0.3, help="share of views cut by the border")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (more slow down a busy machine)")
    parser.add_argument("--jsonl", type=Path, help="write one JSON line per view and mode here")
    parser.add_argument("--save", type=Path, help="store exact and every-pixel fast images here (and reuse them)")
    parser.add_argument("--save-only", action="store_true", help="only store the images of views not stored yet")
    parser.add_argument("--simulate", type=Path, help="replay the LOD on images stored by --save")
    parser.add_argument("--export-tolerance", type=float,
                        help=f"the export's tolerance in 8-bit levels (default {EXPORT.tolerance * 255:g})")
    args = parser.parse_args()
    modes = dict(MODES)
    if args.export_tolerance is not None:
        modes["export"] = replace(EXPORT, tolerance=args.export_tolerance / 255)

    photos = stress.benchmark_photos(args.root, args.sets)
    sizes = {k: load_image(p).rgb.shape[1::-1] for k, p in photos.items()}
    # Views are drawn for every photo of the sets and then filtered, so that a view's number (the
    # name of its stored images) does not depend on --photos.
    views = stress.make_views(sizes, args.zooms, args.per_zoom, args.seed, max_side=args.max_side,
                              border_share=args.border_share)
    chosen = [i for i, v in enumerate(views) if not args.photos or any(s in v.photo for s in args.photos)]
    if not chosen:
        print(f"no photos under {args.root} for {args.sets} {args.photos}", file=sys.stderr)
        return 1
    print(f"{len(chosen)} views of {len({views[i].photo for i in chosen})} photos", file=sys.stderr)
    errors: list[ViewError] = []
    sink = args.jsonl.open("w") if args.jsonl else None
    start = time.perf_counter()

    def record(found: list[ViewError]) -> None:
        errors.extend(found)
        for e in found:
            if sink:
                sink.write(json.dumps(e.as_dict()) + "\n")
                sink.flush()

    if args.simulate:
        for i in chosen:
            view = views[i]
            path = args.simulate / f"{i:04d}.npz"
            if not path.exists():
                continue
            data = np.load(path)
            exact, every = data["exact"], data["every"]
            found = []
            for mode, settings in modes.items():
                fast, evaluated = simulate_view(view, exact, every, sizes[view.photo], settings)
                found.append(_error(view, mode, fast, exact, evaluated))
            record(found)
    else:
        import torch

        from liif_viewer.model import load_model

        torch.set_num_threads(args.threads)
        # Large feature tiles: most of each photo gets encoded anyway, and 96-code tiles with their
        # 35-code halo would encode every pixel ~3 times.
        engine = RenderEngine(load_model(), feature_tile=args.feature_tile)
        current = None
        order = sorted(chosen, key=lambda i: views[i].photo)
        for n, i in enumerate(order):
            view = views[i]
            stored = args.save / f"{i:04d}.npz" if args.save else None
            if args.save_only and stored.exists():
                continue
            if view.photo != current:
                engine.set_image(load_image(photos[view.photo]).rgb)
                current = view.photo
            vp = view.viewport()
            engine.tiles.clear()
            if stored is not None and stored.exists():
                exact = np.load(stored)["exact"]  # exact mode is not what is being tuned: render it once
            else:
                exact = engine.render_liif_sync(vp, "exact")
                if stored is not None:
                    stored.parent.mkdir(parents=True, exist_ok=True)
                    engine.adaptive = False
                    every = engine.render_liif_sync(vp, "fast")
                    engine.adaptive = True
                    engine.tiles.clear()
                    np.savez_compressed(stored, exact=exact, every=every)
            if args.save_only:
                print(f"[{n + 1}/{len(order)} {time.perf_counter() - start:.0f}s] {view.photo} x{view.zoom:g} stored",
                      file=sys.stderr)
                continue
            found = stress.measure_view(engine, view, modes, exact=exact)
            record(found)
            worst = max(found, key=lambda e: e.max_levels)
            print(f"[{n + 1}/{len(order)} {time.perf_counter() - start:.0f}s] {view.photo} x{view.zoom:g} "
                  f"{view.width}x{view.height} max {worst.max_levels:.2f} ({worst.mode})", file=sys.stderr)
    if sink:
        sink.close()
    print(_table(errors, modes))
    bad = [e for e in errors if e.max_levels > 2 or e.psnr_db < 60 or (e.mode == "export" and e.max_u8 > 1)]
    print(f"\n{len(bad)} view-modes over the bound; {time.perf_counter() - start:.0f} s, "
          f"load {os.getloadavg()[0]:.2f}")
    for e in sorted(bad, key=lambda e: -e.max_levels)[:20]:
        print(f"  {e.view.photo} x{e.view.zoom:g} {e.mode}: {e.max_levels:.2f} levels, {e.psnr_db:.1f} dB, "
              f"8-bit {e.max_u8} / {e.psnr_u8_db:.1f} dB at {e.worst_xy} {asdict_short(e.view)}")
    return 0 if not bad else 2


def asdict_short(view: StressView) -> str:
    """The view's centre and size, compactly."""
    return f"centre ({view.center_x:.2f}, {view.center_y:.2f}) {view.width}x{view.height}" + \
        (" border" if view.border else "")


if __name__ == "__main__":
    raise SystemExit(main())
