"""Spiking softmax, layer_norm and rms_norm: explicit compositions of units, within 1 ULP.

Each function is a fixed program of unit calls (`spikefp.nn.units.run`, rne) in a *working
format* W; its float twin (`spikefp.nn.norms_emulate`) runs the same program with float
arithmetic, so the two agree bit for bit. The input (format F) is converted into W exactly
(``to_W``), the program computes in W, and the result is rounded once to F (``to_F``). By
default W is wider than F: fp64 for fp32, fp32 for fp16, bf16 and the fp8 formats (fp64 for
fp64: no wider unit exists). ``work=F`` computes in F itself: fewer neurons, not within 1 ULP.
Reductions run along the reduced dimension in index order: r = v₀, then r = op(r, vᵢ) for
i = 1 … n-1. Gradients are the float function's in F (straight-through: `spikefp.nn.autograd.ste`
with torch.softmax, F.layer_norm, F.rms_norm as surrogates).

Order of operations (every line one rounding in W; N = n, the number of reduced elements, and
E the constant fl_W(fl64(n²·eps)) resp. fl_W(eps), constants converted to W before any unit):

* ``softmax(x, dim)``: m = max xᵢ (``max`` reduction); dᵢ = xᵢ − m; eᵢ = exp(dᵢ);
  s = Σ eᵢ (``add`` reduction); yᵢ = eᵢ / s (``div``). The maximum makes every dᵢ ≤ 0, so no eᵢ
  overflows (e^100 overflows fp16, e^89 fp32: a max-free softmax gives inf/inf = NaN there).
* ``layer_norm``: s = Σ xᵢ; tᵢ = N·xᵢ − s (``mul``, ``sub``); q = Σ tᵢ·tᵢ (``mul``, ``add``
  reduction); v = q / N + E with E = fl(n²·eps); r = rsqrt(v); yᵢ = tᵢ·r; then yᵢ·γᵢ (``mul``)
  and yᵢ + βᵢ (``add``) when given. This is torch's (x − mean)/sqrt(var + eps) multiplied through
  by n: tᵢ = n(xᵢ − mean), q/n = n²·var. N·xᵢ is exact (p_F + log2 n ≤ p_W: n ≤ 2^29 for fp32 in
  fp64), so the centred values tᵢ carry one rounding, relative, where xᵢ − fl(s/n) would carry
  the absolute error of the rounded mean (unbounded relative error for xᵢ near the mean).
* ``rms_norm``: q = Σ xᵢ·xᵢ (``mul``, ``add`` reduction); v = q / N + E with E = fl(eps);
  r = rsqrt(v); yᵢ = xᵢ·r; then yᵢ·γᵢ when given. eps = None is torch's: the machine epsilon
  of float32 for fp16, bf16 and fp32 inputs, of float64 for fp64 inputs.

Error bound (u = 2^-p_W, unit roundoff of W: 2^-53 for fp64, 2^-24 for fp32; |x| ≤ 100):
softmax: dᵢ = xᵢ − m is rounded once: |Δdᵢ| ≤ u·|dᵢ| ≤ 200u, so eᵢ has relative error ≤ 200u + u
(exp is correctly rounded); s adds ≤ (n−1)u, the quotient u: |Δy/y| ≤ (2·201 + n)u. layer_norm
(when s is exact, as for fp32 inputs whose exponents span less than 28 − log2 n binades) and
rms_norm: relative error ≤ (n + 8)u. For fp32 in fp64, n = 64: (402 + 64)·2^-53 < 2^-44 relative,
at most 2^-20 of an fp32 ulp (ulp ≥ 2^-24 relative); for fp16/bf16 in fp32: < 2^-15 relative,
≤ 1/16 ulp of fp16 (ulp ≥ 2^-11 relative). The final rounding adds ½ ulp: |y − exact| ≤ ½ ulp +
that, below 1 ulp (also in the subnormal range, where an ulp is larger than relative terms). Not
covered: layer_norm's affine yᵢ·γᵢ + βᵢ where the two terms cancel (the error of yᵢ·γᵢ is
relative to it, not to the sum: measured up to 3.5 ulps in fp16 for results near 0, within ½ with
``work="fp64"``, any wider format being allowed); a sum s that rounds (exponents spread wider than above) leaves an
absolute error n·u·max|x| in tᵢ, which exceeds an ulp only for outputs near 0 (|y| < 2^-19 at
n = 64, fp32). W must hold n·(n·max|x|)²: bf16 in fp32 overflows for |x| above about 10^17.

>>> import torch
>>> x = torch.tensor([[100.0, 99.0, -100.0]], dtype=torch.float16)
>>> softmax(x)                                  # e^100 overflows fp16: the maximum is subtracted
tensor([[0.7310, 0.2690, 0.0000]], dtype=torch.float16)
>>> rms_norm(torch.tensor([3.0, 4.0]), 2)
tensor([0.8485, 1.1314])
>>> layer_norm(torch.tensor([1.0, 2.0, 3.0], dtype=torch.bfloat16), 3)
tensor([-1.2266,  0.0000,  1.2266], dtype=torch.bfloat16)
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..generators.fpformat import get_format
from .autograd import ste
from .module import SpikingModule
from .units import dtype as fmt_dtype, fmt_of, run

__all__ = ["softmax", "layer_norm", "rms_norm", "Softmax", "LayerNorm", "RMSNorm", "WIDER", "working_format",
           "Spiking", "rounded"]

# The default working format of each input format: the narrowest unit format wider than twice the
# precision (+ a few bits) of the input, so that one final rounding dominates the error.
WIDER = {"fp8e4m3": "fp32", "fp8e5m2": "fp32", "fp16": "fp32", "bf16": "fp32", "fp32": "fp64", "fp64": "fp64"}


def working_format(fmt: str, work: str | None) -> str:
    """The working format for inputs of ``fmt``: ``WIDER[fmt]`` for None, else ``work`` (at least
    as precise as ``fmt``, with at least its exponent range)."""
    if work is None:
        return WIDER[fmt]
    fmt_dtype(work)                                          # one ValueError for an unknown name
    f, w = get_format(fmt), get_format(work)
    if w.precision < f.precision or w.emax < f.emax or w.emin > f.emin:
        raise ValueError(f"work must hold every {fmt} value exactly (got {work!r})")
    return work


def rounded(v: torch.Tensor, dt: torch.dtype) -> torch.Tensor:
    """float64 ``v`` rounded once (rne) to ``dt``. torch rounds float64 to the 16- and 8-bit
    dtypes through float32; that float32 is rounded to odd first (an inexact result gets an odd
    last bit), which makes the second rounding the correct one (24 ≥ p + 2; Boldo and Melquiond,
    2008)."""
    v = v.double()
    if dt in (torch.float64, torch.float32):
        return v.to(dt)
    f = v.float()
    inexact = torch.isfinite(f) & (f.double() != v)
    odd = (f.view(torch.int32) & 1).bool()
    away = torch.where(v > f.double(), torch.inf, -torch.inf).float()
    return torch.where(inexact & ~odd, torch.nextafter(f, away), f).to(dt)


class Spiking:
    """The arithmetic of the programs: spiking units of working format ``work`` (rne)."""

    def __init__(self, work: str):
        self.work = work

    def convert(self, x: torch.Tensor, fmt: str) -> torch.Tensor:
        src = fmt_of(x.dtype)
        return x if src == fmt else run(f"to_{fmt}", src, x)

    def const(self, value: float) -> torch.Tensor:
        return rounded(torch.tensor(float(value), dtype=torch.float64), fmt_dtype(self.work))

    def __getattr__(self, op: str):
        if op not in ("add", "sub", "mul", "div", "max", "exp", "rsqrt"):
            raise AttributeError(op)
        return lambda *xs: run(op, self.work, *xs)


def _reduce(op, v: torch.Tensor) -> torch.Tensor:
    """r = v[..., 0], then r = op(r, v[..., i]) for i = 1 … n-1."""
    r = v[..., 0]
    for i in range(1, v.shape[-1]):
        r = op(r, v[..., i])
    return r


def softmax_program(ar, x: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dimension of ``x`` with arithmetic ``ar`` (module docstring)."""
    fmt = fmt_of(x.dtype)
    xw = ar.convert(x, ar.work)
    m = _reduce(ar.max, xw)
    e = ar.exp(ar.sub(xw, m.unsqueeze(-1)))
    s = _reduce(ar.add, e)
    return ar.convert(ar.div(e, s.unsqueeze(-1)), fmt)


