"""Second, independent IEEE reference: MPFR (through gmpy2) with subnormal emulation.

It shares nothing with `spikefp.verify.reference` but the format description: operands are
converted exactly, the operation is rounded by MPFR in a context of the format's precision
and exponent range (``subnormalize=True``), and flags come from MPFR's own. MPFR has no
round-to-nearest-ties-away mode, so ``rmm`` takes the away-from-zero result exactly at ties
(detected with exact arithmetic) and the nearest-even result otherwise. Tininess is judged
after rounding, from a second rounding with an unbounded exponent range.

>>> from spikefp.generators.fpformat import get_format
>>> [hex(x) for x in add(get_format("fp16"), 0x3c00, 0x0001, "rup")]
['0x3c01', '0x1']
"""

from __future__ import annotations

import operator

import gmpy2

from ..generators.fpformat import FLAG_DZ, FLAG_NV, FLAG_NX, FLAG_OF, FLAG_UF, FPFormat, get_format

__all__ = ["add", "sub", "mul", "fma", "dot", "div", "sqrt", "convert", "OPS"]

_MODES = {"rne": gmpy2.RoundToNearest, "rtz": gmpy2.RoundToZero, "rdn": gmpy2.RoundDown,
          "rup": gmpy2.RoundUp, "rmm": gmpy2.RoundAwayZero}


def _exact_ctx(f: FPFormat):
    # Enough bits for any exact sum of two products of this format's values.
    bits = 4 * f.precision + (2 << f.E) + 8
    return gmpy2.context(precision=bits, emin=-(1 << 20), emax=1 << 20)


def _value(f: FPFormat, bits: int, ctx):
    """The operand as an exact mpfr, or the strings "nan"/"snan"."""
    s, e, frac = bits >> (f.width - 1), (bits >> f.M) & f.exp_ones, bits & ((1 << f.M) - 1)
    if e == f.exp_ones and (frac == (1 << f.M) - 1 if not f.ieee else frac != 0):
        return "snan" if f.ieee and not frac >> (f.M - 1) else "nan"
    if f.ieee and e == f.exp_ones:
        return ctx.minus(gmpy2.inf()) if s else gmpy2.inf()
    m = frac if e == 0 else frac | (1 << f.M)
    x = ctx.mul_2exp(gmpy2.mpfr(m, ctx.precision), max(e, 1) - f.bias - f.M)
    return ctx.minus(x) if s else x


def _encode(f: FPFormat, x) -> int:
    """Bits of an mpfr that is representable in ``f`` (or infinite)."""
    sign = int(gmpy2.is_signed(x))
    if gmpy2.is_infinite(x):
        return (sign << (f.width - 1)) | f.inf
    if x == 0:
        return sign << (f.width - 1)
    m, e = (int(v) for v in abs(x).as_mantissa_exp())
    while m % 2 == 0:
        m, e = m // 2, e + 1
    q0 = f.emin - f.M                           # quantum of subnormals
    if e - q0 < 0:
        raise AssertionError("value below the format's quantum")
    m <<= e - q0
    e = q0
    while m >> f.precision:                     # normalize to p bits
        assert m % 2 == 0
        m, e = m >> 1, e + 1
    if m >> f.M:
        return (sign << (f.width - 1)) | ((e + f.M + f.bias) << f.M) | (m & ((1 << f.M) - 1))
    return (sign << (f.width - 1)) | m


def _round(f: FPFormat, compute, rm: str, saturate: bool):
    """Round ``compute(ctx)`` (an exact mpfr expression evaluated by MPFR) to ``f``."""
    ex = _exact_ctx(f)
    exact = compute(ex)
    if exact == 0:
        return None
    emax = f.emax + 1 if f.ieee else f.emax + 2          # E4M3: overflow judged below, at 448
    target = gmpy2.context(precision=f.precision, emin=f.emin - f.M + 1, emax=emax, subnormalize=True)
    unbounded = gmpy2.context(precision=f.precision, emin=-(1 << 20), emax=1 << 20)

    def rounded(ctx, mode):
        ctx.round = _MODES[mode]
        ctx.clear_flags()
        return compute(ctx), ctx

    def pick(ctx):
        if rm != "rmm":
            return rounded(ctx, rm)
        away, c = rounded(ctx, "rmm")
        toz, _ = rounded(ctx, "rtz")
        tie = away != toz and ex.mul_2exp(exact, 1) == ex.add(away, toz)
        return (away, c) if tie else rounded(ctx, "rne")

    y, ctx = pick(target)
    inexact, overflow = bool(ctx.inexact), bool(ctx.overflow)
    y_unb, _ = pick(unbounded)
    tiny = abs(y_unb) < gmpy2.mpfr(2) ** f.emin
    max_val = _value(f, f.max_finite, ex)
    if not f.ieee and abs(y) > max_val:
        overflow = True
    sign = int(gmpy2.is_signed(exact))
    if overflow:
        to_inf = rm in ("rne", "rmm") or (rm == "rdn" and sign) or (rm == "rup" and not sign)
        flags = FLAG_OF | FLAG_NX
        if saturate or not to_inf:
            return (sign << (f.width - 1)) | f.max_finite, flags
        return (f.canonical_nan if not f.ieee else (sign << (f.width - 1)) | f.inf), flags
    flags = (FLAG_NX | (FLAG_UF if tiny else 0)) if inexact else 0
    return _encode(f, y), flags


