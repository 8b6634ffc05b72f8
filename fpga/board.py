"""A unit on an FPGA board behind a UART: the wrapper, the board's top module and its sources.

`UnitOverUart` receives a request over ``rx``, holds it on the unit's input ports, reads the
unit's output ports ``SETTLE + 2`` clock cycles (plus the unit's latency) after the request's
last byte and sends them back over ``tx``. The protocol is `spikefp.fpga.host.Frame`'s: the host sends every input
port of the netlist in port order (``a``, ``b``, ..., ``rm`` for a dynamic unit), each in
ceil(width / 8) bytes, most significant byte first; the board answers with every output port
(``y`` then ``flags``) the same way; 8N1 at ``divisor`` clock cycles per bit; one request at
a time. A request left unfinished for `TIMEOUT_BYTES` byte times is dropped, so a host that
lost a byte waits that long and starts again.

The unit is an `amaranth.hdl.Instance` of the module `spikefp.hdl.rtl.generate` writes (its
Verilog is one of the design's sources), so the bitstream holds exactly the Verilog that
`spikefp gen` writes, in whichever back-end style is asked for.

The unit's inputs change only when a request's bytes arrive, and its outputs are read only
``SETTLE + 2`` cycles after the last: without pipeline stages the unit's paths are multicycle
paths, which nextpnr times as one cycle, so its Fmax understates the usable clock ``SETTLE + 2``
times (`spikefp board` says so when the figure is below the board's clock).

>>> import spikefp
>>> d = design(spikefp.unit("fp8e5m2.add"), divisor=104)
>>> d.top, sorted(d.files)
('fp8e5m2_add_rne_board', ['fp8e5m2_add_rne.v', 'fp8e5m2_add_rne_board.v'])
>>> "fp8e5m2_add_rne unit" in d.files["fp8e5m2_add_rne_board.v"]
True
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from amaranth import C, Cat, ClockDomain, ClockSignal, Elaboratable, Instance, Module, ResetSignal, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ..hdl import rtl
from ..hdl.netlist import atomic_write
from ..hdl.progress import phase
from .boards import Pinout
from .devices import device as get_device
from .flow import FlowError, overflow, pack, place_and_route, synthesize
from .host import TIMEOUT_BYTES, Frame
from .uart import UARTReceiver, UARTTransmitter

__all__ = ["SETTLE", "TIMEOUT_BYTES", "UnitOverUart", "BoardTop", "Design", "design", "BoardBuild", "build"]

SETTLE = 4               # wait cycles (plus the unit's latency) before the unit's outputs are read


class UnitOverUart(wiring.Component):
    """The unit behind a UART: ``rx`` in, ``tx`` out (the module docstring has the protocol)."""

    def __init__(self, unit, divisor: int, pipeline: int = 0, backend: str = "lut",
                 timeout_bytes: int = TIMEOUT_BYTES):
        self.unit, self.divisor, self.pipeline, self.backend = unit, divisor, pipeline, backend
        self.timeout = timeout_bytes * 10 * divisor
        self.frame = Frame.of(unit.netlist)
        self.module = rtl.module_name(unit, pipeline)
        super().__init__({"rx": In(1, init=1), "tx": Out(1)})

    def sources(self) -> dict[str, str]:
        """The unit's Verilog, file name -> text."""
        text, _ = rtl.generate(self.unit, self.pipeline, self.backend)
        return {f"{self.module}.v": text}

    def elaborate(self, platform):
        m = Module()
        m.submodules.receiver = rx = UARTReceiver(self.divisor)
        m.submodules.transmitter = tx = UARTTransmitter(self.divisor)
        m.d.comb += [rx.rx.eq(self.rx), self.tx.eq(tx.tx)]
        n_in, n_out = self.frame.request_bytes, self.frame.response_bytes

        # The unit, its inputs sliced from the request (first port in the top bytes).
        request = Signal(8 * n_in)
        ports = {}
        if self.pipeline:
            ports.update(i_clk=ClockSignal(), i_rst=ResetSignal(allow_reset_less=True))
        top = 8 * n_in
        for name, width in self.frame.inputs.items():
            top -= 8 * -(-width // 8)
            ports[f"i_{name}"] = request[top:top + width]
        outputs = {name: Signal(width, name=f"unit_{name}") for name, width in self.frame.outputs.items()}
        ports.update({f"o_{name}": s for name, s in outputs.items()})
        m.submodules.unit = Instance(self.module, **ports)
        # The answer: output ports padded to whole bytes, the first port in the top bytes.
        packed = Cat(*(Cat(s, C(0, -len(s) % 8)) if len(s) % 8 else s for s in reversed(list(outputs.values()))))

        answer = Signal(8 * n_out)
        pending = Signal()                     # a whole request arrived and is not answered yet
        wait = Signal(range(self.pipeline + SETTLE + 1))
        sent = Signal(range(n_out))
        with m.FSM():
            with m.State("idle"):
                with m.If(pending):
                    m.d.sync += [pending.eq(0), wait.eq(self.pipeline + SETTLE)]
                    m.next = "settle"
            with m.State("settle"):
                m.d.sync += wait.eq(wait - 1)
                with m.If(wait == 0):
                    m.d.sync += [answer.eq(packed), sent.eq(0)]
                    m.next = "send"
            with m.State("send"):
                m.d.comb += [tx.data.payload.eq(answer[-8:]), tx.data.valid.eq(1)]
                with m.If(tx.data.ready):
                    m.d.sync += [answer.eq(answer << 8), sent.eq(sent + 1)]
                    with m.If(sent == n_out - 1):
                        m.next = "idle"

        # Receiving (after the FSM: a request completing now wins over the FSM's clearing ``pending``).
        got = Signal(range(n_in))
        idle = Signal(range(self.timeout))
        with m.If(rx.data.valid):
            m.d.sync += [request.eq(Cat(rx.data.payload, request[:-8])), idle.eq(0)]
            with m.If(got == n_in - 1):
                m.d.sync += [got.eq(0), pending.eq(1)]
            with m.Else():
                m.d.sync += got.eq(got + 1)
        with m.Elif(got != 0):                 # inside a request: drop it after a long silence
            m.d.sync += idle.eq(idle + 1)
            with m.If(idle == self.timeout - 1):
                m.d.sync += [got.eq(0), idle.eq(0)]
        return m


class BoardTop(Elaboratable):
    """The board's top module: ports ``clk`` (the oscillator), ``rx`` and ``tx``; no reset pin
    (the iCE40's flip-flops start at their initial values after configuration)."""

    def __init__(self, wrapper: UnitOverUart):
        self.wrapper = wrapper
        self.clk, self.rx, self.tx = Signal(name="clk"), Signal(name="rx", init=1), Signal(name="tx")

    def elaborate(self, platform):
        m = Module()
        m.domains.sync = ClockDomain("sync", reset_less=True)
        m.d.comb += [ClockSignal("sync").eq(self.clk), self.wrapper.rx.eq(self.rx), self.tx.eq(self.wrapper.tx)]
        m.submodules.wrapper = self.wrapper
        return m


class Design(NamedTuple):
    """A board design: the top module's name and every Verilog source, file name -> text."""

    top: str
    files: dict
    divisor: int


def design(unit, divisor: int, pipeline: int = 0, backend: str = "lut",
           timeout_bytes: int = TIMEOUT_BYTES) -> Design:
    """The unit behind a UART as Verilog: the top (``<module>_board``) and the unit's module."""
    from amaranth.back import verilog
    wrapper = UnitOverUart(unit, divisor, pipeline, backend, timeout_bytes)
    top = BoardTop(wrapper)
    name = f"{wrapper.module}_board"
    text = verilog.convert(top, name=name, ports=[top.clk, top.rx, top.tx], emit_src=False)
    return Design(name, {f"{name}.v": text, **wrapper.sources()}, divisor)


class BoardBuild(NamedTuple):
    """What `build` wrote and measured: the whole design (wrapper and unit) on the board's device."""

    board: str
    device: str
    bitstream: str               # DIR/<module>.bin
    files: list                  # every file written, the bitstream last
    baud: int
    divisor: int
    luts: int                    # after Yosys synth_ice40
    carries: int
    ffs: int
    logic_cells: int             # after nextpnr (a LUT4, a carry and a flip-flop each)
    device_cells: int
    fmax_mhz: float | None       # nextpnr's single-cycle figure (the unit's paths have more: see the module)
    clock_mhz: float

    def __str__(self) -> str:
        fmax = f"{self.fmax_mhz:.1f} MHz" if self.fmax_mhz is not None else "no clocked path"
        return (f"{Path(self.bitstream).name} for {self.board} ({self.device}): {self.luts:,} LUT4 + {self.carries:,} "
                f"carries, {self.ffs:,} FF; {self.logic_cells:,} of {self.device_cells:,} logic cells; Fmax {fmax} "
                f"(clock {self.clock_mhz:g} MHz); UART {self.baud} baud 8N1")


def build(unit, board: Pinout, out_dir, baud: int = 115_200, pipeline: int = 0, backend: str = "lut",
          workdir=None) -> BoardBuild:
    """Write the bitstream of ``unit`` behind the UART for ``board`` into ``out_dir``.

    Files: the top's and the unit's Verilog, ``<module>.pcf``, ``<module>.nextpnr.log`` and
    ``<module>.bin`` (Yosys, nextpnr-ice40, icepack in a work folder; the files are copied out
    only when every step succeeded). `ValueError` when the baud rate cannot be made from the
    board's clock or the design does not fit the device.
    """
    import tempfile

    from .uart import divisor as uart_divisor
    dev = get_device(board.device)
    div = uart_divisor(board.clock_hz, baud)
    d = design(unit, div, pipeline, backend)
    module = rtl.module_name(unit, pipeline)
    pcf = board.pcf()
    with tempfile.TemporaryDirectory(prefix="spikefp-board-") as tmp:
        wd = Path(workdir) if workdir is not None else Path(tmp)
        with phase(f"yosys synth_ice40 {d.top}"):
            res = synthesize(d.files, d.top, wd)
        over = overflow(res, dev)
        if over:
            raise ValueError(f"{unit.name} does not fit the {board.name}'s {dev.name}: {'; '.join(over)} "
                             "with the UART")
        try:
            with phase(f"nextpnr-ice40 {d.top} on {dev.name}"):
                placed = place_and_route(res.json_path, dev, wd, pcf=pcf, freq_mhz=board.clock_hz / 1e6)
        except FlowError as e:
            if e.unplaceable:
                raise ValueError(f"{unit.name} does not fit the {board.name}'s {dev.name}: {e}") from None
            raise
        bitstream = wd / f"{module}.bin"
        pack(placed.asc_path, bitstream)
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        contents = [*d.files.items(), (f"{module}.pcf", pcf),
                    (f"{module}.nextpnr.log", Path(placed.log_path).read_text()),
                    (f"{module}.bin", bitstream.read_bytes())]
        for name, data in contents:
            atomic_write(out / name, data if isinstance(data, str) else (lambda f, b=data: f.write(b)))
            written.append(str(out / name))
    return BoardBuild(board.name, dev.name, written[-1], written, baud, div, res.luts, res.carries, res.ffs,
                      placed.logic_cells, dev.luts, placed.fmax_mhz, board.clock_hz / 1e6)
