"""Demo → Zoom Flight…: the flight's target, zoom, length and frame rate; Fly, and Record…."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from .flight import FlightSettings
from .settings import read_float

__all__ = ["FlightDialog", "read_flight_settings", "write_flight_settings"]


def read_flight_settings(settings: QSettings) -> FlightSettings:
    """The remembered flight settings (defaults: ×30 in 3 s at 30 fps; recordings 320×320 per pane)."""
    return FlightSettings(read_float(settings, "flight/zoom", 30.0, 0.01, 128.0),
                          read_float(settings, "flight/seconds", 3.0, 0.1, 120.0),
                          read_float(settings, "flight/fps", 30.0, 1.0, 120.0),
                          (int(read_float(settings, "flight/record_width", 320, 16, 4096)),
                           int(read_float(settings, "flight/record_height", 320, 16, 4096))))


def write_flight_settings(settings: QSettings, flight: FlightSettings) -> None:
    """Remember ``flight``."""
    settings.setValue("flight/zoom", flight.zoom)
    settings.setValue("flight/seconds", flight.seconds)
    settings.setValue("flight/fps", flight.fps)
    settings.setValue("flight/record_width", flight.record_pane[0])
    settings.setValue("flight/record_height", flight.record_pane[1])


def _double(low: float, high: float, value: float, decimals: int = 1, suffix: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setValue(value)
    box.setSuffix(suffix)
    return box


class FlightDialog(QDialog):
    """Non-modal; a click on the image while it is open sets the target (the window does that)."""

    fly_requested = Signal()
    record_requested = Signal()

    def __init__(self, flight: FlightSettings, target_xy: tuple[float, float], image_size: tuple[int, int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Zoom flight")
        form = QFormLayout(self)
        form.addRow(QLabel("Click a point on the image to fly to it (or type it)."))
        self.target_x = _double(0, image_size[0], target_xy[0], 1, " px")
        self.target_y = _double(0, image_size[1], target_xy[1], 1, " px")
        row = QHBoxLayout()
        for widget in (QLabel("x"), self.target_x, QLabel("y"), self.target_y):
            row.addWidget(widget)
        form.addRow("Target", row)
        self.zoom = _double(0.1, 128.0, flight.zoom, 2, " ×")
        form.addRow("Zoom to", self.zoom)
        self.seconds = _double(0.2, 120.0, flight.seconds, 1, " s")
        form.addRow("Length", self.seconds)
        self.fps = _double(1.0, 120.0, flight.fps, 0, " fps")
        form.addRow("Frame rate", self.fps)
        self.record_w, self.record_h = QSpinBox(), QSpinBox()
        row = QHBoxLayout()
        for box, value in ((self.record_w, flight.record_pane[0]), (self.record_h, flight.record_pane[1])):
            box.setRange(16, 4096)
            box.setValue(value)
            box.setSuffix(" px")
            row.addWidget(box)
        form.addRow("Recorded pane", row)
        fly, record, close = QPushButton("Fly (Space)"), QPushButton("Record…"), QPushButton("Close")
        fly.setDefault(True)
        fly.clicked.connect(self.fly_requested)
        record.clicked.connect(self.record_requested)
        close.clicked.connect(self.close)
        row = QHBoxLayout()
        for button in (fly, record, close):
            row.addWidget(button)
        form.addRow(row)

    def settings(self) -> FlightSettings:
        """The flight described by the form."""
        return FlightSettings(self.zoom.value(), self.seconds.value(), self.fps.value(),
                              (self.record_w.value(), self.record_h.value()))

    def target(self) -> tuple[float, float]:
        """The target point, image px."""
        return self.target_x.value(), self.target_y.value()

    def set_target(self, image_xy: tuple[float, float]) -> None:
        """Show a new target."""
        self.target_x.setValue(image_xy[0])
        self.target_y.setValue(image_xy[1])
