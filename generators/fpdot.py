"""Fused dot product ``c + a0*b0 + ... + a(n-1)*b(n-1)``, rounded once, for every format.

Architecture (a Kulisch accumulator): every finite product and ``c`` is an integer multiple
of one unit ``u = 2^(2 - 2 bias - 2M)`` (the product of two smallest subnormals), and none
reaches ``2^(2 emax + 2)``, so one fixed-point word covers them all exactly:

unpack each operand (`spikefp.generators.fpcommon.unpack`) -> the 2p-bit significand
product (`spikefp.generators.multiplier.multiply`) -> two's complement by its sign (an XOR
and an increment on 2p + 1 bits, before the shift, so the shift fills with zeros below and
the sign above) -> a barrel shift left by ``ea + eb - 2`` into the accumulator word
(``c`` likewise, by ``ec - 1`` from a fixed offset) -> one multi-operand sum of the n + 1
words (counter stages, `spikefp.generators.multiplier.sum_columns`, then one lookahead
adder) -> sign and magnitude -> normalization (`_normalize_wide`: leading zeros, a left
shift that stops on the subnormal grid, of which only the top p + 2 bits are built, and a
sticky bit) -> the one shared rounder (`round_pack`, `finish`). The sum is exact however much the terms cancel: cancellation
only moves the leading one down the word, and rounding happens once, at the end.

The word has ``2 emax_field + 2p - 2`` bits for the products (emax_field the largest
finite biased exponent), ``bit_length(n)`` carry bits and a sign bit: 40 bits for fp8e4m3
(n = 4), 84 for fp16, 526 for bf16 and 558 for fp32. The shifters scale with that width,
so bf16 and fp32 cost several times fp16 (their exponent range is 8 times wider), not
because of their significands. The normalizer builds only the top p + 2 bits of the
shifted word (`_normalize_wide`), which is what keeps the wide formats affordable.

Sizes (``spikefp stats <fmt>.dot --param n=N``, static rne, default profile):

=========  ===  =======  ========  =====
format     n    neurons  synapses  depth
=========  ===  =======  ========  =====
fp8e4m3    2      1,206     5,727     44
fp8e5m2    2      1,722    10,652     45
fp8e4m3    4      1,881     8,352     47
fp8e5m2    4      2,563    14,377     48
fp16       1      2,145    13,432     53
fp16       2      3,200    18,210     55
fp16       4      5,121    26,930     58
fp16       8      8,792    44,598     62
fp16       16    15,570    77,997     63
fp16       32    29,022   145,370     65
fp16       64    56,355   277,687     69
bf16       4     17,454   116,806     66
fp32       4     24,962   158,702     70
bf16       64   140,916   731,895     76
fp32       64   244,301  1,291,660    80
=========  ===  =======  ========  =====

Each extra product costs about 850 neurons in fp16 (its multiplier, its shifter, its
column of the sum), 3,000 in bf16 and 3,600 in fp32.

Alternatives measured (n = 4, neurons / depth for fp8e4m3, fp16, bf16, fp32):

* the generic `normalize_signed` (every bit of the shifted word, sticky by ORing its low
  part): 2,097/48, 5,703/60, 24,281/74, 32,045/78 -- the top-window normalizer saves
  10-30% and 2-8 levels;
* parallel counters in the multi-operand sum: 2,107/46, 5,596/57, 20,472/65, 28,156/69
  (one level less, 5-17% more neurons);
* parallel counters in the multipliers: 1,925/47, 5,733/55, 17,742/65, 27,878/66.

Special values: a NaN operand gives the canonical NaN (NV if one is signaling); ``inf * 0``
raises NV (even beside a quiet NaN, as fma); infinite terms (products and ``c``) of both
signs raise NV unless an operand is NaN; otherwise an infinite term gives infinity of its
sign. An exact zero sum is -0 when every term (each product and c) is a zero of sign -,
+0 when every one is a zero of sign +, and otherwise +0 (-0 in rdn) -- IEEE 754's rule for
an exact zero sum (section 6.3), applied to the whole sum, so the result equals the one
of a chain of exact additions in any order.

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpformat import get_format
>>> from spikefp.generators.fpcommon import static_modes
>>> f = get_format("fp8e4m3"); b = Builder()
>>> ops = [b.input(x, 8) for x in ("a0", "a1", "b0", "b1", "c")]
>>> y, flags = dot(b, f, static_modes("rne"), *ops, n=2)
>>> b.output("y", y); b.output("flags", flags.bits())
>>> b.build().evaluate(a0=0x38, a1=0x40, b0=0x40, b1=0xb8, c=0x38)   # 1*2 + 2*(-1) + 1
{'y': 56, 'flags': 0}
"""

