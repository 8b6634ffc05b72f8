"""Amaranth elaboration of a netlist: every neuron becomes ``y = (sum(w * x) >= theta)``.

`NetlistComponent` is an ``amaranth.lib.wiring.Component`` whose Signature has one ``In``
member per input port and one ``Out`` member per output port of the netlist, so a unit can
be instantiated and connected inside any Amaranth design. With ``pipeline=N`` the neurons
are cut at balanced level boundaries into N stages with a register layer after each
(``clk`` and ``rst`` appear; latency N cycles, one result per cycle): a pipeline stage is a
group of neuron timesteps. No logic is re-derived here: the netlist is the circuit.

>>> from amaranth.back import verilog
>>> from spikefp.generators import BLOCKS
>>> c = NetlistComponent(BLOCKS["add"].build(4))
>>> "module top" in verilog.convert(c, name="top")
True
"""

from __future__ import annotations

from math import ceil

from amaranth import Const, Module, Mux, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from .netlist import Netlist

__all__ = ["NetlistComponent", "stage_of_levels"]


def stage_of_levels(depth: int, pipeline: int) -> list[int]:
    """Stage (1..pipeline) of each level 0..depth; level 0 (inputs) is stage 0."""
    return [0] + [max(1, ceil(level * pipeline / depth)) for level in range(1, depth + 1)]


class NetlistComponent(wiring.Component):
    """The netlist as an Amaranth component; see the module docstring."""

    def __init__(self, netlist: Netlist, pipeline: int = 0):
        if pipeline < 0:
            raise ValueError(f"pipeline must be >= 0, got {pipeline}")
        netlist.validate()
        self.netlist = netlist
        self.pipeline = pipeline
        members = {name: In(width) for name, width in netlist.inputs.items()}
        members.update({name: Out(len(bits)) for name, bits in netlist.outputs.items()})
        super().__init__(wiring.Signature(members))

    @property
    def latency(self) -> int:
        return self.pipeline

    def elaborate(self, platform):
        m = Module()
        nl = self.netlist
        n_stage = self.pipeline
        levels = nl.levels
        stage = stage_of_levels(max(max(levels, default=0), 1), n_stage) if n_stage else None
        value = [None] * nl.node_count
        value[0], value[1] = Const(0, 1), Const(1, 1)
        node = 2
        for name, width in nl.inputs.items():
            port = getattr(self, name)
            for j in range(width):
                value[node + j] = port[j]
            node += width
        delayed: dict[tuple[int, int], object] = {}

        def at(i: int, flops: int):
            """Node ``i`` after ``flops`` register stages (a shared chain per node)."""
            if i < 2 or flops <= 0:
                return value[i]
            key = (i, flops)
            if key not in delayed:
                r = Signal(name=f"n{i}_d{flops}")
                m.d.sync += r.eq(at(i, flops - 1))
                delayed[key] = r
            return delayed[key]

        def node_stage(i: int) -> int:
            return stage[levels[i]] if i >= nl.first_neuron else 0

        for k, neu in enumerate(nl.neurons):
            i = nl.first_neuron + k
            s = Signal(name=f"n{i}")
            here = node_stage(i) if n_stage else 0
            terms = []
            for x, w in zip(neu.inputs, neu.weights):
                v = at(x, here - max(node_stage(x), 1)) if n_stage and x >= 2 else value[x]
                terms.append(v if w == 1 else Mux(v, w, 0))
            total = sum(terms[1:], terms[0]) if terms else Const(0, 1)
            m.d.comb += s.eq(total >= neu.threshold)
            value[i] = s
        for name, bits in nl.outputs.items():
            port = getattr(self, name)
            for j, i in enumerate(bits):
                # A node of stage s has passed s - 1 register layers (inputs: none); outputs pass N.
                src = at(i, n_stage + 1 - max(node_stage(i), 1)) if n_stage else value[i]
                m.d.comb += port[j].eq(src)
        return m
