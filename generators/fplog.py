"""Correctly rounded ``log`` and ``log2``: a multiplicative-normalization digit recurrence.

x = 2^e * m with m in [1, 2) (subnormals normalized first), so
log_b(x) = (e + 1) * log_b(2) + log_b(m / 2). The recurrence drives x0 = m / 2 in [1/2, 1)
towards 1 by factors (1 + 2^-i), i = 0..N, one comparison and one shift-and-add each
(`step`): d_i = [x + floor(x 2^-i) < 1]; step 0 accepts only m = 1, which keeps the exact
cases exact. Then log_b(m / 2) = -sum d_i c_i + log_b(x_N) with the literal constants
c_i = log_b(1 + 2^-i), and with delta = 1 - x_N < 2^-N (1 + 2^-N),
log_b(x_N) = K_b (x_N - 1) - K_b delta^2 / 2 - ... (K_b = 1 or 1/ln 2). Every term is a literal
times a constant, so the two's complement sum
T = (e + 1) c_0 - sum d_i c_i + K_b (x_N - 1) - K_b delta^2 / 2
is one counter tree over the constants' set bits (a negative term -d C is ~d C - C) and one
adder; delta^2 comes from a q-bit squarer. log2 and log differ only in constants. No
centering of m is needed: the sum is fixed point with an absolute error bound, and no result
is smaller than 2^-p.

Error analysis (`plan`). |log_b x| >= 2^-p for every x != 1 of the format, so the
(p + 2)-th significant bit of any result weighs at least 2^-(2p + 1); the sum keeps
S >= T0 + 4 fraction bits, T0 = 2p + 1 + g, g = 16 guard bits (one formula, every format).
In units 2^-S the error of T is at most N/2 (c_i rounded to nearest) + |e + 1|/2 (c_0;
none for log2) + 2.4 K_b N 2^(S - Fx) (x truncated each step, Fx = S + 3, the product of
(1 + 2^-i) <= 2.4) + the residual's truncated shifted copies + K_b 2^(S - 2N - q + 1)
(delta^2 from q bits of delta) + K_b delta^3 / 3 2^S + 2, with N = floor(S / 3) + 2 and
q = S - 2N + 2 (``restoring``/``select``: first order only, N = floor(S / 2) + 2, error
K_b delta^2 / 2 2^S instead of the squarer's). A bias B = ceil(bound) is added to the
magnitude of every inexact result, so the computed magnitude lies in [|X|, |X| + 2^-T0)
(for |e + 1| <= 1; beyond, the |e + 1|/2 part is two-sided and relatively negligible).
One-sidedness matters for log near 1: |log(1 + u)| = |u| -+ u^2/2 (a dyadic number, often
on the grid) plus a tiny positive |u|^3/3 - ..., which must truncate to the grid point below.
Truncating to p + 2 bits then fails only when |X| lies less than 2^-T0 below a (p + 2)-bit
number: per input at most 2^-g (at x = 1 +- ulp), and 2^-(g + p) or less for |e| >= 1.
Expected failures over all positive inputs (sum over the binades of 2^-T0 / ulp(X)):
fp32 log2 3e-4, fp32 log 6e-4, fp64 2e-3 (about p 2^-g from the inputs near 1). fp8, fp16,
bf16 and e6m9 are checked exhaustively (tests/test_fplog.py). Sticky = 1 except the exact
cases (log 1, log2 2^k), whose sum is exact (c_0 cancels (e + 1) c_0; for log2, c_0 = 2^S).

Sizes (default profile, static RNE), neurons / depth. ``quadratic`` (default): restoring
steps and the second-order residual; ``restoring``: the same steps, first order (a third
more steps); ``select``: add unconditionally, then choose (fpdivsqrt's select step).

==========  ===============  ===============  ===============
unit        quadratic        restoring        select
==========  ===============  ===============  ===============
fp16.log     3,712 / 172      4,464 / 208      5,574 / 209
fp16.log2    3,815 / 173      4,688 / 215      5,884 / 217
bf16.log     3,013 / 154      3,566 / 182      4,414 / 183
bf16.log2    3,089 / 155      3,751 / 189      4,671 / 190
fp32.log     8,179 / 233     10,478 / 310     13,389 / 309
fp32.log2    8,749 / 243     10,775 / 312     13,710 / 311
fp64.log    24,144 / 497     31,198 / 699     40,221 / 635
fp64.log2   25,558 / 510     32,768 / 714     42,081 / 583
==========  ===============  ===============  ===============

>>> import spikefp
>>> u = spikefp.unit("fp16.log2")
>>> hex(u.netlist.evaluate(a=0x4400)["y"])                  # log2(4) = 2, exact
'0x4000'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from mpmath import mp, mpf

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from . import adders
from .fpcommon import Modes, RawFloat, finish, round_pack, unpack
from .fpdivsqrt import _normalized
from .fpformat import FPFormat
from .multiplier import multiply, sum_columns
from .normalize import const, normalize_signed

__all__ = ["log", "log2", "ARCHS", "plan"]

ARCHS = ("quadratic", "restoring", "select")
GUARD = 16          # g: guard bits below the (p + 2)-bit grid at the smallest result


@dataclass(frozen=True)
class _Plan:
    """Widths and constants of one unit: S fraction bits of the sum, Fx of x, N steps,
    c[i] = round(log_b(1 + 2^-i) 2^S), kb = K_b truncated to S bits (an integer), bias B."""
    p: int
    S: int
    Fx: int
    N: int
    q: int              # bits of delta squared (0: first-order residual only)
    c: tuple
    kb: int
    bias: int
    T0: int


@lru_cache(maxsize=None)
def plan(p: int, base: str, quadratic: bool = True, g: int = GUARD) -> _Plan:
    """The widths, constants and bias for precision ``p``, base ``"e"`` or ``"2"``, and a
    first- or second-order residual.

    >>> pl = plan(11, "2", quadratic=False); pl.T0, pl.S, pl.N, pl.bias
    (39, 46, 25, 48)
    """
    T0 = 2 * p + 1 + g
    S = T0 + 4
    with mp.workprec(400):
        kb = 1 / mp.log(2) if base == "2" else mpf(1)
        c = [mp.log(1 + mpf(2) ** -i) * kb for i in range(T0 + 40)]
    while True:
        N = S // 3 + 2 if quadratic else S // 2 + 2
        q = S - 2 * N + 2 if quadratic else 0
        Fx = S + 3
        with mp.workprec(400):
            ci = tuple(int(mp.nint(v * 2 ** S)) for v in c[:N + 1])
            kbits = int(mp.floor(kb * 2 ** S))
        copies = bin(kbits).count("1")
        delta = 2.0 ** -N * (1 + 2.0 ** -N) + N * 2.0 ** -Fx
        err = N / 2 + 0.5 + 2.4 * float(kb) * N * 2.0 ** (S - Fx) / (1 - delta) + copies + 1
        if quadratic:     # delta^2 / 2 from q bits of delta (truncated), copies, then delta^3 / 3
            err += float(kb) * (2.0 ** (S - 2 * N - q + 1) + delta ** 3 / 3 * 1.1 * 2.0 ** S) \
                + bin(kbits >> (2 * N - 1)).count("1") + 1
        else:
            err += float(kb) * (delta ** 2 / 2) * 1.1 * 2.0 ** S
        bias = math.ceil(err)
        if 2 * bias + 1 <= 2 ** (S - T0):
            return _Plan(p, S, Fx, N, q, ci, kbits, bias, T0)
        S += 1


def _sum_columns(b: Builder, cols) -> list[int]:
    """The sum, modulo 2^len(cols), of the literals in ``cols`` (constant zeros dropped)."""
    return sum_columns(b, [[x for x in col if x != CONST0] for col in cols])


def step(b: Builder, x, i: int, arch: str):
    """One recurrence step on x (fraction bits LSB first, then the integer bit):
    (d, x') with d = [x + floor(x 2^-i) < 1] and x' = x (1 + d 2^-i) truncated."""
    n = len(x)
    y = [x[j + i] if j + i < n else CONST0 for j in range(n)]
    if arch == "restoring":
        c = adders.carries(b, list(zip(x[:-1], y[:-1])))[-1]     # x + y >= 1 (x < 1 here)
        d = gates.nor(b, [c, x[-1]])
        yg = [CONST0 if v == CONST0 else gates.and_(b, [v, d]) for v in y]
        return d, adders.add(b, x, yg)[0]
    t = adders.add(b, x, y)[0]
    d = gates.nor(b, [t[-1], x[-1]])
    return d, [gates.mux(b, d, xo, to) for xo, to in zip(x, t)]


def _log(b: Builder, f: FPFormat, m: Modes, a_bits, saturate: bool, base: str, arch: str):
    if arch not in ARCHS:
        raise ValueError(f"unknown log architecture {arch!r}; choose from {', '.join(ARCHS)}")
    p = f.precision
    pl = plan(p, base, arch == "quadratic")
    S, Fx, N = pl.S, pl.Fx, pl.N
    A = unpack(b, f, a_bits)
    w = f.E + 2
    sig, exp = _normalized(b, A, w)
    e, _ = adders.add(b, exp, const((-f.bias) % (1 << w), w))     # unbiased exponent
    neg = e[-1]                                                    # the result's sign: e < 0
    one = gates.nor(b, sig[:-1])                                   # m = 1: d_0
    exact = one if base == "2" else gates.and_(b, [one, gates.nor(b, e)])
    # x0 = m / 2 (Fx fraction bits, then the integer bit); step 0 makes it 1 when m = 1.
    x = [CONST0] * (Fx - p) + list(sig[:-1]) + [~one, one]
    ds = [one]
    for i in range(1, N + 1):
        d, x = step(b, x, i, "select" if arch == "select" else "restoring")
        ds.append(d)
    # T = (e + 1) c_0 - sum d_i c_i + kb (x_N - 1) - sigma (+-bias when inexact), two's complement.
    width = S + ((1 << (w - 1)) + 8).bit_length() + 1     # |T| <= |e + 1| + 1
    mod = 1 << width
    cols: list[list[int]] = [[] for _ in range(width)]
    offset = 0

    def add_const_lit(lit, value):            # lit * value, value any integer (mod 2^width)
        nonlocal offset
        if value < 0:                          # -lit v = ~lit v - v
            lit, value = ~lit, -value
            offset -= value
        value %= mod
        for k in range(width):
            if value >> k & 1:
                cols[k].append(lit)

    for k, ek in enumerate(e):
        add_const_lit(ek, (pl.c[0] << k) * (-1 if k == w - 1 else 1))
    offset += pl.c[0]
    for i, d in enumerate(ds):
        add_const_lit(d, -pl.c[i])
    for k in range(S + 1):                     # kb x_N: x_N bit j weighs 2^(j - Fx)
        if pl.kb >> k & 1:
            for j, xj in enumerate(x):
                pos = j - Fx + k               # (2^(j - Fx)) (2^(k - S)) in units 2^-S
                if pos >= 0:
                    add_const_lit(xj, 1 << pos)
    offset -= pl.kb
    if pl.q:    # - kb delta^2 / 2, delta = 1 - x_N < 2^-(N-1): its bits from 2^-N down, q of them
        lo = Fx - N - pl.q + 1
        dt = [gates.and_(b, [~xj, ~one]) for xj in x[lo:Fx - N + 1]]
        sq = multiply(b, dt, dt)               # delta^2 / 2 = sq 2^-(2N + 2q - 1)
        for k in range(S + 1):
            if pl.kb >> k & 1:
                for l, v in enumerate(sq):
                    pos = l + k - 2 * N - 2 * pl.q + 1
                    if pos >= 0:
                        add_const_lit(v, -(1 << pos))
    inexact = ~exact
    add_const_lit(gates.and_(b, [inexact, ~neg]), pl.bias)
    add_const_lit(gates.and_(b, [inexact, neg]), -pl.bias)
    add_const_lit(neg, -1)                     # T - sigma: then ~(T - 1) = -T when negative
    for k in range(width):
        if offset % mod >> k & 1:
            cols[k].append(CONST1)
    t = _sum_columns(b, cols)
    mag = [gates.xor(b, v, neg) for v in t[:-1]]
    # mag's bit k weighs 2^(k - S); with a sticky literal below it, the top bit (index
    # width - 1) weighs 2^(width - 2 - S): biased exponent k + 1.
    kexp = width - 3 - S + f.bias
    kw = max(kexp.bit_length() + 2, w)
    exp_out, sigf = normalize_signed(b, f, [inexact] + mag, const(kexp, kw))
    sign = gates.or_(b, [neg, A.is_zero])      # log(0) = -inf (E4M3 saturating: -max)
    dz = A.is_zero
    invalid = gates.and_(b, [A.sign, ~A.is_zero, ~A.is_nan])
    raw = RawFloat(sign, exp_out, sigf, saturated_inf=dz if saturate and not f.ieee else CONST0, dz=dz)
    rounded = round_pack(b, f, m, raw, saturate)
    nan = gates.or_(b, [A.is_nan, invalid] + ([] if f.ieee or saturate else [dz]))
    nv = gates.or_(b, [A.is_snan, invalid])
    inf = b.neuron([(A.is_inf, 1), (A.sign, -1), (dz, 2)], 1) if f.ieee else CONST0
    return finish(b, f, m, replace(raw, nan=nan, nv=nv, inf=inf, inf_sign=dz), rounded)


def log(b: Builder, f: FPFormat, m: Modes, a_bits, saturate: bool = False, arch: str = "quadratic"):
    """Natural logarithm, correctly rounded: returns (y bits, `Flags`)."""
    return _log(b, f, m, a_bits, saturate, "e", arch)


def log2(b: Builder, f: FPFormat, m: Modes, a_bits, saturate: bool = False, arch: str = "quadratic"):
    """Base-2 logarithm, correctly rounded: returns (y bits, `Flags`)."""
    return _log(b, f, m, a_bits, saturate, "2", arch)
