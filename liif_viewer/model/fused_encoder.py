"""EDSR-baseline's forward pass at the hardware's limit, for inference.

:class:`FusedEncoder` runs an :class:`~.encoder.EDSRBaseline`'s weights with activations in
``channels_last`` (NHWC), the layout oneDNN's direct convolutions are fastest in (2x the default
NCHW here), and on the CPU through oneDNN's fused kernels: conv + ReLU, and conv + residual add
written in place. Two precisions:

``exact``
    fp32 throughout: the reference's arithmetic up to summation order (features within ~3e-6
    of :meth:`LIIF.encode`; fused and unfused kernels agree bit for bit).
``fast``
    the residual blocks' convolutions in bf16 (AMX on CPUs that have it) or fp16 on CUDA, the
    residual stream too after the first ``fp32_blocks`` blocks (converting an fp32 stream around
    every bf16 conv cost more than the convs' gain). The head stays fp32 — its input is the
    image, whose 8-bit levels bf16 cannot hold (alone it made ~1% of feature error) — and so do
    the first block, the closing conv and the global skip: codes within ~0.3% (relative) of the
    reference. docs/performance.md has the error study, through the whole render.

The forward pass can be stopped between residual blocks (its ``cancel`` token), so a superseded encode
ends within 1/16 of its time.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..cancel import Cancelled, CancelToken
from .encoder import EDSRBaseline
from .liif import INPUT_MEAN, INPUT_STD, LIIF

__all__ = ["FusedEncoder", "ENCODER_PRECISIONS", "FAST_FP32_BLOCKS", "FAST_HALO", "image_encoder"]

ENCODER_PRECISIONS = ("exact", "fast")
#: Residual blocks kept in fp32 by the fast encoder (the first ones carry the most error: the
#: study in docs/performance.md).
FAST_FP32_BLOCKS = 1
#: Context (px) a crop needs around the codes it keeps for fast mode. The receptive radius (34)
#: makes tiles equal whole-image codes exactly; past 20 px the zero padding at a crop's edge
#: moves codes by at most ~3e-4 (sample, baboon; 1e-5 relative), 25x below the bf16 error.
FAST_HALO = 20

_CL = torch.channels_last
_PAD, _STRIDE, _DIL = [1, 1], [1, 1], [1, 1]


def _onednn_fusion_works() -> bool:
    """Whether oneDNN's fused conv ops run here and agree with conv2d + relu / + add."""
    if not torch.backends.mkldnn.is_available():
        return False
    try:
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(1, 8, 6, 5, generator=gen).contiguous(memory_format=_CL)
        other = torch.randn(1, 8, 6, 5, generator=gen).contiguous(memory_format=_CL)
        w = torch.randn(8, 8, 3, 3, generator=gen).contiguous(memory_format=_CL)
        b = torch.randn(8, generator=gen)
        ref = F.conv2d(x, w, b, padding=1)
        relu = torch.ops.mkldnn._convolution_pointwise(x, w, b, _PAD, _STRIDE, _DIL, 1, "relu", [], "")
        added = other.clone()
        torch.ops.mkldnn._convolution_pointwise_.binary(added, x, w, b, _PAD, _STRIDE, _DIL, 1, "add",
                                                        None, None, [], None)
    except (RuntimeError, AttributeError, NotImplementedError):
        return False
    return bool(torch.allclose(relu, ref.relu(), atol=1e-5) and torch.allclose(added, ref + other, atol=1e-5))


class _Conv:
    """One 3x3 convolution's weights, packed once for the layout and dtype it runs in."""

    def __init__(self, conv: nn.Conv2d, dtype: torch.dtype, device: torch.device) -> None:
        self.weight = conv.weight.detach().to(device, dtype).contiguous(memory_format=_CL)
        self.bias = conv.bias.detach().to(device, dtype)
        self.dtype = dtype


