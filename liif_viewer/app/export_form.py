"""The export dialog's form: region (view, whole image or typed), size (W×H with aspect lock, or scale), method."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from ..render.viewport import Viewport

__all__ = ["ExportForm", "METHOD_CHOICES", "view_region", "locked_height", "scaled_size", "MAX_SIDE", "describe_scale"]

Region = tuple[float, float, float, float]

#: (label, method, precision) of the method menu
METHOD_CHOICES = (
    ("LIIF (fast)", "liif", "fast"),
    ("LIIF (exact)", "liif", "exact"),
    ("Bilinear", "bilinear", "exact"),
    ("Bicubic", "bicubic", "exact"),
    ("Nearest", "nearest", "exact"),
)
MAX_SIDE = 65_000  # px per side (the formats' limits are about 65 535)


def view_region(vp: Viewport, image_size: tuple[int, int]) -> Region:
    """The part of the image a view shows (x, y, w, h image px), or the whole image when it shows none."""
    x, y, w, h = vp.image_rect()
    x0, y0 = max(0.0, x), max(0.0, y)
    x1, y1 = min(float(image_size[0]), x + w), min(float(image_size[1]), y + h)
    if x1 - x0 <= 0 or y1 - y0 <= 0:
        return 0.0, 0.0, float(image_size[0]), float(image_size[1])
    return round(x0, 2), round(y0, 2), round(x1 - x0, 2), round(y1 - y0, 2)


def locked_height(width: int, region: Region) -> int:
    """Output height keeping the region's aspect for ``width``."""
    return max(1, min(MAX_SIDE, round(width * region[3] / region[2])))


def scaled_size(region: Region, scale: float) -> tuple[int, int]:
    """Output size of ``region`` at ``scale`` output px per image px (rounded to nearest)."""
    return max(1, round(region[2] * scale)), max(1, round(region[3] * scale))


def _factor(scale: float) -> str:
    return f"{scale:.1f}" if scale >= 10 else f"{scale:.3g}"


def describe_scale(size: tuple[int, int], region: Region) -> tuple[str, bool]:
    """The output's scale per image px, e.g. ``×4``, or ``×75.0 × 41.7, stretched 1.8:1 wide`` when the
    two axes differ by more than the one output pixel of rounding; and whether it is stretched."""
    width, height = size
    sx, sy = width / max(1e-9, region[2]), height / max(1e-9, region[3])
    stretched = abs(width - sy * region[2]) > 1.0 and abs(height - sx * region[3]) > 1.0
    if not stretched:
        return f"×{_factor(sx)}", False
    ratio = max(sx, sy) / min(sx, sy)
    return f"×{_factor(sx)} × {_factor(sy)}, stretched {ratio:.2g}:1 {'wide' if sx > sy else 'tall'}", True


