"""Spiking functions on torch tensors: linear, matmul and elementwise activations, bit for bit.

Every function runs spiking units through `spikefp.nn.units.run` (recorded for the cost report)
in an order of operations fixed here, so a float emulation (`spikefp.nn.emulate`) can reproduce
it bit for bit; its gradient is the float function's (straight-through, `spikefp.nn.autograd.ste`,
with the surrogate computed in the input's dtype). The format is the tensors' dtype.

Accumulation of a dot product of length K (``linear``: x·wᵀ + b; ``matmul``: a·b):

* ``"sequential"``: every product pᵢ = fl(xᵢ·wᵢ) (one ``mul`` call on broadcast tensors), then
  acc = +0 and acc = fl(acc + pᵢ) for i = 0 … K-1 in index order (K ``add`` calls), then
  fl(acc + b) when there is a bias. The first addition is kept (not replaced by acc = p₀): it
  makes a −0 product +0 in every mode but rdn, as a hardware accumulator cleared to +0 does.
* ``"fused"``: one ``<fmt>.dot`` unit (parameter n = K) per output, c + Σ xᵢ·wᵢ rounded once;
  c is the bias, or without one the additive identity of the mode: −0 (−0 + s = s for every s,
  zeros included), but +0 in rdn (where +0 + −0 = −0): so the result is the rounded exact sum.

Elementwise: ``relu(x)`` is ``max(x, +0)`` through the ``max`` unit, RISC-V fmax: relu(−0) = +0
and relu(NaN) = +0 (fmax returns the non-NaN operand; a signaling NaN raises NV), where
torch.relu gives −0 and NaN. ``exp sigmoid tanh silu gelu`` are the correctly rounded units
(GELU in its erf form).

>>> import torch
>>> x = torch.tensor([[1.0, 2.0, 3.0]], dtype=torch.float16)
>>> w = torch.tensor([[0.5, 0.25, -1.0], [1.0, 1.0, 1.0]], dtype=torch.float16)
>>> linear(x, w, torch.tensor([0.0, 0.5], dtype=torch.float16))
tensor([[-2.0000,  6.5000]], dtype=torch.float16)
>>> relu(torch.tensor([-1.0, -0.0, float("nan"), 2.0])).tolist()
[0.0, 0.0, 0.0, 2.0]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..generators.fpformat import ROUNDING_MODES
from .autograd import ste
from .norms import layer_norm, rms_norm, softmax   # the norms live in their own module
from .units import fmt_of, run

__all__ = ["linear", "matmul", "relu", "exp", "sigmoid", "tanh", "silu", "gelu", "softmax", "layer_norm", "rms_norm", "ACCUMULATE"]

ACCUMULATE = ("sequential", "fused")


def additive_identity(rm: str) -> float:
    """The zero z with z + s = s for every s in mode ``rm``: −0, but +0 in rdn."""
    return 0.0 if rm == "rdn" else -0.0


def check_accumulation(accumulate: str, rm: str) -> None:
    """One ValueError for an unknown accumulation order or rounding mode."""
    if accumulate not in ACCUMULATE:
        raise ValueError(f"accumulate must be one of {', '.join(ACCUMULATE)} (got {accumulate!r})")
    if rm not in ROUNDING_MODES:
        raise ValueError(f"rm must be a static rounding mode, one of {', '.join(ROUNDING_MODES)} (got {rm!r})")


def _fmt(*tensors) -> str:
    """The format shared by ``tensors`` (None skipped), or one ValueError."""
    ts = [t for t in tensors if t is not None]
    for t in ts:
        if not isinstance(t, torch.Tensor):
            raise ValueError(f"spikefp.nn functions take torch tensors (got {type(t).__name__})")
    dts = {t.dtype for t in ts}
    if len(dts) != 1:
        raise ValueError(f"operands must share one dtype (got {', '.join(sorted(map(str, dts)))})")
    return fmt_of(ts[0].dtype)


def check_linear(x, weight, bias) -> str:
    """The format of a linear layer's operands, after checking their shapes (one ValueError)."""
    fmt = _fmt(x, weight, bias)
    if weight.dim() != 2:
        raise ValueError(f"weight must have shape (out_features, in_features) (got {tuple(weight.shape)})")
    if x.dim() < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"input's last dimension must be in_features = {weight.shape[1]} (got shape {tuple(x.shape)})")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"bias must have shape ({weight.shape[0]},) (got {tuple(bias.shape)})")
    return fmt


