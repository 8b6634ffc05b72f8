"""The fast slice of the RTL regression: cocotb on Icarus and Verilator (``make regress`` runs more).

The simulators are installed by ``make install``; a missing one fails these tests loudly.
"""

import dataclasses
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import spikefp
from spikefp import pysim
from spikefp.hdl import Neuron
from spikefp.verify import check, regress, rtl_sim, vectors, verilator_harness


@pytest.mark.parametrize("sim", rtl_sim.SIMULATORS)
def test_combinational_unit_matches_reference_and_engine(sim):
    u = spikefp.unit("fp8e5m2.add")
    r = rtl_sim.run(u, sim, vectors.mixed(u.fmt, "add", 2000, seed=3))
    assert (r.vectors, r.mismatches) == (2256, 0), str(r)
    cases = list(ET.parse(r.results_xml).getroot().iter("testcase"))
    assert [c.get("name") for c in cases] == [f"fp8e5m2.add[rne,{sim}]"]


def test_builds_go_to_the_cache_and_a_read_only_working_directory_works(tmp_path, monkeypatch):
    cache, cwd = tmp_path / "cache", tmp_path / "ro"
    cwd.mkdir()
    cwd.chmod(0o555)
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("SPIKEFP_CACHE", str(cache))
    u = spikefp.unit("fp8e4m3.min")
    r = rtl_sim.run(u, "icarus", vectors.for_unit(u, 50, seed=1))
    assert r.mismatches == 0 and list(cwd.iterdir()) == []
    assert r.results_xml.startswith(str(rtl_sim.default_build_root() / "icarus" / "netlist" / "fp8e4m3_min"))
    assert r.results_xml.startswith(str(cache / "rtl"))


def test_a_failed_build_raises_one_clear_error(tmp_path, monkeypatch):
    """Verilog that Icarus rejects: the error names the tool, the unit, the complaint and the log."""
    monkeypatch.setenv("SPIKEFP_CACHE", str(tmp_path))
    u = spikefp.unit("fp8e4m3.min")
    monkeypatch.setattr(rtl_sim.rtl, "generate", lambda unit, pipeline, backend: ("module oops(;\n", {}))
    with pytest.raises(rtl_sim.BuildError) as e:
        rtl_sim.run(u, "icarus", vectors.for_unit(u, 10, seed=1))
    msg = str(e.value)
    assert msg.startswith("Icarus Verilog build of fp8e4m3_min failed: ") and "\n" not in msg
    assert "syntax error" in msg and msg.endswith("build.log)")


def test_pipelined_dynamic_unit_one_vector_per_clock():
    u = spikefp.unit("fp16.mul", dynamic=True)
    v = vectors.mixed(u.fmt, "mul", 2000, seed=4)
    r = rtl_sim.run(u, "verilator", v, np.arange(len(v["a"])) % 8, pipeline=3)
    assert r.mismatches == 0, str(r)
    assert r.vectors == len(v["a"])


@pytest.fixture(scope="module")
def broken_unit():
    """fp8e5m2.add with one neuron's threshold raised: the first such mutation that matters."""
    u = spikefp.unit("fp8e5m2.add")
    net = u.netlist
    v = vectors.exhaustive(u.fmt)
    for k in range(len(net.neurons) // 2, len(net.neurons)):
        neu = net.neurons[k]
        bad = type(net)(net.inputs, net.outputs,
                        net.neurons[:k] + [Neuron(neu.inputs, neu.weights, neu.threshold + 1)] + net.neurons[k + 1:])
        # A copy, never the unit `spikefp.unit` hands out (it is shared: a mutation there
        # would leak into every later test in this process).
        broken = dataclasses.replace(u)
        broken.__dict__["netlist"] = bad
        engine_report = check.check(broken, v)
        if engine_report.mismatches:
            return broken, v, engine_report
    raise AssertionError("no single-threshold mutation changed fp8e5m2.add")


def test_a_mutated_neuron_is_caught_by_engine_and_rtl(broken_unit, tmp_path):
    broken, v, engine_report = broken_unit
    assert engine_report.mismatches > 0 and engine_report.first
    rtl_report = rtl_sim.run(broken, "verilator", v, build_root=tmp_path)
    assert rtl_report.mismatches == engine_report.mismatches
    assert "mismatches" in str(rtl_report) and "vector " in rtl_report.message
    assert "expected y=" in rtl_report.message and "RTL gave y=" in rtl_report.message
    y, f = verilator_harness.run(broken, v, build_root=tmp_path)
    ey, ef = check.expected(broken, v)
    assert np.count_nonzero((y != ey) | (f != ef)) == engine_report.mismatches


def test_a_mutated_neuron_is_caught_by_the_regression_summary(broken_unit, monkeypatch, tmp_path, capsys):
    broken, _, engine_report = broken_unit
    monkeypatch.setattr(regress, "unit", lambda name, dynamic=False: broken)
    monkeypatch.setenv("SPIKEFP_CACHE", str(tmp_path))
    junit = tmp_path / "regress.xml"
    status = regress.main(["--formats", "fp8e5m2", "--ops", "add", "--modes", "rne", "--engines", "verilator",
                           "--vectors-pipelined", "200", "--jobs", "1", "--junit", str(junit)])
    out = capsys.readouterr().out
    assert status == 1
    assert f"{engine_report.mismatches} mismatches; first: vector " in out     # the exhaustive runs
    summary = [line.split() for line in out.splitlines() if line.startswith("fp8e5m2.add ")]
    assert [row[4] for row in summary] == ["cocotb", "cocotb", "c++"]
    assert int(summary[0][6]) == int(summary[2][6]) == engine_report.mismatches
    assert "failure" in junit.read_text() and "RTL gave y=" in junit.read_text()
    names = [case.get("name") for case in ET.parse(junit).getroot().iter("testcase")]
    assert names == ["fp8e5m2.add[rne,p0,verilator,cocotb]", "fp8e5m2.add[rne,p3,verilator,cocotb]",
                     "fp8e5m2.add[rne,p0,verilator,c++]"]
    assert (rtl_sim.default_build_root() / "verilator").is_dir()     # builds went under SPIKEFP_CACHE
    assert str(rtl_sim.default_build_root()).startswith(str(tmp_path / "rtl"))


def test_verilator_harness_streams_pipelined_dynamic_unit():
    u = spikefp.unit("fp8e4m3.mul", dynamic=True)
    v = vectors.exhaustive(u.fmt)
    rm = np.arange(len(v["a"])) % 8
    y, f = verilator_harness.run(u, v, rm, pipeline=3)
    ey, ef = check.expected(u, v, rm)
    assert len(y) == 65536 and np.array_equal(y, ey) and np.array_equal(f, ef)


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


@pytest.mark.parametrize("name, sim", [("fp8e4m3.min", "icarus"), ("fp16.classify", "verilator"),
                                       ("fp8e5m2.lt", "verilator")])
def test_units_without_rounding_exhaustively_on_rtl(name, sim):
    u = spikefp.unit(name)
    v = vectors.exhaustive_for(u)
    r = rtl_sim.run(u, sim, v)
    assert (r.vectors, r.mismatches) == (len(v["a"]), 0), str(r)
