"""The training loop of LIIF's ``train_liif.py``, as a resumable generator of progress reports.

L1 loss between the MLP's raw output and the target in the model's normalised space
((rgb - 0.5) / 0.5); Adam at lr 1e-4, halved at 20/40/60/80 % of the epochs (the
official 200/400/600/800 of 1000). An epoch draws ``repeat`` patches per image
(the official ``repeat: 20``). After every epoch the checkpoint is written atomically
in the LIIF format ``load_model`` reads, with the optimizer state and epoch for resuming.
Under ``torchrun`` (see ``distributed.py``) every rank draws the same random stream and cuts
only its share of each global batch, so the run takes the same steps as one process would.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..files.atomic import atomic_write
from ..model import LIIF
from ..model.checkpoint import CheckpointError, model_from_checkpoint, read_checkpoint
from ..model.liif import INPUT_MEAN, INPUT_STD
from .distributed import DistContext, global_mean, shard
from .train_data import PatchSampler

__all__ = ["TrainConfig", "TrainStep", "Trainer", "SCRATCH_SPEC", "lr_at", "save_checkpoint", "start_state",
           "adam_state_for", "FINETUNE_LR"]

#: The official ``edsr-baseline-liif`` architecture (EDSR-baseline encoder, 4 x 256 MLP).
SCRATCH_SPEC: dict[str, Any] = {
    "encoder_spec": {"name": "edsr-baseline", "args": {"no_upsampling": True}},
    "imnet_spec": {"name": "mlp", "args": {"out_dim": 3, "hidden_list": [256, 256, 256, 256]}},
}


#: Default learning rate when fine-tuning a trained model: between the last two rates of the
#: official schedule (1.25e-5, 6.25e-6); the paper's 1e-4 would first undo some of its training.
FINETUNE_LR = 1e-5


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of a run (the official values by default)."""

    epochs: int = 100
    batch_size: int = 16
    patch: int = 48  # LR patch side, px
    scale_max: float = 4.0  # HR crop = patch x U(1, scale_max)
    sample_q: int = 2304  # HR pixels queried per patch
    repeat: int = 20  # patches per image per epoch
    lr: float = 1e-4
    augment: bool = True
    seed: int = 0


@dataclass(frozen=True)
class TrainStep:
    """Progress of one optimisation step; ``epoch_loss`` is set on the last step of an epoch."""

    epoch: int  # 1-based
    step: int  # 1-based within the epoch
    steps: int  # steps in this epoch
    loss: float  # L1, normalised units
    lr: float
    epoch_loss: float | None = None  # mean loss of the finished epoch
    saved: Path | None = None  # checkpoint written after the epoch


def lr_at(epoch: int, config: TrainConfig) -> float:
    """Learning rate of 1-based ``epoch``: halved after each 20 % of the run."""
    milestones = [round(config.epochs * k / 5) for k in range(1, 5)]
    return config.lr * 0.5 ** sum(epoch > m for m in milestones if m >= 1)


