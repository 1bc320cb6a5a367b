"""The fast LIIF query: the paper's decoder rearranged so that most work is shared.

Three exact rewrites of :meth:`LIIF.query_rgb` (the reference):

1. *Folded first layer.* Layer 1 sees [unfolded code (576), rel (2), cell (2)].
   The code part, ``W1[:, :576] @ code + b1``, depends only on the latent cell, so
   it is computed once per cell (``project``) and each query adds only the 4
   coordinate/cell inputs: 1.59 instead of 2.77 MFLOP per pixel.
2. *Nearest code by index arithmetic* instead of ``grid_sample``, written with the
   same floating-point steps as PyTorch's CPU kernel (unnormalise, round half to
   even) so the same codes are picked at borders and exact cell edges.
3. *Fused buffers*: the 4 ensemble members of a batch go through the MLP as one
   matrix, with in-place ``addmm`` and ``relu_`` into preallocated buffers.

``fast`` precision runs the three hidden 256x256 layers in bfloat16 (first and
last layers stay fp32); ``exact`` stays fp32 throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..cancel import Cancelled, CancelToken
from ..model import LIIF
from ..model.coords import make_coord
from ..model.liif import INPUT_MEAN, INPUT_STD

__all__ = ["FoldedDecoder", "CodeRegion", "QueryPart", "PRECISIONS"]

PRECISIONS = ("exact", "fast")
_EDGE_EPS = 1e-6
_AREA_EPS = 1e-9
_STEPS = ((-1, -1), (-1, 1), (1, -1), (1, 1))
#: Projected regions are grown to a multiple of this many rows and columns (see ``project_region``).
PROJECT_STEP = 8
#: bf16 MLP batches are padded to a power of two rows up to this many, beyond it to a multiple (``_pad_rows``).
PAD_STEP = 4096


@dataclass
class CodeRegion:
    """Layer-1 projections of the codes in rows [row0, row0+rows) x cols [col0, col0+cols) of the grid."""

    proj: torch.Tensor  # (rows * cols, hidden) fp32, or (len(codes), hidden) when ``lookup`` is set
    row0: int
    col0: int
    rows: int
    cols: int
    lookup: torch.Tensor | None = None  # (rows * cols,) int64: dense index → row of ``proj`` (sparse regions)
    #: ``proj`` with one cell size's layer-1 term already added: (cell, tensor) (see ``query_parts``).
    with_cell: tuple[tuple[float, float], torch.Tensor] | None = None


QueryPart = tuple[CodeRegion, torch.Tensor, torch.Tensor]  # (region, norm_yx (N, 2), cell (N, 2))


def _fused_linear_relu(mid: list[tuple[torch.Tensor, torch.Tensor]]) -> list[tuple[torch.Tensor, torch.Tensor]] | None:
    """(weight (out, in), bias) pairs for ``mkldnn._linear_pointwise`` if it runs and agrees with addmm + relu_."""
    weight_t, _ = mid[0]
    if weight_t.device.type != "cpu" or not torch.backends.mkldnn.is_available():
        return None
    fused = [(w.t().contiguous(), b) for w, b in mid]
    try:
        probe = torch.linspace(-1, 1, 64 * weight_t.shape[0]).view(64, -1).to(weight_t.dtype)
        got = torch.ops.mkldnn._linear_pointwise(probe, fused[0][0], fused[0][1], "relu", [], "")
        want = torch.addmm(mid[0][1], probe, weight_t).relu_()
    except (RuntimeError, AttributeError, NotImplementedError):
        return None
    return fused if torch.allclose(got.float(), want.float(), atol=1e-2, rtol=1e-2) else None


def _pad_rows(act: torch.Tensor) -> torch.Tensor:
    """``act`` with zero rows appended up to a power of two (64 to PAD_STEP rows) or a multiple of PAD_STEP.

    oneDNN (bf16 on the CPU) builds and caches a kernel for every row count it is given, ~0.5 MB
    each, up to 1024 of them: the varying last batch of every query made a soak of distinct views
    grow by ~0.6 GB. Padded, a 4096-row batch (1024 queries) sees 7 shapes. Each new shape also
    costs its build once per process (an export at x30 spent ~0.1 s building 20 shapes).
    """
    rows = act.shape[0]
    size = max(64, 1 << (rows - 1).bit_length()) if rows <= PAD_STEP else -(-rows // PAD_STEP) * PAD_STEP
    return act if size == rows else F.pad(act, (0, 0, 0, size - rows))


def _two_rows(x: torch.Tensor) -> torch.Tensor:
    """``x`` with its one row repeated when it has one: BLAS multiplies a single row by another path
    (gemv), whose sums differ in the last bits, and a query's colour must not depend on what shares its batch."""
    return x.repeat(2, 1) if x.shape[0] == 1 else x


