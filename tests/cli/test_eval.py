"""`main.py eval`: a table or JSON lines, skipped files named, one-line errors for bad folders."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from liif_viewer.cli import main
from liif_viewer.files.image_io import to_uint8
from tests._threads import one_thread  # noqa: F401  (autouse fixture: one torch thread per test)


@pytest.fixture(scope="module")
def small_set(sample_rgb, tmp_path_factory):
    """A set of two 48x40 crops of the bundled photo, plus a stray text file."""
    folder = tmp_path_factory.mktemp("sets") / "Mini"
    folder.mkdir()
    Image.fromarray(to_uint8(sample_rgb[60:100, 200:248])).save(folder / "face.png")
    Image.fromarray(to_uint8(sample_rgb[300:340, 300:348])).save(folder / "suit.png")
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_json_lines_per_image_and_mean(model, small_set, capsys):
    assert main(["eval", "--data", str(small_set), "--scales", "2,4", "--json", "--device", "cpu"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["scale"], r["image"]) for r in rows] == [
        (2, "face"), (2, "suit"), (2, "mean"), (4, "face"), (4, "suit"), (4, "mean")]
    assert all(set(r) == {"set", "scale", "image", "psnr_liif", "psnr_bicubic"} and r["set"] == "Mini" for r in rows)
    for mean, images in ((rows[2], rows[:2]), (rows[5], rows[3:5])):
        assert mean["psnr_liif"] == pytest.approx(np.mean([r["psnr_liif"] for r in images]), abs=1e-3)
        assert mean["psnr_liif"] > mean["psnr_bicubic"]
    assert "skipped 1 file(s): notes.txt (not an image)" in err


def test_table_has_liif_bicubic_and_gain(model, small_set, capsys):
    assert main(["eval", "--data", str(small_set.parent), "--scales", "3", "--device", "cpu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["set", "scale", "images", "LIIF", "(dB)", "bicubic", "(dB)", "gain", "(dB)"]
    name, scale, count, liif, bicubic, gain = lines[1].split()
    assert (name, scale, count) == ("Mini", "x3", "2")
    assert float(gain) == pytest.approx(float(liif) - float(bicubic), abs=0.011)


def test_images_too_small_for_a_scale_are_listed(model, small_set, capsys):
    assert main(["eval", "--data", str(small_set), "--scales", "2,30,50", "--json", "--device", "cpu"]) == 0
    out, err = capsys.readouterr()
    assert {json.loads(line)["scale"] for line in out.splitlines()} == {2}
    assert "skipped Mini/face.png at x30: 30x30 at x30 is no larger than the shaved border" in err
    assert "skipped Mini/suit.png at x50: 48x40 is smaller than the scale x50" in err


@pytest.mark.parametrize("setup,message", [
    (lambda p: None, "no images found"),
    (lambda p: (p / "a.txt").write_text("x"), "skipped: a.txt (not an image)"),
])
def test_bad_folders_are_one_line_errors(tmp_path, capsys, setup, message):
    setup(tmp_path)
    assert main(["eval", "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


@pytest.mark.parametrize("scales", ["2,x", "0", "2.5"])
def test_bad_scales_are_one_line_errors(small_set, capsys, scales):
    assert main(["eval", "--data", str(small_set), "--scales", scales]) == 1
    assert "--scales must be whole numbers" in capsys.readouterr().err


def test_plot_draws_the_json_means_as_curves(model, small_set, tmp_path, capsys):
    chart, data, vector = tmp_path / "chart.png", tmp_path / "chart.csv", tmp_path / "chart.svg"
    assert main(["eval", "--data", str(small_set), "--scales", "2,3", "--json", "--device", "cpu",
                 "--plot", str(chart), "--plot", str(data), "--plot", str(vector)]) == 0
    out, err = capsys.readouterr()
    means = [row for row in map(json.loads, out.splitlines()) if row["image"] == "mean"]
    assert [m["scale"] for m in means] == [2, 3]
    # the curves' data, written by pyqtgraph's CSV exporter from the plotted curves, are the JSON numbers
    lines = data.read_text().splitlines()
    assert lines[0].split(",") == ["Mini LIIF_x", "Mini LIIF_y", "Mini bicubic_x", "Mini bicubic_y"]
    plotted = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    np.testing.assert_array_equal(plotted[:, 0], [2, 3])
    np.testing.assert_array_equal(plotted[:, 1], [m["psnr_liif"] for m in means])
    np.testing.assert_array_equal(plotted[:, 3], [m["psnr_bicubic"] for m in means])
    image = np.asarray(Image.open(chart).convert("RGB"))
    assert image.shape[1] == 900 and len(np.unique(image.reshape(-1, 3), axis=0)) > 20  # a drawn chart
    assert vector.read_text().lstrip().startswith("<?xml") and "<svg" in vector.read_text()
    assert f"wrote the chart {chart}" in err


@pytest.mark.parametrize("name,message", [("chart.jpg", "--plot takes a .png, .svg, .csv file"),
                                          ("nowhere/chart.png", "does not exist")])
def test_bad_plot_files_are_refused_before_evaluating(small_set, tmp_path, capsys, name, message):
    assert main(["eval", "--data", str(small_set), "--plot", str(tmp_path / name)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "evaluated" not in err
