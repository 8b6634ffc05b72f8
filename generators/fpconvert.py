"""Conversions: float to float, float to integer, integer to float, one generator each.

Every conversion is unpack -> rescale -> `round_pack` (the shared rounder) -> `finish`,
or, for integer targets, a right shift to the integer grid and the rounding increment.

`fp_to_fp`: the source significand is moved onto the target's grid. A target with a wider
exponent field re-biases the exponent by wiring alone (``e + 2^(Ed-1) - 2^(Es-1)`` is the
top bit, its complement repeated, then the low bits) and normalizes source subnormals with
a leading-zero count and a left shift; a narrower one subtracts the bias difference and
shifts values below its normal range right, with sticky, onto its subnormal grid. NaN
gives the canonical NaN (NV for a signaling one). E4M3 has no infinity: an infinite
source is invalid there (NV) and gives the canonical NaN, or with ``saturate`` the signed
largest finite number, as an out-of-range value does in a float-to-integer conversion.

`fp_to_int`: RISC-V ``fcvt`` semantics. The significand is shifted right so that its bits
land on the integer grid (guard and sticky below it), the shared `round_up` decides the
increment, and a negative result is the two's complement ``~t + ~up`` of the truncated
magnitude ``t`` and increment ``up``, so one incrementer serves both signs. Out of range
(after rounding), NaN and infinities saturate with NV and no NX.

`int_to_fp`: the magnitude (a conditional two's complement of a signed input) is
normalized by a leading-zero count and a left shift; its exponent is a constant minus the
count. Overflow (e.g. u64 to fp16, any integer beyond 448 to E4M3) follows the target's
rules through `finish`; an exact zero is +0.

Sizes (default profile, ``b.build().stats()``; rne static / dynamic rm port):

=================  ===============  ===============
conversion         rne static       dynamic rm
=================  ===============  ===============
fp16.to_fp32       132 / 12         (exact)
fp32.to_fp16       205 / 16         225 / 17
fp32.to_bf16        75 / 6           95 / 6
fp64.to_fp32       430 / 20         450 / 21
fp32.to_fp8e4m3    118 / 15         135 / 16
fp32.to_i32        505 / 19         514 / 19
fp64.to_i64       1135 / 22        1144 / 23
i32.to_fp32        596 / 18         616 / 19
u64.to_fp64       1046 / 16        1061 / 17
=================  ===============  ===============

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpformat import get_format, get_int_format
>>> from spikefp.generators.fpcommon import static_modes
>>> b = Builder()
>>> y, flags = fp_to_int(b, get_format("fp16"), get_int_format("i32"), static_modes("rne"), b.input("a", 16))
>>> b.output("y", y); b.output("flags", flags.bits())
>>> b.build().evaluate(a=0xc0a0)                 # -2.5 rounds to even: -2, inexact
{'y': 4294967294, 'flags': 1}
"""

from __future__ import annotations

from dataclasses import replace

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from . import adders
from .fpcommon import Flags, Modes, RawFloat, finish, round_pack, round_up, unpack
from .fpformat import FPFormat, IntFormat
from .normalize import Significand, const, split, sub_padded
from .shifters import leading_zeros, shift_left, shift_right

__all__ = ["fp_to_fp", "fp_to_int", "int_to_fp", "convert"]


def _const_minus(b: Builder, c: int, x) -> list[int]:
    """``c - x`` for a constant ``c >= 0`` and unsigned bits ``x``, two's complement, one bit to spare."""
    return sub_padded(b, const(c, c.bit_length()), x)


def _window(b: Builder, f: FPFormat, bits, sticky: int = CONST0) -> Significand:
    """`normalize.split` of ``bits`` (top bit = the hidden bit's place), zero-padded below when
    there are fewer bits than the significand, guard and round (then exact)."""
    bits = list(bits)
    return split(b, f, [CONST0] * max(0, f.precision + 2 - len(bits)) + bits, sticky)


