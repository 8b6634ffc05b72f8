"""`spikefp synth`: a unit's iCE40 resources, whether it fits, and its Fmax after place-and-route.

Two runs of the flow (`spikefp.fpga.flow`). The unit alone through Yosys gives its cells
(LUT4, carries, flip-flops, RAM, DSP): the figures to compare with other FPUs. The unit behind
registered I/O then goes through nextpnr, so the timing is from register to register: operands
shift in on one pin into a register chain that drives the unit's inputs, the outputs are
captured in a register layer, and a second chain shifts them out (pins: clk, sin, load, sout).
That wrapper adds one flip-flop per operand bit and a flip-flop pair plus one LUT4 per output
bit; `SynthReport.placed_cells` counts the whole placed design.

A unit whose cells exceed the device is reported as not fitting without running nextpnr.

>>> from spikefp.generators.units import unit
>>> r = synth(unit("fp8e4m3.add"), "ice40-up5k")
>>> r.fits, r.luts < 250, r.fmax_mhz > 10
(True, True, True)
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..hdl import rtl
from ..hdl.progress import phase
from .devices import Device, device as get_device
from .flow import FlowError, overflow, place_and_route, synthesize

__all__ = ["SynthReport", "synth", "registered_io_wrapper"]

TOP = "spikefp_synth_top"


@dataclass(frozen=True)
class SynthReport:
    unit: str
    device: str
    backend: str
    pipeline: int
    neurons: int
    luts: int                    # the unit alone, after synthesis
    carries: int
    ffs: int
    brams: int
    dsps: int
    fits: bool
    fmax_mhz: float | None       # register to register through the unit; None when it does not fit
    placed_cells: int | None     # logic cells of the placed design, wrapper included
    device_cells: int
    reason: str                  # why it does not fit ("" when it does)
    seconds: float

    @property
    def luts_per_neuron(self) -> float:
        return self.luts / self.neurons if self.neurons else 0.0

    def as_dict(self) -> dict:
        d = dict(asdict(self), luts_per_neuron=round(self.luts_per_neuron, 3), seconds=round(self.seconds, 1))
        if self.fmax_mhz is not None:
            d["fmax_mhz"] = round(self.fmax_mhz, 2)
        return d

    def __str__(self) -> str:
        head = (f"{self.unit} on {self.device} ({self.backend} Verilog, pipeline {self.pipeline}): "
                f"{self.luts:,} LUT4 + {self.carries:,} carries, {self.ffs:,} FF, {self.brams} RAM, {self.dsps} DSP "
                f"({self.luts_per_neuron:.2f} LUT4 per neuron, {self.neurons:,} neurons)")
        if not self.fits:
            return f"{head}\ndoes not fit: {self.reason}"
        return (f"{head}\nfits: {self.placed_cells:,} of {self.device_cells:,} logic cells with registered I/O; "
                f"Fmax {self.fmax_mhz:.1f} MHz")


def registered_io_wrapper(unit, pipeline: int = 0) -> str:
    """Verilog of `TOP`: the unit between an input shift chain and an output register + shift chain."""
    nl = unit.netlist
    module = rtl.module_name(unit, pipeline)
    n_in = sum(nl.inputs.values())
    n_out = sum(len(bits) for bits in nl.outputs.values())
    conns, at = [], 0
    for port, width in nl.inputs.items():
        conns.append(f".{port}(sin_q[{at + width - 1}:{at}])")
        at += width
    at = 0
    for port, bits in nl.outputs.items():
        conns.append(f".{port}(y[{at + len(bits) - 1}:{at}])")
        at += len(bits)
    if pipeline:
        conns = [".clk(clk)", ".rst(1'b0)"] + conns
    chain_in = f"{{sin_q[{n_in - 2}:0], sin}}" if n_in > 1 else "sin"
    chain_out = f"{{sout_q[{n_out - 2}:0], 1'b0}}" if n_out > 1 else "1'b0"
    return "\n".join([
        f"// Registered I/O around {module} for place-and-route timing (spikefp.fpga.synth).",
        f"module {TOP}(input wire clk, input wire sin, input wire load, output wire sout);",
        f"  reg [{n_in - 1}:0] sin_q = 0;",
        f"  wire [{n_out - 1}:0] y;",
        f"  reg [{n_out - 1}:0] y_q = 0;",
        f"  reg [{n_out - 1}:0] sout_q = 0;",
        f"  {module} unit({', '.join(conns)});",
        "  always @(posedge clk) begin",
        f"    sin_q <= {chain_in};",
        "    y_q <= y;",
        f"    sout_q <= load ? y_q : {chain_out};",
        "  end",
        f"  assign sout = sout_q[{n_out - 1}];",
        "endmodule", ""])


def synth(unit, target: str = "ice40-hx8k", pipeline: int = 0, backend: str = "lut",
          workdir=None, freq_mhz: float = 12) -> SynthReport:
    """Synthesize ``unit`` (``backend``'s Verilog, ``pipeline`` stages) for ``target`` and, when it
    fits, place and route it behind registered I/O; see the module docstring."""
    dev = target if isinstance(target, Device) else get_device(target)
    if backend not in rtl.BACKENDS:
        raise ValueError(f"unknown Verilog back-end {backend!r}; choose from {', '.join(rtl.BACKENDS)}")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="spikefp-synth-") as tmp:
        wd = Path(workdir) if workdir is not None else Path(tmp)
        text, manifest = rtl.generate(unit, pipeline, backend)
        source = {f"{manifest['module']}.v": text}
        with phase(f"yosys synth_ice40 {manifest['module']}"):
            alone = synthesize(source, manifest["module"], wd / "unit")
        over = overflow(alone, dev)
        fits, fmax, cells = not over, None, None
        if fits:
            try:
                with phase(f"yosys + nextpnr-ice40 {manifest['module']} with registered I/O on {target}"):
                    wrapped = synthesize(dict(source, **{f"{TOP}.v": registered_io_wrapper(unit, pipeline)}),
                                         TOP, wd / "placed")
                    placed = place_and_route(wrapped.json_path, dev, wd / "placed", freq_mhz=freq_mhz)
                fmax, cells = placed.fmax_mhz, placed.logic_cells
            except FlowError as e:
                # The unit alone fits, but with the wrapper it cannot be placed (cells or routing).
                if not e.unplaceable:
                    raise
                fits, over = False, [f"nextpnr could not place and route it: {e}"]
    stats = unit.netlist.stats()
    return SynthReport(unit.name, dev.name, backend, pipeline, stats["neurons"], alone.luts, alone.carries,
                       alone.ffs, alone.brams, alone.dsps, fits, fmax, cells, dev.luts, "; ".join(over),
                       time.perf_counter() - t0)
