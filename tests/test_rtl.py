"""Amaranth elaboration, pipelining, Verilog generation and lint."""

import json

import numpy as np
import pytest

import spikefp
from spikefp.hdl import rtl
from spikefp.hdl.elaborate import NetlistComponent
from spikefp.verify import check, tools, vectors

from amaranth_sim import drive


@pytest.mark.parametrize("pipeline", [0, 1, 3])
def test_component_matches_reference_combinational_and_pipelined(pipeline):
    u = spikefp.unit("fp8e5m2.mul", dynamic=True)
    v = vectors.mixed(u.fmt, "mul", 200, seed=1)
    rm = np.arange(len(v["a"])) % 8
    ey, ef = check.expected(u, v, rm)
    got = drive(NetlistComponent(u.netlist, pipeline), {"a": v["a"], "b": v["b"], "rm": rm}, len(ey), pipeline)
    assert got == [(int(y), int(f)) for y, f in zip(ey, ef)]


def test_generation_is_deterministic_and_lints(tmp_path):
    u = spikefp.unit("fp8e4m3.add", dynamic=True)
    t1, m1 = rtl.generate(u, 2)
    t2, m2 = rtl.generate(spikefp.unit("fp8e4m3.add", dynamic=True), 2)
    assert t1 == t2 and m1 == m2
    v_path, j_path = rtl.write(u, str(tmp_path), 2)
    assert v_path.endswith("fp8e4m3_add_dyn_p2.v")
    ok, out = tools.get_tool("verilator").lint(v_path)
    assert ok, out
    man = json.loads(open(j_path).read())
    assert man["latency"] == 2 and man["stats"] == u.stats()
    assert [(p["name"], p["width"], p["direction"]) for p in man["ports"]] == [
        ("clk", 1, "input"), ("rst", 1, "input"), ("a", 8, "input"), ("b", 8, "input"),
        ("rm", 3, "input"), ("y", 8, "output"), ("flags", 5, "output")]
    assert man["module"] == "fp8e4m3_add_dyn_p2" and man["spikefp_version"] == rtl.version() == spikefp.__version__


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
    ok, out = tools.get_tool("yosys").prove_equivalent(gold, to_verilog(nl, "m", pipeline), "m")
    assert ok, out
    k = len(nl.neurons) - 1
    neu = nl.neurons[k]
    bad = type(nl)(nl.inputs, nl.outputs,
                   nl.neurons[:k] + [Neuron(neu.inputs, neu.weights, neu.threshold + 1)])
    ok, out = tools.get_tool("yosys").prove_equivalent(gold, to_verilog(bad, "m", pipeline), "m")
    assert not ok and "unproven" in out.lower()


def test_a_failed_verilator_build_is_one_clear_error(tmp_path):
    """The tool, the unit, the compiler's first complaint and the log, in one line."""
    v = tmp_path / "broken.v"
    v.write_text("module broken(input a, output y);\n  assign y = a +;\nendmodule\n")
    verilator = tools.get_tool("verilator")
    with pytest.raises(tools.BuildError) as e:
        verilator.build("broken", ["--cc", "--build", "--Mdir", str(tmp_path / "obj"), str(v)], tmp_path / "build.log")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("Verilator build of broken failed: %Error")
    assert "broken.v:2" in msg and msg.endswith(f"(log: {tmp_path / 'build.log'})")
    assert "syntax error" in (tmp_path / "build.log").read_text()


def test_tools_pass_their_environment_without_touching_os_environ():
    import os
    before = dict(os.environ)
    verilator = tools.get_tool("verilator")
    assert os.environ == before
    assert verilator.env["VERILATOR_ROOT"] and "OPT_FAST=-O1" in verilator.env["MAKEFLAGS"]
    assert verilator.env["PATH"].split(os.pathsep)[0] == os.path.dirname(verilator.executable)
    r = verilator.run(["--getenv", "VERILATOR_ROOT"])
    assert r.returncode == 0 and r.stdout.strip() == verilator.env["VERILATOR_ROOT"]
