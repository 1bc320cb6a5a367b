"""Shared fixtures: the official model (fetched by the set-up command), data paths, headless Qt."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
#: ../shared beside the checkout; LIIF_VIEWER_SHARED points elsewhere (e.g. from a git worktree).
SHARED = Path(os.environ.get("LIIF_VIEWER_SHARED", ROOT.parent / "shared"))
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
    from liif_viewer.render.image_io import load_image

    return load_image(SAMPLE).rgb


def shared_dir(*parts: str) -> Path:
    """A folder of ../shared, or skip the test saying why."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: benchmark data lives in ../shared beside the checkout")
    return path
