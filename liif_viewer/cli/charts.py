"""Charts of ``eval`` and ``bench`` (``--plot FILE``), drawn with pyqtgraph and saved through its exporters.

No display is needed: without a running Qt application one is made on Qt's offscreen platform
(unless ``QT_QPA_PLATFORM`` names another). The file's extension picks the exporter: ``.png``
(image), ``.svg`` (vector) or ``.csv`` (the curves' data, eval charts only).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["CHART_FORMATS", "eval_chart", "bench_chart", "save_chart", "check_chart_path", "check_plots",
           "write_plots"]

CHART_FORMATS = (".png", ".svg", ".csv")
_SIZE = (900, 560)  # px of a PNG chart
_TRAINING_SCALES = (1, 4)  # LIIF was trained on ×1–×4: the paper's in-distribution scales


def check_chart_path(path: str, formats: Sequence[str] = CHART_FORMATS) -> None:
    """Raise ValueError (a one-line message) unless ``path`` can take a chart."""
    suffix = Path(path).suffix.lower()
    if suffix not in formats:
        raise ValueError(f"--plot takes a {', '.join(formats)} file, got {path!r}")
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise ValueError(f"--plot: folder {folder} does not exist")


def _app() -> object:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
    return app


def _widget(title: str) -> object:
    import pyqtgraph as pg

    _app()
    from PySide6.QtCore import Qt

    view = pg.GraphicsLayoutWidget()
    view.setBackground("w")
    view.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)  # laid out at its size, never on a screen
    view.resize(*_SIZE)
    view.ci.setContentsMargins(10, 10, 20, 10)
    label = view.addLabel(title, color="k", size="12pt")
    label.setMaximumHeight(30)
    view.nextRow()
    return view


def _style(plot: object, x_label: str, y_label: str) -> None:
    plot.showGrid(x=True, y=True, alpha=0.25)
    plot.setLabel("bottom", x_label, color="k")
    plot.setLabel("left", y_label, color="k")
    for side in ("bottom", "left"):
        plot.getAxis(side).setTextPen("k")
        plot.getAxis(side).setPen("k")


def eval_chart(means: Sequence[Mapping[str, object]]) -> object:
    """PSNR against scale, LIIF (solid) and bicubic (dashed) per set, from ``eval --json``'s ``mean`` rows.

    Returns the pyqtgraph ``GraphicsLayoutWidget``; its ``plot`` attribute is the PlotItem whose
    curves (named "<set> LIIF" and "<set> bicubic") carry the numbers.
    """
    import pyqtgraph as pg
    from PySide6.QtCore import Qt

    view = _widget("PSNR against scale: LIIF and bicubic (eval, mean per set)")
    plot = view.addPlot()
    view.plot = plot
    _style(plot, "scale (×, log axis)", "PSNR (dB)")
    plot.setLogMode(x=True)  # the curves keep the scales themselves (CSV writes them); the axis is log10
    legend = plot.addLegend(offset=(-10, 10), labelTextColor="k", brush=(255, 255, 255, 220), pen="k")
    sets = list(dict.fromkeys(str(row["set"]) for row in means))
    scales = sorted({int(row["scale"]) for row in means})
    if scales and scales[0] <= _TRAINING_SCALES[1]:
        region = pg.LinearRegionItem([math.log10(s) for s in _TRAINING_SCALES], movable=False,
                                     brush=(120, 160, 255, 35), pen=pg.mkPen(None))
        plot.addItem(region, ignoreBounds=True)
        note = pg.TextItem("training scales", color=(70, 100, 190), anchor=(0, 0))
        plot.addItem(note, ignoreBounds=True)
        view.region_note = note
    for i, name in enumerate(sets):
        rows = sorted((r for r in means if str(r["set"]) == name), key=lambda r: int(r["scale"]))
        x = [int(r["scale"]) for r in rows]
        colour = pg.intColor(i, hues=max(3, len(sets)), values=1, maxValue=200)
        plot.plot(x, [float(r["psnr_liif"]) for r in rows], name=f"{name} LIIF", pen=pg.mkPen(colour, width=2.5),
                  symbol="o", symbolSize=7, symbolBrush=colour, symbolPen=colour)
        plot.plot(x, [float(r["psnr_bicubic"]) for r in rows], name=f"{name} bicubic",
                  pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine), symbol="t", symbolSize=7,
                  symbolBrush="w", symbolPen=colour)
    plot.getAxis("bottom").setTicks([[(math.log10(s), f"×{s}") for s in scales]])
    if scales:
        low = min(_TRAINING_SCALES[0], scales[0]) if scales[0] <= _TRAINING_SCALES[1] else scales[0]
        plot.setXRange(math.log10(low), math.log10(scales[-1]), padding=0.04)
        values = [float(r[k]) for r in means for k in ("psnr_liif", "psnr_bicubic")]
        if hasattr(view, "region_note"):
            view.region_note.setPos(0.01, max(values) + 0.05 * (max(values) - min(values) + 1))
    legend.setZValue(10)
    return view


def bench_chart(result: Mapping[str, object]) -> object:
    """``bench``'s figures: query throughput per mode, and fast mode's speed-up over exact per zoom."""
    import pyqtgraph as pg

    view = _widget(f"bench on {result.get('device', 'this machine')}")
    modes = [("straightforward", "naive_px_s"), ("exact", "exact_px_s"), ("fast", "fast_px_s")]
    modes = [(label, float(result[key])) for label, key in modes if _finite(result.get(key))]
    rate = view.addPlot()
    view.rate_plot = rate
    _style(rate, "LIIF query (65,536 points)", "kpx/s")
    colours = [(150, 150, 150), (70, 130, 210), (230, 120, 30)]
    rate.addItem(pg.BarGraphItem(x=list(range(len(modes))), height=[v / 1e3 for _, v in modes], width=0.6,
                                 brushes=colours[: len(modes)], pens=["k"] * len(modes)))
    for i, (_label, value) in enumerate(modes):
        text = pg.TextItem(f"{value / 1e3:,.0f}", color="k", anchor=(0.5, 1))
        text.setPos(i, value / 1e3)
        rate.addItem(text)
    rate.getAxis("bottom").setTicks([[(i, label) for i, (label, _v) in enumerate(modes)]])
    rate.setXRange(-0.7, len(modes) - 0.3, padding=0)
    rate.setYRange(0, max([v / 1e3 for _, v in modes] or [1]) * 1.15, padding=0)
    zooms = sorted(int(key[5:-8]) for key in result if key.startswith("lod_x") and key.endswith("_speedup")
                   and _finite(result[key]))
    speed = view.addPlot()
    view.speedup_plot = speed
    _style(speed, "zoom (×), 1920×1080 view", "speed-up of fast over exact (×)")
    heights = [float(result[f"lod_x{z}_speedup"]) for z in zooms]
    speed.addItem(pg.BarGraphItem(x=list(range(len(zooms))), height=heights, width=0.6, brush=(230, 120, 30),
                                  pen="k"))
    for i, value in enumerate(heights):
        text = pg.TextItem(f"{value:.1f}×", color="k", anchor=(0.5, 1))
        text.setPos(i, value)
        speed.addItem(text)
    speed.getAxis("bottom").setTicks([[(i, f"×{z}") for i, z in enumerate(zooms)]])
    speed.setXRange(-0.7, len(zooms) - 0.3, padding=0)
    speed.setYRange(0, max(heights or [1]) * 1.15, padding=0)
    view.bars = {"rate": dict(modes), "speedup": dict(zip(zooms, heights, strict=True))}
    return view


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def save_chart(view: object, path: str) -> None:
    """Write ``view`` (from ``eval_chart`` or ``bench_chart``) to ``path`` by its extension."""
    from pyqtgraph.exporters import CSVExporter, ImageExporter

    suffix = Path(path).suffix.lower()
    view.show()  # (not on screen) so that the scene is laid out at the chart's size
    _app().processEvents()
    if suffix == ".csv":
        plot = getattr(view, "plot", None)
        if plot is None:
            raise ValueError("this chart has no single plot to write as CSV; use .png or .svg")
        CSVExporter(plot).export(str(path))
    elif suffix == ".svg":
        _save_svg(view, str(path))
    elif suffix == ".png":
        exporter = ImageExporter(view.scene())
        exporter.parameters()["width"] = _SIZE[0]
        exporter.export(str(path))
    else:
        raise ValueError(f"--plot takes a {', '.join(CHART_FORMATS)} file, got {path!r}")


def _save_svg(view: object, path: str) -> None:
    """The scene as vector SVG through Qt's generator: pyqtgraph 0.14's SVGExporter cannot parse the closed
    paths ("... Z") that Qt ≥ 6.9 writes (pyqtgraph issue 3495), so it fails on every plot here."""
    from PySide6.QtCore import QRect, QRectF, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator

    source = QRectF(view.ci.sceneBoundingRect())
    width, height = round(source.width()), round(source.height())
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRect(0, 0, width, height))
    generator.setTitle("liif-viewer chart")
    painter = QPainter(generator)
    view.scene().render(painter, QRectF(0, 0, width, height), source)
    if not painter.end():
        raise OSError(f"Qt could not write {path}")


def check_plots(paths: Sequence[str] | None, formats: Sequence[str] = CHART_FORMATS) -> None:
    """Refuse a ``--plot`` file the chart cannot be written to (a UserError), before any work is done."""
    from ._common import UserError

    for path in paths or ():
        try:
            check_chart_path(path, formats)
        except ValueError as exc:
            raise UserError(str(exc)) from None


def write_plots(chart: object, paths: Sequence[str]) -> None:
    """Save ``chart`` to every ``--plot`` file, saying so on stderr."""
    from ._common import UserError, say

    for path in paths:
        try:
            save_chart(chart, path)
        except (OSError, ValueError) as exc:
            raise UserError(f"cannot write the chart {path}: {exc}") from None
        say(f"wrote the chart {path}")
