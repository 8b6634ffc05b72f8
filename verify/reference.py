"""Exact IEEE-754 reference with flags, in Python integers.

Every finite value is ``(-1)^s * m * 2^e`` with integers; sums and products are exact, and
`round_exact` rounds once, for any `FPFormat` and all five modes, with RISC-V conventions:
canonical NaN results, tininess after rounding, NV for signaling NaNs, ``inf * 0`` raising
NV in FMA even when the addend is a quiet NaN, E4M3 overflow rules and the ``saturate``
option. `spikefp.verify.mpfr_ref` is an independent second reference (MPFR via gmpy2);
the tests cross-check the two.

>>> from spikefp.generators.fpformat import get_format
>>> f = get_format("fp32")
>>> [hex(x) for x in add(f, 0x3f800000, 0x3f7fffff, "rne")]    # rounding carries out
['0x40000000', '0x1']
>>> [hex(x) for x in add(f, 0x00000000, 0x00000001, "rne")]    # subnormal result, exact
['0x1', '0x0']
"""

from __future__ import annotations

import math

from ..generators.fpformat import FLAG_DZ, FLAG_NV, FLAG_NX, FLAG_OF, FLAG_UF, FPFormat, get_format

__all__ = ["decode", "round_exact", "add", "sub", "mul", "fma", "dot", "div", "sqrt", "convert", "OPS",
           "INVALID_RM"]

INVALID_RM = "invalid"   # dynamic rm codes 5-7


def decode(f: FPFormat, bits: int):
    """``("nan", is_signaling)``, ``("inf", sign)`` or ``("fin", sign, m, e)`` with value m * 2^e."""
    s, e, frac = f.fields(bits)
    if f.is_nan(bits):
        return ("nan", f.is_snan(bits))
    if f.is_inf(bits):
        return ("inf", s)
    if e == 0:
        return ("fin", s, frac, f.emin - f.M)
    return ("fin", s, frac | (1 << f.M), e - f.bias - f.M)


def _round_int(sign: int, m: int, shift: int, rm: str) -> tuple[int, bool]:
    """Round ``m / 2^shift`` to an integer in mode ``rm``; returns (integer, inexact)."""
    if shift <= 0:
        return m << -shift, False
    q, r = m >> shift, m & ((1 << shift) - 1)
    if r == 0:
        return q, False
    half = 1 << (shift - 1)
    if rm == "rne":
        up = r > half or (r == half and q & 1)
    elif rm == "rmm":
        up = r >= half
    elif rm == "rtz":
        up = False
    elif rm == "rdn":
        up = bool(sign)
    elif rm == "rup":
        up = not sign
    else:
        raise ValueError(f"unknown rounding mode {rm!r}")
    return q + up, True


def overflow_to_inf(sign: int, rm: str) -> bool:
    """Does IEEE rounding of an overflowing value give infinity (else the largest finite)?"""
    return rm in ("rne", "rmm") or (rm == "rdn" and sign) or (rm == "rup" and not sign)


def round_exact(f: FPFormat, sign: int, m: int, e: int, rm: str, saturate: bool = False):
    """Round the exact nonzero-or-zero value ``(-1)^sign * m * 2^e`` to ``f``: (bits, flags)."""
    if m == 0:
        return sign << (f.width - 1), 0
    p = f.precision
    lead = e + m.bit_length() - 1                      # exponent of the leading bit
    q = max(lead - (p - 1), f.emin - f.M)              # exponent of the result's last bit
    r, inexact = _round_int(sign, m, q - e, rm)
    if r >> p:                                         # rounding carried to 2^p: renormalize
        r, q = r >> 1, q + 1
    # Tininess after rounding: round to p bits with an unbounded exponent range.
    q_unb = lead - (p - 1)
    r_unb, _ = _round_int(sign, m, q_unb - e, rm)
    tiny = q_unb + r_unb.bit_length() - 1 < f.emin
    flags = 0
    max_sig = (f.max_finite & ((1 << f.M) - 1)) | (1 << f.M)
    max_q = (f.max_finite >> f.M) - f.bias - f.M
    low = min(q, max_q)
    if r << (q - low) > max_sig << (max_q - low):      # above the largest finite number
        flags = FLAG_OF | FLAG_NX
        if saturate or not overflow_to_inf(sign, rm):
            return (sign << (f.width - 1)) | f.max_finite, flags
        if not f.ieee:
            return f.canonical_nan, flags
        return (sign << (f.width - 1)) | f.inf, flags
    if inexact:
        flags |= FLAG_NX | (FLAG_UF if tiny else 0)
    if r >> f.M:                                       # normal
        bits = ((q + f.M + f.bias) << f.M) | (r & ((1 << f.M) - 1))
    else:                                              # subnormal: q is the minimum quantum
        bits = r
    return (sign << (f.width - 1)) | bits, flags


