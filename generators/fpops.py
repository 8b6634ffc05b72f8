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
>>> b.output("y", y); b.output("flags", flags.bits())
>>> b.build().evaluate(a=0x3c, b=0x3c)                 # 1.0 + 1.0 = 2.0
{'y': 64, 'flags': 0}
"""

from __future__ import annotations

from dataclasses import replace

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from . import adders
from .fpcommon import Modes, RawFloat, finish, round_pack, unpack
from .fpformat import FPFormat
from .multiplier import direct_fits, multiply
from .normalize import (DECODED_MAX_WIDTH, Significand, clamp_exponent, const, mux_bits, normalize,
                        normalize_signed, split, sub_padded)
from .shifters import shift_right, thermometer_to_binary

__all__ = ["add", "sub", "mul", "fma", "OPERATIONS"]


def _exp_terms(u, weight: int = 1):
    """Weighted terms of an operand's effective exponent: the raw field, plus 1 when it is 0."""
    return [(x, weight << i) for i, x in enumerate(u.field)] + [(~u.sig[-1], weight)]


ALIGNS = ("auto", "barrel", "decoded")
_DECODED_MAX_P = 16      # beyond this the decoded aligner's p^2/2 neurons outweigh its depth


def _decoded_fits(b: Builder, f: FPFormat) -> bool:
    prof = b.profile
    return f.precision <= _DECODED_MAX_P and prof.weight_ok(1 << (f.E - 1)) and \
        (prof.max_fanin is None or prof.max_fanin >= 2 * f.E + 2)


def _align_decoded(b: Builder, f: FPFormat, A, B, window, eff_sub) -> list[int]:
    """Shift ``window`` right by |ea - eb| with sticky, XOR ``eff_sub``: depth 4 from unpack.

    ``P_v = [D >= v]`` and ``N_v = [-D >= v]`` (D = ea - eb as one weighted sum of the raw
    exponent fields) are exclusive, so ``t_v = P_v + N_v`` is the thermometer code of |D|
    with no OR neuron, and ``[x + t_v - t_(v+1) >= 2]`` selects bit x at distance v in one
    neuron. At most one such term is 1 per output bit, so the XOR with eff_sub takes two
    neurons reading the terms directly. Returns ``[sticky, round, guard, significand...]``.
    """
    w = len(window)
    d = _exp_terms(A) + _exp_terms(B, -1)           # ea - eb, effective exponents
    P = [None] + [b.neuron(d, v) for v in range(1, w + 1)] + [CONST0]
    N = [None] + [b.neuron([(x, -c) for x, c in d], v) for v in range(1, w + 1)] + [CONST0]

    def sel(v, weight=1):
        """Weighted terms of t_v - t_(v+1) (t_0 = 1)."""
        lo = [(P[v + 1], -weight), (N[v + 1], -weight)]
        return lo if v == 0 else [(P[v], weight), (N[v], weight)] + lo

    def xor_onehot(terms):
        """XOR of eff_sub with the OR of one-hot neurons ``terms``."""
        s = [(t, 1) for t in terms] + [(eff_sub, 1)]
        both = b.neuron(s, 2)
        return b.neuron(s + [(both, -2)], 1)

    out = []
    for i in range(w):
        terms = [b.neuron([(window[i + v], 1)] + sel(v), 1 if v == 0 else 2)
                 for v in range(w - i) if window[i + v] != CONST0]
        out.append(xor_onehot(terms))
    sticky = []
    for v in range(1, w + 1):
        dropped = [x for x in window[:v] if x != CONST0]
        if dropped:
            k = len(dropped)
            terms = [(x, 1) for x in dropped] + (sel(v, k) if v < w else [(P[w], k), (N[w], k)])
            sticky.append(b.neuron(terms, k + 1))
    return [xor_onehot(sticky)] + out


