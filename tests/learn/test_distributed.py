"""Training under torchrun (DDP, gloo on two CPU processes): the ranks stay identical, the run equals one
process on the same global batches, only rank 0 writes, and resuming works the same."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from liif_viewer.learn import PatchSampler, Trainer, load_images, start_state
from liif_viewer.learn.distributed import from_env, shard
from liif_viewer.model.checkpoint import read_checkpoint
from tests.conftest import ROOT
from tests.learn.test_train import TINY_CONFIG, TINY_SPEC, photos  # noqa: F401  (fixture)

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="this torch has no torch.distributed")


def _torchrun(*args: str, timeout_s: float = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", *args]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout_s)


def test_two_ranks_stay_identical_and_match_one_process(photos, tmp_path):  # noqa: F811
    proc = _torchrun("tests/learn/ddp_worker.py", str(photos), str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    weights = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    for key in weights[0]:
        assert torch.equal(weights[0][key], weights[1][key]), key
    assert ranks[0]["losses"] == ranks[1]["losses"]  # every rank reports the global mean
    assert ranks[0]["saved"] == [str(tmp_path / "ddp.pth")] * 2 and ranks[1]["saved"] == []  # rank 0 writes
    assert ranks[0]["resumed_at"] == 1 and read_checkpoint(tmp_path / "ddp.pth")["epoch"] == 2

    cfg = TINY_CONFIG
    sampler = PatchSampler(load_images(photos, cfg.patch).images, cfg.patch, cfg.scale_max, cfg.sample_q)
    model, spec, _, _ = start_state("scratch", scratch_spec=TINY_SPEC, seed=0)
    single = Trainer(model, spec, sampler, dataclasses.replace(cfg, epochs=2), tmp_path / "single.pth")
    losses = [s.loss for s in single.run()]
    assert len(losses) == len(ranks[0]["losses"]) == 16
    np.testing.assert_allclose(ranks[0]["losses"], losses, rtol=1e-4)
    assert losses[-1] < losses[0]  # it learned something, so the comparison is not of two constants
    for key, value in model.state_dict().items():
        torch.testing.assert_close(weights[0][key], value, atol=2e-5, rtol=1e-4)


def test_cli_train_under_torchrun_prints_once_and_resumes(tmp_path):
    data = tmp_path / "photos"
    data.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (52, 56, 3), dtype=np.uint8)).save(data / "a.png")
    out = tmp_path / "mine.pth"
    args = ["main.py", "train", "--data", str(data), "--init", "scratch", "--out", str(out), "--batch-size", "2",
            "--repeat", "2", "--device", "cpu"]
    proc = _torchrun(*args, "--epochs", "1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("epoch 1/1  loss ") == 1 and "s/step" in proc.stdout  # rank 0 alone prints
    assert "on cpu x 2 processes (gloo)" in proc.stderr
    proc = _torchrun(*args, "--epochs", "2", "--resume")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "resuming" in proc.stderr and proc.stdout.count("epoch 2/2  loss ") == 1
    assert read_checkpoint(out)["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.pth", "photos"]  # no stray temporary files


def test_global_batches_split_evenly_and_pad_like_distributed_sampler():
    assert shard([0, 1, 2, 3], 0, 2, wrap=10) == [0, 1] and shard([0, 1, 2, 3], 1, 2, wrap=10) == [2, 3]
    assert shard([8, 9], 1, 2, wrap=10) == [9]
    assert shard([0, 1, 2], 0, 2, wrap=3) == [0, 1] and shard([0, 1, 2], 1, 2, wrap=3) == [2, 0]  # padded


def test_alone_there_is_no_process_group(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert from_env("cpu") is None
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert from_env("cpu") is None
