"""``main.py bench``: the engine's speed and memory, measured in one run on this machine.

Every figure is the median of ``repeats`` runs. Query throughputs are measured on
the same points (a 4x grid over a crop of the bundled photo) for the paper's
straightforward query, the exact fast path and fast mode, so the ratios are fair.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..files.image_io import load_image
from ..locations import sample_image
from ..model import LIIF, describe_device, grid_cell, grid_norm_yx
from ..render.engine import RenderEngine
from ..render.fast_query import FoldedDecoder
from ..render.inspection import psnr
from ..render.prefetch import prefetch_steps
from ..render.viewport import Viewport
from . import lod_stress

__all__ = ["run_bench", "SAMPLE"]

SAMPLE = sample_image()


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()  # queries on a GPU return before their kernels finish
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@torch.no_grad()
def _query_throughputs(model: LIIF, rgb: np.ndarray, device: torch.device, repeats: int) -> dict[str, float]:
    crop = torch.from_numpy(np.ascontiguousarray(rgb[180:244, 200:264])).permute(2, 0, 1).to(device)
    feat = model.encode(crop)
    h, w = 256, 256  # x4 of the 64 x 64 crop: 65,536 queries
    coord, cell = grid_norm_yx(h, w, device), grid_cell(h, w, h * w, device)
    n = coord.shape[0]
    naive_s = _median_time(lambda: model.query_rgb(feat, coord[None], cell[None]), repeats)
    out = {}
    results = {}
    for precision in ("exact", "fast"):
        dec = FoldedDecoder(model, precision, device)

        def run(dec: FoldedDecoder = dec, precision: str = precision) -> None:
            region = dec.project_region(F.pad(feat[0], (1, 1, 1, 1)), 0, 0)
            results[precision] = dec.query(region, (64, 64), coord, cell)

        run()  # warm-up
        out[f"{precision}_px_s"] = n / _median_time(run, repeats)
    out["naive_px_s"] = n / naive_s
    out["fast_query_psnr_db"] = psnr(results["fast"].clamp(0, 1).cpu().numpy(),
                                        results["exact"].clamp(0, 1).cpu().numpy())
    return out


def _pane_timings(model: LIIF, rgb: np.ndarray, device: torch.device, repeats: int) -> dict[str, float]:
    engine = RenderEngine(model, device)
    engine.set_image(rgb)
    vp = Viewport(256.0, 200.0, 4.0, 640, 720)
    exact_img = engine.render_liif_sync(vp, "exact")  # also encodes the region
    engine.render_liif_sync(vp, "fast")
    first, full = [], []
    for _ in range(repeats):
        engine.tiles.clear()
        start = time.perf_counter()
        for step in engine.render_liif(vp, "fast"):
            if step.kind == "preview":
                first.append(time.perf_counter() - start)
            if step.final:
                full.append(time.perf_counter() - start)
                fast_img = step.image
    engine.tiles.clear()
    exact_s = _median_time(lambda: (engine.tiles.clear(), engine.render_liif_sync(vp, "exact")), repeats)
    return {
        "first_preview_s": statistics.median(first),
        "full_pane_s": statistics.median(full),
        "full_pane_exact_s": exact_s,
        "fast_psnr_db": psnr(fast_img, exact_img),
    }


def _lod(model: LIIF, rgb: np.ndarray, device: torch.device, repeats: int) -> dict[str, float]:
    """A 1920x1080 view at x30 and x8 (codes encoded): fast (bf16 + adaptive) against exact.

    ``lod_x*_px_s`` and ``_speedup`` time the render itself (``render_liif_sync``, the same call
    for both modes); ``lod_x*_progressive_s`` is what the viewer waits for: stand-in, preview,
    partial updates and the final image of ``render_liif``.
    """
    engine = RenderEngine(model, device)
    engine.set_image(rgb)
    out: dict[str, float] = {}
    for zoom in (30, 8):
        vp = Viewport(230.0, 150.0, float(zoom), 1920, 1080)
        x, y, w, h = vp.image_rect()
        for precision in ("exact", "fast"):  # encode first (the store each mode reads at this zoom)
            engine.features(precision, float(zoom)).region(int(y) - 2, int(y + h) + 3, int(x) - 2, int(x + w) + 3)
        fast_times, progressive_times, fractions = [], [], []
        for _ in range(repeats):
            engine.tiles.clear()
            start = time.perf_counter()
            fast_img = engine.render_liif_sync(vp, "fast")
            fast_times.append(time.perf_counter() - start)
            engine.tiles.clear()
            start = time.perf_counter()
            steps = list(engine.render_liif(vp, "fast"))
            progressive_times.append(time.perf_counter() - start)
            fractions.append(steps[-1].evaluated_fraction)
        engine.tiles.clear()
        start = time.perf_counter()
        exact_img = engine.render_liif_sync(vp, "exact")
        exact_s = time.perf_counter() - start
        fast_s = statistics.median(fast_times)
        out[f"lod_x{zoom}_px_s"] = vp.width * vp.height / fast_s
        out[f"lod_x{zoom}_exact_px_s"] = vp.width * vp.height / exact_s
        out[f"lod_x{zoom}_speedup"] = exact_s / fast_s
        out[f"lod_x{zoom}_progressive_s"] = statistics.median(progressive_times)
        out[f"lod_x{zoom}_psnr_db"] = psnr(fast_img, exact_img)
        out[f"lod_x{zoom}_max_levels"] = float(np.abs(fast_img - exact_img).max() * 255)
        out[f"lod_x{zoom}_evaluated"] = statistics.median(fractions)
        engine.tiles.clear()
    return out


def _lod_stress(model: LIIF, device: torch.device) -> dict[str, object]:
    """Fast mode's error bound on the stress study's fixed, seeded subset (see .lod_stress).

    ``lod_stress_max_levels`` is the worst screen error (float, 8-bit levels) over every view,
    ``lod_stress_min_psnr_db`` the worst PSNR, ``lod_stress_export_max_u8`` the worst difference of
    the 8-bit exports; the bound is <= 2, >= 60 dB and <= 1.
    """
    photos, views, source = lod_stress.bench_subset(SAMPLE)
    engine = RenderEngine(model, device, feature_tile=256)  # one feature tile per crop: encoded once
    start = time.perf_counter()
    errors = list(lod_stress.run_views(engine, views, photos))
    out: dict[str, object] = dict(lod_stress.headline(errors))
    out["lod_stress_s"] = time.perf_counter() - start
    out["lod_stress_photos"] = source
    return out


def _encode_cost(model: LIIF, rgb: np.ndarray, device: torch.device) -> dict[str, float]:
    """Seconds per megapixel of features: all of a 384 x 384 image, exact (fp32) and fast mode's encoder."""
    out = {}
    mp = 384 * 384 / 1e6
    for precision, key in (("exact", "encode_s_per_mp"), ("fast", "encode_fast_s_per_mp")):
        engine = RenderEngine(model, device)
        engine.fast_encoder = True
        engine.set_image(rgb[:384, :384])
        store = engine.features(precision)
        start = time.perf_counter()
        for _ in store.encode_iter(store.tiles_for(0, 384, 0, 384)):
            pass
        out[key] = (time.perf_counter() - start) / mp
    return out


