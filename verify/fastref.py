"""Vectorized IEEE reference for large runs (numpy, formats with up to 24-bit significands).

The same semantics as `spikefp.verify.reference` (which it is tested against, bit for bit,
results and flags), computed on whole arrays: operands are decoded to integer significands
and exponents; sums keep every bit in a 62-bit window with the far operand folded into a
sticky bit below it (the classic guard/sticky argument: the sticky bit sits at least two
places under the rounding position, so rounding sees the same side of every midpoint);
products of up to 24-bit significands are exact in 64 bits; quotients and square roots are
integer ones of at least 29 bits with a sticky bit from the remainder; conversions are a
decode and a rounding. One vectorized rounder then applies the mode, overflow, tininess
after rounding and the flags. Operations: add sub mul fma dot div sqrt convert.

Millions of vectors per second (arrays go through in 65,536-vector slices), against
~150,000 per second for the integer reference in one process; `supported` says which
formats it covers (p <= 24: fp8, fp16, bf16, fp32; integers for conversions).

>>> import numpy as np
>>> from spikefp.generators.fpformat import get_format
>>> y, fl = add(get_format("fp32"), np.array([0x3F800000]), np.array([0x3F7FFFFF]), "rne")
>>> hex(int(y[0])), int(fl[0])
('0x40000000', 1)
"""

from __future__ import annotations

import functools

import numpy as np

from ..generators.fpformat import (FLAG_DZ, FLAG_NV, FLAG_NX, FLAG_OF, FLAG_UF, FPFormat, IntFormat, ROUNDING_MODES,
                                   get_format)

__all__ = ["supported", "add", "sub", "mul", "fma", "dot", "div", "sqrt", "convert", "OPS"]

_I = np.int64
_WINDOW = 60          # the larger term's leading bit is placed here in sums
_CHUNK = 1 << 16      # vectors per pass: the temporaries stay in cache (4-9x faster at 10^6)


def supported(f, target=None, **params) -> bool:
    """Does the vectorized reference cover format ``f`` (and a conversion's ``target``)?
    Floats with p <= 24; conversions between them, to any integer format and from integers
    of up to 32 bits (``supported(unit.fmt, **unit.reference_params)`` for any unit).

    >>> from spikefp.generators.fpformat import get_int_format
    >>> supported(get_format("fp16")), supported(get_format("fp64")), supported(get_int_format("i64"), get_format("fp16"))
    (True, False, False)
    """
    if not isinstance(f, FPFormat):
        return isinstance(target, FPFormat) and target.precision <= 24 and f.width <= 32
    return f.precision <= 24 and (not isinstance(target, FPFormat) or target.precision <= 24)


def _bitlen(x: np.ndarray) -> np.ndarray:
    """Bit length of non-negative int64 values (0 for 0).

    float64's exponent is the bit length, except where the conversion rounded up to the next
    power of two (values within 2^-53 below one): one shift tests for that and takes it back.
    """
    x = x.astype(_I)
    n = np.frexp(x.astype(np.float64))[1].astype(_I)
    return n - (((x >> np.maximum(n - 1, 0)) == 0) & (x > 0))


def _chunked(fn):
    """Run ``fn(f, *operand arrays, rm, **params)`` on slices of `_CHUNK` vectors: the dozens of
    whole-array temporaries of a large run spill out of the caches and fault in fresh pages."""
    @functools.wraps(fn)
    def run(f, *args, **kw):
        args = [a if isinstance(a, str) else np.asarray(a, dtype=np.uint64) for a in args]
        n = len(args[0])
        if n <= _CHUNK:
            return fn(f, *args, **kw)
        parts = [fn(f, *(a if isinstance(a, str) else a[i:i + _CHUNK] for a in args), **kw)
                 for i in range(0, n, _CHUNK)]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    return run


def _decode(f: FPFormat, bits):
    bits = np.asarray(bits, dtype=np.uint64)
    s = (bits >> np.uint64(f.width - 1)).astype(_I)
    e = ((bits >> np.uint64(f.M)) & np.uint64(f.exp_ones)).astype(_I)
    frac = (bits & np.uint64((1 << f.M) - 1)).astype(_I)
    if f.ieee:
        nan = (e == f.exp_ones) & (frac != 0)
        snan = nan & ((frac >> (f.M - 1)) == 0)
        inf = (e == f.exp_ones) & (frac == 0)
    else:
        nan = (e == f.exp_ones) & (frac == (1 << f.M) - 1)
        snan = np.zeros_like(nan)
        inf = np.zeros_like(nan)
    m = np.where(e > 0, frac | (1 << f.M), frac)
    ex = np.maximum(e, 1) - f.bias - f.M
    return s, m, ex, nan, snan, inf


