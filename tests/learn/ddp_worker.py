"""One rank of the 2-process DDP test, started by torchrun from test_distributed.py.

Trains the tiny model one epoch, then resumes from the checkpoint rank 0 wrote for a second
epoch (the resume path of a real run), and leaves its weights and losses in OUT_DIR for the test.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import torch

from liif_viewer.learn import PatchSampler, Trainer, load_images, start_state
from liif_viewer.learn.distributed import from_env
from tests.learn.test_train import TINY_CONFIG, TINY_SPEC


def main() -> None:
    photos, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    torch.set_num_threads(1)
    ctx = from_env("cpu")
    assert ctx is not None and ctx.world_size == 2 and ctx.backend == "gloo"
    cfg = TINY_CONFIG
    sampler = PatchSampler(load_images(photos, cfg.patch).images, cfg.patch, cfg.scale_max, cfg.sample_q)
    out = out_dir / "ddp.pth"
    # Rank 1 starts from other random weights: DDP must replace them with rank 0's.
    model, spec, _, _ = start_state("scratch", scratch_spec=TINY_SPEC, seed=0 if ctx.rank == 0 else 123)
    first = Trainer(model, spec, sampler, dataclasses.replace(cfg, epochs=1), out, dist=ctx)
    steps = list(first.run())
    model, spec, opt_state, done = start_state(None, resume=out)
    second = Trainer(model, spec, sampler, dataclasses.replace(cfg, epochs=2), out, optimizer_state=opt_state,
                     epochs_done=done, dist=ctx)
    steps += list(second.run())
    torch.save(model.state_dict(), out_dir / f"rank{ctx.rank}.pt")
    report = {"losses": [s.loss for s in steps], "saved": [str(s.saved) for s in steps if s.saved], "resumed_at": done}
    (out_dir / f"rank{ctx.rank}.json").write_text(json.dumps(report))
    ctx.close()


if __name__ == "__main__":
    main()