def layer_norm_program(ar, x: torch.Tensor, weight, bias, eps: float) -> torch.Tensor:
    """Layer norm over the last dimension of ``x`` (weight, bias: that dimension or None)."""
    fmt, n = fmt_of(x.dtype), x.shape[-1]
    xw = ar.convert(x, ar.work)
    N = ar.const(n)
    s = _reduce(ar.add, xw)
    t = ar.sub(ar.mul(xw, N), s.unsqueeze(-1))
    q = _reduce(ar.add, ar.mul(t, t))
    r = ar.rsqrt(ar.add(ar.div(q, N), ar.const(n * n * eps)))
    y = ar.mul(t, r.unsqueeze(-1))
    if weight is not None:
        y = ar.mul(y, ar.convert(weight, ar.work))
    if bias is not None:
        y = ar.add(y, ar.convert(bias, ar.work))
    return ar.convert(y, fmt)


def rms_norm_program(ar, x: torch.Tensor, weight, eps: float) -> torch.Tensor:
    """RMS norm over the last dimension of ``x`` (weight: that dimension or None)."""
    fmt, n = fmt_of(x.dtype), x.shape[-1]
    xw = ar.convert(x, ar.work)
    q = _reduce(ar.add, ar.mul(xw, xw))
    r = ar.rsqrt(ar.add(ar.div(q, ar.const(n)), ar.const(eps)))
    y = ar.mul(xw, r.unsqueeze(-1))
    if weight is not None:
        y = ar.mul(y, ar.convert(weight, ar.work))
    return ar.convert(y, fmt)


