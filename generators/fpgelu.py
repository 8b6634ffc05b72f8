"""GELU, the erf form gelu(x) = x Phi(x), correctly rounded in every mode and format.

Method. With t = |x| and Phi(-t) = e^(-t^2/2) R(t), where R(t) = Phi(-t) e^(t^2/2) is smooth and
slowly varying (R(0) = 1/2, R ~ 1/(t sqrt(2 pi)), completely monotone, R' = t R - 1/sqrt(2 pi)):

* x < 0: gelu(x) = -t Phi(-t), needed to RELATIVE precision (it underflows for large t);
* x > 0: gelu(x) = t (1 - Phi(-t)), needed to absolute precision of 1 - Phi(-t) in [1/2, 1).

The core computes P = Phi(-t) as 2^(k - j) m (m = y r in [1/2, 4)):

1. ``T = floor(t 2^F)`` (t's significand shifted by its exponent), ``I`` integer bits. Its
   top ``I + hb`` bits index a segment of width h = 2^-hb, the low bits (complemented) give
   the offset U = t1 - t from the segment's top t1, so that every Taylor coefficient of R in
   U is >= 0 (R completely monotone) and Horner runs unsigned (`spikefp.generators.fixpoly`).
2. r = 2^j R(t) in [1/2, 2): Chebyshev interpolants of degree n per segment, coefficients
   and the scale j in one one-hot ROM (segments beyond T_max, where |gelu| < 2^(q0-3) with
   q0 the smallest subnormal's exponent, hold zeros: then P = 0).
3. e^(-t^2/2) = 2^k y from `spikefp.generators.fpexp.exp_fixed` on v = -t^2/2: t^2 is the
   exact square of t's significand, shifted by 2e (so no wide squarer); v is its ones'
   complement (-t^2/2 - ulp, error < 1 ulp).
4. m = floor(y r) and then either (x < 0) the operand m with exponent k - j, or (x > 0) the
   operand ~floor(P 2^(Fm+1)) = 1 - P - ulp (a right shift of m by j - k - 1, complemented).
   One multiplier t_sig x operand, `normalize_signed`, and sticky = 1 (every finite nonzero
   result is irrational; +-0 and -inf give exact zeros: their products are 0).
5. Tiny t (< 2^-(W-4), one exponent compare): P is forced to 1/2 - ulp, so x < 0 gives
   t/2 - ulp(p+2) + sticky and x > 0 gives t/2 + sticky, which is how t/2 -+ t^2/sqrt(2 pi)
   truncate to p + 2 bits there (t^2 0.4 < t 2^-(p+3)).
6. Big t (>= 2^I, infinities included): the segment index is forced to the last, a zero
   segment: x < 0 gives 0 + sticky (tiny, UF|NX by mode), -inf an exact -0, x > 0 gives
   t (1 - ulp) + sticky, just below t.

Error analysis (W = p + 2 + g, g = G = 31; relative errors of P, in units 2^-W):
T quantization (only for t < 2^(p-1-F)): |R'/R| <= 0.8, F = W + 3: <= 0.1. v: <= 2^-3 + the
t error, 0.2. exp_fixed at W + 5 bits: its bound (<= 2 units of 2^-(W+5)), 0.07. R: Chebyshev
degree n chosen so the interpolation error is < 2^-(W+6) of r (measured at build time on the
hardest segments, near t = 0), r >= 1/2: 0.03; Horner: coefficient fractions F_c - hb i
(F_c = W + 8) and the offset read with two bits more than each step keeps: <= (2n + 1)
2^-(W+8) absolute, r >= 1/2: <= 0.5 for n <= 12. m truncated at Fm = W + 4 (m >= 1/2):
0.13; x > 0 adds the shift's truncation, absolute 2^-(W+5) of 1 - P >= 1/2: 0.07. In all
|error| < 2^-W, so the truncated (p+2)-bit result is wrong only when the exact result lies
within 2^-W relative of a (p+2)-bit number: about 2^-(g-1) = 2^-30 of the inputs, at random
(1 in 10^9; in fp32 a handful of the 2^32 inputs may be hard cases, none in the 10^6 sampled).
Near t/2 (x small) the distance to the boundary t/2 is 0.8 t relative, >= 2^-(W-4): the
tiny path starts where the general one could no longer tell. Checked exhaustively on
fp8e4m3, fp8e5m2 (all modes, dynamic), fp16 and bf16.

Sizes as first measured, with an earlier version of the exp core (today's units are up to 9%
smaller: README's table; ``python benchmarks/functions.py --alternatives`` remeasures).
Sizes (default profile, static RNE; ``spikefp stats``), neurons / depth, and the segment
widths tried (h = 2^-HB; the degree n follows from the error budget):

=========  ===================  ===================  ===================
unit       HB = 3 (1/8)         HB = 4 (1/16)        HB = 5 (1/32, used)
=========  ===================  ===================  ===================
fp16.gelu  33,601 / 236 (n 8)   30,077 / 236 (n 7)   27,975 / 236 (n 6)
fp32.gelu  58,908 / 298 (n 10)  52,412 / 298 (n 8)   48,759 / 298 (n 7)
=========  ===================  ===================  ===================

With HB = 5: fp16 27,975 / 236, bf16 25,256 / 222, fp32 48,759 / 298 (3.1% of NEXUS's
1,555,625), fp64 123,726 / 395; dynamic rm adds about 20 neurons.

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpformat import get_format
>>> from spikefp.generators.fpcommon import static_modes
>>> f = get_format("fp8e4m3"); b = Builder()
>>> y, flags = gelu(b, f, static_modes("rne"), b.input("a", 8))
>>> b.output("y", y); b.output("flags", flags.bits()); net = b.build()
>>> net.evaluate(a=0x38), net.evaluate(a=0xb8)     # gelu(1) = 0.841 -> 0.8125, gelu(-1) -> -0.15625
({'y': 53, 'flags': 1}, {'y': 162, 'flags': 1})
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import NamedTuple

import mpmath

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from . import adders
from .fixpoly import PolyTable, chebyshev, piecewise
from .fpcommon import Modes, RawFloat, finish, round_pack, unpack
from .fpexp import exp_fixed, to_fixed
from .fpformat import FPFormat
from .multiplier import multiply
from .normalize import Significand, const, normalize_signed
from .shifters import shift_right

__all__ = ["gelu", "plan", "Plan", "G"]

G = 31          # guard bits beyond p + 2: failures below 2^-30 of the inputs
HB = 5          # segments of width 1/32 (measured best, see the table)


class Plan(NamedTuple):
    """Build-time parameters of one format's unit (see the module docstring)."""
    W: int           # working precision, p + 2 + G
    I: int           # integer bits of t's fixed-point form: T_max + 1/16 <= 2^I
    F: int           # fractional bits of T
    Fv: int          # fractional bits of v = -t^2/2
    We: int          # exp_fixed's precision
    Fm: int          # fractional bits of m = y r
    table: PolyTable # r = 2^j R(t), per segment
    j: tuple         # the scale j per segment
    t_max: float     # beyond: |gelu(-t)| < 2^(q0-3)