def _widen_exponent(src: FPFormat, dst: FPFormat, exp) -> list[int]:
    """``exp + dst.bias - src.bias`` for ``dst.E >= src.E``, by wiring: the biases differ by
    ``2^(Ed-1) - 2^(Es-1)``, which fills the new middle bits with the complement of the top bit."""
    top = exp[src.E - 1]
    return list(exp[:src.E - 1]) + [~top] * (dst.E - src.E) + [top]


def _rescale(b: Builder, src: FPFormat, dst: FPFormat, u):
    """The source value on the target's grid: (exponent bits, `Significand`).

    The exponent is that of the significand's top (hidden) bit, biased for ``dst``; it is
    a don't-care where that bit is 0 (subnormal results and zero), as `round_pack` allows.
    """
    d = dst.bias - src.bias
    sig = u.sig
    if d >= 0:
        exp = _widen_exponent(src, dst, u.exp)
        if d > 0:
            # Source subnormals (exponent 1 + d here) may be normal in dst: shift them left
            # by their leading zeros, at most d (onto dst's subnormal grid when d < M).
            cut = src.precision - 1 - d
            probe = sig if cut <= 0 else [CONST1] + list(sig[cut + 1:])
            lz = leading_zeros(b, probe)
            sig, _ = shift_left(b, sig, lz, sticky=False)
            exp, _ = adders.sub(b, exp, list(lz) + [CONST0] * (len(exp) - len(lz)))
        return exp, _window(b, dst, sig)
    # Narrower exponent range: kd = ks + d may be <= 0: shift right by 1 - kd (sticky).
    w = src.E + 1
    kd, _ = adders.add(b, list(u.exp) + [CONST0], const(d % (1 << w), w))
    r = _const_minus(b, 1 - d, u.exp)                       # 1 - kd
    amount = [b.neuron([(x, 1), (r[-1], -1)], 1) for x in r[:-1]]   # max(1 - kd, 0)
    n = dst.precision + 2
    pre = list(sig[:max(0, len(sig) - n)])
    top = [CONST0] * max(0, n - len(sig)) + list(sig[max(0, len(sig) - n):])
    shifted, st = shift_right(b, top, amount)
    return kd, _window(b, dst, shifted, gates.or_(b, pre + [st]))


def fp_to_fp(b: Builder, src: FPFormat, dst: FPFormat, m: Modes, a_bits, saturate: bool = False):
    """Convert a ``src`` value to ``dst``: returns (y bits, `Flags`)."""
    u = unpack(b, src, a_bits)
    exp, sig = _rescale(b, src, dst, u)
    inf_invalid = u.is_inf if not dst.ieee else CONST0     # E4M3 has no infinity
    # Saturated, an infinity is the largest finite number (NV only).
    raw = RawFloat(u.sign, exp, sig, saturated_inf=inf_invalid if saturate else CONST0)
    rounded = round_pack(b, dst, m, raw, saturate)
    nan = gates.or_(b, [u.is_nan] + ([] if saturate else [inf_invalid]))
    nv = gates.or_(b, [u.is_snan, inf_invalid])
    return finish(b, dst, m, replace(raw, nan=nan, nv=nv, inf=u.is_inf if dst.ieee else CONST0, inf_sign=u.sign),
                  rounded)


def _range(b: Builder, dst: IntFormat, t, up: int, big: int):
    """Out-of-range conditions of the rounded magnitude ``t + up``: (positive, negative)."""
    n = dst.width
    if dst.signed:   # positive: t + up >= 2^(n-1); negative: t + up > 2^(n-1)
        pos = gates.or_(b, [big, t[n - 1], gates.and_(b, list(t[:n - 1]) + [up])])
        neg = gates.or_(b, [big, _and_or(b, t[n - 1], list(t[:n - 1]) + [up])])
    else:            # positive: t + up >= 2^n; negative: any nonzero result
        pos = gates.or_(b, [big, gates.and_(b, list(t) + [up])])
        neg = gates.or_(b, [big, up] + list(t))
    return pos, neg


def _and_or(b: Builder, x: int, ys) -> int:
    """``x AND (OR of ys)``."""
    return gates.and_(b, [x, gates.or_(b, ys)])


