"""Amaranth elaboration, pipelining, Verilog generation and lint."""

import json

import numpy as np
import pytest
from amaranth import Module
from amaranth.sim import Simulator

import spikefp
from spikefp import rtl
from spikefp.hdl.elaborate import NetlistComponent
from spikefp.verify import check, reference, vectors


def simulate(dut, inputs: dict, n: int, latency: int):
    """Drive one vector per clock (or per delay when combinational); collect y and flags."""
    got = []

    async def bench(ctx):
        for i in range(n + latency):
            if i < n:
                for k, v in inputs.items():
                    ctx.set(getattr(dut, k), int(v[i]))
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


@pytest.mark.parametrize("pipeline", [0, 1, 3])
def test_component_matches_reference_combinational_and_pipelined(pipeline):
    u = spikefp.unit("fp8e5m2.mul", dynamic=True)
    v = vectors.mixed(u.fmt, "mul", 200, seed=1)
    rm = np.arange(len(v["a"])) % 8
    ey, ef = check.expected(u, v, rm)
    got = simulate(NetlistComponent(u.netlist, pipeline), {"a": v["a"], "b": v["b"], "rm": rm}, len(ey), pipeline)
    assert got == [(int(y), int(f)) for y, f in zip(ey, ef)]


def test_generation_is_deterministic_and_lints(tmp_path):
    u = spikefp.unit("fp8e4m3.add", dynamic=True)
    t1, m1 = rtl.generate(u, 2)
    t2, m2 = rtl.generate(spikefp.unit("fp8e4m3.add", dynamic=True), 2)
    assert t1 == t2 and m1 == m2
    v_path, j_path = rtl.write(u, str(tmp_path), 2)
    assert v_path.endswith("fp8e4m3_add_dyn_p2.v")
    ok, out = rtl.lint(v_path)
    assert ok, out
    man = json.loads(open(j_path).read())
    assert man["latency"] == 2 and man["stats"] == u.stats()
    assert [(p["name"], p["width"], p["direction"]) for p in man["ports"]] == [
        ("clk", 1, "input"), ("rst", 1, "input"), ("a", 8, "input"), ("b", 8, "input"),
        ("rm", 3, "input"), ("y", 8, "output"), ("flags", 5, "output")]
    assert man["module"] == "fp8e4m3_add_dyn_p2" and man["spikefp_version"] == spikefp.__version__


def test_module_names():
    assert rtl.module_name(spikefp.unit("fp32.mul")) == "fp32_mul_rne"
    assert rtl.module_name(spikefp.unit("fp16.add", dynamic=True), 3) == "fp16_add_dyn_p3"
    assert rtl.module_name(spikefp.unit("fp8e4m3.mul", saturate=True, profile="loihi")) == \
        "fp8e4m3_mul_rne_saturate_loihi"


def test_bad_pipeline_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="pipeline must be a non-negative integer"):
        rtl.write(spikefp.unit("fp16.add"), str(tmp_path / "out"), -1)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("block, width, pipeline", [("shr", 16, 2)])
def test_both_verilog_backends_are_proved_equivalent(block, width, pipeline):
    # Yosys proves the direct netlist writer and the Amaranth back-end equivalent (SAT, by
    # induction over the named pipeline registers), and refutes a copy with one neuron's
    # threshold raised. Whole units take minutes on Debian's Yosys; the simulation tests cover them.
    from amaranth.back import verilog as amaranth_verilog
    from spikefp.generators.blocks import BLOCKS
    from spikefp.hdl.netlist import Neuron
    from spikefp.hdl.verilog import to_verilog
    nl = BLOCKS[block].build(width)
    gold = amaranth_verilog.convert(NetlistComponent(nl, pipeline), name="m", emit_src=False)
    ok, out = rtl.prove_equivalent(gold, to_verilog(nl, "m", pipeline), "m")
    assert ok, out
    k = len(nl.neurons) - 1
    neu = nl.neurons[k]
    bad = type(nl)(nl.inputs, nl.outputs,
                   nl.neurons[:k] + [Neuron(neu.inputs, neu.weights, neu.threshold + 1)])
    ok, out = rtl.prove_equivalent(gold, to_verilog(bad, "m", pipeline), "m")
    assert not ok and "unproven" in out.lower()
