"""Project-wide rules: no Qt below the app, and the code is ruff clean (the layers: test_architecture.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_headless_layers_do_not_import_qt():
    code = (
        "import sys, liif_viewer.model, liif_viewer.render, liif_viewer.files, liif_viewer.tasks, liif_viewer.learn\n"
        "import liif_viewer.cli\n"
        "import pkgutil, importlib\n"
        "for pkg in (liif_viewer.model, liif_viewer.render, liif_viewer.files, liif_viewer.tasks, liif_viewer.learn):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(pkg.__name__ + '.' + m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt', 'qtpy')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_clean():
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(ROOT / ".venv" / "bin"))
    if ruff is None:
        pytest.skip("ruff is not installed (it comes with the test extra)")
    proc = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
