"""Fixed-point piecewise polynomials in threshold gates: a one-hot ROM of coefficients and Horner.

A function on ``[0, 2^I)`` is cut into segments of width ``h = 2^-hb`` indexed by the top
bits of its fixed-point argument; inside segment ``q`` the polynomial runs in the offset
``U = u * 2^-u_frac`` (``u`` the low bits; callers pick the offset's direction so that every
coefficient is nonnegative, then all arithmetic is unsigned and every truncation errs low).

* `rom`: one neuron per segment matches its index (weights +-1, threshold = popcount) and
  each output bit is the OR of the segments whose word has it set.
* `horner`: ``acc = A_n``; ``acc = floor(acc * (u >> cut_i) / 2^shift_i) + A_i`` down to
  ``i = 0``. Coefficient ``i`` has ``fracs[i]`` fractional bits; since ``U^i <= h^i``, the
  high-order steps need fewer bits (``fracs[i] = F - hb * i`` keeps every step's
  truncation at ``2^-F`` of the result), so their multipliers shrink.
* `chebyshev`: the monomial coefficients (in U) of the Chebyshev interpolant of degree n on
  ``[0, h]``, computed with mpmath at build time.

`PolyTable` records a plan; `PolyTable.model` is its executable specification in Python
integers (bit-exact with the netlist).

>>> from spikefp.hdl import Builder
>>> t = PolyTable(u_bits=3, u_frac=3, fracs=(4, 4), cuts=(0,), coeffs=((1, 2), (3, 1)))
>>> b = Builder(); q = b.input("q", 1); u = b.input("u", 3)
>>> b.output("y", piecewise(b, q, u, t)); net = b.build()
>>> [net.evaluate(q=1, u=v)["y"] for v in range(8)] == [t.model(1, v) for v in range(8)]
True
"""

from __future__ import annotations

from typing import NamedTuple

import mpmath

from ..hdl import gates
from ..hdl.builder import CONST0, Builder
from . import adders
from .multiplier import multiply

__all__ = ["PolyTable", "rom", "horner", "piecewise", "chebyshev"]


class PolyTable(NamedTuple):
    """A piecewise polynomial plan: segment ``q``'s value at offset ``u`` is
    ``sum_i coeffs[q][i] 2^-fracs[i] (u 2^-u_frac)^i``, evaluated by Horner with step ``i``
    (``i = n-1 .. 0``) reading ``u >> cuts[i]``; the result has ``fracs[0]`` fractional bits."""
    u_bits: int
    u_frac: int
    fracs: tuple
    cuts: tuple
    coeffs: tuple          # one tuple of n + 1 nonnegative integers per segment

    @property
    def degree(self) -> int:
        return len(self.fracs) - 1

    def shift(self, i: int) -> int:
        """Bits dropped after step i's product (fractional bits above ``fracs[i]``)."""
        return self.fracs[i + 1] + self.u_frac - self.cuts[i] - self.fracs[i]

    def model(self, q: int, u: int) -> int:
        """The netlist's result for segment ``q`` and offset ``u``, in Python integers."""
        a = self.coeffs[q]
        acc = a[-1]
        for i in range(self.degree - 1, -1, -1):
            acc = ((acc * (u >> self.cuts[i])) >> self.shift(i)) + a[i]
        return acc

    def widths(self) -> list[int]:
        """Bits of the accumulator after each step (index i), from the largest coefficients."""
        top = [max(c[i] for c in self.coeffs) for i in range(self.degree + 1)]
        umax = (1 << self.u_bits) - 1
        w = [0] * (self.degree + 1)
        acc = top[-1]
        w[-1] = acc.bit_length()
        for i in range(self.degree - 1, -1, -1):
            acc = ((acc * (umax >> self.cuts[i])) >> self.shift(i)) + top[i]
            w[i] = acc.bit_length()
        return w


