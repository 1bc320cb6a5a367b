"""Training in several processes with ``torchrun`` (PyTorch DistributedDataParallel).

``torchrun --nproc-per-node N -m liif_viewer train ...`` starts N copies of the command; each finds
its rank in the environment torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT) and joins
one process group: NCCL when every process has its own GPU, gloo on CPUs. The global batch
(``--batch-size``) is split evenly across the ranks: every rank draws the random choices of the
whole batch from the same seeded stream as one process would and cuts only its own share, so a run
with N processes takes the same steps on the same samples as one process, and DDP averages the
gradients. Only rank 0 writes checkpoints and prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

__all__ = ["DistContext", "DistributedError", "from_env", "shard", "global_mean"]


class DistributedError(RuntimeError):
    """The process group could not be set up; ``str`` is a one-line reason."""


@dataclass(frozen=True)
class DistContext:
    """This process's place in a torchrun job."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    backend: str

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that writes checkpoints and prints."""
        return self.rank == 0

    def barrier(self) -> None:
        """Wait for every rank."""
        dist.barrier()

    def close(self) -> None:
        """Leave the process group."""
        if dist.is_initialized():
            dist.destroy_process_group()


def from_env(device: str = "auto", timeout_s: float = 1800.0) -> DistContext | None:
    """Join the torchrun job this process belongs to, or None when it runs alone (no WORLD_SIZE > 1).

    ``device``: ``auto`` takes the GPU of this rank's LOCAL_RANK when CUDA is present, else the CPU;
    ``cpu`` forces gloo on CPUs; ``cuda`` takes this rank's GPU.
    """
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return None
    try:
        rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    except (KeyError, ValueError):
        raise DistributedError("WORLD_SIZE is set but RANK is not: start the processes with torchrun") from None
    use_cuda = device != "cpu" and torch.cuda.is_available()
    if device.startswith("cuda") and not use_cuda:
        raise DistributedError(f"--device {device} asked for CUDA, which this machine does not have")
    if use_cuda:
        if local_rank >= torch.cuda.device_count():
            raise DistributedError(f"local rank {local_rank} has no GPU: this machine has "
                                   f"{torch.cuda.device_count()}; lower --nproc-per-node")
        target = torch.device("cuda", local_rank)
        torch.cuda.set_device(target)
    else:
        target = torch.device("cpu")
    backend = "nccl" if use_cuda else "gloo"
    try:
        dist.init_process_group(backend, rank=rank, world_size=world, timeout=timedelta(seconds=timeout_s))
    except (RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DistributedError(f"could not join the {backend} process group of {world} processes: {first}") from None
    return DistContext(rank, world, local_rank, target, backend)


def shard(positions: list[int], rank: int, world: int, wrap: int) -> list[int]:
    """This rank's equal share of one global batch of sample ``positions``.

    A batch that does not divide evenly is padded by repeating positions from its start (modulo
    ``wrap``), as torch's DistributedSampler pads, so every rank does the same work.
    """
    padded = list(positions)
    next_pos = positions[-1] + 1
    while len(padded) % world:
        padded.append(next_pos % wrap)
        next_pos += 1
    share = len(padded) // world
    return padded[rank * share:(rank + 1) * share]


def global_mean(value: torch.Tensor, ctx: DistContext | None) -> float:
    """Mean of a scalar over the ranks (itself when running alone)."""
    if ctx is None:
        return float(value)
    total = value.detach().clone().reshape(1).to(ctx.device)
    dist.all_reduce(total)
    return float(total) / ctx.world_size