def _final_s(engine: RenderEngine, vp: Viewport, precision: str = "fast") -> float:
    """Seconds from request to the final image of a progressive render of ``vp``."""
    start = time.perf_counter()
    for step in engine.render_liif(vp, precision):
        if step.final:
            return time.perf_counter() - start
    raise RuntimeError("the render ended without a final image")


def _open_sample(model: LIIF, device: torch.device, repeats: int) -> dict[str, float]:
    """Model loaded: open the bundled sample, LIIF pane (640 x 720) final at fit, fast mode."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        image = load_image(SAMPLE)
        engine = RenderEngine(model, device)
        engine.set_image(image.rgb)
        _final_s(engine, Viewport.fitted(image.width, image.height, 640, 720))
        times.append(time.perf_counter() - start)
    return {"open_sample_liif_final_s": statistics.median(times)}


def _big_photo_probe(precision: str = "fast") -> dict[str, float]:
    """Run in a fresh process: open a 12 MP photo, render a x4 view and the fit view; peak RSS, times."""
    from ..model import load_model, pick_device

    device = pick_device("auto")
    torch.set_num_threads(max(1, min(os.cpu_count() or 1, torch.get_num_threads())))
    path = Path(sys.argv[-1])
    start = time.perf_counter()
    image = load_image(path)
    model = load_model(device=device)
    engine = RenderEngine(model, device)
    engine.set_image(image.rgb)
    vp = Viewport(image.width * 0.6, image.height * 0.4, 4.0, 640, 720)
    t0 = time.perf_counter()
    first = None
    for step in engine.render_liif(vp, precision):
        if first is None and step.kind in ("partial", "final"):
            first = time.perf_counter() - t0
    full = time.perf_counter() - t0
    out = {"open_s": t0 - start, "first_liif_12mp_s": first, "full_12mp_s": full,
           "peak_rss_12mp_mb": _peak_rss_mb()}
    # The whole photo at fit in a 1500x900 pane (x0.225): LIIF there is the area-averaged input.
    fit = Viewport.fitted(image.width, image.height, 1500, 900)
    t1 = time.perf_counter()
    liif = [step for step in engine.render_liif(fit, precision)][-1]
    t2 = time.perf_counter()
    engine.render_classic(fit, "bilinear")
    out.update({"fit_12mp_liif_s": t2 - t1, "fit_12mp_bilinear_s": time.perf_counter() - t2,
                "fit_12mp_final": liif.final})
    # A fresh view at 1:1 elsewhere (nothing encoded there), then one at x2, idle prefetch, a pan.
    out["view_1to1_12mp_s"] = _final_s(engine, Viewport(image.width * 0.3, image.height * 0.6, 1.0, 640, 720))
    vp = Viewport(image.width * 0.7, image.height * 0.75, 2.0, 640, 720)
    _final_s(engine, vp)
    start = time.perf_counter()
    for _ in prefetch_steps(engine, vp, precision):
        pass
    out["prefetch_12mp_s"] = time.perf_counter() - start
    out["pan_half_pane_s"] = _final_s(engine, vp.panned_by(-vp.width / 2, 0))
    out["peak_rss_12mp_after_views_mb"] = _peak_rss_mb()
    return out


def _peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM, unlike ru_maxrss, is not inherited across exec on Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _big_photo(repeats: int) -> dict[str, float]:
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.png"
        with Image.open(SAMPLE) as img:
            img.convert("RGB").resize((4000, 3000), Image.Resampling.BICUBIC).save(path, compress_level=1)
        code = ("from liif_viewer.tasks.bench import _big_photo_probe; import json; "
                "print(json.dumps(_big_photo_probe()))")
        proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[2])
        if proc.returncode != 0:
            return {"peak_rss_12mp_mb": float("nan"), "big_photo_error": proc.stderr.strip().splitlines()[-1:]}
        return json.loads(proc.stdout.strip().splitlines()[-1])


def run_bench(model: LIIF, device: torch.device, repeats: int = 3, big_photo: bool = True,
              say: Callable[[str], None] = lambda m: None) -> dict[str, object]:
    """All measurements as one flat dict (the ``--json`` object)."""
    rgb = load_image(SAMPLE).rgb
    result: dict[str, object] = {"device": describe_device(device), "torch": torch.__version__}
    say("query throughput (naive / exact / fast)…")
    result.update(_query_throughputs(model, rgb, device, repeats))
    result["exact_vs_naive"] = result["exact_px_s"] / result["naive_px_s"]
    result["fast_vs_naive"] = result["fast_px_s"] / result["naive_px_s"]
    say("encoder cost…")
    result.update(_encode_cost(model, rgb, device))
    say("open the sample, LIIF final at fit…")
    result.update(_open_sample(model, device, repeats))
    say("640x720 pane at x4…")
    result.update(_pane_timings(model, rgb, device, repeats))
    say("1920x1080 views at x30 and x8 (fast with adaptive refinement vs exact)…")
    result.update(_lod(model, rgb, device, repeats))
    say("LOD stress subset (fast against exact on seeded random views)…")
    result.update(_lod_stress(model, device))
    if big_photo:
        say("12 MP photo in a fresh process…")
        result.update(_big_photo(repeats))
    return result
