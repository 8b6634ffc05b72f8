"""Float emulations of `spikefp.nn.norms`: the same programs, float arithmetic, no spiking unit.

`Floats` is the arithmetic of a working format W without units: ``+ − × ÷`` computed by torch in
float64 and rounded once to W (`spikefp.nn.norms.rounded`; float64 is IEEE rne, and rounding to
53 bits first is innocuous for W of p ≤ 24 bits, as 53 ≥ 2p + 2: Figueroa, 1995); ``max`` as
RISC-V fmax (a NaN operand loses; the sign of a zero maximum never reaches a result); ``exp``
and ``rsqrt`` by the correctly rounded references (`spikefp.verify.elementary_fast` for p ≤ 24,
the MPFR reference `spikefp.verify.elementary` for fp64: about 50 µs an element); conversions as
``rounded``. NaN results are the canonical NaN, as every unit's. Values only, no autograd.

>>> import torch, spikefp.nn.norms as norms
>>> x = torch.tensor([[100.0, 99.0, -100.0]], dtype=torch.float16)
>>> y = softmax(x)
>>> y, torch.equal(y, norms.softmax(x))
(tensor([[0.7310, 0.2690, 0.0000]], dtype=torch.float16), True)
"""

from __future__ import annotations

import numpy as np
import torch

from ..generators.fpformat import get_format
from ..verify import elementary, elementary_fast
from .norms import (_check, rms_eps, rounded, run_layer_norm, run_rms_norm, run_softmax, shape_of,
                    working_format)
from .units import bits, dtype as fmt_dtype, fmt_of

__all__ = ["softmax", "layer_norm", "rms_norm", "Floats", "ulps", "float64_reference"]

_SINT = {1: np.int8, 2: np.int16, 4: np.int32, 8: np.int64}


def _from_bits(b: np.ndarray, dt: torch.dtype) -> torch.Tensor:
    n = dt.itemsize
    return torch.from_numpy(np.ascontiguousarray(b).astype(f"u{n}").view(_SINT[n])).view(dt)


def canonical(y: torch.Tensor) -> torch.Tensor:
    """NaNs replaced by the format's canonical quiet NaN."""
    nan = _from_bits(np.array(get_format(fmt_of(y.dtype)).canonical_nan), y.dtype)
    return torch.where(torch.isnan(y), nan, y)


class Floats:
    """The arithmetic of the programs in working format ``work``, without units."""

    def __init__(self, work: str):
        self.work = work
        self.dt = fmt_dtype(work)

    def _round(self, v: torch.Tensor) -> torch.Tensor:
        return canonical(rounded(v, self.dt))

    def convert(self, x: torch.Tensor, fmt: str) -> torch.Tensor:
        return x if x.dtype == fmt_dtype(fmt) else canonical(rounded(x.double(), fmt_dtype(fmt)))

    def const(self, value: float) -> torch.Tensor:
        return rounded(torch.tensor(float(value), dtype=torch.float64), self.dt)

    def add(self, a, b):
        return self._round(a.double() + b.double())

    def sub(self, a, b):
        return self._round(a.double() - b.double())

    def mul(self, a, b):
        return self._round(a.double() * b.double())

    def div(self, a, b):
        return self._round(a.double() / b.double())

    def max(self, a, b):
        return canonical(torch.fmax(a, b))

    def exp(self, x):
        return self._elementary("exp", x)

    def rsqrt(self, x):
        return self._elementary("rsqrt", x)

    def _elementary(self, fn: str, x: torch.Tensor) -> torch.Tensor:
        a = bits(x).reshape(-1).astype(np.uint64)
        if elementary_fast.supported(get_format(self.work)):
            y, _ = elementary_fast.evaluate(fn, self.work, a, "rne")
        else:
            y = np.array([elementary.OPS[fn](self.work, int(v), "rne")[0] for v in a], dtype=np.uint64)
        return _from_bits(y.reshape(x.shape), self.dt)


def ulps(y: torch.Tensor, ref) -> np.ndarray:
    """|y − ref| in units in the last place of y's format at ref (a float64 reference): the
    measure of the 1-ULP acceptance (a correctly rounded y is within ½).

    >>> ulps(torch.tensor([1.0, 1.0], dtype=torch.bfloat16), np.array([1.0, 1.0 + 2.0 ** -9])).tolist()
    [0.0, 0.25]
    """
    f = get_format(fmt_of(y.dtype))
    ref = np.asarray(ref, dtype=np.float64)
    with np.errstate(divide="ignore"):
        e = np.floor(np.log2(np.abs(ref)))
    e = np.maximum(np.where(ref == 0, f.emin, e), f.emin)
    return np.abs(y.double().numpy() - ref) / np.exp2(e - (f.precision - 1))


def float64_reference(name: str, x: np.ndarray, g=None, b=None) -> np.ndarray:
    """``name`` (softmax / layer_norm / rms_norm along the last axis) in float64 numpy with torch's
    formulas and default eps: the value the 1-ULP acceptance measures against (not an emulation).

    >>> float64_reference("softmax", np.array([0.0, 0.0])).tolist()
    [0.5, 0.5]
    """
    n = x.shape[-1]
    if name == "softmax":
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    if name == "layer_norm":
        c = x - x.mean(-1, keepdims=True)
        y = c / np.sqrt((c * c).sum(-1, keepdims=True) / n + 1e-5)
        return y if g is None else y * g + b
    return x / np.sqrt((x * x).sum(-1, keepdims=True) / n + np.finfo(np.float32).eps)


@torch.no_grad()
def softmax(x: torch.Tensor, dim: int = -1, work: str | None = None) -> torch.Tensor:
    """`spikefp.nn.norms.softmax`'s result, emulated."""
    return run_softmax(Floats(working_format(_check(x), work)), x, dim)


@torch.no_grad()
def layer_norm(x: torch.Tensor, normalized_shape, weight=None, bias=None, eps: float = 1e-5,
               work: str | None = None) -> torch.Tensor:
    """`spikefp.nn.norms.layer_norm`'s result, emulated."""
    ar = Floats(working_format(_check(x, weight, bias), work))
    return run_layer_norm(ar, x, shape_of(x, normalized_shape, weight, bias), weight, bias, eps)


@torch.no_grad()
def rms_norm(x: torch.Tensor, normalized_shape, weight=None, eps: float | None = None,
             work: str | None = None) -> torch.Tensor:
    """`spikefp.nn.norms.rms_norm`'s result, emulated."""
    ar = Floats(working_format(_check(x, weight), work))
    return run_rms_norm(ar, x, shape_of(x, normalized_shape, weight), weight, rms_eps(x, eps))
