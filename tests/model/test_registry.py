"""The name → builder registry of the networks a checkpoint's spec may name."""

from __future__ import annotations

import pytest
from torch import nn

import liif_viewer.model  # noqa: F401  (registers the builders)
from liif_viewer.model.registry import UnknownModelError, build, known


def test_the_registered_networks_are_known():
    assert known() == ["edsr", "edsr-baseline", "liif", "mlp"]


def test_build_passes_the_spec_args_and_the_caller_overrides():
    spec = {"name": "mlp", "args": {"in_dim": 99, "out_dim": 3, "hidden_list": [8, 8]}}
    net = build(spec, in_dim=5)  # the caller's argument wins (LIIF sets the MLP's input width)
    assert [(lin.in_features, lin.out_features) for lin in net.linears] == [(5, 8), (8, 8), (8, 3)]
    assert spec["args"]["in_dim"] == 99  # the spec is not changed


@pytest.mark.parametrize("spec", [{"name": "rdn", "args": {}}, {"args": {}}])
def test_an_unknown_network_names_the_supported_ones(spec):
    with pytest.raises(UnknownModelError, match=r"unknown network .*supported: edsr, edsr-baseline, liif, mlp"):
        build(spec)
    assert issubclass(UnknownModelError, ValueError)


def test_builders_take_no_args_when_the_spec_has_none():
    assert isinstance(build({"name": "edsr-baseline", "args": None}), nn.Module)
