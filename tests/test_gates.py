"""Gate library: exhaustive truth tables and pinned neuron counts."""

import numpy as np
import pytest

from spikefp import pysim
from spikefp.hdl.gatespec import GATES, gate_netlist, gate_truth
from spikefp.hdl import Builder, Profile, gates

# Pinned counts (neurons, depth), counted with the gate as an output port.
PINNED = {
    "NOT": (1, 1), "AND4": (1, 1), "OR4": (1, 1), "NAND4": (1, 1), "NOR4": (1, 1),
    "MAJ5": (1, 1), "2-of-6": (1, 1), "XOR": (2, 2), "XNOR": (2, 2), "MUX": (2, 2),
    "half adder": (2, 2), "full adder": (2, 2),
}


@pytest.mark.parametrize("name", sorted(GATES))
def test_gate_truth_table_and_count(name):
    net = gate_netlist(name)
    n_in = GATES[name][0]
    assert (net.stats()["neurons"], net.stats()["depth"]) == PINNED[name]
    # Truth functions in spikefp.hdl.gatespec.GATES are plain Python; check them against obvious formulas too.
    expected = [gate_truth(name, v) for v in range(1 << n_in)]
    assert [net.evaluate(x=v)["y"] for v in range(1 << n_in)] == expected
    got = pysim.compile(net).run(x=np.arange(1 << n_in, dtype=np.uint64))["y"].tolist()
    assert got == expected


def test_truth_functions_are_the_textbook_ones():
    assert [gate_truth("MUX", v) for v in range(8)] == [0, 0, 1, 0, 0, 1, 1, 1]  # bits (s,a,b): s?b:a
    assert [gate_truth("full adder", v) for v in range(8)] == [0, 1, 1, 2, 1, 2, 2, 3]
    assert [gate_truth("XOR", v) for v in range(4)] == [0, 1, 1, 0]


def test_mux_within_three_neurons_and_full_adder_formula():
    b = Builder()
    s, a, c = (b.input(n, 1)[0] for n in "sac")
    y = gates.mux(b, s, a, c)
    b.output("y", [y])
    assert b.build().stats()["neurons"] <= 3
    # full adder sum is exactly [a + b + c - 2 carry >= 1] with carry the majority
    b = Builder()
    x = b.input("x", 3)
    sm, cy = gates.full_adder(b, *x)
    b.output("s", [sm]); b.output("c", [cy])
    net = b.build()
    carry = next(n for n in net.neurons if n.threshold == 2)
    total = next(n for n in net.neurons if n.threshold == 1)
    assert sorted(carry.weights) == [1, 1, 1]
    assert sorted(total.weights) == [-2, 1, 1, 1]


@pytest.mark.parametrize("k", [1, 5, 9, 20])
def test_wide_and_or_become_trees_under_fanin_limit(k):
    prof = Profile("tiny", max_fanin=4, max_weight=8)
    b = Builder(prof)
    x = b.input("x", k)
    b.output("a", [gates.and_(b, x)]); b.output("o", [gates.or_(b, x)])
    b.output("na", [gates.nand(b, x)]); b.output("no", [gates.nor(b, x)])
    net = b.build().validate(prof)
    for v in list(range(min(1 << k, 512))) + [(1 << k) - 1]:
        r = net.evaluate(x=v)
        allv, anyv = int(v == (1 << k) - 1), int(v != 0)
        assert (r["a"], r["o"], r["na"], r["no"]) == (allv, anyv, 1 - allv, 1 - anyv)


def test_at_least_k_of_n_exhaustive():
    b = Builder()
    x = b.input("x", 6)
    b.output("y", [gates.at_least(b, k, x) for k in range(7)])
    net = b.build()
    assert net.stats()["neurons"] == 6     # k = 0 is constant 1
    for v in range(64):
        pc = bin(v).count("1")
        assert net.evaluate(x=v)["y"] == sum(1 << k for k in range(7) if pc >= k)
