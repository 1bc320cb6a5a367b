"""The registered builders: LIIF around an encoder and MLP, its MLP input width following the options."""

from __future__ import annotations

import pytest

from liif_viewer.model import LIIF
from liif_viewer.model.registry import UnknownModelError, build

MLP = {"name": "mlp", "args": {"out_dim": 3, "hidden_list": [16]}}
SMALL_EDSR = {"name": "edsr-baseline", "args": {"n_resblocks": 2, "n_feats": 8, "no_upsampling": True}}


@pytest.mark.parametrize(("options", "in_dim"), [
    ({}, 8 * 9 + 2 + 2),  # unfolded 3x3 codes, relative coordinate, cell
    ({"feat_unfold": False}, 8 + 2 + 2),
    ({"cell_decode": False}, 8 * 9 + 2),
])
def test_liif_sizes_its_mlp_for_the_encoder_and_options(options, in_dim):
    net = build({"name": "liif", "args": {"encoder_spec": SMALL_EDSR, "imnet_spec": MLP, **options}})
    assert isinstance(net, LIIF)
    assert net.imnet.linears[0].in_features == in_dim and net.imnet.linears[-1].out_features == 3
    assert net.feat_unfold == options.get("feat_unfold", True)
    assert net.cell_decode == options.get("cell_decode", True) and net.local_ensemble


def test_the_edsr_builders_follow_the_official_sizes():
    baseline, full = build({"name": "edsr-baseline", "args": {}}), build({"name": "edsr", "args": {}})
    assert baseline.out_dim == 64 and full.out_dim == 256
    assert len(list(baseline.parameters())) < len(list(full.parameters()))


def test_encoders_that_upsample_and_liif_without_an_mlp_are_refused():
    with pytest.raises(UnknownModelError, match="no_upsampling"):
        build({"name": "edsr-baseline", "args": {"no_upsampling": False}})
    with pytest.raises(UnknownModelError, match="without an MLP"):
        build({"name": "liif", "args": {"encoder_spec": SMALL_EDSR}})
