"""Render resources/icons/liif-viewer.svg to the PNG sizes the desktop entry installs (run after editing the SVG)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    """Write liif-viewer-N.png for every N in ICON_SIZES beside the SVG."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from liif_viewer.locations import ICON_SIZES

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841  (QPainter needs the application)
    folder = ROOT / "resources" / "icons"
    renderer = QSvgRenderer(str(folder / "liif-viewer.svg"))
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        out = folder / f"liif-viewer-{size}.png"
        image.save(str(out))
        print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
