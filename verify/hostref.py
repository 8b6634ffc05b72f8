"""IEEE reference on the host's float64 unit, for exhaustive campaigns (+ - x / sqrt, p <= 24; to fp64).

The machine computes in binary64 (numpy); the result is then rounded to the target format with
integer operations in any of the five modes, with flags. Why that is exact for p <= 24:

* products of two p-bit significands have at most 2p <= 48 bits: float64 holds them exactly;
* a sum is rounded once by the hardware, and TwoSum (Knuth: six more float64 operations,
  exact without overflow) gives the error e with value = s + e exactly; the rounder sees s
  nudged a quarter float64-ulp towards e, which lies in the same open interval between
  float64 neighbours as the true value, and every boundary of the target (its numbers and
  midpoints) is a float64 number, so both round alike in every mode;
* a quotient or square root that is not itself a p-bit number is no dyadic number at all,
  and stays at least ~2^-(2p+3) (relative) away from every p-bit number and midpoint
  (|a - g*b| and |a - g^2| are nonzero multiples of the operands' last places), far more
  than float64's 2^-53 rounding error for p <= 24: the hardware's correctly rounded result
  lies on the same side of every boundary as the true one and on none of them, so rounding
  it gives the true result in every mode, and it is inexact exactly when the true one is.

The operands' range must keep every exact product, quotient and root a normal float64
(`supported`). Special values (NaN, infinities, zeros, x/0) follow `spikefp.verify.reference`;
the encoding and overflow are `spikefp.verify.fastref`'s. Tested bit for bit against fastref
and the integer reference (every fp8 pair, millions of 16-bit and fp32 vectors per mode).

>>> import numpy as np
>>> y, fl = div(get_format("fp16"), np.array([0x3C00, 0x3C00]), np.array([0x4200, 0x0000]), "rup")
>>> [hex(int(v)) for v in y], [int(v) for v in fl]          # 1/3 rounded up (NX), 1/0 (DZ)
(['0x3556', '0x7c00'], [1, 8])
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from ..generators.fpformat import FLAG_DZ, FLAG_NV, FPFormat, ROUNDING_MODES, get_format
from .fastref import _chunked, _decode, _encode, _infinite, _round_up

__all__ = ["supported", "add", "sub", "mul", "div", "sqrt", "convert", "OPS"]

_I = np.int64
_F64_MANT = (1 << 52) - 1
_FP64 = get_format("fp64")
TABLE_WIDTH = 16          # formats up to this width decode and round by table lookup


def supported(f, target=None, **params) -> bool:
    """Formats whose + - x / sqrt this reference computes exactly: p <= 24 and an exponent
    range whose products, quotients and roots are normal float64 numbers (fp8, fp16, bf16, fp32);
    conversions from them to fp64 (exact: the float64 value itself).

    >>> supported(get_format("bf16")), supported(get_format("fp64"))
    (True, False)
    """
    if not isinstance(f, FPFormat) or (target is not None and target != _FP64):
        return False
    low, high = f.emin - f.M, f.emax + 1            # |x| in [2^low, 2^high) for finite nonzero x
    return f.precision <= 24 and high - low < 480 and -low < 480 and high < 480


def _decode_values(f: FPFormat, bits):
    """The operands as float64 (exact), with their NaN and signalling-NaN masks."""
    s, m, ex, nan, snan, inf = _decode(f, bits)
    x = np.ldexp(m.astype(np.float64), ex.astype(np.int32))
    x = np.where(inf, np.inf, np.where(nan, np.nan, x))
    return np.where(s == 1, -x, x), nan, snan


@functools.lru_cache(maxsize=None)
def _value_table(f: FPFormat):
    x, _, snan = _decode_values(f, np.arange(1 << f.width, dtype=np.uint64))
    return x, snan


def _values(f: FPFormat, bits):
    """`_decode_values`, by table lookup for formats of at most 16 bits."""
    if f.width > TABLE_WIDTH:
        return _decode_values(f, bits)
    table, snan = _value_table(f)
    i = bits.astype(np.intp)
    x = table[i]
    return x, np.isnan(x), snan[i]


def _round(f: FPFormat, v, nudge, rm: str, saturate: bool):
    """Round the float64 values ``v`` (finite, nonzero, normal), moved a quarter of their last
    place by ``nudge`` (-1, 0, +1: the sign of the exact value's error), to ``f``: (bits, flags)."""
    bits = v.view(_I)
    sign = (bits >> 63) & 1
    E = (bits >> 52) & 0x7FF
    m = (((bits & _F64_MANT) | (1 << 52)) << 2) + np.where(sign == 1, -nudge, nudge)
    below = m < (1 << 54)                        # a power of two nudged down: one bit shorter
    lead = E - 1023 - below                      # exponent of the leading bit
    q0 = E - 1077                                # exponent of m's last bit
    p = f.precision
    q = np.maximum(lead - (p - 1), f.emin - f.M)
    r, inexact = _round_bits(sign, m, np.minimum(q - q0, 62), rm)
    carry = (r >> p) > 0
    r = np.where(carry, r >> 1, r)
    q = q + carry
    # tininess after rounding: below 2^emin even when rounded to p bits with an unbounded exponent
    r_unb, _ = _round_bits(sign, m, 55 - p - below, rm)
    tiny = (lead < f.emin) & ~((lead == f.emin - 1) & ((r_unb >> p) > 0))
    return _encode(f, sign, r, q, inexact, tiny, rm, saturate)


def _round_bits(sign, m, sh, rm: str):
    """Round m / 2^sh (1 <= sh <= 62) to an integer in mode rm: (integer, inexact)."""
    q = m >> sh
    rem = m - (q << sh)
    half = np.left_shift(1, sh - 1)
    return q + _round_up(rm, sign, q, rem, half), rem != 0


def _rounded_computed(f: FPFormat, v, nudge, rm: str, saturate: bool):
    """Every float64 result ``v`` (zeros, infinities and NaN too) as ``f``'s bits and flags."""
    finite = np.isfinite(v) & (v != 0)
    y, flags = _round(f, np.where(finite, v, 1.0), np.where(finite, nudge, 0), rm, saturate)
    sign = np.signbit(v).astype(_I)
    y = np.where(v == 0, sign << (f.width - 1), np.where(np.isinf(v), _infinite(f, sign, saturate), y))
    y = np.where(np.isnan(v), f.canonical_nan, y)
    return y, np.where(finite, flags, 0)


class _Table(NamedTuple):
    """Every rounding of float64 values to a format of at most 16 bits in one mode, indexed by
    the value's sign, exponent (clamped to the range where it matters) and top M + 1 significand
    bits with a sticky bit below them; built by `_rounded_computed` on one representative each."""
    prefix: np.ndarray      # (sign, float64 exponent) -> the index's top part
    entries: np.ndarray     # index -> flags << 32 | bits
    K: int                  # significand bits in the index (M and the round bit)


@functools.lru_cache(maxsize=None)
def _table(f: FPFormat, rm: str, saturate: bool) -> _Table:
    K = f.M + 1
    lo = 1023 + f.emin - f.M - 2          # at and below: under half the smallest subnormal
    hi = 1023 + f.emax + 1                # at and above: overflow in every mode
    slots = hi - lo + 3                   # zero, lo..hi, infinity/NaN
    sb = (slots - 1).bit_length()
    E = np.arange(2048)
    slot = np.where(E == 0, 0, np.where(E == 2047, slots - 1, np.clip(E, lo, hi) - lo + 1))
    prefix = np.concatenate([slot, slot | (1 << sb)]).astype(_I) << (K + 1)
    idx = np.arange(1 << (sb + K + 2), dtype=_I)
    sign, sl, top, sticky = idx >> (sb + K + 1), (idx >> (K + 1)) & ((1 << sb) - 1), (idx >> 1) & ((1 << K) - 1), idx & 1
    sl = np.minimum(sl, slots - 1)        # past the last slot: never indexed
    Ev = np.where(sl == 0, 0, np.where(sl == slots - 1, 2047, sl - 1 + lo))
    bits = (sign << 63) | (Ev << 52) | (top << (52 - K)) | np.where(Ev == 0, 0, sticky)
    y, flags = _rounded_computed(f, bits.view(np.float64), 0, rm, saturate)
    return _Table(prefix, (flags << 32) | y, K)


def _rounded(f: FPFormat, v, nudge, rm: str, saturate: bool):
    """`_rounded_computed`, by table lookup for formats of at most 16 bits. ``nudge`` (-1, 0, +1
    or an array of them; 0 where v is zero, infinite or NaN) moves the value a fraction of its
    last float64 place."""
    if f.width > TABLE_WIDTH:
        return _rounded_computed(f, v, nudge, rm, saturate)
    t = _table(f, rm, bool(saturate))
    bits = v.view(_I)
    low = bits & ((1 << (52 - t.K)) - 1)
    sticky = low != 0
    if not np.isscalar(nudge):
        # the exact value lies a little above or below v: set the sticky bit, and when the bits
        # below the index are all zero and it lies below (in magnitude), take one from the top part
        down = (nudge != 0) & (np.signbit(v) == (nudge > 0))
        bits = bits - ((down & ~sticky).astype(_I) << (52 - t.K))
        sticky = sticky | (nudge != 0)
    e = t.entries[t.prefix[(bits >> 52) & 0xFFF] | ((bits >> (51 - t.K)) & (((1 << t.K) - 1) << 1)) | sticky]
    return e & 0xFFFFFFFF, e >> 32


def _done(y, flags, nv):
    """Bits and flags as uint64, with NV where ``nv`` (the result is then the canonical NaN)."""
    return y.astype(np.uint64), np.where(nv, FLAG_NV, flags).astype(np.uint64)


def _check(f, rm: str) -> FPFormat:
    f = get_format(f)
    if not supported(f):
        raise ValueError(f"the float64 reference covers p <= 24 and exponents within float64's, not {f.name}")
    if rm not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {rm!r}")
    return f


def _exact_sums(f: FPFormat) -> bool:
    """Is every sum of two finite values of ``f`` exact in float64 (fp8, fp16: no TwoSum needed)?"""
    return (f.emax + 1) - (f.emin - f.M) + 1 <= 53


@_chunked
def add(f, a, b, rm: str, saturate: bool = False, negate_b: bool = False):
    """IEEE a + b: x + (-x) is +0, -0 in rdn.

    >>> y, fl = add(get_format("bf16"), np.array([0x3F80]), np.array([0x0001]), "rup")
    >>> hex(int(y[0])), int(fl[0])                      # 1 + 2^-133 rounds up (NX)
    ('0x3f81', 1)
    """
    f = _check(f, rm)
    x, n1, sn1 = _values(f, a)
    z, n2, sn2 = _values(f, b)
    if negate_b:
        z = -z
    with np.errstate(invalid="ignore"):
        s = x + z
        if _exact_sums(f):
            nudge = 0
        else:
            bb = s - x                                   # TwoSum: s + e == x + z exactly
            e = (x - (s - bb)) + (z - bb)
            nudge = np.sign(np.where(np.isfinite(s), e, 0)).astype(_I)
    y, flags = _rounded(f, s, nudge, rm, saturate)
    if rm == "rdn":                                      # the hardware's x + (-x) is +0
        y = np.where((s == 0) & (np.signbit(x) != np.signbit(z)), 1 << (f.width - 1), y)
    return _done(y, flags, sn1 | sn2 | (np.isnan(s) & ~n1 & ~n2))     # sNaN, inf - inf


@_chunked
def sub(f, a, b, rm: str, saturate: bool = False):
    return add(f, a, b, rm, saturate=saturate, negate_b=True)


@_chunked
def mul(f, a, b, rm: str, saturate: bool = False):
    """IEEE a x b (the float64 product is exact).

    >>> y, fl = mul(get_format("fp16"), np.array([0x0001]), np.array([0x3800]), "rne")
    >>> hex(int(y[0])), int(fl[0])                      # 2^-24 / 2 ties to even 0 (UF NX)
    ('0x0', 3)
    """
    f = _check(f, rm)
    x, n1, sn1 = _values(f, a)
    z, n2, sn2 = _values(f, b)
    with np.errstate(invalid="ignore"):
        s = x * z
    y, flags = _rounded(f, s, 0, rm, saturate)
    return _done(y, flags, sn1 | sn2 | (np.isnan(s) & ~n1 & ~n2))     # sNaN, inf x 0


@_chunked
def div(f, a, b, rm: str, saturate: bool = False):
    f = _check(f, rm)
    x, n1, sn1 = _values(f, a)
    z, n2, sn2 = _values(f, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = x / z
    y, flags = _rounded(f, s, 0, rm, saturate)
    flags = np.where((z == 0) & np.isfinite(x) & (x != 0), FLAG_DZ, flags)
    return _done(y, flags, sn1 | sn2 | (np.isnan(s) & ~n1 & ~n2))     # sNaN, 0/0, inf/inf


@_chunked
def sqrt(f, a, rm: str, saturate: bool = False):
    """IEEE square root: sqrt(-0) = -0, negative operands NV.

    >>> y, fl = sqrt(get_format("fp32"), np.array([0x40000000, 0x40800000]), "rtz")
    >>> [hex(int(v)) for v in y], [int(v) for v in fl]   # sqrt 2 (NX), sqrt 4
    (['0x3fb504f3', '0x40000000'], [1, 0])
    """
    f = _check(f, rm)
    x, n, sn = _values(f, a)
    with np.errstate(invalid="ignore"):
        s = np.sqrt(x)
    y, flags = _rounded(f, s, 0, rm, saturate)
    return _done(y, flags, sn | (np.isnan(s) & ~n))     # sNaN, x < 0


@_chunked
def convert(src, a, rm: str, *, target, saturate: bool = False):
    """Conversion to fp64, always exact: the operand's float64 value (NaN: fp64's canonical
    NaN, NV for a signalling one; E4M3's NaN too).

    >>> y, fl = convert(get_format("bf16"), np.array([0x3F81, 0x7F81]), "rne", target=get_format("fp64"))
    >>> [hex(int(v)) for v in y], [int(v) for v in fl]      # 1 + 2^-7, sNaN (NV)
    (['0x3ff0200000000000', '0x7ff8000000000000'], [0, 16])
    """
    src = _check(src, rm)
    if target != _FP64:
        raise ValueError(f"the float64 reference converts to fp64 only, not to {target.name}")
    x, n, sn = _values(src, a)
    y = np.where(n, target.canonical_nan, x.view(np.uint64))
    return y.astype(np.uint64), np.where(sn, FLAG_NV, 0).astype(np.uint64)


# By the registry's reference names, in the references' array convention (`fastref.OPS`).
OPS = {"add": add, "sub": sub, "mul": mul, "div": div, "sqrt": sqrt, "convert": convert}
