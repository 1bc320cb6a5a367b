"""Recordings: GIF, APNG and MP4 written whole or not at all, with a clear error."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from liif_viewer.files.record import RecordError, write_animation


@pytest.mark.parametrize("suffix", [".gif", ".png", ".mp4"])
def test_recordings_are_readable_with_the_frame_count(tmp_path, suffix):
    rng = np.random.default_rng(0)
    frames = [np.full((31, 47, 3), k * 40, np.uint8) + rng.integers(0, 5, (31, 47, 3), dtype=np.uint8)
              for k in range(5)]
    path = tmp_path / f"anim{suffix}"
    assert write_animation(path, iter(frames), fps=10) == 5
    if suffix == ".mp4":
        av = pytest.importorskip("av")
        with av.open(str(path)) as container:
            decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert len(decoded) == 5 and decoded[0].shape == (32, 48, 3)  # padded to even sizes
        assert abs(int(decoded[3][5, 5, 0]) - 121) < 12
    else:
        with Image.open(path) as img:
            assert img.n_frames == 5 and img.size == (47, 31)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_failed_recording_leaves_nothing(tmp_path):
    def frames():
        yield np.zeros((8, 8, 3), np.uint8)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_animation(tmp_path / "x.gif", frames())
    with pytest.raises(RecordError, match="unknown animation format"):
        write_animation(tmp_path / "x.avi", iter([]))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".gif", ".png"])
def test_a_recording_keeps_its_frames_and_their_timing(tmp_path, suffix):
    frames = [np.full((6, 10, 3), (k * 60, 255 - k * 60, 30), np.uint8) for k in range(4)]
    path = tmp_path / f"anim{suffix}"
    seen = []
    assert write_animation(path, iter(frames), fps=20, progress=seen.append) == 4
    assert seen == [1, 2, 3, 4]
    with Image.open(path) as img:
        for k in range(4):
            img.seek(k)
            assert img.info["duration"] == 50  # 1000 / 20 ms
            np.testing.assert_array_equal(np.asarray(img.convert("RGB"))[2, 3], frames[k][2, 3])


def test_nothing_to_record_or_nowhere_to_write_is_a_clear_error(tmp_path):
    with pytest.raises(RecordError, match="no frames were rendered"):
        write_animation(tmp_path / "empty.gif", iter([]))
    with pytest.raises(RecordError, match="does not exist"):
        write_animation(tmp_path / "missing" / "x.gif", iter([np.zeros((4, 4, 3), np.uint8)]))
    assert list(tmp_path.iterdir()) == []
