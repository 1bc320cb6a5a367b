"""The process entry point ``run``: the command's exit status, glibc's malloc set for one-shot commands only."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

import liif_viewer.cli as cli


@pytest.fixture
def entry(monkeypatch):
    """``run`` with its process-wide steps recorded instead of taken (this is the test's process)."""
    calls = []
    monkeypatch.setattr(cli.gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(cli, "_keep_freed_memory", lambda: calls.append("malloc"))

    def run(*argv: str) -> int:
        monkeypatch.setattr(sys, "argv", ["liif-viewer", *argv])
        with pytest.raises(SystemExit) as exit_:
            cli.run()
        return exit_.value.code

    return run, calls


def test_a_command_keeps_freed_memory_and_exits_with_its_status(entry, tmp_path, capsys):
    run, calls = entry
    assert run("upscale", str(tmp_path / "missing.png"), "-o", str(tmp_path / "o.png"), "--scale", "2") == 1
    assert calls == ["malloc", "freeze"] and capsys.readouterr().err.startswith("error: ")


def test_the_viewer_and_its_bench_keep_glibcs_defaults(entry, tmp_path, capsys):
    run, calls = entry
    assert run("view", str(tmp_path / "missing.png"), "--screenshot", str(tmp_path / "s.png")) == 1
    assert calls == ["freeze"] and capsys.readouterr().err.startswith("error: ")
    calls.clear()
    assert run("bench", "--model", str(tmp_path / "missing.pth")) == 1
    assert calls == ["freeze"] and capsys.readouterr().err.startswith("error: ")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")
def test_the_malloc_settings_are_ones_glibc_takes():
    code = ("import ctypes, liif_viewer.cli as c; libc = ctypes.CDLL(None); "  # mallopt answers 0 when it refuses
            "print(libc.mallopt(c._M_MMAP_THRESHOLD, c._MMAP_THRESHOLD_BYTES), "
            "libc.mallopt(c._M_TRIM_THRESHOLD, c._TRIM_THRESHOLD_BYTES))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.split() == ["1", "1"], proc.stderr
