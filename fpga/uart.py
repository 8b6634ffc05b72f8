"""A UART receiver and transmitter (8 data bits, no parity, 1 stop bit) as Amaranth components.

Written here because Amaranth 0.5's standard library has no UART. ``divisor`` is the number
of clock cycles per bit (12 MHz / 115200 baud = 104 on the iCEBreaker, `divisor`). Both
sides speak `amaranth.lib.stream`: `UARTReceiver.data` is an always-ready stream (a byte is
valid for one cycle; a byte whose stop bit is 0 is dropped), `UARTTransmitter.data` takes a
byte when ``valid`` and ``ready`` are both high. Bits go LSB first, the line idles high.

>>> divisor(12_000_000, 115_200)
104
>>> from amaranth.sim import Simulator
>>> rx = UARTReceiver(4)
>>> sim = Simulator(rx); sim.add_clock(1e-6)
>>> got = []
>>> async def bench(ctx):
...     for bit in [1, 1, 0] + [(0xA5 >> i) & 1 for i in range(8)] + [1]:
...         ctx.set(rx.rx, bit)
...         for _ in range(4):
...             await ctx.tick()
...             if ctx.get(rx.data.valid):
...                 got.append(ctx.get(rx.data.payload))
...     for _ in range(8):
...         await ctx.tick()
...         if ctx.get(rx.data.valid):
...             got.append(ctx.get(rx.data.payload))
>>> sim.add_testbench(bench); sim.run()
>>> [hex(b) for b in got]
['0xa5']
"""

from __future__ import annotations

from amaranth import Cat, Module, Signal
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In, Out

__all__ = ["divisor", "UARTReceiver", "UARTTransmitter"]


def divisor(clock_hz: int, baud: int) -> int:
    """Clock cycles per bit, rounded to nearest; `ValueError` when the error exceeds 2%."""
    if baud <= 0 or clock_hz <= 0:
        raise ValueError(f"baud rate and clock must be positive, got {baud} baud at {clock_hz} Hz")
    d = round(clock_hz / baud)
    # 8N1 samples 10 bits from one start edge: a 2% rate error leaves the last sample 20% of a
    # bit off its middle, still inside the bit; more and the stop bit is missed.
    if d < 4 or abs(clock_hz / d - baud) > 0.02 * baud:
        raise ValueError(f"{baud} baud cannot be made from a {clock_hz / 1e6:g} MHz clock "
                         f"(nearest: {clock_hz / max(d, 1):.0f} baud, at least 4 cycles per bit)")
    return d


def _checked(divisor: int) -> int:
    """Clock cycles per bit: at least 4, so the receiver can find a bit's middle."""
    if divisor < 4:
        raise ValueError(f"a UART needs at least 4 clock cycles per bit, got {divisor}")
    return divisor


class UARTReceiver(wiring.Component):
    """8N1 receiver: ``rx`` (the line) in, bytes out on ``data`` (valid for one cycle each)."""

    def __init__(self, divisor: int):
        self.divisor = _checked(divisor)
        super().__init__({"rx": In(1, init=1), "data": Out(stream.Signature(8, always_ready=True))})

    def elaborate(self, platform):
        m = Module()
        d = self.divisor
        # Two flip-flops between the asynchronous line and the logic (metastability);
        # they start high, the idle level, so power-up is not a start bit.
        sync1, line = Signal(init=1), Signal(init=1)
        m.d.sync += [sync1.eq(self.rx), line.eq(sync1)]
        timer = Signal(range(d))
        bits = Signal(range(9))
        shift = Signal(8)
        m.d.sync += self.data.valid.eq(0)
        with m.FSM():
            with m.State("idle"):
                with m.If(~line):
                    m.d.sync += timer.eq(d // 2 - 1)
                    m.next = "start"
            with m.State("start"):                # the middle of the start bit: still low?
                m.d.sync += timer.eq(timer - 1)
                with m.If(timer == 0):
                    m.d.sync += [timer.eq(d - 1), bits.eq(0)]
                    with m.If(line):
                        m.next = "idle"           # a glitch, not a start bit
                    with m.Else():
                        m.next = "data"
            with m.State("data"):                 # sample each bit in its middle
                m.d.sync += timer.eq(timer - 1)
                with m.If(timer == 0):
                    m.d.sync += [timer.eq(d - 1), bits.eq(bits + 1)]
                    with m.If(bits == 8):         # the stop bit
                        m.d.sync += [self.data.payload.eq(shift), self.data.valid.eq(line)]
                        m.next = "idle"
                    with m.Else():
                        m.d.sync += shift.eq(Cat(shift[1:], line))
        return m


class UARTTransmitter(wiring.Component):
    """8N1 transmitter: bytes in on ``data`` (taken when ``valid`` and ``ready``), ``tx`` (the line) out."""

    def __init__(self, divisor: int):
        self.divisor = _checked(divisor)
        super().__init__({"data": In(stream.Signature(8)), "tx": Out(1)})

    def elaborate(self, platform):
        m = Module()
        d = self.divisor
        timer = Signal(range(d))
        left = Signal(range(11))                  # bits still to send, start and stop included
        shift = Signal(10, init=1)
        m.d.comb += [self.tx.eq(shift[0]), self.data.ready.eq(left == 0)]
        with m.If(left == 0):
            with m.If(self.data.valid):
                m.d.sync += [shift.eq(Cat(0, self.data.payload, 1)), left.eq(10), timer.eq(d - 1)]
        with m.Else():
            m.d.sync += timer.eq(timer - 1)
            with m.If(timer == 0):
                # Shift in ones: the line stays at the idle level after the stop bit.
                m.d.sync += [shift.eq(Cat(shift[1:], 1)), left.eq(left - 1), timer.eq(d - 1)]
        return m