def _spin(low: float, high: float, decimals: int = 2, suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSuffix(suffix)
    box.setKeyboardTracking(False)
    return box


class ExportForm(QWidget):
    """What to export; ``changed`` fires whenever the region, size or method changes."""

    changed = Signal()

    def __init__(self, image_size: tuple[int, int], view: Region, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image_size = image_size
        self.view = view
        width, height = image_size
        form = QFormLayout(self)
        # region
        self.region_view = QRadioButton("Current view")
        self.region_whole = QRadioButton("Whole image")
        self.region_custom = QRadioButton("Custom")
        group = QButtonGroup(self)
        row = QHBoxLayout()
        for button in (self.region_view, self.region_whole, self.region_custom):
            group.addButton(button)
            row.addWidget(button)
        form.addRow("Region", row)
        self.region_boxes = [_spin(-width, 2 * width), _spin(-height, 2 * height), _spin(0.01, 2 * width),
                             _spin(0.01, 2 * height)]
        row = QHBoxLayout()
        for name, box in zip("XYWH", self.region_boxes, strict=True):
            row.addWidget(QLabel(name))
            row.addWidget(box)
            box.valueChanged.connect(self._on_region_typed)
        form.addRow("   image px", row)
        # size
        self.by_size = QRadioButton("Size")
        self.by_scale = QRadioButton("Scale")
        size_group = QButtonGroup(self)
        size_group.addButton(self.by_size)
        size_group.addButton(self.by_scale)
        self.out_width, self.out_height = QSpinBox(), QSpinBox()
        for box in (self.out_width, self.out_height):
            box.setRange(1, MAX_SIDE)
            box.setSuffix(" px")
            box.setKeyboardTracking(False)
        self.lock = QCheckBox("lock aspect")
        self.lock.setChecked(True)
        row = QHBoxLayout()
        for widget in (self.by_size, self.out_width, QLabel("×"), self.out_height, self.lock):
            row.addWidget(widget)
        form.addRow("Output", row)
        self.scale = _spin(0.01, 1000.0, 3, " ×")
        self.scale.setValue(4.0)
        row = QHBoxLayout()
        row.addWidget(self.by_scale)
        row.addWidget(self.scale)
        row.addStretch(1)
        form.addRow("", row)
        self.summary = QLabel()
        self.summary.setObjectName("export_summary")
        form.addRow("", self.summary)
        self.method = QComboBox()
        for label, _, _ in METHOD_CHOICES:
            self.method.addItem(label)
        form.addRow("Method", self.method)
        # wiring
        self.region_view.toggled.connect(lambda on: on and self.set_region(self.view, "view"))
        self.region_whole.toggled.connect(lambda on: on and self.set_region((0.0, 0.0, float(width),
                                                                            float(height)), "whole"))
        self.by_size.toggled.connect(self._update)
        self.out_width.valueChanged.connect(self._on_width)
        self.out_height.valueChanged.connect(self._on_height)
        self.lock.toggled.connect(lambda on: on and self._on_width(self.out_width.value()))
        self.scale.valueChanged.connect(self._update)
        self.method.currentIndexChanged.connect(self.changed)
        self.by_size.setChecked(True)
        self.region_view.setChecked(True)

    # --- values -------------------------------------------------------------------------------------
    def region(self) -> Region:
        """(x, y, w, h) in image px."""
        return tuple(box.value() for box in self.region_boxes)  # type: ignore[return-value]

    def output_size(self) -> tuple[int, int]:
        """The exact output size the export will have."""
        if self.by_scale.isChecked():
            w, h = scaled_size(self.region(), self.scale.value())
            return min(w, MAX_SIDE), min(h, MAX_SIDE)
        return self.out_width.value(), self.out_height.value()

    def method_choice(self) -> tuple[str, str]:
        """(method, precision)."""
        _, method, precision = METHOD_CHOICES[self.method.currentIndex()]
        return method, precision

    # --- setters ------------------------------------------------------------------------------------
    def set_region(self, region: Region, kind: str = "custom") -> None:
        """Show ``region``; ``kind`` (view | whole | custom) picks the radio button."""
        for box, value in zip(self.region_boxes, region, strict=True):
            with QSignalBlocker(box):
                box.setValue(value)
        button = {"view": self.region_view, "whole": self.region_whole}.get(kind, self.region_custom)
        with QSignalBlocker(button):
            button.setChecked(True)
        self.refit()

    def set_size(self, width: int, height: int) -> None:
        """Output ``width`` × ``height`` (the aspect lock then applies to later edits)."""
        self.by_size.setChecked(True)
        with QSignalBlocker(self.out_width), QSignalBlocker(self.out_height):
            self.out_width.setValue(width)
            self.out_height.setValue(height)
        self._update()

    def set_scale(self, scale: float) -> None:
        """Output by ``scale`` output px per image px."""
        self.by_scale.setChecked(True)  # first: in size mode the box follows the size
        self.scale.setValue(scale)
        self._update()

    # --- reactions ----------------------------------------------------------------------------------
    def _on_region_typed(self) -> None:
        with QSignalBlocker(self.region_custom):
            self.region_custom.setChecked(True)
        self.refit()

    def refit(self) -> None:
        """Re-derive the height from the width when the aspect is locked."""
        if self.lock.isChecked():
            self._on_width(self.out_width.value())
        else:
            self._update()

    def _on_width(self, width: int) -> None:
        if self.lock.isChecked():
            with QSignalBlocker(self.out_height):
                self.out_height.setValue(locked_height(width, self.region()))
        self._update()

    def _on_height(self, height: int) -> None:
        if self.lock.isChecked():
            region = self.region()
            with QSignalBlocker(self.out_width):
                self.out_width.setValue(max(1, min(MAX_SIDE, round(height * region[2] / region[3]))))
        self._update()

    def _update(self) -> None:
        by_size = self.by_size.isChecked()
        for widget in (self.out_width, self.out_height, self.lock):
            widget.setEnabled(by_size)
        self.scale.setEnabled(not by_size)
        width, height = self.output_size()
        region = self.region()
        if by_size:  # the Scale box follows the size (the horizontal scale)
            with QSignalBlocker(self.scale):
                self.scale.setValue(width / max(1e-9, region[2]))
        scale, stretched = describe_scale((width, height), region)
        if stretched:
            scale = f"<span style='color: rgb(240, 170, 60)'>{scale}</span>"
        self.summary.setText(f"<b>{width} × {height} px</b> · {width * height / 1e6:.2f} MP · {scale}")
        self.changed.emit()
