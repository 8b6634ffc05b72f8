"""Neuron dynamics (pysim.dynamics) and the robustness study (pysim.robustness)."""

import math

import numpy as np
import pytest

import spikefp
from spikefp import pysim
from spikefp.generators.registry import catalog
from spikefp.hdl import Netlist, Neuron
from spikefp.pysim.dynamics import Dynamics, balance, charge_wait, compile_dynamics
from spikefp.pysim.robustness import observability, random_inputs, study
from spikefp.verify.regress import unit_names


def _q(x):
    return 0.5 * math.erfc(x / math.sqrt(2))


def _exact_everywhere(u, n, timings=("settle", "wavefront"), seed=1):
    nl = u.netlist
    ins = random_inputs(nl, n, seed)
    ref = pysim.compile(nl).run(**ins)
    for timing in timings:
        out = compile_dynamics(nl, Dynamics(timing=timing)).run(gate_errors=True, **ins)
        for port in ref:
            assert out[port].dtype == ref[port].dtype, (u.name, timing, port)
            assert np.array_equal(out[port], ref[port]), (u.name, timing, port)
        assert out["gate_errors"].sum() == 0


@pytest.mark.parametrize("name, dynamic", [("fp8e4m3.mul", False), ("fp16.add", False), ("fp32.add", False),
                                           ("fp32.to_fp16", False), ("i32.to_fp32", False), ("bf16.mul", True)])
def test_noiseless_leak_free_run_is_exact(name, dynamic):
    _exact_everywhere(spikefp.unit(name, dynamic=dynamic), 2000)


@pytest.mark.slow
@pytest.mark.parametrize("name", [f"{s}.{op}" for s, op in
                                  unit_names(list(catalog()["formats"]),
                                             [o["name"] for o in catalog()["operations"] if "<" not in o["name"]],
                                             conversions=True)])
def test_noiseless_leak_free_run_is_exact_on_every_unit(name):
    _exact_everywhere(spikefp.unit(name), 300)


def test_parameters_are_checked():
    for kw, msg in [({"beta": 1.5}, "beta must lie in [0, 1], got 1.5"), ({"sigma": -0.1}, "sigma must be >= 0"),
                    ({"delta": -1}, "delta must be >= 0"), ({"noise": "pink"}, "unknown noise 'pink'"),
                    ({"timing": "async"}, "unknown timing 'async'"), ({"sigma": float("nan")}, "finite number"),
                    ({"seed": 1.5}, "seed must be an integer")]:
        with pytest.raises(ValueError, match=msg.replace("[", r"\[").replace("]", r"\]")):
            Dynamics(**kw)
    with pytest.raises(ValueError, match="missing input b"):
        compile_dynamics(spikefp.unit("fp8e4m3.mul").netlist, Dynamics()).run(a=[1])


def _relay_gate():
    """One neuron [x >= 1]: margin 1/2 on both sides, integration window one timestep."""
    return Netlist({"x": 1}, {"y": [3]}, [Neuron((2,), (1,), 1)])


@pytest.mark.parametrize("sigma", [0.2, 0.3])
def test_single_gate_error_rate_is_q_of_half_over_sigma(sigma):
    n = 200_000
    x = np.arange(n, dtype=np.uint8) & 1
    out = compile_dynamics(_relay_gate(), Dynamics(sigma=sigma, seed=3)).run(gate_errors=True, x=x)
    p = _q(0.5 / sigma)                       # ANCHORS: 6.2e-3 at 0.2, 4.8e-2 at 0.3
    errors = int((out["y"] != x).sum())
    assert errors == out["gate_errors"][0]
    assert abs(errors - n * p) < 5 * math.sqrt(n * p)
    # Threshold variation: the boundary 1/2 varies by 0.5 * delta, so Q(1 / delta).
    out = compile_dynamics(_relay_gate(), Dynamics(delta=2 * sigma, seed=4)).run(x=x)
    assert abs(int((out["y"] != x).sum()) - n * p) < 5 * math.sqrt(n * p)
    # Multiplicative noise: only a delivered spike (x = 1) can fall short.
    out = compile_dynamics(_relay_gate(), Dynamics(sigma=sigma, noise="multiplicative", seed=5)).run(x=x)
    wrong = out["y"] != x
    assert not wrong[x == 0].any()
    assert abs(int(wrong.sum()) - n / 2 * p) < 5 * math.sqrt(n / 2 * p)


