"""Choosing the torch device: ``auto`` picks CUDA only where there is one; asking for a missing one is a clear error."""

from __future__ import annotations

import pytest
import torch

from liif_viewer.model.device import describe_device, pick_device


def test_cpu_is_always_available_and_described_with_its_threads():
    device = pick_device("cpu")
    assert device == torch.device("cpu")
    assert describe_device(device) == f"CPU ({torch.get_num_threads()} threads)"


def test_auto_picks_cuda_only_when_there_is_one():
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device().type == pick_device("auto").type


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_it_says_what_to_do():
    for name in ("cuda", "cuda:1"):
        with pytest.raises(ValueError, match="no CUDA device; use --device cpu"):
            pick_device(name)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_keeps_fp32_work_in_fp32():
    device = pick_device("cuda")
    assert device.type == "cuda" and describe_device(device).startswith("CUDA: ")
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
