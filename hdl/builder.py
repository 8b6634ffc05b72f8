"""Builder: how generators create netlists.

Signals are *literals*: a node id ``n >= 0`` or its complement ``~n`` (a negative int).
Complements cost nothing inside the circuit: a neuron that reads ``~x`` with weight ``w``
reads ``x`` with weight ``-w`` and a threshold lowered by ``w``. ``CONST0`` is node 0, so
``CONST1`` is ``~0``.

`Builder.neuron` canonicalizes every gate before creating it:

* constant inputs are folded into the threshold, repeated inputs merged, zero weights dropped;
* a gate that is constant, or equal to one of its inputs or that input's complement, is not built;
* weights and threshold are divided by their gcd, and a gate and its complement share one
  neuron (``[w.x >= t]`` is the complement of ``[-w.x >= 1 - t]``);
* structurally identical gates are built once (structural hashing).

`Builder.build` keeps only neurons that reach an output and numbers nodes as `Netlist` expects.

>>> from spikefp.hdl import Builder
>>> b = Builder()
>>> a, c = b.input("a", 1)[0], b.input("b", 1)[0]
>>> b.output("y", [b.neuron([(a, 1), (c, 1)], 2)])         # AND
>>> b.output("n", [~b.neuron([(a, 1), (c, 1)], 2)])        # NAND: the same gate, complemented
>>> b.build().stats()["neurons"]                            # AND + its complement neuron
2
"""

from __future__ import annotations

from math import gcd

from .netlist import Netlist, NetlistError, Neuron
from .profile import Profile, get_profile

__all__ = ["Builder", "CONST0", "CONST1"]

CONST0 = 0
CONST1 = ~0


