"""Fixtures for the Qt tests: temporary settings, a window on the session model, waiting for it to settle."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_settings(tmp_path_factory, monkeypatch):
    """Never touch the user's settings: any default QSettings() lands in a temporary folder."""
    from PySide6.QtCore import QSettings

    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))


@pytest.fixture
def settings(tmp_path):
    """A QSettings file of this test only."""
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "viewer.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, model, settings):
    """Build a shown viewer window on the session model: ``make_window(width, height, settings=...)``."""
    from liif_viewer.app import ViewerWindow

    def make(width: int = 600, height: int = 300, settings=settings, **kwargs) -> ViewerWindow:
        window = ViewerWindow(settings, model=kwargs.pop("model", model), device="cpu", **kwargs)
        qtbot.addWidget(window)
        window.resize(width, height)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


def open_and_settle(qtbot, window, path: Path, timeout_ms: int = 120_000) -> None:
    """Open ``path`` and wait until every visible pane shows its final render."""
    with qtbot.waitSignal(window.image_opened, timeout=timeout_ms):
        window.open_path(path)
    wait_settled(qtbot, window, timeout_ms)


def wait_settled(qtbot, window, timeout_ms: int = 120_000) -> None:
    """Wait until every visible pane shows its final render of the current view (the timeout bounds a
    hang; it is no speed limit: on a busy machine a render takes many times longer)."""
    qtbot.waitUntil(window.controller.is_settled, timeout=timeout_ms)
