"""The cocotb testbench for every unit (run by `spikefp.verify.rtl_sim`, not imported by users).

It reads the vectors and both expectations (IEEE reference and exact engine) from the file
named by ``SPIKEFP_VECTORS``, drives one vector per clock into pipelined units (sampling
``SPIKEFP_LATENCY`` cycles later) or one per nanosecond into combinational ones, writes what
the RTL produced to ``SPIKEFP_RESULTS`` and fails with the first mismatching vectors: hex
operands, expected and got.
"""

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

OPERANDS = ("a", "b", "c", "rm")


@cocotb.test()
async def run_vectors(dut):
    data = np.load(os.environ["SPIKEFP_VECTORS"])
    latency = int(os.environ.get("SPIKEFP_LATENCY", "0"))
    hexw = int(os.environ.get("SPIKEFP_HEXW", "8"))
    yhexw = int(os.environ.get("SPIKEFP_YHEXW", str(hexw)))
    names = os.environ.get("SPIKEFP_PORTS", ",".join(k for k in OPERANDS if k in data.files)).split(",")
    ports = [getattr(dut, k) for k in names]
    cols = [data[k].tolist() for k in names]
    n = len(cols[0])
    got_y, got_f = [0] * n, [0] * n
    if latency:
        cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
        dut.rst.value = 1
        for _ in range(2):
            await FallingEdge(dut.clk)
        dut.rst.value = 0
        for k in range(n + latency):
            if k:
                await FallingEdge(dut.clk)
            if k >= latency:
                got_y[k - latency] = int(dut.y.value)
                got_f[k - latency] = int(dut.flags.value)
            if k < n:
                for port, col in zip(ports, cols):
                    port.value = col[k]
    else:
        for k in range(n):
            for port, col in zip(ports, cols):
                port.value = col[k]
            await Timer(1, "ns")
            got_y[k] = int(dut.y.value)
            got_f[k] = int(dut.flags.value)
    np.savez(os.environ["SPIKEFP_RESULTS"], y=np.array(got_y, np.uint64), flags=np.array(got_f, np.uint64))
    bad = []
    for which in [w for w in ("ref", "eng") if f"{w}_y" in data.files]:
        ey, ef = data[f"{which}_y"].tolist(), data[f"{which}_f"].tolist()
        for i in range(n):
            if (got_y[i], got_f[i]) != (ey[i], ef[i]):
                bad.append((which, i, ey[i], ef[i]))
    if bad:
        lines = []
        for which, i, ey, ef in bad[:5]:
            ops = " ".join(f"{names[j]}={cols[j][i]:0{hexw}x}" for j in range(len(names)))
            lines.append(f"vector {i} ({ops}): {which} expected y={ey:0{yhexw}x} flags={ef:02x}, "
                         f"RTL gave y={got_y[i]:0{yhexw}x} flags={got_f[i]:02x}")
        raise AssertionError(f"{len(bad)} mismatches; first: " + " | ".join(lines))
