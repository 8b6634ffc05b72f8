"""Test vectors for floating-point units: specials, boundaries, random, exhaustive.

Every generator returns a dict of operand name -> uint64 array (``a``, ``b`` and ``c``).

* `specials`: each operand runs over the IEEE special values (zeros, subnormal and normal
  edges, 1, the largest finite, infinities, quiet and signaling NaNs) in all combinations.
* `boundary`: the cases where implementations go wrong: results at the subnormal/normal edge
  in both directions, at the overflow edge, sums that round up to a power of two or to the
  smallest normal, exact and near cancellation, exponent differences around the significand
  width, fraction patterns next to rounding midpoints, FMA addends next to the product.
  For the elementary functions (exp, log, gelu...): operands at the function's overflow and
  underflow thresholds (`elementary_edges`, found with the reference), tiny arguments (|x| near
  2^-(p+2), where e^x leaves 1), the exact cases (powers of two for log2, 4^k for rsqrt...) and
  their neighbours, operands next to 1, moderate operands, and uniform patterns.
* `uniform`: uniform random bit patterns.
* `exhaustive`: every operand pair (formats of at most 8 bits).
* `for_unit` / `exhaustive_for`: the right mix (or every operand tuple) for any unit,
  conversions from integers included; conversions also get values at the target's edges.

>>> from spikefp.generators.fpformat import get_format
>>> v = specials(get_format("fp16"), 2)
>>> len(v["a"]) == len(v["b"]) == len(SPECIAL_NAMES) ** 2
True
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from ..generators.fpformat import FPFormat, IntFormat
from ..generators.registry import operation
from . import elementary, fastref, reference

__all__ = ["tuples", "special_values", "SPECIAL_NAMES", "specials", "boundary", "uniform", "exhaustive", "mixed",
           "for_unit", "exhaustive_for", "elementary_edges", "dot_boundary", "dot_exponent_pairs"]

OPERANDS = ("a", "b", "c")
SPECIAL_NAMES = ("+0", "-0", "min_sub", "max_sub", "min_norm", "one", "1.5", "one_minus", "max",
                 "+inf", "-inf", "qnan", "snan", "-min_sub", "-one", "-max")


def special_values(f: FPFormat) -> list[int]:
    """The special operand patterns named in `SPECIAL_NAMES` (format-specific NaN/inf)."""
    s = f.sign_bit
    one = f.bias << f.M
    inf = f.inf if f.ieee else f.max_finite
    qnan = f.canonical_nan
    snan = ((f.exp_ones << f.M) | 1) if f.ieee and f.M > 1 else qnan | s
    return [0, s, 1, (1 << f.M) - 1, 1 << f.M, one, one | (1 << (f.M - 1)), one - 1, f.max_finite,
            inf, inf | s, qnan, snan, 1 | s, one | s, f.max_finite | s]


def _arrays(cols) -> dict[str, np.ndarray]:
    return {name: np.array(col, dtype=np.uint64) for name, col in zip(OPERANDS, cols)}


def specials(f: FPFormat, n_operands: int) -> dict[str, np.ndarray]:
    vals = special_values(f)
    combos = list(itertools.product(vals, repeat=n_operands))
    return _arrays(zip(*combos))


def uniform(f: FPFormat, n_operands: int, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: _bits(rng, f, n) for name in OPERANDS[:n_operands]}


def _bits(rng, f: FPFormat, n: int) -> np.ndarray:
    v = rng.integers(0, 1 << 63, n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, n, dtype=np.uint64)
    return v & np.uint64((1 << f.width) - 1) if f.width < 64 else v


def exhaustive(f: FPFormat) -> dict[str, np.ndarray]:
    """All operand pairs of a format of at most 8 bits (``a`` varies fastest)."""
    if f.width > 8:
        raise ValueError(f"exhaustive pairs of {f.name} ({f.width}-bit) are too many; use <= 8-bit formats")
    allv = np.arange(1 << (2 * f.width), dtype=np.uint64)
    mask = np.uint64((1 << f.width) - 1)
    return {"a": allv & mask, "b": allv >> np.uint64(f.width)}


def _u64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.uint64)


def _pack(f: FPFormat, sign, exp, frac) -> np.ndarray:
    return (_u64(sign) << np.uint64(f.width - 1)) | (_u64(exp) << np.uint64(f.M)) | _u64(frac)


def _fractions(rng, f: FPFormat, n: int) -> np.ndarray:
    """Fraction patterns that sit next to rounding decisions (all ones, single bits, runs...)."""
    M = f.M
    full = np.uint64((1 << M) - 1)
    r = _u64(rng.integers(0, M, n))                   # a bit position
    r1 = _u64(rng.integers(0, M + 1, n))              # a run length
    rand = _u64(rng.integers(0, 1 << 62, n, dtype=np.uint64)) & full if M <= 62 else \
        (rng.integers(0, 1 << 62, n, dtype=np.uint64) * np.uint64(4)) & full
    options = np.stack([
        np.full(n, full), np.zeros(n, np.uint64), np.uint64(1) << r, full ^ (np.uint64(1) << r),
        full >> r1, (full << r1) & full, rand, rand])
    return options[rng.integers(0, len(options), n), np.arange(n)]


def _exponents(rng, f: FPFormat, n: int) -> np.ndarray:
    """Exponent fields weighted toward the edges of the range (inf/NaN included)."""
    top = f.exp_ones
    edges = np.clip([0, 0, 1, 1, 2, top - 1, top - 1, top - 2, top, f.bias, f.bias - 1, f.bias + 1], 0, top)
    pick = np.asarray(edges)[rng.integers(0, len(edges), n)]
    return np.where(rng.random(n) < 0.6, pick, rng.integers(0, top + 1, n))


def _operands(rng, f: FPFormat, n: int) -> np.ndarray:
    return _pack(f, rng.integers(0, 2, n), _exponents(rng, f, n), _fractions(rng, f, n))


def _partners(rng, f: FPFormat, x: np.ndarray, op: str) -> np.ndarray:
    """Second operands close to ``x`` in the ways that stress ``op``, a vector family of the
    operator registry (``Operation.vectors``): add, sub, order, div; anything else is
    steered like a product."""
    n = len(x)
    p = f.precision
    sign_bit = np.uint64(f.sign_bit)
    e = ((x >> np.uint64(f.M)) & np.uint64(f.exp_ones)).astype(np.int64)
    rand_sign = rng.integers(0, 2, n)
    if op in ("add", "sub"):
        kind = rng.integers(0, 6, n)
        d = np.asarray([0, 1, 2, p - 2, p - 1, p, p + 1, p + 2, p + 3, 2 * p])[rng.integers(0, 10, n)]
        e2 = np.clip(np.where(rng.random(n) < 0.5, e - d, e + d), 0, f.exp_ones)
        spread = _pack(f, rand_sign, e2, _fractions(rng, f, n))                   # exponent distance
        cancel = x ^ sign_bit if op == "add" else x.copy()                           # exact cancellation
        mag = (x & (sign_bit - np.uint64(1))).astype(np.int64) if f.width < 64 else None
        if mag is not None:                                                          # a few ulps away
            near = np.clip(mag + rng.integers(-3, 4, n), 0, f.sign_bit - 1).astype(np.uint64)
            near |= cancel & sign_bit
        else:
            near = cancel ^ _u64(rng.integers(0, 8, n))
        return np.select([kind <= 1, kind == 2, kind == 3], [spread, cancel, near], _operands(rng, f, n))
    if op in ("eq", "lt", "le", "min", "max"):
        # equal values, the same magnitude with the other sign (+0/-0 included), a few ulps away
        kind = rng.integers(0, 5, n)
        mag = (x & (sign_bit - np.uint64(1))).astype(np.int64) if f.width < 64 else None
        near = (np.clip(mag + rng.integers(-2, 3, n), 0, f.sign_bit - 1).astype(np.uint64) | (x & sign_bit)
                if mag is not None else x ^ _u64(rng.integers(0, 4, n)))
        return np.select([kind == 0, kind == 1, kind == 2], [x, x ^ sign_bit, near], _operands(rng, f, n))
    # mul: steer the product's exponent to the subnormal/normal edge, 1 and the overflow edge;
    # div: the same for the quotient (and x / x)
    targets = np.asarray([1, 1, 0, f.exp_ones - 1, f.exp_ones, f.bias, 1 - p // 2, f.exp_ones - 2])
    t = targets[rng.integers(0, len(targets), n)]
    if op == "div":
        e2 = np.clip(np.maximum(e, 1) - t + f.bias + rng.integers(-2, 3, n), 0, f.exp_ones)
        y = _pack(f, rand_sign, e2, _fractions(rng, f, n))
        return np.where(rng.random(n) < 0.1, x ^ (sign_bit * _u64(rand_sign)), y)
    e2 = np.clip(t - np.maximum(e, 1) + f.bias + rng.integers(-2, 3, n), 0, f.exp_ones)
    return _pack(f, rand_sign, e2, _fractions(rng, f, n))


def _short(rng, f: FPFormat, n: int) -> np.ndarray:
    """Values whose significands have at most ceil(p / 2) significant bits, exponents near 1:
    a product of two of them is exact, so it divides exactly and is a perfect square."""
    keep = (f.precision + 1) // 2
    frac = _fractions(rng, f, n) >> _u64(f.M - keep + 1) << _u64(f.M - keep + 1)
    e = np.clip(f.bias + rng.integers(-3, 4, n), 1, f.exp_ones - 1)
    return _pack(f, rng.integers(0, 2, n), e, frac)


def _exact_products(f: FPFormat, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.array([reference.mul(f, int(u), int(v), "rne")[0] for u, v in zip(x, y)], dtype=np.uint64)


def boundary(f: FPFormat, op: str, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` boundary-weighted operand tuples for a two- or three-operand ``op``, chosen by
    the operation's vector family in the operator registry."""
    rng = np.random.default_rng(seed)
    if op in elementary.OPS:
        return {"a": _elementary(rng, f, op, n)}
    kind = operation(op).vectors
    if kind == "dot":          # operands a0.. b0.. c, for the default number of products
        return dot_boundary(f, operation(op).param("n").default, n, seed)
    a = _operands(rng, f, n)
    if kind == "div":          # a sixth are exact quotients (x * y) / y: the remainder is 0
        b = _partners(rng, f, a, kind)
        k = n // 6
        b[:k] = _short(rng, f, k)
        a[:k] = _exact_products(f, _short(rng, f, k), b[:k])
        return {"a": a, "b": b}
    if kind != "fma":
        return {"a": a, "b": _partners(rng, f, a, kind)}
    b = _partners(rng, f, a, "mul")
    kind = rng.integers(0, 4, n)
    c = np.where(kind == 2, _partners(rng, f, a, "add"), _operands(rng, f, n))
    # Addends next to +-(a*b): cancellation, and sums landing next to rounding midpoints.
    modes = ["rne", "rtz", "rup"]
    for i in np.nonzero(kind <= 1)[0]:
        prod, _ = reference.mul(f, int(a[i]), int(b[i]), modes[i % 3])
        if f.is_nan(prod):
            continue
        z = prod ^ f.sign_bit if kind[i] == 0 else prod
        mag = z & (f.sign_bit - 1)
        c[i] = (z & f.sign_bit) | max(0, min(mag + int(rng.integers(-2, 3)), f.sign_bit - 1))
    return {"a": a, "b": b, "c": c}


