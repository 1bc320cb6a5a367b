"""Shared fixtures: the official model (fetched by the set-up command), data paths, small images, headless Qt."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
#: ../shared beside the checkout, or $LIIF_VIEWER_SHARED_DIR (a checkout elsewhere, e.g. a git worktree)
SHARED = Path(os.environ.get("LIIF_VIEWER_SHARED_DIR") or ROOT.parent / "shared")
SAMPLE = ROOT / "resources" / "sample-astronaut.png"


@pytest.fixture(scope="session")
def model():
    """The official LIIF model on the CPU (weights from models/, fetched by scripts/setup.sh)."""
    import torch

    from liif_viewer.model import load_model

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    return load_model()


@pytest.fixture(scope="session")
def reference_cases() -> dict[str, dict[str, np.ndarray]]:
    """The official model's outputs in tests/data (copied from shared/reference)."""
    return {p.stem: dict(np.load(p)) for p in sorted(DATA.glob("*.npz"))}


@pytest.fixture(scope="session")
def sample_rgb() -> np.ndarray:
    """The bundled sample photo as float RGB (512, 512, 3)."""
    from liif_viewer.files.image_io import load_image

    return load_image(SAMPLE).rgb


def write_crop(path: Path, x: int, y: int, width: int, height: int) -> Path:
    """A crop of the sample photo (real detail, small enough for fast LIIF renders)."""
    Image.open(SAMPLE).convert("RGB").crop((x, y, x + width, y + height)).save(path)
    return path


@pytest.fixture
def face_png(tmp_path) -> Path:
    """96 x 72 px of the astronaut's face."""
    return write_crop(tmp_path / "face.png", 180, 90, 96, 72)


@pytest.fixture
def noise_png(tmp_path) -> Path:
    """64 x 48 px of random colours: any resampling shows."""
    rng = np.random.default_rng(4)
    path = tmp_path / "noise.png"
    Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(path)
    return path


def shared_dir(*parts: str) -> Path:
    """A folder of ../shared, or skip the test saying why."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: benchmark data lives in ../shared beside the checkout")
    return path


def saturated_rgb(width: int, height: int, seed: int = 0) -> np.ndarray:
    """24-px blocks of saturated colours (the issue's red 210,57,59, primaries, yellow, magenta, cyan,
    near black) with fine diagonal stripes and a little noise: float32 (height, width, 3) in [0, 1].

    LIIF queried with cells of several input pixels turns such a picture pastel (issue 13).
    """
    rng = np.random.default_rng(seed)
    colours = np.array([[210, 57, 59], [255, 0, 0], [0, 200, 40], [20, 30, 230], [250, 220, 0],
                        [230, 0, 200], [0, 220, 230], [5, 5, 10]], np.float32) / 255
    yy, xx = np.mgrid[0:height, 0:width]
    image = colours[((xx // 24) + 3 * (yy // 24)) % len(colours)]
    image = np.where((((xx + yy) // 3) % 2 == 0)[..., None], image * 0.7, image)
    image += rng.normal(0, 0.03, image.shape)
    return np.clip(image, 0, 1).astype(np.float32)
