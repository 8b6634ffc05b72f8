"""NEXUS's gates and adders as netlists, and spikefp's counterparts: exhaustive truth tables, pinned counts."""

import numpy as np
import pytest

from spikefp import nexus_gates as ng
from spikefp import pysim

# name -> (netlist factory, input ports, truth function, neurons)
GATES = {
    "and": (ng.and_, "ab", lambda a, b: a & b, 1),
    "or": (ng.or_, "ab", lambda a, b: a | b, 1),
    "not": (ng.not_, "a", lambda a: 1 - a, 1),
    "xor": (ng.xor, "ab", lambda a, b: a ^ b, 5),
    "mux": (ng.mux, "sab", lambda s, a, b: a if s else b, 4),
}


@pytest.mark.parametrize("name", sorted(GATES))
def test_gate_truth_table_and_count(name):
    make, ports, truth, neurons = GATES[name]
    net = make()
    assert net.stats()["neurons"] == neurons
    rows = np.array([[(v >> i) & 1 for i in range(len(ports))] for v in range(1 << len(ports))], np.uint64)
    got = pysim.compile(net).run(**{p: rows[:, i] for i, p in enumerate(ports)})["y"].tolist()
    assert got == [truth(*map(int, r)) for r in rows]


def test_nexus_neurons_have_nexus_thresholds():
    # AND = IF_1.5(a+b), OR = IF_0.5(a+b), NOT = IF_1.0(1.5 - x): integer threshold = boundary + 1/2
    assert [(n.weights, n.threshold) for f in (ng.and_, ng.or_, ng.not_) for n in f().neurons] == [
        ((1, 1), 2), ((1, 1), 1), ((-1,), 0)]


@pytest.mark.parametrize("make, neurons", [(ng.full_adder, 13), (ng.spikefp_full_adder, 2)])
def test_full_adders_exhaustive(make, neurons):
    net = make()
    assert net.stats()["neurons"] == neurons
    v = np.arange(8, dtype=np.uint64)
    a, b, c = v & 1, (v >> 1) & 1, v >> 2
    out = pysim.compile(net).run(a=a, b=b, cin=c)
    total = a + b + c
    assert out["s"].tolist() == (total & 1).tolist() and out["cout"].tolist() == (total >> 1).tolist()


@pytest.mark.parametrize("make, per_bit", [(ng.ripple_adder, 13), (ng.spikefp_ripple_adder, 2)])
def test_8bit_ripple_adders_exhaustive(make, per_bit):
    net = make(8)
    assert net.stats()["neurons"] == 8 * per_bit
    v = np.arange(1 << 17, dtype=np.uint64)
    a, b, c = v & 0xFF, (v >> 8) & 0xFF, v >> 16
    out = pysim.compile(net).run(a=a, b=b, cin=c)
    total = a + b + c
    assert np.array_equal(out["s"], total & 0xFF) and np.array_equal(out["cout"], total >> 8)


def test_32bit_ripple_adders_random():
    rng = np.random.default_rng(13)
    a, b = (rng.integers(0, 1 << 32, 10_000, dtype=np.uint64) for _ in range(2))
    c = rng.integers(0, 2, 10_000, dtype=np.uint64)
    for make, neurons in [(ng.ripple_adder, 416), (ng.spikefp_ripple_adder, 64)]:
        net = make(32)
        assert net.stats()["neurons"] == neurons
        out = pysim.compile(net).run(a=a, b=b, cin=c)
        assert np.array_equal(out["s"], (a + b + c) & 0xFFFFFFFF) and np.array_equal(out["cout"], (a + b + c) >> 32)


@pytest.mark.parametrize("n", [0, 65, 2.0, True])
def test_bad_width(n):
    with pytest.raises(ValueError, match="adder width"):
        ng.ripple_adder(n)