def _dot_names(n: int) -> list[str]:
    return [f"a{i}" for i in range(n)] + [f"b{i}" for i in range(n)] + ["c"]


def _negated_sum(f: FPFormat, a, b, n: int, rng) -> np.ndarray:
    """Addends ``c`` next to ``-(a0 b0 + ... )``: the products' sum rounded in a random
    mode, negated, moved by -2..2 ulps (NaN and infinite sums give a random c)."""
    k = len(a[0])
    out = _operands(rng, f, k)
    modes = ("rne", "rtz", "rup", "rdn")
    mode = np.arange(k) % len(modes)
    s = np.zeros(k, np.uint64)
    for i, rm in enumerate(modes):
        sel = mode == i
        if fastref.supported(f):
            s[sel] = fastref.dot(f, *(x[sel] for x in a), *(x[sel] for x in b), np.zeros(int(sel.sum()), np.uint64),
                                 rm, n=n)[0]
        else:
            s[sel] = [reference.dot(f, *(int(x[j]) for x in a), *(int(x[j]) for x in b), 0, rm, n=n)[0]
                      for j in np.nonzero(sel)[0]]
    z = s ^ np.uint64(f.sign_bit)
    mag = (z & np.uint64(f.sign_bit - 1)).astype(np.int64) + rng.integers(-2, 3, k)
    near = (z & np.uint64(f.sign_bit)) | np.clip(mag, 0, f.max_finite).astype(np.uint64)
    finite = (s & np.uint64(f.sign_bit - 1)) <= np.uint64(f.max_finite)
    return np.where(finite, near, out)


