"""Floating-point operations: add, sub, mul, fma, one generator each for every format.

Each operation is unpack -> core -> `round_pack` (the one shared rounder) -> `finish`.

add/sub (single path): the operand of larger magnitude is found with one comparator on the
packed bits (exponent and fraction compare as one unsigned number), the smaller one is
aligned by a barrel shifter that keeps a guard and a round bit and ORs the rest into a
sticky bit, the significands are added or subtracted (two's complement through free
complemented literals and a carry in), and the sum is normalized by a left shift of
``min(leading zeros, exponent)``, which lands subnormal results on the subnormal grid.

mul: the significand product comes from the threshold-counter multiplier; a left shift by
``min(leading zeros, k)`` (k = ea + eb - bias) normalizes it, and when k < 0 a right shift
with sticky denormalizes it.

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpformat import get_format
>>> from spikefp.generators.fpcommon import static_modes
>>> f = get_format("fp8e5m2"); b = Builder()
>>> y, flags = add(b, f, static_modes("rne"), b.input("a", 8), b.input("b", 8))
>>> b.output("y", y); b.output("flags", flags)
>>> b.build().evaluate(a=0x3c, b=0x3c)                 # 1.0 + 1.0 = 2.0
{'y': 64, 'flags': 0}
"""

from __future__ import annotations

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from . import adders
from .fpcommon import Modes, finish, round_pack, unpack
from .fpformat import FPFormat
from .multiplier import multiply
from .shifters import leading_zeros, shift_left, shift_right

__all__ = ["add", "sub", "mul", "fma", "OPERATIONS"]


def _mux(b: Builder, s: int, x0, x1) -> list[int]:
    return [gates.mux(b, s, u, v) for u, v in zip(x0, x1)]


def _min(b: Builder, x, y) -> list[int]:
    """Unsigned min of two bit vectors, as wide as the narrower one."""
    n = max(len(x), len(y))
    xe, ye = list(x) + [CONST0] * (n - len(x)), list(y) + [CONST0] * (n - len(y))
    x_le_y = adders.ge(b, ye, xe)
    w = min(len(x), len(y))
    return _mux(b, x_le_y, ye[:w], xe[:w])


def _normalize(b: Builder, t, bound, e_top):
    """Shift ``t`` left by min(leading zeros, bound); returns (shifted bits, new top exponent).

    ``e_top`` is the biased exponent of ``t``'s top bit and ``bound = e_top - 1``: the shift
    stops at exponent 1, which leaves subnormal results on the subnormal grid.
    """
    shift = _min(b, leading_zeros(b, t), bound)
    n, _ = shift_left(b, t, shift, sticky=False)
    ext = max(len(e_top), len(shift)) + 1
    exp, _ = adders.sub(b, list(e_top) + [CONST0] * (ext - len(e_top)),
                        list(shift) + [CONST0] * (ext - len(shift)))
    return n, exp


def _normalize_signed(b: Builder, f: FPFormat, t, k):
    """Normalize ``t`` whose top bit has exponent ``k + 1`` (``k``: two's complement bits).

    Left shift by min(leading zeros, max(k, 0)); when k < 0 the result is below the normal
    range and the top p + 2 bits are shifted right by -k with sticky (exponent 1).
    Returns (exponent bits, (significand, g, r, s)).
    """
    p = f.precision
    kneg = k[-1]
    kpos = [b.neuron([(x, 1), (kneg, -1)], 1) for x in k[:-1]]        # max(k, 0)
    e1, _ = adders.increment(b, kpos)
    n, exp = _normalize(b, t, kpos, e1)
    window = n[len(n) - p - 2:]                         # p significand bits, guard, round
    amount = [gates.and_(b, [x, kneg]) for x in adders.negate(b, k)[:-1]]
    shifted, st = shift_right(b, window, amount)
    return exp, _split(b, f, shifted, gates.or_(b, [st] + list(n[:len(n) - p - 2])))


def _const(value: int, width: int) -> list[int]:
    return [CONST1 if (value >> j) & 1 else CONST0 for j in range(width)]