def _shift_right(m, d):
    """(m >> d, any bit shifted out), for d >= 0 (capped: m < 2^62)."""
    d = np.minimum(d, 63)
    kept = m >> d
    return kept, (m - (kept << d)) != 0


def _round_up(rm: str, sign, q, rem, half):
    """Does the truncated quotient q, with remainder rem of a divisor 2 * half, round up (in
    magnitude) in mode rm?"""
    if rm == "rne":
        return (rem > half) | ((rem == half) & ((q & 1) == 1))
    if rm == "rmm":
        return rem >= half
    if rm == "rtz":
        return np.zeros(np.shape(rem), bool)
    return (rem != 0) & (sign == int(rm == "rdn"))


def _round_int(sign, m, shift, rm):
    """Round m / 2^shift (shift may be <= 0) in mode rm: (integer, inexact)."""
    pos = shift > 0
    sh = np.clip(shift, 1, 63)
    q = np.where(pos, m >> sh, m << np.clip(-shift, 0, 63))
    rem = np.where(pos, m - ((m >> sh) << sh), 0)
    half = np.where(pos, np.left_shift(np.ones_like(sh), sh - 1), 1)
    inexact = rem != 0
    up = _round_up(rm, sign, q, rem, half)
    return q + (up & inexact), inexact


def _round(f: FPFormat, sign, m, q0, rm, saturate):
    """Round (-1)^sign * m * 2^q0 (m > 0, m < 2^62) to f: (bits, flags) arrays."""
    p = f.precision
    lead = q0 + _bitlen(m) - 1
    q = np.maximum(lead - (p - 1), f.emin - f.M)
    r, inexact = _round_int(sign, m, q - q0, rm)
    carry = (r >> p) > 0
    r = np.where(carry, r >> 1, r)
    q = np.where(carry, q + 1, q)
    q_unb = lead - (p - 1)
    r_unb, _ = _round_int(sign, m, q_unb - q0, rm)
    tiny = q_unb + _bitlen(r_unb) - 1 < f.emin
    return _encode(f, sign, r, q, inexact, tiny, rm, saturate)


def _encode(f: FPFormat, sign, r, q, inexact, tiny, rm, saturate):
    """Bits and flags of the rounded (-1)^sign * r * 2^q (r < 2^p, normalized whenever
    q > emin - M), overflowing by the mode; ``tiny``: tininess after rounding."""
    max_sig = (f.max_finite & ((1 << f.M) - 1)) | (1 << f.M)
    max_q = (f.max_finite >> f.M) - f.bias - f.M
    # r is normalized (2^(p-1) <= r < 2^p) whenever it could overflow
    over = (q > max_q) | ((q == max_q) & (r > max_sig))
    to_inf = np.full(sign.shape, rm in ("rne", "rmm")) | ((sign == 1) & (rm == "rdn")) | ((sign == 0) & (rm == "rup"))
    if saturate:
        to_inf[:] = False
    sbit = sign << (f.width - 1)
    normal = (r >> f.M) > 0
    enc = np.where(normal, ((q + f.M + f.bias) << f.M) | (r & ((1 << f.M) - 1)), r)
    inf_val = (sbit | f.inf) if f.ieee else np.full(sign.shape, f.canonical_nan)
    y = np.where(over, np.where(to_inf, inf_val, sbit | f.max_finite), sbit | enc)
    flags = np.where(over, FLAG_OF | FLAG_NX,
                     np.where(inexact, FLAG_NX | np.where(tiny, FLAG_UF, 0), 0))
    return y, flags


def _finish(f, n, y, flags, nan, nv):
    y = np.where(nan, f.canonical_nan, y)
    flags = np.where(nan, np.where(nv, FLAG_NV, 0), flags)
    return y.astype(np.uint64), flags.astype(np.uint64)


