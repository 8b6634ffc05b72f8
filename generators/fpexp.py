"""exp and exp2, correctly rounded: fixed-point argument, 2^r by table and digit recurrence.

The shared API (other elementary functions build on it):

* `to_fixed`: an unpacked operand as a two's complement fixed-point number, cut with a
  sticky bit (`FixedArg`).
* `exp_fixed`: ``base^v = 2^k * y`` for a fixed-point ``v`` (`ExpParts`), ``y`` in [1, 2)
  truncated to W fraction bits, never above the true value and less than 2 units of
  2^-W below it.

How ``2^r`` (r in [0, 1), R fraction bits) is made, every step rounding down so the
approximation never exceeds the true value:

1. ``t = v * log2(e)`` (base e): a constant multiplication, the rows of ``v`` (two's
   complement) at the constant's set bits summed by counters, floored at R + G bits;
   ``k = floor(t)`` and ``r = t - k``.
2. A table (one-hot ROM: one neuron per entry, one OR per output bit) gives
   ``y = 2^(r_hi)`` for the top ``table_bits`` bits of r.
3. Multiplicative normalization for the rest: at step i, if ``r >= c_i`` (``c_i`` =
   log2(1 + 2^-i) rounded up, a literal) then ``r -= c_i`` and ``y += y >> i``. After step
   n, ``r < log2(e) 2^-n``.
4. A first-order finish: ``y += y * (r ln 2)``; ``2^r - 1 - r ln 2 < 2^-2n``, so n = R/2
   steps suffice.

Error analysis (R = W + G bits inside, units of 2^-R): the argument (base e) is low by
at most 2 units of r (2.8 of y), the table by 1, each of the s recurrence steps by 1 (the
shifted y truncated) and by 1.4 (its constant rounded up), the finish by 1 (2^-2n) + 2
(u = r ln 2 truncated, ln 2 rounded down) + 3 (the product's operands cut, its
partial products in the lowest columns left out, its result truncated): all in all ``E = 2.4 s + 13`` units
after the factors (<= 2.02) that later steps multiply an error by. G = bit_length(E)
makes that less than 2^-W, and the final truncation to W bits
adds less than one more unit: ``0 <= 2^r - y 2^-W < 2^(1-W)``.

Correct rounding (round to odd): the unit keeps p + 2 bits of y and a sticky bit that is 1
for every non-exact input; that rounds correctly in all modes unless a (p + 2)-bit number
lies in the error interval, (true - 2^(1-W), true] widened by the operand's cut to W + 2
fraction bits (`to_fixed` floors it, with a sticky bit) to (true - 2^(1.33-W), true].
W = p + 2 + g:

* One-sidedness settles the tiny arguments: for 0 < x the computed y is >= 1 and below
  the true value, for x < 0 it is below 2 at k = -1: 1 +- tiny is never pushed across 1.
* exp near 0 has structure (exp(x) = 1 + x + x^2/2 + x^3/6 ...): with 1 + x on the
  (p + 2)-bit grid the result is x^2/2 >= 2^-(2p+4) off it; worse, x = 2^-j - 2^-(2j+1)
  (j <= p - 1) and x = -(2^-j + 2^-(2j+1)) (j <= p - 2) make x's last bit cancel x^2/2,
  and exp(x) is 2^-3j/3 >= 2^(1.4-3p) from a grid point (fp32: x = 0x33ffffff,
  0xb4800001). exp needs W >= 3p: g = 2p - 1 (W = 3p + 1). exp2 has no such family (2^(m 2^-q) is
  irrational and ln 2 breaks every cancellation); its only exact cases are the integers.
* Elsewhere the result falls in the interval with probability 2^(1.33-W) / 2^-(p+1) =
  2^(0.33-g) per input, so g >= width + 1 (capped at 33) expects less than one failure
  over all the inputs (fp32: 2^-32.7 per input, and fewer than 2^31 fp32 inputs have a
  result that is neither 1 +- tiny nor out of range; fp32.exp has g = 47).

``exp``: g = max(2p - 1, min(width + 1, 33)), ``exp2``: g = min(width + 1, 33).
W (exp / exp2): fp8e4m3 15 / 15, fp16 34 / 30, bf16 27 / 27, fp32 73 / 59, fp64 160 / 88.
Exact results: v = 0 gives y = 1 with sticky 0 (exp(0) = 1); exp2 of an integer has r = 0.

Sizes, static RNE, default profile (``spikefp stats fp32.exp``), neurons / depth; NEXUS's
fp32 exp: 256,463 neurons (shared/ANCHORS.md), the target 10% of it: 25,646.

=======  ===============  ===============
format   exp              exp2
=======  ===============  ===============
fp16      5,027 / 155      3,718 / 130
bf16      3,740 / 139      3,276 / 125
fp32     18,638 / 294     11,856 / 226
fp64     78,060 / 737     24,897 / 327
=======  ===============  ===============

Alternatives measured (exp; ``spikefp stats fp32.exp --param table_bits=0``): 0 is the
pure digit recurrence (2^r by multiplicative normalization from step 1), larger tables
replace the first steps by a one-hot ROM. A recurrence step (two carry networks on the
residual, a gated add on y) costs about as much as doubling a 2^6..2^9-entry ROM, so 8 is
kept. A table times a polynomial in r_lo was not built: with r_lo < 2^-8 and W = 73
(fp32) it needs degree 9, i.e. eight W-bit multiplications (~10,000 neurons each):

==========  ===============  ===============
table_bits  fp16.exp         fp32.exp
==========  ===============  ===============
0            5,614 / 203     19,550 / 342
6            5,157 / 167     19,141 / 306
8            5,027 / 155     18,638 / 294
10           5,642 / 143     19,049 / 282
12           9,278 / 131     23,196 / 270
==========  ===============  ===============

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpformat import get_format
>>> from spikefp.generators.fpcommon import static_modes
>>> f = get_format("fp16"); b = Builder()
>>> y, flags = exp(b, f, static_modes("rne"), b.input("a", 16))
>>> b.output("y", y); b.output("flags", flags.bits())
>>> net = b.build()
>>> net.evaluate(a=0x3c00), net.evaluate(a=0x0000)     # e = 0x4170 inexact; e^0 = 1 exactly
({'y': 16752, 'flags': 1}, {'y': 15360, 'flags': 0})
"""

