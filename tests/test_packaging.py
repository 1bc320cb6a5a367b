"""The wheel carries everything the program reads at run time; installed, it finds it without the checkout."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile

import pytest

from liif_viewer import locations
from liif_viewer.cli import main
from tests.conftest import ROOT


def _pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)


def test_every_python_package_is_listed_for_the_wheel():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "liif_viewer").rglob("__init__.py")}
    assert on_disk <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(on_disk - listed)}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(ROOT)], capture_output=True, text=True, cwd=out)
    if proc.returncode != 0:
        pytest.skip(f"cannot build the wheel here: {proc.stderr.strip().splitlines()[-1:]}")
    (path,) = out.glob("liif_viewer-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_holds_the_data_the_program_reads(wheel):
    names = set(wheel.namelist())
    data = "liif_viewer/_data/"
    needed = [data + "models/manifest.toml", data + "resources/sample-astronaut.png"]
    needed += [data + "resources/icons/liif-viewer.svg"]
    needed += [f"{data}resources/icons/liif-viewer-{n}.png" for n in locations.ICON_SIZES]
    assert not [n for n in needed if n not in names]
    assert not [n for n in names if n.endswith(".pth")]  # weights are fetched, never packaged
    assert "liif_viewer/cli/__init__.py" in names and "liif_viewer/model/weights.py" in names
    assert wheel.read(data + "models/manifest.toml") == (ROOT / "models" / "manifest.toml").read_bytes()
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "liif-viewer = liif_viewer.cli:run" in wheel.read(entry_points).decode()


def test_checkout_keeps_data_and_weights_in_its_own_folders(monkeypatch):
    monkeypatch.delenv("LIIF_VIEWER_MODELS_DIR", raising=False)
    assert locations.is_checkout()
    assert locations.manifest_path() == ROOT / "models" / "manifest.toml"
    assert locations.weights_dir() == ROOT / "models"
    assert locations.icon_file(48).is_file() and locations.icon_file().suffix == ".svg"


@pytest.fixture
def installed_layout(tmp_path, monkeypatch):
    """Pretend the package is installed: no checkout around it, its data under ``site/liif_viewer/_data``."""
    monkeypatch.setattr(locations, "CHECKOUT_DIR", tmp_path / "site")
    monkeypatch.setattr(locations, "BUNDLED_DIR", tmp_path / "site" / "liif_viewer" / "_data")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("LIIF_VIEWER_MODELS_DIR", raising=False)
    monkeypatch.delenv("LIIF_VIEWER_WEIGHTS", raising=False)
    return tmp_path


def test_installed_package_reads_its_data_and_caches_weights_per_user(installed_layout, monkeypatch):
    bundled = installed_layout / "site" / "liif_viewer" / "_data" / "models"
    bundled.mkdir(parents=True)
    (bundled / "manifest.toml").write_bytes((ROOT / "models" / "manifest.toml").read_bytes())
    assert not locations.is_checkout()
    assert locations.manifest_path() == bundled / "manifest.toml"
    if sys.platform.startswith("linux"):
        assert locations.weights_dir() == installed_layout / "cache" / "liif-viewer" / "models"
    monkeypatch.setenv("LIIF_VIEWER_MODELS_DIR", str(installed_layout / "mine"))
    assert locations.weights_dir() == installed_layout / "mine"


def test_missing_manifest_is_one_line_not_a_traceback(installed_layout, capsys):
    src = installed_layout / "in.png"
    src.write_bytes((ROOT / "resources" / "sample-astronaut.png").read_bytes())
    assert main(["upscale", str(src), "-o", str(installed_layout / "out.png"), "--scale", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "manifest.toml is missing" in err and err.count("\n") == 1
    assert main(["fetch-weights"]) == 1
    assert "manifest.toml is missing" in capsys.readouterr().err
