"""The gate library's executable specification: every gate of `spikefp.hdl.gates` with its truth function.

``GATES`` maps a gate's name to (number of 1-bit inputs, builder function, truth function on
a tuple of bits). `gate_netlist` builds one gate as a netlist with input port ``x`` (bit i is
input i) and output ``y``; `gate_truth` is its expected ``y`` for an input word. Tests and the
demo check every gate exhaustively against these.

>>> net = gate_netlist("full adder")
>>> net.stats()["neurons"], [gate_truth("full adder", v) for v in range(8)]
(2, [0, 1, 1, 2, 1, 2, 2, 3])
"""

from __future__ import annotations

from . import gates
from .builder import Builder

__all__ = ["GATES", "gate_netlist", "gate_truth"]

GATES = {
    "NOT": (1, lambda b, x: gates.not_(b, x[0]), lambda x: 1 - x[0]),
    "AND4": (4, lambda b, x: gates.and_(b, x), lambda x: int(all(x))),
    "OR4": (4, lambda b, x: gates.or_(b, x), lambda x: int(any(x))),
    "NAND4": (4, lambda b, x: gates.nand(b, x), lambda x: 1 - int(all(x))),
    "NOR4": (4, lambda b, x: gates.nor(b, x), lambda x: 1 - int(any(x))),
    "MAJ5": (5, lambda b, x: gates.majority(b, x), lambda x: int(sum(x) >= 3)),
    "2-of-6": (6, lambda b, x: gates.at_least(b, 2, x), lambda x: int(sum(x) >= 2)),
    "XOR": (2, lambda b, x: gates.xor(b, *x), lambda x: x[0] ^ x[1]),
    "XNOR": (2, lambda b, x: gates.xnor(b, *x), lambda x: 1 - (x[0] ^ x[1])),
    "MUX": (3, lambda b, x: gates.mux(b, *x), lambda x: x[2] if x[0] else x[1]),
    "half adder": (2, lambda b, x: list(gates.half_adder(b, *x)), lambda x: (x[0] ^ x[1], x[0] & x[1])),
    "full adder": (3, lambda b, x: list(gates.full_adder(b, *x)),
                   lambda x: (x[0] ^ x[1] ^ x[2], int(sum(x) >= 2))),
}


def gate_netlist(name: str, profile="default"):
    """Netlist of one library gate: input ``x`` (its bits are the gate inputs), output ``y``."""
    n_in, make, _ = GATES[name]
    b = Builder(profile, name=name)
    x = b.input("x", n_in)
    y = make(b, x)
    b.output("y", y if isinstance(y, list) else [y])
    return b.build()


def gate_truth(name: str, v: int) -> int:
    """Expected ``y`` of a gate for input word ``v`` (bit i = input i; multi-output gates LSB first)."""
    n_in, _, f = GATES[name]
    r = f(tuple((v >> i) & 1 for i in range(n_in)))
    return sum(bit << i for i, bit in enumerate(r)) if isinstance(r, tuple) else r
