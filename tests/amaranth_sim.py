"""Test helper: drive an Amaranth component with Amaranth's own simulator."""

from amaranth.lib import data
from amaranth.sim import Simulator


def drive(dut, inputs: dict, n: int, latency: int) -> list:
    """Drive one vector per clock (per delay when combinational) from ``inputs`` (port name ->
    integer array; data-view ports take the raw bits); the ``(y, flags)`` values read back."""
    got = []

    async def bench(ctx):
        for i in range(n + latency):
            if i < n:
                for k, v in inputs.items():
                    port = getattr(dut, k)
                    raw = int(v[i])
                    ctx.set(port, port.shape().from_bits(raw) if isinstance(port, data.View) else raw)
            if latency:
                await ctx.tick()
                if i >= latency - 1 and len(got) < n:
                    got.append((ctx.get(dut.y), ctx.get(dut.flags)))
            else:
                await ctx.delay(1e-9)
                got.append((ctx.get(dut.y), ctx.get(dut.flags)))

    sim = Simulator(dut)
    if latency:
        sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return got