def test_failure_rate_rises_with_sigma():
    nl = spikefp.unit("fp8e4m3.mul").netlist
    ins = random_inputs(nl, 10000, 2)
    ref = pysim.compile(nl).run(**ins)["y"]
    rates = [float((compile_dynamics(nl, Dynamics(sigma=s, timing="wavefront")).run(**ins)["y"] != ref).mean())
             for s in (0.0, 0.12, 0.16, 0.2, 0.3)]
    assert rates[0] == 0
    # Each step at least triples the rate or adds 0.1 (binomial noise at 10,000 trials is far smaller).
    assert all(b > min(3 * a, a + 0.1) for a, b in zip(rates, rates[1:])), rates


def test_leak_acts_in_settle_and_cannot_act_in_wavefront():
    nl = spikefp.unit("fp8e4m3.mul").netlist
    ins = random_inputs(nl, 5000, 3)
    ref = pysim.compile(nl).run(**ins)["y"]
    # settle: inputs of a neuron arrive at different timesteps, so charge waits and leaks.
    assert any(w for ws in charge_wait(nl) for w in ws)
    leaky = compile_dynamics(nl, Dynamics(beta=0.8)).run(**ins)["y"]
    assert (leaky != ref).mean() > 0.05
    # wavefront: no synapse's charge waits (computed, not assumed) ...
    sim = compile_dynamics(nl, Dynamics(timing="wavefront"))
    assert sim.netlist == balance(nl) and not any(w for ws in sim.waits for w in ws)
    # ... so beta changes nothing, noise and all, draw for draw.
    runs = [compile_dynamics(nl, Dynamics(beta=b, sigma=0.2, delta=0.05, timing="wavefront", seed=7)).run(
        gate_errors=True, **ins) for b in (1.0, 0.5, 0.0)]
    for r in runs[1:]:
        assert all(np.array_equal(r[k], runs[0][k]) for k in runs[0])
    assert (runs[0]["y"] != ref).any()          # the noise did act


def test_seeds_repeat():
    nl = spikefp.unit("fp8e4m3.mul").netlist
    ins = random_inputs(nl, 3000, 4)
    for d in (Dynamics(sigma=0.15, seed=1), Dynamics(sigma=0.2, noise="multiplicative", delta=0.05, seed=1)):
        a, b = (compile_dynamics(nl, d).run(gate_errors=True, **ins) for _ in range(2))
        assert all(np.array_equal(a[k], b[k]) for k in a)
        c = compile_dynamics(nl, Dynamics(**{**d.__dict__, "seed": 2})).run(**ins)
        assert not np.array_equal(a["y"], c["y"])


def test_observability_of_single_flips():
    # y = x0 AND x1 (neuron 4), z = x0 (a relay, neuron 5): a flip of the AND shows on every
    # vector, the relay's too.
    nl = Netlist({"x": 2}, {"y": [4], "z": [5]}, [Neuron((2, 3), (1, 1), 2), Neuron((2,), (1,), 1)])
    # w = AND(x0, x1) seen only through OR(w, x0): observable only when x0 = 0.
    nl2 = Netlist({"x": 2}, {"y": [5]}, [Neuron((2, 3), (1, 1), 2), Neuron((4, 2), (1, 1), 1)])
    x = np.arange(64, dtype=np.uint8) % 4
    vals = compile_dynamics(nl, Dynamics()).node_values(x=x)
    assert observability(nl, vals).all()
    obs = observability(nl2, compile_dynamics(nl2, Dynamics()).node_values(x=x))
    assert np.array_equal(obs[0], (x & 1) == 0) and obs[1].all()


def test_prediction_matches_monte_carlo_within_a_factor_of_two():
    nl = spikefp.unit("fp8e4m3.mul").netlist
    pts = study(nl, sigmas=(0.15, 0.2), trials=10000, timing="wavefront", vectors=1024, progress=False)
    pts += study(nl, sigmas=(0.08,), trials=10000, vectors=1024, progress=False)
    pts += study(nl, sigmas=(0.1,), noise="multiplicative", trials=10000, timing="wavefront", vectors=1024,
                 progress=False)
    pts += study(nl, deltas=(0.1,), betas=(0.95,), trials=10000, vectors=1024, progress=False)
    measured = [p.unit_error_rate for p in pts if 0.02 <= p.unit_error_rate <= 0.9]
    assert len(measured) >= 4, pts
    for p in pts:
        if 0.02 <= p.unit_error_rate <= 0.9:
            assert 0.5 < p.predicted_unit_error_rate / p.unit_error_rate < 2, p
        assert p.trials == 10000 and 0 < p.gate_error_rate < p.unit_error_rate
