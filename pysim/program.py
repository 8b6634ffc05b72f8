"""Compile one threshold gate into a short program of bitwise operations.

The exact engine evaluates 64 test vectors per machine word, so a neuron must become
word-wide Boolean operations. `threshold_program` does this exactly:

1. negative weights become positive weights on complemented inputs (``w*x = w - w*(~x)``),
   so the gate is monotone in every literal;
2. the weighted literals, largest weight first, become an ordered binary decision
   diagram of ``[sum >= t]`` memoized on the residual threshold; each node of a monotone
   diagram is ``lo | (x & hi)``.

Long runs of equal weights make decision diagrams quadratic; the engine replaces such a
run by the bits of its population count first (`popcount_program`, a carry-save tree of
word-wide full adders, ~5 operations per input), shared by every neuron that reads the
same inputs.

Operations are tuples ``(op, dst, a, b)`` over registers; registers ``0..n-1`` hold the
inputs in the order of ``weights``. The result register is returned with the program;
``ZERO``/``ONE`` stand for constant results.

>>> ops, result = threshold_program((1, 1), 2)       # AND
>>> ops, result
([('and', 2, 0, 1)], 2)
"""

from __future__ import annotations

import sys

__all__ = ["ZERO", "ONE", "threshold_program", "popcount_program", "run_program"]

ZERO, ONE = -1, -2
_CANON_LIMIT = 1 << 16  # canonicalize residual thresholds through subset sums up to this total


def threshold_program(weights, threshold):
    """Program computing ``[sum(w_i * x_i) >= threshold]`` on registers ``0..n-1``."""
    n = len(weights)
    ops: list[tuple] = []
    nreg = [n]

    def new():
        nreg[0] += 1
        return nreg[0] - 1

    def emit(op, a, b=None):
        d = new()
        ops.append((op, d, a, b))
        return d

    t = threshold
    lits = []   # (weight > 0, register)
    for r, w in enumerate(weights):
        if w < 0:
            t -= w
            lits.append((-w, emit("not", r)))
        elif w > 0:
            lits.append((w, r))

    vars_ = sorted(lits, key=lambda v: -v[0])

    # ordered decision diagram of [sum >= t], monotone in every variable
    ws = [w for w, _ in vars_]
    suffix = [0] * (len(ws) + 1)
    for i in range(len(ws) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + ws[i]
    reach = [None] * (len(ws) + 1)   # subset sums of ws[i:] as a bit mask, when small
    if suffix[0] <= _CANON_LIMIT:
        mask = 1
        reach[len(ws)] = mask
        for i in range(len(ws) - 1, -1, -1):
            mask |= mask << ws[i]
            reach[i] = mask
    memo: dict[tuple[int, int], int] = {}

    def node(i, t):
        if t <= 0:
            return ONE
        if t > suffix[i]:
            return ZERO
        if reach[i] is not None:          # the smallest reachable sum >= t decides the same
            m = reach[i] >> t
            t += (m & -m).bit_length() - 1
        key = (i, t)
        if key in memo:
            return memo[key]
        x = vars_[i][1]
        hi, lo = node(i + 1, t - ws[i]), node(i + 1, t)
        if hi == lo:
            r = hi
        elif lo == ZERO:
            r = x if hi == ONE else emit("and", x, hi)
        elif hi == ONE:
            r = emit("or", x, lo)
        else:
            r = emit("or", emit("and", x, hi), lo)
        memo[key] = r
        return r

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * len(ws) + 100))
    try:
        return ops, node(0, t)
    finally:
        sys.setrecursionlimit(limit)


def popcount_program(m):
    """Program whose result registers are the bits (LSB first) of the count of set registers 0..m-1."""
    ops: list[tuple] = []
    nreg = [m]

    def emit(op, a, b=None):
        ops.append((op, nreg[0], a, b))
        nreg[0] += 1
        return nreg[0] - 1

    return ops, _popcount(list(range(m)), emit)


def _popcount(regs, emit):
    """Bits (LSB first) of the number of set registers, by a carry-save tree of full adders."""
    cols = [list(regs)]
    out = []
    j = 0
    while j < len(cols):
        col = cols[j]
        while len(col) >= 2:
            if len(col) >= 3:
                a, b, c = col.pop(0), col.pop(0), col.pop(0)
                ab = emit("xor", a, b)
                s = emit("xor", ab, c)
                carry = emit("or", emit("and", a, b), emit("and", c, ab))
            else:
                a, b = col.pop(0), col.pop(0)
                s, carry = emit("xor", a, b), emit("and", a, b)
            col.append(s)
            if j + 1 == len(cols):
                cols.append([])
            cols[j + 1].append(carry)
        out.append(col[0])   # a column exists only once a carry reached it
        j += 1
    return out


def run_program(ops, result, inputs, ones):
    """Reference interpreter on Python ints (used by tests): ``ones`` is the all-ones word."""
    regs = dict(enumerate(inputs))
    for op, d, a, b in ops:
        if op == "not":
            regs[d] = ~regs[a] & ones
        elif op == "and":
            regs[d] = regs[a] & regs[b]
        elif op == "or":
            regs[d] = regs[a] | regs[b]
        elif op == "xor":
            regs[d] = regs[a] ^ regs[b]
    if result == ZERO:
        return 0
    if result == ONE:
        return ones
    return regs[result]
