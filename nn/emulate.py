"""Float emulations of `spikefp.nn.functional`: the same operations in the same order, no spiking unit.

Each function takes and returns tensors of a format's dtype, as its spiking twin, and gives the
same bits (NaNs canonical, zero signs included); values only (no autograd: wrap it in
`spikefp.nn.autograd.ste` with the float surrogate for a trainable float twin).

How each operation is rounded exactly once:

* ``+`` and ``×`` in rne: computed in float64, then rounded to the dtype. A product of two
  numbers of p ≤ 24 significant bits has at most 48 bits and, for these exponent ranges (fp32's
  at most), lies far inside float64's: it is exact. A sum may be rounded in float64, but
  rounding to 53 bits and then to p bits gives the correctly rounded sum when 53 ≥ 2p + 2
  (Figueroa, "When is double rounding innocuous?", 1995): true for p ≤ 24, overflow threshold
  and subnormals included (they are rounding points of at most p + 1 bits). The last step must
  itself be one rounding: float64 → float32 is (IEEE conversion); torch converts float64 to the
  narrower dtypes through float32, so that float32 is rounded to odd first (an inexact result
  gets an odd last bit), which makes the second rounding correct (24 ≥ p + 2; Boldo and
  Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using rounding to
  odd", 2008). fp64 computes natively (IEEE, rne).
* other modes: `spikefp.verify.fastref` (vectorized integer reference; p ≤ 24).
* fused dot products: the exact dot reference, ``spikefp.verify.fastref.OPS["dot"]`` (exact
  sums in Python integers; ``spikefp.verify.reference.OPS["dot"]`` for p > 24).
* ``exp sigmoid tanh silu gelu``: `spikefp.verify.elementary_fast` (p ≤ 24; the MPFR reference
  `spikefp.verify.elementary` otherwise), correctly rounded as the units; ``relu``: x if x > 0,
  else +0 (RISC-V fmax(x, +0)).

>>> import torch, spikefp.nn as snn
>>> x = torch.tensor([[1e-3, 3.0, -7.5]], dtype=torch.bfloat16)
>>> w = torch.tensor([[1e3, 0.1, 0.2]], dtype=torch.bfloat16)
>>> b = torch.tensor([0.5], dtype=torch.bfloat16)
>>> y = linear(x, w, b)
>>> y, torch.equal(y, snn.functional.linear(x, w, b))
(tensor([[0.2969]], dtype=torch.bfloat16), True)
"""

from __future__ import annotations

import numpy as np
import torch

from ..generators.fpformat import get_format
from ..verify import elementary, elementary_fast, fastref, reference
from .functional import additive_identity, check_accumulation, check_linear, check_matmul, _fmt
from .norms import rounded   # float64 -> dtype, rounded once (round-to-odd through float32)
from .norms_emulate import layer_norm, rms_norm, softmax   # the norms' emulations live beside them
from .units import bits, dtype as fmt_dtype, fmt_of

__all__ = ["linear", "matmul", "relu", "exp", "sigmoid", "tanh", "silu", "gelu", "add", "mul", "softmax", "layer_norm", "rms_norm"]

_INT = {1: np.uint8, 2: np.int16, 4: np.int32, 8: np.int64}
_TINT = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}


def from_bits(b: np.ndarray, fmt: str) -> torch.Tensor:
    """A tensor of ``fmt``'s dtype holding the bit patterns ``b``."""
    dt = fmt_dtype(fmt)
    n = dt.itemsize
    return torch.from_numpy(np.ascontiguousarray(b).astype(f"u{n}").view(_INT[n])).view(dt)


def _canonical(y: torch.Tensor, fmt: str) -> torch.Tensor:
    """NaNs replaced by the canonical quiet NaN (what every unit returns)."""
    nan = torch.tensor(get_format(fmt).canonical_nan, dtype=torch.int64).to(_TINT[y.element_size()])
    return torch.where(torch.isnan(y), nan.view(y.dtype), y)


def _binary(op: str, a: torch.Tensor, b: torch.Tensor, rm: str) -> torch.Tensor:
    fmt = fmt_of(a.dtype)
    if rm == "rne" and (fmt == "fp64" or fastref.supported(get_format(fmt))):
        x, y = a.double(), b.double()
        return _canonical(rounded(x * y if op == "mul" else x + y, a.dtype), fmt)
    if not fastref.supported(get_format(fmt)):
        raise ValueError(f"the emulation of {fmt} covers rne only (got {rm!r})")
    ab, bb = np.broadcast_arrays(bits(a), bits(b))
    y, _ = fastref.OPS[op](fmt, ab.reshape(-1), bb.reshape(-1), rm)
    return from_bits(y.reshape(ab.shape), fmt)