def add(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits, negate_b: bool = False, saturate: bool = False,
        align: str = "auto"):
    """``a + b`` (``a - b`` with ``negate_b``): returns (y bits, `Flags`).

    ``align``: ``barrel`` (subtract the exponents, barrel-shift: fewer neurons for wide
    formats), ``decoded`` (thermometer-decoded distance, one neuron per bit and distance:
    shallower) or ``auto`` (decoded up to 16-bit significands when the profile allows).
    """
    p = f.precision
    A, B = unpack(b, f, a_bits), unpack(b, f, b_bits)
    sb = ~B.sign if negate_b else B.sign
    mag_a, mag_b = list(a_bits[:f.width - 1]), list(b_bits[:f.width - 1])
    swap = ~adders.ge(b, mag_a, mag_b)                 # |b| > |a|
    big_e = mux_bits(b, swap, A.exp, B.exp)
    big_sig, small_sig = mux_bits(b, swap, A.sig, B.sig), mux_bits(b, swap, B.sig, A.sig)
    big_sign = gates.mux(b, swap, A.sign, sb)
    eff_sub = gates.xor(b, A.sign, sb)
    window = [CONST0, CONST0] + small_sig                                # round, guard, significand
    if align == "auto":
        align = "decoded" if _decoded_fits(b, f) else "barrel"
    if align == "decoded":
        y = _align_decoded(b, f, A, B, window, eff_sub)
    elif align == "barrel":
        d, _ = adders.sub(b, big_e, mux_bits(b, swap, B.exp, A.exp))
        aligned, sticky = shift_right(b, window, d)
        y = [gates.xor(b, v, eff_sub) for v in [sticky] + aligned]
    else:
        raise ValueError(f"unknown alignment {align!r}; choose from {', '.join(ALIGNS)}")
    x = [CONST0] * 3 + big_sig
    total, cout = adders.add(b, x, y, eff_sub)
    t = total + [b.neuron([(cout, 1), (eff_sub, -1)], 1)]              # carry of a true addition
    # The top bit of t has weight 2^(big_e + 1 - bias): normalize from exponent big_e + 1.
    e1, _ = adders.increment(b, list(big_e) + [CONST0])
    n, exp = normalize(b, t, big_e, e1)
    sig = split(b, f, n)
    zero = gates.nor(b, t)
    # An exact zero sum is -0 only from two -0 addends, or in rdn from opposite signs.
    raw = RawFloat(gates.mux(b, zero, big_sign, gates.mux(b, eff_sub, A.sign, m.rdn)), exp, sig)
    rounded = round_pack(b, f, m, raw, saturate)
    both_inf = b.neuron([(A.is_inf, 1), (B.is_inf, 1), (eff_sub, 1)], 3)
    nan = gates.or_(b, [A.is_nan, B.is_nan, both_inf])
    nv = gates.or_(b, [A.is_snan, B.is_snan, both_inf])
    inf = b.neuron([(A.is_inf, 1), (B.is_inf, 1), (nan, -2)], 1)
    return finish(b, f, m, replace(raw, nan=nan, nv=nv, inf=inf, inf_sign=gates.mux(b, A.is_inf, sb, A.sign)),
                  rounded)


def sub(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits, saturate: bool = False, align: str = "auto"):
    return add(b, f, m, a_bits, b_bits, negate_b=True, saturate=saturate, align=align)


def _decoded_product_fits(b: Builder, f: FPFormat, n: int) -> bool:
    prof = b.profile
    return n <= DECODED_MAX_WIDTH and prof.weight_ok(1 << (f.E - 1)) and \
        (prof.max_fanin is None or prof.max_fanin >= max(2 * f.E + 2, n + 1))


def _normalize_product_decoded(b: Builder, f: FPFormat, t, A, B, k):
    """Normalize a narrow product in one signed shift driven by thermometer codes.

    ``k = ea + eb - bias`` is one weighted sum of the raw exponent fields, so ``[k >= v]``
    and ``[-k >= v]`` are single neurons right after unpacking. The left shift is
    ``min(leading zeros, k)`` (thermometer ``m``, as in `normalize.left_shift_decoded`), the
    right shift ``-k`` when k < 0; the two never both act, so the window bits select their
    source at any signed distance in one AND-OR layer, and each distance ORs what it drops
    into the sticky bit with one neuron. Returns (exponent bits, `Significand`), as
    `normalize.normalize_signed` does.
    """
    p = f.precision
    n = len(t)
    w = p + 2                                           # significand, guard, round
    keff = _exp_terms(A) + _exp_terms(B)

    def k_at_least(v):                                 # [k >= v], k = sum(keff) - bias
        return b.neuron(keff, v + f.bias)

    def k_at_most(v):                                  # [k <= v]
        return b.neuron([(x, -c) for x, c in keff], -(v + f.bias))

    m = [CONST1] + [gates.and_(b, [k_at_least(v)] + [~x for x in t[n - v:]]) for v in range(1, n + 1)]
    m.append(CONST0)
    right = [CONST1] + [k_at_most(-v) for v in range(1, w + 1)]     # [-k >= v]
    right.append(CONST0)

    def sel(sigma, weight=1):
        """Weighted terms (and threshold offset) of 'the net left shift is sigma'."""
        if sigma > 0:
            return [(m[sigma], weight), (m[sigma + 1], -weight)], 0
        if sigma == 0:
            return [(m[1], -weight), (right[1], -weight)], weight
        rho = -sigma
        return [(right[rho], weight)] + ([(right[rho + 1], -weight)] if rho < w else []), 0

    sigmas = list(range(-w, n + 1))
    window = []
    for j in range(w):
        terms = []
        for sigma in sigmas:
            src = n - w + j - sigma
            if 0 <= src < n and t[src] != CONST0:
                st, off = sel(sigma)
                terms.append(b.neuron([(t[src], 1)] + st, 2 - off))
        window.append(gates.or_(b, terms))
    sticky = []
    for sigma in sigmas:
        low = [x for x in t[:max(0, min(n, n - w - sigma))] if x != CONST0]
        if low:
            st, off = sel(sigma, len(low))
            sticky.append(b.neuron([(x, 1) for x in low] + st, len(low) + 1 - off))
    sig = Significand(window[2:], window[1], window[0], gates.or_(b, sticky))
    # Exponent: k + 1 - left when k >= 0, else 1 (the smallest normal's exponent).
    e1 = clamp_exponent(b, k).plus_one
    return sub_padded(b, e1, thermometer_to_binary(b, m[:n + 1])), sig


