"""The self-supervised training task: samples, the loop, checkpoints that reload, resuming, fine-tuning."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from liif_viewer.files.image_io import to_uint8
from liif_viewer.learn import (
    FINETUNE_LR,
    PatchSampler,
    TrainConfig,
    TrainDataError,
    Trainer,
    load_images,
    lr_at,
    start_state,
)
from liif_viewer.learn.evaluate import upsample_liif
from liif_viewer.model import load_model
from liif_viewer.model.checkpoint import read_checkpoint
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.inspection import psnr
from tests.conftest import ROOT

#: A tiny LIIF (2 blocks of 16 features, 2 x 32 MLP) so a few dozen CPU steps take seconds.
TINY_SPEC = {
    "encoder_spec": {"name": "edsr-baseline", "args": {"n_resblocks": 2, "n_feats": 16, "no_upsampling": True}},
    "imnet_spec": {"name": "mlp", "args": {"out_dim": 3, "hidden_list": [32, 32]}},
}
TINY_CONFIG = TrainConfig(epochs=4, batch_size=4, patch=16, sample_q=128, repeat=8, lr=1e-3)


@pytest.fixture(scope="module")
def photos(sample_rgb, tmp_path_factory):
    """Four 64x64 crops of the bundled photo, as files."""
    folder = tmp_path_factory.mktemp("photos")
    for k, (y, x) in enumerate([(60, 200), (150, 150), (300, 320), (380, 60)]):
        Image.fromarray(to_uint8(sample_rgb[y:y + 64, x:x + 64])).save(folder / f"p{k}.png")
    return folder


def test_sample_is_a_bicubic_patch_with_hr_queries():
    hr = np.random.default_rng(0).integers(0, 256, (80, 70, 3), dtype=np.uint8)
    sample = PatchSampler((hr,), patch=16, scale_max=4.0, sample_q=200).sample(0, np.random.default_rng(1))
    assert sample["inp"].shape == (3, 16, 16) and sample["gt"].shape == (200, 3)
    assert sample["coord"].shape == sample["cell"].shape == (200, 2)
    assert sample["coord"].abs().max() < 1 and 0 <= sample["gt"].min() and sample["gt"].max() <= 1
    side = round(2 / float(sample["cell"][0, 0]))
    assert 16 <= side <= 64 and torch.all(sample["cell"] == 2 / side)
    assert len({tuple(c) for c in sample["coord"].tolist()}) == 200  # drawn without replacement


def test_targets_sit_at_their_coordinates_under_flips_and_transpose():
    # At scale 1 the LR patch is the HR crop itself, so every target must equal the LR pixel at its coordinate.
    hr = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    sampler = PatchSampler((hr,), patch=16, scale_max=1.0, sample_q=256)
    for seed in range(6):
        s = sampler.sample(0, np.random.default_rng(seed))
        rows = ((s["coord"][:, 0] + 1) * 8 - 0.5).round().long()
        cols = ((s["coord"][:, 1] + 1) * 8 - 0.5).round().long()
        torch.testing.assert_close(s["inp"][:, rows, cols].T, s["gt"], atol=1e-6, rtol=0)


def test_lr_halves_at_20_40_60_80_percent():
    config = TrainConfig(epochs=1000)
    assert [lr_at(e, config) for e in (1, 200, 201, 401, 801, 1000)] == [1e-4, 1e-4, 5e-5, 2.5e-5, 6.25e-6, 6.25e-6]
    assert lr_at(1, TrainConfig(epochs=1)) == 1e-4


def test_bad_folders_list_what_was_skipped(tmp_path):
    with pytest.raises(TrainDataError, match="the folder is empty"):
        load_images(tmp_path, 48)
    (tmp_path / "notes.txt").write_text("hello")
    Image.new("RGB", (40, 100)).save(tmp_path / "small.png")
    with pytest.raises(TrainDataError, match=r"skipped: notes.txt \(not an image\), small.png \(40x100, smaller"):
        load_images(tmp_path, 48)
    Image.new("RGB", (60, 50)).save(tmp_path / "ok.png")
    data = load_images(tmp_path, 48)
    assert data.names == ("ok.png",) and len(data.skipped) == 2


def _trainer(photos, tmp_path, epochs: int, resume: bool = False) -> Trainer:
    data = load_images(photos, TINY_CONFIG.patch)
    out = tmp_path / "tiny.pth"
    model, spec, opt, done = start_state("scratch", out if resume else None, scratch_spec=TINY_SPEC, seed=3)
    config = TrainConfig(**{**TINY_CONFIG.__dict__, "epochs": epochs})
    sampler = PatchSampler(data.images, config.patch, config.scale_max, config.sample_q)
    return Trainer(model, spec, sampler, config, out, "cpu", opt, done)


def test_small_model_learns_and_its_checkpoint_loads_in_the_viewer(photos, tmp_path, sample_rgb):
    torch.manual_seed(0)
    steps = list(_trainer(photos, tmp_path, epochs=4).run())
    assert len(steps) == 32 and [s.epoch for s in steps if s.saved] == [1, 2, 3, 4]
    losses = [s.loss for s in steps]
    assert np.mean(losses[-8:]) < 0.7 * np.mean(losses[:4]), losses

    data = read_checkpoint(tmp_path / "tiny.pth")
    assert data["model"]["name"] == "liif" and data["model"]["args"] == TINY_SPEC and data["epoch"] == 4
    assert data["optimizer"]["name"] == "adam" and "state" in data["optimizer"]["sd"]
    model = load_model(tmp_path / "tiny.pth")  # the viewer's loader (weights_only=True)
    out = model.render_grid(torch.from_numpy(sample_rgb[:24, :24].copy()).permute(2, 0, 1), 48, 48)
    assert out.shape == (48, 48, 3) and torch.isfinite(out).all()


def test_resumed_run_equals_an_uninterrupted_one(photos, tmp_path):
    straight = tmp_path / "straight"
    straight.mkdir()
    list(_trainer(photos, straight, epochs=2).run())
    list(_trainer(photos, tmp_path, epochs=1).run())
    resumed = _trainer(photos, tmp_path, epochs=2, resume=True)
    assert resumed.epochs_done == 1
    assert [s.epoch for s in resumed.run()][0] == 2
    a = read_checkpoint(straight / "tiny.pth")["model"]["sd"]
    b = read_checkpoint(tmp_path / "tiny.pth")["model"]["sd"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=1e-6, rtol=0)


def test_finetuning_official_on_one_photo_does_not_lower_its_psnr(model, sample_rgb, tmp_path):
    hr = to_uint8(sample_rgb[120:216, 150:246])  # 96x96 of face and suit
    Image.fromarray(hr).save(tmp_path / "face.png")
    lr = np.asarray(Image.fromarray(hr).resize((24, 24), Image.Resampling.BICUBIC))

    def psnr_x4(m: torch.nn.Module) -> float:
        return psnr(upsample_liif(RenderEngine(m, "cpu"), lr, 96, 96), hr / 255.0)

    before = psnr_x4(model)
    tuned, spec, adam, _ = start_state(model.checkpoint_path)
    assert adam is not None and len(adam["state"]) == len(list(tuned.parameters()))  # the official Adam moments
    config = TrainConfig(epochs=1, batch_size=2, patch=32, sample_q=1024, repeat=8, lr=FINETUNE_LR)
    sampler = PatchSampler(load_images(tmp_path, 32).images, config.patch, config.scale_max, config.sample_q)
    list(Trainer(tuned, spec, sampler, config, tmp_path / "tuned.pth", "cpu", adam).run())
    after = psnr_x4(load_model(tmp_path / "tuned.pth"))
    assert after >= before, (before, after)


def test_training_and_eval_import_no_qt():
    code = ("import sys, liif_viewer.learn, liif_viewer.learn.evaluate, liif_viewer.cli.learn\n"
            "sys.exit(any(m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