def fp_to_int(b: Builder, src: FPFormat, dst: IntFormat, m: Modes, a_bits):
    """Convert a ``src`` value to the integer format ``dst`` (RISC-V ``fcvt``): (y bits, `Flags`)."""
    u = unpack(b, src, a_bits)
    n = dst.width
    # Grid: index 0 sticky slot, 1 guard, 2 + i integer bit i; the hidden bit (weight 2^e,
    # e = ks - bias) starts at integer bit n - 1 and moves right by (n - 1 + bias) - ks.
    base = n + 1 - src.M                   # grid index of significand bit 0
    grid = [CONST0] * (n + 2)
    pre = []
    for j, x in enumerate(u.sig):
        if base + j >= 0:
            grid[base + j] = x
        else:
            pre.append(x)
    r = _const_minus(b, n - 1 + src.bias, u.exp)
    big = r[-1]                            # e >= n: out of range for every integer format
    shifted, st = shift_right(b, grid, r[:-1])
    t, g = shifted[2:], shifted[1]
    s = gates.or_(b, [shifted[0], st] + pre)
    up = round_up(b, m, u.sign, t[0], g, CONST0, s)
    inexact = gates.or_(b, [g, s])
    pos_bad, neg_bad = _range(b, dst, t, up, big)
    pos_bad, neg_bad = (gates.or_(b, [u.is_inf, x]) for x in (pos_bad, neg_bad))
    use_max = gates.or_(b, [u.is_nan, m.invalid, gates.and_(b, [~u.sign, pos_bad])])
    use_min = gates.and_(b, [u.sign, neg_bad, ~u.is_nan, ~m.invalid])
    if dst.signed:   # -(t + up) = ~t + ~up: one incrementer for both signs
        val, _ = adders.increment(b, [gates.xor(b, x, u.sign) for x in t], gates.xor(b, up, u.sign))
    else:            # negative in-range results are 0 = t + up
        val, _ = adders.increment(b, t, up)
    hi, lo = dst.bits(dst.max), dst.bits(dst.min)
    y = [b.neuron([(v, 1), (use_max, 2 * ((hi >> i) & 1) - 1), (use_min, 2 * ((lo >> i) & 1) - 1)], 1)
         for i, v in enumerate(val)]
    nv = gates.or_(b, [use_max, use_min])
    nx = b.neuron([(inexact, 1), (nv, -1)], 1)
    return y, Flags(nv=nv, nx=nx)


def int_to_fp(b: Builder, src: IntFormat, dst: FPFormat, m: Modes, a_bits):
    """Convert an integer bit pattern (two's complement when ``src.signed``) to ``dst``."""
    n = src.width
    if src.signed:
        sign = a_bits[n - 1]
        mag, _ = adders.increment(b, [gates.xor(b, x, sign) for x in a_bits], sign)
    else:
        sign, mag = CONST0, list(a_bits)
    lz = leading_zeros(b, mag)
    norm, _ = shift_left(b, mag, lz, sticky=False)
    exp = _const_minus(b, n - 1 + dst.bias, lz)[:-1]      # exponent of the top bit, >= 0
    exp += [CONST0] * (dst.E - len(exp))
    raw = RawFloat(sign, exp, _window(b, dst, norm))
    return finish(b, dst, m, raw, round_pack(b, dst, m, raw))


def convert(b: Builder, src: FPFormat | IntFormat, m: Modes, a_bits, *, target: FPFormat | IntFormat, **params):
    """``a`` from ``src`` to ``target``: the registry's one generator convention for conversions.

    Dispatches to `fp_to_fp` (which takes ``saturate``), `fp_to_int` or `int_to_fp`.
    """
    if isinstance(src, IntFormat):
        return int_to_fp(b, src, target, m, a_bits, **params)
    if isinstance(target, IntFormat):
        return fp_to_int(b, src, target, m, a_bits, **params)
    return fp_to_fp(b, src, target, m, a_bits, **params)
