"""Soak: a seeded random walk of 300 zooms, drags, keys and layouts over two photos, rendering for real.

Runs ``scripts/soak.py`` (the same walk its users run for minutes under Xvfb) in a fresh process,
offscreen, so that its RSS is the viewer's own and a crash shows as a dead process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from PIL import Image

from liif_viewer.files.image_io import to_uint8
from tests.conftest import ROOT, SAMPLE, saturated_rgb

#: RSS may grow this much from the end of the ten warm-up events to the end of the walk (every pane
#: final, one idle second). With the small budgets below the caches are full within the warm-up.
#: Measured on this walk: +20 to +46 MB on a quiet machine, up to +118 MB with the CPU shared by
#: other jobs (more renders cancelled half-way: allocator slack, Qt and oneDNN caches). The growth
#: this guards against was ~28 MB/s (0.55 -> 4.8 GB in 150 s, issue 13): GBs over this walk.
RSS_MARGIN_MB = 250


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads RSS from /proc (Linux)")
def test_a_random_walk_of_300_events_keeps_the_process_alive_and_memory_bounded(tmp_path):
    photo = tmp_path / "saturated.png"
    Image.fromarray(to_uint8(saturated_rgb(360, 240))).save(photo)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "soak.py"), str(SAMPLE), str(photo), "--events", "300",
         "--seed", "13", "--window-size", "1200x700", "--switch-every", "100", "--pause", "1",
         "--gap-ms", "10,60", "--idle", "1", "--feature-budget-mb", "16", "--tile-budget-mb", "8", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)  # ~1 min alone; a bound for a hang
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]  # alive, no worker error, in budget
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["events"] >= 300 and summary["workers_running"] and not summary["worker_errors"]
    assert summary["counts"]["open"] >= 2 and summary["counts"]["wheel"] > 50
    assert all(over <= 0 for over in summary["over_budget_mb"].values()), summary["over_budget_mb"]
    end = summary["sizes_end"]  # after the walk: between renders a tile holds only its values
    assert end["features_mb"] <= end["features_limit_mb"]
    idle = summary["settled_at_end"] and summary["prefetch_done_at_end"]  # no render, no prefetch running
    assert end["tiles_mb"] <= (end["tiles_budget_mb"] if idle else end["tiles_limit_mb"])
    assert summary["settled_after_10"] and summary["settled_at_end"] and summary["prefetch_done_at_end"]
    assert summary["rss_idle_mb"] - summary["rss_after_10_mb"] <= RSS_MARGIN_MB, summary