def _R(t):
    return mpmath.erfc(t / mpmath.sqrt(2)) / 2 * mpmath.exp(t * t / 2)


def _t_max(f: FPFormat):
    """Smallest t (to 1/64) with t Phi(-t) below a quarter of the smallest subnormal."""
    limit = mpmath.mpf(2) ** (f.emin - f.M - 2)
    t = mpmath.mpf(1)
    while t * mpmath.erfc(t / mpmath.sqrt(2)) / 2 >= limit:
        t += mpmath.mpf(1) / 64
    return t


def _fit(t1, h, n, j, F):
    """Monomial coefficients in U of 2^j R(t1 - U), degree n, on [0, h]."""
    return chebyshev(lambda U: mpmath.ldexp(_R(t1 - U), j), h, n)


def _error(c, t1, h, j, points=16):
    worst = 0
    for i in range(points + 1):
        U = h * i / points
        exact = mpmath.ldexp(_R(t1 - U), j)
        worst = max(worst, abs(mpmath.polyval(c[::-1], U) - exact) / exact)
    return worst


@functools.lru_cache(maxsize=None)
def plan(f: FPFormat) -> Plan:
    """The parameters and coefficient table of ``f``'s unit (computed once per format)."""
    W = f.precision + 2 + G
    F, Fv, We, Fm, Fc = W + 3, W + 3, W + 5, W + 4, W + 8
    with mpmath.workprec(2 * W + 64):
        h = mpmath.mpf(2) ** -HB
        t_max = _t_max(f)
        I = max(1, int(mpmath.ceil(mpmath.log(t_max + h, 2))))
        nseg = 1 << (I + HB)
        top = lambda q: q * h + h - mpmath.mpf(2) ** -F
        scale = lambda q: int(mpmath.floor(-mpmath.log(_R(top(q)), 2)))
        n = 2
        while any(_error(_fit(top(q), h, n, scale(q), F), top(q), h, scale(q)) > mpmath.mpf(2) ** -(W + 6)
                  for q in (0, 1, 2, 8, 16) if q < nseg):
            n += 1
        fracs = tuple(Fc - HB * i for i in range(n + 1))
        cuts = tuple(max(0, F - fracs[i] - 2) for i in range(n))
        coeffs, js = [], []
        for q in range(nseg):
            if q * h >= t_max:
                coeffs.append((0,) * (n + 1))
                js.append(0)
                continue
            j = scale(q)
            c = [int(mpmath.nint(ci * mpmath.mpf(2) ** fi)) for ci, fi in zip(_fit(top(q), h, n, j, F), fracs)]
            if min(c) < 0:
                raise ArithmeticError(f"gelu table: negative coefficient in segment {q}")
            coeffs.append(tuple(c))
            js.append(j)
    table = PolyTable(u_bits=F - HB, u_frac=F, fracs=fracs, cuts=cuts, coeffs=tuple(coeffs))
    return Plan(W, I, F, Fv, We, Fm, table, tuple(js), float(t_max))