class FoldedDecoder:
    """LIIF's decoder (unfold + local ensemble + cell decode + MLP) for one model, precision and device."""

    def __init__(self, model: LIIF, precision: str = "exact", device: torch.device | str = "cpu",
                 batch_size: int | None = None) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if not (model.local_ensemble and model.feat_unfold and model.cell_decode):
            raise ValueError("the fast decoder needs local_ensemble, feat_unfold and cell_decode")
        self.device = torch.device(device)
        self.precision = precision
        #: Queries per MLP batch: 1024 was fastest on the CPU (docs/performance.md); a GPU needs far
        #: more work per launch.
        self.batch_size = batch_size or (1024 if self.device.type == "cpu" else 65536)
        linears = model.imnet.linears
        w1, b1 = linears[0].weight.detach().float(), linears[0].bias.detach().float()
        n_code = w1.shape[1] - 4
        self.feat_dim = n_code // 9
        self.hidden = w1.shape[0]
        self.w_code_t = w1[:, :n_code].t().contiguous().to(self.device)  # (576, 256)
        #: the same weights as a 3x3 convolution (F.unfold's order: channel-major, then the offsets)
        self.w_code_conv = w1[:, :n_code].reshape(self.hidden, self.feat_dim, 3, 3).to(self.device).contiguous(
            memory_format=torch.channels_last)
        self.b1 = b1.to(self.device)
        self.w_rel_t = w1[:, n_code:n_code + 2].t().contiguous().to(self.device)  # (2, 256)
        self.w_cell_t = w1[:, n_code + 2:].t().contiguous().to(self.device)  # (2, 256)
        hidden_dtype = torch.bfloat16 if precision == "fast" else torch.float32
        if precision == "fast" and self.device.type == "cuda":
            hidden_dtype = torch.float16
        self.hidden_dtype = hidden_dtype
        self.mid = [(lin.weight.detach().t().contiguous().to(self.device, hidden_dtype),
                     lin.bias.detach().to(self.device, hidden_dtype)) for lin in linears[1:-1]]
        #: oneDNN's fused linear + ReLU for the bf16 hidden layers on CPU (2x the addmm + relu_ pair
        #: here, bit-identical); None where unavailable, and then addmm + relu_ is used.
        self._fused = _fused_linear_relu(self.mid) if hidden_dtype == torch.bfloat16 else None
        self.w_out_t = linears[-1].weight.detach().float().t().contiguous().to(self.device)
        self.b_out = linears[-1].bias.detach().float().to(self.device)
        #: MLP batches and query points run so far (tests use them to prove work is skipped or stopped).
        self.batches_run = 0
        self.queries_run = 0
        self._grid_cache: tuple[tuple[int, int], tuple[torch.Tensor, torch.Tensor, torch.Tensor]] | None = None

    # --- layer-1 projection of codes ----------------------------------------------------------------
    def project(self, feat_padded: torch.Tensor) -> torch.Tensor:
        """Codes with a 1-cell zero/neighbour margin (C, rows+2, cols+2) → projections (rows*cols, 256).

        Unfolding + layer 1 is a 3x3 convolution (C → 256, no padding): run as one in channels_last,
        whose output is the (rows*cols, 256) matrix itself (1.9x unfold + addmm here, same sums up to order).
        Exact mode keeps unfold + addmm: oneDNN's convolution orders its sums by the region's shape, so a
        code's projection would differ by an ulp between regions, and tilings would not give the same bytes.
        """
        if self.precision == "exact":
            unfolded = F.unfold(feat_padded.float().unsqueeze(0), 3)  # (1, C*9, rows*cols), no padding
            return torch.addmm(self.b1, unfolded[0].t(), self.w_code_t)
        x = feat_padded.float().unsqueeze(0).contiguous(memory_format=torch.channels_last)
        out = F.conv2d(x, self.w_code_conv, self.b1)  # (1, 256, rows, cols) in channels_last memory
        return out.permute(0, 2, 3, 1).reshape(-1, self.hidden)

    def project_region(self, feat_padded: torch.Tensor, row0: int, col0: int) -> CodeRegion:
        """``project`` wrapped with the region's place in the grid.

        The region is grown with zero codes on its bottom and right to a multiple of PROJECT_STEP
        rows and columns (unused projections; those of the region's codes are unchanged): oneDNN
        compiles and keeps a kernel for every shape it meets.
        """
        rows, cols = feat_padded.shape[1] - 2, feat_padded.shape[2] - 2
        grow_r, grow_c = -rows % PROJECT_STEP, -cols % PROJECT_STEP
        if grow_r or grow_c:
            feat_padded = F.pad(feat_padded, (0, grow_c, 0, grow_r))
        return CodeRegion(self.project(feat_padded), row0, col0, rows + grow_r, cols + grow_c)

    def project_sparse(self, feat_padded: torch.Tensor, row0: int, col0: int, local: torch.Tensor) -> CodeRegion:
        """Project only the codes at dense ``local`` indices of the region (zoomed-out views touch few)."""
        rows, cols = feat_padded.shape[1] - 2, feat_padded.shape[2] - 2
        codes = torch.unique(local)
        r, c = codes // cols, codes % cols
        # Same channel order as F.unfold: channel-major, then the 3x3 offsets row by row.
        patches = torch.stack([feat_padded[:, r + dy, c + dx] for dy in range(3) for dx in range(3)], dim=1)
        proj = torch.addmm(self.b1, patches.reshape(-1, codes.numel()).t().float(), self.w_code_t)
        lookup = torch.full((rows * cols,), -1, dtype=torch.long, device=self.device)
        lookup[codes] = torch.arange(codes.numel(), device=self.device)
        return CodeRegion(proj, row0, col0, rows, cols, lookup)

    def neighbour_indices(self, grid_hw: tuple[int, int],
                          norm_yx: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Grid (row, col) of the 4 ensemble codes of each query, in ensemble order."""
        h, w = grid_hw
        y, x = norm_yx[:, 0], norm_yx[:, 1]
        out = []
        for step_row, step_col in _STEPS:
            sy = (y + (step_row / h + _EDGE_EPS)).clamp_(-1 + _EDGE_EPS, 1 - _EDGE_EPS)
            sx = (x + (step_col / w + _EDGE_EPS)).clamp_(-1 + _EDGE_EPS, 1 - _EDGE_EPS)
            out.append((self._nearest_index(sy, h), self._nearest_index(sx, w)))
        return out

    # --- the query ----------------------------------------------------------------------------------
    @staticmethod
    def _nearest_index(coord: torch.Tensor, size: int) -> torch.Tensor:
        # PyTorch's CPU grid_sample (nearest, align_corners=False): (x + 1) * (size / 2) - 0.5, round half even.
        idx = ((coord + 1.0) * (size / 2.0) - 0.5).round_()
        return idx.clamp_(0, size - 1).long()

    @torch.no_grad()
    def query(self, region: CodeRegion, grid_hw: tuple[int, int], norm_yx: torch.Tensor,
              cell: torch.Tensor, cancel: CancelToken | None = None) -> torch.Tensor:
        """RGB in [0, 1] units (unclamped) at ``norm_yx`` (N, 2) with ``cell`` (N, 2) → (N, 3).

        ``grid_hw`` is the size of the whole code grid; ``region`` must hold every code the
        queries' local ensembles touch. ``cancel`` is checked before every batch; once it is
        set the query raises :class:`~liif_viewer.cancel.Cancelled` (no partial result).
        """
        return self.query_parts([(region, norm_yx, cell)], grid_hw, cancel)[0]

    def _grid(self, grid_hw: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Code-centre coordinates of each row and column, and the grid size, made once per grid."""
        if self._grid_cache is None or self._grid_cache[0] != grid_hw:
            h, w = grid_hw
            self._grid_cache = (grid_hw, (make_coord(h, self.device), make_coord(w, self.device),
                                          torch.tensor([h, w], device=self.device, dtype=torch.float32)))
        return self._grid_cache[1]

    def _proj_with_cell(self, region: CodeRegion, grid_hw: tuple[int, int], cell: tuple[float, float]) -> torch.Tensor:
        """``region.proj`` plus the layer-1 term of one cell size (kept on the region for reuse)."""
        if region.with_cell is None or region.with_cell[0] != cell:
            grid_scale = self._grid(grid_hw)[2]
            term = (torch.tensor([cell], device=self.device) * grid_scale) @ self.w_cell_t
            region.with_cell = (cell, region.proj + term)
        return region.with_cell[1]

    def _members(self, grid_hw: tuple[int, int],
                 norm_yx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The ensemble's code rows (2, b) and cols (2, b) in the grid for queries ``norm_yx`` (b, 2), and
        the 4 members' offsets from their codes in code cells, ``rel`` (4, b, 2); ensemble order as _STEPS
        (the 4 members are 2 row choices x 2 column choices)."""
        h, w = grid_hw
        centres_y, centres_x, grid_scale = self._grid(grid_hw)
        y, x = norm_yx[:, 0], norm_yx[:, 1]
        rows, cols, rel_ys, rel_xs = [], [], [], []
        for step in (-1, 1):
            iy = self._nearest_index((y + (step / h + _EDGE_EPS)).clamp_(-1 + _EDGE_EPS, 1 - _EDGE_EPS), h)
            ix = self._nearest_index((x + (step / w + _EDGE_EPS)).clamp_(-1 + _EDGE_EPS, 1 - _EDGE_EPS), w)
            rows.append(iy)
            cols.append(ix)
            rel_ys.append((y - centres_y[iy]) * grid_scale[0])
            rel_xs.append((x - centres_x[ix]) * grid_scale[1])
        rel = torch.stack([torch.stack([rel_ys[0], rel_ys[0], rel_ys[1], rel_ys[1]]),
                           torch.stack([rel_xs[0], rel_xs[1], rel_xs[0], rel_xs[1]])], dim=-1)
        return torch.stack(rows), torch.stack(cols), rel

    def _tail(self, h1: torch.Tensor, areas: torch.Tensor, out: torch.Tensor) -> None:
        """Layers 2-5 of the 4 ensemble members and their weighted sum into ``out`` (b, 3)."""
        b = h1.shape[1]
        act = h1.view(4 * b, -1).relu_().to(self.hidden_dtype)
        if self.hidden_dtype == torch.bfloat16:
            act = _pad_rows(act)
        if self._fused is not None:
            for weight, bias in self._fused:
                act = torch.ops.mkldnn._linear_pointwise(act, weight, bias, "relu", [], "")
        else:
            for weight, bias in self.mid:
                act = torch.addmm(bias, act, weight).relu_()
        act = act[:4 * b]
        total = areas.sum(dim=0)
        # Diagonal swap of the ensemble weights (see LIIF.query_rgb).
        weights = (areas.flip(0) / total).unsqueeze(-1)
        if self.precision == "fast":
            # The last layer is linear and the weights sum to 1: blend the members' activations
            # first, then run the last layer once instead of four times.
            members = act.view(4, b, -1)  # bf16: the mixed-type products below cast as they read
            blend = members[0] * weights[0]
            for k in range(1, 4):
                blend.addcmul_(members[k], weights[k])
            out.copy_(torch.addmm(self.b_out, _two_rows(blend), self.w_out_t)[:b])
        else:
            pred = torch.addmm(self.b_out, act.float(), self.w_out_t).view(4, b, 3)
            torch.sum(pred * weights, dim=0, out=out)
        out.mul_(INPUT_STD).add_(INPUT_MEAN)

    @torch.no_grad()
    def query_parts(self, parts: list[QueryPart], grid_hw: tuple[int, int],
                    cancel: CancelToken | None = None) -> list[torch.Tensor]:
        """:meth:`query` of several (region, norm_yx, cell) parts, packed into shared MLP batches.

        Many small queries (one per tile and refinement level) cost far more one by one than
        together: each batch has a fixed overhead, and small matrices run the MLP slowly. Every
        part's members are found in one go, the parts' projections are read through one table,
        and each batch is one gather, whatever parts it holds.
        """
        if not parts:
            return []
        sizes = [norm.shape[0] for _, norm, _ in parts]
        # Fast mode: parts whose queries share one cell size (expanded rows; a part of one query has one)
        # read projections with that cell's layer-1 term added once, instead of adding it to every query.
        # A part of one query used to fail this test and send the whole call down the other path, whose
        # sums in another order made a colour depend on what shared its call.
        uniform = self.precision == "fast" and all(cell.shape[0] <= 1 or cell.stride(0) == 0 for *_, cell in parts)
        tables: dict[int, tuple[int, torch.Tensor]] = {}  # id(region) → (first row in the table, rows)
        for region, _, cell in parts:
            if id(region) not in tables:
                rows = (self._proj_with_cell(region, grid_hw, tuple(cell[0].tolist())) if uniform and len(cell)
                        else region.proj)
                tables[id(region)] = (sum(t.shape[0] for _, t in tables.values()), rows)
        table = next(iter(tables.values()))[1] if len(tables) == 1 else torch.cat([t for _, t in tables.values()])
        # Every query's members at once; then each part's codes as rows of its region (of the table).
        norm = torch.cat([norm for _, norm, _ in parts]) if len(parts) > 1 else parts[0][1]
        code_rows, code_cols, rel = self._members(grid_hw, norm)
        geometry = torch.tensor([[r.row0, r.cols, r.col0, tables[id(r)][0]] for r, *_ in parts], device=self.device)
        if len(parts) > 1:
            geometry = geometry.repeat_interleave(torch.tensor(sizes, device=self.device), dim=0)
        row0, cols, col0, first = geometry.t().unsqueeze(1)  # each (1, total) or (1, 1)
        code_rows, code_cols = (code_rows - row0) * cols, code_cols - col0
        index = torch.stack([code_rows[0] + code_cols[0], code_rows[0] + code_cols[1],
                             code_rows[1] + code_cols[0], code_rows[1] + code_cols[1]])  # (4, total)
        if any(r.lookup is not None for r, *_ in parts):  # sparse regions: dense index → row of proj
            start = 0
            for (region, *_), n in zip(parts, sizes, strict=True):
                if region.lookup is not None:
                    index[:, start:start + n] = region.lookup[index[:, start:start + n]]
                start += n
        index += first
        cells = None if uniform else torch.cat([cell for *_, cell in parts]) * self._grid(grid_hw)[2]
        areas = (rel[..., 0] * rel[..., 1]).abs_().add_(_AREA_EPS)  # (4, total)
        total = index.shape[1]
        out = torch.empty(total, 3, device=self.device)
        for start in range(0, total, self.batch_size):
            if cancel is not None and cancel.cancelled:
                raise Cancelled
            stop = min(total, start + self.batch_size)
            # Layer 1, folded: per-code projection + the 4 coordinate/cell inputs.
            h1 = table.index_select(0, index[:, start:stop].reshape(-1))
            h1.addmm_(rel[:, start:stop].reshape(-1, 2), self.w_rel_t)
            h1 = h1.view(4, stop - start, -1)
            if cells is not None:
                h1.add_((_two_rows(cells[start:stop]) @ self.w_cell_t)[:stop - start])  # (b, 256): the 4 members' term
            self._tail(h1, areas[:, start:stop], out[start:stop])
            self.batches_run += 1
            self.queries_run += stop - start
        return list(out.split(sizes))
