"""Which feature tiles to encode together: rectangles of missing tiles, each encoded with one halo.

Every encode pays for a halo of context around what it keeps (35 px on each side for
EDSR-baseline): a 96-px tile alone convolves 166² pixels for 96² useful ones (3x the work),
a 512² block 582² (1.3x). :func:`plan_blocks` groups the missing tiles of a request into
rectangles as large as a memory cap allows, splitting along the longer side until each
rectangle is mostly missing tiles and fits, nearest to a point of interest first.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["Block", "plan_blocks", "block_codes", "MAX_BLOCK_CODES", "FAST_MAX_BLOCK_CODES", "MIN_MISSING_FRACTION"]

Block = tuple[int, int, int, int]  # tile rows [r0, r1) x tile cols [c0, c1)

#: Largest block, in pixels convolved (halo included): 0.4 MP. The encoder keeps two activations
#: of 64 channels alive (256 B/px in fp32): ~210 MB at this size.
MAX_BLOCK_CODES = 640 * 640
#: The same for the fast (bf16) encoder, whose speed per pixel falls with the block's size (its
#: activations leave the caches): 1.6 s/MP at 256², 2.3 at 480², 3.1 at 856x712 here, while fp32
#: stays at ~7.5 s/MP at every size. At 480² a fresh 640x720 view at 1:1 of a 12 MP photo was final
#: in ~3.1 s instead of ~3.55 s (docs/performance.md).
FAST_MAX_BLOCK_CODES = 480 * 480
#: A block may re-encode tiles that are cached already while at least this share of it is missing.
MIN_MISSING_FRACTION = 0.75


def block_codes(block: Block, tile: int, halo: int, height: int, width: int) -> int:
    """Pixels convolved to encode ``block``: its codes plus the halo, clipped to the image."""
    r0, r1, c0, c1 = block
    rows = min(height, r1 * tile + halo) - max(0, r0 * tile - halo)
    cols = min(width, c1 * tile + halo) - max(0, c0 * tile - halo)
    return rows * cols


def _bbox(keys: set[tuple[int, int]]) -> Block:
    rows = [k[0] for k in keys]
    cols = [k[1] for k in keys]
    return min(rows), max(rows) + 1, min(cols), max(cols) + 1


def plan_blocks(keys: Iterable[tuple[int, int]], tile: int, halo: int, height: int, width: int,
                centre_yx: tuple[float, float] | None = None,
                max_codes: int = MAX_BLOCK_CODES) -> list[Block]:
    """Rectangles of tiles covering every key once, each within ``max_codes`` and mostly ``keys``.

    Ordered nearest to ``centre_yx`` (image px) first, or in the order the keys came otherwise.
    """
    keys = list(dict.fromkeys(keys))
    if not keys:
        return []
    order = {k: i for i, k in enumerate(keys)}
    blocks: list[Block] = []

    def split(part: set[tuple[int, int]]) -> None:
        r0, r1, c0, c1 = box = _bbox(part)
        n_tiles = (r1 - r0) * (c1 - c0)
        if n_tiles == 1 or (len(part) >= MIN_MISSING_FRACTION * n_tiles
                            and block_codes(box, tile, halo, height, width) <= max_codes):
            blocks.append(box)
            return
        if r1 - r0 >= c1 - c0:
            mid = (r0 + r1) // 2
            halves = ({k for k in part if k[0] < mid}, {k for k in part if k[0] >= mid})
        else:
            mid = (c0 + c1) // 2
            halves = ({k for k in part if k[1] < mid}, {k for k in part if k[1] >= mid})
        for half in halves:
            if half:
                split(half)

    split(set(keys))
    if centre_yx is None:
        first = {b: min(order[k] for k in keys if b[0] <= k[0] < b[1] and b[2] <= k[1] < b[3]) for b in blocks}
        return sorted(blocks, key=first.__getitem__)
    cy, cx = centre_yx

    def distance(b: Block) -> float:
        y = min(max(cy, b[0] * tile), b[1] * tile)
        x = min(max(cx, b[2] * tile), b[3] * tile)
        return (y - cy) ** 2 + (x - cx) ** 2

    return sorted(blocks, key=distance)
