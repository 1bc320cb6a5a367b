"""EDSR-baseline encoder (Lim et al. 2017) as LIIF uses it: no upsampling tail.

64 feature channels, 16 residual blocks (conv-ReLU-conv, residual scale 1),
a body-closing convolution and a global skip. The official checkpoint also
stores ``sub_mean``/``add_mean`` (RGB mean shift) weights; LIIF's forward pass
never applies them, so they are accepted and ignored here.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["EDSRBaseline"]


def _conv3x3(in_ch: int, out_ch: int) -> nn.Conv2d:
    return nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1, bias=True)


class ResBlock(nn.Module):
    """conv → ReLU → conv, added to the input (scaled by ``res_scale``)."""

    def __init__(self, n_feats: int, res_scale: float = 1.0) -> None:
        super().__init__()
        # Indices 0 and 2 match the checkpoint's ``body.N.body.{0,2}`` names.
        self.body = nn.Sequential(_conv3x3(n_feats, n_feats), nn.ReLU(inplace=True), _conv3x3(n_feats, n_feats))
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) * self.res_scale if self.res_scale != 1.0 else x + self.body(x)


class EDSRBaseline(nn.Module):
    """Image (B, 3, H, W), already normalised, → features (B, n_feats, H, W)."""

    receptive_radius: int  # pixels of context each output feature sees on each side

    def __init__(self, n_resblocks: int = 16, n_feats: int = 64, res_scale: float = 1.0) -> None:
        super().__init__()
        self.out_dim = n_feats
        self.head = nn.Sequential(_conv3x3(3, n_feats))
        blocks: list[nn.Module] = [ResBlock(n_feats, res_scale) for _ in range(n_resblocks)]
        blocks.append(_conv3x3(n_feats, n_feats))
        self.body = nn.Sequential(*blocks)
        # head (1) + two convs per block + closing conv: each 3x3 conv widens by one pixel.
        self.receptive_radius = 1 + 2 * n_resblocks + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(x)
        return self.body(x) + x
