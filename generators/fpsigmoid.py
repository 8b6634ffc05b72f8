"""Logistic sigmoid, tanh and SiLU, correctly rounded: one exponential and one division each.

With t = |x| and z = e^-t, everything is built on w(t) = sigmoid(-t) = z / (1 + z):
sigmoid(x) = w (x < 0) or 1 / (1 + z) (x >= 0), silu(x) = x * sigmoid(x), and
tanh(t) = (1 - z2) / (1 + z2) with z2 = e^-2t, the sign of x outside.

Route to correct rounding (round to odd). Each unit computes a LOWER bound L of its exact
result, within the relative error bounded below, truncates L to p + 2 significant bits and sets the sticky
bit (every result but the exact cases below is irrational). The truncation is the correctly
truncated result unless the exact result lies within that error ABOVE a (p+2)-bit number;
rounding the (p+2)-bit round-to-odd value gives the correctly rounded result in all modes.
Lower bounds because the results that sit structurally close to a grid point all sit just
BELOW it (tanh(t) = t - t^3/3, silu(-t) = -(t/2 - t^2/4 + ...), sigmoid(t) ~ 1 - e^-t, t - t e^-t).

Error analysis, in units of 2^-W (W = p + 2 + g + s, s = floor(p/2) + 1):

* ``fpexp.exp_fixed`` gives z = 2^k y (k <= 0) with y <= y_true < y + 2. Then
  Zh = floor(2^k y) + sticky + 2 is an upper bound of z 2^W, less than 3 units above it;
  D = 2^W + Zh bounds 1 + z from above (relative error < 3 2^-W). Numerators: y (w / 2^k,
  low by < 2 units, y >= 2^W), 2^W (1 / (1 + z)), 2^W - Zh (1 - z2, low by < 3 units). A
  restoring division floors the quotient (W + 1 fraction bits: < 2^-W of a quotient >= 1/2).
* sigmoid and silu: the bound of w = z / (1 + z) (x < 0) or of 1 / (1 + z) (x >= 0) is low by
  less than 6 2^-W relative; silu multiplies it by x's significand exactly. The p + 2-bit grid
  has a relative step of at least 2^-(p+2), so an input fails with probability below
  6 2^-W / 2^-(p+2) = 6 2^-(g+s).
* tanh: 1 - z2 ~ 2t cancels: the bound of (1 - z2) / (1 + z2) is low by less than
  3 2^(s-W) relative for t >= 2^-s (1.5 from the numerator, 1.1 from the floor, 3 2^-s from D),
  so an input fails with probability below 3 2^-g (halving with each binade above 2^-s).
* g = `guard`: those rates below 2^-(min(width, 31) + 1) a input (less than one expected
  failure over all inputs of a format up to 32 bits, 2^-32 a sample beyond), at least 8.
* Structured inputs, where the exact result sits at a fixed tiny distance from a grid point,
  are what a one-sided bound must respect: tanh(t) = t - t^3/3 + ..., silu(-t) = -(t/2 - t^2/4
  + ...), sigmoid(-t) = 1/2 - t/4 + ..., 1 - e^-t and t - t e^-t all sit just BELOW their grid
  points (safe). Above a grid point: sigmoid(t) = 1/2 + t/4 - t^3/48 at least 2^(e-p-1) - t^3/48
  above one (t in [2^e, 2^(e+1)), e >= -s: > 2^(-s-p-2) > 6 2^-W), silu(-t) for t = 2^e
  by t^4/48 and sigmoid(-t) at t a multiple of 2^-(p+1) by t^3/48: relative t^3/24 >=
  2^(-3s-4.6), above 6 2^-W when g > 2s - p + 5.2 (2s - p <= 2). Each holds for g >= 8.
  One more order matters for tanh: t - t^3/3 is a grid point for t = 3 2^q when
  q >= -p/2 (generally t >= 3^1.5 2^(-(p+1)/2)), and tanh(t) is 2t^5/15 above it: the relative
  error 3 2^-W / t stays below that when W >= 2.5 p - 4.9 (fp64: g >= 46; found by the tests
  at x = 1.5 2^-25 with g = 34). The analogous cases of sigmoid (t/4 - t^3/48 on the grid, t^5/480
  above) and silu (t^6/480 above) need W >= 1.67 p + 1, which g >= 8 gives.
* Small arguments, t < 2^-s, need no exponential: tanh(t) = t - t^3/3 + ... lies within one
  (p+2)-bit step below t, so its truncation is "t minus a tiny amount" (t's significand,
  decremented, with sticky). sigmoid(+-t) = 1/2 +- (t/4 - t^3/48 + ...) is the exact
  fixed-point 1/2 +- t/4 (W bits, from the cut bits of t) moved one unit down (x > 0, when t/4
  fits) or left at the floor (x < 0): exactly the floor at W bits, as t^3/48 is below t/4's
  finest bit there. silu multiplies that floor by x exactly, so silu(-t) is never above the
  exact t/2 - t^2/4 when that is a grid point.
* |x| >= 2^int_bits is clamped by `fpexp.to_fixed`: e^-t is then below a quarter of the
  smallest subnormal and below 2^-(p+5); silu(x) for such x < 0 is forced tiny.

Measured: every input of fp8e4m3, fp8e5m2, fp16 and bf16, all modes and dynamic, 0 failures
(tests/test_fpsigmoid.py). With g fixed instead of `guard` (fp16, RNE, every input; neurons /
depth): g = 2: 26 / 212 / 21 failures (sigmoid / tanh / silu; 5,461 / 261, 5,151 / 251,
6,172 / 273), g = 4: 3 / 56 / 3 (6,104 / 284, 5,773 / 273, 6,861 / 296), g = 8: 0 / 0 / 0
(7,506 / 326, 7,135 / 316, 8,355 / 338). `guard` spends more (fp16: g = 14 / 19 / 14) to
keep fp32's rate below 2^-32 a input and fp64's structured tanh cases out.

Sizes as first measured, with an earlier version of the exp core (today's units are up to 9%
smaller: README's table; ``python benchmarks/functions.py --alternatives`` remeasures).
Sizes (default profile, static RNE, ``spikefp stats``), neurons / depth, with the division
step ``arch`` = restoring (default) or select (generators/fpdivsqrt.py: one layer less a step):

============  =================  =================
unit          restoring          select
============  =================  =================
fp16.sigmoid   10,300 / 393       11,320 / 309
bf16.sigmoid    8,791 / 364        9,690 / 282
fp32.sigmoid   29,076 / 689       32,424 / 545
fp64.sigmoid   59,094 / 989       66,101 / 787
fp16.tanh      12,139 / 429       13,433 / 337
bf16.tanh      10,275 / 390       11,297 / 308
fp32.tanh      38,834 / 798       43,441 / 633
fp64.tanh     112,560 / 1828     126,148 / 1257
fp16.silu      11,279 / 405       12,299 / 321
bf16.silu       9,525 / 374       10,424 / 292
fp32.silu      31,927 / 706       35,275 / 562
fp64.silu      66,594 / 1010      73,601 / 808
============  =================  =================

A single g = 12 for every format (too little for fp32's sampling target, too little for fp64's
tanh): fp32 20,992 / 580, 20,373 / 567, 23,530 / 597 and fp64 63,713 / 1029, 62,676 / 1016,
71,481 / 1050 (sigmoid / tanh / silu). Most of a unit is the exponential (W-bit) and the
(W + 2)-step division; tanh's W carries s more bits for its cancellation, and fp64's g = 46.

Specials (DESIGN.md): tanh(+-inf) = +-1, tanh(+-0) = +-0; sigmoid(+inf) = 1, sigmoid(-inf) =
+0, sigmoid(+-0) = 1/2 (exact); silu(+inf) = +inf, silu(-inf) = -0, silu(+-0) = +-0; NaN in
gives the canonical NaN (NV if signaling). An underflowing result rounds like any other (UF|NX).

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpformat import get_format
>>> from spikefp.generators.fpcommon import static_modes
>>> f = get_format("fp8e4m3"); b = Builder()
>>> y, flags = sigmoid(b, f, static_modes("rne"), b.input("a", 8))
>>> b.output("y", y); b.output("flags", flags.bits())
>>> b.build().evaluate(a=0x00)                  # sigmoid(0) = 1/2, exact
{'y': 48, 'flags': 0}
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from . import adders, fpexp
from .fpcommon import Modes, RawFloat, finish, round_pack, unpack
from .fpdivsqrt import restoring_step, select_step
from .fpformat import FPFormat
from .multiplier import multiply
from .normalize import const, mux_bits, normalize_signed
from .shifters import shift_right

__all__ = ["sigmoid", "tanh", "silu", "guard", "ARCHS", "widths"]

EXP_ULPS = 2                  # fpexp.exp_fixed: y <= y_true < y + 2 (units 2^-W)
ARCHS = ("restoring", "select")   # the division step (generators/fpdivsqrt.py)


@dataclass(frozen=True)
class Widths:
    """Fixed-point widths of one format: W fraction bits, t < 2^-s takes the small-argument
    path, |x| >= 2^int_bits is clamped (its result is known to be tiny or next to 1)."""
    W: int
    s: int
    int_bits: int


def guard(f: FPFormat, tanh: bool = False) -> int:
    """g of the error analysis: failures below 2^-(min(width, 31) + 1) a input.

    >>> from spikefp.generators.fpformat import get_format
    >>> [guard(get_format(n), t) for n in ("fp16", "fp32", "fp64") for t in (False, True)]
    [14, 19, 22, 34, 8, 46]
    """
    p, s = f.precision, f.precision // 2 + 1
    bits = min(f.width, 31) + 1
    if tanh:   # and W >= 2.5 p - 4.9 for t - t^3/3 on the grid (the module docstring)
        return max(8, bits + 2, math.ceil(2.5 * p - 4.9) - (p + 2 + s))
    return max(8, bits + 3 - s)


def widths(f: FPFormat, g: int | None = None, tanh: bool = False) -> Widths:
    """The widths for format ``f`` (see the module docstring).

    >>> from spikefp.generators.fpformat import get_format
    >>> widths(get_format("fp32")), widths(get_format("fp32"), tanh=True)
    (Widths(W=61, s=13, int_bits=7), Widths(W=73, s=13, int_bits=4))
    """
    p = f.precision
    s = p // 2 + 1
    g = guard(f, tanh) if g is None else g
    if tanh:      # 1 - tanh(t) < 2 e^-2t must fall below 2^-(p+5)
        limit = (p + 6) * math.log(2) / 2
    else:         # e^-t below a quarter of the smallest subnormal, and below 2^-(p+5)
        limit = max(f.bias + f.M + 3, p + 6) * math.log(2)
    return Widths(p + 2 + g + s, s, max(1, math.ceil(math.log2(limit))))


# -- pieces --------------------------------------------------------------------------------------------

def _quotient(b: Builder, n: int, num, den, arch: str):
    """``floor(num * 2^(n-1) / den)`` (n bits) by restoring division; needs num < 2 den."""
    if arch not in ARCHS:
        raise ValueError(f"unknown division step {arch!r}; choose from {', '.join(ARCHS)}")
    step = restoring_step if arch == "restoring" else select_step
    r = list(num) + [CONST0]
    qs = []
    for _ in range(n):
        q, r = step(b, r, den)
        qs.append(q)
        r = [CONST0] + list(r[:len(num)])
    return list(reversed(qs))


def _ext(v, n: int, signed: bool = False):
    """``v`` zero- (or sign-) extended to n bits."""
    return list(v) + [v[-1] if signed else CONST0] * (n - len(v))


def _below(b: Builder, exp, limit: int) -> int:
    """The biased exponent bits ``exp`` are below ``limit``."""
    if limit <= 0:
        return CONST0
    if limit >= 1 << len(exp):
        return CONST1
    return ~adders.ge(b, list(exp), const(limit, len(exp)))


def _exp_parts(b: Builder, f: FPFormat, u, frac: int, int_bits: int, W: int, double: bool = False):
    """t = |x| as fixed point (``frac`` fraction bits, a `fpexp.FixedArg`) and e^-t (e^-2t with
    ``double``) as `fpexp.ExpParts` (W fraction bits)."""
    x = fpexp.to_fixed(b, f, replace(u, sign=CONST0), frac + (1 if double else 0), int_bits)
    bits = list(x.bits)
    neg = adders.negate(b, bits + [CONST0])            # -t (or -2t: one more fraction bit)
    e = fpexp.exp_fixed(b, neg, frac, W)
    return x, e


def _upper_z(b: Builder, e, W: int):
    """Zh, an upper bound of z * 2^W (W + 2 bits): floor(2^k y) + sticky + 2 (k <= 0)."""
    k = list(e.k)
    amount = adders.negate(b, k)                        # -k >= 0
    zf, st = shift_right(b, list(e.y), amount[:-1] if len(amount) > 1 else amount)
    zh, _ = adders.add(b, _ext(zf, W + 2), const(EXP_ULPS, W + 2), st)
    return zh


def _specials(b: Builder, A, bits, exact_one, exact_half):
    """Clear the value for ±0 and ±inf, and set exact 1 or 1/2 (top bit, its exponent)."""
    special = gates.or_(b, [A.is_zero, A.is_inf])
    out = [b.neuron([(x, 1), (special, -1)], 1) for x in bits[:-1]]
    out.append(b.neuron([(bits[-1], 1), (special, -1), (exact_one, 2), (exact_half, 2)], 1))
    return out


def _finish(b: Builder, f: FPFormat, m: Modes, A, sign, bits, K, inf=CONST0):
    exp, sig = normalize_signed(b, f, bits, K)
    raw = RawFloat(sign, exp, sig)
    rounded = round_pack(b, f, m, raw)
    return finish(b, f, m, replace(raw, nan=A.is_nan, nv=A.is_snan, inf=inf, inf_sign=CONST0), rounded)


def _kconst(value: int, n: int):
    return const(value % (1 << n), n)


# -- sigmoid and silu ------------------------------------------------------------------------------------

def _sigmoid_core(b: Builder, f: FPFormat, A, g: int, arch: str):
    """sigmoid(x) >= 2^ks * Q / 2^(n-1) (a lower bound within the error analysis), for finite
    nonzero x: (Q bits, n = W + 2, ks two's complement bits, big = |x| >= 2^int_bits)."""
    wd = widths(f, g)
    W, n = wd.W, wd.W + 2
    x, e = _exp_parts(b, f, A, W, wd.int_bits, W)
    neg = A.sign
    # Exponential path: numerator y - E (x < 0) or 1 (x >= 0) over D = 2^W + Zh.
    zh = _upper_z(b, e, W)
    den = zh[:W] + [CONST1, CONST0]                     # Zh < 2^W on this path
    ylo = _ext(e.y, W + 2)                              # y <= y_true: a lower bound
    num = [gates.and_(b, [v, neg]) for v in ylo]
    num[W] = b.neuron([(ylo[W], 1), (neg, -1)], 0)      # 2^W when x >= 0
    q = _quotient(b, n, num, den, arch)
    # Small arguments: the floor of 1/2 + t/4 - tiny (x > 0) or 1/2 - t/4 + tiny (x < 0) at W bits.
    t = list(x.bits)
    cut = gates.or_(b, [x.sticky, t[0], t[1]])
    t4 = [gates.xor(b, v, neg) for v in t[2:W]] + [neg, neg]    # t/4 or ~(t/4), W bits (t < 2^-s)
    half = [~neg] * (W - 1) + [neg]                     # 2^(W-1) - 1 (x > 0) or 2^(W-1) (x < 0)
    small, _ = adders.add(b, t4, half, gates.xor(b, cut, neg))
    tiny = _below(b, A.exp, f.bias - wd.s)
    qt = [CONST0] + small + [CONST0]                    # n bits: V * 2^(W+1)
    q = mux_bits(b, tiny, q, qt)
    kw = max(len(e.k), f.E) + 3
    ks = [gates.and_(b, [v, neg, ~tiny]) for v in _ext(e.k, kw, signed=True)]
    return q, ks, x.big


def sigmoid(b: Builder, f: FPFormat, m: Modes, a_bits, g: int | None = None, arch: str = "restoring"):
    """1 / (1 + e^-a): returns (y bits, `Flags`)."""
    A = unpack(b, f, a_bits)
    q, ks, _ = _sigmoid_core(b, f, A, g, arch)
    K, _ = adders.add(b, ks, _kconst(f.bias - 1, len(ks)))
    one = gates.and_(b, [A.is_inf, ~A.sign])
    K = mux_bits(b, one, K, _kconst(f.bias - 1, len(K)))
    K = mux_bits(b, A.is_zero, K, _kconst(f.bias - 2, len(K)))
    bits = _specials(b, A, [CONST1] + q, one, A.is_zero)
    return _finish(b, f, m, A, CONST0, bits, K)


def silu(b: Builder, f: FPFormat, m: Modes, a_bits, g: int | None = None, arch: str = "restoring"):
    """a * sigmoid(a): returns (y bits, `Flags`)."""
    A = unpack(b, f, a_bits)
    q, ks, big = _sigmoid_core(b, f, A, g, arch)
    prod = multiply(b, A.sig, q)                         # exact: t's significand times the bound
    kw = max(len(ks), f.E + 2) + 2
    K, _ = adders.add(b, _ext(ks, kw, signed=True), _ext(A.exp, kw))
    # x <= -2^int_bits: |silu| = t e^-t is far below the smallest subnormal (the clamped
    # exponential would not say so once multiplied by the unclamped t).
    K = mux_bits(b, gates.and_(b, [big, A.sign]), K, _kconst(-(f.M + 6), kw))
    bits = _specials(b, A, [CONST1] + prod, CONST0, CONST0)
    return _finish(b, f, m, A, A.sign, bits, K, inf=gates.and_(b, [A.is_inf, ~A.sign]))


# -- tanh ------------------------------------------------------------------------------------------------

def tanh(b: Builder, f: FPFormat, m: Modes, a_bits, g: int | None = None, arch: str = "restoring"):
    """Hyperbolic tangent: returns (y bits, `Flags`)."""
    p = f.precision
    A = unpack(b, f, a_bits)
    wd = widths(f, g, tanh=True)
    W, n = wd.W, wd.W + 1
    _, e = _exp_parts(b, f, A, W, wd.int_bits, W, double=True)
    zh = _upper_z(b, e, W)
    den = zh[:W] + [CONST1, CONST0]                     # 2^W + Zh (Zh < 2^W for t >= 2^-s)
    num = adders.negate(b, zh[:W]) + [CONST0, CONST0]   # 2^W - Zh (0 < Zh < 2^W)
    q = _quotient(b, n, num, den, arch)                 # tanh(t) * 2^W
    # Small arguments: t minus a tiny amount, as 16 * sig - 1 (p + 4 bits) under t's exponent.
    dec, _ = adders.sub(b, list(A.sig), const(1, p))
    small = [CONST1] * 4 + dec
    tiny = _below(b, A.exp, f.bias - wd.s)
    bits = mux_bits(b, tiny, [CONST1] + q, [CONST0] * (n + 1 - len(small)) + small)
    kw = f.E + 3
    K = mux_bits(b, tiny, _kconst(f.bias - 1, kw), _ext(adders.sub(b, _ext(A.exp, kw), const(1, kw))[0], kw))
    K = mux_bits(b, A.is_inf, K, _kconst(f.bias - 1, kw))
    bits = _specials(b, A, bits, A.is_inf, CONST0)
    return _finish(b, f, m, A, A.sign, bits, K)
