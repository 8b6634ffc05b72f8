"""The fast slice of the RTL regression: cocotb on Icarus and Verilator (``make regress`` runs more).

The simulators are installed by ``make install``; a missing one fails these tests loudly.
"""

import subprocess

import numpy as np
import pytest

import spikefp
from spikefp import pysim
from spikefp.hdl import Neuron
from spikefp.verify import check, rtl_sim, vectors


@pytest.mark.parametrize("sim", rtl_sim.SIMULATORS)
def test_combinational_unit_matches_reference_and_engine(sim):
    u = spikefp.unit("fp8e5m2.add")
    r = rtl_sim.run(u, sim, vectors.mixed(u.fmt, "add", 2000, seed=3))
    assert (r.vectors, r.mismatches) == (2256, 0), str(r)


def test_pipelined_dynamic_unit_one_vector_per_clock():
    u = spikefp.unit("fp16.mul", dynamic=True)
    v = vectors.mixed(u.fmt, "mul", 2000, seed=4)
    r = rtl_sim.run(u, "verilator", v, np.arange(len(v["a"])) % 8, pipeline=3)
    assert r.mismatches == 0, str(r)
    assert r.vectors == len(v["a"])


def test_a_mutated_neuron_is_caught_by_engine_and_rtl(tmp_path):
    u = spikefp.unit("fp8e5m2.add")
    net = u.netlist
    v = vectors.exhaustive(u.fmt)
    for k in range(len(net.neurons) // 2, len(net.neurons)):   # the first mutation that matters
        neu = net.neurons[k]
        bad = type(net)(net.inputs, net.outputs,
                        net.neurons[:k] + [Neuron(neu.inputs, neu.weights, neu.threshold + 1)] + net.neurons[k + 1:])
        broken = spikefp.unit("fp8e5m2.add")
        broken.__dict__["netlist"] = bad
        engine_report = check.check(broken, v)
        if engine_report.mismatches:
            break
    assert engine_report.mismatches > 0 and engine_report.first
    rtl_report = rtl_sim.run(broken, "verilator", v, build_root=tmp_path)
    assert rtl_report.mismatches == engine_report.mismatches
    assert "mismatches" in str(rtl_report) and "vector " in rtl_report.message
    assert "expected y=" in rtl_report.message and "RTL gave y=" in rtl_report.message


def test_eval_verilator_output_identical_to_pysim():
    text = "".join(f"{a:04X} {b:04X}\n" for a, b in [(0x3C00, 0x3C00), (0x7C00, 0xFC00), (0x0001, 0x8001),
                                                     (0x3C01, 0xBC00), (0x7BFF, 0x7BFF), (0x0400, 0x8001)])
    import os
    import sys
    exe = [os.path.join(os.path.dirname(sys.executable), "spikefp"), "eval", "fp16.add", "--rm", "rup", "--dynamic"]
    outs = {e: subprocess.run(exe + ["--engine", e], input=text, capture_output=True, text=True, timeout=600)
            for e in ("pysim", "verilator")}
    assert outs["pysim"].returncode == 0 and outs["verilator"].returncode == 0, outs["verilator"].stderr
    assert outs["pysim"].stdout == outs["verilator"].stdout
    assert len(outs["pysim"].stdout.splitlines()) == 6
