"""Test vectors for floating-point units: specials, boundaries, random, exhaustive.

Every generator returns a dict of operand name -> uint64 array (``a``, ``b`` and ``c``).

* `specials`: each operand runs over the IEEE special values (zeros, subnormal and normal
  edges, 1, the largest finite, infinities, quiet and signaling NaNs) in all combinations.
* `boundary`: the cases where implementations go wrong: results at the subnormal/normal edge
  in both directions, at the overflow edge, sums that round up to a power of two or to the
  smallest normal, exact and near cancellation, exponent differences around the significand
  width, fraction patterns next to rounding midpoints, FMA addends next to the product.
* `uniform`: uniform random bit patterns.
* `exhaustive`: every operand pair (formats of at most 8 bits).

>>> from spikefp.generators.fpformat import get_format
>>> v = specials(get_format("fp16"), 2)
>>> len(v["a"]) == len(v["b"]) == len(SPECIAL_NAMES) ** 2
True
"""

from __future__ import annotations

import itertools

import numpy as np

from ..generators.fpformat import FPFormat
from . import reference

__all__ = ["special_values", "SPECIAL_NAMES", "specials", "boundary", "uniform", "exhaustive", "mixed"]

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
    """Second operands close to ``x`` in the ways that stress ``op``."""
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
    # mul: steer the product's exponent to the subnormal/normal edge, 1 and the overflow edge
    targets = np.asarray([1, 1, 0, f.exp_ones - 1, f.exp_ones, f.bias, 1 - p // 2, f.exp_ones - 2])
    t = targets[rng.integers(0, len(targets), n)]
    e2 = np.clip(t - np.maximum(e, 1) + f.bias + rng.integers(-2, 3, n), 0, f.exp_ones)
    return _pack(f, rand_sign, e2, _fractions(rng, f, n))


def boundary(f: FPFormat, op: str, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` boundary-weighted operand tuples for ``op`` (add, sub, mul or fma)."""
    rng = np.random.default_rng(seed)
    a = _operands(rng, f, n)
    if op != "fma":
        return {"a": a, "b": _partners(rng, f, a, op)}
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


def mixed(f: FPFormat, op: str, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Specials x specials, then boundary cases and uniform patterns, ``n`` tuples beyond the specials."""
    k = 3 if op == "fma" else 2
    parts = [specials(f, k), boundary(f, op, n - n // 3, seed), uniform(f, k, n // 3, seed + 1)]
    return {name: np.concatenate([p[name] for p in parts]) for name in OPERANDS[:k]}