from __future__ import annotations

from dataclasses import replace

from ..hdl import gates
from ..hdl.builder import CONST0, Builder
from . import adders
from .fpcommon import Modes, RawFloat, finish, round_pack, unpack
from .fpformat import FPFormat
from .multiplier import multiply, sum_columns
from .normalize import Significand, const, min_unsigned, sub_padded
from .shifters import shift_left, thermometer_to_binary

__all__ = ["dot", "accumulator_bits"]


def _max_field(f: FPFormat) -> int:
    """The largest biased exponent of a finite number."""
    return f.emax + f.bias


def accumulator_bits(f: FPFormat, n: int) -> int:
    """Width of the two's complement accumulator word for ``n`` products and c.

    >>> from spikefp.generators.fpformat import get_format
    >>> accumulator_bits(get_format("fp16"), 4), accumulator_bits(get_format("fp32"), 4)
    (84, 558)
    """
    top_p = 2 * _max_field(f) - 2 + 2 * f.precision        # products: bits [ea + eb - 2, + 2p)
    top_c = _max_field(f) - 1 + f.bias + f.M - 1 + f.precision   # c: bits [ec + bias + M - 2, + p)
    return max(top_p, top_c) + n.bit_length() + 1          # n + 1 terms: carries, then a sign bit


def _signed(b: Builder, mag, sign, width: int, offset: int, amount) -> list[int]:
    """``(-1)^sign * mag * 2^(offset + amount)`` as ``width``-bit two's complement."""
    neg, _ = adders.increment(b, [gates.xor(b, x, sign) for x in mag] + [sign], sign)
    fill = neg[-1]                  # the sign of the term (0 when mag = 0)
    word = [CONST0] * offset + neg + [fill] * (width - offset - len(neg))
    return shift_left(b, word, amount, sticky=False)[0]


def _normalize_wide(b: Builder, f: FPFormat, mag, k: int):
    """`normalize_signed` for a wide magnitude whose top bit has biased exponent ``k + 1``
    (a constant >= 0): (exponent bits, `Significand`).

    Only the top p + 2 bits of ``mag << min(leading zeros, k)`` are built, by a left shift
    that takes its largest steps first (so each later stage needs fewer bits; the builder
    drops the rest), and the sticky bit comes from the leading-zero thermometer ``z_v``
    (the top v bits are 0) directly: bit j lies below the round bit after the shift s
    exactly when ``s < c_j`` (``c_j = len(mag) - p - 2 - j``), i.e. when ``not z_(c_j)``.
    """
    p, w = f.precision, len(mag)
    z = [None]
    for v in range(1, w + 1):
        z.append(gates.and_(b, [~x for x in mag[w - v:]]))
    lz = thermometer_to_binary(b, z)
    shift = min_unsigned(b, lz, const(k, lz.__len__() + 1))
    y = list(mag)
    groups = [list(range(j, min(j + 2, len(shift)))) for j in range(0, len(shift), 2)]
    for g in reversed(groups):                       # largest steps first
        y, _ = shift_left(b, y, [s if j in g else CONST0 for j, s in enumerate(shift)], sticky=False)
    sticky = []
    for j in range(w - p - 2):
        c = w - p - 2 - j                            # bit j is sticky when shift < c
        sticky.append(mag[j] if c > k else b.neuron([(mag[j], 1), (z[c], -1)], 1))
    window = y[w - p - 2:]
    exp = sub_padded(b, const(k + 1, (k + 1).bit_length() + 1), shift)
    return exp, Significand(window[2:], window[1], window[0], gates.or_(b, sticky))