def _finite(f: FPFormat, x: np.ndarray) -> np.ndarray:
    """``x`` with infinities and NaNs replaced by the largest finite number of their sign."""
    mag = x & np.uint64(f.sign_bit - 1)
    return np.where(mag > np.uint64(f.max_finite), (x & np.uint64(f.sign_bit)) | np.uint64(f.max_finite), x)


def dot_boundary(f: FPFormat, n_terms: int, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` operand tuples ``a0..a(k-1), b0..b(k-1), c`` for a dot product of ``n_terms``
    products, most of them cancelling heavily: pairs of products that cancel exactly or to
    one ulp of a factor, an addend next to minus the sum of the products, a huge product
    cancelled beside tiny and subnormal ones, subnormal products, specials (zeros,
    infinities, NaNs) mixed in, and uniform patterns.

    >>> from spikefp.generators.fpformat import get_format
    >>> v = dot_boundary(get_format("fp16"), 2, 100)
    >>> sorted(v), len(v["c"])
    (['a0', 'a1', 'b0', 'b1', 'c'], 100)
    """
    rng = np.random.default_rng(seed)
    k = n_terms
    a = [_finite(f, _operands(rng, f, n)) for _ in range(k)]
    b = [_finite(f, _partners(rng, f, x, "mul")) for x in a]
    c = _finite(f, _operands(rng, f, n))
    sign_bit = np.uint64(f.sign_bit)
    kind = rng.integers(0, 8, n)
    # 0, 1: product j cancels product j - 1 exactly (kind 0) or to a few ulps of b (kind 1)
    for j in range(1, k):
        pair = (kind <= 1) & (rng.random(n) < 0.8)
        mag = (b[j - 1] & (sign_bit - np.uint64(1))).astype(np.int64)
        step = np.where(kind == 1, rng.integers(-2, 3, n), 0)
        near = np.clip(mag + step, 0, f.max_finite).astype(np.uint64) | (~b[j - 1] & sign_bit)
        a[j] = np.where(pair, a[j - 1], a[j])
        b[j] = np.where(pair, near, b[j])
    # 3: one huge product cancelled by the next, the others tiny (subnormal factors)
    huge = kind == 3
    top = np.uint64(f.exp_ones - (1 if f.ieee else 0))
    a[0] = np.where(huge, _pack(f, rng.integers(0, 2, n), top - _u64(rng.integers(0, 3, n)), _fractions(rng, f, n)), a[0])
    if k > 1:
        a[1] = np.where(huge, a[0], a[1])
        b[1] = np.where(huge, b[0] ^ sign_bit, b[1])
    for j in range(2, k):
        a[j] = np.where(huge, _pack(f, rng.integers(0, 2, n), rng.integers(0, 3, n), _fractions(rng, f, n)), a[j])
    # 4: subnormal products (every factor small)
    small = kind == 4
    for x in a + b:
        x[:] = np.where(small, _pack(f, rng.integers(0, 2, n), rng.integers(0, 2, n), _fractions(rng, f, n)), x)
    c = np.where(small | huge, _pack(f, rng.integers(0, 2, n), rng.integers(0, 3, n), _fractions(rng, f, n)), c)
    # 5: specials mixed in; 6: uniform patterns
    spec = np.array(special_values(f), dtype=np.uint64)
    for x in a + b + [c]:
        hit = (kind == 5) & (rng.random(n) < 0.3)
        x[:] = np.where(hit, spec[rng.integers(0, len(spec), n)], x)
        x[:] = np.where(kind == 6, _bits(rng, f, n), x)
    # 2 (and some of 0, 1, 3, 4): the addend next to minus the products' sum
    near = (kind == 2) | ((kind <= 4) & (rng.random(n) < 0.5))
    idx = np.nonzero(near)[0]
    if len(idx):
        c[idx] = _negated_sum(f, [x[idx] for x in a], [x[idx] for x in b], k, rng)
    return dict(zip(_dot_names(k), a + b + [c]))


def dot_exponent_pairs(f: FPFormat, per_pair: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Two-product tuples ``a0 a1 b0 b1 c`` covering every pair of product exponents:
    ``per_pair`` tuples for each (field(a0) + field(b0), field(a1) + field(b1)), split
    randomly between the factors, with random signs and fractions; c is random, next to
    minus the products' sum, or zero.

    >>> from spikefp.generators.fpformat import get_format
    >>> len(dot_exponent_pairs(get_format("fp8e4m3"), 2)["c"]) == 2 * 31 ** 2
    True
    """
    rng = np.random.default_rng(seed)
    top = f.exp_ones - (1 if f.ieee else 0)          # largest finite field
    sums = np.arange(2 * top + 1)
    s0, s1 = (np.repeat(x.ravel(), per_pair) for x in np.meshgrid(sums, sums, indexing="ij"))
    n = len(s0)

    def split(total):
        lo = np.maximum(0, total - top)
        e = lo + (rng.random(n) * (np.minimum(total, top) - lo + 1)).astype(np.int64)
        return e, total - e

    def value(e):                                 # finite: E4M3's S.1111.111 is NaN
        v = _pack(f, rng.integers(0, 2, n), e, _fractions(rng, f, n))
        return np.where((v & np.uint64(f.sign_bit - 1)) == np.uint64(f.canonical_nan), v ^ np.uint64(1), v) \
            if not f.ieee else v

    ea0, eb0 = split(s0)
    ea1, eb1 = split(s1)
    a0, b0, a1, b1 = value(ea0), value(eb0), value(ea1), value(eb1)
    kind = rng.integers(0, 3, n)
    c = np.where(kind == 0, _operands(rng, f, n), np.where(rng.random(n) < 0.5, 0, f.sign_bit).astype(np.uint64))
    idx = np.nonzero(kind == 1)[0]
    c[idx] = _negated_sum(f, [a0[idx], a1[idx]], [b0[idx], b1[idx]], 2, rng)
    return {"a0": a0, "a1": a1, "b0": b0, "b1": b1, "c": c}


def _category(f: FPFormat, fn: str, a: int) -> str:
    """What kind of result the operand gets in RNE: overflow, normal, subnormal or zero."""
    y, flags = elementary.OPS[fn](f, a, "rne")
    if flags & 0x4:                                          # OF
        return "overflow"
    mag = y & (f.sign_bit - 1)
    return "zero" if mag == 0 else "subnormal" if mag >> f.M == 0 else "normal"


def _edges_between(f: FPFormat, fn: str, sign: int, lo: int, hi: int, k_lo: str, k_hi: str, out: list) -> None:
    """Append the operands in (lo, hi] where the kind of result changes (bisection)."""
    if k_lo == k_hi:
        return
    if hi - lo == 1:
        out.append(sign | hi)
        return
    mid = (lo + hi) // 2
    k_mid = _category(f, fn, sign | mid)
    _edges_between(f, fn, sign, lo, mid, k_lo, k_mid, out)
    _edges_between(f, fn, sign, mid, hi, k_mid, k_hi, out)


@functools.lru_cache(maxsize=None)
def elementary_edges(f: FPFormat, fn: str) -> tuple[int, ...]:
    """Operands where ``fn``'s result (in RNE) changes between overflow, normal, subnormal and
    zero: the first operand (going away from zero, either sign) of the new kind. Found with the
    reference on a coarse grid (two operands per exponent) and refined by bisection on the bit
    patterns.

    >>> from spikefp.generators.fpformat import get_format
    >>> [hex(a) for a in elementary_edges(get_format("fp16"), "exp")]     # overflow; subnormal, 0
    ['0x498c', '0xc8db', '0xcc56']
    """
    mag = f.max_finite & (f.sign_bit - 1)
    edges: list[int] = []
    for sign in (0, f.sign_bit):
        if sign and fn in ("log", "log2", "rsqrt"):
            continue
        grid = sorted({min(e << f.M | frac, mag) for e in range(f.exp_ones + 1) for frac in (0, (1 << f.M) - 1)} - {0})
        kinds = [_category(f, fn, sign | g) for g in grid]
        for lo, hi, k_lo, k_hi in zip(grid, grid[1:], kinds, kinds[1:]):
            _edges_between(f, fn, sign, lo, hi, k_lo, k_hi, edges)
    return tuple(edges)


def _exact_operands(f: FPFormat, fn: str) -> list[int]:
    """Operands with an exact result (DESIGN's exact cases), within the format."""
    one = f.bias << f.M
    powers = [(e << f.M) for e in range(1, f.exp_ones)] + [1 << m for m in range(f.M)]   # 2^k, k = emin - M..emax
    if fn in ("exp", "sigmoid", "tanh", "silu", "gelu"):
        return [0, f.sign_bit]
    if fn == "log":
        return [one]
    if fn == "log2":
        return powers
    log2 = {p: (p >> f.M) - f.bias if p >> f.M else p.bit_length() - 1 - f.M + f.emin for p in powers}
    if fn == "rsqrt":                                        # 4^k: 2^k with k even
        return [p for p in powers if log2[p] % 2 == 0]
    if fn == "recip":                                        # 2^-k representable
        fits = [p for p in powers if f.emin - f.M <= -log2[p] <= f.emax]
        return fits + [p | f.sign_bit for p in fits]
    # exp2: the integers k of the format with 2^k representable (the edges cover the rest)
    ks = [k for k in range(f.emin - f.M, f.emax + 1) if abs(k) < 1 << f.precision]
    return [reference.round_exact(f, int(k < 0), abs(k), 0, "rne")[0] for k in ks]


def _elementary(rng, f: FPFormat, fn: str, n: int) -> np.ndarray:
    """``n`` operands for the elementary function ``fn``: a fifth next to `elementary_edges`
    (within 8 ulps, half of them within 1), a tenth tiny (|x| within 2^±3 of 2^-(p+2)), a
    seventh exact cases and their neighbours, a tenth next to 1 and -1, a fifth moderate (|x| in
    [2^-8, 2^8)), the rest uniform bit patterns."""
    p, mask = f.precision, f.sign_bit - 1
    mag = lambda v: np.clip(v, 0, f.max_finite & mask).astype(np.uint64)       # noqa: E731
    sign = _u64(rng.integers(0, 2, n)) << np.uint64(f.width - 1)
    frac = _fractions(rng, f, n)
    off = np.where(rng.random(n) < 0.5, rng.integers(-1, 1, n), rng.integers(-8, 8, n))
    edges = np.array(elementary_edges(f, fn) or (f.bias << f.M,), dtype=np.uint64)
    e = edges[rng.integers(0, len(edges), n)]
    near_edge = (e & _u64(f.sign_bit)) | mag((e & _u64(mask)).astype(np.int64) + off)
    tiny_e = np.clip(f.bias - p - 2 + rng.integers(-3, 4, n), 0, f.exp_ones - 1)
    tiny = sign | _pack(f, 0, tiny_e, frac)
    exact = np.array(_exact_operands(f, fn), dtype=np.uint64)
    x = exact[rng.integers(0, len(exact), n)]
    near_exact = (x & _u64(f.sign_bit)) | mag((x & _u64(mask)).astype(np.int64) + rng.integers(-1, 2, n))
    near_one = sign | mag((f.bias << f.M) + off)
    moderate = sign | _pack(f, 0, np.clip(f.bias + rng.integers(-8, 8, n), 1, f.exp_ones - 1), frac)
    share = rng.random(n)
    picks = [(0.2, near_edge), (0.3, tiny), (0.44, near_exact), (0.54, near_one), (0.74, moderate)]
    out = _bits(rng, f, n)
    for limit, values in reversed(picks):
        out = np.where(share < limit, values, out)
    return out


def mixed(f: FPFormat, op: str, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Specials x specials, then boundary cases and uniform patterns, ``n`` tuples beyond the specials."""
    k = max(2, operation(op).arity)          # one-operand units take theirs from for_unit
    if operation(op).vectors == "dot":
        return _dot_mixed(f, operation(op).param("n").default, n, seed)
    parts = [specials(f, k), boundary(f, op, n - n // 3, seed), uniform(f, k, n // 3, seed + 1)]
    return {name: np.concatenate([p[name] for p in parts]) for name in OPERANDS[:k]}


def _int_values(rng, f: IntFormat, n: int) -> np.ndarray:
    """Integers of every bit length, biased to the ends of the range and to rounding ties."""
    length = rng.integers(0, f.width + 1, n)
    mag = np.array([int(rng.integers(0, 1 << 62)) << 2 | int(rng.integers(0, 4)) for _ in range(n)], dtype=object)
    vals = [(int(m) & ((1 << int(k)) - 1)) | ((1 << int(k) - 1) if k else 0) for m, k in zip(mag, length)]
    vals = [f.bits(max(f.min, min(f.max, -v if f.signed and rng.random() < 0.5 else v))) for v in vals]
    return np.array(vals, dtype=np.uint64)


def _int_specials(f: IntFormat) -> list[int]:
    edges = [0, 1, 2, 3, f.max, f.max - 1, f.min, f.min + 1, -1, -2, 1 << 24, (1 << 24) + 1, (1 << 53) + 1,
             (1 << 31) - 1, 1 << 31, (1 << 32) - 1, 1 << 32, (1 << 11) + 1, (1 << 8) + 3, 65520, 65519]
    return sorted({f.bits(v) for v in edges if f.min <= v <= f.max})


def _target_edges(rng, src: FPFormat, dst, n: int) -> np.ndarray:
    """Source values whose exponents sit at the target's edges (overflow, subnormals, integer range)."""
    if isinstance(dst, IntFormat):
        centres = [-2, -1, 0, 1, dst.width - 2, dst.width - 1, dst.width, dst.width + 1]
    else:
        centres = [dst.emax, dst.emax + 1, dst.emin, dst.emin - 1, dst.emin - dst.M, dst.emin - dst.M - 1, 0]
    e = np.asarray(centres)[rng.integers(0, len(centres), n)] + src.bias + rng.integers(-1, 2, n)
    frac = _fractions(rng, src, n)
    # fractions that end exactly at the target's precision (ties) or just past it
    if not isinstance(dst, IntFormat) and dst.M < src.M:
        cut = src.M - dst.M
        tie = (frac >> _u64(cut) << _u64(cut)) | _u64(1 << (cut - 1))
        frac = np.where(rng.random(n) < 0.3, tie, frac)
    return _pack(src, rng.integers(0, 2, n), np.clip(e, 0, src.exp_ones), frac)


def _dot_mixed(f: FPFormat, k: int, n: int, seed: int) -> dict[str, np.ndarray]:
    """A dot product's mix for ``k`` products: the specials on (a0, b0, c) (the other terms
    1 x 0), then `dot_boundary` and uniform patterns, ``n`` tuples beyond the specials."""
    names = _dot_names(k)
    vals = np.array(special_values(f), dtype=np.uint64)
    sa, sb, sc = (g.ravel() for g in np.meshgrid(vals, vals, vals, indexing="ij"))
    one = np.uint64(f.bias << f.M)
    spec = {name: np.full(len(sa), one if name[0] == "a" else np.uint64(0), np.uint64) for name in names}
    spec.update({"a0": sa, "b0": sb, "c": sc})
    rng = np.random.default_rng(seed + 1)
    parts = [spec, dot_boundary(f, k, n - n // 4, seed),
             {name: _bits(rng, f, n // 4) for name in names}]
    return {name: np.concatenate([p[name] for p in parts]) for name in names}


def for_unit(u, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Specials, boundary cases and random operands for any unit: ``n`` tuples beyond the specials."""
    rng = np.random.default_rng(seed)
    src, k = u.fmt, u.arity
    if isinstance(src, IntFormat):
        spec = np.array(_int_specials(src), dtype=np.uint64)
        rand = rng.integers(0, 1 << 63, n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, n, dtype=np.uint64)
        rand &= np.uint64((1 << src.width) - 1) if src.width < 64 else np.uint64(~0 & (2 ** 64 - 1))
        return {"a": np.concatenate([spec, _int_values(rng, src, n - n // 3), rand[:n // 3]])}
    if u.operation.vectors == "dot":
        return _dot_mixed(src, len(u.operands) // 2, n, seed)
    if k >= 2:
        return mixed(src, u.op, n, seed)
    if u.op in elementary.OPS:
        return {"a": np.concatenate([np.array(special_values(src), dtype=np.uint64),
                                     _elementary(rng, src, u.op, n)])}
    parts = [np.array(special_values(src), dtype=np.uint64), _operands(rng, src, n - n // 3), _bits(rng, src, n // 3)]
    if u.target is not None:
        parts[1][: len(parts[1]) // 2] = _target_edges(rng, src, u.target, len(parts[1]) // 2)
    if u.operation.vectors == "sqrt":       # a sixth are perfect squares (and the square's neighbours)
        k = len(parts[1]) // 6
        c = _short(rng, src, k) & np.uint64(src.sign_bit - 1)
        sq = _exact_products(src, c, c)
        parts[1][:k] = sq
        parts[1][k:2 * k] = sq + np.uint64(1)
    return {"a": np.concatenate(parts)}


def exhaustive_for(u) -> dict[str, np.ndarray]:
    """Every operand tuple of a unit with at most 2^24 of them (8-bit formats; 16-bit
    one-operand units such as fp16.sqrt or bf16.to_fp32)."""
    w = u.operand_bits
    if w * u.arity > 24:
        raise ValueError(f"exhaustive operands of {u.name} (2^{w * u.arity}) are too many; at most 2^24")
    return tuples(u, 0, 1 << (w * u.arity))


def tuples(u, start: int, stop: int) -> dict[str, np.ndarray]:
    """Operand tuples ``start`` <= i < ``stop`` of a unit's whole operand space: tuple i holds
    operand k in bits [k*w, (k+1)*w) of i (``a`` varies fastest), so any index range is a shard
    of an exhaustive run.

    >>> from spikefp.generators.units import unit
    >>> {k: v.tolist() for k, v in tuples(unit("fp8e5m2.add"), 255, 257).items()}
    {'a': [255, 0], 'b': [0, 1]}
    """
    w = u.operand_bits
    idx = np.arange(start, stop, dtype=np.uint64)
    mask = np.uint64((1 << w) - 1)
    return {name: (idx >> np.uint64(w * i)) & mask for i, name in enumerate(u.operands)}
