"""The paper's self-supervised training task (LIIF section 3.4) on a folder of the user's images.

Public API::

    from liif_viewer.learn import TrainConfig, Trainer, PatchSampler, load_images, start_state
    data = load_images("photos/", min_side=48)
    model, spec, opt_state, done = start_state("scratch")   # or a checkpoint path to fine-tune
    trainer = Trainer(model, spec, PatchSampler(data.images), TrainConfig(epochs=10), out="models/mine.pth")
    for step in trainer.run(): ...                            # progress; a checkpoint after each epoch
"""

from __future__ import annotations

from .train_data import PatchSampler, TrainDataError, TrainImages, load_images
from .trainer import (
    FINETUNE_LR,
    SCRATCH_SPEC,
    TrainConfig,
    Trainer,
    TrainStep,
    adam_state_for,
    lr_at,
    save_checkpoint,
    start_state,
)

__all__ = [
    "PatchSampler",
    "TrainDataError",
    "TrainImages",
    "load_images",
    "FINETUNE_LR",
    "SCRATCH_SPEC",
    "adam_state_for",
    "TrainConfig",
    "Trainer",
    "TrainStep",
    "lr_at",
    "save_checkpoint",
    "start_state",
]
