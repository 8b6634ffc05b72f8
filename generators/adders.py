"""Adders and everything made of a carry: add, subtract, compare, increment, negate.

Two adder architectures trade neurons for depth:

* ``ripple``: one full adder per bit, 2 neurons per bit, depth n + 1.
* ``lookahead``: threshold carry-lookahead. Position ``i`` of ``x + y`` is a *digit*
  ``x_i + y_i`` in {0, 1, 2} (kill, propagate, generate), and the carry into position
  ``j`` is one neuron, ``c_j = [sum_{i<j} 2^i (x_i + y_i) + c_in >= 2^j]``. Its weights grow
  as ``2^j``, so digits are grouped into blocks of at most ``block`` digits (the largest the
  gate profile's weights allow). A block's generate ``[sum 2^i d_i >= 2^k]`` and
  propagate ``[sum 2^i d_i >= 2^k - 1]`` neurons form the digit ``G + P`` of the level
  above, and the same construction recurses. Sum bits are
  ``[x_i + y_i + c_i - 2 c_{i+1} >= 1]``. Depth 2 + 2 x (levels of blocks): 4 for a
  24-bit adder under the ``loihi`` profile.

Executable specifications are the ``spec_*`` functions on Python integers.

>>> from spikefp.hdl import Builder
>>> b = Builder("loihi"); x = b.input("x", 24); y = b.input("y", 24)
>>> s, c = add(b, x, y); b.output("s", s); b.output("c", [c])
>>> b.build().stats()["depth"]
4
"""

from __future__ import annotations

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder

__all__ = ["ARCHS", "add", "ripple_add", "lookahead_add", "carries", "digit_sums", "sub", "ge", "eq",
           "increment", "negate"]

ARCHS = ("lookahead", "ripple")


