"""The fused channels_last encoder: exact equals the reference encoder; fast stays close; both stop when told."""

from __future__ import annotations

import pytest
import torch

from liif_viewer.cancel import Cancelled, CancelToken
from liif_viewer.model.fused_encoder import FusedEncoder, image_encoder


@pytest.fixture(scope="module")
def crop(sample_rgb):
    """A 72 x 80 crop of the sample, normalised as the encoder takes it."""
    rgb = torch.from_numpy(sample_rgb[200:272, 180:260].copy()).permute(2, 0, 1)[None]
    return (rgb - 0.5) / 0.5


def test_exact_equals_the_reference_encoder(model, crop):
    with torch.no_grad():
        ref = model.encoder(crop)
    for fused in (True, False):  # oneDNN's fused kernels, and plain conv2d in channels_last
        got = FusedEncoder(model.encoder, "exact", fused=fused)(crop)
        assert got.shape == ref.shape and got.dtype == torch.float32
        assert (got - ref).abs().max().item() <= 1e-4


def test_fused_and_plain_kernels_agree_bit_for_bit(model, crop):
    fused = FusedEncoder(model.encoder, "exact", fused=True)
    if not fused.fused:
        pytest.skip("oneDNN's fused convolutions are not available in this torch build")
    assert torch.equal(fused(crop), FusedEncoder(model.encoder, "exact", fused=False)(crop))


def test_fast_is_close_and_keeps_the_head_in_fp32(model, crop):
    with torch.no_grad():
        ref = model.encoder(crop)
    fast = FusedEncoder(model.encoder, "fast")
    assert fast.head.dtype == torch.float32 and fast.tail.dtype == torch.float32
    assert fast.blocks[0][0].dtype == torch.float32 and fast.blocks[-1][0].dtype == torch.bfloat16
    got = fast(crop)
    rel = ((got - ref).norm() / ref.norm()).item()
    assert 1e-5 < rel < 6e-3  # reduced precision, but only a little


def test_cancelled_between_residual_blocks(model, crop):
    calls = []

    def fourth_check() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        FusedEncoder(model.encoder, "exact")(crop, CancelToken(fourth_check))
    assert len(calls) == 4  # checked before each block: stopped before the fourth


def test_image_encoder_takes_rgb_like_model_encode(model, sample_rgb):
    rgb = torch.from_numpy(sample_rgb[:40, :50].copy()).permute(2, 0, 1)[None]
    with torch.no_grad():
        ref = model.encode(rgb)
    assert (image_encoder(model, "exact")(rgb) - ref).abs().max().item() <= 1e-4
