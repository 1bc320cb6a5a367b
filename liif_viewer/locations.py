"""Where liif-viewer finds its own files and keeps fetched weights, installed or in a checkout.

Bundled data (the checkpoint manifest, the sample photo, the icons) lives in the checkout's
top-level ``models/`` and ``resources/`` folders; the build configuration (pyproject.toml) maps
them into the wheel as ``liif_viewer/_data/models`` and ``liif_viewer/_data/resources``. This
module looks in the package first, then in the checkout, so the same code runs from a wheel,
an editable install or ``python main.py``.

Fetched weights go to ``$LIIF_VIEWER_MODELS_DIR`` when set, to the checkout's ``models/`` in a
development checkout, and to the user cache directory otherwise (platformdirs). This module
imports nothing else of the package, so every layer may use it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["APP_NAME", "DataFileError", "bundled_path", "data_file", "is_checkout", "weights_dir", "manifest_path",
           "sample_image", "icon_file", "ICON_SIZES"]

APP_NAME = "liif-viewer"
PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent  # the source tree's root when this is a checkout
BUNDLED_DIR = PACKAGE_DIR / "_data"  # present in an installed wheel only
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)  # PNG icons in resources/icons, beside liif-viewer.svg


class DataFileError(RuntimeError):
    """A file the installation should hold is missing; ``str`` is a one-line message."""


def is_checkout() -> bool:
    """True when the package runs from a source checkout (editable install or ``python main.py``)."""
    return (CHECKOUT_DIR / "pyproject.toml").is_file() and (CHECKOUT_DIR / "models" / "manifest.toml").is_file()


def bundled_path(folder: str, name: str) -> Path:
    """Where the bundled file ``folder/name`` (``folder`` is ``models`` or ``resources``) belongs."""
    return (CHECKOUT_DIR if is_checkout() else BUNDLED_DIR) / folder / name


def data_file(folder: str, name: str) -> Path:
    """The bundled file ``folder/name``, or a DataFileError when the installation lacks it."""
    path = bundled_path(folder, name)
    if not path.is_file():
        raise DataFileError(f"{path} is missing: this installation of liif-viewer is incomplete; reinstall it")
    return path


def manifest_path() -> Path:
    """The checkpoint manifest (``models/manifest.toml``)."""
    return data_file("models", "manifest.toml")


def sample_image() -> Path:
    """The bundled sample photo the viewer opens when no file is given (not checked: opening says if absent)."""
    return bundled_path("resources", "sample-astronaut.png")


def icon_file(size: int | None = None) -> Path:
    """The application icon: the SVG, or the PNG of ``size`` px (one of ICON_SIZES)."""
    return data_file("resources", "icons/liif-viewer.svg" if size is None else f"icons/liif-viewer-{size}.png")


def weights_dir() -> Path:
    """Folder for fetched weights: ``$LIIF_VIEWER_MODELS_DIR``, the checkout's ``models/``, or the user cache."""
    override = os.environ.get("LIIF_VIEWER_MODELS_DIR")
    if override:
        return Path(override)
    if is_checkout():
        return CHECKOUT_DIR / "models"
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False) / "models"
