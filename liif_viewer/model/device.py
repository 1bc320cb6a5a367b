"""Choosing the torch device once, at the edge of the program."""

from __future__ import annotations

import torch

__all__ = ["pick_device", "describe_device"]


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cpu``/``cuda``/``cuda:N`` as given (CUDA checked)."""
    device = torch.device(("cuda" if torch.cuda.is_available() else "cpu") if name == "auto" else name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but this PyTorch build or machine has no CUDA device; use --device cpu")
    if device.type == "cuda":
        _no_tf32()
    return device


def _no_tf32() -> None:
    """Keep fp32 work in fp32 on CUDA: TF32 convolutions would move exact mode's features by ~1e-3.

    Fast mode chooses its reduced precision itself (fp16 hidden layers), so nothing else needs TF32.
    """
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def describe_device(device: torch.device) -> str:
    """Human name: ``CPU (2 threads)`` or ``CUDA: <GPU name>``."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return f"CPU ({torch.get_num_threads()} threads)"