from __future__ import annotations

import decimal
from dataclasses import replace
from typing import NamedTuple

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from . import adders
from .fpcommon import Modes, RawFloat, Unpacked, finish, round_pack, unpack
from .fpdivsqrt import restoring_step
from .fpformat import FPFormat
from .multiplier import sum_columns
from .normalize import const, normalize_signed
from .shifters import shift_right

__all__ = ["FixedArg", "ExpParts", "to_fixed", "exp_fixed", "exp", "exp2", "working_bits", "guard_bits", "TABLE_BITS", "TABLES"]

TABLE_BITS = 8           # default ROM address width (measured best for fp32, module docstring)
TABLES = (0, 6, 8, 10, 12)  # the alternatives measured (``--param table_bits=0``)


class FixedArg(NamedTuple):
    """A two's complement fixed-point number: ``bits`` LSB first with ``frac`` fraction
    bits (the top bit is the sign); ``sticky``: a nonzero bit was cut below (the value is
    the floor of the operand); ``big``: |operand| >= 2^int_bits (the value is clamped to
    the range, sticky set)."""
    bits: list[int]
    frac: int
    sticky: int
    big: int


class ExpParts(NamedTuple):
    """``base^v = 2^k * y * 2^-W`` (approximately, see `exp_fixed`): ``k`` two's complement
    bits, ``y`` W + 1 bits (top bit 1), ``sticky`` = the result is not exactly that."""
    k: list[int]
    y: list[int]
    sticky: int


# -- constants, to any precision, as one-sided integer bounds (pure Python) ---------------------

def _bound(fn, scale: int, up: bool) -> int:
    """floor (or ceil when ``up``) of ``fn() * 2^scale``, an integer bound that is safe either
    way: ``fn`` is computed with ample digits and pushed by a margin before the cut."""
    with decimal.localcontext() as ctx:
        ctx.prec = int(scale * 0.302) + 60
        v = fn() * (decimal.Decimal(2) ** scale)
        margin = decimal.Decimal(10) ** -25
        v = v + margin if up else v - margin
        return int(v.to_integral_value(decimal.ROUND_CEILING if up else decimal.ROUND_FLOOR))


def _ln2():
    return decimal.Decimal(2).ln()


def _log2e():
    return 1 / decimal.Decimal(2).ln()


def _log2_1p(i: int):
    return (1 + decimal.Decimal(2) ** -i).ln() / decimal.Decimal(2).ln()


