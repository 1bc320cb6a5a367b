"""Output sizes of ``upscale`` and ``export``: ``WxH`` parsed, or a scale factor rounded to whole pixels."""

from __future__ import annotations

import pytest

from liif_viewer.render.sizes import output_size, parse_size


@pytest.mark.parametrize(("text", "size"), [
    ("1920x1080", (1920, 1080)), (" 64 X 48 ", (64, 48)), ("7×3", (7, 3)), ("1x1", (1, 1)),
])
def test_sizes_are_read_as_width_by_height(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize(("text", "message"), [
    ("1920", "is not WIDTHxHEIGHT"), ("12x", "is not WIDTHxHEIGHT"), ("-4x5", "is not WIDTHxHEIGHT"),
    ("2.5x3", "is not WIDTHxHEIGHT"), ("0x10", "at least 1x1"), ("10x0", "at least 1x1"),
])
def test_bad_sizes_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_size(text)


def test_a_scale_factor_rounds_to_the_nearest_pixel_and_never_below_one():
    assert output_size(512, 384, scale=2.5) == (1280, 960)
    assert output_size(101, 33, scale=1.5) == (152, 50)  # 151.5 → 152 (half to even), 49.5 → 50
    assert output_size(100, 7, scale=0.01) == (1, 1)
    assert output_size(100, 7, scale=3.0, size=(640, 480)) == (640, 480)  # an explicit size wins


@pytest.mark.parametrize("scale", [None, 0.0, -2.0, float("nan")])
def test_without_a_positive_scale_or_a_size_there_is_no_output_size(scale):
    with pytest.raises(ValueError, match="positive --scale"):
        output_size(10, 10, scale=scale)
