"""The LIIF decoding MLP: Linear-ReLU stacks ending in a Linear (no final activation)."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MLP"]


class MLP(nn.Module):
    """(N, in_dim) → (N, out_dim); for LIIF 580 → 256 ×4 → 3."""

    def __init__(self, in_dim: int, out_dim: int, hidden_list: list[int]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        last = in_dim
        for hidden in hidden_list:
            layers += [nn.Linear(last, hidden), nn.ReLU()]
            last = hidden
        layers.append(nn.Linear(last, out_dim))
        # Attribute name ``layers`` matches the checkpoint's ``imnet.layers.N`` keys.
        self.layers = nn.Sequential(*layers)

    @property
    def linears(self) -> list[nn.Linear]:
        """The Linear layers in order (the render engine folds and fuses them)."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
