"""The fast decoder against the reference query: exact mode within 1e-5, fast mode above 60 dB."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from liif_viewer.cancel import Cancelled, CancelToken
from liif_viewer.model import make_coord
from liif_viewer.render.fast_query import FoldedDecoder
from liif_viewer.render.inspection import psnr


def _dense_region(dec, feat):
    return dec.project_region(F.pad(feat[0], (1, 1, 1, 1)), 0, 0)


@pytest.mark.parametrize("case", ["grid_x4", "grid_aniso", "random_points"])
def test_exact_fast_matches_official(model, reference_cases, case):
    data = reference_cases[case]
    rgb = torch.from_numpy(data["input"]).permute(2, 0, 1)
    with torch.no_grad():
        feat = model.encode(rgb)
    dec = FoldedDecoder(model, "exact", batch_size=1000)
    out = dec.query(_dense_region(dec, feat), feat.shape[-2:], torch.from_numpy(data["coord"]),
                    torch.from_numpy(data["cell"]))
    expected = torch.from_numpy(data["output"]) * 0.5 + 0.5
    assert (out - expected).abs().max().item() <= 1e-5


def _hard_points(h: int, w: int, n: int, seed: int) -> torch.Tensor:
    """Random points plus exact latent-cell edges, centres and the image border."""
    g = torch.Generator().manual_seed(seed)
    pts = [torch.rand(n, 2, generator=g) * 2 - 1]
    edges_y = -1 + 2 * torch.arange(h + 1) / h
    edges_x = -1 + 2 * torch.arange(w + 1) / w
    pts.append(torch.stack(torch.meshgrid(edges_y, edges_x, indexing="ij"), -1).reshape(-1, 2))
    pts.append(torch.stack(torch.meshgrid(make_coord(h), make_coord(w), indexing="ij"), -1).reshape(-1, 2))
    border = torch.tensor([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-0.9999999, 0.9999999]])
    pts.append(border)
    return torch.cat(pts).float()


def test_exact_fast_matches_reference_at_edges_and_borders(model, sample_rgb):
    rgb = torch.from_numpy(sample_rgb[100:131, 300:343]).permute(2, 0, 1).contiguous()  # 31 x 43, odd sizes
    with torch.no_grad():
        feat = model.encode(rgb)
    h, w = feat.shape[-2:]
    coords = _hard_points(h, w, 3000, seed=1)
    g = torch.Generator().manual_seed(2)
    cells = (2 / torch.tensor([h, w])) / (torch.rand(len(coords), 1, generator=g) * 30 + 0.5)
    dec = FoldedDecoder(model, "exact")
    out = dec.query(_dense_region(dec, feat), (h, w), coords, cells)
    with torch.no_grad():
        ref = model.query(feat, coords[None], cells[None])[0]
    assert (out - ref).abs().max().item() <= 1e-5


def test_index_arithmetic_picks_grid_sample_codes(model):
    dec = FoldedDecoder(model, "exact")
    for h in (7, 31, 96, 500):
        coords = _hard_points(h, h, 2000, seed=h)
        grid = torch.stack(torch.meshgrid(torch.arange(h), torch.arange(h), indexing="ij"), 0).float()[None]
        for (iy, ix), (sr, sc) in zip(dec.neighbour_indices((h, h), coords), ((-1, -1), (-1, 1), (1, -1), (1, 1)),
                                      strict=True):
            shifted = coords.clone()
            shifted[:, 0] += sr / h + 1e-6
            shifted[:, 1] += sc / h + 1e-6
            shifted.clamp_(-1 + 1e-6, 1 - 1e-6)
            picked = F.grid_sample(grid, shifted.flip(-1)[None, None], mode="nearest", align_corners=False)[0, :, 0]
            assert torch.equal(iy.float(), picked[0]) and torch.equal(ix.float(), picked[1])


def test_sparse_projection_equals_dense(model, sample_rgb):
    rgb = torch.from_numpy(sample_rgb[:40, :50]).permute(2, 0, 1).contiguous()
    with torch.no_grad():
        feat = model.encode(rgb)
    dec = FoldedDecoder(model, "exact")
    coords = _hard_points(40, 50, 500, seed=3)
    cells = torch.full((len(coords), 2), 0.2)
    padded = F.pad(feat[0], (1, 1, 1, 1))
    local = torch.cat([iy * 50 + ix for iy, ix in dec.neighbour_indices((40, 50), coords)])
    sparse = dec.query(dec.project_sparse(padded, 0, 0, local), (40, 50), coords, cells)
    dense = dec.query(dec.project_region(padded, 0, 0), (40, 50), coords, cells)
    assert (sparse - dense).abs().max().item() <= 1e-5


def test_fast_precision_psnr_above_60db(model, reference_cases):
    data = reference_cases["grid_x4"]
    rgb = torch.from_numpy(data["input"]).permute(2, 0, 1)
    with torch.no_grad():
        feat = model.encode(rgb)
    coord, cell = torch.from_numpy(data["coord"]), torch.from_numpy(data["cell"])
    exact = FoldedDecoder(model, "exact")
    fast = FoldedDecoder(model, "fast")
    a = exact.query(_dense_region(exact, feat), feat.shape[-2:], coord, cell).clamp(0, 1)
    b = fast.query(_dense_region(fast, feat), feat.shape[-2:], coord, cell).clamp(0, 1)
    db = psnr(a.numpy(), b.numpy())
    assert db >= 60, db


def test_cancel_stops_before_the_next_batch(model, reference_cases):
    data = reference_cases["grid_x4"]
    rgb = torch.from_numpy(data["input"]).permute(2, 0, 1)
    with torch.no_grad():
        feat = model.encode(rgb)
    dec = FoldedDecoder(model, "exact", batch_size=1024)
    coord, cell = torch.from_numpy(data["coord"]), torch.from_numpy(data["cell"])
    with pytest.raises(Cancelled):
        dec.query(_dense_region(dec, feat), feat.shape[-2:], coord, cell,
                  cancel=CancelToken(lambda: dec.batches_run >= 3))
    assert dec.batches_run == 3  # 36 batches were due; none ran after the cancel


@pytest.mark.parametrize("precision", ["exact", "fast"])
def test_query_parts_equal_separate_queries(model, sample_rgb, precision):
    """Parts of different regions and sizes packed into shared batches give each part's own answer."""
    rgb = torch.from_numpy(np.ascontiguousarray(sample_rgb[100:140, 150:200])).permute(2, 0, 1)
    with torch.no_grad():
        feat = model.encode(rgb)[0]
    h, w = feat.shape[-2:]
    dec = FoldedDecoder(model, precision, batch_size=256)
    padded = F.pad(feat, (1, 1, 1, 1))
    regions = [dec.project_region(padded[:, 0:22, 0:27], 0, 0), dec.project_region(padded, 0, 0),
               dec.project_region(padded[:, 15:42, 20:52], 15, 20)]
    g = torch.Generator().manual_seed(3)
    parts = []
    for n, (y0, y1, x0, x1) in zip((700, 5, 300), ((0, 18, 0, 23), (0, 40, 0, 50), (17, 38, 22, 48)), strict=True):
        ys = (y0 + torch.rand(n, generator=g) * (y1 - y0)) / h * 2 - 1
        xs = (x0 + torch.rand(n, generator=g) * (x1 - x0)) / w * 2 - 1
        cell = torch.tensor([[2 / (h * 7.0), 2 / (w * 7.0)]]).expand(n, 2)
        parts.append((torch.stack([ys, xs], -1), cell))
    together = dec.query_parts([(r, c, cl) for r, (c, cl) in zip(regions, parts, strict=True)], (h, w))
    for region, (coord, cell), got in zip(regions, parts, together, strict=True):
        alone = dec.query(region, (h, w), coord, cell.contiguous())
        assert (got - alone).abs().max().item() <= (1e-6 if precision == "exact" else 2e-3)


