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


def _pack(f: FPFormat, sign, exp, frac) -> int:
    return (int(sign) << (f.width - 1)) | (int(exp) << f.M) | int(frac)


def _fraction(rng, f: FPFormat) -> int:
    """Fraction patterns that sit next to rounding decisions."""
    M = f.M
    full = (1 << M) - 1
    choice = rng.integers(0, 8)
    if choice == 0:
        return full
    if choice == 1:
        return 0
    if choice == 2:
        return 1 << int(rng.integers(0, M))
    if choice == 3:
        return full ^ (1 << int(rng.integers(0, M)))
    if choice == 4:
        return full >> int(rng.integers(0, M + 1))              # trailing ones
    if choice == 5:
        return (full << int(rng.integers(0, M + 1))) & full     # leading ones
    return int(rng.integers(0, 1 << M, dtype=np.uint64)) if M < 64 else 0


def _exponent(rng, f: FPFormat) -> int:
    """Exponent fields weighted toward the edges of the range (inf/NaN included)."""
    top = f.exp_ones
    edges = [0, 0, 1, 1, 2, top - 1, top - 1, top - 2, top, f.bias, f.bias - 1, f.bias + 1]
    if rng.random() < 0.6:
        return int(min(top, max(0, edges[int(rng.integers(0, len(edges)))])))
    return int(rng.integers(0, top + 1))


def _random_operand(rng, f):
    return _pack(f, rng.integers(0, 2), _exponent(rng, f), _fraction(rng, f))


def _near(rng, f: FPFormat, x: int, op: str) -> int:
    """A second operand close to the first in a way that stresses ``op``."""
    s, e, frac = f.fields(x)
    M, p = f.M, f.precision
    kind = rng.integers(0, 6)
    if op in ("add", "sub"):
        if kind <= 1:                     # exponent difference around the significand width
            d = int(rng.choice([0, 1, 2, p - 2, p - 1, p, p + 1, p + 2, p + 3, 2 * p]))
            e2 = max(0, min(f.exp_ones, e - d if rng.random() < 0.5 else e + d))
            return _pack(f, rng.integers(0, 2), e2, _fraction(rng, f))
        if kind == 2:                     # exact cancellation
            return x ^ (f.sign_bit if op == "add" else 0)
        if kind == 3:                     # near cancellation: a few ulps away
            y = max(0, min((x & (f.sign_bit - 1)) + int(rng.integers(-3, 4)), f.sign_bit - 1))
            return y | ((s ^ (op == "add")) << (f.width - 1))
        return _random_operand(rng, f)
    # mul: steer the product's exponent to the subnormal/normal edge, 1 and the overflow edge
    target = int(rng.choice([f.bias - f.bias + 1, 1, 0, f.exp_ones - 1, f.exp_ones, f.bias,
                             1 - (p // 2), f.exp_ones - 2]))
    e2 = target - (e if e else 1) + f.bias + int(rng.integers(-2, 3))
    e2 = max(0, min(f.exp_ones, e2))
    return _pack(f, rng.integers(0, 2), e2, _fraction(rng, f))


def boundary(f: FPFormat, op: str, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` boundary-weighted operand tuples for ``op`` (add, sub, mul or fma)."""
    rng = np.random.default_rng(seed)
    a, b, c = [], [], []
    for _ in range(n):
        x = _random_operand(rng, f)
        if op == "fma":
            y = _near(rng, f, x, "mul")
            kind = rng.integers(0, 4)
            if kind <= 1:                 # addend next to -(a*b): cancellation and near-ties
                prod, _ = reference.mul(f, x, y, str(rng.choice(["rne", "rtz", "rup"])))
                z = prod ^ f.sign_bit if kind == 0 else prod
                if not f.is_nan(z):
                    mag = z & (f.sign_bit - 1)
                    z = (z & f.sign_bit) | max(0, min(mag + int(rng.integers(-2, 3)), f.sign_bit - 1))
            elif kind == 2:               # addend far below or far above the product
                z = _near(rng, f, x, "add")
            else:
                z = _random_operand(rng, f)
            a.append(x), b.append(y), c.append(z)
        else:
            a.append(x), b.append(_near(rng, f, x, op))
    cols = [a, b, c] if op == "fma" else [a, b]
    return _arrays(cols)


def mixed(f: FPFormat, op: str, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Specials x specials, then boundary cases and uniform patterns, ``n`` tuples beyond the specials."""
    k = 3 if op == "fma" else 2
    parts = [specials(f, k), boundary(f, op, n - n // 3, seed), uniform(f, k, n // 3, seed + 1)]
    return {name: np.concatenate([p[name] for p in parts]) for name in OPERANDS[:k]}
