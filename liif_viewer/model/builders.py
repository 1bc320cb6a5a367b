"""Registered builders: the networks of LIIF checkpoints this package can run."""

from __future__ import annotations

from typing import Any

from torch import nn

from .encoder import EDSRBaseline
from .liif import LIIF
from .mlp import MLP
from .registry import UnknownModelError, build, register


def _check_no_upsampling(no_upsampling: bool) -> None:
    if not no_upsampling:
        raise UnknownModelError("LIIF encoders must be built with no_upsampling=True (feature output)")


@register("edsr-baseline")
def edsr_baseline(n_resblocks: int = 16, n_feats: int = 64, res_scale: float = 1.0,
                  no_upsampling: bool = True, **_: Any) -> nn.Module:
    """EDSR-baseline: 16 blocks of 64 features (the official ``edsr-baseline-liif.pth``)."""
    _check_no_upsampling(no_upsampling)
    return EDSRBaseline(n_resblocks, n_feats, res_scale)


@register("edsr")
def edsr(n_resblocks: int = 32, n_feats: int = 256, res_scale: float = 0.1,
         no_upsampling: bool = True, **_: Any) -> nn.Module:
    """Full EDSR: 32 blocks of 256 features, residual scale 0.1 (``edsr-liif.pth``)."""
    _check_no_upsampling(no_upsampling)
    return EDSRBaseline(n_resblocks, n_feats, res_scale)


@register("mlp")
def mlp(in_dim: int, out_dim: int, hidden_list: list[int]) -> nn.Module:
    """Decoding MLP."""
    return MLP(in_dim, out_dim, list(hidden_list))


@register("liif")
def liif(encoder_spec: dict[str, Any], imnet_spec: dict[str, Any] | None = None,
         local_ensemble: bool = True, feat_unfold: bool = True, cell_decode: bool = True) -> nn.Module:
    """LIIF around a registered encoder and MLP; the MLP's input width follows the options."""
    encoder = build(encoder_spec)
    if imnet_spec is None:
        raise UnknownModelError("LIIF checkpoints without an MLP (imnet_spec) are not supported")
    in_dim = encoder.out_dim * (9 if feat_unfold else 1) + 2 + (2 if cell_decode else 0)
    imnet = build(imnet_spec, in_dim=in_dim)
    return LIIF(encoder, imnet, local_ensemble, feat_unfold, cell_decode)
