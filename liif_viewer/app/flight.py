"""The live zoom flight: the main view flies from fit to a zoom about a point that stays put on screen.

Time, not frame count, drives the motion (a late frame is skipped, not slowed), and each
frame asks the LIIF worker for its view at once, so the LIIF pane shows the best level the
progressive render reached (stand-in, preview or final) while all panes move together.
The scale grows geometrically with smoothstep timing (:func:`tasks.demos.ease`), as in the headless
:func:`tasks.demos.flight_viewports`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ..tasks.demos import ease
from .controller import RenderController
from .view_state import ViewState

__all__ = ["FlightSettings", "ZoomFlight"]


@dataclass(frozen=True)
class FlightSettings:
    """Final ``zoom`` (device px per image px), flight length, frame rate, and the recording's pane size."""

    zoom: float = 30.0
    seconds: float = 3.0
    fps: float = 30.0
    record_pane: tuple[int, int] = (320, 320)

    @property
    def frames(self) -> int:
        """Frames of a recording."""
        return max(2, round(self.seconds * self.fps))


class ZoomFlight(QObject):
    """Animates ``state``; ``finished`` fires when the flight lands (not when stopped)."""

    finished = Signal()

    def __init__(self, state: ViewState, controller: RenderController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state, self.controller = state, controller
        self.settings = FlightSettings()
        self.target_xy: tuple[float, float] | None = None
        self.anchor_xy: tuple[float, float] = (0.0, 0.0)  # device px where the target stays
        self.frames_shown = 0
        #: seconds now (monotonic); tests pass a clock that moves on a fixed step per frame
        self.clock: Callable[[], float] = time.perf_counter
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._start_s = 0.0
        self._from_scale = 1.0
        self._pane_size = (1, 1)

    @property
    def flying(self) -> bool:
        """Whether a flight is under way."""
        return self._timer.isActive()

    def start(self, target_xy: tuple[float, float], settings: FlightSettings | None = None) -> bool:
        """Fit, then fly to ``settings.zoom`` about ``target_xy`` (image px). False when no image is shown."""
        if self.state.image_size is None:
            return False
        self.settings = settings or self.settings
        width, height = self.state.image_size
        self.target_xy = (min(max(target_xy[0], 0.0), width), min(max(target_xy[1], 0.0), height))
        self.state.fit()
        self.anchor_xy = self._screen_of_target()
        self._from_scale = self.state.scale
        self._pane_size = self.state.pane_size
        self._start_s = self.clock()
        self.frames_shown = 0
        self._timer.start(max(1, round(1000 / self.settings.fps)))
        return True

    def stop(self) -> None:
        """Stop where the flight is (the view stays there)."""
        if self._timer.isActive():
            self._timer.stop()
            self.controller.view_changed()

    def scale_at(self, t: float) -> float:
        """Scale at flight time ``t`` in [0, 1]."""
        total = math.log(min(self.state.max_scale, self.settings.zoom) / self._from_scale)
        return self._from_scale * math.exp(total * ease(t))

    def _screen_of_target(self) -> tuple[float, float]:
        # continuous maths (as ViewState.zoom_to), so the target is exactly fixed, not lattice-snapped
        (tx, ty), (pane_w, pane_h), scale = self.target_xy, self.state.pane_size, self.state.scale
        return (tx - self.state.center_x) * scale + pane_w / 2, (ty - self.state.center_y) * scale + pane_h / 2

    def _follow_resize(self) -> None:
        # A resize (e.g. going full screen as the flight starts) moves the target on screen, or
        # re-fits the view if no frame has zoomed yet: fly on from wherever the target now is.
        if self.state.pane_size != self._pane_size:
            self._pane_size = self.state.pane_size
            self.anchor_xy = self._screen_of_target()
            if self.state.fitting:
                self._from_scale = self.state.scale

    def _tick(self) -> None:
        self._follow_resize()
        t = (self.clock() - self._start_s) / max(1e-3, self.settings.seconds)
        self.state.zoom_to(self.scale_at(min(1.0, t)), self.anchor_xy)
        self.frames_shown += 1
        if t >= 1.0:
            self._timer.stop()
            self.controller.request_liif()
            self.finished.emit()
        else:
            self.controller.request_liif()  # no debounce: show whatever level LIIF reaches this frame
