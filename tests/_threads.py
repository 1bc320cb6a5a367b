"""One torch thread for the eval and train tests: small model calls on a busy 2-core machine run
several times faster without OpenMP threads waiting on each other."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Run the test with one torch thread, then restore the count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
