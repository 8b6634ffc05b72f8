"""A vectorized reference for the elementary functions (formats of up to 24-bit significands).

The results of `spikefp.verify.elementary` (correctly rounded, every mode, flags), computed
on whole arrays for the fp32 campaigns (10^6 inputs per function and mode, 2^32 for exp and
log2). Method: the operand is exact in float64; numpy (and ``math.erfc`` for gelu) evaluates
the function in float64 with a relative error below `REL_ERROR`, which encloses the true
magnitude t in [lo, hi] = |y| (1 -+ REL_ERROR), narrowed by bounds that hold exactly
(tanh, sigmoid < 1, |tanh x| < |x|, exp(x) > 1 for x > 0, x/2 < silu(x), gelu(x) < x for
x > 0, ...: where t approaches a number of the grid, float64 alone cannot tell the side).
t is irrational (the exact cases are recognized first), so it is never a number of p + 2
significant bits; when [lo, hi] lies between two consecutive ones A < B, the midpoint of A
and B rounds like t in every mode (as in `elementary`'s stand-ins), and the vectorized
rounder of `spikefp.verify.fastref` rounds it. Inputs whose enclosure straddles a number of
p + 2 bits (about 2^-15 of them at fp32: 0 to 10 in 10^6 measured) go to the MPFR reference
one by one. Throughput on one core (10^6 fp32 inputs, random bit patterns or uniform in
[-100, 100]): exp 1.5-4 M inputs/s, log2 5.6 M/s, gelu 2.9 M/s (a quarter of that on a
loaded machine); the 2^32 campaign is a loop over chunks of 2^24.

The error bound. numpy's float64 exp, exp2, log, log2 and tanh (and glibc's erfc) are within
a few units of float64's last place (2^-52 relative); sigmoid and silu add an addition and a
division (two roundings), gelu the rounding of its argument -x/sqrt(2), which erfc amplifies
by at most 2w^2 + 2 for w = |x|/sqrt(2) <= 11 (beyond that the result is far below the
smallest fp32 subnormal): at most 244 * 2^-53 < 2^-45. `REL_ERROR` is 2^-44 (2^-40 for
gelu); tests/test_elementary_fast.py measures the float64 errors against MPFR (asserted
within REL_ERROR / 16; measured on 20,000 fp32 inputs per function: 2^-52, gelu 2^-45) and compares the
results bit for bit.

>>> import numpy as np
>>> y, fl = evaluate("exp", "fp32", np.array([0x3f800000, 0x42b20000]), "rne")   # e, e^89
>>> [hex(int(v)) for v in y], fl.tolist()
(['0x402df854', '0x7f800000'], [1, 5])
"""

from __future__ import annotations

import math

import numpy as np

from ..generators.fpformat import FLAG_NV, FPFormat, ROUNDING_MODES, get_format
from . import elementary, fastref

__all__ = ["supported", "evaluate", "REL_ERROR", "OPS"]

REL_ERROR = {name: 2.0 ** -44 for name in elementary.OPS} | {"gelu": 2.0 ** -40}


def supported(f: FPFormat) -> bool:
    """Significands of up to 24 bits (stand-ins of p + 3 <= 53 bits) and fp32's exponent range
    or less (results near the format's range are normal float64 numbers, and gelu's bound holds)."""
    return f.precision <= 24 and f.emax <= 127 and f.emin >= -126


_erfc = np.frompyfunc(math.erfc, 1, 1)