def _sum(f, s1, m1, e1, s2, m2, e2, rm, saturate):
    """Correctly rounded (-1)^s1 m1 2^e1 + (-1)^s2 m2 2^e2 (finite), with IEEE zero signs."""
    l1 = np.where(m1 > 0, e1 + _bitlen(m1), -(1 << 40))
    l2 = np.where(m2 > 0, e2 + _bitlen(m2), -(1 << 40))
    first = l1 >= l2                                    # the term with the higher leading bit
    bs, bm, be = np.where(first, s1, s2), np.where(first, m1, m2), np.where(first, e1, e2)
    ss, sm, se = np.where(first, s2, s1), np.where(first, m2, m1), np.where(first, e2, e1)
    top = np.where(bm > 0, _WINDOW - _bitlen(bm), 0)   # left shift putting bm's lead at bit 60
    base = be - top                                    # exponent of bit 0 of the window
    big = bm << top
    d = base - se                                      # small is shifted right by d
    aligned, lost = _shift_right(sm, np.maximum(d, 0))
    aligned = np.where(d < 0, sm << np.clip(-d, 0, 62), aligned)
    small = np.where(sm > 0, (aligned << 1) | lost, 0)  # one more bit for the sticky
    big = big << 1
    base = base - 1
    v = np.where(bs == ss, big + small, big - small)
    sign = np.where(v < 0, 1 - bs, bs)
    zero = v == 0
    y, flags = _round(f, sign, np.where(zero, 1, np.abs(v)), base, rm, saturate)
    zsign = np.where(s1 == s2, s1, int(rm == "rdn"))
    y = np.where(zero, zsign << (f.width - 1), y)
    flags = np.where(zero, 0, flags)
    return y, flags


@_chunked
def add(f, a, b, rm: str, saturate: bool = False, negate_b: bool = False):
    f = get_format(f)
    _check(f, rm)
    s1, m1, e1, n1, sn1, i1 = _decode(f, a)
    s2, m2, e2, n2, sn2, i2 = _decode(f, b)
    if negate_b:
        s2 = 1 - s2
    y, flags = _sum(f, s1, m1, e1, s2, m2, e2, rm, saturate)
    inf_inf = i1 & i2 & (s1 != s2)
    inf_res = (i1 | i2) & ~inf_inf
    inf_sign = np.where(i1, s1, s2)
    y = np.where(inf_res, (inf_sign << (f.width - 1)) | (f.inf or 0), y)
    flags = np.where(inf_res, 0, flags)
    return _finish(f, len(y), y, flags, n1 | n2 | inf_inf, sn1 | sn2 | inf_inf)


@_chunked
def sub(f, a, b, rm: str, saturate: bool = False):
    return add(f, a, b, rm, saturate, negate_b=True)


@_chunked
def mul(f, a, b, rm: str, saturate: bool = False):
    f = get_format(f)
    _check(f, rm)
    s1, m1, e1, n1, sn1, i1 = _decode(f, a)
    s2, m2, e2, n2, sn2, i2 = _decode(f, b)
    sign = s1 ^ s2
    prod = m1 * m2
    zero = prod == 0
    y, flags = _round(f, sign, np.where(zero, 1, prod), e1 + e2, rm, saturate)
    y = np.where(zero, sign << (f.width - 1), y)
    flags = np.where(zero, 0, flags)
    inf_zero = (i1 & (m2 == 0) & ~n2 & ~i2) | (i2 & (m1 == 0) & ~n1 & ~i1)
    inf_res = (i1 | i2) & ~inf_zero
    y = np.where(inf_res, (sign << (f.width - 1)) | (f.inf or 0), y)
    flags = np.where(inf_res, 0, flags)
    return _finish(f, len(y), y, flags, n1 | n2 | inf_zero, sn1 | sn2 | inf_zero)


@_chunked
def fma(f, a, b, c, rm: str, saturate: bool = False):
    f = get_format(f)
    _check(f, rm)
    s1, m1, e1, n1, sn1, i1 = _decode(f, a)
    s2, m2, e2, n2, sn2, i2 = _decode(f, b)
    s3, m3, e3, n3, sn3, i3 = _decode(f, c)
    ps = s1 ^ s2
    y, flags = _sum(f, ps, m1 * m2, e1 + e2, s3, m3, e3, rm, saturate)
    fin1, fin2 = ~n1 & ~i1, ~n2 & ~i2
    inf_zero = (i1 & fin2 & (m2 == 0)) | (i2 & fin1 & (m1 == 0))
    prod_inf = (i1 | i2) & ~n1 & ~n2 & ~inf_zero
    inf_diff = prod_inf & i3 & (ps != s3)
    inf_res = (prod_inf | i3) & ~inf_diff
    inf_sign = np.where(prod_inf, ps, s3)
    y = np.where(inf_res, (inf_sign << (f.width - 1)) | (f.inf or 0), y)
    flags = np.where(inf_res, 0, flags)
    nan = n1 | n2 | n3 | inf_zero | inf_diff
    return _finish(f, len(y), y, flags, nan, sn1 | sn2 | sn3 | inf_zero | inf_diff)


