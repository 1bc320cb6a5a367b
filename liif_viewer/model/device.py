"""Choosing the torch device once, at the edge of the program."""

from __future__ import annotations

import torch

__all__ = ["pick_device", "describe_device"]


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` → CUDA when available, else CPU; ``cpu``/``cuda``/``cuda:N`` as given (CUDA checked)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but this PyTorch build or machine has no CUDA device; use --device cpu")
    return device


def describe_device(device: torch.device) -> str:
    """Human name: ``CPU (2 threads)`` or ``CUDA: <GPU name>``."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    return f"CPU ({torch.get_num_threads()} threads)"