def _nan(f, *, invalid):
    return f.canonical_nan, FLAG_NV if invalid else 0


def _operands(f, rm, *bits):
    """Decoded operands, and the result when it is decided before any arithmetic: an
    invalid dynamic mode, or a NaN operand (NV only for a signaling one)."""
    xs = [decode(f, v) for v in bits]
    if rm == INVALID_RM:
        return xs, _nan(f, invalid=True)
    if any(x[0] == "nan" for x in xs):
        return xs, _nan(f, invalid=any(x[0] == "nan" and x[1] for x in xs))
    return xs, None


def _zero_sum_sign(s1: int, s2: int, rm: str) -> int:
    """Sign of an exact zero sum: the common sign when both addends' signs agree, else -0 only in rdn."""
    return s1 if s1 == s2 else int(rm == "rdn")


def _sum(f, x, y, rm, saturate):
    """Exact sum of two decoded finite values, rounded."""
    _, s1, m1, e1 = x
    _, s2, m2, e2 = y
    e = min(e1, e2)
    v = (-1) ** s1 * (m1 << (e1 - e)) + (-1) ** s2 * (m2 << (e2 - e))
    if v == 0:
        return _zero_sum_sign(s1, s2, rm) << (f.width - 1), 0
    return round_exact(f, int(v < 0), abs(v), e, rm, saturate)


def add(f, a: int, b: int, rm: str, saturate: bool = False):
    """IEEE addition: (result bits, flags)."""
    f = get_format(f)
    (x, y), early = _operands(f, rm, a, b)
    if early:
        return early
    if x[0] == "inf" and y[0] == "inf":
        return _nan(f, invalid=True) if x[1] != y[1] else (a, 0)
    if x[0] == "inf":
        return a, 0
    if y[0] == "inf":
        return b, 0
    return _sum(f, x, y, rm, saturate)


def sub(f, a: int, b: int, rm: str, saturate: bool = False):
    f = get_format(f)
    return add(f, a, b ^ f.sign_bit, rm, saturate)


def mul(f, a: int, b: int, rm: str, saturate: bool = False):
    """IEEE multiplication: (result bits, flags)."""
    f = get_format(f)
    (x, y), early = _operands(f, rm, a, b)
    if early:
        return early
    sign = (a ^ b) >> (f.width - 1) & 1
    if x[0] == "inf" or y[0] == "inf":
        other = y if x[0] == "inf" else x
        if other[0] == "fin" and other[2] == 0:
            return _nan(f, invalid=True)
        return (sign << (f.width - 1)) | f.inf, 0
    return round_exact(f, sign, x[2] * y[2], x[3] + y[3], rm, saturate)


def fma(f, a: int, b: int, c: int, rm: str, saturate: bool = False):
    """Fused ``a * b + c`` with one rounding: (result bits, flags)."""
    f = get_format(f)
    if rm == INVALID_RM:
        return _nan(f, invalid=True)
    x, y, z = decode(f, a), decode(f, b), decode(f, c)
    inf_times_zero = (x[0] == "inf" and y[0] == "fin" and y[2] == 0) or \
                     (y[0] == "inf" and x[0] == "fin" and x[2] == 0)
    if "nan" in (x[0], y[0], z[0]) or inf_times_zero:
        snan = any(v[0] == "nan" and v[1] for v in (x, y, z))
        return _nan(f, invalid=snan or inf_times_zero)
    ps = (a ^ b) >> (f.width - 1) & 1
    if x[0] == "inf" or y[0] == "inf":
        if z[0] == "inf" and z[1] != ps:
            return _nan(f, invalid=True)
        return (ps << (f.width - 1)) | f.inf, 0
    if z[0] == "inf":
        return c, 0
    return _sum(f, ("fin", ps, x[2] * y[2], x[3] + y[3]), z, rm, saturate)


