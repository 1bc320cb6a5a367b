"""Qt application (the only package that imports PySide6/pyqtgraph); ``run_viewer`` is its entry point."""

from __future__ import annotations

from .run import ViewerError, ViewOptions, run_viewer
from .window import ViewerWindow

__all__ = ["ViewerError", "ViewOptions", "ViewerWindow", "run_viewer"]
