"""Barrel shifters with a sticky output, and the leading-zero counter.

Right shift, one stage per ``r = log2(radix)`` shift bits. The stage's one-hot selects
``d_v = [s-bits == v]`` are one neuron each (shared by all bits), and output bit ``i`` is

    t_v = [x_{i + v*step} + d_v >= 2]          (v = 1 .. radix-1)
    y_i = [x_i - sum_v d_v + 2 sum_v t_v >= 1]

``radix`` neurons per bit per stage: radix 2 is the 2-neuron mux, radix 4 has the same
neuron count with half the depth. The bits a stage drops are caught by one neuron per
select, ``[W d_v + sum(dropped) >= W + 1]`` (an AND of ``d_v`` with an OR), so the sticky bit
costs a handful of neurons. Shift bits worth the whole width or more clear the result
through one OR neuron.

Leading zeros: ``z_v`` = "the top v bits are all 0" (one NOR neuron each, a thermometer
code of the count); bit ``j`` of the count is one neuron adding ``z_a - z_b`` over the
intervals ``[a, b)`` where that bit is 1. ``n + log2(n)`` neurons, depth 2.

>>> from spikefp.hdl import Builder
>>> b = Builder(); x = b.input("x", 8)
>>> b.output("z", leading_zeros(b, x)); b.build().stats()["depth"]
2
"""

from __future__ import annotations

from ..hdl import gates
from ..hdl.builder import CONST0, Builder

__all__ = ["RADICES", "shift_right", "shift_left", "leading_zeros", "thermometer_to_binary"]

RADICES = (2, 4, 8)


def _decode(b: Builder, bits, v: int) -> int:
    """One-hot select: the literals ``bits`` spell ``v`` (one neuron)."""
    lits = [s if (v >> j) & 1 else ~s for j, s in enumerate(bits)]
    return gates.and_(b, lits)


def _gated_or(b: Builder, d: int, xs) -> int:
    """``d AND (OR of xs)``: one neuron when the profile allows, else an OR tree then an AND."""
    xs = list(xs)
    w = len(xs)
    p = b.profile
    if (p.max_fanin is None or w + 1 <= p.max_fanin) and p.weight_ok(w) and \
            (p.max_threshold is None or w + 1 <= p.max_threshold):
        return b.neuron([(d, w)] + [(x, 1) for x in xs], w + 1)
    return gates.and_(b, [d, gates.or_(b, xs)])


def shift_right(b: Builder, x, s, radix: int = 4, sticky: bool = True):
    """``(x >> s, sticky)``: sticky is the OR of the bits shifted out (0 when ``sticky=False``)."""
    if radix not in RADICES:
        raise ValueError(f"shifter radix must be one of {RADICES}, got {radix}")
    n = len(x)
    r = radix.bit_length() - 1
    y = list(x)
    drops = []
    low = [j for j in range(len(s)) if (1 << j) < n]
    high = s[len(low):]
    for j0 in range(0, len(low), r):
        sel = s[j0:min(j0 + r, len(low))]
        step = 1 << j0
        d = {v: _decode(b, sel, v) for v in range(1, 1 << len(sel))}
        new = []
        for i in range(n):
            terms = [(y[i], 1)]
            for v, dv in d.items():
                src = i + v * step
                terms.append((dv, -1))
                if src < n:
                    terms.append((b.neuron([(y[src], 1), (dv, 1)], 2), 2))
            new.append(b.neuron(terms, 1))
        if sticky:
            drops += [_gated_or(b, dv, y[:v * step]) for v, dv in d.items()]
        y = new
    if high:
        z = gates.or_(b, high)
        if sticky:
            drops.append(_gated_or(b, z, y))
        y = [b.neuron([(yi, 1), (z, -1)], 1) for yi in y]
    return y, (gates.or_(b, drops) if sticky else CONST0)


def shift_left(b: Builder, x, s, radix: int = 4, sticky: bool = True):
    """``(x << s mod 2^n, sticky)``: sticky is the OR of the bits shifted out at the top."""
    y, st = shift_right(b, list(reversed(x)), s, radix, sticky)
    return list(reversed(y)), st


def leading_zeros(b: Builder, x) -> list[int]:
    """Number of leading zeros of ``x`` (``n`` when x = 0), ``n.bit_length()`` bits LSB first."""
    n = len(x)
    top = list(reversed(x))          # top[v-1] is the v-th bit from the top
    fan = (b.profile.max_fanin or n + 1) - 1
    z = [None]
    for v in range(1, n + 1):
        base = (v - 1) // fan * fan  # chain through z[base] when the profile limits fan-in
        lits = [~t for t in top[base:v]] + ([z[base]] if base else [])
        z.append(gates.and_(b, lits))
    return thermometer_to_binary(b, z)


def thermometer_to_binary(b: Builder, t) -> list[int]:
    """Binary (LSB first) of the count in a thermometer code: ``t[v] = [count >= v]``, v = 1..n.

    Bit j is 1 on the count intervals [a, a + 2^j) with a = 2^j mod 2^(j+1): one neuron adding
    ``t_a - t_(a + 2^j)`` over them (each partial sum is 0 or 1, so wide codes split into an OR).
    """
    n = len(t) - 1
    fan = (b.profile.max_fanin or n + 1) - 1
    count = []
    for j in range(n.bit_length()):
        period, on = 2 << j, 1 << j
        pairs = [(t[a], t[a + on] if a + on <= n else CONST0) for a in range(on, n + 1, period)]
        per = max(1, fan // 2)
        parts = [b.neuron([u for ta, tb in pairs[i:i + per] for u in ((ta, 1), (tb, -1))], 1)
                 for i in range(0, len(pairs), per)]
        count.append(gates.or_(b, parts))
    return count