class FusedEncoder:
    """Image (1, 3, H, W), normalised, → features (1, C, H, W) fp32 in ``channels_last`` memory.

    Equal to ``encoder(x)`` within ~3e-6 (``exact``), or within the fast encoder's error (``fast``).
    """

    def __init__(self, encoder: EDSRBaseline, precision: str = "exact", device: torch.device | str = "cpu",
                 fp32_blocks: int = FAST_FP32_BLOCKS, low_stream: bool = True, fused: bool | None = None) -> None:
        if precision not in ENCODER_PRECISIONS:
            raise ValueError(f"precision must be one of {ENCODER_PRECISIONS}, got {precision!r}")
        if not isinstance(encoder, EDSRBaseline):
            raise TypeError(f"FusedEncoder runs EDSRBaseline encoders, not {type(encoder).__name__}")
        self.device = torch.device(device)
        self.precision = precision
        low = torch.float16 if self.device.type == "cuda" else torch.bfloat16
        #: dtype of the residual blocks' convolutions after the first ``fp32_blocks``
        self.low_dtype = low if precision == "fast" else torch.float32
        #: whether the residual stream itself drops to ``low_dtype`` after the fp32 blocks (fast only)
        self.low_stream = low_stream and precision == "fast"
        self.fused = (self.device.type == "cpu" and _onednn_fusion_works()) if fused is None else fused
        self.res_scale = None
        blocks = list(encoder.body)[:-1]
        self.head = _Conv(encoder.head[0], torch.float32, self.device)
        self.blocks: list[tuple[_Conv, _Conv]] = []
        for i, block in enumerate(blocks):
            dtype = torch.float32 if i < fp32_blocks else self.low_dtype
            self.blocks.append((_Conv(block.body[0], dtype, self.device), _Conv(block.body[2], dtype, self.device)))
            if block.res_scale != 1.0:
                self.res_scale = block.res_scale
        self.tail = _Conv(encoder.body[-1], torch.float32, self.device)
        self.out_dim = encoder.out_dim
        self.receptive_radius = encoder.receptive_radius

    def _conv(self, x: torch.Tensor, conv: _Conv, relu: bool = False) -> torch.Tensor:
        x = x.to(conv.dtype)
        if self.fused:
            return torch.ops.mkldnn._convolution_pointwise(x, conv.weight, conv.bias, _PAD, _STRIDE, _DIL, 1,
                                                           "relu" if relu else "none", [], "")
        out = F.conv2d(x, conv.weight, conv.bias, padding=1)
        return out.relu_() if relu else out

    def _add_conv_(self, acc: torch.Tensor, x: torch.Tensor, conv: _Conv) -> torch.Tensor:
        """``acc += conv(x)`` (scaled by the residual scale), fused where ``acc`` has the conv's dtype."""
        if self.res_scale is None and self.fused and acc.dtype == conv.dtype:
            return torch.ops.mkldnn._convolution_pointwise_.binary(acc, x.to(conv.dtype), conv.weight, conv.bias,
                                                                   _PAD, _STRIDE, _DIL, 1, "add", None, None,
                                                                   [], None)
        out = self._conv(x, conv)
        if self.res_scale is not None:
            out = out * self.res_scale
        return acc.add_(out)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, cancel: CancelToken | None = None) -> torch.Tensor:
        """Features of the normalised image ``x`` (1, 3, H, W); raises :class:`Cancelled` when ``cancel`` is set."""
        x = x.to(self.device, torch.float32).contiguous(memory_format=_CL)
        stream = self._conv(x, self.head)  # the residual stream, fp32
        for first, second in self.blocks:
            if cancel is not None and cancel.cancelled:
                raise Cancelled
            if self.low_stream and stream.dtype != first.dtype:
                stream = stream.to(first.dtype)
            inner = self._conv(stream, first, relu=True)
            self._add_conv_(stream, inner, second)
        stream = stream.float()
        # The global skip: the head's output again (a 3-channel conv costs ~5% of a block's and
        # spares keeping a third full-size activation alive through the blocks).
        return self._add_conv_(self._conv(x, self.head), stream, self.tail)


ImageEncoder = Callable[[torch.Tensor, CancelToken | None], torch.Tensor]


def image_encoder(model: LIIF, precision: str = "exact", device: torch.device | str = "cpu") -> ImageEncoder:
    """``encode(rgb, cancel)``: RGB (1, 3, H, W) in [0, 1] → features (1, C, H, W) fp32, like ``model.encode``.

    A :class:`FusedEncoder` for EDSR-baseline encoders; any other encoder runs as ``model.encode``
    (under autocast in ``fast``), checking ``cancel`` only before it starts.
    """
    if isinstance(model.encoder, EDSRBaseline):
        fused = FusedEncoder(model.encoder, precision, device)

        def encode(rgb: torch.Tensor, cancel: CancelToken | None = None) -> torch.Tensor:
            return fused((rgb - INPUT_MEAN) / INPUT_STD, cancel)

        return encode
    device = torch.device(device)

    @torch.no_grad()
    def encode_plain(rgb: torch.Tensor, cancel: CancelToken | None = None) -> torch.Tensor:
        if cancel is not None and cancel.cancelled:
            raise Cancelled
        if precision == "exact":
            return model.encode(rgb)
        with torch.autocast(device.type, dtype=torch.float16 if device.type == "cuda" else torch.bfloat16):
            return model.encode(rgb).float()

    return encode_plain
