"""Division and square root: digit recurrences in threshold gates, one generator each.

Both are unpack -> normalize subnormal operands -> a radix-2 digit recurrence -> the shared
`round_pack` and `finish`. The recurrence makes p + 3 quotient bits (p + 2 root bits),
enough for the significand, a guard and a round bit in every case; the final remainder
gives the sticky bit. Every root of a named format is normal and takes the root's bits as
they are; custom formats with bias < p (e2m5, e2m20) have subnormal roots, which go through
`normalize_signed` like the quotient.

Why restoring, in threshold logic: a threshold carry-lookahead compares two 28-bit numbers
in 7 neurons at depth 2 and subtracts in 62 at depth 4 (`adders`), so a full-width
non-redundant remainder costs about what a carry-save one does. A ``restoring`` step is
``q = [r >= d]`` (the carry network only), the subtrahend gated by ``q`` (one neuron per
bit) and one subtraction: the remainder stays exact, so the sticky bit is one OR of its
bits, the quotient needs no conversion and there is no final correction. ``arch`` selects
the alternatives measured in ``benchmarks/divsqrt_alternatives.py``:

* ``restoring`` (default): gated subtrahend, depth 7 a step.
* ``select``: subtract unconditionally, then choose difference or partial remainder; the
  choice is kept as two exclusive literals that the next step's adder adds as one digit
  (no OR layer), depth 6 a step and more neurons.
* ``srt``: radix-2 SRT with quotient digits {-1, 0, 1} and a carry-save partial remainder
  (constant depth 5 a step); digit selection reads the top 4 bits of both carry-save words
  (4 + 2 neurons, modular wrap-around handled), and one adder at the end gives Q+ - Q- and the
  sign and zero test of the final remainder.

Sizes (default profile, rne static; ``python benchmarks/divsqrt_alternatives.py``), neurons
/ depth. SRT has the fewest synapses but not the fewest neurons: its carry-save step spends
4 neurons a bit where the lookahead adder spends about 2.2, and it needs two final adders.

==========  ===============  ===============  ===============
unit        restoring        select           srt
==========  ===============  ===============  ===============
fp16.div     1,159 / 120      1,272 / 78       1,439 / 97
fp32.div     3,500 / 224      4,014 / 153      4,293 / 177
fp64.div    12,811 / 429     15,278 / 295     15,639 / 323
fp32.sqrt    1,627 / 171      1,854 / 110      -
fp64.sqrt    6,233 / 374      7,349 / 246      -
==========  ===============  ===============  ===============

NEXUS's fp32 divider and square root: 25,987 / 2,797 and 23,582 / 2,715 (shared/ANCHORS.md).

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpformat import get_format
>>> from spikefp.generators.fpcommon import static_modes
>>> f = get_format("fp16"); b = Builder()
>>> y, flags = div(b, f, static_modes("rne"), b.input("a", 16), b.input("b", 16))
>>> b.output("y", y); b.output("flags", flags.bits())
>>> b.build().evaluate(a=0x3c00, b=0x4200)               # 1 / 3 = 0x3555, inexact
{'y': 13653, 'flags': 1}
"""

from __future__ import annotations

from dataclasses import replace

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from . import adders
from .fpcommon import Modes, RawFloat, finish, round_pack, unpack
from .fpformat import FPFormat
from .normalize import Significand, const, normalize_signed
from .shifters import leading_zeros, shift_left

__all__ = ["div", "sqrt", "ARCHS", "SQRT_ARCHS"]

ARCHS = ("restoring", "select", "srt")
SQRT_ARCHS = ("restoring", "select")


def _normalized(b: Builder, u, width: int):
    """An operand with its significand shifted so the hidden bit is 1 (subnormals):
    (significand bits, effective biased exponent as ``width``-bit two's complement)."""
    lz = leading_zeros(b, u.sig)
    sig, _ = shift_left(b, u.sig, lz, sticky=False)
    ext = lambda v: list(v) + [CONST0] * (width - len(v))
    exp, _ = adders.sub(b, ext(u.exp), ext(lz))
    return sig, exp


# -- one step of each recurrence ------------------------------------------------------------------