def dot(b: Builder, f: FPFormat, m: Modes, *operand_bits, n: int = 4, saturate: bool = False):
    """``c + sum(a_i * b_i)`` rounded once; operands ``a0 .. a(n-1), b0 .. b(n-1), c``:
    returns (y bits, `Flags`)."""
    if len(operand_bits) != 2 * n + 1:
        raise ValueError(f"dot with n={n} takes {2 * n + 1} operands (a0..a{n - 1} b0..b{n - 1} c), "
                         f"got {len(operand_bits)}")
    p = f.precision
    A = [unpack(b, f, x) for x in operand_bits[:n]]
    B = [unpack(b, f, x) for x in operand_bits[n:2 * n]]
    C = unpack(b, f, operand_bits[2 * n])
    W = accumulator_bits(f, n)
    signs = [gates.xor(b, x.sign, y.sign) for x, y in zip(A, B)]
    words = []
    w = f.E + 1
    ext = lambda v: list(v) + [CONST0] * (w - len(v))
    for x, y, s in zip(A, B, signs):
        prod = multiply(b, x.sig, y.sig, "serial")                     # 2p bits
        e2, _ = adders.add(b, ext(x.exp), ext(y.exp))
        amount, _ = adders.add(b, e2, const(-2, w))                    # ea + eb - 2 >= 0
        words.append(_signed(b, prod, s, W, 0, amount))
    c_amount, _ = adders.add(b, list(C.exp), const(-1, f.E))           # ec - 1 >= 0
    words.append(_signed(b, C.sig, C.sign, W, f.bias + f.M - 1, c_amount))
    total = sum_columns(b, [list(col) for col in zip(*words)])
    neg = total[-1]
    mag, _ = adders.increment(b, [gates.xor(b, v, neg) for v in total[:-1]], neg)
    # mag's top bit (index W - 2) weighs 2^(W - 2) u: biased exponent W - bias - 2M = k + 1.
    k = W - 1 - f.bias - 2 * f.M
    exp, sig = _normalize_wide(b, f, mag, k)
    # Exact zero: -0 when every term is -0, +0 when every one is +0, else -0 only in rdn.
    zero = gates.nor(b, total)
    pzero = [gates.or_(b, [x.is_zero, y.is_zero]) for x, y in zip(A, B)]
    all_neg = gates.and_(b, [b.neuron([(z, 1), (s, 1)], 2) for z, s in zip(pzero, signs)] + [C.is_zero, C.sign])
    all_pos = gates.and_(b, [b.neuron([(z, 1), (s, -1)], 1) for z, s in zip(pzero, signs)] + [C.is_zero, ~C.sign])
    zero_sign = gates.or_(b, [all_neg, gates.and_(b, [m.rdn, ~all_pos])])
    raw = RawFloat(gates.mux(b, zero, neg, zero_sign), exp, sig)
    rounded = round_pack(b, f, m, raw, saturate)
    any_nan = gates.or_(b, [u.is_nan for u in A + B + [C]])
    inf_zero = gates.or_(b, [gates.or_(b, [gates.and_(b, [x.is_inf, y.is_zero]), gates.and_(b, [y.is_inf, x.is_zero])])
                             for x, y in zip(A, B)])
    p_inf = [gates.or_(b, [x.is_inf, y.is_inf]) for x, y in zip(A, B)]
    pos_inf = gates.or_(b, [gates.and_(b, [i, ~s]) for i, s in zip(p_inf, signs)] + [gates.and_(b, [C.is_inf, ~C.sign])])
    neg_inf = gates.or_(b, [gates.and_(b, [i, s]) for i, s in zip(p_inf, signs)] + [gates.and_(b, [C.is_inf, C.sign])])
    inf_diff = gates.and_(b, [pos_inf, neg_inf, ~any_nan])                    # inf - inf
    nan = gates.or_(b, [any_nan, inf_zero, inf_diff])
    nv = gates.or_(b, [u.is_snan for u in A + B + [C]] + [inf_zero, inf_diff])
    inf = gates.and_(b, [gates.or_(b, [pos_inf, neg_inf]), ~nan])
    return finish(b, f, m, replace(raw, nan=nan, nv=nv, inf=inf, inf_sign=neg_inf), rounded)