def mul(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits, saturate: bool = False, counter: str = "auto"):
    """``a * b``: returns (y bits, `Flags`)."""
    p = f.precision
    A, B = unpack(b, f, a_bits), unpack(b, f, b_bits)
    sign = gates.xor(b, A.sign, B.sign)
    if counter == "auto":
        counter = "direct" if direct_fits(b, p, p) else "serial"
    prod = multiply(b, A.sig, B.sig, counter)                          # 2p bits
    # k = ea + eb - bias is the biased exponent of product bit 2p-2; as E+2-bit two's complement.
    w = f.E + 2
    ea = list(A.exp) + [CONST0] * 2
    eb = list(B.exp) + [CONST0] * 2
    s1, _ = adders.add(b, ea, eb)
    k, _ = adders.add(b, s1, const(-f.bias % (1 << w), w))
    if _decoded_product_fits(b, f, len(prod)):
        exp, sig = _normalize_product_decoded(b, f, prod, A, B, k)
    else:
        exp, sig = normalize_signed(b, f, prod, k)
    raw = RawFloat(sign, exp, sig)
    rounded = round_pack(b, f, m, raw, saturate)
    inf_zero = gates.or_(b, [gates.and_(b, [A.is_inf, B.is_zero]), gates.and_(b, [B.is_inf, A.is_zero])])
    nan = gates.or_(b, [A.is_nan, B.is_nan, inf_zero])
    nv = gates.or_(b, [A.is_snan, B.is_snan, inf_zero])
    inf = b.neuron([(A.is_inf, 1), (B.is_inf, 1), (nan, -2)], 1)
    return finish(b, f, m, replace(raw, nan=nan, nv=nv, inf=inf, inf_sign=sign), rounded)


def fma(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits, c_bits, saturate: bool = False,
        counter: str = "serial"):
    """``a * b + c`` with a single rounding: returns (y bits, `Flags`).

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
    top_p, _ = adders.add(b, s1, const((p + 4 - f.bias) % (1 << w), w))   # kp + p + 4
    sh, _ = adders.sub(b, top_p, ext(C.exp))                           # kp + p + 4 - ec
    prod_zero = gates.or_(b, [A.is_zero, B.is_zero])
    # The product places the window unless it is zero, or c is nonzero and above it.
    use_prod = b.neuron([(prod_zero, -2), (C.is_zero, 1), (sh[-1], -1)], 0)
    e_top = mux_bits(b, use_prod, ext(C.exp), top_p)                       # exponent of window bit 3p+2
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
    exp, sig = normalize_signed(b, f, mag, e_top)
    zero = gates.nor(b, d)
    raw = RawFloat(gates.mux(b, zero, gates.xor(b, sign_p, neg), gates.mux(b, eff_sub, sign_p, m.rdn)), exp, sig)
    rounded = round_pack(b, f, m, raw, saturate)
    inf_zero = gates.or_(b, [gates.and_(b, [A.is_inf, B.is_zero]), gates.and_(b, [B.is_inf, A.is_zero])])
    prod_inf = gates.or_(b, [A.is_inf, B.is_inf])
    inf_diff = gates.and_(b, [prod_inf, C.is_inf, eff_sub, ~A.is_nan, ~B.is_nan])   # inf - inf
    nan = gates.or_(b, [A.is_nan, B.is_nan, C.is_nan, inf_zero, inf_diff])
    nv = gates.or_(b, [A.is_snan, B.is_snan, C.is_snan, inf_zero, inf_diff])
    inf = b.neuron([(prod_inf, 1), (C.is_inf, 1), (nan, -2)], 1)
    return finish(b, f, m, replace(raw, nan=nan, nv=nv, inf=inf, inf_sign=gates.mux(b, prod_inf, C.sign, sign_p)),
                  rounded)


# operation -> (operand count, generator)
OPERATIONS = {"add": (2, add), "sub": (2, sub), "mul": (2, mul), "fma": (3, fma)}
