"""How closely LIIF at 1:1 reproduces its input, and what that means below 1:1.

Usage: ``.venv/bin/python scripts/one_to_one.py [SET_DIR ...] [--scales 0.5,0.25,0.124]``
(default: Set5, Set14 and Urban100 under ../shared/benchmarks).

For each image: LIIF (exact) at 1:1 over the whole image against the input (PSNR on RGB in
[0, 1], mean and max |difference| in 8-bit levels), then both area-averaged to each scale below
1:1 (what a screen pixel there shows: the average of the image over its footprint) and compared
the same way. The viewer shows the area-averaged input below 1:1 (README, "Viewer"); this is the
measurement behind that choice.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from liif_viewer.render.inspection import psnr  # noqa: E402


def _text(result: tuple[float, float, float]) -> str:
    return f"{result[0]:.2f} dB mean {result[1]:.2f} max {result[2]:.0f}"


def _compare(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """PSNR (dB) and mean / max |a - b| in 8-bit levels of two uint8 images."""
    diff = a.astype(np.float64) - b
    return psnr(a, b, 255.0), float(np.abs(diff).mean()), float(np.abs(diff).max())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--scales", default="0.5,0.25,0.124")
    args = parser.parse_args()
    sets = args.sets or [ROOT.parent / "shared" / "benchmarks" / s for s in ("Set5", "Set14", "Urban100")]
    scales = [float(s) for s in args.scales.split(",")]
    missing = [str(s) for s in sets if not s.is_dir()]
    if missing:
        parser.error(f"not a folder: {', '.join(missing)}")

    from liif_viewer.files.image_io import load_image
    from liif_viewer.model import load_model
    from liif_viewer.render.engine import RenderEngine
    from liif_viewer.render.resample import render_classic, to_display_uint8
    from liif_viewer.render.viewport import Viewport

    model = load_model()
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for folder in sets:
        for path in sorted(folder.glob("*.png")):
            rgb = load_image(path).rgb
            h, w = rgb.shape[:2]
            engine = RenderEngine(model)
            engine.set_image(rgb)
            one = to_display_uint8(engine.render_liif_sync(Viewport(w / 2, h / 2, 1.0, w, h), "exact"))
            src = engine.image_u8
            line = [f"{folder.name}/{path.name} {w}x{h}", "1:1 " + _text(_compare(one, src))]
            rows.setdefault(f"{folder.name} x1", []).append(_compare(one, src))
            for scale in scales:
                vp = Viewport(w / 2, h / 2, scale, max(1, round(w * scale)), max(1, round(h * scale)))
                a = to_display_uint8(render_classic(one, vp, "area"))
                b = to_display_uint8(render_classic(src, vp, "area"))
                rows.setdefault(f"{folder.name} x{scale:g}", []).append(_compare(a, b))
                line.append(f"x{scale:g} " + _text(_compare(a, b)))
            print(" | ".join(line), flush=True)
    print("\nmeans over each set (PSNR dB, mean |diff| levels, max |diff| levels):")
    for key, values in rows.items():
        mean_psnr, mean, worst = (statistics.mean(v[i] for v in values) for i in range(3))
        print(f"{key}: {mean_psnr:.2f} dB, mean {mean:.2f}, max {max(v[2] for v in values):.0f} "
              f"(mean of per-image max {worst:.1f}), {len(values)} images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