def _split(b: Builder, f: FPFormat, n, sticky=CONST0):
    """Top p bits of ``n`` as the significand, the next two as guard and round, the rest sticky."""
    cut = len(n) - f.precision
    return n[cut:], n[cut - 1], n[cut - 2], gates.or_(b, list(n[:cut - 2]) + [sticky])


def add(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits, negate_b: bool = False, saturate: bool = False):
    """``a + b`` (``a - b`` with ``negate_b``): returns (y bits, flag bits)."""
    p = f.precision
    A, B = unpack(b, f, a_bits), unpack(b, f, b_bits)
    sb = ~B.sign if negate_b else B.sign
    mag_a, mag_b = list(a_bits[:f.width - 1]), list(b_bits[:f.width - 1])
    swap = ~adders.ge(b, mag_a, mag_b)                 # |b| > |a|
    big_e, small_e = _mux(b, swap, A.exp, B.exp), _mux(b, swap, B.exp, A.exp)
    big_sig, small_sig = _mux(b, swap, A.sig, B.sig), _mux(b, swap, B.sig, A.sig)
    big_sign = gates.mux(b, swap, A.sign, sb)
    eff_sub = gates.xor(b, A.sign, sb)
    d, _ = adders.sub(b, big_e, small_e)
    aligned, sticky = shift_right(b, [CONST0, CONST0] + small_sig, d)   # round, guard, significand
    y = [gates.xor(b, v, eff_sub) for v in [sticky] + aligned]           # p + 3 bits
    x = [CONST0] * 3 + big_sig
    total, cout = adders.add(b, x, y, eff_sub)
    t = total + [b.neuron([(cout, 1), (eff_sub, -1)], 1)]              # carry of a true addition
    # The top bit of t has weight 2^(big_e + 1 - bias): normalize from exponent big_e + 1.
    e1, _ = adders.increment(b, list(big_e) + [CONST0])
    n, exp = _normalize(b, t, big_e, e1)
    sig, g, r, s = _split(b, f, n)
    zero = gates.nor(b, t)
    # An exact zero sum is -0 only from two -0 addends, or in rdn from opposite signs.
    sign = gates.mux(b, zero, big_sign, gates.mux(b, eff_sub, A.sign, m.rdn))
    rounded = round_pack(b, f, m, sign, exp, sig, g, r, s, saturate)
    both_inf = b.neuron([(A.is_inf, 1), (B.is_inf, 1), (eff_sub, 1)], 3)
    nan = gates.or_(b, [A.is_nan, B.is_nan, both_inf])
    nv = gates.or_(b, [A.is_snan, B.is_snan, both_inf])
    inf = b.neuron([(A.is_inf, 1), (B.is_inf, 1), (nan, -2)], 1)
    return finish(b, f, m, sign, rounded, nan=nan, nv=nv, inf=inf,
                  inf_sign=gates.mux(b, A.is_inf, sb, A.sign))


def sub(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits, saturate: bool = False):
    return add(b, f, m, a_bits, b_bits, negate_b=True, saturate=saturate)


def mul(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits, saturate: bool = False, counter: str = "serial"):
    """``a * b``: returns (y bits, flag bits)."""
    p = f.precision
    A, B = unpack(b, f, a_bits), unpack(b, f, b_bits)
    sign = gates.xor(b, A.sign, B.sign)
    prod = multiply(b, A.sig, B.sig, counter)                          # 2p bits
    # k = ea + eb - bias is the biased exponent of product bit 2p-2; as E+2-bit two's complement.
    w = f.E + 2
    ea = list(A.exp) + [CONST0] * 2
    eb = list(B.exp) + [CONST0] * 2
    s1, _ = adders.add(b, ea, eb)
    k, _ = adders.add(b, s1, _const(-f.bias % (1 << w), w))
    exp, (sig, g, r, s) = _normalize_signed(b, f, prod, k)
    rounded = round_pack(b, f, m, sign, exp, sig, g, r, s, saturate)
    inf_zero = gates.or_(b, [gates.and_(b, [A.is_inf, B.is_zero]), gates.and_(b, [B.is_inf, A.is_zero])])
    nan = gates.or_(b, [A.is_nan, B.is_nan, inf_zero])
    nv = gates.or_(b, [A.is_snan, B.is_snan, inf_zero])
    inf = b.neuron([(A.is_inf, 1), (B.is_inf, 1), (nan, -2)], 1)
    return finish(b, f, m, sign, rounded, nan=nan, nv=nv, inf=inf, inf_sign=sign)


