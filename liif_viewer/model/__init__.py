"""The paper's LIIF model in pure PyTorch (no Qt, no numpy UI concerns).

Public API::

    from liif_viewer.model import load_model, grid_norm_yx, grid_cell
    model = load_model()                 # official weights, fetched and verified on first use
    feat = model.encode(rgb)             # rgb (3, H, W) float in [0, 1] → codes (1, 64, H, W)
    rgb = model.query(feat, norm_yx, cell)   # (B, N, 2), (B, N, 2) → RGB (B, N, 3), unclamped
    raw = model.query_rgb(feat, norm_yx, cell)  # the same in the model's normalised space
    out = model.render_grid(rgb, H, W)   # whole (H, W, 3) output grid, batched, clamped

Coordinates follow LIIF's convention, documented in :mod:`liif_viewer.model.coords`.
``load_model(path)`` accepts any LIIF-format checkpoint whose encoder is registered
(``edsr-baseline``, ``edsr``); loading always uses ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from .checkpoint import CheckpointError, model_from_checkpoint, read_checkpoint, sha256_file
from .coords import grid_cell, grid_norm_yx, image_xy_to_norm_yx, make_coord
from .device import describe_device, pick_device
from .liif import LIIF
from .registry import UnknownModelError, known
from .weights import DEFAULT_MODEL, WeightsError, ensure_weights, fetch_weights, manifest, models_dir

__all__ = [
    "LIIF",
    "CheckpointError",
    "UnknownModelError",
    "WeightsError",
    "DEFAULT_MODEL",
    "load_model",
    "ensure_weights",
    "fetch_weights",
    "manifest",
    "models_dir",
    "sha256_file",
    "known",
    "make_coord",
    "grid_norm_yx",
    "grid_cell",
    "image_xy_to_norm_yx",
    "pick_device",
    "describe_device",
]


def load_model(
    path: str | Path | None = None,
    device: torch.device | str = "cpu",
    say: Callable[[str], None] | None = None,
) -> LIIF:
    """The LIIF model from ``path``, or the official checkpoint (fetched if missing), in eval mode.

    Its ``checkpoint_path`` and ``checkpoint_sha256`` say which file it came from.
    """
    if path is None:
        path = ensure_weights(DEFAULT_MODEL, say=say) if say else ensure_weights(DEFAULT_MODEL)
    path = Path(path)
    data = read_checkpoint(path)
    model = model_from_checkpoint(data, source=str(path))
    if not isinstance(model, LIIF):
        raise CheckpointError(f"{path} holds a {type(model).__name__}, not a LIIF model")
    model.checkpoint_path = str(path)
    model.checkpoint_sha256 = sha256_file(path)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.to(device)
