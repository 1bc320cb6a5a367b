"""Reading LIIF-format checkpoints safely: hash first, ``weights_only`` always.

A LIIF checkpoint is a dict whose ``"model"`` entry carries its own spec:
``{"name": "liif", "args": {...encoder_spec, imnet_spec...}, "sd": state_dict}``.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import builders as _builders  # noqa: F401  (registers the networks)
from .registry import UnknownModelError, build

__all__ = ["CheckpointError", "sha256_file", "read_checkpoint", "model_from_checkpoint"]

_WRAPPER_PREFIXES = ("module.", "_orig_mod.")


class CheckpointError(RuntimeError):
    """A checkpoint file cannot be used; the message says why and what to do."""


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def read_checkpoint(path: Path, expected_sha256: str | None = None) -> dict[str, Any]:
    """Verify (when a hash is given) and load a checkpoint with ``weights_only=True``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if expected_sha256 is not None:
        actual = sha256_file(path)
        if actual != expected_sha256:
            raise CheckpointError(
                f"checkpoint {path} has sha256 {actual}, expected {expected_sha256}; "
                "the file is damaged or not the expected one. Delete it and run "
                "`python main.py fetch-weights`."
            )
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"refused to load {path}: it needs to run pickled code, which is unsafe "
            f"(weights_only=True found: {str(exc).splitlines()[0]}). No unsafe fallback is tried; "
            "use a checkpoint that holds only tensors and plain values."
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"cannot read checkpoint {path} (truncated or not a PyTorch file?): {str(exc).splitlines()[0]}"
        ) from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} is not a LIIF checkpoint (top level is {type(data).__name__})")
    return data


def _strip_prefixes(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        for prefix in _WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix):]
        out[key] = value
    return out


def model_from_checkpoint(data: dict[str, Any], source: str = "checkpoint") -> nn.Module:
    """Build the network a checkpoint's spec names and load its weights (strictly)."""
    spec = data.get("model")
    if not isinstance(spec, dict) or "sd" not in spec or "name" not in spec:
        raise CheckpointError(
            f"{source} is not in LIIF format: expected a 'model' entry with 'name', 'args' and 'sd'"
        )
    try:
        model = build({"name": spec["name"], "args": spec.get("args") or {}})
    except UnknownModelError as exc:
        raise CheckpointError(f"{source}: {exc}") from None
    except TypeError as exc:
        raise CheckpointError(f"{source}: unsupported network arguments ({exc})") from None
    state = _strip_prefixes(spec["sd"])
    # The mean-shift layers are stored but never used by LIIF's forward pass.
    state = {k: v for k, v in state.items() if not k.startswith(("encoder.sub_mean.", "encoder.add_mean."))}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{source}: weights do not fit the network its spec names: {exc}") from None
    return model.eval()