def _digits(r) -> list[tuple]:
    """Bits as digit tuples: a bit is one literal, or a tuple of exclusive literals (sum 0/1)."""
    return [x if isinstance(x, tuple) else (x,) for x in r]


def restoring_step(b: Builder, r, d):
    """``q = [r >= d]`` and ``r - q*d`` (``d`` zero-extended to ``r``'s width)."""
    r = _digits(r)
    d = list(d) + [CONST0] * (len(r) - len(d))
    q = adders.carries(b, [ri + (~di,) for ri, di in zip(r, d)], CONST1)[-1]
    t = [CONST0 if di == CONST0 else (q if di == CONST1 else gates.and_(b, [q, di])) for di in d]
    digits = [ri + (~ti,) for ri, ti in zip(r, t)]
    return q, adders.digit_sums(b, digits, adders.carries(b, digits, CONST1))


def select_step(b: Builder, r, d):
    """Subtract unconditionally; the new remainder bit is the exclusive pair (q AND diff,
    NOT q AND r), which the next step adds as one digit."""
    r = _digits(r)
    d = list(d) + [CONST0] * (len(r) - len(d))
    digits = [ri + (~di,) for ri, di in zip(r, d)]
    c = adders.carries(b, digits, CONST1)
    q = c[-1]
    diff = adders.digit_sums(b, digits, c)
    out = [(b.neuron([(x, 1), (q, 1)], 2), b.neuron([(x, 1) for x in ri] + [(q, -1)], 1))
           for x, ri in zip(diff, r)]
    return q, out


def _nonzero(b: Builder, r) -> int:
    """``r != 0`` for bits or digit tuples: the OR of every literal."""
    return gates.or_(b, [x for dg in _digits(r) for x in dg])


# -- division ---------------------------------------------------------------------------------------

def _restoring_quotient(b: Builder, n: int, ma, mb, arch: str):
    """``floor(ma * 2^(n-1) / mb)`` (n bits, ma / mb < 2) and ``remainder != 0``."""
    step = restoring_step if arch == "restoring" else select_step
    p = len(ma)
    r = list(ma) + [CONST0]                        # p + 1 bits: 2r < 2^(p+1)
    qs = []
    for j in range(n):
        q, r = step(b, r, mb)
        qs.append(q)
        r = [CONST0] + list(r[:p])                 # r < mb < 2^p: shift left, drop the top bit
    return list(reversed(qs)), _nonzero(b, r)


def _srt_select(b: Builder, s, c):
    """Quotient digit (plus, minus) of radix-2 SRT from the top 4 bits of the carry-save
    words ``s`` and ``c`` of 2w (weights 1/2, 1, 2, -4).

    In units of 1/2, S + C is in [-16, 14], but the words are only meaningful modulo 16:
    the estimate y of 2w is S + C folded into [-8, 8), and lies in [-5, 3] (|2w| < 2 and
    truncation loses less than 2). q = +1 for y in [0, 3] (S + C in [0, 3] or [-16, -13]),
    -1 for y in [-5, -2] (S + C in [-5, -2] or [11, 14]), 0 at y = -1 (Ercegovac & Lang,
    Digital Arithmetic, ch. 5). Four threshold neurons and two that combine them.
    """
    terms = []
    for x in (s, c):
        terms += [(x[0], 1), (x[1], 2), (x[2], 4), (x[3], -8)]
    # S + C in [-16, 14]; y = S + C folded into [-8, 8).
    ge0 = b.neuron(terms, 0)          # S + C >= 0
    ge_hi = b.neuron(terms, 4)        # S + C >= 11 (4..10 never occur)
    ge_m1 = b.neuron(terms, -1)       # S + C >= -1
    ge_lo = b.neuron(terms, -8)       # S + C >= -5 (-12..-6 never occur)
    plus = b.neuron([(ge0, 1), (ge_hi, -1), (ge_lo, -1)], 0)      # [0, 3] or [-16, -13]
    minus = b.neuron([(ge_lo, 1), (ge_m1, -1), (ge_hi, 1)], 1)    # [-5, -2] or [11, 14]
    return plus, minus