def fma(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits, c_bits, saturate: bool = False,
        counter: str = "serial"):
    """``a * b + c`` with a single rounding: returns (y bits, flag bits).

    The exact product sits at a fixed place in a 4p + 8 bit window; c starts at the top and
    is shifted right by its exponent distance (with sticky), or stays at the top when it is
    the larger term (the product is then only sticky). The difference is made positive by
    a conditional two's complement, and the shared normalization and rounder finish.
    """
    p = f.precision
    A, B, C = unpack(b, f, a_bits), unpack(b, f, b_bits), unpack(b, f, c_bits)
    sign_p = gates.xor(b, A.sign, B.sign)
    eff_sub = gates.xor(b, sign_p, C.sign)
    prod = multiply(b, A.sig, B.sig, counter)                          # 2p bits
    w = max(f.E, (p + 4).bit_length()) + 3
    ext = lambda v: list(v) + [CONST0] * (w - len(v))
    s1, _ = adders.add(b, ext(A.exp), ext(B.exp))
    top_p, _ = adders.add(b, s1, _const((p + 4 - f.bias) % (1 << w), w))   # kp + p + 4
    sh, _ = adders.sub(b, top_p, ext(C.exp))                           # kp + p + 4 - ec
    prod_zero = gates.or_(b, [A.is_zero, B.is_zero])
    # The product places the window unless it is zero, or c is nonzero and above it.
    use_prod = b.neuron([(prod_zero, -2), (C.is_zero, 1), (sh[-1], -1)], 0)
    e_top = _mux(b, use_prod, ext(C.exp), top_p)                       # exponent of window bit 3p+2
    amount = [b.neuron([(x, 1), (use_prod, 1), (sh[-1], -1)], 2) for x in sh[:-1]]
    # p + 2 zero bits below the product: when c is all sticky and is subtracted from a
    # product with few significant bits (subnormal operands), the borrow must still reach
    # the guard and round positions of the normalized result.
    pad = p + 2
    aligned, c_sticky = shift_right(b, [CONST0] * (2 * p + 3 + pad) + C.sig, amount)
    width = 3 * p + 6 + pad
    x = [CONST0] * (1 + pad) + list(prod) + [CONST0] * (width - 2 * p - 1 - pad)   # sticky slot, pad
    y = [gates.xor(b, v, eff_sub) for v in [c_sticky] + aligned] + [eff_sub] * 2
    d, _ = adders.add(b, x, y, eff_sub)
    neg = d[-1]
    mag, _ = adders.increment(b, [gates.xor(b, v, neg) for v in d[:-1]], neg)
    exp, (sig, g, r, s) = _normalize_signed(b, f, mag, e_top)
    zero = gates.nor(b, d)
    sign = gates.mux(b, zero, gates.xor(b, sign_p, neg), gates.mux(b, eff_sub, sign_p, m.rdn))
    rounded = round_pack(b, f, m, sign, exp, sig, g, r, s, saturate)
    inf_zero = gates.or_(b, [gates.and_(b, [A.is_inf, B.is_zero]), gates.and_(b, [B.is_inf, A.is_zero])])
    prod_inf = gates.or_(b, [A.is_inf, B.is_inf])
    inf_diff = gates.and_(b, [prod_inf, C.is_inf, eff_sub, ~A.is_nan, ~B.is_nan])   # inf - inf
    nan = gates.or_(b, [A.is_nan, B.is_nan, C.is_nan, inf_zero, inf_diff])
    nv = gates.or_(b, [A.is_snan, B.is_snan, C.is_snan, inf_zero, inf_diff])
    inf = b.neuron([(prod_inf, 1), (C.is_inf, 1), (nan, -2)], 1)
    return finish(b, f, m, sign, rounded, nan=nan, nv=nv, inf=inf,
                  inf_sign=gates.mux(b, prod_inf, C.sign, sign_p))


# operation -> (operand count, generator)
OPERATIONS = {"add": (2, add), "sub": (2, sub), "mul": (2, mul), "fma": (3, fma)}
