"""Output sizes: WxH parsing and scale factors, with plain errors (the CLI words them for its options)."""

from __future__ import annotations

import pytest

from liif_viewer.render.sizes import output_size, parse_size


@pytest.mark.parametrize(("text", "size"), [("1920x1080", (1920, 1080)), (" 7 X 3 ", (7, 3)), ("640×480", (640, 480))])
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize(("text", "message"), [("1920", "is not WIDTHxHEIGHT"), ("0x5", "at least 1x1"),
                                               ("-3x5", "is not WIDTHxHEIGHT")])
def test_parse_size_refuses_with_the_value_named(text, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_size(text)
    assert repr(text) in str(info.value)


def test_output_size_from_a_scale_or_a_size():
    assert output_size(640, 480, scale=2.5) == (1600, 1200)
    assert output_size(33, 10, scale=0.5) == (16, 5)  # nearest pixel
    assert output_size(3, 2, scale=0.01) == (1, 1)  # never empty
    assert output_size(640, 480, scale=2.0, size=(10, 20)) == (10, 20)  # an explicit size wins


@pytest.mark.parametrize("scale", [None, 0.0, -2.0, float("nan")])
def test_output_size_refuses_no_positive_scale_in_plain_words(scale):
    with pytest.raises(ValueError) as info:
        output_size(640, 480, scale=scale)
    assert "--" not in str(info.value)  # option names are the CLI's business