def _block(b: Builder, block: int | None, repeats: bool = False) -> int:
    """Largest usable block: weights 2^(k-1), threshold 2^k, fan-in 2k + 1 must fit the profile.

    With ``repeats`` (a literal appears in several digits, e.g. a sign extension), the
    builder merges its weights, up to 2^(k+1) - 1 in all: the block is chosen for that sum.
    """
    p = b.profile
    k = p.max_block_bits()
    if repeats and p.max_weight is not None:
        k = (p.max_weight + 1).bit_length() - 2
    if p.max_fanin is not None:
        k = min(k, (p.max_fanin - 1) // 2)
    if p.max_threshold is not None:
        k = min(k, p.max_threshold.bit_length() - 1)
    if block is not None:
        if block < 1:
            raise ValueError(f"lookahead block must be >= 1, got {block}")
        k = min(k, block)
    return max(k, 1)


def carries(b: Builder, digits, cin: int = CONST0, block: int | None = None) -> list[int]:
    """Carries into every digit position, ``[c_0 = cin, c_1, ..., c_m = carry out]``.

    ``digits`` is a list of literal pairs ``(u, v)`` whose sum is the digit (0, 1 or 2).
    """
    lits = [~x if x < 0 else x for d in digits for x in d + (cin,) if x not in (CONST0, CONST1)]
    k = _block(b, block, repeats=len(set(lits)) < len(lits))
    m = len(digits)

    def local(ds, c0):
        out = [c0]
        for j in range(1, len(ds) + 1):
            terms = [(lit, 1 << i) for i, d in enumerate(ds[:j]) for lit in d]
            out.append(b.neuron(terms + [(c0, 1)], 1 << j))
        return out

    if m <= k:
        return local(digits, cin)
    nblocks = -(-m // k)
    size = -(-m // nblocks)                    # balanced blocks keep weights small
    blocks = [digits[i:i + size] for i in range(0, m, size)]
    upper = []
    for ds in blocks:
        terms = [(lit, 1 << i) for i, d in enumerate(ds) for lit in d]
        upper.append((b.neuron(terms, 1 << len(ds)), b.neuron(terms, (1 << len(ds)) - 1)))
    block_c = carries(b, upper, cin, block)
    out = []
    for ds, c0 in zip(blocks, block_c):
        out.extend(local(ds, c0)[:-1])
    out.append(block_c[-1])
    return out


def digit_sums(b: Builder, digits, c) -> list[int]:
    """Sum bits of digits (tuples of literals, as for `carries`) with their carries ``c``.

    ``c[i+1]`` is the true carry out of position i, so bit i is the digit plus ``c[i]``
    modulo 2, one neuron: ``[sum(digit) + c_i - 2 c_(i+1) >= 1]``.
    """
    return [b.neuron([(x, 1) for x in d] + [(c[i], 1), (c[i + 1], -2)], 1) for i, d in enumerate(digits)]


def lookahead_add(b: Builder, x, y, cin: int = CONST0, block: int | None = None):
    """``(sum bits, carry out)`` of ``x + y + cin`` with the threshold carry-lookahead."""
    _same_width(x, y)
    digits = list(zip(x, y))
    c = carries(b, digits, cin, block)
    return digit_sums(b, digits, c), c[-1]


def ripple_add(b: Builder, x, y, cin: int = CONST0):
    """``(sum bits, carry out)`` with one 2-neuron full adder per bit."""
    _same_width(x, y)
    s, c = [], cin
    for xi, yi in zip(x, y):
        si, c = gates.full_adder(b, xi, yi, c)
        s.append(si)
    return s, c


def add(b: Builder, x, y, cin: int = CONST0, arch: str = "lookahead", block: int | None = None):
    """``(sum bits, carry out)`` of ``x + y + cin``; ``arch`` is ``lookahead`` or ``ripple``."""
    if arch == "lookahead":
        return lookahead_add(b, x, y, cin, block)
    if arch == "ripple":
        return ripple_add(b, x, y, cin)
    raise ValueError(f"unknown adder architecture {arch!r}; choose from {', '.join(ARCHS)}")


def sub(b: Builder, x, y, arch: str = "lookahead", block: int | None = None):
    """``(difference bits mod 2^n, borrow)`` of ``x - y``; borrow is 1 when ``x < y``."""
    d, c = add(b, x, [~v for v in y], CONST1, arch, block)
    return d, ~c


def ge(b: Builder, x, y, block: int | None = None) -> int:
    """Unsigned ``x >= y``: the carry out of ``x + ~y + 1`` (only the carry network)."""
    _same_width(x, y)
    return carries(b, [(xi, ~yi) for xi, yi in zip(x, y)], CONST1, block)[-1]


def eq(b: Builder, x, y) -> int:
    """``x == y``: per block ``x >= y`` and ``x <= y`` as single weighted neurons, then AND."""
    _same_width(x, y)
    k = _block(b, None)
    parts = []
    for i in range(0, len(x), k):
        terms = [(xi, 1 << j) for j, xi in enumerate(x[i:i + k])]
        terms += [(yi, -(1 << j)) for j, yi in enumerate(y[i:i + k])]
        parts.append(b.neuron(terms, 0))                               # x_B >= y_B
        parts.append(b.neuron([(v, -w) for v, w in terms], 0))         # x_B <= y_B
    return gates.and_(b, parts)


def increment(b: Builder, x, cin: int = CONST1):
    """``(bits, carry out)`` of ``x + cin``: carries are ANDs of the bits below, depth 2."""
    c = [cin]
    for i in range(len(x)):
        c.append(gates.and_(b, list(x[:i + 1]) + [cin]))
    s = [b.neuron([(x[i], 1), (c[i], 1), (c[i + 1], -2)], 1) for i in range(len(x))]
    return s, c[-1]


def negate(b: Builder, x) -> list[int]:
    """Two's complement ``-x mod 2^n`` = ``~x + 1``: complements are free, so an increment."""
    return increment(b, [~v for v in x])[0]


def _same_width(x, y) -> None:
    if len(x) != len(y):
        raise ValueError(f"operands have different widths ({len(x)} and {len(y)})")