def dot(f, *args, rm: str | None = None, n: int = 4, saturate: bool = False):
    """Fused dot product ``c + sum(a_i * b_i)`` rounded once: ``dot(f, a0..a(n-1), b0..b(n-1),
    c, rm, n=n)`` -> (result bits, flags).

    NaN operands give the canonical NaN (NV if signaling); ``inf * 0`` raises NV; infinite
    terms of both signs raise NV when no operand is NaN. An exact zero sum is -0 when every
    term is a zero of sign -, +0 when every one is a zero of sign +, else +0 (-0 in rdn).

    >>> f = get_format("fp16")
    >>> dot(f, 0x3c00, 0x4000, 0x4000, 0xbc00, 0x3c00, "rne", n=2)    # 1*2 + 2*(-1) + 1
    (15360, 0)
    """
    f = get_format(f)
    if rm is None:
        *args, rm = args
    if len(args) != 2 * n + 1:
        raise ValueError(f"dot with n={n} takes {2 * n + 1} operands, got {len(args)}")
    if rm == INVALID_RM:
        return _nan(f, invalid=True)
    xs = [decode(f, v) for v in args]
    pairs = list(zip(xs[:n], xs[n:2 * n]))
    inf_times_zero = any((x[0] == "inf" and y[0] == "fin" and y[2] == 0) or
                         (y[0] == "inf" and x[0] == "fin" and x[2] == 0) for x, y in pairs)
    if any(x[0] == "nan" for x in xs) or inf_times_zero:
        return _nan(f, invalid=inf_times_zero or any(x[0] == "nan" and x[1] for x in xs))
    signs = [(a ^ b) >> (f.width - 1) & 1 for a, b in zip(args[:n], args[n:2 * n])] + [args[2 * n] >> (f.width - 1)]
    terms = [("inf",) if "inf" in (x[0], y[0]) else ("fin", x[2] * y[2], x[3] + y[3]) for x, y in pairs]
    terms.append(("inf",) if xs[2 * n][0] == "inf" else ("fin", xs[2 * n][2], xs[2 * n][3]))
    inf_signs = {s for t, s in zip(terms, signs) if t[0] == "inf"}
    if len(inf_signs) == 2:
        return _nan(f, invalid=True)
    if inf_signs:
        return (inf_signs.pop() << (f.width - 1)) | f.inf, 0
    e = min(t[2] for t in terms)
    v = sum((-1) ** s * (t[1] << (t[2] - e)) for t, s in zip(terms, signs))
    if v == 0:
        zeros = {s for t, s in zip(terms, signs) if t[1] == 0}
        all_zero = all(t[1] == 0 for t in terms)
        sign = zeros.pop() if all_zero and len(zeros) == 1 else int(rm == "rdn")
        return sign << (f.width - 1), 0
    return round_exact(f, int(v < 0), abs(v), e, rm, saturate)


def _round_odd(f, sign: int, q: int, sticky: bool, e: int, rm: str, saturate: bool):
    """Round ``(-1)^sign * (q + a nonzero fraction if sticky) * 2^e``: the sticky bit is
    appended below ``q`` (``q`` must have at least p + 2 bits, so it lies below the round bit)."""
    return round_exact(f, sign, (q << 1) | int(sticky), e - 1, rm, saturate)


def _infinity(f, sign: int, saturate: bool) -> int:
    """An exact infinite result; E4M3, which has none, gives NaN (or with ``saturate`` the
    signed largest finite number), as it does where IEEE rounding overflows to infinity."""
    if f.ieee:
        return (sign << (f.width - 1)) | f.inf
    return (sign << (f.width - 1)) | f.max_finite if saturate else f.canonical_nan