def _infinite(f, sign, saturate):
    """An exact infinite result (x/0): E4M3, which has none, gives NaN, or with ``saturate``
    the signed largest finite number (`spikefp.verify.reference` semantics)."""
    sbit = sign << (f.width - 1)
    if f.ieee:
        return sbit | f.inf
    return sbit | f.max_finite if saturate else np.full(sign.shape, f.canonical_nan)


@_chunked
def div(f, a, b, rm: str, saturate: bool = False):
    """IEEE division on arrays. The dividend's significand is shifted to 60 bits, so the
    integer quotient has at least 36 bits (p + 12 for p <= 24) and the remainder's sticky bit
    sits far below the rounding position; the quotient stays below 2^61 with the sticky appended.

    >>> y, fl = div(get_format("fp16"), np.array([0x3C00, 0x3C00]), np.array([0x4200, 0x0000]), "rne")
    >>> [hex(int(v)) for v in y], [int(v) for v in fl]          # 1/3 (NX), 1/0 (DZ)
    (['0x3555', '0x7c00'], [1, 8])
    """
    f = get_format(f)
    _check(f, rm)
    s1, m1, e1, n1, sn1, i1 = _decode(f, a)
    s2, m2, e2, n2, sn2, i2 = _decode(f, b)
    sign = s1 ^ s2
    z1, z2 = (m1 == 0) & ~i1 & ~n1, (m2 == 0) & ~i2 & ~n2
    top = np.where(m1 > 0, 60 - _bitlen(m1), 0)
    den = np.where(m2 > 0, m2, 1)
    q, r = np.divmod(m1 << top, den)
    zero = q == 0
    y, flags = _round(f, sign, np.where(zero, 1, (q << 1) | (r != 0)), e1 - e2 - top - 1, rm, saturate)
    sbit = sign << (f.width - 1)
    y = np.where(zero | i2, sbit, y)                  # 0/x and x/inf: exact signed zero
    flags = np.where(zero | i2, 0, flags)
    dz = z2 & ~z1 & ~i1 & ~n1
    y = np.where(dz, _infinite(f, sign, saturate), y)
    y = np.where(i1, sbit | (f.inf or 0), y)
    flags = np.where(dz, FLAG_DZ, np.where(i1, 0, flags))
    invalid = (i1 & i2) | (z1 & z2)
    return _finish(f, len(y), y, flags, n1 | n2 | invalid, sn1 | sn2 | invalid)