# -- argument checks shared with the emulation -------------------------------------------------

def _check(x, *params) -> str:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"spikefp.nn functions take torch tensors (got {type(x).__name__})")
    fmt = fmt_of(x.dtype)
    for p in params:
        if p is not None and (not isinstance(p, torch.Tensor) or p.dtype != x.dtype):
            raise ValueError(f"weight and bias must be tensors of the input's dtype {x.dtype}")
    return fmt


def shape_of(x: torch.Tensor, normalized_shape, *params) -> tuple:
    """``normalized_shape`` as a tuple, checked against ``x`` and the parameters (one ValueError)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    d = len(shape)
    if d == 0 or math.prod(shape) == 0 or tuple(x.shape[x.dim() - d:]) != shape or x.dim() < d:
        raise ValueError(f"normalized_shape {shape} must be a non-empty trailing part of the input's shape {tuple(x.shape)}")
    for p in params:
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(f"weight and bias must have shape {shape} (got {tuple(p.shape)})")
    return shape


def rms_eps(x: torch.Tensor, eps: float | None) -> float:
    """torch's default: the machine epsilon of the computation type (float32, or float64)."""
    if eps is not None:
        return float(eps)
    return torch.finfo(torch.float64 if x.dtype == torch.float64 else torch.float32).eps


def run_softmax(ar, x: torch.Tensor, dim: int) -> torch.Tensor:
    if x.dim() == 0 or x.shape[dim] == 0:
        raise ValueError(f"softmax needs a non-empty dimension {dim} (input shape {tuple(x.shape)})")
    return softmax_program(ar, x.movedim(dim, -1)).movedim(-1, dim)


def run_layer_norm(ar, x, shape, weight, bias, eps) -> torch.Tensor:
    lead, n = x.shape[:x.dim() - len(shape)], math.prod(shape)
    flat = [None if p is None else p.reshape(n) for p in (weight, bias)]
    return layer_norm_program(ar, x.reshape(*lead, n), *flat, eps).reshape(x.shape)


def run_rms_norm(ar, x, shape, weight, eps) -> torch.Tensor:
    lead, n = x.shape[:x.dim() - len(shape)], math.prod(shape)
    w = None if weight is None else weight.reshape(n)
    return rms_norm_program(ar, x.reshape(*lead, n), w, eps).reshape(x.shape)


# -- the spiking functions (straight-through gradients) -----------------------------------------

def softmax(x: torch.Tensor, dim: int = -1, work: str | None = None) -> torch.Tensor:
    """Softmax along ``dim`` with spiking units, maximum subtracted (module docstring)."""
    ar = Spiking(working_format(_check(x), work))
    return ste(lambda t: run_softmax(ar, t, dim), lambda t: torch.softmax(t, dim), x)


