"""A threshold neuron as a reduced ordered binary decision diagram (a network of 2:1 muxes).

``threshold_bdd(weights, theta)`` builds the reduced OBDD of ``[sum(w_i * x_i) >= theta]``
for non-negative weights, testing the inputs in the given order (heaviest first keeps it
small). Why: written as a sum, a neuron becomes adders and carry chains in FPGA synthesis
(~4 LUT4 per neuron); written as muxes it is plain logic that ABC maps and merges across
neurons into LUTs (~1 LUT4 per neuron, `spikefp.hdl.verilog`'s ``lut`` style).

The construction is the interval method for threshold functions: the sub-function below
level ``i`` for residual threshold ``r`` is the same for a whole interval of ``r``, so each
level keeps a list of (lo, hi, node) intervals and a new node is made only for an ``r``
outside all of them. Its executable specification is `evaluate`, checked against the sum:

>>> bdd = threshold_bdd([2, 1, 1], 2)          # 2x0 + x1 + x2 >= 2: x0 | (x1 & x2)
>>> [(n.var, n.hi, n.lo) for n in bdd.nodes], bdd.root
([(2, 'T', 'F'), (1, 0, 'F'), (0, 'T', 1)], 2)
>>> from itertools import product
>>> all(bdd.evaluate(x) == (2 * x[0] + x[1] + x[2] >= 2) for x in product((0, 1), repeat=3))
True
"""

from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple

__all__ = ["Node", "Bdd", "threshold_bdd"]

TRUE, FALSE = "T", "F"


class Node(NamedTuple):
    """Test input ``var``: ``hi`` when it is 1, ``lo`` when 0 (node indices or "T"/"F")."""
    var: int
    hi: int | str
    lo: int | str


class Bdd(NamedTuple):
    """Nodes in creation order (children before parents); ``root`` a node index or "T"/"F"."""
    nodes: list[Node]
    root: int | str

    def evaluate(self, x) -> bool:
        """The function's value on input bits ``x`` (indexable by ``Node.var``)."""
        k = self.root
        while k not in (TRUE, FALSE):
            node = self.nodes[k]
            k = node.hi if x[node.var] else node.lo
        return k == TRUE


def threshold_bdd(weights, theta: int) -> Bdd:
    """Reduced OBDD of ``[sum(w_i x_i) >= theta]``, weights >= 0, inputs tested in order."""
    if any(w < 0 for w in weights):
        raise ValueError("threshold_bdd needs non-negative weights (complement the input instead)")
    n = len(weights)
    rest = [0] * (n + 1)                      # rest[i]: the most the inputs i.. can add
    for i in range(n - 1, -1, -1):
        rest[i] = rest[i + 1] + weights[i]
    # Per level: sorted interval starts, and (lo, hi, node) for each interval.
    starts: list[list[int]] = [[] for _ in range(n + 1)]
    spans: list[list[tuple]] = [[] for _ in range(n + 1)]
    nodes: list[Node] = []
    unique: dict[Node, int] = {}
    inf = float("inf")

    def build(i: int, r: int):
        """(node, lo, hi): the sub-function of inputs i.. for residual r, the same for r in [lo, hi]."""
        if r <= 0:
            return TRUE, -inf, 0
        if r > rest[i]:
            return FALSE, rest[i] + 1, inf
        j = bisect_right(starts[i], r) - 1
        if j >= 0 and spans[i][j][1] >= r:
            lo, hi, node = spans[i][j]
            return node, lo, hi
        hi_node, hlo, hhi = build(i + 1, r - weights[i])
        lo_node, llo, lhi = build(i + 1, r)
        lo, hi = max(hlo + weights[i], llo), min(hhi + weights[i], lhi)
        if hi_node == lo_node:
            node = hi_node
        else:
            key = Node(i, hi_node, lo_node)
            node = unique.setdefault(key, len(nodes))
            if node == len(nodes):
                nodes.append(key)
        j = bisect_right(starts[i], lo)
        starts[i].insert(j, lo)
        spans[i].insert(j, (lo, hi, node))
        return node, lo, hi

    return Bdd(nodes, build(0, theta)[0])