def _srt_quotient(b: Builder, n: int, ma, mb):
    """Radix-2 SRT: ``floor(ma * 2^(n-1) / mb)`` (n bits) and ``remainder != 0``.

    Divisor d = mb / 2^p in [1/2, 1), dividend x = ma / 2^p; the partial remainder w in
    [-d, d] starts at x / 2 and is two carry-save words of p + 4 bits (two's complement:
    p + 1 fraction bits, integer bits of weight 1, 2 and -4).
    """
    p = len(mb)
    w = p + 4
    d = [CONST0] + list(mb) + [CONST0] * 3
    s = list(ma) + [CONST0] * 4
    c = [CONST0] * w
    plus, minus = [], []
    for _ in range(n):
        s2, c2 = [CONST0] + s[:-1], [CONST0] + c[:-1]            # 2w, modulo 2^3
        qp, qm = _srt_select(b, s2[-4:], c2[-4:])
        y1 = [gates.and_(b, [qp, ~di]) if di != CONST1 else CONST0 for di in d]   # q=+1: add ~d + 1
        y2 = [gates.and_(b, [qm, di]) if di != CONST0 else CONST0 for di in d]    # q=-1: add d
        cin = qp
        carry = [b.neuron([(s2[i], 1), (c2[i], 1), (y1[i], 1), (y2[i], 1)], 2) for i in range(w)]
        s = [b.neuron([(s2[i], 1), (c2[i], 1), (y1[i], 1), (y2[i], 1), (carry[i], -2)], 1) for i in range(w)]
        c = [cin] + carry[:-1]
        plus.append(qp)
        minus.append(qm)
    # Final remainder sign and zero; Q = Q+ - Q- - [w < 0]. w is in [-d, d): exact when
    # w = 0, or w = -d (then Q+ - Q- is one too big and the true remainder w + d is 0).
    rem, _ = adders.add(b, s, c)
    neg = rem[-1]
    plus_d, _ = adders.add(b, rem, d)
    zero = gates.or_(b, [gates.nor(b, rem), gates.nor(b, plus_d)])
    qp_bits, qm_bits = list(reversed(plus)), list(reversed(minus))
    ext = lambda v: list(v) + [CONST0]
    q, _ = adders.add(b, ext(qp_bits), [~x for x in ext(qm_bits)], ~neg)
    return q[:n], ~zero


def div(b: Builder, f: FPFormat, m: Modes, a_bits, b_bits, saturate: bool = False, arch: str = "restoring"):
    """``a / b``: returns (y bits, `Flags`); x / 0 raises DZ."""
    if arch not in ARCHS:
        raise ValueError(f"unknown divider architecture {arch!r}; choose from {', '.join(ARCHS)}")
    p = f.precision
    A, B = unpack(b, f, a_bits), unpack(b, f, b_bits)
    sign = gates.xor(b, A.sign, B.sign)
    w = max(f.E, p.bit_length()) + 3          # room for a normalized subnormal exponent, 2 - p
    ma, ea = _normalized(b, A, w)
    mb, eb = _normalized(b, B, w)
    ma = [b.neuron([(x, 1), (B.is_inf, -1)], 1) for x in ma]     # x / inf = 0: a zero dividend
    n = p + 3
    if arch == "srt":
        q, sticky = _srt_quotient(b, n, ma, mb)
    else:
        q, sticky = _restoring_quotient(b, n, ma, mb, arch)
    # q's top bit (n - 1) weighs 2^0 of ma/mb: biased exponent ea - eb + bias = k + 1.
    diff, _ = adders.sub(b, ea, eb)
    k, _ = adders.add(b, diff, const((f.bias - 1) % (1 << w), w))
    exp, sig = normalize_signed(b, f, [sticky] + list(q), k)
    zero_zero = gates.and_(b, [A.is_zero, B.is_zero])
    inf_inf = gates.and_(b, [A.is_inf, B.is_inf])
    dz = gates.and_(b, [B.is_zero, ~A.is_zero, ~A.is_inf, ~A.is_nan])
    # E4M3 has no infinity: x/0 is NaN, or with saturate the largest finite number.
    raw = RawFloat(sign, exp, sig, saturated_inf=dz if saturate and not f.ieee else CONST0, dz=dz)
    rounded = round_pack(b, f, m, raw, saturate)
    nan = gates.or_(b, [A.is_nan, B.is_nan, zero_zero, inf_inf] + ([] if f.ieee or saturate else [dz]))
    nv = gates.or_(b, [A.is_snan, B.is_snan, zero_zero, inf_inf])
    inf = b.neuron([(A.is_inf, 1), (dz, 1), (nan, -2)], 1) if f.ieee else CONST0
    return finish(b, f, m, replace(raw, nan=nan, nv=nv, inf=inf, inf_sign=sign), rounded)


