"""Comparisons, min/max and classify: the operations that order or inspect values, never round.

IEEE values order like sign-magnitude integers on their packed bits: with ``A`` and ``B``
the magnitudes (exponent field and fraction as one unsigned number), two threshold
comparators ``A >= B`` and ``B >= A`` decide every case, and the signs, zeros and NaNs
(from `unpack`) select among them.

* ``eq`` (quiet, RISC-V ``feq``): NV only for a signaling NaN; ``+0 == -0``.
* ``lt``, ``le`` (signaling, ``flt``/``fle``): NV for any NaN; false when unordered.
* ``min``, ``max`` (RISC-V ``fmin``/``fmax``, IEEE 754-2019 minimumNumber/maximumNumber):
  the non-NaN operand when one is NaN, the canonical NaN when both are, ``-0 < +0``,
  NV for a signaling NaN.
* ``classify`` (``fclass``): a 10-bit one-hot mask, bit 0 -inf, 1 negative normal,
  2 negative subnormal, 3 -0, 4 +0, 5 positive subnormal, 6 positive normal, 7 +inf,
  8 signaling NaN, 9 quiet NaN (E4M3's only NaN is quiet; it has no infinities).

Results: ``y`` is 1 bit for the comparisons, 10 bits for classify and a value of the
format for min/max; the `Flags` have NV only. Every function takes the rounding modes ``m``
like any generator (`spikefp.generators.registry`) and ignores them: nothing here rounds.

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpcommon import static_modes
>>> from spikefp.generators.fpformat import get_format
>>> f = get_format("fp16"); b = Builder()
>>> y, flags = lt(b, f, static_modes("rne"), b.input("a", 16), b.input("b", 16))
>>> b.output("y", y); b.output("flags", flags.bits())
>>> net = b.build()
>>> net.evaluate(a=0xBC00, b=0x3C00), net.evaluate(a=0x7E00, b=0x3C00)   # -1 < 1; NaN < 1
({'y': 1, 'flags': 0}, {'y': 0, 'flags': 16})
"""

from __future__ import annotations

from dataclasses import dataclass

from ..hdl import gates
from ..hdl.builder import CONST0, Builder
from . import adders
from .fpcommon import Flags, Modes, Unpacked, unpack
from .fpformat import FPFormat

__all__ = ["eq", "lt", "le", "min_", "max_", "classify"]


@dataclass
class _Order:
    A: Unpacked
    B: Unpacked
    a_ge: int        # |a| >= |b| (magnitudes as packed integers)
    b_ge: int        # |b| >= |a|
    zeros: int       # both are zero (+0 == -0)
    nan: int         # either is NaN


def _order(b: Builder, f: FPFormat, a_bits, b_bits) -> _Order:
    A, B = unpack(b, f, a_bits), unpack(b, f, b_bits)
    ma, mb = list(a_bits[:-1]), list(b_bits[:-1])
    zeros = gates.and_(b, [A.is_zero, B.is_zero])
    return _Order(A, B, adders.ge(b, ma, mb), adders.ge(b, mb, ma), zeros, gates.or_(b, [A.is_nan, B.is_nan]))


def _below(b: Builder, o: _Order, strict: bool, signed_zero: bool = False) -> int:
    """a < b (``strict``) or a <= b, for ordered operands (the caller masks NaNs).

    ``signed_zero`` orders -0 below +0 (min/max); otherwise the zeros are equal.
    """
    sa, sb = o.A.sign, o.B.sign
    mag = (~o.b_ge if strict else o.a_ge, ~o.a_ge if strict else o.b_ge)   # (|a| > |b|, |a| < |b|) or >=, <=
    cases = [gates.and_(b, [~sa, ~sb, mag[1]]),          # both positive: |a| below |b|
             gates.and_(b, [sa, sb, mag[0]])]             # both negative: |a| above |b|
    if signed_zero or not strict:
        cases.append(gates.and_(b, [sa, ~sb]))          # -x <= +y (and -0 < +0 when signed)
    else:
        cases.append(gates.and_(b, [sa, ~sb, ~o.zeros]))   # -x < +y unless both are zero
    if not strict and not signed_zero:
        cases.append(o.zeros)                              # -0 <= +0 and +0 <= -0
    return gates.or_(b, cases)


def eq(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits):
    """a == b, quiet: NV only for a signaling NaN."""
    o = _order(b, f, a_bits, b_bits)
    same = gates.and_(b, [gates.xnor(b, o.A.sign, o.B.sign), o.a_ge, o.b_ge])
    y = b.neuron([(same, 1), (o.zeros, 1), (o.nan, -2)], 1)
    return [y], Flags(nv=gates.or_(b, [o.A.is_snan, o.B.is_snan]))


def lt(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits):
    """a < b, signaling: NV for any NaN."""
    o = _order(b, f, a_bits, b_bits)
    y = b.neuron([(_below(b, o, strict=True), 1), (o.nan, -1)], 1)
    return [y], Flags(nv=o.nan)


def le(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits):
    """a <= b, signaling: NV for any NaN."""
    o = _order(b, f, a_bits, b_bits)
    y = b.neuron([(_below(b, o, strict=False), 1), (o.nan, -1)], 1)
    return [y], Flags(nv=o.nan)


def _select(b: Builder, f: FPFormat, a_bits, b_bits, want_min: bool):
    o = _order(b, f, a_bits, b_bits)
    a_wins = _below(b, o, strict=False, signed_zero=True)
    if not want_min:      # a >= b in the same total order: b <= a
        a_wins = _below(b, _Order(o.B, o.A, o.b_ge, o.a_ge, o.zeros, o.nan), strict=False, signed_zero=True)
    na, nb = o.A.is_nan, o.B.is_nan
    both = gates.and_(b, [na, nb])
    # a when b is NaN, or neither is NaN and a wins; b otherwise (both NaN: overridden below).
    pick_a = b.neuron([(nb, 2), (a_wins, 1), (na, -2)], 1)
    y = []
    for i, (x, z) in enumerate(zip(a_bits, b_bits)):
        m = gates.mux(b, pick_a, z, x)
        y.append(b.neuron([(m, 1), (both, 1 if (f.canonical_nan >> i) & 1 else -1)], 1))
    return y, Flags(nv=gates.or_(b, [o.A.is_snan, o.B.is_snan]))


def min_(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits):
    """RISC-V fmin: the smaller operand, -0 < +0, the other operand when one is NaN."""
    return _select(b, f, a_bits, b_bits, want_min=True)


def max_(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits):
    """RISC-V fmax: the larger operand, +0 > -0, the other operand when one is NaN."""
    return _select(b, f, a_bits, b_bits, want_min=False)


def classify(b: Builder, f: FPFormat, m: Modes, a_bits):
    """RISC-V fclass: the 10-bit one-hot class mask (see the module docstring); no flags."""
    A = unpack(b, f, a_bits)
    s = A.sign
    field_zero = gates.nor(b, A.field)
    normal = [~field_zero, ~A.is_inf, ~A.is_nan]
    sub = [field_zero, ~A.is_zero]
    y = [gates.and_(b, [s, A.is_inf]), gates.and_(b, [s] + normal), gates.and_(b, [s] + sub),
         gates.and_(b, [s, A.is_zero]), gates.and_(b, [~s, A.is_zero]), gates.and_(b, [~s] + sub),
         gates.and_(b, [~s] + normal), gates.and_(b, [~s, A.is_inf]),
         A.is_snan, gates.and_(b, [A.is_nan, ~A.is_snan])]
    return y, Flags()