def _scaled(b: Builder, x, e, mult: int, D: int, e_hi: int, width: int) -> list[int]:
    """``floor(x 2^(mult e - D))`` as ``width`` bits, for biased exponents ``e <= e_hi``
    (beyond, some value: callers override it). A right shift of ``x`` padded with zeros."""
    Z = max(0, mult * e_hi - D)
    Z += (D + Z) % mult
    c = (D + Z) // mult                       # shift = mult (c - e) >= 0 for e <= e_hi
    n = max(len(e), c.bit_length()) + 1
    amount, _ = adders.sub(b, const(c, n), list(e) + [CONST0] * (n - len(e)))
    amount = [CONST0] * (mult - 1) + amount   # a negative amount reads as a huge one: 0
    xs = [CONST0] * Z + list(x)
    xs += [CONST0] * max(0, width - len(xs))
    y, _ = shift_right(b, xs, amount, sticky=False)
    return y[:width]


def _forced(b: Builder, tiny: int, x: int, bit: int) -> int:
    """``bit if tiny else x`` for a constant ``bit``."""
    return gates.or_(b, [tiny, x]) if bit else b.neuron([(x, 1), (tiny, -1)], 1)


def gelu(b: Builder, f: FPFormat, m: Modes, a_bits):
    """x Phi(x): returns (y bits, `Flags`)."""
    P = plan(f)
    W, I, F, Fm = P.W, P.I, P.F, P.Fm
    p, E = f.precision, f.E
    A = unpack(b, f, a_bits)
    s, e = A.sign, A.exp
    e_hi = f.bias + I - 1                          # t < 2^I for every e <= e_hi
    c_tiny = f.bias - (W - 4) - 1                  # e <= c_tiny: t < 2^-(W-4)
    tiny = adders.ge(b, const(c_tiny, E), e) if c_tiny >= 1 else CONST0

    # r = 2^j R(t) from the segment table.
    T = to_fixed(b, f, replace(A, sign=CONST0), F, I).bits     # clamped below 2^I: a zero segment
    index = T[F - HB:I + F]
    offset = [~x for x in T[:F - HB]]
    jbits = max(P.j).bit_length()
    r, j = piecewise(b, index, offset, P.table, P.j, jbits)

    # e^(-t^2/2) = 2^k y.
    V = _scaled(b, multiply(b, A.sig, A.sig), e, 2, 2 * f.bias + 2 * f.M + 1 - P.Fv, e_hi, 2 * I - 1 + P.Fv)
    k, y, _ = exp_fixed(b, [~x for x in V] + [CONST1], P.Fv, P.We)

    # m = y r (Fm fractional bits, < 4) and the exponent adj = k - j of P = 2^adj m.
    Fc = P.table.fracs[0]
    mm = multiply(b, list(y), list(r))[P.We + Fc - Fm:][:Fm + 2]
    wk = max(len(k), jbits + 1, E + 1) + 2
    adj, _ = adders.sub(b, list(k) + [k[-1]] * (wk - len(k)), list(j) + [CONST0] * (wk - len(j)))

    # x > 0: P as Fm + 1 fractional bits, by a right shift of m by -adj - 1 = ~adj >= 1.
    pint, _ = shift_right(b, mm, [~x for x in adj[:-1]], sticky=False)
    pint = pint[:Fm + 1]
    # The multiplier operand O (Fm + 1 fractional bits, < 4) and the exponent added to e.
    Wo = Fm + 3
    ops = []
    for i in range(Wo):
        neg = _forced(b, tiny, mm[i - 1], 1 <= i <= Fm) if i >= 1 else CONST0
        pos = ~_forced(b, tiny, pint[i], i != Fm) if i <= Fm else CONST0
        ops.append(gates.mux(b, s, pos, neg))
    add_e = [b.neuron([(s, 2), (tiny, 1), (x, 1)], 3) for x in adj]     # s ? (tiny ? -1 : adj) : 0
    ke, _ = adders.add(b, list(e) + [CONST0] * (wk - E), add_e, CONST1)
    exp, sig = normalize_signed(b, f, multiply(b, list(A.sig), ops), ke + [ke[-1]])
    sticky = gates.nor(b, [A.is_zero, A.is_inf])
    raw = RawFloat(s, exp, Significand(sig.bits, sig.guard, sig.round, sticky))
    rounded = round_pack(b, f, m, raw)
    inf = b.neuron([(A.is_inf, 1), (s, -1)], 1)
    return finish(b, f, m, replace(raw, nan=A.is_nan, nv=A.is_snan, inf=inf), rounded)
