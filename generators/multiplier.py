"""Unsigned multiplier: AND partial products, threshold-counter reduction, fast final adder.

A column of ``m`` bits of equal weight is replaced by the ``c = m.bit_length()`` bits of
its population count (a parallel counter; m = 3 is the 2-neuron full adder). Threshold
gates make counters cheap, with two styles that trade neurons for depth:

* ``serial``: the count bits from the top, each one neuron,
  ``q_t = [sum x - sum_{l>t} 2^l q_l >= 2^t]``: c neurons, depth c.
* ``parallel``: ``T_v = [sum x >= v]`` for every v, then each bit is one neuron adding
  ``T_a - T_b`` over the count intervals ``[a, b)`` where it is 1: m + c - 1 neurons, depth 2.

Stages of counters run until every column holds at most two bits; the final two rows go
through the lookahead adder. The 24 x 24 multiplier needs under 1,300 neurons (576 of
them partial products) at depth ~16.

>>> from spikefp.hdl import Builder
>>> b = Builder(); x = b.input("x", 4); y = b.input("y", 4)
>>> b.output("p", multiply(b, x, y)); b.build().evaluate(x=13, y=11)["p"]
143
"""

from __future__ import annotations

from ..hdl import gates
from ..hdl.builder import CONST0, Builder
from .adders import add
from .shifters import thermometer_to_binary

__all__ = ["COUNTERS", "counter", "multiply", "sum_columns"]

COUNTERS = ("serial", "parallel", "direct")


def counter(b: Builder, xs, style: str = "serial") -> list[int]:
    """Bits (LSB first) of the number of 1s among the literals ``xs``."""
    xs = list(xs)
    m = len(xs)
    c = m.bit_length()
    ones = [(x, 1) for x in xs]
    if style == "serial":
        q = [None] * c
        for t in range(c - 1, -1, -1):
            q[t] = b.neuron(ones + [(q[l], -(1 << l)) for l in range(t + 1, c)], 1 << t)
        return q
    if style == "parallel":
        return thermometer_to_binary(b, [None] + [gates.at_least(b, v, xs) for v in range(1, m + 1)])
    raise ValueError(f"unknown counter style {style!r}; choose from {', '.join(COUNTERS)}")


def _max_counter_inputs(b: Builder, style: str) -> int:
    """Widest counter the profile allows (fan-in and weights of the counter's neurons)."""
    p = b.profile
    best = 3
    for m in range(3, 1 << 12):
        c = m.bit_length()
        fanin = m + c - 1 if style == "serial" else max(m, 2 * ((m + 1) // 2))
        weight = 1 << (c - 1) if style == "serial" else 1
        if (p.max_fanin is not None and fanin > p.max_fanin) or not p.weight_ok(weight) or \
                (p.max_threshold is not None and (1 << (c - 1)) > p.max_threshold):
            break
        best = m
    return best


def direct_fits(b: Builder, n: int, m: int) -> bool:
    """Can the ``direct`` style build an n x m product under the profile (weights 2^(n+m-2))?"""
    p = b.profile
    return n + m <= 12 and p.weight_ok(1 << (n + m - 2)) and (p.max_fanin is None or p.max_fanin >= n * m)


def _direct(b: Builder, cols) -> list[int]:
    """Each product bit from the partial products in two layers (depth 2 after the ANDs).

    Bit k of the product is bit k of ``S_k``, the weighted sum of the columns up to k; it is
    1 on the intervals [a, a + 2^k) with a = 2^k mod 2^(k+1), so it is one neuron adding
    ``[S_k >= a] - [S_k >= a + 2^k]`` over those intervals.
    """
    out = []
    for k in range(len(cols)):
        terms = [(x, 1 << c) for c in range(k + 1) for x in cols[c]]
        top = sum(w for _, w in terms)
        on = 1 << k
        pairs = []
        for a in range(on, top + 1, 2 * on):
            pairs.append((b.neuron(terms, a), 1))
            if a + on <= top:
                pairs.append((b.neuron(terms, a + on), -1))
        out.append(b.neuron(pairs, 1) if pairs else CONST0)
    return out


def multiply(b: Builder, x, y, counter_style: str = "serial", arch: str = "lookahead") -> list[int]:
    """Bits of ``x * y`` (``len(x) + len(y)`` bits, LSB first).

    ``counter_style``: ``serial`` or ``parallel`` counters in a reduction tree, or ``direct``
    (each product bit from threshold neurons over all partial products: depth 3, for
    narrow operands).
    """
    width = len(x) + len(y)
    cols: list[list[int]] = [[] for _ in range(width)]
    for i, xi in enumerate(x):
        for j, yj in enumerate(y):
            cols[i + j].append(gates.and_(b, [xi, yj]))
    if counter_style == "direct":
        if not direct_fits(b, len(x), len(y)):
            raise ValueError(f"direct multiplication of {len(x)} x {len(y)} bits does not fit profile "
                             f"{b.profile.name!r} (needs weights 2^{len(x) + len(y) - 2}, at most 12 bits)")
        return _direct(b, cols)
    return sum_columns(b, cols, counter_style, arch=arch)


def sum_columns(b: Builder, cols, style: str = "serial", cap: int | None = None,
                arch: str = "lookahead") -> list[int]:
    """The sum, modulo 2^len(cols), of the literals in ``cols`` (``cols[k]`` weighs 2^k):
    stages of counters (at most ``cap`` inputs each, default the widest the profile allows)
    until every column holds two bits, then one adder. The multiplier's reduction tree, and
    any multi-operand sum (a constant multiplication is the sum of shifted copies).

    >>> from spikefp.hdl import Builder
    >>> b = Builder(); x = b.input("x", 3)
    >>> b.output("s", sum_columns(b, [[x[0], x[1], x[2]], [x[1]], [], []]))    # x0+x1+x2 + 2 x1
    >>> b.build().evaluate(x=0b111)["s"]
    5
    """
    width = len(cols)
    cap = cap or _max_counter_inputs(b, style)
    while max((len(c) for c in cols), default=0) > 2:
        new: list[list[int]] = [[] for _ in range(width)]
        for k, col in enumerate(cols):
            # Columns from low to high: new[k] already holds count bits from columns below.
            # Count this column when it would otherwise end the stage above two bits (even
            # a pair, as a half adder), so carries do not ripple up one column per stage.
            if len(col) + len(new[k]) <= 2 or len(col) < 2:
                new[k].extend(col)
                continue
            for i in range(0, len(col), cap):
                part = col[i:i + cap]
                if len(part) < 2:
                    new[k].extend(part)
                    continue
                for t, bit in enumerate(counter(b, part, style)):
                    if k + t < width:    # the sum is taken modulo 2^width: higher bits drop
                        new[k + t].append(bit)
        cols = new
    row0 = [c[0] if c else CONST0 for c in cols]
    row1 = [c[1] if len(c) > 1 else CONST0 for c in cols]
    return add(b, row0, row1, arch=arch)[0]
