"""Images to and from the system clipboard as numpy arrays."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QGuiApplication, QImage

__all__ = ["clipboard_rgb", "qimage_to_u8"]


def qimage_to_u8(image: QImage) -> np.ndarray:
    """Any QImage → uint8 RGB (H, W, 3), alpha dropped."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    return rows[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()


def clipboard_rgb() -> np.ndarray | None:
    """The clipboard's image as float32 RGB (H, W, 3) in [0, 1], or None when it holds none."""
    image = QGuiApplication.clipboard().image()
    if image.isNull() or image.width() < 1 or image.height() < 1:
        return None
    return qimage_to_u8(image).astype(np.float32) / 255.0
