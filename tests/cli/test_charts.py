"""`bench --plot`'s chart: its bars carry the bench's numbers; unusable files are one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from liif_viewer.cli import main
from liif_viewer.cli.charts import bench_chart, save_chart

# figures of a bench run (docs/performance.md, 2026-11-26), plus one that failed (NaN)
RESULT = {"device": "CPU", "naive_px_s": 33153.0, "exact_px_s": 154299.0, "fast_px_s": 425858.0,
          "lod_x30_speedup": 16.6, "lod_x8_speedup": 3.2, "lod_x4_speedup": float("nan"), "peak_rss_12mp_mb": 665.0}


def _bar_heights(plot):
    import pyqtgraph as pg

    bars = [item for item in plot.items if isinstance(item, pg.BarGraphItem)]
    assert len(bars) == 1
    return list(bars[0].opts["height"])


def test_bench_chart_bars_are_the_bench_figures(tmp_path):
    view = bench_chart(RESULT)
    assert _bar_heights(view.rate_plot) == [33.153, 154.299, 425.858]  # kpx/s: straightforward, exact, fast
    assert _bar_heights(view.speedup_plot) == [3.2, 16.6]  # ×8, ×30 (the NaN one is left out)
    ticks = view.speedup_plot.getAxis("bottom")._tickLevels[0]
    assert [label for _x, label in ticks] == ["×8", "×30"]
    save_chart(view, str(tmp_path / "bench.png"))
    image = np.asarray(Image.open(tmp_path / "bench.png").convert("RGB"))
    assert image.shape[1] == 900 and len(np.unique(image.reshape(-1, 3), axis=0)) > 20
    save_chart(view, str(tmp_path / "bench.svg"))
    assert "<svg" in (tmp_path / "bench.svg").read_text()
    with pytest.raises(ValueError, match="no single plot"):
        save_chart(view, str(tmp_path / "bench.csv"))


def test_bench_plot_refuses_a_csv_before_measuring(tmp_path, capsys):
    assert main(["bench", "--plot", str(tmp_path / "bench.csv")]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"error: --plot takes a .png, .svg file, got '{tmp_path / 'bench.csv'}'"