def _float64(fn: str, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        if fn == "exp":
            return np.exp(x)
        if fn == "exp2":
            return np.exp2(x)
        if fn == "log":
            return np.log(x)
        if fn == "log2":
            return np.log2(x)
        if fn == "rsqrt":
            return 1 / np.sqrt(x)
        if fn == "recip":
            return 1 / x
        if fn == "tanh":
            return np.tanh(x)
        if fn == "sigmoid":
            return 1 / (1 + np.exp(-x))
        if fn == "silu":
            return x / (1 + np.exp(-x))
        return x * 0.5 * _erfc(x * -math.sqrt(0.5)).astype(np.float64)       # gelu


def _enclosure(fn: str, x: np.ndarray, y: np.ndarray):
    """(lo, hi): bounds of the true result's magnitude."""
    mag, ax = np.abs(y), np.abs(x)
    lo, hi = mag * (1 - REL_ERROR[fn]), mag * (1 + REL_ERROR[fn])
    pos = x > 0
    if fn in ("exp", "exp2"):                                 # e^x > 1 for x > 0, < 1 for x < 0
        lo = np.where(pos, np.maximum(lo, 1), lo)
        hi = np.where(pos, hi, np.minimum(hi, 1))
    elif fn == "tanh":
        hi = np.minimum(hi, np.minimum(ax, 1))
    elif fn == "sigmoid":                                     # 1/2 < sigmoid(x) < 1 for x > 0
        hi = np.minimum(hi, np.where(pos, 1, 0.5))
        lo = np.where(pos, np.maximum(lo, 0.5), lo)
    elif fn in ("silu", "gelu"):                              # x/2 < f(x) < x for x > 0
        hi = np.minimum(hi, np.where(pos, ax, ax / 2))        # |f(x)| < |x|/2 for x < 0
        lo = np.where(pos, np.maximum(lo, ax / 2), lo)
    return lo, hi


def _sign(fn: str, s: np.ndarray, x: np.ndarray) -> np.ndarray:
    if fn in ("log", "log2"):
        return (x < 1).astype(np.int64)
    return s if fn in ("recip", "tanh", "silu", "gelu") else np.zeros_like(s)


def _grid_floor(v: np.ndarray, p: int):
    """(A, B): the largest number of p + 2 significant bits <= v (v > 0, normal) and the next."""
    cut = np.uint64(52 - (p + 1))
    bits = v.view(np.uint64) >> cut << cut
    return bits.view(np.float64), (bits + (np.uint64(1) << cut)).view(np.float64)


def _exact(fn: str, f: FPFormat, x: np.ndarray, s: np.ndarray, m: np.ndarray):
    """(where, value): operands with an exactly representable result, and that result (float64,
    clamped to far outside the format's range)."""
    frac, k = np.frexp(np.abs(x))
    power = frac == 0.5                                       # |x| = 2^(k - 1)
    k = k - 1
    if fn == "exp2":
        where = np.floor(x) == x
        value = np.exp2(np.clip(x, f.emin - f.M - 3, f.emax + 4))
    elif fn == "log":
        where, value = x == 1, np.zeros(x.shape)
    elif fn == "log2":
        where, value = power & (s == 0), k.astype(np.float64)
    elif fn == "rsqrt":
        where, value = power & (s == 0) & (k % 2 == 0), np.exp2(-(k // 2)).astype(np.float64)
    elif fn == "recip":
        where, value = power, np.exp2(-k).astype(np.float64) * np.where(s == 1, -1, 1)
    else:
        where, value = np.zeros(x.shape, bool), np.zeros(x.shape)
    return where & (m > 0), value


def _round_float64(f: FPFormat, v: np.ndarray, rm: str, saturate: bool):
    """Round the float64 values ``v`` (exact stand-ins, zeros allowed) to ``f``."""
    frac, k = np.frexp(np.abs(v))
    m = (frac * 2.0 ** 53).astype(np.int64)
    sign = np.signbit(v).astype(np.int64)
    y, flags = fastref._round(f, sign, np.maximum(m, 1), k.astype(np.int64) - 53, rm, saturate)
    zero = m == 0
    return np.where(zero, sign << (f.width - 1), y).astype(np.uint64), np.where(zero, 0, flags).astype(np.uint8)


def evaluate(fn: str, fmt, a, rm: str = "rne", saturate: bool = False):
    """(bits uint64, flags uint8) of ``fn`` for the operand bit patterns ``a`` (an array),
    correctly rounded in mode ``rm``: the results of ``elementary.OPS[fn]``, element by element."""
    f = get_format(fmt)
    if fn not in elementary.OPS:
        raise ValueError(f"unknown elementary function {fn!r}; functions: {', '.join(elementary.OPS)}")
    if rm not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {rm!r}; modes: {', '.join(ROUNDING_MODES)}")
    if not supported(f):
        raise ValueError(f"the fast elementary reference covers significands up to 24 bits, not {f.name}")
    a = np.asarray(a, dtype=np.uint64)
    s, m, ex, nan, snan, inf = fastref._decode(f, a)
    x = np.ldexp(np.where(s == 1, -m, m).astype(np.float64), ex.astype(np.int32))
    bits = np.zeros(a.shape, np.uint64)
    flags = np.zeros(a.shape, np.uint8)
    # Specials: NaN, and one call of the reference per class (±inf, ±0, x < 0 for log, log2, rsqrt).
    zero = (m == 0) & ~nan & ~inf
    neg = (s == 1) & ~nan & ~inf & ~zero & (fn in ("log", "log2", "rsqrt"))
    one = f.bias << f.M
    for sel, rep in ((inf & (s == 0), f.inf), (inf & (s == 1), (f.inf or 0) | f.sign_bit),
                     (zero & (s == 0), 0), (zero & (s == 1), f.sign_bit), (neg, f.sign_bit | one)):
        if sel.any():
            bits[sel], flags[sel] = elementary.OPS[fn](f, rep, rm, saturate)
    bits[nan], flags[nan] = f.canonical_nan, np.where(snan[nan], FLAG_NV, 0)
    special = nan | inf | zero | neg
    exact, value = _exact(fn, f, x, s, m)
    exact &= ~special
    rest = ~special & ~exact
    xr = x[rest]
    lo, hi = _enclosure(fn, xr, _float64(fn, xr))
    q0 = f.emin - f.M
    tiny, huge = hi < 2.0 ** (q0 - 2), lo > 2.0 ** (f.emax + 3)
    inside = ~tiny & ~huge & np.isfinite(hi) & (lo > 0)
    A, B = _grid_floor(np.where(inside, lo, 1.0), f.precision)
    ok = tiny | huge | (inside & (hi <= B))
    mid = np.where(tiny, 2.0 ** (q0 - 3), np.where(huge, 2.0 ** (f.emax + 4), (A + B) / 2))
    sign = _sign(fn, s[rest], xr)
    stand_in = np.where(sign == 1, -mid, mid)
    v = np.zeros(a.shape)
    v[exact] = value[exact]
    idx = np.nonzero(rest)[0]
    v[idx[ok]] = stand_in[ok]
    done = exact.copy()
    done[idx[ok]] = True
    bits[done], flags[done] = _round_float64(f, v[done], rm, saturate)
    for i in idx[~ok]:                                        # undecided by float64: MPFR
        bits[i], flags[i] = elementary.OPS[fn](f, int(a[i]), rm, saturate)
    return bits, flags


def _op(name: str):
    def fn(fmt, a, rm: str = "rne", saturate: bool = False):
        return evaluate(name, fmt, a, rm, saturate)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"`evaluate` of {name}: (bits, flags) arrays."
    return fn


# The functions by operation name, in the references' array convention (`fastref.OPS`).
OPS = {name: _op(name) for name in elementary.OPS}
