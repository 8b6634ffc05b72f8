"""Gate library: Boolean gates as threshold constructions.

Every function takes a `Builder` and literals and returns literal(s). Neuron counts
(pinned by tests, counted as output ports, where a complemented result is one neuron):

=================  =======  =====  ==========================================
gate               neurons  depth  construction
=================  =======  =====  ==========================================
NOT                1        1      ``[-x >= 0]`` (free inside a circuit: folded into weights)
AND/OR/NAND/NOR k  1        1      ``[sum x >= k]``, ``[sum x >= 1]`` and complements
majority, k-of-n   1        1      ``[sum x >= k]``
XOR, XNOR          2        2      ``h = [a+b >= 2]``, ``[a + b - 2h >= 1]``
MUX 2:1            2        2      ``t = [b + s >= 2]``, ``[a + 2t - s >= 1]``
half adder         2        2      carry = AND, sum = ``[a + b - 2c >= 1]``
full adder         2        2      carry = MAJ, sum = ``[a + b + c - 2carry >= 1]``
=================  =======  =====  ==========================================

A gate wider than the profile's fan-in becomes a tree of gates.

>>> from spikefp.hdl import Builder, gates
>>> b = Builder()
>>> x, y, z = (b.input(n, 1)[0] for n in "xyz")
>>> s, c = gates.full_adder(b, x, y, z)
>>> b.output("s", [s]); b.output("c", [c])
>>> b.build().stats()["neurons"]
2
"""

from __future__ import annotations

from .builder import CONST0, CONST1, Builder

__all__ = ["not_", "and_", "or_", "nand", "nor", "majority", "at_least", "xor", "xnor",
           "mux", "half_adder", "full_adder"]


def not_(b: Builder, x: int) -> int:
    return ~x


def _chunks(b: Builder, xs):
    fan = b.profile.max_fanin or len(xs)
    return [xs[i:i + fan] for i in range(0, len(xs), fan)]


def and_(b: Builder, xs) -> int:
    """AND of any number of literals (1 neuron, or a tree beyond the profile's fan-in).

    Inputs that are themselves ANDs are flattened into this neuron when the fan-in allows:
    the same function one layer shallower.
    """
    xs = list(xs)
    if not xs:
        return CONST1
    fan = b.profile.max_fanin
    flat = []
    for x in xs:
        inner = b.and_terms(x) if x not in (CONST0, CONST1) else None
        flat.extend(inner if inner is not None else [x])
    if len(flat) != len(xs) and (fan is None or len(set(flat)) <= fan):
        xs = flat
    while len(xs) > 1:
        xs = [b.neuron([(x, 1) for x in part], len(part)) for part in _chunks(b, xs)]
    return xs[0]


def or_(b: Builder, xs) -> int:
    """OR of any number of literals (1 neuron, or a tree beyond the profile's fan-in)."""
    return ~and_(b, [~x for x in xs])


def nand(b: Builder, xs) -> int:
    return ~and_(b, xs)


def nor(b: Builder, xs) -> int:
    return ~or_(b, xs)


def at_least(b: Builder, k: int, xs) -> int:
    """1 when at least ``k`` of the literals are 1 (one neuron; fan-in must fit the profile)."""
    return b.neuron([(x, 1) for x in xs], k)


def majority(b: Builder, xs) -> int:
    xs = list(xs)
    return at_least(b, len(xs) // 2 + 1, xs)


def xor(b: Builder, x: int, y: int) -> int:
    return half_adder(b, x, y)[0]


def xnor(b: Builder, x: int, y: int) -> int:
    return ~xor(b, x, y)


def mux(b: Builder, s: int, x0: int, x1: int) -> int:
    """``x1 if s else x0`` in 2 neurons."""
    t = b.neuron([(x1, 1), (s, 1)], 2)
    return b.neuron([(x0, 1), (t, 2), (s, -1)], 1)


def half_adder(b: Builder, x: int, y: int) -> tuple[int, int]:
    """Returns (sum, carry)."""
    c = b.neuron([(x, 1), (y, 1)], 2)
    return b.neuron([(x, 1), (y, 1), (c, -2)], 1), c


def full_adder(b: Builder, x: int, y: int, z: int) -> tuple[int, int]:
    """Returns (sum, carry): carry is the majority, sum = [x + y + z - 2 carry >= 1]."""
    c = b.neuron([(x, 1), (y, 1), (z, 1)], 2)
    return b.neuron([(x, 1), (y, 1), (z, 1), (c, -2)], 1), c