def _pow2(e: int, a: int):
    return (decimal.Decimal(e) / (1 << a) * decimal.Decimal(2).ln()).exp()


# -- adding many rows: counters column by column, then one adder -------------------------------

def _sum_columns(b: Builder, cols: list[list[int]]) -> list[int]:
    """The sum (modulo 2^len(cols)) of the literals in each column (column j weighs 2^j)."""
    # 31-input counters (5 count bits, fan-in 35), constant zeros dropped.
    return sum_columns(b, [[x for x in c if x != CONST0] for c in cols], cap=31)


def _product_above(b: Builder, x, y, unit: int) -> list[int]:
    """``x * y`` less the partial products of the columns below ``drop`` (the largest with
    drop 2^drop <= 2^unit): low by less than one ``unit`` column, about a third fewer
    partial products than `multiply` for the finish's operands."""
    drop = unit
    while drop > 0 and drop << drop > 1 << unit:
        drop -= 1
    cols: list[list[int]] = [[] for _ in range(len(x) + len(y))]
    for i, xi in enumerate(x):
        for j, yj in enumerate(y):
            if i + j >= drop:
                cols[i + j].append(gates.and_(b, [xi, yj]))
    return _sum_columns(b, cols)


def _mul_const(b: Builder, x, signed: bool, c: int, shift: int, width: int, minus=CONST0) -> list[int]:
    """``x * c / 2^shift - minus`` rounded down to an integer, modulo 2^width, low by less
    than 2 units: the rows ``x << j`` (set bits j of ``c``) are floored ``guard`` bits below
    the unit (guard = bit length of the row count), summed, and the sum floored. ``x``:
    bits, two's complement when ``signed``; ``minus``: a literal subtracted at the guard
    scale (1 unit of 2^-guard)."""
    rows = bin(c).count("1")
    guard = rows.bit_length()
    wg = width + guard
    cols: list[list[int]] = [[] for _ in range(wg)]
    offset = 0
    n = len(x)
    for j in range(c.bit_length()):
        if not (c >> j) & 1:
            continue
        for i, xi in enumerate(x):
            col = i + j - shift + guard      # x bit i lands here
            if signed and i == n - 1:        # -s 2^col = ~s 2^col - 2^col (the row sign-extended)
                col = max(col, 0)            # all bits cut: the floored row is -s
                if col < wg:
                    cols[col].append(~xi)
                    offset -= 1 << col
            elif 0 <= col < wg:
                cols[col].append(xi)
    if minus != CONST0:
        cols[0].append(~minus)
        offset -= 1
    offset %= 1 << wg
    for j in range(wg):
        if (offset >> j) & 1:
            cols[j].append(CONST1)
    return _sum_columns(b, cols)[guard:]


# -- the shared API --------------------------------------------------------------------------

def to_fixed(b: Builder, f: FPFormat, u: Unpacked, frac: int, int_bits: int) -> FixedArg:
    """The unpacked operand ``u`` as two's complement fixed point: int_bits + frac + 1 bits.

    The value is the floor of the operand at ``frac`` fraction bits (``sticky``: something
    was cut) or, when |operand| >= 2^int_bits (``big``, also infinities and NaNs), the
    largest magnitude of that sign, floored: +(2^int_bits - 2^-frac) or -2^int_bits.

    >>> from spikefp.hdl import Builder
    >>> from spikefp.generators.fpformat import get_format
    >>> from spikefp.generators.fpcommon import unpack
    >>> f = get_format("fp16"); b = Builder()
    >>> x = to_fixed(b, f, unpack(b, f, b.input("a", 16)), frac=4, int_bits=3)
    >>> b.output("v", x.bits); b.output("s", [x.sticky, x.big])
    >>> b.build().evaluate(a=0xc0d0)              # -2.40625: floor -39/16, a 1/32 cut
    {'v': 217, 's': 1}
    >>> (217 - 256) / 16
    -2.4375
    """
    p, n = f.precision, int_bits + frac
    if n >= p:
        mag, cut = [CONST0] * (n - p) + list(u.sig), CONST0
    else:
        mag, cut = list(u.sig[p - n:]), gates.or_(b, u.sig[:p - n])
    # The hidden bit sits at 2^(int_bits-1) when e - bias = int_bits - 1: shift right by the rest.
    w = max(f.E, (f.bias + int_bits).bit_length()) + 1
    s, big = adders.sub(b, const(f.bias + int_bits - 1, w), list(u.exp) + [CONST0] * (w - f.E))
    mag, st = shift_right(b, mag, s)
    sticky = gates.or_(b, [cut, st, big])
    mag = [gates.or_(b, [m, big]) for m in mag] + [CONST0]
    neg = u.sign
    # -(m + d) floored, d in [0, 1) units: ~m + 1 - [d > 0].
    flip = [gates.xor(b, m, neg) for m in mag]
    bits, _ = adders.increment(b, flip, gates.and_(b, [neg, ~sticky]))
    return FixedArg(bits, frac, sticky, big)


