"""harden(): the same function with more margin; counts as predicted; bad options rejected."""

import os
import subprocess
import sys

import numpy as np
import pytest

import spikefp
from spikefp import pysim
from spikefp.hdl import Netlist, Neuron
from spikefp.hdl.harden import bits, harden

OPTIONS = [(3, 1), (5, 1), (1, 3), (3, 3)]


def _same(net, hard, **inputs):
    want, got = pysim.compile(net).run(**inputs), pysim.compile(hard).run(**inputs)
    for port in net.outputs:
        assert np.array_equal(want[port], got[port]), port


def _check_counts(net, hard, k, r):
    s, h = net.stats(), hard.stats()
    out_neurons = {b for bits_ in net.outputs.values() for b in bits_ if b >= net.first_neuron}
    assert h["neurons"] == r * s["neurons"] + (len(out_neurons) if r > 1 else 0)
    first = net.first_neuron
    syn = sum(r * (r * sum(1 for i in n.inputs if i >= first) + sum(1 for i in n.inputs if i < first))
              for n in net.neurons)
    assert h["synapses"] == syn + (r * len(out_neurons) if r > 1 else 0)
    assert h["depth"] == s["depth"] + (r > 1)
    # weights times k; a weight on an input bit (one copy) also times r
    assert bits(hard).max_weight == k * max(abs(w) * (r if i < first else 1)
                                            for n in net.neurons for i, w in zip(n.inputs, n.weights))


@pytest.mark.parametrize("k, r", OPTIONS)
@pytest.mark.parametrize("name", ["fp8e4m3.mul", "fp8e5m2.add"])
def test_fp8_exhaustive(name, k, r):
    net = spikefp.unit(name).netlist
    hard = harden(net, scale=k, replicas=r)
    _check_counts(net, hard, k, r)
    v = np.arange(1 << 16, dtype=np.uint64)
    _same(net, hard, a=v & 0xFF, b=v >> 8)


@pytest.mark.parametrize("k, r", OPTIONS)
def test_fp16_add_random(k, r):
    net = spikefp.unit("fp16.add").netlist
    hard = harden(net, scale=k, replicas=r)
    _check_counts(net, hard, k, r)
    rng = np.random.default_rng(k * 10 + r)
    _same(net, hard, a=rng.integers(0, 1 << 16, 10_000, dtype=np.uint64),
          b=rng.integers(0, 1 << 16, 10_000, dtype=np.uint64))


def test_scale_puts_the_boundary_k_halves_from_every_sum():
    net = Netlist({"x": 3}, {"y": [5]}, [Neuron((2, 3, 4), (1, -1, 2), 1)])
    for k in (1, 3, 5, 7):
        n = harden(net, scale=k).neurons[0]
        sums = {sum(w * ((v >> j) & 1) for j, w in enumerate(n.weights)) for v in range(8)}
        assert min(abs(s - (n.threshold - 0.5)) for s in sums) == k / 2


def test_identity_and_output_constants():
    net = Netlist({"x": 2}, {"y": [4, 0, 2]}, [Neuron((2, 3), (1, 1), 2)])
    assert harden(net) == net
    h = harden(net, replicas=3)
    assert h.outputs["y"][1:] == [0, 2] and [h.evaluate(x=v)["y"] for v in range(4)] == [0b000, 0b100, 0b000, 0b101]


@pytest.mark.parametrize("bad", [{"scale": 2}, {"scale": 0}, {"scale": -1}, {"scale": 3.0}, {"replicas": 4},
                                 {"replicas": 0}, {"replicas": "3"}, {"scale": True}])
def test_invalid_options(bad):
    with pytest.raises(ValueError, match="odd integer"):
        harden(Netlist({"x": 1}, {"y": [3]}, [Neuron((2,), (-1,), 0)]), **bad)


def test_the_robust_build_is_a_unit_option(tmp_path):
    """`spikefp.unit(..., scale=K, replicas=R)` is the hardened netlist under its own module
    name, computes the unit's function, and the CLI takes it on every unit command."""
    plain = spikefp.unit("fp8e5m2.add")
    robust = spikefp.unit("fp8e5m2.add", scale=3, replicas=3)
    assert robust is spikefp.unit("fp8e5m2.add", replicas=3, scale=3)
    assert robust.module_name == "fp8e5m2_add_rne_scale3_replicas3" and robust.netlist.name == robust.module_name
    assert robust.netlist.neurons == harden(plain.netlist, 3, 3).neurons
    a, b = np.divmod(np.arange(1 << 16, dtype=np.uint64), np.uint64(256))
    want, got = pysim.compile(plain.netlist).run(a=a, b=b), pysim.compile(robust.netlist).run(a=a, b=b)
    assert all(np.array_equal(want[k], got[k]) for k in want)
    for bad in (2, 0, -1, 1.0, True):
        with pytest.raises(ValueError, match="scale must be an odd integer >= 1"):
            spikefp.unit("fp8e5m2.add", scale=bad)
    spikefp_cli = os.path.join(os.path.dirname(sys.executable), "spikefp")
    r = subprocess.run([spikefp_cli, "stats", "fp8e5m2.add", "--scale", "3", "--json"], capture_output=True, text=True)
    assert r.returncode == 0 and '"neurons": %d' % len(plain.netlist.neurons) in r.stdout
    r = subprocess.run([spikefp_cli, "eval", "fp8e5m2.add", "--replicas", "3"], input="3C 3C\n",
                       capture_output=True, text=True)
    assert (r.returncode, r.stdout) == (0, "3C 3C 40 00\n")
