"""The one atomic writer: the file appears whole or not at all, with the usual permissions."""

from __future__ import annotations

import os

import pytest

from liif_viewer.files.atomic import atomic_write, umask


def test_the_file_appears_on_a_clean_exit_with_the_usual_permissions(tmp_path):
    target = tmp_path / "out.png"
    with atomic_write(target) as part:
        assert part.parent == tmp_path and part.name.endswith(".part.png")  # the extension stays last
        assert not target.exists()
        part.write_bytes(b"whole")
    assert target.read_bytes() == b"whole"
    assert os.stat(target).st_mode & 0o777 == 0o666 & ~umask()
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_a_failure_or_a_cancel_leaves_the_old_file_and_no_temporary(tmp_path, error):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(error), atomic_write(target) as part:
        part.write_bytes(b"half")
        raise error
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_a_folder_that_does_not_exist_fails_before_any_work(tmp_path):
    with pytest.raises(OSError):
        atomic_write(tmp_path / "missing" / "out.png")