def add(a: torch.Tensor, b: torch.Tensor, rm: str = "rne") -> torch.Tensor:
    """fl(a + b) in mode ``rm`` (broadcast), as the ``add`` unit."""
    return _binary("add", a, b, rm)


def mul(a: torch.Tensor, b: torch.Tensor, rm: str = "rne") -> torch.Tensor:
    """fl(a · b) in mode ``rm`` (broadcast), as the ``mul`` unit."""
    return _binary("mul", a, b, rm)


def _fused(xs, ws, c, fmt: str, rm: str) -> torch.Tensor:
    k = xs.shape[-1]
    if c is None:
        c = torch.tensor(additive_identity(rm), dtype=xs.dtype)
    shape = torch.broadcast_shapes(xs.shape[:-1], ws.shape[:-1], c.shape)
    xb = np.broadcast_to(bits(xs), shape + (k,)).reshape(-1, k).astype(np.uint64)
    wb = np.broadcast_to(bits(ws), shape + (k,)).reshape(-1, k).astype(np.uint64)
    cb = np.broadcast_to(bits(c), shape).reshape(-1).astype(np.uint64)
    if fastref.supported(get_format(fmt)):
        y, _ = fastref.OPS["dot"](fmt, *xb.T, *wb.T, cb, rm=rm, n=k)
    else:
        y = np.array([reference.OPS["dot"](fmt, *map(int, xi), *map(int, wi), int(ci), rm=rm, n=k)[0]
                      for xi, wi, ci in zip(xb, wb, cb)], dtype=np.uint64)
    return from_bits(np.asarray(y).reshape(shape), fmt)


def _dot(xs, ws, c, fmt: str, accumulate: str, rm: str) -> torch.Tensor:
    """`spikefp.nn.functional`'s accumulation, emulated."""
    if accumulate == "fused":
        return _fused(xs, ws, c, fmt, rm)
    p = mul(xs, ws, rm)
    acc = torch.zeros(p.shape[:-1], dtype=p.dtype)
    for i in range(p.shape[-1]):
        acc = add(acc, p[..., i], rm)
    return acc if c is None else add(acc, c, rm)


@torch.no_grad()
def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           accumulate: str = "sequential", rm: str = "rne") -> torch.Tensor:
    """`spikefp.nn.functional.linear`'s result, emulated."""
    fmt = check_linear(x, weight, bias)
    check_accumulation(accumulate, rm)
    return _dot(x.unsqueeze(-2), weight, bias, fmt, accumulate, rm)


@torch.no_grad()
def matmul(a: torch.Tensor, b: torch.Tensor, accumulate: str = "sequential", rm: str = "rne") -> torch.Tensor:
    """`spikefp.nn.functional.matmul`'s result, emulated."""
    fmt = check_matmul(a, b)
    check_accumulation(accumulate, rm)
    return _dot(a.unsqueeze(-2), b.transpose(-1, -2).unsqueeze(-3), None, fmt, accumulate, rm)


@torch.no_grad()
def relu(x: torch.Tensor) -> torch.Tensor:
    """x where x > 0, else +0 (−0 and NaN included): RISC-V fmax(x, +0)."""
    _fmt(x)
    return torch.where(x > 0, x, torch.zeros((), dtype=x.dtype))


def _elementwise(name: str):
    @torch.no_grad()
    def fn(x: torch.Tensor, rm: str = "rne") -> torch.Tensor:
        fmt = _fmt(x)
        check_accumulation("sequential", rm)
        a = bits(x).reshape(-1).astype(np.uint64)
        if elementary_fast.supported(get_format(fmt)):
            y, _ = elementary_fast.evaluate(name, fmt, a, rm)
        else:
            y = np.array([elementary.OPS[name](fmt, int(v), rm)[0] for v in a], dtype=np.uint64)
        return from_bits(y.reshape(x.shape), fmt)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(x) correctly rounded in mode ``rm``, as the ``{name}`` unit."
    return fn


exp = _elementwise("exp")
sigmoid = _elementwise("sigmoid")
tanh = _elementwise("tanh")
silu = _elementwise("silu")
gelu = _elementwise("gelu")