def div(f, a: int, b: int, rm: str, saturate: bool = False):
    """IEEE division: (result bits, flags); x/0 raises DZ (E4M3: NaN, or the largest
    finite with ``saturate``), 0/0 and inf/inf NV."""
    f = get_format(f)
    (x, y), early = _operands(f, rm, a, b)
    if early:
        return early
    sign = (a ^ b) >> (f.width - 1) & 1
    if x[0] == "inf":
        return _nan(f, invalid=True) if y[0] == "inf" else ((sign << (f.width - 1)) | f.inf, 0)
    if y[0] == "inf":
        return sign << (f.width - 1), 0
    if y[2] == 0:
        if x[2] == 0:
            return _nan(f, invalid=True)
        return _infinity(f, sign, saturate), FLAG_DZ
    k = 2 * f.precision + 4                            # quotient of >= p + 4 bits
    q, r = divmod(x[2] << k, y[2])
    return _round_odd(f, sign, q, r != 0, x[3] - y[3] - k, rm, saturate)


def sqrt(f, a: int, rm: str, saturate: bool = False):
    """IEEE square root: (result bits, flags); sqrt(-0) = -0, negative operands NV."""
    f = get_format(f)
    (x,), early = _operands(f, rm, a)
    if early:
        return early
    if x[0] == "inf":
        return _nan(f, invalid=True) if x[1] else (a, 0)
    _, sign, m, e = x
    if m == 0:
        return a, 0
    if sign:
        return _nan(f, invalid=True)
    if e % 2:
        m, e = m << 1, e - 1
    k = f.precision + 4                                # root of >= p + 4 bits
    big = m << (2 * k)
    r = math.isqrt(big)
    return _round_odd(f, 0, r, r * r != big, e // 2 - k, rm, saturate)


# -- operations that order or inspect values (no rounding: rm is ignored) --------------------

def _ordinal(f, x) -> int:
    """A decoded non-NaN value as an integer on one scale (infinities beyond every finite)."""
    if x[0] == "inf":
        return -(1 << 4096) if x[1] else 1 << 4096
    v = x[2] << (x[3] - (f.emin - f.M))
    return -v if x[1] else v


def _compare(f, a: int, b: int, signaling: bool):
    """(ordinals, flags) for a comparison; ordinals None when unordered (a NaN)."""
    f = get_format(f)
    x, y = decode(f, a), decode(f, b)
    if x[0] == "nan" or y[0] == "nan":
        return None, FLAG_NV if signaling or (x[0] == "nan" and x[1]) or (y[0] == "nan" and y[1]) else 0
    return (_ordinal(f, x), _ordinal(f, y)), 0


def eq(f, a: int, b: int, rm: str | None = None):
    """Quiet equality (RISC-V feq): (1 or 0, flags); NV only for a signaling NaN."""
    o, flags = _compare(f, a, b, signaling=False)
    return int(o is not None and o[0] == o[1]), flags


def lt(f, a: int, b: int, rm: str | None = None):
    """Signaling a < b (RISC-V flt): NV for any NaN."""
    o, flags = _compare(f, a, b, signaling=True)
    return int(o is not None and o[0] < o[1]), flags


def le(f, a: int, b: int, rm: str | None = None):
    """Signaling a <= b (RISC-V fle): NV for any NaN."""
    o, flags = _compare(f, a, b, signaling=True)
    return int(o is not None and o[0] <= o[1]), flags


def _select(f, a: int, b: int, want_min: bool):
    f = get_format(f)
    x, y = decode(f, a), decode(f, b)
    flags = FLAG_NV if any(v[0] == "nan" and v[1] for v in (x, y)) else 0
    if x[0] == "nan" and y[0] == "nan":
        return f.canonical_nan, flags
    if x[0] == "nan" or y[0] == "nan":
        return (b if x[0] == "nan" else a), flags
    # -0 orders below +0: break ties between the zeros by the sign.
    ka = (_ordinal(f, x), -(a >> (f.width - 1)))
    kb = (_ordinal(f, y), -(b >> (f.width - 1)))
    return (a if (ka <= kb) == want_min else b), flags


def min_(f, a: int, b: int, rm: str | None = None):
    """RISC-V fmin (IEEE minimumNumber): (bits, flags)."""
    return _select(f, a, b, want_min=True)


def max_(f, a: int, b: int, rm: str | None = None):
    """RISC-V fmax (IEEE maximumNumber): (bits, flags)."""
    return _select(f, a, b, want_min=False)


def classify(f, a: int, rm: str | None = None):
    """RISC-V fclass: (one-hot 10-bit class mask, 0)."""
    f = get_format(f)
    x = decode(f, a)
    if x[0] == "nan":
        return (1 << 8) if x[1] else (1 << 9), 0
    if x[0] == "inf":
        return (1 << 0) if x[1] else (1 << 7), 0
    s, m = x[1], x[2]
    kind = 0 if m == 0 else 1 if m >> f.M == 0 else 2          # zero, subnormal, normal
    return 1 << ((3 - kind) if s else (4 + kind)), 0


# -- conversions between float formats and integers ---------------------------------------------

def _int_result(dst, sign: int, m: int, e: int, rm: str):
    """Round ``(-1)^sign * m * 2^e`` to the integer format ``dst``, RISC-V fcvt style.

    Out of range (judged after rounding) saturates with NV and no NX: to ``dst.max`` for
    positive values, ``dst.min`` for negative ones (0 for unsigned, so -0.4 in rne gives 0
    with NX, -1 gives 0 with NV).
    """
    q, inexact = _round_int(sign, m, -e, rm)
    v = -q if sign else q
    if not dst.min <= v <= dst.max:
        return dst.bits(dst.min if sign else dst.max), FLAG_NV
    return dst.bits(v), FLAG_NX if inexact else 0


def convert(src, a: int, rm: str, *, target, saturate: bool = False):
    """Convert ``a`` from ``src`` to ``target`` (each an `FPFormat` or an `IntFormat`): (bits, flags).

    Float to float and integer to float round once (`round_exact`); an exact zero integer is
    +0. NaN gives the canonical NaN (NV for a signaling one). Infinity into E4M3, which has
    none, is invalid like an out-of-range integer conversion: NV with the canonical NaN, or
    the signed largest finite number with ``saturate``. Float to integer: NaN and +inf give
    ``target.max``, -inf ``target.min``, with NV. An invalid dynamic mode gives NV with the
    canonical NaN (``target.max`` for an integer target).

    >>> from spikefp.generators.fpformat import get_format, get_int_format
    >>> [hex(v) for v in convert(get_format("fp32"), 0x4f000000, "rne", target=get_int_format("i32"))]  # 2^31
    ['0x7fffffff', '0x10']
    """
    to_int = not isinstance(target, FPFormat)
    if rm == INVALID_RM:
        return (target.bits(target.max) if to_int else target.canonical_nan), FLAG_NV
    if not isinstance(src, FPFormat):
        v = src.value(a)
        x = ("fin", int(v < 0), abs(v), 0)
    else:
        x = decode(src, a)
    if x[0] == "nan":
        if to_int:
            return target.bits(target.max), FLAG_NV
        return _nan(target, invalid=x[1])
    if x[0] == "inf":
        if to_int:
            return target.bits(target.min if x[1] else target.max), FLAG_NV
        if not target.ieee:
            return ((x[1] << (target.width - 1)) | target.max_finite if saturate else target.canonical_nan), FLAG_NV
        return (x[1] << (target.width - 1)) | target.inf, 0
    _, sign, m, e = x
    if to_int:
        return _int_result(target, sign, m, e, rm)
    return round_exact(target, sign, m, e, rm, saturate)


# The reference functions, by the name the operator registry gives them
# (`spikefp.generators.registry.Operation.reference`); one calling convention,
# ``fn(fmt, *operand bits, rm, **params) -> (bits, flags)``, ``target=`` for conversions.
OPS = {"add": add, "sub": sub, "mul": mul, "fma": fma, "dot": dot, "div": div, "sqrt": sqrt,
       "eq": eq, "lt": lt, "le": le, "min": min_, "max": max_, "classify": classify, "convert": convert}