@pytest.mark.parametrize("precision", ["exact", "fast"])
@pytest.mark.parametrize("uniform_cell", [True, False])
def test_a_query_gives_the_same_colour_whatever_shares_its_batch(model, sample_rgb, precision, uniform_cell):
    """Alone (a batch of one: BLAS multiplies one row by another path), last in a short batch, or
    amid a full one: every query's colour is the same, bit for bit, so tiles refined together
    or apart, and exports in any grouping, give the same pixels."""
    rgb = torch.from_numpy(np.ascontiguousarray(sample_rgb[60:100, 300:350])).permute(2, 0, 1)
    with torch.no_grad():
        feat = model.encode(rgb)[0]
    h, w = feat.shape[-2:]
    dec = FoldedDecoder(model, precision, batch_size=64)
    region = dec.project_region(F.pad(feat, (1, 1, 1, 1)), 0, 0)
    g = torch.Generator().manual_seed(5)
    coord = torch.rand(129, 2, generator=g) * 2 - 1  # two full batches and one of a single query
    cell = torch.tensor([[2 / (h * 9.0), 2 / (w * 9.0)]])
    cells = cell.expand(129, 2) if uniform_cell else cell.repeat(129, 1)
    together = dec.query(region, (h, w), coord, cells)
    for i in (0, 63, 64, 128):
        alone = dec.query(region, (h, w), coord[i:i + 1], cells[i:i + 1])
        assert torch.equal(alone[0], together[i]), i
    # Beside another tile's part, of one query or of many: the same colours again (enough queries that a
    # layer-1 sum in another order shows: 1 in ~400 differed when a part of one query changed the path).
    many = torch.rand(4000, 2, generator=g) * 2 - 1
    many_cells = cell.expand(4000, 2) if uniform_cell else cell.repeat(4000, 1)
    alone = dec.query(region, (h, w), many, many_cells)
    other = dec.project_region(F.pad(feat, (1, 1, 1, 1)), 0, 0)
    for n in (1, 5):
        mine = cell.expand(n, 2) if uniform_cell else cell.repeat(n, 1)  # as a tile asks: (1, 2) expanded
        first, _ = dec.query_parts([(region, many, many_cells), (other, coord[:n], mine)], (h, w))
        assert torch.equal(first, alone), n
