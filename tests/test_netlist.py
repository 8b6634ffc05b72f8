"""Netlist core: validation, levels, stats, serialization, determinism."""

import json

import pytest

from spikefp.generators import BLOCKS
from spikefp.hdl import Builder, Netlist, NetlistError, Neuron, get_profile


def and_or_netlist():
    # y0 = a AND b (node 4), y1 = (a AND b) OR c (node 5); inputs a=2, b=3, c=... widths 1,1 -> c absent
    return Netlist({"a": 1, "b": 1, "c": 1},
                   {"y": [5, 6]},
                   [Neuron((2, 3), (1, 1), 2), Neuron((5, 4), (1, 1), 1)])


def test_node_layout_and_evaluate():
    n = and_or_netlist()
    assert n.first_neuron == 5
    assert n.input_bits("c") == [4]
    table = {(a, b, c): n.evaluate(a=a, b=b, c=c)["y"] for a in (0, 1) for b in (0, 1) for c in (0, 1)}
    for (a, b, c), y in table.items():
        assert y == (a & b) | (((a & b) | c) << 1)


def test_stats_definitions():
    n = Netlist({"x": 3}, {"y": [5, 6, 1]},
                [Neuron((2, 3, 4), (1, -3, 0), 1), Neuron((5, 2), (7, 1), 2)])
    s = n.stats()
    assert s == {"neurons": 2, "synapses": 4, "depth": 2, "max_fanin": 2, "max_weight": 7}


def test_validate_rejects_cycle_naming_the_neuron():
    n = Netlist({"a": 1}, {"y": [3]}, [Neuron((2, 4), (1, 1), 1), Neuron((3,), (1,), 1)])
    with pytest.raises(NetlistError, match=r"neuron [01] \(node [34]\) is on a cycle"):
        n.validate()


def test_validate_rejects_self_loop():
    n = Netlist({"a": 1}, {"y": [3]}, [Neuron((2, 3), (1, 1), 1)])
    with pytest.raises(NetlistError, match=r"neuron 0 \(node 3\) is on a cycle"):
        n.validate()


def test_validate_rejects_dangling_input():
    n = Netlist({"a": 2}, {"y": [4]}, [Neuron((2, 99), (1, 1), 2)])
    with pytest.raises(NetlistError, match=r"neuron 0 \(node 4\): input 99 is out of range \(0..4\)"):
        n.validate()


def test_validate_rejects_dangling_output_and_shape_errors():
    with pytest.raises(NetlistError, match=r"output y\[1\]: node 7 is out of range"):
        Netlist({"a": 1}, {"y": [3, 7]}, [Neuron((2,), (1,), 1)]).validate()
    with pytest.raises(NetlistError, match="neuron 0 .*2 inputs but 1 weights"):
        Netlist({"a": 2}, {"y": [4]}, [Neuron((2, 3), (1,), 1)]).validate()
    with pytest.raises(NetlistError, match="neuron 0 .*an input appears twice"):
        Netlist({"a": 2}, {"y": [4]}, [Neuron((2, 2), (1, 1), 1)]).validate()


def test_validate_profile_limits_name_the_neuron():
    wide = Netlist({"a": 8}, {"y": [10, 11]},
                   [Neuron((2, 3), (1, 1), 1), Neuron(tuple(range(2, 10)), (200,) + (1,) * 7, 3)])
    wide.validate("default")
    with pytest.raises(NetlistError, match=r"neuron 1 \(node 11\): weight 200 exceeds profile 'loihi' max_weight 127"):
        wide.validate("loihi")
    narrow = get_profile("default").__class__("tiny", max_fanin=4, max_weight=8)
    with pytest.raises(NetlistError, match=r"neuron 1 \(node 11\): fan-in 8 exceeds profile 'tiny' max_fanin 4"):
        wide.validate(narrow)
    big_t = Netlist({"a": 1}, {"y": [3]}, [Neuron((2,), (1,), 1 << 20)])
    with pytest.raises(NetlistError, match="threshold 1048576 exceeds profile 'loihi' max_threshold 131071"):
        big_t.validate("loihi")


def test_unknown_profile():
    with pytest.raises(ValueError, match="unknown gate profile 'tpu'; known profiles: default, loihi"):
        get_profile("tpu")


def test_save_load_roundtrip_byte_identical(tmp_path):
    net = BLOCKS["mul"].build(8, "loihi")
    p1, p2 = tmp_path / "a.json", tmp_path / "b.json"
    net.save(p1)
    again = Netlist.load(p1)
    again.save(p2)
    assert p1.read_bytes() == p2.read_bytes()
    assert again == net and again.stats() == net.stats()
    assert again.evaluate(a=201, b=77) == {"lo": (201 * 77) & 255, "hi": (201 * 77) >> 8}