def _with_params(spiking, surrogate, x, weight, bias):
    """STE over x and the parameters that are given (None ones stay None in both functions)."""
    present = [p for p in (weight, bias) if p is not None]

    def unpack(fn):
        def call(t, *ps):
            it = iter(ps)
            return fn(t, *[None if p is None else next(it) for p in (weight, bias)])
        return call
    return ste(unpack(spiking), unpack(surrogate), x, *present)


def layer_norm(x: torch.Tensor, normalized_shape, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-5, work: str | None = None) -> torch.Tensor:
    """torch.nn.functional.layer_norm with spiking units (module docstring)."""
    ar = Spiking(working_format(_check(x, weight, bias), work))
    shape = shape_of(x, normalized_shape, weight, bias)
    return _with_params(lambda t, w, b: run_layer_norm(ar, t, shape, w, b, eps),
                        lambda t, w, b: F.layer_norm(t, shape, w, b, eps), x, weight, bias)


def rms_norm(x: torch.Tensor, normalized_shape, weight: torch.Tensor | None = None, eps: float | None = None,
             work: str | None = None) -> torch.Tensor:
    """torch.nn.functional.rms_norm with spiking units (module docstring)."""
    ar = Spiking(working_format(_check(x, weight), work))
    shape = shape_of(x, normalized_shape, weight)
    e = rms_eps(x, eps)
    return _with_params(lambda t, w, b: run_rms_norm(ar, t, shape, w, e),
                        lambda t, w, b: F.rms_norm(t, shape, w, e), x, weight, None)


# -- modules ------------------------------------------------------------------------------------

class _Norm(SpikingModule):
    """Shared by LayerNorm and RMSNorm: a sample is one normalized group (a token's vector)."""

    def _init(self, normalized_shape, eps, elementwise_affine, bias, fmt, work):
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps, self.elementwise_affine, self.fmt = eps, elementwise_affine, fmt
        self.work = working_format(fmt, work)
        dt = fmt_dtype(fmt)
        self.weight = torch.nn.Parameter(torch.ones(self.normalized_shape, dtype=dt)) if elementwise_affine else None
        self.bias = torch.nn.Parameter(torch.zeros(self.normalized_shape, dtype=dt)) if elementwise_affine and bias else None

    def samples(self, x: torch.Tensor) -> int:
        return math.prod(x.shape[:x.dim() - len(self.normalized_shape)])

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"fmt={self.fmt!r}, work={self.work!r}")


class LayerNorm(_Norm):
    """A drop-in for torch.nn.LayerNorm whose forward is `layer_norm` (γ = 1, β = 0 initially, in
    the format's dtype).

    >>> ln = LayerNorm(4, fmt="fp16")
    >>> ln(torch.tensor([[1.0, 2.0, 3.0, 4.0]], dtype=torch.float16)).tolist()
    [[-1.341796875, -0.447265625, 0.447265625, 1.341796875]]
    >>> ln.costs().units["fp32.rsqrt"]
    1
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 fmt: str = "fp32", work: str | None = None):
        super().__init__()
        self._init(normalized_shape, eps, elementwise_affine, bias, fmt, work)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps, self.work)


class RMSNorm(_Norm):
    """A drop-in for torch.nn.RMSNorm whose forward is `rms_norm` (γ = 1 initially, in the
    format's dtype; eps None as torch's).

    >>> RMSNorm(2, fmt="bf16")(torch.tensor([3.0, 4.0], dtype=torch.bfloat16))
    tensor([0.8477, 1.1328], dtype=torch.bfloat16, grad_fn=<_STEBackward>)
    """

    def __init__(self, normalized_shape, eps: float | None = None, elementwise_affine: bool = True,
                 fmt: str = "fp32", work: str | None = None):
        super().__init__()
        self._init(normalized_shape, eps, elementwise_affine, False, fmt, work)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, self.normalized_shape, self.weight, self.eps, self.work)


class Softmax(SpikingModule):
    """A drop-in for torch.nn.Softmax whose forward is `softmax` (no parameters; the format is
    the input's).

    >>> Softmax(dim=-1)(torch.tensor([0.0, 0.0], dtype=torch.bfloat16))
    tensor([0.5000, 0.5000], dtype=torch.bfloat16)
    """

    def __init__(self, dim: int = -1, work: str | None = None):
        super().__init__()
        self.dim, self.work = dim, work

    def samples(self, x: torch.Tensor) -> int:
        return x.numel() // max(x.shape[self.dim], 1) if x.dim() else 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return softmax(x, self.dim, self.work)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, work={self.work!r}"
