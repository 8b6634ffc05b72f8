"""Integer blocks as stand-alone netlists, each beside its executable specification.

`BLOCKS` maps a block name to a `Block`: ``build(width, profile, **params)`` returns a
`Netlist` with named ports, and ``spec(width, **inputs)`` computes the same outputs with
Python integers. Tests, the demo and the benchmarks all go through this table.

>>> from spikefp.generators.blocks import BLOCKS
>>> net = BLOCKS["add"].build(8, "default")
>>> net.evaluate(a=200, b=100), BLOCKS["add"].spec(8, a=200, b=100)
({'s': 44, 'cout': 1}, {'s': 44, 'cout': 1})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..hdl import Builder, Netlist
from . import adders, multiplier, shifters

__all__ = ["Block", "BLOCKS", "shift_width"]


def shift_width(n: int) -> int:
    """Width of a shift amount for an n-bit shifter: enough to shift everything out."""
    return n.bit_length()


@dataclass(frozen=True)
class Block:
    name: str
    doc: str
    inputs: Callable[[int], dict[str, int]]       # width -> input port widths
    make: Callable                                 # (builder, ports, width, **params) -> outputs
    spec: Callable                                 # (width, **ints) -> dict of ints
    params: dict[str, tuple] = field(default_factory=dict)  # parameter -> allowed values (first = default)

    def build(self, width: int, profile="default", **params) -> Netlist:
        if not 1 <= width <= 64:
            raise ValueError(f"{self.name}: width {width} is out of range 1..64")
        for k, v in params.items():
            if k not in self.params:
                raise ValueError(f"{self.name}: unknown parameter {k!r} (parameters: {', '.join(self.params) or 'none'})")
            if v not in self.params[k]:
                raise ValueError(f"{self.name}: {k}={v!r} is not one of {self.params[k]}")
        b = Builder(profile, name=f"{self.name}{width}")
        ports = {name: b.input(name, w) for name, w in self.inputs(width).items()}
        for name, bits in self.make(b, ports, width, **params).items():
            b.output(name, bits)
        return b.build()


def _two(n):
    return {"a": n, "b": n}


def _one(n):
    return {"a": n}


def _shift(n):
    return {"a": n, "s": shift_width(n)}


def _m(n):
    return (1 << n) - 1


def _shr_spec(n, a, s):
    return {"y": a >> s, "sticky": int(a & ((1 << min(s, n)) - 1) != 0)}


def _shl_spec(n, a, s):
    return {"y": (a << s) & _m(n), "sticky": int((a << s) >> n != 0)}


def _lzc_spec(n, a):
    return {"z": n - a.bit_length()}


def _mul_make(b, p, n, counter="serial", arch="lookahead"):
    prod = multiplier.multiply(b, p["a"], p["b"], counter, arch)
    return {"lo": prod[:n], "hi": prod[n:]}


_ARCH = {"arch": adders.ARCHS}

BLOCKS = {blk.name: blk for blk in [
    Block("add", "a + b with carry out", _two,
          lambda b, p, n, arch="lookahead": dict(zip(("s", "cout"), _wrap(adders.add(b, p["a"], p["b"], arch=arch)))),
          lambda n, a, b: {"s": (a + b) & _m(n), "cout": (a + b) >> n}, _ARCH),
    Block("sub", "a - b with borrow (a < b)", _two,
          lambda b, p, n, arch="lookahead": dict(zip(("d", "borrow"), _wrap(adders.sub(b, p["a"], p["b"], arch=arch)))),
          lambda n, a, b: {"d": (a - b) & _m(n), "borrow": int(a < b)}, _ARCH),
    Block("ge", "unsigned a >= b", _two,
          lambda b, p, n: {"ge": [adders.ge(b, p["a"], p["b"])]},
          lambda n, a, b: {"ge": int(a >= b)}),
    Block("eq", "a == b", _two,
          lambda b, p, n: {"eq": [adders.eq(b, p["a"], p["b"])]},
          lambda n, a, b: {"eq": int(a == b)}),
    Block("inc", "a + 1 with carry out", _one,
          lambda b, p, n: dict(zip(("s", "cout"), _wrap(adders.increment(b, p["a"])))),
          lambda n, a: {"s": (a + 1) & _m(n), "cout": (a + 1) >> n}),
    Block("neg", "two's complement -a", _one,
          lambda b, p, n: {"y": adders.negate(b, p["a"])},
          lambda n, a: {"y": (-a) & _m(n)}),
    Block("shr", "a >> s with sticky (OR of the bits shifted out)", _shift,
          lambda b, p, n, radix=4: dict(zip(("y", "sticky"), _wrap(shifters.shift_right(b, p["a"], p["s"], radix)))),
          _shr_spec, {"radix": (4, 2, 8)}),
    Block("shl", "a << s with sticky (OR of the bits shifted out at the top)", _shift,
          lambda b, p, n, radix=4: dict(zip(("y", "sticky"), _wrap(shifters.shift_left(b, p["a"], p["s"], radix)))),
          _shl_spec, {"radix": (4, 2, 8)}),
    Block("lzc", "leading zeros of a", _one,
          lambda b, p, n: {"z": shifters.leading_zeros(b, p["a"])},
          _lzc_spec),
    Block("mul", "unsigned a * b as lo and hi halves", _two, _mul_make,
          lambda n, a, b: {"lo": (a * b) & _m(n), "hi": (a * b) >> n},
          {"counter": ("serial", "parallel"), "arch": adders.ARCHS}),
]}


def _wrap(pair):
    """(bits, bit) -> (bits, [bit]) so every output is a list of literals."""
    bits, bit = pair
    return bits, [bit]