# -- square root -------------------------------------------------------------------------------------

def _root(b: Builder, n: int, x, arch: str):
    """``floor(sqrt(X))`` (n bits) and ``X - root^2 != 0`` for X given by its bits ``x``
    (2n bits, LSB first), by the digit-by-digit recurrence r = 4r + next two bits,
    q = [r >= 4R + 1], r -= q (4R + 1), R = 2R + q."""
    step = restoring_step if arch == "restoring" else select_step
    root = []                                     # R, LSB first
    r = []
    for k in range(1, n + 1):
        top = x[2 * (n - k):2 * (n - k) + 2]
        r = list(top) + list(r)                   # 4r + next two bits: k + 1 bits (< 2^(k+1))
        t = [CONST1, CONST0] + root               # 4R + 1
        q, r = step(b, r, t)
        r = r[:k + 1]                             # r <= 2R < 2^(k+1) after the step
        root = [q] + root
    return root, _nonzero(b, r)


def _sqrt_always_normal(f: FPFormat) -> bool:
    """Whether every square root is normal: the smallest, sqrt(2^(emin-M)) >= 2^emin when
    M + emin <= 0, i.e. bias >= p (true for the named formats; e2m5 or e2m20 have subnormal
    roots). No root overflows: sqrt(x) <= x for x >= 1."""
    return f.M + f.emin <= 0


def sqrt(b: Builder, f: FPFormat, m: Modes, a_bits, arch: str = "restoring"):
    """Square root: returns (y bits, `Flags`). sqrt(-0) = -0; negative operands are invalid."""
    if arch not in SQRT_ARCHS:
        raise ValueError(f"unknown square-root architecture {arch!r}; choose from {', '.join(SQRT_ARCHS)}")
    p = f.precision
    A = unpack(b, f, a_bits)
    normal = _sqrt_always_normal(f)
    # Wide enough for a normalized subnormal exponent (down to 2 - p) where it can be below -bias.
    w = f.E + 3 if normal else max(f.E, p.bit_length()) + 3
    ma, ea = _normalized(b, A, w)
    # The exponent is even when ea + bias is: then the radicand is ma, else 2 ma.
    odd = ~ea[0] if f.bias % 2 else ea[0]          # ea - bias odd
    m1 = [gates.mux(b, odd, x, y) for x, y in zip(list(ma) + [CONST0], [CONST0] + list(ma))]
    n = p + 2
    x = [CONST0] * (p + 3) + m1                   # X = m1 * 2^(p+3): 2p + 4 = 2n bits
    root, sticky = _root(b, n, x, arch)
    if normal:
        # Biased result exponent floor((ea + bias) / 2): the root's top bit weighs 2^0.
        s_, _ = adders.add(b, ea, const(f.bias % (1 << w), w))
        exp, sig = s_[1:], Significand(root[2:], root[1], root[0], sticky)
    else:   # normalize_signed's k, one less than that exponent: floor((ea + bias - 2) / 2)
        s_, _ = adders.add(b, ea, const((f.bias - 2) % (1 << w), w))
        exp, sig = normalize_signed(b, f, [sticky] + list(root), list(s_[1:]) + [s_[-1]])
    raw = RawFloat(A.sign, exp, sig)
    rounded = round_pack(b, f, m, raw)
    neg = gates.and_(b, [A.sign, ~A.is_zero, ~A.is_nan])
    nan = gates.or_(b, [A.is_nan, neg])
    nv = gates.or_(b, [A.is_snan, neg])
    inf = b.neuron([(A.is_inf, 1), (A.sign, -1)], 1)
    return finish(b, f, m, replace(raw, nan=nan, nv=nv, inf=inf), rounded)