def check_matmul(a, b) -> str:
    """The format of a matmul's operands, after checking their shapes (one ValueError)."""
    fmt = _fmt(a, b)
    if a.dim() < 2 or b.dim() < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"matmul takes a (..., m, k) and b (..., k, n) (got {tuple(a.shape)} and {tuple(b.shape)})")
    try:
        torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except RuntimeError:
        raise ValueError(f"matmul's batch dimensions do not broadcast: {tuple(a.shape)} and {tuple(b.shape)}") from None
    return fmt


def _surrogate_dtype(fn):
    """``fn`` computed in the inputs' dtype, or in float32 for fp8 (torch has no fp8 arithmetic)."""
    def surrogate(*ts):
        if ts[0].element_size() == 1:
            return fn(*(t.float() for t in ts)).to(ts[0].dtype)
        return fn(*ts)
    return surrogate


def _dot(xs, ws, c, fmt: str, accumulate: str, rm: str) -> torch.Tensor:
    """Σ xs[..., i]·ws[..., i] (+ c): operands broadcast to the result's shape + (K,)."""
    k = xs.shape[-1]
    if accumulate == "fused":
        if c is None:
            c = torch.tensor(additive_identity(rm), dtype=xs.dtype)
        return run("dot", fmt, *xs.unbind(-1), *ws.unbind(-1), c, rm=rm, n=k)
    p = run("mul", fmt, xs, ws, rm=rm)            # every product at once
    acc = torch.zeros(p.shape[:-1], dtype=p.dtype)  # +0
    for i in range(k):
        acc = run("add", fmt, acc, p[..., i], rm=rm)
    return acc if c is None else run("add", fmt, acc, c, rm=rm)


def _linear(x, weight, bias, accumulate, rm):
    fmt = fmt_of(x.dtype)
    return _dot(x.unsqueeze(-2), weight, bias, fmt, accumulate, rm)


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           accumulate: str = "sequential", rm: str = "rne") -> torch.Tensor:
    """x·weightᵀ + bias (x (..., in), weight (out, in), bias (out,)) accumulated as the module
    docstring states; gradient of ``F.linear``."""
    check_linear(x, weight, bias)
    check_accumulation(accumulate, rm)
    if bias is None:
        return ste(lambda x, w: _linear(x, w, None, accumulate, rm), _surrogate_dtype(F.linear), x, weight)
    return ste(lambda x, w, b: _linear(x, w, b, accumulate, rm), _surrogate_dtype(F.linear), x, weight, bias)


def _matmul(a, b, accumulate, rm):
    # a (..., m, 1, k) against bᵀ (..., 1, n, k): every product of the result's dot products
    return _dot(a.unsqueeze(-2), b.transpose(-1, -2).unsqueeze(-3), None, fmt_of(a.dtype), accumulate, rm)


def matmul(a: torch.Tensor, b: torch.Tensor, accumulate: str = "sequential", rm: str = "rne") -> torch.Tensor:
    """a (..., m, k) · b (..., k, n) (batch dimensions broadcast), each of the m·n dot products
    accumulated as `linear`'s without bias; gradient of ``torch.matmul``."""
    check_matmul(a, b)
    check_accumulation(accumulate, rm)
    return ste(lambda a, b: _matmul(a, b, accumulate, rm), _surrogate_dtype(torch.matmul), a, b)


def _relu(x):
    return run("max", fmt_of(x.dtype), x, torch.zeros((), dtype=x.dtype))


def relu(x: torch.Tensor) -> torch.Tensor:
    """max(x, +0) (RISC-V fmax: +0 for −0 and NaN); gradient of ``torch.relu``."""
    _fmt(x)
    return ste(_relu, _surrogate_dtype(torch.relu), x)


def _elementwise(name: str, surrogate):
    def fn(x: torch.Tensor, rm: str = "rne") -> torch.Tensor:
        fmt = _fmt(x)
        check_accumulation("sequential", rm)
        return ste(lambda t: run(name, fmt, t, rm=rm), _surrogate_dtype(surrogate), x)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{name}(x) correctly rounded in mode ``rm`` (the ``{name}`` unit); gradient of the float {name}."
    return fn


exp = _elementwise("exp", torch.exp)
sigmoid = _elementwise("sigmoid", torch.sigmoid)
tanh = _elementwise("tanh", torch.tanh)
silu = _elementwise("silu", F.silu)
gelu = _elementwise("gelu", F.gelu)