def _pow2_fraction(b: Builder, r, R: int, W: int, table_bits: int):
    """``y`` (W + 1 bits, value y 2^-W in [1, 2)) just below 2^(r 2^-R), r unsigned, R bits."""
    a = min(table_bits, R)
    r = list(r)
    if a:                                    # y = 2^(r_hi): a one-hot ROM
        hi = r[R - a:]
        hits = [gates.and_(b, [x if (e >> j) & 1 else ~x for j, x in enumerate(hi)]) for e in range(1 << a)]
        table = [_bound(lambda e=e: _pow2(e, a), R, False) if e else 1 << R for e in range(1 << a)]
        y = []
        for j in range(R + 1):
            ones = [h for h, t in zip(hits, table) if (t >> j) & 1]
            if len(ones) * 2 > len(hits):    # mostly ones: NOT (OR of the zeros)
                y.append(~gates.or_(b, [h for h, t in zip(hits, table) if not (t >> j) & 1]))
            else:
                y.append(gates.or_(b, ones))
        r = r[:R - a]                        # r < 2^-a
    else:
        y = [CONST0] * R + [CONST1]
    n = (R + 1) // 2                         # 2^r - 1 - r ln2 < 2^-2n <= 2^-R
    for i in range(a + 1, n + 1):
        c = _bound(lambda i=i: _log2_1p(i), R, True)
        q, r = restoring_step(b, r, const(c, len(r)))
        r = r[:R - i + 1]                    # r < log2(e) 2^-i < 2^(1-i)
        shifted = [gates.and_(b, [q, x]) for x in y[i:]] + [CONST0] * i
        y, _ = adders.add(b, y, shifted)
    # Finish: y + y * u, u = r ln2 < 2^-n (R fraction bits); y cut to R - n + 1 fraction bits.
    m = len(r)                               # r < 2^(m - R)
    if m == 0:
        return y[R - W:]
    u = _mul_const(b, r, False, _bound(_ln2, m + 4, False), m + 4, m)
    top = R - n + 1
    prod = _product_above(b, y[R - top:], u, top)     # fraction bits: top + R
    corr = prod[top:][:R + 1]
    corr = corr + [CONST0] * (R + 1 - len(corr))
    y, _ = adders.add(b, y, corr)
    return y[R - W:]


