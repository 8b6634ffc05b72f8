"""FPGA back-end: the LUT Verilog style is the same circuit (decision diagrams checked against the
sums, Yosys proofs against the netlist writer, cocotb on both simulators), and `spikefp synth`
meets the issue's LUT4 budgets on iCE40 with a real Yosys and nextpnr."""

import json
import random
from itertools import product

import numpy as np
import pytest

import spikefp
from spikefp.cli import main
from spikefp.fpga.devices import Device
from spikefp.fpga.synth import synth
from spikefp.hdl import rtl
from spikefp.hdl.bdd import threshold_bdd
from spikefp.hdl.netlist import Netlist, Neuron
from spikefp.hdl.verilog import to_verilog
from spikefp.verify import rtl_sim, tools, vectors


def _fires(weights, theta, x):
    return sum(w * b for w, b in zip(weights, x)) >= theta


@pytest.mark.parametrize("seed", range(6))
def test_decision_diagram_is_the_threshold_function_and_reduced(seed):
    rng = random.Random(seed)
    for _ in range(40):
        n = rng.randint(1, 9)
        weights = sorted((rng.choice([1, 1, 2, 3, 4, 8, 16, 100, 1 << rng.randint(0, 20)]) for _ in range(n)),
                         reverse=True)
        theta = rng.randint(-2, sum(weights) + 2)
        bdd = threshold_bdd(weights, theta)
        for x in product((0, 1), repeat=n):
            assert bdd.evaluate(x) == _fires(weights, theta, x), (weights, theta, x)
        assert all(node.hi != node.lo for node in bdd.nodes)           # reduced: no redundant test
        assert len(set(bdd.nodes)) == len(bdd.nodes)                   # and no duplicate node


def test_decision_diagram_of_every_fp16_add_neuron_on_random_inputs():
    nl = spikefp.unit("fp16.add").netlist
    rng = np.random.default_rng(1)
    for neu in nl.neurons:
        ws = [abs(w) for w in neu.weights if w]
        lit_sign = [w > 0 for w in neu.weights if w]
        theta = neu.threshold + sum(-w for w in neu.weights if w < 0)
        bdd = threshold_bdd(ws, theta)
        for x in rng.integers(0, 2, size=(64, len(ws))):
            # The literal of a negative weight is the complemented input.
            raw = [int(b) if pos else 1 - int(b) for b, pos in zip(x, lit_sign)]
            assert bdd.evaluate(x) == _fires([w if pos else -w for w, pos in zip(ws, lit_sign)],
                                             neu.threshold, raw)


def test_negative_weights_and_bad_weights():
    with pytest.raises(ValueError, match="non-negative"):
        threshold_bdd([1, -1], 1)


@pytest.mark.parametrize("name, pipeline, dynamic", [("fp16.add", 0, False), ("fp8e5m2.fma", 3, True),
                                                     ("fp8e4m3.mul", 0, False)])
def test_lut_style_is_proved_equivalent_to_the_netlist_writer(name, pipeline, dynamic):
    u = spikefp.unit(name, dynamic=dynamic)
    gold = to_verilog(u.netlist, "m", pipeline)
    gate = to_verilog(u.netlist, "m", pipeline, style="lut")
    assert gate != gold and "?" in gate and " >= " not in gate        # really restructured: no sums left
    ok, out = tools.get_tool("yosys").prove_equivalent(gold, gate, "m", short=True)
    assert ok, out[-2000:]


def test_the_proof_catches_a_changed_neuron_in_the_lut_style():
    nl = spikefp.unit("fp8e4m3.add").netlist
    k = max(range(len(nl.neurons)), key=lambda j: len(nl.neurons[j].inputs))   # a real weighted sum
    neu = nl.neurons[k]
    bad = Netlist(nl.inputs, nl.outputs,
                  nl.neurons[:k] + [Neuron(neu.inputs, neu.weights, neu.threshold + 1)] + nl.neurons[k + 1:])
    ok, out = tools.get_tool("yosys").prove_equivalent(to_verilog(nl, "m"), to_verilog(bad, "m", style="lut"),
                                                     "m", short=True)
    assert not ok and "unproven" in out.lower()


@pytest.mark.parametrize("name, sim, pipeline", [("fp16.add", "icarus", 0), ("fp16.mul", "verilator", 0),
                                                 ("fp32.add", "verilator", 2)])
def test_cocotb_regression_on_the_lut_style(name, sim, pipeline):
    u = spikefp.unit(name)
    v = vectors.for_unit(u, 3000, seed=5)
    r = rtl_sim.run(u, sim, v, pipeline=pipeline, backend="lut")
    assert r.vectors >= 3000 and r.mismatches == 0, r.message


@pytest.mark.parametrize("name, budget", [("fp16.add", 800), ("fp32.add", 1500)])
def test_synth_meets_the_lut_budget_with_a_positive_fmax(name, budget):
    u = spikefp.unit(name)
    r = synth(u, "ice40-hx8k")
    assert r.fits and r.carries == 0 and 0 < r.luts <= budget, r
    assert r.fmax_mhz > 1 and r.luts <= r.placed_cells <= 7680
    assert r.luts_per_neuron < 1.5


def test_synth_says_when_a_unit_does_not_fit():
    tiny = Device("tiny", 100, 0, 0, 8, ("--up5k", "--package", "sg48"))
    r = synth(spikefp.unit("fp8e4m3.add"), tiny)
    assert not r.fits and r.fmax_mhz is None and r.reason.startswith(f"{r.luts:,} LUT4 > 100")
    assert "does not fit" in str(r)


def test_synth_cli_json_and_errors(capsys):
    assert main(["synth", "fp8e4m3.add", "--target", "ice40-up5k", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"luts", "carries", "ffs", "fmax_mhz", "fits", "device"} <= set(d)
    assert d["device"] == "ice40-up5k" and d["fits"] is True and d["fmax_mhz"] > 0
    assert d["luts"] == synth(spikefp.unit("fp8e4m3.add"), "ice40-up5k").luts      # deterministic
    assert main(["synth", "fp8e4m3.add", "--target", "xc7"]) == 2
    assert main(["synth", "fp8e4m3.add", "--pipeline", "999"]) == 2
    err = capsys.readouterr().err
    assert err.count("spikefp: error:") == 2


def test_gen_lut_backend_is_deterministic_named_and_lints(tmp_path):
    u = spikefp.unit("fp8e5m2.add", dynamic=True)
    t1, m1 = rtl.generate(u, 2, "lut")
    t2, m2 = rtl.generate(u, 2, "lut")
    assert t1 == t2 and m1["backend"] == "lut" and m1["verilog_sha256"] == m2["verilog_sha256"]
    assert main(["gen", "fp8e5m2.add", "--dynamic", "--pipeline", "2", "--backend", "lut", "-o", str(tmp_path)]) == 0
    path = tmp_path / "fp8e5m2_add_dyn_p2.v"
    assert path.read_text() == t1
    ok, out = tools.get_tool("verilator").lint(path)
    assert ok, out
