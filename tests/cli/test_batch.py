"""`upscale`/`export` of folders, globs and several files: skip what exists, one line per failure, resume
after Ctrl+C with no partial file, the model loaded once."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from liif_viewer.cli import export as cli_export
from liif_viewer.cli import main
from liif_viewer.cli.batch import expand_inputs, plan_batch
from liif_viewer.files.image_io import to_uint8
from liif_viewer.tasks.export import ExportJob


def _crops(folder: Path, rgb: np.ndarray, size: tuple[int, int], count: int = 3) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"photo{i}.png"
        Image.fromarray(to_uint8(rgb[100:100 + size[1], 80 + 60 * i:80 + 60 * i + size[0]])).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def model_loads(monkeypatch) -> list[int]:
    """Counts how often the CLI loads the model."""
    calls: list[int] = []
    real = cli_export.load_model

    def counting(args):
        calls.append(1)
        return real(args)

    monkeypatch.setattr(cli_export, "load_model", counting)
    return calls


def test_folder_with_a_corrupt_file_writes_the_rest_reports_it_and_resumes(tmp_path, sample_rgb, capsys,
                                                                           model_loads):
    src = tmp_path / "in"
    _crops(src, sample_rgb, (32, 24))
    (src / "broken.png").write_bytes(b"this is not a png")
    (src / "notes.txt").write_text("not an image, not part of the batch")
    out = tmp_path / "out"
    assert main(["upscale", str(src), "-o", str(out), "--scale", "2", "--fast"]) == 1
    captured = capsys.readouterr()
    names = sorted(p.name for p in out.iterdir())
    assert names == ["photo0_x2.png", "photo1_x2.png", "photo2_x2.png"]
    for name in names:
        with Image.open(out / name) as img:
            assert img.size == (64, 48)
    failures = [ln for ln in captured.err.splitlines() if ln.startswith("failed: ")]
    assert len(failures) == 1 and "broken.png" in failures[0] and "Traceback" not in captured.err
    assert "3 done, 0 skipped (output exists), 1 failed" in captured.out
    assert len(model_loads) == 1  # once for the whole batch

    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert main(["upscale", str(src), "-o", str(out), "--scale", "2", "--fast"]) == 1
    assert "0 done, 3 skipped (output exists), 1 failed" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == stamps
    assert len(model_loads) == 1  # nothing to render: no model load either


def test_batch_output_equals_the_single_file_output(tmp_path, sample_rgb, model):
    (first, *_rest) = _crops(tmp_path / "in", sample_rgb, (20, 16), count=2)
    single = tmp_path / "single.png"
    assert main(["upscale", str(first), "-o", str(single), "--scale", "3"]) == 0
    assert main(["upscale", str(tmp_path / "in" / "*.png"), "-o", str(tmp_path / "out"), "--scale", "3"]) == 0
    batch = sorted((tmp_path / "out").iterdir())
    assert [p.name for p in batch] == ["photo0_x3.png", "photo1_x3.png"]
    assert np.array_equal(np.asarray(Image.open(batch[0])), np.asarray(Image.open(single)))


def test_ctrl_c_in_the_second_file_leaves_no_partial_file_and_a_rerun_resumes(tmp_path, sample_rgb, capsys,
                                                                               monkeypatch):
    src = tmp_path / "in"
    _crops(src, sample_rgb, (40, 40))  # x8 = 320 rows: two strips of the classic export each
    out = tmp_path / "out"
    args = ["export", str(src), "-o", str(out), "--scale", "8", "--method", "bicubic"]
    real_run = ExportJob.run
    jobs: list[int] = []

    def run_then_ctrl_c(self, cancel=None):
        jobs.append(1)
        for step, progress in enumerate(real_run(self, cancel)):
            yield progress
            if len(jobs) == 2 and step == 0:  # the middle of the second file
                os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(ExportJob, "run", run_then_ctrl_c)
    before = signal.getsignal(signal.SIGINT)  # Python's default, or what earlier tests in the process left
    assert main(args) == 130
    captured = capsys.readouterr()
    assert "stopping after the current tile" in captured.err
    assert "1 done, 0 skipped (output exists), 0 failed, 2 left: stopped" in captured.out
    assert sorted(p.name for p in out.iterdir()) == ["photo0_x8.png"]  # no partial or temporary file
    assert signal.getsignal(signal.SIGINT) is before  # the batch's own handler is gone again

    monkeypatch.setattr(ExportJob, "run", real_run)
    assert main(args) == 0
    assert "2 done, 1 skipped (output exists), 0 failed" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["photo0_x8.png", "photo1_x8.png", "photo2_x8.png"]
    with Image.open(out / "photo1_x8.png") as img:
        assert img.size == (320, 320)


def test_overwrite_and_name_pattern(tmp_path, sample_rgb, capsys):
    src = _crops(tmp_path / "in", sample_rgb, (16, 12), count=2)
    out = tmp_path / "out"
    cmd = ["export", *map(str, src), "-o", str(out), "--size", "40x30", "--method", "nearest",
           "--name", "{method}-{stem}.jpg"]
    assert main(cmd) == 0
    assert sorted(p.name for p in out.iterdir()) == ["nearest-photo0.jpg", "nearest-photo1.jpg"]
    capsys.readouterr()
    assert main([*cmd, "--overwrite"]) == 0
    assert "2 done, 0 skipped" in capsys.readouterr().out


@pytest.mark.parametrize(("extra", "message"), [
    (["--name", "same.png"], "would both be written to"),
    (["--name", "{nope}.png"], "is not a name pattern"),
])
def test_bad_plans_fail_in_one_line_before_any_render(tmp_path, sample_rgb, capsys, extra, message):
    src = _crops(tmp_path / "in", sample_rgb, (16, 12), count=2)
    assert main(["export", *map(str, src), "-o", str(tmp_path / "out"), "--scale", "2", "--method", "nearest",
                 *extra]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_inputs_expand_files_folders_and_globs_once_each(tmp_path, sample_rgb):
    a, b, c = _crops(tmp_path, sample_rgb, (8, 8))
    files, problems = expand_inputs([str(a), str(tmp_path), str(tmp_path / "photo[12].png"), str(tmp_path / "x*.png")])
    assert files == [a, b, c]
    assert problems == [f"{tmp_path / 'x*.png'}: no file matches"]
    (item,) = plan_batch([tmp_path / "scan.gif"], tmp_path / "o", "{stem}_x{scale}.{ext}", {"scale": "2"})
    assert item.output.name == "scan_x2.png"  # outputs never use a format the writer lacks
