"""What the window remembers between runs (QSettings keys, always read with a default and a type)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

__all__ = ["ORGANIZATION", "APPLICATION", "RecentFiles", "read_str", "read_float"]

ORGANIZATION = "liif-viewer"
APPLICATION = "liif-viewer"
_MAX_RECENT = 10


def read_str(settings: QSettings, key: str, default: str, allowed: tuple[str, ...] | None = None) -> str:
    """A string setting, or ``default`` when missing or not one of ``allowed``."""
    value = settings.value(key, default, type=str)
    return value if allowed is None or value in allowed else default


def read_float(settings: QSettings, key: str, default: float, low: float, high: float) -> float:
    """A float setting clamped to [low, high], or ``default`` when missing or unreadable."""
    try:
        value = float(settings.value(key, default))
    except (TypeError, ValueError):
        return default
    return min(high, max(low, value))


class RecentFiles:
    """Most recently opened paths first, at most ten, stored under ``recent_files``."""

    key = "recent_files"

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def paths(self) -> list[str]:
        """The stored paths, newest first."""
        value = self.settings.value(self.key, [])
        if isinstance(value, str):  # INI files store a one-element list as a plain string
            value = [value]
        return [str(v) for v in value or [] if v]

    def add(self, path: str) -> None:
        """Put ``path`` first."""
        path = str(Path(path).resolve())
        self.settings.setValue(self.key, ([path] + [p for p in self.paths() if p != path])[:_MAX_RECENT])

    def remove(self, path: str) -> None:
        """Forget ``path`` (e.g. it no longer opens)."""
        resolved = str(Path(path).resolve())
        self.settings.setValue(self.key, [p for p in self.paths() if p not in (path, resolved)])