def _specials(f, vals, inf_times_zero=False):
    """NaN results: (canonical NaN, NV if a signaling NaN or an invalid product)."""
    if any(isinstance(v, str) for v in vals) or inf_times_zero:
        return f.canonical_nan, FLAG_NV if inf_times_zero or "snan" in vals else 0
    return None


def add(f, a: int, b: int, rm: str, saturate: bool = False):
    f = get_format(f)
    ex = _exact_ctx(f)
    x, y = _value(f, a, ex), _value(f, b, ex)
    sp = _specials(f, [x, y])
    if sp:
        return sp
    if gmpy2.is_infinite(x) or gmpy2.is_infinite(y):
        if gmpy2.is_infinite(x) and gmpy2.is_infinite(y) and gmpy2.is_signed(x) != gmpy2.is_signed(y):
            return f.canonical_nan, FLAG_NV
        return _encode(f, x if gmpy2.is_infinite(x) else y), 0
    r = _round(f, lambda c: c.add(x, y), rm, saturate)
    if r is None:   # exact zero: IEEE 754 section 6.3
        sx, sy = gmpy2.is_signed(x), gmpy2.is_signed(y)
        return (int(sx) if sx == sy else int(rm == "rdn")) << (f.width - 1), 0
    return r


def sub(f, a: int, b: int, rm: str, saturate: bool = False):
    f = get_format(f)
    return add(f, a, b ^ (1 << (f.width - 1)), rm, saturate)


def mul(f, a: int, b: int, rm: str, saturate: bool = False):
    f = get_format(f)
    ex = _exact_ctx(f)
    x, y = _value(f, a, ex), _value(f, b, ex)
    sign = ((a ^ b) >> (f.width - 1)) & 1
    sp = _specials(f, [x, y])
    if sp:
        return sp
    if gmpy2.is_infinite(x) or gmpy2.is_infinite(y):
        if x == 0 or y == 0:
            return f.canonical_nan, FLAG_NV
        return (sign << (f.width - 1)) | f.inf, 0
    r = _round(f, lambda c: c.mul(x, y), rm, saturate)
    return (sign << (f.width - 1), 0) if r is None else r


def fma(f, a: int, b: int, c: int, rm: str, saturate: bool = False):
    f = get_format(f)
    ex = _exact_ctx(f)
    x, y, z = _value(f, a, ex), _value(f, b, ex), _value(f, c, ex)
    itz = any(not isinstance(u, str) and gmpy2.is_infinite(u) and not isinstance(v, str) and v == 0
              for u, v in ((x, y), (y, x)))
    sp = _specials(f, [x, y, z], itz)
    if sp:
        return sp
    ps = ((a ^ b) >> (f.width - 1)) & 1
    if gmpy2.is_infinite(x) or gmpy2.is_infinite(y):
        if gmpy2.is_infinite(z) and int(gmpy2.is_signed(z)) != ps:
            return f.canonical_nan, FLAG_NV
        return (ps << (f.width - 1)) | f.inf, 0
    if gmpy2.is_infinite(z):
        return c, 0
    r = _round(f, lambda ctx: ctx.fma(x, y, z), rm, saturate)
    if r is None:
        zs = int(gmpy2.is_signed(z))
        return (ps if ps == zs else int(rm == "rdn")) << (f.width - 1), 0
    return r


