"""Error of fast encoders through the whole render: fast mode with each encoder against exact mode.

Usage (from the repository root)::

    nice -n 10 .venv/bin/python scripts/encoder_error.py [--photos sample Set14/baboon.png ...]
        [--zooms 1 2 4 8 30] [--size 320x240] [--variants shipped 1:fp32 1:low 0:low ...] [--jsonl out.jsonl]

A variant ``N:fp32`` keeps the head, the first N residual blocks, the closing conv and an fp32
residual stream around bf16 convolutions; ``N:low`` also drops the stream to bf16 after block N
(see liif_viewer/model/fused_encoder.py); variants apply at every zoom. ``shipped`` is the
engine as it is (the fast encoder up to FAST_ENCODER_MAX_ZOOM, with its halo and blocks; exact
codes above). For every photo, zoom and view (the photo's centre and a seeded random point), each
variant's fast-mode render (bf16 decoder, level of detail) is compared with exact mode's (fp32
encoder and decoder) and with fast mode on fp32 features (what the encoder alone adds). Prints a
markdown table per variant: max error in 8-bit levels (float difference x 255), the 8-bit
images' largest difference, and the smallest PSNR.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from liif_viewer.cancel import CancelToken  # noqa: E402
from liif_viewer.files.image_io import load_image, to_uint8  # noqa: E402
from liif_viewer.model import LIIF, load_model  # noqa: E402
from liif_viewer.model.fused_encoder import FusedEncoder  # noqa: E402
from liif_viewer.model.liif import INPUT_MEAN, INPUT_STD  # noqa: E402
from liif_viewer.render import engine as engine_module  # noqa: E402
from liif_viewer.render.engine import RenderEngine  # noqa: E402
from liif_viewer.render.inspection import psnr  # noqa: E402
from liif_viewer.render.viewport import Viewport  # noqa: E402
from liif_viewer.tasks.bench import SAMPLE  # noqa: E402

SHIPPED_MAX_ZOOM = engine_module.FAST_ENCODER_MAX_ZOOM
# ../shared beside the checkout (or beside the folder of worktrees)
BENCHMARKS = next((p / "shared" / "benchmarks" for p in ROOT.parents if (p / "shared" / "benchmarks").is_dir()),
                  ROOT.parent / "shared" / "benchmarks")


def _photo(name: str) -> np.ndarray:
    return load_image(SAMPLE if name == "sample" else BENCHMARKS / name).rgb


def _variant_encoder(model: LIIF, spec: str) -> Callable[..., torch.Tensor]:
    blocks, stream = spec.split(":")
    fused = FusedEncoder(model.encoder, "fast", fp32_blocks=int(blocks), low_stream=stream == "low")

    def encode(rgb: torch.Tensor, cancel: CancelToken | None = None) -> torch.Tensor:
        return fused((rgb - INPUT_MEAN) / INPUT_STD, cancel)

    return encode


def _views(rgb: np.ndarray, zoom: float, size: tuple[int, int], seed: int) -> list[Viewport]:
    h, w = rgb.shape[:2]
    rng = np.random.default_rng(seed)
    half_w, half_h = size[0] / 2 / zoom, size[1] / 2 / zoom
    points = [(w / 2, h / 2),
              (rng.uniform(half_w, max(half_w, w - half_w)), rng.uniform(half_h, max(half_h, h - half_h)))]
    return [Viewport(x, y, zoom, *size) for x, y in points]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", nargs="+", default=["sample", "Set14/baboon.png", "Set14/barbara.png",
                                                        "Urban100/img_004.png"])
    parser.add_argument("--zooms", nargs="+", type=float, default=[1, 2, 4, 8, 30])
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--variants", nargs="+", default=["1:fp32", "1:low", "0:low", "2:low", "4:low"])
    parser.add_argument("--jsonl", type=Path)
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    torch.set_num_threads(2)
    model = load_model()
    rows = []
    for p, name in enumerate(args.photos):
        rgb = _photo(name)
        for zoom in args.zooms:
            for v, vp in enumerate(_views(rgb, zoom, size, seed=1000 * p + int(zoom * 10))):
                engine = RenderEngine(model)
                engine.set_image(rgb)
                exact = engine.render_liif_sync(vp, "exact")
                engine.fast_encoder = False
                fast_fp32 = engine.render_liif_sync(vp, "fast")  # fast decoder on the exact features
                for spec in args.variants:
                    engine.fast_encoder = True
                    engine._stores.pop("fast", None)
                    engine.tiles.clear()
                    if spec != "shipped":  # a variant's codes at every zoom
                        engine_module.FAST_ENCODER_MAX_ZOOM = float("inf")
                        engine.features("fast")._encode = _variant_encoder(model, spec)
                    else:  # the engine as it is: the fast encoder up to its zoom, exact codes above
                        engine_module.FAST_ENCODER_MAX_ZOOM = SHIPPED_MAX_ZOOM
                    start = time.perf_counter()
                    fast = engine.render_liif_sync(vp, "fast")
                    row = {"photo": name, "zoom": zoom, "view": v, "variant": spec,
                           "seconds": time.perf_counter() - start,
                           "levels": float(np.abs(fast - exact).max() * 255),
                           "u8": int(np.abs(to_uint8(fast).astype(int) - to_uint8(exact).astype(int)).max()),
                           "psnr_db": psnr(fast, exact),
                           "encoder_levels": float(np.abs(fast - fast_fp32).max() * 255),
                           "fp32_features_levels": float(np.abs(fast_fp32 - exact).max() * 255)}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                    if args.jsonl:
                        with args.jsonl.open("a") as f:
                            f.write(json.dumps(row) + "\n")
    for spec in args.variants:
        print(f"\nvariant {spec}\n\n| zoom | views | max levels | max 8-bit | min PSNR | encoder alone | "
              "fp32 features |\n|---:|---:|---:|---:|---:|---:|---:|")
        for zoom in args.zooms:
            mine = [r for r in rows if r["variant"] == spec and r["zoom"] == zoom]
            print(f"| x{zoom:g} | {len(mine)} | {max(r['levels'] for r in mine):.2f} | {max(r['u8'] for r in mine)} | "
                  f"{min(r['psnr_db'] for r in mine):.1f} | {max(r['encoder_levels'] for r in mine):.2f} | "
                  f"{max(r['fp32_features_levels'] for r in mine):.2f} |")


if __name__ == "__main__":
    main()