@_chunked
def sqrt(f, a, rm: str, saturate: bool = False):
    """IEEE square root on arrays: sqrt(-0) = -0, negative operands NV.

    >>> y, fl = sqrt(get_format("fp16"), np.array([0x4000, 0x4400, 0x8000, 0xBC00]), "rne")
    >>> [hex(int(v)) for v in y], [int(v) for v in fl]          # sqrt 2, sqrt 4, sqrt -0, sqrt -1
    (['0x3da8', '0x4000', '0x8000', '0x7e00'], [1, 0, 0, 16])
    """
    f = get_format(f)
    _check(f, rm)
    s, m, e, nan, snan, inf = _decode(f, a)
    odd = (e & 1) == 1
    m, e = np.where(odd, m << 1, m), np.where(odd, e - 1, e)
    sh = 2 * ((60 - _bitlen(m)) // 2)                 # even shift: big < 2^60, root >= 29 bits
    big = m << sh
    # numpy has no integer square root on arrays: float64's sqrt of big (rounded to 53 bits,
    # then a correctly rounded sqrt) is within 2^-20 of the true root below 2^30, so its floor
    # is the integer root or one off; exact integer checks (r^2 < 2^61: no overflow) fix that.
    r = np.floor(np.sqrt(big.astype(np.float64))).astype(_I)
    r = np.where(r * r > big, r - 1, r)
    r = np.where((r + 1) * (r + 1) <= big, r + 1, r)
    zero = m == 0
    y, flags = _round(f, np.zeros_like(s), np.where(zero, 1, (r << 1) | (r * r != big)), (e - sh) // 2 - 1,
                      rm, saturate)
    keep = zero | (inf & (s == 0))                    # +-0 and +inf are their own roots
    bits = np.asarray(a, dtype=np.uint64).astype(_I)
    y = np.where(keep, bits, y)
    flags = np.where(keep, 0, flags)
    invalid = (s == 1) & ~zero & ~nan
    return _finish(f, len(y), y, flags, nan | invalid, snan | invalid)


def _to_int(dst: IntFormat, s, m, ex, nan, inf, rm):
    """Round the decoded floats to the integer format ``dst``, RISC-V fcvt style: NaN and
    out-of-range values (judged after rounding) saturate with NV and no NX."""
    u = np.uint64
    mask = u((1 << dst.width) - 1)
    small, inexact = _round_int(s, m, np.maximum(-ex, 0), rm)       # exponent <= 0: below 2^24
    pos = ex > 0                                                   # exact integers, maybe >= 2^63
    fits = pos & (ex + _bitlen(m) <= 64)
    mag = np.where(fits, m.astype(u) << np.clip(ex, 0, 63).astype(u), small.astype(u))
    limit = np.where(s == 1, u(-dst.min), u(dst.max))
    out = (pos & ~fits) | (mag > limit) | inf | nan
    val = np.where(s == 1, (u(0) - mag) & mask, mag)
    sat = np.where((s == 1) & ~nan, u(dst.bits(dst.min)), u(dst.bits(dst.max)))
    y = np.where(out, sat, val)
    flags = np.where(out, FLAG_NV, np.where(inexact & ~pos, FLAG_NX, 0))
    return y.astype(u), flags.astype(u)


@_chunked
def convert(src, a, rm: str, *, target, saturate: bool = False):
    """Convert the arrays ``a`` from ``src`` to ``target`` (floats of p <= 24, integers; see
    `supported`), with `spikefp.verify.reference.convert`'s semantics: one rounding, NV and
    the canonical NaN (or the saturated integer) for invalid cases.

    >>> from spikefp.generators.fpformat import get_int_format
    >>> y, fl = convert(get_format("fp32"), np.array([0x4F000000, 0x3FC00000]), "rne", target=get_int_format("i32"))
    >>> [hex(int(v)) for v in y], [int(v) for v in fl]           # 2^31 (NV), 1.5 (NX)
    (['0x7fffffff', '0x2'], [16, 1])
    """
    if not supported(src, target):
        raise ValueError(f"the vectorized reference does not convert {src.name} to {target.name}")
    if rm not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {rm!r}")
    if not isinstance(src, FPFormat):
        bits = np.asarray(a, dtype=np.uint64).astype(_I)
        v = np.where(((bits >> (src.width - 1)) & int(src.signed)) == 1, bits - (1 << src.width), bits)
        s, m = (v < 0).astype(_I), np.abs(v)
        y, flags = _round(target, s, np.where(m == 0, 1, m), np.zeros_like(m), rm, saturate)
        zero = m == 0                                              # an integer zero is +0
        return np.where(zero, 0, y).astype(np.uint64), np.where(zero, 0, flags).astype(np.uint64)
    s, m, ex, nan, snan, inf = _decode(src, a)
    if not isinstance(target, FPFormat):
        return _to_int(target, s, m, ex, nan, inf, rm)
    zero = m == 0
    y, flags = _round(target, s, np.where(zero, 1, m), ex, rm, saturate)
    sbit = s << (target.width - 1)
    y = np.where(zero, sbit, y)
    flags = np.where(zero, 0, flags)
    if target.ieee:
        y = np.where(inf, sbit | target.inf, y)
        flags = np.where(inf, 0, flags)
    else:                                                          # E4M3 has no infinity: invalid
        y = np.where(inf, sbit | target.max_finite if saturate else target.canonical_nan, y)
        flags = np.where(inf, FLAG_NV, flags)
    return _finish(target, len(y), y, flags, nan, snan)


_BITLEN = np.frompyfunc(int.bit_length, 1, 1)


def dot(f, *args, rm: str | None = None, n: int = 4, saturate: bool = False):
    """Fused ``c + sum(a_i * b_i)``, one rounding, on arrays: ``dot(f, a0..a(n-1), b0..b(n-1), c,
    rm, n=n)``. The exact sum is held in Python integers (numpy object arrays, every term
    scaled to the products' smallest quantum), then its top 60 bits and a sticky bit go
    through the vectorized rounder.

    >>> y, fl = dot(get_format("fp16"), np.array([0x3C00]), np.array([0x3C00]), np.array([0x7BFF]),
    ...             np.array([0xFBFF]), np.array([0x0001]), "rne", n=2)          # max - max + min_sub
    >>> hex(int(y[0])), int(fl[0])
    ('0x1', 0)
    """
    f = get_format(f)
    if rm is None:
        *args, rm = args
    if len(args) != 2 * n + 1:
        raise ValueError(f"dot with n={n} takes {2 * n + 1} operands, got {len(args)}")
    _check(f, rm)
    dec = [_decode(f, x) for x in args]
    q0 = 2 * (f.emin - f.M)                              # the smallest product quantum
    terms = [(s1 ^ s2, m1 * m2, e1 + e2) for (s1, m1, e1, *_), (s2, m2, e2, *_) in zip(dec[:n], dec[n:2 * n])]
    terms.append(dec[2 * n][:3])
    total = np.zeros(len(terms[0][1]), dtype=object)
    for s, m, e in terms:
        total = total + (m * (1 - 2 * s)).astype(object) * (np.ones(len(m), dtype=object) << (e - q0).astype(object))
    sign = (total < 0).astype(_I)
    mag = np.abs(total)
    cut = np.maximum(_BITLEN(mag).astype(_I) - 60, 0)
    cut_o = cut.astype(object)
    top = (mag >> cut_o).astype(_I)
    sticky = ((mag - ((mag >> cut_o) << cut_o)) != 0).astype(_I)
    zero = top == 0
    y, flags = _round(f, sign, np.where(zero, 1, (top << 1) | sticky), q0 + cut - 1, rm, saturate)
    # exact zero: -0 when every term is -0, +0 when every one is +0, else -0 only in rdn
    zs = [(m == 0, s) for s, m, _ in terms]
    all_neg = np.logical_and.reduce([z & (s == 1) for z, s in zs])
    all_pos = np.logical_and.reduce([z & (s == 0) for z, s in zs])
    zsign = np.where(all_neg, 1, np.where(all_pos, 0, int(rm == "rdn")))
    y = np.where(zero, zsign << (f.width - 1), y)
    flags = np.where(zero, 0, flags)
    nans = [d[3] for d in dec]
    infs = [d[5] for d in dec]
    any_nan = np.logical_or.reduce(nans)
    fin = [~x & ~i for x, i in zip(nans, infs)]
    mags = [d[1] for d in dec]
    inf_zero = np.logical_or.reduce([(infs[i] & fin[n + i] & (mags[n + i] == 0)) | (infs[n + i] & fin[i] & (mags[i] == 0))
                                     for i in range(n)])
    t_inf = [infs[i] | infs[n + i] for i in range(n)] + [infs[2 * n]]
    pos_inf = np.logical_or.reduce([t & (s == 0) for t, (s, _, _) in zip(t_inf, terms)])
    neg_inf = np.logical_or.reduce([t & (s == 1) for t, (s, _, _) in zip(t_inf, terms)])
    inf_diff = pos_inf & neg_inf & ~any_nan
    inf_res = (pos_inf | neg_inf) & ~inf_diff
    y = np.where(inf_res, (neg_inf.astype(_I) << (f.width - 1)) | (f.inf or 0), y)
    flags = np.where(inf_res, 0, flags)
    snan = np.logical_or.reduce([d[4] for d in dec])
    return _finish(f, len(y), y, flags, any_nan | inf_zero | inf_diff, snan | inf_zero | inf_diff)


def _check(f: FPFormat, rm: str) -> None:
    if not supported(f):
        raise ValueError(f"the vectorized reference covers significands up to 24 bits, not {f.name}")
    if rm not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {rm!r}")


# The operations covered, by their registry reference names, in the references' convention
# ``fn(fmt, *operand arrays, rm, **params) -> (bits, flags)`` (`spikefp.verify.reference.OPS`).
OPS = {"add": add, "sub": sub, "mul": mul, "fma": fma, "dot": dot, "div": div, "sqrt": sqrt,
       "convert": convert}
