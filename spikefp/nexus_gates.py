"""NEXUS's gate constructions as spikefp netlists, beside spikefp's own, for like-for-like studies.

NEXUS (arXiv 2601.21279) builds everything from three one-neuron gates: AND = IF_1.5(a + b),
OR = IF_0.5(a + b), NOT = IF_1.0(1.5 - x). In spikefp's integer form (a neuron fires when
``sum(w x) >= theta``; the analog boundary is ``theta - 1/2``) these are ``[a + b >= 2]``,
``[a + b >= 1]`` and ``[-x >= 0]``: the same boundaries (1.5, 0.5, and -0.5 for NOT once its
1.5 bias moves into the threshold), so every NEXUS neuron has the same margin 1/2 as ours.
Composites, written from the paper's description (no NEXUS code is used):

* XOR = (a AND NOT b) OR (NOT a AND b): 5 neurons, depth 3;
* MUX = (s AND a) OR (NOT s AND b): 4 neurons (the paper's table prints 5; its formula has 4,
  and 4 is what NEXUS's code instantiates);
* full adder: t = XOR(a, b), s = XOR(t, cin), cout = (a AND b) OR (t AND cin): 13 neurons;
* ripple adder: n full adders, 13n neurons.

spikefp's counterparts (`spikefp.hdl.gates`): full adder = 2 neurons (carry = majority,
sum = ``[a + b + cin - 2 carry >= 1]``), ripple adder 2n.

Every NEXUS neuron is one neuron of the netlist: the circuits are written as `Neuron` lists
directly, because `Builder` would fold each NOT into its reader's weights (a NOT is free
in spikefp) and so change NEXUS's count.

>>> full_adder().stats()["neurons"], spikefp_full_adder().stats()["neurons"]
(13, 2)
>>> full_adder().evaluate(a=1, b=1, cin=1)
{'s': 1, 'cout': 1}
"""

from __future__ import annotations

from .hdl import Builder, Netlist, Neuron, gates

__all__ = ["and_", "or_", "not_", "xor", "mux", "full_adder", "ripple_adder",
           "spikefp_full_adder", "spikefp_ripple_adder"]


class _Circuit:
    """Neurons appended as written: no folding, no sharing (one call, one neuron)."""

    def __init__(self, inputs: dict[str, int]):
        self.inputs = inputs
        self.neurons: list[Neuron] = []
        self.first = 2 + sum(inputs.values())
        self.ports, node = {}, 2
        for name, width in inputs.items():
            self.ports[name] = list(range(node, node + width))
            node += width

    def neuron(self, inputs, weights, threshold: int) -> int:
        self.neurons.append(Neuron(tuple(inputs), tuple(weights), threshold))
        return self.first + len(self.neurons) - 1

    # NEXUS's three primitives (integer thresholds: boundary = theta - 1/2).
    def and_(self, x: int, y: int) -> int:
        return self.neuron((x, y), (1, 1), 2)      # IF_1.5(x + y)

    def or_(self, x: int, y: int) -> int:
        return self.neuron((x, y), (1, 1), 1)      # IF_0.5(x + y)

    def not_(self, x: int) -> int:
        return self.neuron((x,), (-1,), 0)         # IF_1.0(1.5 - x)

    def xor(self, x: int, y: int) -> int:
        return self.or_(self.and_(x, self.not_(y)), self.and_(self.not_(x), y))

    def mux(self, s: int, x: int, y: int) -> int:
        return self.or_(self.and_(s, x), self.and_(self.not_(s), y))

    def full_adder(self, a: int, b: int, c: int) -> tuple[int, int]:
        t = self.xor(a, b)
        return self.xor(t, c), self.or_(self.and_(a, b), self.and_(t, c))

    def netlist(self, outputs: dict[str, list[int]], name: str) -> Netlist:
        return Netlist(self.inputs, outputs, self.neurons, name).validate()


def _gate(name: str, ports: str) -> Netlist:
    c = _Circuit({p: 1 for p in ports})
    y = getattr(c, name)(*(c.ports[p][0] for p in ports))
    return c.netlist({"y": [y]}, f"nexus_{name.rstrip('_')}")


def and_() -> Netlist:
    """NEXUS AND, ports a, b -> y (1 neuron)."""
    return _gate("and_", "ab")


def or_() -> Netlist:
    """NEXUS OR, ports a, b -> y (1 neuron)."""
    return _gate("or_", "ab")


def not_() -> Netlist:
    """NEXUS NOT, port a -> y (1 neuron)."""
    return _gate("not_", "a")


def xor() -> Netlist:
    """NEXUS XOR, ports a, b -> y (5 neurons)."""
    return _gate("xor", "ab")


def mux() -> Netlist:
    """NEXUS MUX, ports s, a, b -> y = a if s else b (4 neurons)."""
    return _gate("mux", "sab")


def full_adder() -> Netlist:
    """NEXUS full adder, ports a, b, cin -> s, cout (13 neurons)."""
    return ripple_adder(1, "nexus_full_adder")


def ripple_adder(n: int, name: str = "") -> Netlist:
    """NEXUS n-bit ripple-carry adder of full adders: a, b (n bits), cin -> s (n bits), cout; 13n neurons.

    >>> net = ripple_adder(8); net.evaluate(a=200, b=100, cin=1), net.stats()["neurons"]
    ({'s': 45, 'cout': 1}, 104)
    """
    _check_width(n)
    c = _Circuit({"a": n, "b": n, "cin": 1})
    carry, s = c.ports["cin"][0], []
    for a, b in zip(c.ports["a"], c.ports["b"]):
        bit, carry = c.full_adder(a, b, carry)
        s.append(bit)
    return c.netlist({"s": s, "cout": [carry]}, name or f"nexus_ripple_adder{n}")


def spikefp_full_adder() -> Netlist:
    """spikefp's full adder, ports a, b, cin -> s, cout (2 neurons)."""
    return spikefp_ripple_adder(1, "spikefp_full_adder")


def spikefp_ripple_adder(n: int, name: str = "") -> Netlist:
    """spikefp's n-bit ripple-carry adder: the same ports as `ripple_adder`, 2n neurons.

    >>> spikefp_ripple_adder(8).evaluate(a=200, b=100, cin=1)
    {'s': 45, 'cout': 1}
    """
    _check_width(n)
    bld = Builder(name=name or f"spikefp_ripple_adder{n}")
    a, b, carry = bld.input("a", n), bld.input("b", n), bld.input("cin", 1)[0]
    s = []
    for x, y in zip(a, b):
        bit, carry = gates.full_adder(bld, x, y, carry)
        s.append(bit)
    bld.output("s", s)
    bld.output("cout", [carry])
    return bld.build()


def _check_width(n) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 64:
        raise ValueError(f"adder width must be an integer 1..64, got {n!r}")
