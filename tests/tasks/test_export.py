"""Export: tiled output identical to a one-shot render; the one pipeline (run_export); alpha, metadata, cancel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from liif_viewer.cancel import Cancelled, CancelToken
from liif_viewer.files.image_io import ImageDocument, load_image, to_uint8
from liif_viewer.render.engine import RenderEngine
from liif_viewer.render.lod import EXPORT, SCREEN
from liif_viewer.tasks.export import ExportJob, ExportRequest, export_engine, parse_region, run_export


@pytest.fixture
def crop(sample_rgb) -> np.ndarray:
    return sample_rgb[140:200, 180:250]  # 60 x 70, the eye


@pytest.mark.parametrize("method", ["liif", "bicubic", "nearest"])
def test_tiled_export_equals_one_shot(model, crop, method):
    request = ExportRequest((10.5, 7.25, 41.0, 30.0), (173, 129), method)  # sizes not multiples of tiles
    tiled_engine = RenderEngine(model, screen_tile=32)
    tiled_engine.set_image(crop)
    job = ExportJob(tiled_engine, request)
    steps = list(job.run())
    assert len(steps) == job.total_steps() and steps[-1] == (job.total_steps(), job.total_steps())
    one_shot = RenderEngine(model, screen_tile=512)
    one_shot.set_image(crop)
    vp = request.viewport
    if method == "liif":
        expected = to_uint8(one_shot.render_liif_sync(vp, "exact"))
    else:
        expected = to_uint8(one_shot.render_classic(vp, method))
    np.testing.assert_array_equal(job.rgb8, expected)


def test_fast_export_tiles_show_no_seams(model, crop):
    request = ExportRequest((20.0, 15.0, 8.0, 6.0), (320, 240), "liif", "fast")  # x40
    small, big = RenderEngine(model, screen_tile=64), RenderEngine(model, screen_tile=512)
    for eng in (small, big):
        eng.lod = EXPORT  # what export_engine sets
        eng.set_image(crop)
    a, b = ExportJob(small, request), ExportJob(big, request)
    list(a.run())
    list(b.run())
    exact = to_uint8(big.render_liif_sync(request.viewport, "exact")).astype(int)
    assert np.abs(a.rgb8.astype(int) - exact).max() <= 2
    assert np.abs(b.rgb8.astype(int) - exact).max() <= 2


def test_cancel_stops_early(model, crop):
    engine = RenderEngine(model, screen_tile=32)
    engine.set_image(crop)
    job = ExportJob(engine, ExportRequest((0, 0, 70, 60), (280, 240)))
    seen = []
    for done, _total in job.run(cancel=CancelToken(lambda: len(seen) >= 3)):
        seen.append(done)
    assert seen == [1, 2, 3] and job.total_steps() > 3


def test_an_export_job_leaves_the_engine_it_is_given_as_it_was(model, crop):
    engine = RenderEngine(model, screen_tile=64)
    engine.set_image(crop)
    job = ExportJob(engine, ExportRequest((20.0, 15.0, 8.0, 6.0), (320, 240), "liif", "fast"))
    list(job.run())
    assert engine.lod is SCREEN and not engine.liif_below_one  # the viewer's engine keeps its settings
    document = ImageDocument(np.ascontiguousarray(crop))
    own = export_engine(document, model)  # the export's settings, stated in one place
    assert own.lod is EXPORT and own.liif_below_one and own.image_id == document.id
    assert own.rgb is document.rgb  # the document's pixels, not a copy


def test_an_export_encodes_the_codes_near_its_region_only(model, sample_rgb):
    request = ExportRequest((198.0, 132.0, 64.0, 36.0), (1920, 1080), "liif", "exact")  # x30, the bench's export
    own = export_engine(ImageDocument(sample_rgb), model)
    viewer = RenderEngine(model)
    viewer.set_image(sample_rgb)
    codes = {}
    for name, engine in (("export", own), ("viewer", viewer)):
        assert engine.encode_view(request.viewport, "exact")
        codes[name] = engine.features("exact").cached_bytes // (model.feat_dim * 4)
    read = (64 + 2 * 2) * (36 + 2 * 2)  # the region's codes, with the unfold's and the ensemble's margins
    assert codes["export"] <= 1.5 * read < 2 * read <= codes["viewer"]  # fp32 codes equal on any tiling


def test_run_export_renders_on_its_own_engine_and_stops_at_a_cancel(model, crop):
    document = ImageDocument(np.ascontiguousarray(crop), path="/photos/eye.png")
    request = ExportRequest((20.0, 15.0, 8.0, 6.0), (320, 240), "liif", "fast")
    steps = []
    result = run_export(document, model, "cpu", request, lambda done, total: steps.append((done, total)))
    engine = RenderEngine(model)  # the export's engine, made by hand
    engine.lod, engine.liif_below_one = EXPORT, True
    engine.set_image(document.rgb)
    expected = ExportJob(engine, request)
    list(expected.run())
    np.testing.assert_array_equal(result.rgb8, expected.rgb8)
    assert steps[-1][0] == steps[-1][1] and result.label == "LIIF (fast)"
    assert result.model_sha256 == model.checkpoint_sha256 and result.document is document
    seen = []
    with pytest.raises(Cancelled):
        run_export(document, model, "cpu", request, lambda done, total: seen.append(done),
                   CancelToken(lambda: len(seen) >= 1))
    assert seen == [1]  # stopped after the first tile


def test_save_keeps_alpha_and_metadata(model, crop, tmp_path):
    alpha = np.zeros(crop.shape[:2], np.uint8)
    alpha[:, 35:] = 255
    image = ImageDocument(crop, alpha, path="/photos/eye.png")
    request = ExportRequest((0, 0, 70, 60), (140, 120), "bilinear")
    result = run_export(image, None, "cpu", request)
    assert result.model_sha256 == ""  # no model for the classic methods
    out = result.save(tmp_path / "e.png")
    with Image.open(out) as img:
        assert img.mode == "RGBA" and img.size == (140, 120)
        assert img.info["Source"] == "eye.png" and img.info["Size"] == "140x120"
        assert img.info["Region"] == "0,0,70,60" and img.info["Method"] == "bilinear"
        a = np.asarray(img.getchannel("A"))
    assert a[:, :60].max() == 0 and a[:, 80:].min() == 255
    assert load_image(out).rgb.shape == (120, 140, 3)


def test_parse_region_errors():
    assert parse_region("1,2,3.5,4") == (1.0, 2.0, 3.5, 4.0)
    for bad in ("1,2,3", "a,b,c,d", "0,0,-1,5"):
        with pytest.raises(ValueError, match="region"):
            parse_region(bad)