def dot(f, *args, rm: str | None = None, n: int = 4, saturate: bool = False):
    """``c + sum(a_i * b_i)``, one rounding: MPFR's correctly rounded sum (``fsum``) of the
    exact products and c. ``dot(f, a0..a(n-1), b0..b(n-1), c, rm, n=n)``.

    >>> [hex(x) for x in dot(get_format("fp16"), 0x3c00, 0x3c00, 0x7bff, 0xfbff, 0x0001, "rne", n=2)]
    ['0x1', '0x0']
    """
    f = get_format(f)
    if rm is None:
        *args, rm = args
    if len(args) != 2 * n + 1:
        raise ValueError(f"dot with n={n} takes {2 * n + 1} operands, got {len(args)}")
    if rm not in _MODES:                                  # an invalid dynamic mode
        return f.canonical_nan, FLAG_NV
    ex = _exact_ctx(f)
    ex.precision += 2 * n.bit_length()                    # room for the carries of n + 1 terms
    vals = [_value(f, v, ex) for v in args]
    xs, ys, z = vals[:n], vals[n:2 * n], vals[2 * n]
    itz = any(not isinstance(u, str) and gmpy2.is_infinite(u) and not isinstance(v, str) and v == 0
              for x, y in zip(xs, ys) for u, v in ((x, y), (y, x)))
    sp = _specials(f, vals, itz)
    if sp:
        return sp
    prods = [ex.mul(x, y) for x, y in zip(xs, ys)]        # exact (inf * finite: inf of the right sign)
    terms = prods + [z]
    infs = {int(gmpy2.is_signed(t)) for t in terms if gmpy2.is_infinite(t)}
    if len(infs) > 1:
        return f.canonical_nan, FLAG_NV
    if infs:
        return (infs.pop() << (f.width - 1)) | f.inf, 0
    r = _round(f, lambda ctx: ctx.fsum(terms), rm, saturate)
    if r is None:   # exact zero: -0 only when every term is -0 (or in rdn unless every term is +0)
        if all(t == 0 and gmpy2.is_signed(t) for t in terms):
            return 1 << (f.width - 1), 0
        if all(t == 0 and not gmpy2.is_signed(t) for t in terms):
            return 0, 0
        return int(rm == "rdn") << (f.width - 1), 0
    return r


def div(f, a: int, b: int, rm: str, saturate: bool = False):
    """MPFR's correctly rounded division; the IEEE special cases written out."""
    f = get_format(f)
    if rm not in _MODES:
        return f.canonical_nan, FLAG_NV
    ex = _exact_ctx(f)
    x, y = _value(f, a, ex), _value(f, b, ex)
    sign = ((a ^ b) >> (f.width - 1)) & 1
    invalid = not isinstance(x, str) and not isinstance(y, str) and \
        ((gmpy2.is_infinite(x) and gmpy2.is_infinite(y)) or (x == 0 and y == 0))
    sp = _specials(f, [x, y], inf_times_zero=invalid)
    if sp:
        return sp
    if gmpy2.is_infinite(x):
        return (sign << (f.width - 1)) | f.inf, 0
    if y == 0:        # E4M3 has no infinity: NaN, or the largest finite when saturating
        if f.ieee:
            return (sign << (f.width - 1)) | f.inf, FLAG_DZ
        return ((sign << (f.width - 1)) | f.max_finite if saturate else f.canonical_nan), FLAG_DZ
    r = _round(f, lambda c: c.div(x, y), rm, saturate)
    return (sign << (f.width - 1), 0) if r is None else r


def sqrt(f, a: int, rm: str, saturate: bool = False):
    """MPFR's correctly rounded square root (MPFR gives sqrt(-0) = -0, sqrt(x < 0) = NaN)."""
    f = get_format(f)
    if rm not in _MODES:
        return f.canonical_nan, FLAG_NV
    ex = _exact_ctx(f)
    x = _value(f, a, ex)
    sp = _specials(f, [x], inf_times_zero=not isinstance(x, str) and x < 0)
    if sp:
        return sp
    if gmpy2.is_infinite(x) or x == 0:
        return a, 0
    return _round(f, lambda c: c.sqrt(x), rm, saturate)


# -- operations that order or inspect values: MPFR's own comparisons and min/max ---------------

def _pair(f, a: int, b: int):
    ex = _exact_ctx(f)
    return _value(f, a, ex), _value(f, b, ex)


def eq(f, a: int, b: int, rm: str | None = None):
    f = get_format(f)
    x, y = _pair(f, a, b)
    if isinstance(x, str) or isinstance(y, str):
        return 0, FLAG_NV if "snan" in (x, y) else 0
    return int(x == y), 0


def _signaling(f, a, b, relation):
    f = get_format(f)
    x, y = _pair(f, a, b)
    if isinstance(x, str) or isinstance(y, str):
        return 0, FLAG_NV
    return int(relation(x, y)), 0


def lt(f, a: int, b: int, rm: str | None = None):
    return _signaling(f, a, b, operator.lt)


def le(f, a: int, b: int, rm: str | None = None):
    return _signaling(f, a, b, operator.le)


def _select(f, a, b, pick):
    f = get_format(f)
    x, y = _pair(f, a, b)
    flags = FLAG_NV if "snan" in (x, y) else 0
    if isinstance(x, str) and isinstance(y, str):
        return f.canonical_nan, flags
    if isinstance(x, str) or isinstance(y, str):
        return (b if isinstance(x, str) else a), flags
    return _encode(f, pick(x, y)), flags        # mpfr_min/mpfr_max: min(-0, +0) = -0