def test_generation_is_deterministic():
    for name, blk in BLOCKS.items():
        a = blk.build(24, "default").to_json()
        b = blk.build(24, "default").to_json()
        assert a == b, name
    assert BLOCKS["add"].build(16).content_hash() == BLOCKS["add"].build(16).content_hash()
    assert BLOCKS["add"].build(16).content_hash() != BLOCKS["add"].build(17).content_hash()


def test_load_rejects_bad_files(tmp_path):
    with pytest.raises(NetlistError, match="not a netlist file"):
        Netlist.from_json("{")
    with pytest.raises(NetlistError, match="not a netlist file"):
        Netlist.from_json('{"format": "other"}')
    good = json.loads(BLOCKS["add"].build(4).to_json())
    good["neurons"][0][0] = [2, 999]
    with pytest.raises(NetlistError, match="input 999 is out of range"):
        Netlist.from_json(json.dumps(good))
    good["version"] = 7
    with pytest.raises(NetlistError, match="unsupported netlist version 7"):
        Netlist.from_json(json.dumps(good))


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    net = BLOCKS["add"].build(4)
    target = tmp_path / "n.json"

    def boom(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Netlist, "to_json", boom)
    with pytest.raises(RuntimeError):
        net.save(target)
    assert list(tmp_path.iterdir()) == []


def test_evaluate_checks_inputs():
    n = and_or_netlist()
    with pytest.raises(ValueError, match=r"missing inputs \['c'\]"):
        n.evaluate(a=1, b=1)
    with pytest.raises(ValueError, match="input a=2 does not fit 1 bits"):
        n.evaluate(a=2, b=1, c=0)


# -- builder ------------------------------------------------------------------------------

def test_structural_hashing_builds_identical_gates_once():
    b = Builder()
    x, y = b.input("x", 1)[0], b.input("y", 1)[0]
    g1 = b.neuron([(x, 1), (y, 1)], 2)
    g2 = b.neuron([(y, 1), (x, 1)], 2)           # same gate, inputs in another order
    g3 = b.neuron([(x, 3), (y, 3)], 5)           # same gate scaled: gcd normalization
    assert g1 == g2 == g3
    assert b.neuron([(x, -1), (y, -1)], -1) == ~g1   # NAND is the complement of AND
    assert b.neuron_count == 1


def test_constant_propagation_folds_gates():
    from spikefp.hdl import CONST0, CONST1
    b = Builder()
    x, y = b.input("x", 1)[0], b.input("y", 1)[0]
    assert b.neuron([(x, 1), (CONST0, 1)], 2) == CONST0       # AND(x, 0)
    assert b.neuron([(x, 1), (CONST1, 1)], 1) == CONST1       # OR(x, 1)
    assert b.neuron([(x, 1), (CONST1, 1)], 2) == x            # AND(x, 1) is x, no neuron
    assert b.neuron([(x, 1), (x, 1)], 2) == x                 # merged duplicate input
    assert b.neuron([(x, -1)], 0) == ~x                       # NOT is a free complement
    assert b.neuron([(x, 1), (y, 0)], 1) == x                 # zero weight dropped
    assert b.neuron_count == 0
    b.output("z", [~x])                                       # materialized as one NOT neuron
    assert b.build().stats()["neurons"] == 1


def test_dead_neurons_are_removed_and_outputs_can_be_constants():
    b = Builder()
    x = b.input("x", 2)
    b.neuron([(x[0], 1), (x[1], 1)], 2)                        # never used
    b.output("y", [b.neuron([(x[0], 1), (x[1], 1)], 1), 0, ~0])
    net = b.build()
    assert net.stats()["neurons"] == 1
    assert [net.evaluate(x=v)["y"] for v in range(4)] == [4, 5, 5, 5]


def test_builder_enforces_profile_at_creation():
    b = Builder("loihi")
    xs = b.input("x", 9)
    with pytest.raises(NetlistError, match="weight 256 exceeds profile 'loihi' max_weight 127"):
        b.neuron([(x, 1 << i) for i, x in enumerate(xs)], 300)


def test_builder_port_errors():
    b = Builder()
    b.input("a", 4)
    with pytest.raises(ValueError, match="port 'a' is declared twice"):
        b.input("a", 4)
    with pytest.raises(ValueError, match="width 65 is out of range 1..64"):
        b.input("w", 65)
    with pytest.raises(ValueError, match="names node 99, which does not exist"):
        b.output("y", [99])
