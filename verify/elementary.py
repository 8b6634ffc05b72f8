"""Correctly rounded elementary functions: exp exp2 log log2 rsqrt recip tanh sigmoid silu gelu.

The reference for the ``<format>.<fn>`` units (DESIGN.md, "Elementary functions"), with the
convention of the other references: ``fn(fmt, a, rm="rne", saturate=False) -> (bits, flags)``.

Method. Exact cases (exp(0) = 1, exp2(k) = 2^k, log(1) = +0, log2(2^k) = k, rsqrt(4^k) = 2^-k,
recip(2^k) = 2^-k, sigmoid(0) = 1/2, tanh/silu/gelu(±0) = ±0) are recognized from the operand and
rounded as exact values (no flag unless the value itself does not fit: log2(2^-15) = -15 needs
4 bits, exp2(-30) underflows in fp16). Every other result is irrational, so it is never a
rounding boundary: MPFR (gmpy2) encloses it in [lo, hi] with directed roundings at working
precision P (each step of a composite rounded the way that keeps the bound a bound), and the
enclosure is narrowed (Ziv: P doubles) until no number of p + 2 significant bits lies inside
it (p the format's precision). Any value in that gap, its midpoint for instance, rounds like
the true result in every mode, subnormals and overflow included, with the same flags (all
rounding boundaries, midpoints included, have at most p + 1 bits): that stand-in is rounded by
`spikefp.verify.reference.round_exact`. Results beyond MPFR's exponent range (exp of 1e300)
are caught from the side the bound reaches: below a quarter of the smallest subnormal or above
four times the overflow threshold, any stand-in there rounds alike. No subtraction is ever
formed (tanh, sigmoid, silu, gelu near 1 or near x are bounded by MPFR's directed results), so
the tails 1 - e^-x and x - x·Φ(-x) cost no precision. Results are mode-independent until the
final rounding and cached per (function, format, operand).

Specials as DESIGN.md states them. Where DESIGN is silent: an underflowing result rounds like
any other, with UF|NX (silu and gelu of a large negative x give -0 or the negative smallest
subnormal by mode, sigmoid of one +0 or the smallest subnormal; tanh of a subnormal x is
tiny and inexact); log(1) and log2(1) are +0 in every mode; with ``saturate`` an exactly
infinite result in E4M3 (log 0, rsqrt 0, recip 0) is the signed largest finite number with DZ,
as division does; an invalid dynamic mode (``reference.INVALID_RM``) gives the NaN with NV.

>>> [hex(v) for v in exp("fp16", 0x3c00)]                    # e, rounded, inexact
['0x4170', '0x1']
>>> [hex(v) for v in log2("fp32", 0x41000000, "rup")]         # log2(8) = 3, exact
['0x40400000', '0x0']
>>> [hex(v) for v in tanh("fp16", 0x4900, "rtz")]             # tanh(10) just below 1
['0x3bff', '0x1']
>>> [hex(v) for v in silu("bf16", 0xc2c8, "rdn")]             # silu(-100): tiny and negative
['0x8001', '0x3']
>>> [hex(v) for v in log("fp8e4m3", 0x00)]                    # log(0): E4M3 has no -inf
['0x7f', '0x8']

Exhaustive tables. `table` gives the results for every operand of a format of at most 16 bits
at once (indexed by the operand's bits): each stand-in is computed once per (function, format)
and rounded per mode with the vectorized rounder; the tables are kept in memory and on disk
under the cache folder (`spikefp.hdl.workdirs.cache_dir`, keyed by a hash of the sources that
decide the results), so a second process pays a file read.

>>> y, fl = table("exp", "fp8e5m2", "rtz")
>>> [hex(int(y[0x3c])), int(fl[0x3c])]                          # e in fp8e5m2, toward zero
['0x41', 1]
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from pathlib import Path

import gmpy2
import numpy as np

from ..generators.fpformat import FLAG_DZ, FLAG_NV, FPFormat, get_format
from ..hdl.netlist import atomic_write
from ..hdl.workdirs import cache_dir
from . import fastref, reference
# reference.py's private helpers, reused: early NaN / invalid-mode results, and E4M3's exact infinity.
from .reference import INVALID_RM, _infinity, _operands, round_exact

__all__ = ["exp", "exp2", "log", "log2", "rsqrt", "recip", "tanh", "sigmoid", "silu", "gelu", "OPS",
           "table", "TABLE_MAX_WIDTH"]

_MODES = ("rne", "rtz", "rdn", "rup", "rmm")
_RANGE = {"emin": -(1 << 30) + 1, "emax": (1 << 30) - 1}     # gmpy2's widest exponent range
_MAX_PRECISION = 1 << 20                                      # Ziv's loop gives up (never seen)


@functools.lru_cache(maxsize=None)
def _contexts(p: int):
    """MPFR contexts of precision ``p`` rounding down and up (lower and upper bounds)."""
    return (gmpy2.context(precision=p, round=gmpy2.RoundDown, **_RANGE),
            gmpy2.context(precision=p, round=gmpy2.RoundUp, **_RANGE))


_EXACT = gmpy2.context(precision=64, **_RANGE)                # holds any operand of <= 64 bits


def _mpfr(m: int, e: int):
    """The exact mpfr m * 2^e (|m| < 2^64)."""
    return _EXACT.mul_2exp(gmpy2.mpfr(m, 64), e)


# -- enclosures: (lo, hi) with lo <= f(x) <= hi, for finite nonzero x in the domain ------------

def _single(op):
    return lambda x, dn, up: (getattr(dn, op)(x), getattr(up, op)(x))


def _recip(x, dn, up):
    return dn.div(1, x), up.div(1, x)


def _sigmoid(x, dn, up):
    # 1 / (1 + e^-x) decreases with e^-x: the lower bound takes the upper e^-x.
    nx = dn.minus(x)                                          # exact: P >= the operand's bits
    return dn.div(1, up.add(1, up.exp(nx))), up.div(1, dn.add(1, dn.exp(nx)))


def _times_x(x, lo, hi, dn, up):
    """Bounds of x * y for y in [lo, hi], y >= 0."""
    return (dn.mul(x, lo), up.mul(x, hi)) if x > 0 else (dn.mul(x, hi), up.mul(x, lo))


def _silu(x, dn, up):
    return _times_x(x, *_sigmoid(x, dn, up), dn, up)


def _gelu(x, dn, up):
    # Phi(x) = erfc(u) / 2 with u = -x / sqrt(2); erfc decreases, so Phi's lower bound takes u's upper.
    r = dn.rec_sqrt(2), up.rec_sqrt(2)
    nx = dn.minus(x)
    u_lo, u_hi = (dn.mul(nx, r[1]), up.mul(nx, r[0])) if x > 0 else (dn.mul(nx, r[0]), up.mul(nx, r[1]))
    phi = dn.mul_2exp(dn.erfc(u_hi), -1), up.mul_2exp(up.erfc(u_lo), -1)
    return _times_x(x, *phi, dn, up)


_ENCLOSE = {"exp": _single("exp"), "exp2": _single("exp2"), "log": _single("log"),
            "log2": _single("log2"), "rsqrt": _single("rec_sqrt"), "recip": _recip,
            "tanh": _single("tanh"), "sigmoid": _sigmoid, "silu": _silu, "gelu": _gelu}


def _sign(name: str, s: int, m: int, e: int) -> int:
    """Sign of a non-exact result for the finite nonzero operand (-1)^s * m * 2^e."""
    if name in ("log", "log2"):
        return int(e + m.bit_length() <= 0)                   # x < 1 (x = 1 is exact)
    return s if name in ("recip", "tanh", "silu", "gelu") else 0


def _stand_in(f: FPFormat, lo, hi, sign: int):
    """(m, e) with m * 2^e rounding like every value in [|lo|, |hi|] (a gap between numbers of
    p + 2 bits), or None when the enclosure is too wide."""
    dn, up = _contexts(max(lo.precision, hi.precision))
    a, b = (dn.minus(hi), dn.minus(lo)) if sign else (lo, hi)
    q0 = f.emin - f.M                                         # exponent of the smallest subnormal
    if b < _mpfr(1, q0 - 2):
        return 1, q0 - 3
    if a > _mpfr(1, f.emax + 3):
        return 1, f.emax + 4
    kd, ku = _contexts(f.precision + 2)
    floor, ceil = kd.plus(a), ku.plus(b)
    if floor == 0 or gmpy2.is_infinite(ceil):
        return None
    wide = _contexts(f.precision + 4)[0]
    mid = wide.mul_2exp(wide.add(floor, ceil), -1)            # exact: p + 3 bits
    if kd.plus(mid) != floor or ku.plus(mid) != ceil:
        return None
    m, e = mid.as_mantissa_exp()
    return int(m), int(e)


def _exact(name: str, s: int, m: int, e: int):
    """(sign, m, e) of an exact result for the finite nonzero operand, or None."""
    power = m & (m - 1) == 0
    k = e + m.bit_length() - 1                                # x = 2^k when ``power``
    if name == "exp2" and (e >= 0 or m % (1 << -e) == 0):
        return 0, 1, (-1) ** s * (m << e if e >= 0 else m >> -e)
    if name == "log" and s == 0 and power and k == 0:
        return 0, 0, 0
    if name == "log2" and s == 0 and power:
        return int(k < 0), abs(k), 0
    if name == "rsqrt" and power and k % 2 == 0:
        return 0, 1, -k // 2
    if name == "recip" and power:
        return s, 1, -k
    return None


@functools.lru_cache(maxsize=1 << 16)
def _value(name: str, f: FPFormat, s: int, m: int, e: int):
    """(sign, m, e): the exact result, or a stand-in that rounds like it (finite nonzero operand)."""
    exact = _exact(name, s, m, e)
    if exact:
        return exact
    x, sign, p = _mpfr(-m if s else m, e), _sign(name, s, m, e), 2 * f.precision + 40
    while p <= _MAX_PRECISION:
        lo, hi = _ENCLOSE[name](x, *_contexts(p))
        pinned = _stand_in(f, lo, hi, sign)
        if pinned:
            return (sign, *pinned)
        p *= 2
    raise ArithmeticError(f"{name}({x}): no correctly rounded result at {_MAX_PRECISION} bits")


def _clamp(f: FPFormat, m: int, e: int):
    """(m, e) rounding like m * 2^e, with a small exponent (exp2 of 1e300 is 2^(1e300))."""
    top = e + m.bit_length()                                  # 2^(top-1) <= m * 2^e < 2^top
    q0 = f.emin - f.M
    if m and top - 1 > f.emax + 3:
        return 1, f.emax + 4                                  # rounds alike, far above overflow
    if m and top < q0 - 2:
        return 1, q0 - 3                                      # or far below half the smallest subnormal
    return m, e


def _round(f: FPFormat, sign: int, m: int, e: int, rm: str, saturate: bool):
    return round_exact(f, sign, *_clamp(f, m, e), rm, saturate)


# What an infinite operand gives: ("nan" | "inf" | "zero" | "one", sign), by the operand's sign.
_AT_INF = {"exp": (("inf", 0), ("zero", 0)), "exp2": (("inf", 0), ("zero", 0)),
           "log": (("inf", 0), ("nan", 0)), "log2": (("inf", 0), ("nan", 0)),
           "rsqrt": (("zero", 0), ("nan", 0)), "recip": (("zero", 0), ("zero", 1)),
           "tanh": (("one", 0), ("one", 1)), "sigmoid": (("one", 0), ("zero", 0)),
           "silu": (("inf", 0), ("zero", 1)), "gelu": (("inf", 0), ("zero", 1))}


def _evaluate(name: str, fmt, a: int, rm: str, saturate: bool):
    f = get_format(fmt)
    if rm not in _MODES and rm != INVALID_RM:
        raise ValueError(f"unknown rounding mode {rm!r}; modes: {', '.join(_MODES)}")
    (x,), early = _operands(f, rm, a)
    if early:
        return early
    if x[0] == "inf":
        kind, sign = _AT_INF[name][x[1]]
        if kind == "nan":
            return f.canonical_nan, FLAG_NV
        if kind == "inf":
            return (sign << (f.width - 1)) | f.inf, 0
        return (sign << (f.width - 1)) | (0 if kind == "zero" else round_exact(f, 0, 1, 0, rm)[0]), 0
    _, s, m, e = x
    if m == 0:                                                # ±0
        if name in ("exp", "exp2", "sigmoid"):
            return round_exact(f, 0, 1, 0 if name != "sigmoid" else -1, rm)
        if name in ("log", "log2"):
            return _infinity(f, 1, saturate), FLAG_DZ
        if name in ("rsqrt", "recip"):
            return _infinity(f, s, saturate), FLAG_DZ
        return a, 0                                           # tanh, silu, gelu: ±0
    if s and name in ("log", "log2", "rsqrt"):
        return f.canonical_nan, FLAG_NV
    return _round(f, *_value(name, f, s, m, e), rm, saturate)


def _function(name: str, doc: str):
    def fn(fmt, a: int, rm: str = "rne", saturate: bool = False):
        return _evaluate(name, fmt, a, rm, saturate)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Correctly rounded {doc}: (result bits, flags)."
    return fn


exp = _function("exp", "e^x")
exp2 = _function("exp2", "2^x")
log = _function("log", "natural logarithm")
log2 = _function("log2", "base-2 logarithm")
rsqrt = _function("rsqrt", "1/sqrt(x)")
recip = _function("recip", "1/x")
tanh = _function("tanh", "hyperbolic tangent")
sigmoid = _function("sigmoid", "logistic function 1/(1 + e^-x)")
silu = _function("silu", "SiLU x·sigmoid(x)")
gelu = _function("gelu", "erf GELU x·Phi(x)")

# The reference functions by operation name (the registry's convention, as in `reference.OPS`).
OPS = {fn.__name__: fn for fn in (exp, exp2, log, log2, rsqrt, recip, tanh, sigmoid, silu, gelu)}


# -- exhaustive tables (formats of at most 16 bits) --------------------------------------------

TABLE_MAX_WIDTH = 16
_TABLES: dict = {}                  # (name, format, saturate) -> (bits, flags), one row per mode


@functools.lru_cache(maxsize=None)
def _source_hash() -> str:
    """What the tables depend on: this module, the scalar rounder and the vectorized one."""
    h = hashlib.sha256()
    for mod in (__file__, reference.__file__, fastref.__file__):
        h.update(Path(mod).read_bytes())
    return h.hexdigest()[:16]


def _stand_ins(name: str, f: FPFormat):
    """(sign, m, e, where) over every operand: ``where`` marks finite nonzero operands in the
    domain, whose (exact or stand-in) result (-1)^sign m 2^e rounds like the true one."""
    n = 1 << f.width
    sign, m, e = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    where = np.zeros(n, bool)
    value = _value.__wrapped__                                # not through (and flushing) the cache
    for a in range(n):
        (x,), early = _operands(f, "rne", a)
        if early or x[0] == "inf" or x[2] == 0 or (x[1] and name in ("log", "log2", "rsqrt")):
            continue
        where[a] = True
        sign[a], mm, ee = value(name, f, *x[1:])
        m[a], e[a] = _clamp(f, mm, ee)
    return sign, m, e, where


def _round_all(f: FPFormat, sign, m, e, rm: str, saturate: bool):
    """`_round` on arrays (exponents already clamped): (bits, flags); m = 0 is an exact zero."""
    y, flags = fastref._round(f, sign, np.maximum(m, 1), e, rm, saturate)
    return np.where(m == 0, sign << (f.width - 1), y), np.where(m == 0, 0, flags)


def _build(name: str, f: FPFormat, saturate: bool):
    sign, m, e, where = _stand_ins(name, f)
    rest = np.nonzero(~where)[0]
    bits = np.zeros((len(_MODES), 1 << f.width), np.uint64)
    flags = np.zeros((len(_MODES), 1 << f.width), np.uint8)
    for i, rm in enumerate(_MODES):
        y, fl = _round_all(f, sign[where], m[where], e[where], rm, saturate)
        bits[i, where], flags[i, where] = y, fl
        special = [_evaluate(name, f, int(a), rm, saturate) for a in rest]
        bits[i, rest] = [v for v, _ in special]
        flags[i, rest] = [v for _, v in special]
    return bits, flags


def _load(path: Path):
    try:
        with np.load(path) as z:
            return z["bits"].astype(np.uint64), z["flags"]
    except (OSError, KeyError, ValueError, EOFError):        # absent, or not a table: rebuild
        return None


def _save(path: Path, bits, flags) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, bits=bits.astype(np.uint32 if bits.max(initial=0) >> 32 == 0 else np.uint64), flags=flags)
    atomic_write(path, lambda fh: fh.write(buf.getvalue()))


def table(fn: str, fmt, rm: str = "rne", saturate: bool = False):
    """(bits uint64 array, flags uint8 array): the correctly rounded ``fn`` of every operand of
    ``fmt`` (at most 16 bits wide), indexed by the operand's bits. Read-only, shared arrays.

    >>> y, fl = table("log2", "fp16")
    >>> len(y), hex(int(y[0x4800])), int(fl[0x4800])            # log2(8) = 3, exact
    (65536, '0x4200', 0)
    """
    f = get_format(fmt)
    if fn not in OPS:
        raise ValueError(f"unknown elementary function {fn!r}; functions: {', '.join(OPS)}")
    if rm not in _MODES:
        raise ValueError(f"unknown rounding mode {rm!r}; modes: {', '.join(_MODES)}")
    if f.width > TABLE_MAX_WIDTH:
        raise ValueError(f"tables cover formats of at most {TABLE_MAX_WIDTH} bits, not {f.name} ({f.width})")
    key = (fn, f.name, bool(saturate))
    if key not in _TABLES:
        root = os.environ.get("SPIKEFP_TABLE_CACHE")       # tests: one folder shared by xdist workers
        folder = (Path(root) if root else cache_dir("elementary")) / _source_hash()
        path = folder / f"{fn}-{f.name}{'-sat' if saturate else ''}.npz"
        loaded = _load(path)
        if loaded is None or loaded[0].shape != (len(_MODES), 1 << f.width):
            loaded = _build(fn, f, bool(saturate))
            _save(path, *loaded)
        for arr in loaded:
            arr.flags.writeable = False
        _TABLES[key] = loaded
    bits, flags = _TABLES[key]
    i = _MODES.index(rm)
    return bits[i], flags[i]
