"""Output sizes for ``upscale`` and ``export``: parsing ``WxH`` and scale factors.

Errors are plain ``ValueError``s about the values; the CLI words them for its options.
"""

from __future__ import annotations

import re

__all__ = ["parse_size", "output_size"]


def parse_size(text: str) -> tuple[int, int]:
    """``"1920x1080"`` → (width, height); raises ``ValueError`` with a readable message."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match:
        raise ValueError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 1920x1080")
    width, height = int(match.group(1)), int(match.group(2))
    if width < 1 or height < 1:
        raise ValueError(f"size {text!r} must be at least 1x1")
    return width, height


def output_size(width: int, height: int, scale: float | None = None,
                size: tuple[int, int] | None = None) -> tuple[int, int]:
    """Output (width, height) from a scale factor (rounded to nearest pixel) or an explicit size."""
    if size is not None:
        return size
    if scale is None:
        raise ValueError("neither a scale nor a size is given")
    if not scale > 0:
        raise ValueError(f"the scale must be positive, got {scale:g}")
    return max(1, round(width * scale)), max(1, round(height * scale))