def save_checkpoint(path: Path, model: LIIF, spec_args: dict[str, Any], optimizer: torch.optim.Optimizer,
                    epoch: int, config: TrainConfig) -> Path:
    """Write ``{"model": {name, args, sd}, "optimizer": {name, args, sd}, "epoch", "train_config"}`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    data = {
        "model": {"name": "liif", "args": copy.deepcopy(spec_args), "sd": state},
        "optimizer": {"name": "adam", "args": {"lr": config.lr}, "sd": optimizer.state_dict()},
        "epoch": epoch,
        "train_config": asdict(config),
    }
    with atomic_write(path) as part:
        torch.save(data, part)
    return path


def start_state(init: str | Path | None, resume: Path | None = None, scratch_spec: dict[str, Any] | None = None,
                seed: int = 0) -> tuple[LIIF, dict[str, Any], dict | None, int]:
    """(model, spec args, optimizer state or None, epochs done) to start or resume a run.

    ``resume`` (a checkpoint written by this trainer) wins; else ``init`` is ``"scratch"``
    (``scratch_spec``, by default the official architecture, with random weights from ``seed``)
    or a LIIF checkpoint path to fine-tune (with its Adam state when it has one that fits).
    """
    if resume is not None:
        data = read_checkpoint(resume)
        optimizer = data.get("optimizer")
        if not isinstance(optimizer, dict) or "sd" not in optimizer or "epoch" not in data:
            raise CheckpointError(f"{resume} has no optimizer state or epoch to resume from")
        return _trainable(model_from_checkpoint(data, str(resume))), data["model"]["args"], optimizer["sd"], int(
            data["epoch"])
    if init == "scratch" or init is None:
        from ..model.registry import build

        spec = copy.deepcopy(scratch_spec or SCRATCH_SPEC)
        torch.manual_seed(seed)
        return _trainable(build({"name": "liif", "args": copy.deepcopy(spec)})), spec, None, 0
    data = read_checkpoint(Path(init))
    model = _trainable(model_from_checkpoint(data, str(init)))
    return model, data["model"]["args"], adam_state_for(data, model), 0


def adam_state_for(data: dict[str, Any], model: LIIF) -> dict[str, Any] | None:
    """The checkpoint's Adam state re-indexed onto ``model``'s parameters, or None when none fits.

    Fine-tuning starts from these warm moments, so its first steps are not the full-size,
    sign-like steps of a fresh Adam. Official checkpoints index their state over every entry
    of the state dict, including EDSR's mean-shift layers that LIIF never trains (and this
    package does not build), hence the mapping by name.
    """
    opt = data.get("optimizer")
    sd = opt.get("sd") if isinstance(opt, dict) and opt.get("name") == "adam" else None
    groups = sd.get("param_groups") if isinstance(sd, dict) else None
    if not groups or len(groups) != 1:
        return None
    names = [k.removeprefix("module.") for k in data["model"]["sd"]]
    if len(names) != len(groups[0]["params"]):
        return None
    params = dict(model.named_parameters())
    index_of = {name: i for i, name in enumerate(params)}
    state = {}
    for position, index in enumerate(groups[0]["params"]):
        name, entry = names[position], sd.get("state", {}).get(index)
        if name in params and entry is not None:
            if entry["exp_avg"].shape != params[name].shape:
                return None
            state[index_of[name]] = entry
    if len(state) != len(params):
        return None
    group = {k: v for k, v in groups[0].items() if k != "params"}
    return {"state": state, "param_groups": [{**group, "params": list(range(len(params)))}]}


def _trainable(model: torch.nn.Module) -> LIIF:
    if not isinstance(model, LIIF):
        raise CheckpointError(f"expected a LIIF model, got {type(model).__name__}")
    for p in model.parameters():
        p.requires_grad_(True)
    return model


class _Predict(torch.nn.Module):
    """``model``'s prediction as a ``forward`` (what DistributedDataParallel wraps)."""

    def __init__(self, model: LIIF) -> None:
        super().__init__()
        self.model = model

    def forward(self, inp: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        return self.model.query_rgb(self.model.encode(inp), coord, cell)


class Trainer:
    """Runs epochs ``done + 1 .. config.epochs`` of ``model`` on ``sampler``, saving to ``out`` after each.

    With ``dist`` (a torchrun job) the model is wrapped in DistributedDataParallel, this rank trains on
    its share of every global batch of ``config.batch_size``, and only rank 0 writes the checkpoint.
    """

    def __init__(self, model: LIIF, spec_args: dict[str, Any], sampler: PatchSampler, config: TrainConfig,
                 out: Path, device: torch.device | str = "cpu", optimizer_state: dict | None = None,
                 epochs_done: int = 0, dist: DistContext | None = None) -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self.dist = dist
        self.net: torch.nn.Module = _Predict(self.model)
        if dist is not None:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = DistributedDataParallel(self.net, device_ids=ids)  # starts from rank 0's weights
        self.spec_args = spec_args
        self.sampler = sampler
        self.config = config
        self.out = Path(out)
        self.epochs_done = epochs_done
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        if optimizer_state is not None:
            self.optimizer.load_state_dict(optimizer_state)

    def steps_per_epoch(self) -> int:
        """Optimisation steps in one epoch."""
        return -(-len(self.sampler.images) * self.config.repeat // self.config.batch_size)

    def step(self, batch: dict[str, torch.Tensor]) -> float:
        """One Adam step on ``batch``; returns the L1 loss (normalised units)."""
        batch = {k: v.to(self.device, non_blocking=True) for k, v in batch.items()}
        pred = self.net(batch["inp"], batch["coord"], batch["cell"])
        loss = F.l1_loss(pred, (batch["gt"] - INPUT_MEAN) / INPUT_STD)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # under DDP: the gradients are averaged over the ranks here
        self.optimizer.step()
        return global_mean(loss.detach(), self.dist)

    def _batch(self, indices: list[int], rng: np.random.Generator) -> dict[str, torch.Tensor]:
        """This process's part of the global batch of image ``indices``: all of it when alone; under DDP
        every sample is drawn (the stream stays that of one process) and this rank's share is cut."""
        if self.dist is None:
            return self.sampler.batch(indices, rng)
        slots = shard(list(range(len(indices))), self.dist.rank, self.dist.world_size, wrap=len(indices))
        draws = {}
        for slot, index in enumerate(indices):
            draw = self.sampler.draw(index, rng)
            if slot in slots:
                draws[slot] = draw
        samples = [self.sampler.cut(indices[slot], draws[slot]) for slot in slots]
        return {key: torch.stack([s[key] for s in samples]) for key in samples[0]}

    def run(self) -> Iterator[TrainStep]:
        """Train the remaining epochs; yields after every step. Deterministic per (seed, epoch), so resumable."""
        cfg = self.config
        self.model.train()
        for epoch in range(self.epochs_done + 1, cfg.epochs + 1):
            lr = lr_at(epoch, cfg)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            rng = np.random.default_rng([cfg.seed, epoch])
            order = rng.permutation(np.repeat(np.arange(len(self.sampler.images)), cfg.repeat)).tolist()
            steps = self.steps_per_epoch()
            losses: list[float] = []
            for k in range(steps):
                loss = self.step(self._batch(order[k * cfg.batch_size:(k + 1) * cfg.batch_size], rng))
                losses.append(loss)
                if k + 1 < steps:
                    yield TrainStep(epoch, k + 1, steps, loss, lr)
            self.epochs_done = epoch
            saved = None
            if self.dist is None or self.dist.is_main:
                saved = save_checkpoint(self.out, self.model, self.spec_args, self.optimizer, epoch, cfg)
            if self.dist is not None:
                self.dist.barrier()  # the checkpoint is complete before any rank goes on (or resumes from it)
            yield TrainStep(epoch, steps, steps, losses[-1], lr, float(np.mean(losses)), saved)
        self.model.eval()