def rom(b: Builder, index, words, width: int) -> list[int]:
    """``words[index]`` as ``width`` bits (a missing or zero word reads 0).

    >>> from spikefp.generators.normalize import exhaustive_check
    >>> w = [5, 0, 7, 2]
    >>> exhaustive_check(lambda b, i: {"y": rom(b, i, w, 3)}, lambda i: {"y": w[i]}, i=2)
    True
    """
    hits = {}
    for q, word in enumerate(words):
        if word:
            hits[q] = gates.and_(b, [x if (q >> j) & 1 else ~x for j, x in enumerate(index)])
    return [gates.or_(b, [d for q, d in hits.items() if (words[q] >> i) & 1]) if
            any((words[q] >> i) & 1 for q in hits) else CONST0 for i in range(width)]


def horner(b: Builder, u, coeff_bits, t: PolyTable) -> list[int]:
    """Horner's scheme on the coefficient literals ``coeff_bits[i]`` (see `PolyTable.model`)."""
    widths = t.widths()
    acc = list(coeff_bits[-1])[:widths[-1]]
    for i in range(t.degree - 1, -1, -1):
        prod = multiply(b, acc, list(u[t.cuts[i]:]))[t.shift(i):]
        a = list(coeff_bits[i])
        n = max(len(prod), len(a), widths[i])
        pad = lambda v: list(v) + [CONST0] * (n - len(v))
        acc = adders.add(b, pad(prod), pad(a))[0][:widths[i]]
    return acc


def piecewise(b: Builder, index, u, t: PolyTable, extra=(), extra_bits: int = 0):
    """The polynomial of segment ``index`` at offset ``u``; with ``extra`` (one integer per
    segment) also that word from the same ROM: returns ``value`` or ``(value, extra bits)``."""
    widths = [max(c[i] for c in t.coeffs).bit_length() for i in range(t.degree + 1)]
    words = []
    for q, c in enumerate(t.coeffs):
        word, pos = 0, 0
        for ci, w in zip(c, widths):
            word |= ci << pos
            pos += w
        words.append(word | (extra[q] << pos if extra else 0))
    bits = rom(b, index, words, sum(widths) + extra_bits)
    coeff_bits, pos = [], 0
    for w in widths:
        coeff_bits.append(bits[pos:pos + w])
        pos += w
    value = horner(b, u, coeff_bits, t)
    return (value, bits[pos:]) if extra else value


def chebyshev(values, h, n: int) -> list:
    """Monomial coefficients (in U) of the degree-n interpolant on ``[0, h]`` at the
    Chebyshev nodes; ``values(U)`` gives the function (mpmath numbers, current precision).

    >>> [round(float(c), 9) for c in chebyshev(lambda x: 1 + 2 * x + x * x, mpmath.mpf(1) / 4, 2)]
    [1.0, 2.0, 1.0]
    """
    nodes = [mpmath.cos(mpmath.pi * (2 * k + 1) / (2 * n + 2)) for k in range(n + 1)]
    f = [values(h / 2 * (1 + s)) for s in nodes]
    # Chebyshev coefficients c_m, then sum c_m T_m(s) as a polynomial in s, then s = 2U/h - 1.
    c = [2 * mpmath.fsum(fk * mpmath.cos(m * mpmath.pi * (2 * k + 1) / (2 * n + 2)) for k, fk in enumerate(f))
         / (n + 1) for m in range(n + 1)]
    c[0] /= 2
    T = [[1], [0, 1]]
    while len(T) <= n:
        a, bb = T[-1], T[-2]
        T.append([(2 * a[i - 1] if i else 0) - (bb[i] if i < len(bb) else 0) for i in range(len(a) + 1)])
    d = [mpmath.fsum(c[m] * T[m][j] for m in range(j, n + 1) if j < len(T[m])) for j in range(n + 1)]
    out = [mpmath.mpf(0)] * (n + 1)
    for j, dj in enumerate(d):                   # d_j (2U/h - 1)^j, expanded
        for i in range(j + 1):
            out[i] += dj * mpmath.binomial(j, i) * (2 / h) ** i * (-1) ** (j - i)
    return out
