"""Normalization: the shifts and exponent arithmetic between an operation core and the rounder.

An operation core ends with an exact magnitude ``t`` whose top bit has a known biased
exponent; `normalize` and `normalize_signed` shift it so that the hidden bit lands on top
(or, below the normal range, onto the subnormal grid, exponent 1), and `split` cuts the
result into the `Significand` the shared rounder (`spikefp.generators.fpcommon.round_pack`)
takes: p bits, a guard bit, a round bit and the sticky OR of the rest.

Every helper adds neurons to a builder; each docstring checks it against its
specification in Python integers, exhaustively at a small width (`exhaustive_check`
evaluates a little netlist on every input).

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpformat import get_format
>>> b = Builder(); t = b.input("t", 8)
>>> sig = split(b, get_format("e3m2"), t)          # p = 3: 3 bits, guard, round, sticky of 3
>>> b.output("sig", sig.bits); b.output("grs", [sig.guard, sig.round, sig.sticky])
>>> b.build().evaluate(t=0b101_1_0_001)
{'sig': 5, 'grs': 5}
"""

from __future__ import annotations

from itertools import product
from typing import Callable, NamedTuple

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from . import adders
from .fpformat import FPFormat
from .shifters import leading_zeros, shift_left, shift_right, thermometer_to_binary

__all__ = ["Significand", "Clamped", "const", "mux_bits", "min_unsigned", "sub_padded", "clamp_exponent",
           "DECODED_MAX_WIDTH", "left_shift_decoded", "normalize", "split", "normalize_signed", "exhaustive_check"]

DECODED_MAX_WIDTH = 16  # widest vector normalized through thermometer codes (n^2/2 neurons)


class Significand(NamedTuple):
    """A significand cut for rounding: ``bits`` (p bits, LSB first, the hidden bit at
    index p - 1), then the ``guard`` and ``round`` bits below it and the ``sticky`` OR of
    every bit further down."""
    bits: list[int]
    guard: int
    round: int
    sticky: int


class Clamped(NamedTuple):
    """A two's complement exponent ``k`` clamped at 0: ``negative`` (k < 0), and
    ``value`` = max(k, 0) and ``plus_one`` = max(k, 0) + 1, both one bit narrower than k
    (the callers' exponents have a bit of headroom, so ``plus_one`` never wraps)."""
    negative: int
    value: list[int]
    plus_one: list[int]


def exhaustive_check(build: Callable, spec: Callable, **widths: int) -> bool:
    """Evaluate ``build(builder, **input bits)`` (a dict of output bit lists) on every input
    of the given widths and compare it with ``spec(**input ints)`` (a dict of ints).

    >>> exhaustive_check(lambda b, x: {"y": [~x[0]]}, lambda x: {"y": 1 - x}, x=1)
    True
    """
    b = Builder()
    ports = {name: b.input(name, w) for name, w in widths.items()}
    for name, bits in build(b, **ports).items():
        b.output(name, bits)
    net = b.build()
    return all(net.evaluate(**dict(zip(widths, v))) == spec(**dict(zip(widths, v)))
               for v in product(*(range(1 << w) for w in widths.values())))


def const(value: int, width: int) -> list[int]:
    """The bits of the constant ``value`` (modulo 2^width), LSB first.

    >>> const(6, 4) == [CONST0, CONST1, CONST1, CONST0]
    True
    """
    return [CONST1 if (value >> j) & 1 else CONST0 for j in range(width)]


def mux_bits(b: Builder, s: int, x0, x1) -> list[int]:
    """``x1 if s else x0``, bit by bit.

    >>> exhaustive_check(lambda b, s, x, y: {"m": mux_bits(b, s[0], x, y)},
    ...       lambda s, x, y: {"m": y if s else x}, s=1, x=3, y=3)
    True
    """
    return [gates.mux(b, s, u, v) for u, v in zip(x0, x1)]


def min_unsigned(b: Builder, x, y) -> list[int]:
    """Unsigned min of two bit vectors, as wide as the narrower one.

    >>> exhaustive_check(lambda b, x, y: {"m": min_unsigned(b, x, y)}, lambda x, y: {"m": min(x, y)}, x=4, y=3)
    True
    """
    n = max(len(x), len(y))
    xe, ye = list(x) + [CONST0] * (n - len(x)), list(y) + [CONST0] * (n - len(y))
    x_le_y = adders.ge(b, ye, xe)
    w = min(len(x), len(y))
    return mux_bits(b, x_le_y, ye[:w], xe[:w])


def sub_padded(b: Builder, x, y) -> list[int]:
    """x - y for unsigned bit vectors, zero-extended to a common width plus one bit
    (two's complement).

    >>> exhaustive_check(lambda b, x, y: {"d": sub_padded(b, x, y)}, lambda x, y: {"d": (x - y) % 16}, x=3, y=2)
    True
    """
    ext = max(len(x), len(y)) + 1
    d, _ = adders.sub(b, list(x) + [CONST0] * (ext - len(x)), list(y) + [CONST0] * (ext - len(y)))
    return d


def clamp_exponent(b: Builder, k) -> Clamped:
    """Clamp the two's complement exponent ``k`` at 0 (see `Clamped`).

    >>> def build(b, k):
    ...     c = clamp_exponent(b, k + [k[-1]])         # sign-extended: headroom
    ...     return {"neg": [c.negative], "value": c.value, "plus_one": c.plus_one}
    >>> def spec(k):
    ...     v = max(k - 16 if k >> 3 else k, 0)
    ...     return {"neg": k >> 3, "value": v, "plus_one": v + 1}
    >>> exhaustive_check(build, spec, k=4)
    True
    """
    kneg = k[-1]
    kpos = [b.neuron([(x, 1), (kneg, -1)], 1) for x in k[:-1]]
    e1, _ = adders.increment(b, kpos)
    return Clamped(kneg, kpos, e1)