def min_(f, a: int, b: int, rm: str | None = None):
    return _select(f, a, b, gmpy2.minnum)


def max_(f, a: int, b: int, rm: str | None = None):
    return _select(f, a, b, gmpy2.maxnum)


def classify(f, a: int, rm: str | None = None):
    f = get_format(f)
    x = _value(f, a, _exact_ctx(f))
    if isinstance(x, str):
        return 1 << (8 if x == "snan" else 9), 0
    neg = gmpy2.is_signed(x)
    if gmpy2.is_infinite(x):
        bit = 0 if neg else 7
    elif gmpy2.is_zero(x):
        bit = 3 if neg else 4
    elif abs(x) < gmpy2.mpfr(2) ** f.emin:
        bit = 2 if neg else 5
    else:
        bit = 1 if neg else 6
    return 1 << bit, 0


# -- conversions: MPFR rounds to the float target; its rint family rounds to integers -----------

_RINT = {"rne": "rint", "rtz": "rint_trunc", "rdn": "rint_floor", "rup": "rint_ceil", "rmm": "rint_round"}


def _source(src, a: int):
    """The operand as an exact mpfr, or "nan"/"snan" (src: float or integer format)."""
    if isinstance(src, FPFormat):
        return _value(src, a, _exact_ctx(src))
    v = a - (1 << src.width) if src.signed and a >> (src.width - 1) else a
    return gmpy2.mpfr(v, src.width + 1)


def _to_odd(x, bits: int):
    """``x`` rounded to ``bits`` significant bits, to odd (toward zero, then the last bit set
    when inexact): any rounding to ``bits - 2`` or fewer bits gives the same result and
    flags as for ``x``. Keeps `_round`'s exact context, sized for the target, exact for
    sources with more significant bits than that."""
    ctx = gmpy2.context(precision=bits, round=gmpy2.RoundToZero, emin=-(1 << 20), emax=1 << 20)
    y = ctx.plus(x)
    if not ctx.inexact:
        return y
    m, e = (int(v) for v in y.as_mantissa_exp())
    odd = (abs(m) | 1) * (1 if m > 0 else -1)
    return ctx.mul_2exp(gmpy2.mpfr(odd, bits), e)


def _to_int(dst, x, rm: str):
    if gmpy2.is_infinite(x):
        return (dst.min if gmpy2.is_signed(x) else dst.max), FLAG_NV
    ctx = gmpy2.context(precision=256, round=gmpy2.RoundToNearest, emin=-(1 << 20), emax=1 << 20)
    y = getattr(ctx, _RINT[rm])(x)
    v = int(y)
    if not dst.min <= v <= dst.max:
        return (dst.min if x < 0 else dst.max), FLAG_NV
    return v, FLAG_NX if y != x else 0


def convert(src, a: int, rm: str, *, target, saturate: bool = False):
    """Conversion between float and integer formats, through MPFR: (bits, flags).

    Conventions as `spikefp.verify.reference.convert` (RISC-V fcvt for integer targets;
    infinity into E4M3 is NV with the canonical NaN, or the largest finite with ``saturate``).
    """
    to_int = not isinstance(target, FPFormat)
    mask = (1 << target.width) - 1
    if rm not in _MODES:                                  # an invalid dynamic mode
        return (target.max & mask if to_int else target.canonical_nan), FLAG_NV
    x = _source(src, a)
    if isinstance(x, str):
        return (target.max & mask, FLAG_NV) if to_int else (target.canonical_nan, FLAG_NV if x == "snan" else 0)
    if to_int:
        v, flags = _to_int(target, x, rm)
        return v & mask, flags
    sign = int(gmpy2.is_signed(x))
    if gmpy2.is_infinite(x):
        if target.ieee:
            return (sign << (target.width - 1)) | target.inf, 0
        return ((sign << (target.width - 1)) | target.max_finite if saturate else target.canonical_nan), FLAG_NV
    bits = _exact_ctx(target).precision
    if x != 0 and x.precision > bits:
        x = _to_odd(x, bits)
    r = _round(target, lambda ctx: ctx.plus(x), rm, saturate)
    return (sign << (target.width - 1), 0) if r is None else r


# The reference functions, by the name the operator registry gives them
# (`spikefp.generators.registry.Operation.reference`); one calling convention,
# ``fn(fmt, *operand bits, rm, **params) -> (bits, flags)``, ``target=`` for conversions.
OPS = {"add": add, "sub": sub, "mul": mul, "fma": fma, "dot": dot, "div": div, "sqrt": sqrt,
       "eq": eq, "lt": lt, "le": le, "min": min_, "max": max_, "classify": classify, "convert": convert}