class Builder:
    """Accumulates ports and neurons; see the module docstring."""

    def __init__(self, profile: str | Profile = "default", name: str = ""):
        self.profile = get_profile(profile)
        self.name = name
        self._inputs: dict[str, list[int]] = {}
        self._outputs: dict[str, list[int]] = {}
        self._gates: list[tuple[tuple[int, ...], tuple[int, ...], int] | None] = [None]  # node 0 = const 0
        self._hash: dict[tuple, int] = {}

    # -- ports -------------------------------------------------------------------------
    def input(self, name: str, width: int) -> list[int]:
        """Declare an input port; returns its bit literals, LSB first."""
        if name in self._inputs or name in self._outputs:
            raise ValueError(f"port {name!r} is declared twice")
        if not 1 <= width <= 64:
            raise ValueError(f"input {name!r}: width {width} is out of range 1..64")
        bits = []
        for _ in range(width):
            bits.append(len(self._gates))
            self._gates.append(None)
        self._inputs[name] = bits
        return list(bits)

    def output(self, name: str, bits) -> None:
        """Declare an output port driven by the given literals (LSB first)."""
        bits = [int(x) for x in bits]
        if name in self._inputs or name in self._outputs:
            raise ValueError(f"port {name!r} is declared twice")
        if not 1 <= len(bits) <= 64:
            raise ValueError(f"output {name!r}: width {len(bits)} is out of range 1..64")
        for x in bits:
            self._check_literal(x)
        self._outputs[name] = bits

    def _check_literal(self, x: int) -> None:
        n = ~x if x < 0 else x
        if n >= len(self._gates):
            raise ValueError(f"literal {x} names node {n}, which does not exist")

    # -- neurons -----------------------------------------------------------------------
    @property
    def neuron_count(self) -> int:
        """Neurons created so far (before dead-neuron elimination in `build`)."""
        return len(self._hash)

    def neuron(self, terms, threshold: int) -> int:
        """The literal of ``[sum(w * x for x, w in terms) >= threshold]``, built once."""
        acc: dict[int, int] = {}
        t = int(threshold)
        for x, w in terms:
            w = int(w)
            if not w:
                continue
            if x < 0:            # w * (1 - n) = w - w * n
                x, t, w = ~x, t - w, -w
            if x == CONST0:
                continue
            acc[x] = acc.get(x, 0) + w
        items = sorted((x, w) for x, w in acc.items() if w)
        lo = sum(w for _, w in items if w < 0)
        hi = sum(w for _, w in items if w > 0)
        if t <= lo:
            return CONST1
        if t > hi:
            return CONST0
        if len(items) == 1:      # the gate is its input or the input's complement
            x, w = items[0]
            return x if w > 0 else ~x
        nodes = tuple(x for x, _ in items)
        weights = tuple(w for _, w in items)
        g = 0
        for w in weights:
            g = gcd(g, w)
        if g > 1:                # [g*v >= t]  <=>  [v >= ceil(t / g)]
            weights = tuple(w // g for w in weights)
            t = -((-t) // g)
        # A gate and its complement share one neuron: pick the polarity whose first weight is positive.
        flip = weights[0] < 0
        if flip:
            weights, t = tuple(-w for w in weights), 1 - t
        key = (nodes, weights, t)
        node = self._hash.get(key)
        if node is None:
            self._check_profile(nodes, weights, t)
            node = len(self._gates)
            self._gates.append(key)
            self._hash[key] = node
        return ~node if flip else node

    def and_terms(self, x: int) -> list[int] | None:
        """The literals whose AND literal ``x`` is, when ``x`` is such a gate (else None).

        A gate with unit weights is an AND of literals when its threshold counts all its
        positive inputs, and an OR when it needs just one: its complement is then an AND.
        Used to flatten AND-of-AND (and OR-of-OR) into one neuron.
        """
        g = self._gates[~x if x < 0 else x]
        if g is None or any(abs(w) != 1 for w in g[1]):
            return None
        lits = [n if w > 0 else ~n for n, w in zip(g[0], g[1])]
        pos = sum(1 for w in g[1] if w > 0)
        if x >= 0 and g[2] == pos:
            return lits
        if x < 0 and g[2] == 1 - (len(lits) - pos):
            return [~v for v in lits]
        return None

    def _check_profile(self, nodes, weights, t) -> None:
        p = self.profile
        if p.max_fanin is not None and len(nodes) > p.max_fanin:
            raise NetlistError(f"gate with fan-in {len(nodes)} exceeds profile {p.name!r} "
                               f"max_fanin {p.max_fanin} (generator bug: it must split the gate)")
        big = max(abs(w) for w in weights)
        if not p.weight_ok(big):
            raise NetlistError(f"gate with weight {big} exceeds profile {p.name!r} max_weight "
                               f"{p.max_weight} (generator bug: it must pick a narrower construction)")
        if p.max_threshold is not None and abs(t) > p.max_threshold:
            raise NetlistError(f"gate with threshold {t} exceeds profile {p.name!r} max_threshold "
                               f"{p.max_threshold}")

    # -- finishing ---------------------------------------------------------------------
    def build(self) -> Netlist:
        """Number the live nodes (constants, inputs, then neurons in creation order)."""
        gates = self._gates
        n = len(gates)
        # A complemented output bit needs its own neuron: the complement of a gate
        # (one neuron, same fan-in) or a NOT of an input port bit.
        extra: dict[int, tuple] = {}
        for bits in self._outputs.values():
            for x in bits:
                if x < 0 and ~x != CONST0 and ~x not in extra:
                    g = gates[~x]
                    if g is None:    # an input port bit
                        extra[~x] = ((~x,), (-1,), 0)
                    else:
                        extra[~x] = (g[0], tuple(-w for w in g[1]), 1 - g[2])
        live = [False] * n
        # A complemented gate output reads the gate's inputs, not the gate itself.
        stack = [x if x >= 0 else ~x for bits in self._outputs.values() for x in bits
                 if x >= 0 or gates[~x] is None]
        stack += [i for g in extra.values() for i in g[0]]
        while stack:
            i = stack.pop()
            if not live[i]:
                live[i] = True
                if gates[i] is not None:
                    stack.extend(gates[i][0])
        new_id = {0: 0}
        nid = 2
        for bits in self._inputs.values():
            for i in bits:
                new_id[i] = nid
                nid += 1
        neurons = []
        for i in range(1, n):
            if gates[i] is not None and live[i]:
                new_id[i] = nid
                nid += 1
                neurons.append(gates[i])
        comp_id = {}
        for i, g in extra.items():
            comp_id[i] = nid
            nid += 1
            neurons.append(g)
        renum = [Neuron(tuple(new_id[i] for i in g[0]), g[1], g[2]) for g in neurons]

        def out(x):
            if x == CONST0:
                return 0
            if x == CONST1:
                return 1
            return comp_id[~x] if x < 0 else new_id[x]

        outputs = {k: [out(x) for x in bits] for k, bits in self._outputs.items()}
        inputs = {k: len(v) for k, v in self._inputs.items()}
        return Netlist(inputs, outputs, renum, self.name)