def _decoded_shift_fits(b: Builder, n: int, bound_bits: int) -> bool:
    prof = b.profile
    return n <= DECODED_MAX_WIDTH and prof.weight_ok(1 << (bound_bits - 1)) and \
        (prof.max_fanin is None or prof.max_fanin >= max(n, bound_bits))


def left_shift_decoded(b: Builder, t, bound):
    """``t << min(leading zeros, bound)`` and the shift in binary, through thermometer codes.

    ``z_v`` = the top v bits are 0, ``c_v = [bound >= v]``, and ``m_v = z_v AND c_v`` is the
    thermometer code of the shift; output bit i is the OR over v of ``[t_(i-v) + m_v -
    m_(v+1) >= 2]`` (depth 3 from t, against ~11 for counter + min + barrel shifter).

    >>> def spec(t, s):
    ...     k = min(5 - t.bit_length(), s)
    ...     return {"y": (t << k) % 32, "k": k}
    >>> exhaustive_check(lambda b, t, s: dict(zip("yk", left_shift_decoded(b, t, s))), spec, t=5, s=3)
    True
    """
    n = len(t)
    weights = [(x, 1 << j) for j, x in enumerate(bound)]
    m = [CONST1]
    for v in range(1, n + 1):
        c = b.neuron(weights, v)                        # bound >= v, early
        m.append(gates.and_(b, [c] + [~x for x in t[n - v:]]))
    m.append(CONST0)
    out = []
    for i in range(n):
        terms = [b.neuron([(t[i - v], 1), (m[v], 1), (m[v + 1], -1)], 2) if v else
                 b.neuron([(t[i], 1), (m[1], -1)], 1) for v in range(i + 1)]
        out.append(gates.or_(b, terms))
    return out, thermometer_to_binary(b, m[:n + 1])


def normalize(b: Builder, t, bound, e_top):
    """Shift ``t`` left by min(leading zeros, bound); returns (shifted bits, new top exponent).

    ``e_top`` is the biased exponent of ``t``'s top bit and ``bound = e_top - 1``: the shift
    stops at exponent 1, which leaves subnormal results on the subnormal grid. The exponent
    is ``e_top - shift`` as `sub_padded` gives it. Narrow vectors use thermometer codes
    (`left_shift_decoded`, shallow), wide ones a leading-zero counter and a barrel shifter
    (fewer neurons).

    >>> def spec(t, bound, e):
    ...     k = min(5 - t.bit_length(), bound)
    ...     return {"y": (t << k) % 32, "exp": (e - k) % 16}
    >>> exhaustive_check(lambda b, t, bound, e: dict(zip(("y", "exp"), normalize(b, t, bound, e))),
    ...       spec, t=5, bound=3, e=3)
    True
    """
    if _decoded_shift_fits(b, len(t), len(bound)):
        n, shift = left_shift_decoded(b, t, bound)
    else:
        shift = min_unsigned(b, leading_zeros(b, t), bound)
        n, _ = shift_left(b, t, shift, sticky=False)
    return n, sub_padded(b, e_top, shift)


def split(b: Builder, f: FPFormat, n, sticky=CONST0) -> Significand:
    """The top p bits of ``n`` as the significand, the next two as guard and round, the
    rest (and ``sticky``) ORed into the sticky bit (see the module example)."""
    cut = len(n) - f.precision
    return Significand(n[cut:], n[cut - 1], n[cut - 2], gates.or_(b, list(n[:cut - 2]) + [sticky]))


def normalize_signed(b: Builder, f: FPFormat, t, k):
    """Normalize ``t`` whose top bit has biased exponent ``k + 1`` (``k``: two's complement
    bits): returns (exponent bits, `Significand`).

    Left shift by min(leading zeros, max(k, 0)); when k < 0 the result is below the normal
    range and the top p + 2 bits are shifted right by -k with sticky (exponent 1). The
    result is exact to the guard and round bits, the sticky bit says whether anything
    nonzero lies below, and the hidden bit is 1 unless the exponent is 1.

    >>> from fractions import Fraction
    >>> from spikefp.generators.fpformat import get_format
    >>> f = get_format("e3m2")                     # p = 3
    >>> def spec(t, k):
    ...     k = k - 16 if k >> 3 else k
    ...     e = max(k, 0) + 1 - min(6 - t.bit_length(), max(k, 0))
    ...     v = t * Fraction(2) ** (k + 1 - 5)     # t's top bit (of 6) weighs 2^(k+1)
    ...     unit = Fraction(2) ** (e - f.precision - 1)   # the round bit's weight
    ...     q = int(v // unit)
    ...     return {"e": e, "sig": q >> 2, "grs": (q & 3) << 1 | (v != q * unit)}
    >>> def build(b, t, k):
    ...     e, s = normalize_signed(b, f, t, k + [k[-1]])   # sign-extended: headroom
    ...     return {"e": e, "sig": s.bits, "grs": [s.sticky, s.round, s.guard]}
    >>> exhaustive_check(build, spec, t=6, k=4)
    True
    """
    p = f.precision
    kneg, kpos, e1 = clamp_exponent(b, k)
    n, exp = normalize(b, t, kpos, e1)
    window = n[len(n) - p - 2:]                         # p significand bits, guard, round
    amount = [gates.and_(b, [x, kneg]) for x in adders.negate(b, k)[:-1]]
    shifted, st = shift_right(b, window, amount)
    return exp, split(b, f, shifted, gates.or_(b, [st] + list(n[:len(n) - p - 2])))
