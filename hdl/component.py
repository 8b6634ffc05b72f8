"""A floating-point unit as a parameterized Amaranth component: ``FPUnit("fp32.add", pipeline=2)``.

`FPUnit` is an ``amaranth.lib.wiring.Component`` built from the unit registry
(`spikefp.generators.units.unit`): the same names, rounding modes and parameters as
``spikefp.unit``. Float ports are ``amaranth.lib.data`` views of `float_layout` (fields
``mantissa exponent sign``, least significant first), integer ports (``i32``-style conversion
operands and results, comparison bits, classify masks) are plain unsigned values, ``rm`` is a
3-bit input when ``dynamic=True``, and ``flags`` is a view of `FLAGS_LAYOUT` with named ``nx uf
of dz nv`` fields (bit 0 = nx ... bit 4 = nv, the bit order of the netlist's flags port). With
``pipeline=N`` the unit registers N times (latency N cycles, one result per cycle) in the
``sync`` domain, so ``clk`` and ``rst`` come from the enclosing design.
The circuit underneath is `spikefp.hdl.elaborate.NetlistComponent` on the unit's netlist;
this class only names the bits.

>>> from amaranth.sim import Simulator
>>> from spikefp.hdl import FPUnit
>>> add = FPUnit("fp16.add", rm="rtz")
>>> add.signature.members["a"]
In(StructLayout({'mantissa': 10, 'exponent': 5, 'sign': 1}))
>>> async def bench(ctx):
...     ctx.set(add.a, {"exponent": 15})                 # 1.0
...     ctx.set(add.b, add.a.shape().from_bits(0x1000))  # 2^-11: half an ulp of 1.0
...     await ctx.delay(1e-9)
...     y = ctx.get(add.y)
...     print(y.sign, y.exponent, y.mantissa, ctx.get(add.flags.nx))
>>> sim = Simulator(add)
>>> sim.add_testbench(bench)
>>> sim.run()                                            # 1.0, inexact
0 15 0 1
"""

from __future__ import annotations

from amaranth import Module, Value, unsigned
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In, Out

from ..generators.fpformat import FPFormat
from ..generators.units import unit
from .elaborate import NetlistComponent

__all__ = ["FPUnit", "FLAGS_LAYOUT", "float_layout"]

# The flags port's bit order (NV DZ OF UF NX = 0x10 0x08 0x04 0x02 0x01), least significant first.
FLAGS_LAYOUT = data.StructLayout({"nx": 1, "uf": 1, "of": 1, "dz": 1, "nv": 1})


def float_layout(fmt: FPFormat) -> data.StructLayout:
    """The bit fields of a value of ``fmt``, least significant first.

    >>> from spikefp.generators.fpformat import get_format
    >>> float_layout(get_format("bf16"))
    StructLayout({'mantissa': 7, 'exponent': 8, 'sign': 1})
    """
    return data.StructLayout({"mantissa": fmt.M, "exponent": fmt.E, "sign": 1})


def _port_shape(fmt, width: int):
    """A float format's layout, or an unsigned value for integer formats and non-float results."""
    return float_layout(fmt) if isinstance(fmt, FPFormat) and fmt.width == width else unsigned(width)


class FPUnit(wiring.Component):
    """One unit of the registry as an Amaranth component; see the module docstring.

    ``name``, ``rm``, ``dynamic``, ``profile`` and ``**params`` are those of
    ``spikefp.unit`` (bad ones raise its ValueError); ``pipeline`` is the number of register
    stages, 0 (combinational) up to the unit's depth.
    """

    def __init__(self, name: str, rm: str = "rne", dynamic: bool = False, pipeline: int = 0,
                 profile: str = "default", **params):
        try:
            u = unit(name, rm=rm, dynamic=dynamic, profile=profile, **params)
            if isinstance(pipeline, bool) or not isinstance(pipeline, int) or pipeline < 0:
                raise ValueError(f"pipeline must be an integer >= 0, got {pipeline!r}")
            depth = u.netlist.stats()["depth"]
            if pipeline > depth:    # more stages than levels would only add empty registers
                raise ValueError(f"{u.name}: pipeline must be between 0 and the unit's depth {depth}, "
                                 f"got {pipeline}")
        except ValueError:
            self._MustUse__silence = True    # a component that failed to construct is not "unused"
            raise
        self.unit = u
        self.pipeline = pipeline
        members = {x: In(_port_shape(u.fmt, u.operand_bits)) for x in u.operands}
        if u.dynamic:
            members["rm"] = In(unsigned(3))
        members["y"] = Out(_port_shape(u.target or u.fmt, u.result_bits))
        members["flags"] = Out(FLAGS_LAYOUT)
        super().__init__(members)

    @property
    def latency(self) -> int:
        """Cycles from operands to result (the number of register stages)."""
        return self.pipeline

    def elaborate(self, platform):
        m = Module()
        m.submodules.netlist = core = NetlistComponent(self.unit.netlist, self.pipeline)
        for name in self.unit.operands + (["rm"] if self.unit.dynamic else []):
            m.d.comb += getattr(core, name).eq(Value.cast(getattr(self, name)))
        for name in ("y", "flags"):
            m.d.comb += Value.cast(getattr(self, name)).eq(getattr(core, name))
        return m