def guard_bits(W: int, table_bits: int = TABLE_BITS) -> int:
    """G of the error analysis (module docstring): bits kept below 2^-W inside `exp_fixed`."""
    g = 4
    while True:
        R = W + g
        steps = max(0, (R + 1) // 2 - min(table_bits, R))
        if 2.4 * steps + 13 <= (1 << g):
            return g
        g += 1


def exp_fixed(b: Builder, v, frac: int, W: int, base: str = "e", table_bits: int = TABLE_BITS) -> ExpParts:
    """``base^v = 2^k * y * 2^-W`` for the two's complement fixed-point ``v`` (``frac``
    fraction bits), ``base`` "e" or "2" (or 2).

    ``y`` (W + 1 bits, top bit 1) is the true ``base^v 2^-k`` truncated from below:
    ``0 <= base^v 2^-k - y 2^-W < 2^(1-W)``. ``k`` = floor(v log2(base)) as two's complement
    (len(v) - frac + 1 bits); base e: or one less when v log2(e) is within 2^(1-R) above an
    integer (R = W + `guard_bits`), y then just below 2. ``sticky`` = the result is inexact: v != 0 (base e) or v's
    fraction bits != 0 (base 2). The caller bounds v's range (k must fit its exponent).

    >>> from spikefp.hdl import Builder
    >>> b = Builder(); v = b.input("v", 8)              # 4 fraction bits: v in [-8, 8)
    >>> k, y, s = exp_fixed(b, v, 4, 12)
    >>> b.output("k", k); b.output("y", y); b.output("s", [s])
    >>> out = b.build().evaluate(v=16)                # e^1 = 2^1 * 1.359140914...
    >>> out["k"], out["y"], out["s"], 0 <= 1.3591409142295225 * 2**12 - out["y"] < 2
    (1, 5566, 1, True)
    """
    if str(base) not in ("e", "2"):
        raise ValueError(f"unknown base {base!r}; choose 'e' or '2'")
    base = str(base)
    if W < 2:
        raise ValueError(f"W must be at least 2, got {W}")
    v = list(v)
    ib = len(v) - frac                       # integer bits, sign included: |v| <= 2^(ib-1)
    G = guard_bits(W, table_bits)
    R = W + G
    if base == "e":
        # |t| < 2^(ib-1) log2(e) < 2^ib. The constant rounded down to R + 8 + ib bits is
        # off by < 2^-(R+8) for any v: high when v < 0, so 1 unit at the guard scale
        # (at most 2^-(R+6)) is subtracted then; the result is low by < 2 units of 2^-R.
        c = _bound(_log2e, R + 8 + ib, False)
        t = _mul_const(b, v, True, c, frac + 8 + ib, ib + 1 + R, minus=v[-1])
        sticky = gates.or_(b, v)
    else:
        t = v[frac - R:] if frac >= R else [CONST0] * (R - frac) + v
        t = t + [t[-1]]                      # k as wide as for base e
        sticky = gates.or_(b, v[:frac]) if frac else CONST0
    k, r = t[R:], t[:R]
    y = _pow2_fraction(b, r, R, W, table_bits)
    return ExpParts(list(k), y, sticky)


# -- the units ----------------------------------------------------------------------------------

def working_bits(f: FPFormat, base: str = "e") -> int:
    """W = p + 2 + g of the unit ``<f>.exp`` (base "e") or ``<f>.exp2`` (module docstring).

    >>> from spikefp.generators.fpformat import get_format
    >>> working_bits(get_format("fp32")), working_bits(get_format("fp32"), "2")
    (73, 59)
    """
    spread = min(f.width + 1, 33)
    g = max(2 * f.precision - 1, spread) if base == "e" else spread
    return f.precision + 2 + g


def _exp(b: Builder, f: FPFormat, m: Modes, a_bits, base: str, saturate: bool, table_bits: int):
    A = unpack(b, f, a_bits)
    W = working_bits(f, base)
    # |x| beyond the range (t > emax + 1 or t < emin - p - 2) clamps; exp needs log2(e) fewer.
    limit = max(f.emax + 2, f.precision - f.emin + 2)
    if base == "e":
        limit = int(limit * 0.6932) + 1
    int_bits = limit.bit_length()
    x = to_fixed(b, f, A, W + 2, int_bits)
    parts = exp_fixed(b, x.bits, x.frac, W, base, table_bits)
    sticky = gates.or_(b, [parts.sticky, x.sticky])
    neg_inf = gates.and_(b, [A.is_inf, A.sign])
    t = [b.neuron([(bit, 1), (neg_inf, -1)], 1) for bit in [sticky] + parts.y]   # e^-inf = +0 exactly
    # y's top bit weighs 2^k: biased exponent k + bias.
    wk = max(len(parts.k) + 1, f.E + 2) + 1
    k = list(parts.k) + [parts.k[-1]] * (wk - len(parts.k))
    kk, _ = adders.add(b, k, const(f.bias - 1, wk))
    exp, sig = normalize_signed(b, f, t, kk)
    raw = RawFloat(CONST0, exp, sig)
    rounded = round_pack(b, f, m, raw, saturate)
    pos_inf = gates.and_(b, [A.is_inf, ~A.sign])
    return finish(b, f, m, replace(raw, nan=A.is_nan, nv=A.is_snan, inf=pos_inf), rounded)


def exp(b: Builder, f: FPFormat, m: Modes, a_bits, saturate: bool = False, table_bits: int = TABLE_BITS):
    """e^a, correctly rounded: returns (y bits, `Flags`)."""
    return _exp(b, f, m, a_bits, "e", saturate, table_bits)


def exp2(b: Builder, f: FPFormat, m: Modes, a_bits, saturate: bool = False, table_bits: int = TABLE_BITS):
    """2^a, correctly rounded: returns (y bits, `Flags`); 2^k is exact."""
    return _exp(b, f, m, a_bits, "2", saturate, table_bits)
