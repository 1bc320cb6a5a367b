"""LIIF: Local Implicit Image Function (Chen, Liu & Wang, CVPR 2021, section 3).

An encoder turns an image into a grid of latent codes (``encode``); an MLP
decodes RGB at any continuous coordinate from the codes near it
(``query_rgb``). This file is the *reference* implementation: it follows the
paper's formulation step by step (feature unfolding, local ensemble, cell
decoding) with ``grid_sample`` lookups, and every faster path in
``liif_viewer.render`` is tested against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from .coords import grid_cell, grid_norm_yx, make_coord

__all__ = ["LIIF", "INPUT_MEAN", "INPUT_STD"]

# The official training normalises inputs and targets as (x - 0.5) / 0.5.
INPUT_MEAN = 0.5
INPUT_STD = 0.5

# Nudges of the official implementation, kept bit for bit: a shift that breaks
# ties at exact cell edges towards the next code, and a clamp that keeps
# shifted queries inside the grid.
_EDGE_EPS = 1e-6
_AREA_EPS = 1e-9


class LIIF(nn.Module):
    """Encoder + decoding MLP. Stateless: features are returned, never stored on the module."""

    #: The checkpoint file it was loaded from and its sha256 (set by :func:`liif_viewer.model.load_model`;
    #: empty for a model built in memory).
    checkpoint_path: str = ""
    checkpoint_sha256: str = ""

    def __init__(
        self,
        encoder: nn.Module,
        imnet: nn.Module,
        local_ensemble: bool = True,
        feat_unfold: bool = True,
        cell_decode: bool = True,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.imnet = imnet
        self.local_ensemble = local_ensemble
        self.feat_unfold = feat_unfold
        self.cell_decode = cell_decode

    @property
    def feat_dim(self) -> int:
        """Channels of the encoder's latent codes (64 for EDSR-baseline)."""
        return int(self.encoder.out_dim)

    def encode(self, rgb: torch.Tensor) -> torch.Tensor:
        """RGB in [0, 1], (3, H, W) or (B, 3, H, W) → latent codes (B, C, H, W)."""
        if rgb.dim() == 3:
            rgb = rgb.unsqueeze(0)
        return self.encoder((rgb - INPUT_MEAN) / INPUT_STD)

    def unfold(self, feat: torch.Tensor) -> torch.Tensor:
        """Feature unfolding: each code becomes the concatenation of its 3x3 neighbourhood (zero padded)."""
        if not self.feat_unfold:
            return feat
        b, c, h, w = feat.shape
        return F.unfold(feat, 3, padding=1).view(b, c * 9, h, w)

    def query_rgb(
        self, feat: torch.Tensor, norm_yx: torch.Tensor, cell: torch.Tensor, unfolded: bool = False
    ) -> torch.Tensor:
        """Decode at ``norm_yx`` (B, N, 2) with ``cell`` (B, N, 2) → raw output (B, N, 3), normalised space.

        ``feat`` are the encoder's codes (B, C, h, w), or already unfolded ones when ``unfolded``.
        """
        if not unfolded:
            feat = self.unfold(feat)
        b, _, h, w = feat.shape
        n = norm_yx.shape[1]
        code_yx = torch.stack(
            torch.meshgrid(make_coord(h, feat.device), make_coord(w, feat.device), indexing="ij"), dim=0
        ).unsqueeze(0).expand(b, 2, h, w)
        grid_scale = torch.tensor([h, w], device=feat.device, dtype=norm_yx.dtype)

        # Local ensemble: the four codes around the query (one step of half a
        # code each way along rows and columns); otherwise the nearest one.
        half_row, half_col = 1.0 / h, 1.0 / w
        steps = [(-1, -1), (-1, 1), (1, -1), (1, 1)] if self.local_ensemble else [(0, 0)]
        preds: list[torch.Tensor] = []
        areas: list[torch.Tensor] = []
        for step_row, step_col in steps:
            shifted = norm_yx.clone()
            shifted[..., 0] += step_row * half_row + _EDGE_EPS
            shifted[..., 1] += step_col * half_col + _EDGE_EPS
            shifted.clamp_(-1 + _EDGE_EPS, 1 - _EDGE_EPS)
            grid_xy = shifted.flip(-1).unsqueeze(1)  # grid_sample wants (x, y)
            q_feat = F.grid_sample(feat, grid_xy, mode="nearest", align_corners=False)[:, :, 0, :].permute(0, 2, 1)
            q_yx = F.grid_sample(code_yx, grid_xy, mode="nearest", align_corners=False)[:, :, 0, :].permute(0, 2, 1)
            # Offset from the code's centre, in units of latent cells.
            rel_yx = (norm_yx - q_yx) * grid_scale
            parts = [q_feat, rel_yx]
            if self.cell_decode:
                parts.append(cell * grid_scale)
            pred = self.imnet(torch.cat(parts, dim=-1).view(b * n, -1)).view(b, n, -1)
            preds.append(pred)
            areas.append((rel_yx[..., 0] * rel_yx[..., 1]).abs() + _AREA_EPS)

        total = torch.stack(areas).sum(dim=0)
        if self.local_ensemble:
            # Each prediction is weighted by the area of the rectangle between the
            # query and the *diagonally opposite* code, so a code's weight grows
            # as the query approaches it: bilinear interpolation of predictions.
            areas = [areas[3], areas[2], areas[1], areas[0]]
        out = torch.zeros_like(preds[0])
        for pred, area in zip(preds, areas, strict=True):
            out = out + pred * (area / total).unsqueeze(-1)
        return out

    def query(self, feat: torch.Tensor, norm_yx: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        """Like ``query_rgb`` but returns RGB in [0, 1] units (not clamped)."""
        return self.query_rgb(feat, norm_yx, cell) * INPUT_STD + INPUT_MEAN

    @torch.no_grad()
    def iter_grid(
        self, feat: torch.Tensor, height: int, width: int, batch_size: int = 16384
    ) -> Iterator[tuple[int, torch.Tensor]]:
        """Render a ``height`` x ``width`` grid in batches; yields (first flat index, RGB (n, 3)).

        Memory is bounded by ``batch_size`` queries plus the unfolded features.
        """
        unfolded = self.unfold(feat[:1])
        norm_yx = grid_norm_yx(height, width, feat.device)
        cell = grid_cell(height, width, 1, feat.device)
        total = height * width
        for start in range(0, total, batch_size):
            coords = norm_yx[start : start + batch_size].unsqueeze(0)
            cells = cell.expand(coords.shape[1], 2).unsqueeze(0)
            raw = self.query_rgb(unfolded, coords, cells, unfolded=True)
            yield start, (raw[0] * INPUT_STD + INPUT_MEAN)

    @torch.no_grad()
    def render_grid(
        self,
        rgb: torch.Tensor,
        height: int,
        width: int,
        batch_size: int = 16384,
        progress: Callable[[int, int], None] | None = None,
    ) -> torch.Tensor:
        """Whole-image helper: RGB (3, h, w) in [0, 1] → RGB (height, width, 3), clamped to [0, 1]."""
        feat = self.encode(rgb)
        out = torch.empty(height * width, 3, device=feat.device)
        for start, block in self.iter_grid(feat, height, width, batch_size):
            out[start : start + block.shape[0]] = block
            if progress is not None:
                progress(start + block.shape[0], height * width)
        return out.clamp_(0, 1).view(height, width, 3)
