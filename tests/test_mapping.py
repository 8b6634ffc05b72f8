"""The neuromorphic mapping pass: legalization is exact, partitions respect every per-core limit,
the time-stepped mapped network matches the exact engine, counts and energy follow the model."""

import doctest
import importlib
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import spikefp
from spikefp import pysim
from spikefp.hdl import Netlist, Neuron
from spikefp.neuro.legalize import MappingError, legalize
from spikefp.neuro.mapping import map_netlist
from spikefp.neuro.mapsim import simulate
from spikefp.neuro.partition import _slots, hop_cost, partition, place
from spikefp.neuro.targets import PRESETS, TargetError, get_target, load_target

SPIKEFP = [os.path.join(os.path.dirname(sys.executable), "spikefp")]
UNITS = ["fp32.add", "fp32.mul", "fp16.add", "fp8e4m3.mul", "fp64.add"]


def run(*args):
    return subprocess.run(SPIKEFP + list(args), capture_output=True, text=True, timeout=300)


def custom(**changes):
    """A preset with some fields changed (a dict, as a target file holds)."""
    d = json.loads(get_target("loihi1").to_json())
    d.update(name="custom", **changes)
    return d


def target_of(**changes):
    from spikefp.neuro.targets import _check
    return _check(custom(**changes), "test")


def random_planes(net, words, seed=1):
    return np.random.default_rng(seed).integers(0, 1 << 64, size=(net.first_neuron - 2, words), dtype=np.uint64)


@pytest.mark.parametrize("name", ["spikefp.neuro.legalize", "spikefp.neuro.partition", "spikefp.neuro.mapsim",
                                  "spikefp.neuro.energy", "spikefp.neuro.mapping"])
def test_docstring_examples(name):
    r = doctest.testmod(importlib.import_module(name))
    assert r.attempted > 0 and r.failed == 0


# -- acceptance: five units, two presets, two modes, >= 10,000 operations each -------------

@pytest.mark.parametrize("mode", ["settle", "wavefront"])
@pytest.mark.parametrize("target", ["loihi1", "loihi2"])
@pytest.mark.parametrize("name", UNITS)
def test_unit_maps_and_matches_the_exact_engine(name, target, mode):
    t = get_target(target)
    net = spikefp.unit(name).netlist
    m = map_netlist(net, t, mode, vectors=10_000, name=name)
    s = m.summary()
    assert s["vectors"] >= 10_000 and s["mismatches"] == 0
    assert 1 <= s["cores"] <= t.cores_per_chip
    for key, attr in (("neurons", "neurons_per_core"), ("synapses", "synapses_per_core"),
                      ("fanin_axons", "fanin_axons_per_core"), ("fanout_edges", "fanout_edges_per_core")):
        assert max(s["core_usage"][key]) <= getattr(t, attr)
    assert s["neurons"] == len(net.neurons) + s["relays"]
    assert s["latency_timesteps"] == m.legal.netlist.stats()["depth"]
    assert s["ops_per_timestep"] == (1.0 if mode == "wavefront" else 1 / s["latency_timesteps"])
    # Every weight fits the target's signed weight bits after legalization.
    assert max(abs(w) for n in m.legal.netlist.neurons for w in n.weights) <= t.max_weight == 127


# -- legalization ----------------------------------------------------------------------------

def test_weight_split_by_hand():
    # y = [1000 a + b >= 1001] (AND) on 9-bit weights: 1000 > 255 splits over
    # ceil(1000/255) = 4 relays of a, carrying 250 each.
    n = Netlist({"a": 1, "b": 1}, {"y": [4]}, [Neuron((2, 3), (1000, 1), 1001)])
    leg = legalize(n, target_of(weight_bits=9))
    assert leg.report.weights_split == 1 and leg.report.relays_split == 4 and leg.report.neurons_split == 1
    body, relays = leg.netlist.neurons[0], leg.netlist.neurons[1:]
    assert sorted(body.weights) == [1, 250, 250, 250, 250] and body.threshold == 1001
    assert all(r.inputs == (2,) and r.weights == (1,) and r.threshold == 1 for r in relays)
    for a in (0, 1):
        for b in (0, 1):
            assert leg.netlist.evaluate(a=a, b=b) == {"y": a & b}


def test_constants_fold_into_the_threshold():
    # y = [2 a + 3 * one + 5 * zero >= 4] = a
    n = Netlist({"a": 1}, {"y": [3]}, [Neuron((2, 1, 0), (2, 3, 5), 4)])
    leg = legalize(n, get_target("loihi1"))
    assert leg.netlist.neurons[0] == Neuron((2,), (2,), 1)
    assert leg.report.constants_folded == 2
    assert [leg.netlist.evaluate(a=a)["y"] for a in (0, 1)] == [0, 1]


@pytest.mark.parametrize("mode", ["settle", "wavefront"])
@pytest.mark.parametrize("weight_bits, name", [(9, "fp32.add"), (9, "fp64.add"), (3, "fp8e4m3.mul"), (4, "fp16.add")])
def test_legalized_netlist_computes_the_same_outputs(weight_bits, name, mode):
    net = spikefp.unit(name).netlist        # default profile: weights up to 1024
    assert net.stats()["max_weight"] > (1 << (weight_bits - 1)) - 1
    t = target_of(weight_bits=weight_bits)
    leg = legalize(net, t, mode)
    assert leg.report.weights_split > 0
    assert max(abs(w) for n in leg.netlist.neurons for w in n.weights) <= (1 << (weight_bits - 1)) - 1
    planes = random_planes(net, 200)
    want = pysim.compile(net).run_packed(planes)[0]
    got = pysim.compile(leg.netlist).run_packed(planes)[0]
    assert np.array_equal(got, want)


@pytest.mark.parametrize("name", ["fp32.add", "fp8e4m3.mul"])
def test_wavefront_netlist_is_balanced(name):
    leg = legalize(spikefp.unit(name).netlist, get_target("loihi1"), "wavefront").netlist
    lv = leg.levels
    first = leg.first_neuron
    for k, n in enumerate(leg.neurons):
        assert all(lv[x] == lv[first + k] - 1 for x in n.inputs), k
    outs = [i for bits in leg.outputs.values() for i in bits if i > 1]
    assert len({lv[i] for i in outs}) == 1


@pytest.mark.parametrize("changes, message", [
    ({"threshold_bits": 3}, "exceeds target 'custom' threshold_bits 3"),
    ({"membrane_bits": 6}, "beyond target 'custom' membrane_bits 6"),
    # Fan-in 2: no group step lowers a root's synapses (fan-in 8 is reached by trees).
    ({"fanin_axons_per_core": 2}, "exceeds target 'custom' fanin_axons_per_core 2"),
])
def test_what_cannot_be_legalized_names_the_limit(changes, message):
    with pytest.raises(MappingError, match=message):
        legalize(spikefp.unit("fp8e4m3.mul").netlist, target_of(**changes))



def narrow(fanin):
    import dataclasses
    return dataclasses.replace(get_target("loihi1"), name="narrow", fanin_axons_per_core=fanin)


def test_fanin_tree_by_hand_on_every_input():
    # 20 inputs, weights +-2^j (a comparator) with two odd ones out, on fan-in 8: exact on all
    # 2^20 inputs, every neuron within 8 synapses, the original neuron keeps its index.
    ws = [s * (1 << j) for j in range(10) for s in (1, -1)]
    ws[3], ws[7] = -6, 24
    n = Netlist({"a": 20}, {"y": [22]}, [Neuron(tuple(range(2, 22)), tuple(ws), 5)])
    leg = legalize(n, narrow(8))
    assert leg.report.fanin_split == 1 and leg.report.tree_neurons == len(leg.netlist.neurons) - 1 > 0
    assert leg.report.as_dict()["tree_neurons"] == leg.report.tree_neurons
    assert leg.netlist.outputs == {"y": [22]} and max(len(x.inputs) for x in leg.netlist.neurons) <= 8
    a = np.arange(1 << 20, dtype=np.uint64)
    want, got = pysim.compile(n).run(a=a)["y"], pysim.compile(leg.netlist).run(a=a)["y"]
    assert np.array_equal(np.asarray(got), np.asarray(want)) and 0 < np.asarray(want).mean() < 1


@pytest.mark.parametrize("mode", ["settle", "wavefront"])
@pytest.mark.parametrize("name, fanin", [("fp8e4m3.mul", 16), ("fp16.add", 8)])
def test_fanin_trees_on_real_units(name, fanin, mode):
    net = spikefp.unit(name).netlist
    assert net.stats()["max_fanin"] > fanin
    leg = legalize(net, narrow(fanin), mode)
    assert leg.report.fanin_split > 0 and leg.report.tree_neurons > 0
    assert max(len(x.inputs) for x in leg.netlist.neurons) <= fanin
    assert len(leg.netlist.neurons) == len(net.neurons) + leg.report.tree_neurons + leg.report.relays
    planes = random_planes(net, 40)          # 2,560 operations
    want = pysim.compile(net).run_packed(planes)[0]
    assert np.array_equal(pysim.compile(leg.netlist).run_packed(planes)[0], want)

# -- partitioning and placement --------------------------------------------------------------

def test_partition_respects_every_limit_recounted_independently():
    t = target_of(neurons_per_core=96, synapses_per_core=600, fanin_axons_per_core=200,
                  fanout_edges_per_core=150)
    net = legalize(spikefp.unit("fp16.add").netlist, t, "settle").netlist
    p = partition(net, t)
    first = net.first_neuron
    assert p.n_cores > 1 and sorted(set(p.core.tolist())) == list(range(p.n_cores))
    inter = 0
    for c in range(p.n_cores):
        members = [k for k in range(len(net.neurons)) if p.core[k] == c]
        assert len(members) <= 96
        assert sum(len(net.neurons[k].inputs) for k in members) <= 600
        assert len({x for k in members for x in net.neurons[k].inputs}) <= 200
        dests = {(k, int(p.core[j] )) for j, n in enumerate(net.neurons) for x in n.inputs
                 for k in [x - first] if x >= first and p.core[k] == c}
        assert len(dests) <= 150
    for j, n in enumerate(net.neurons):
        inter += sum(1 for x in n.inputs if x >= first and p.core[x - first] != p.core[j])
    assert p.inter_core_edges == inter


def test_placement_is_no_worse_than_the_serpentine_order():
    t = get_target("loihi1")
    net = legalize(spikefp.unit("fp32.mul").netlist, t, "wavefront").netlist
    p = partition(net, t)
    tiles = place(p, t)
    assert p.n_cores > t.cores_per_tile
    assert len({tuple(xy) for xy in tiles.tolist()}) * t.cores_per_tile >= p.n_cores
    for xy in tiles.tolist():        # at most cores_per_tile cores on a tile
        assert tiles.tolist().count(xy) <= t.cores_per_tile
    assert hop_cost(p, tiles) <= hop_cost(p, _slots(t)[:p.n_cores])


def test_a_unit_too_big_for_the_chip_names_the_limit():
    t = target_of(cores_per_chip=2, neurons_per_core=64, mesh=[1, 1], cores_per_tile=2)
    with pytest.raises(MappingError, match=r"need at least (\d+) cores of neurons_per_core = 64, "
                                           r"but cores_per_chip = 2") as e:
        map_netlist(spikefp.unit("fp32.add").netlist, t)
    # 978 neurons before relays: at least ceil(978 / 64) = 16 cores.
    assert int(e.value.args[0].split("need at least ")[1].split()[0]) >= 16


# -- the time-stepped simulation -------------------------------------------------------------

def test_wavefront_spikes_equal_the_exact_engine_counts_on_the_mapped_netlist():
    # In wavefront mode each neuron sees each operation exactly once, so its spikes over the
    # stream are exactly what the exact engine counts for the same operations.
    t = get_target("loihi1")
    net = spikefp.unit("fp32.add").netlist
    leg = legalize(net, t, "wavefront").netlist
    p = partition(leg, t)
    planes = random_planes(net, 40)
    r = simulate(net, leg, p.core, p.n_cores, "wavefront", planes=planes)
    assert p.n_cores > 1 and r.mismatches == 0 and r.vectors == 40 * 64
    _, counts = pysim.compile(leg).run_packed(planes, spikes=True)
    assert np.array_equal(r.spikes, counts)
    assert np.array_equal(r.input_spikes, np.bitwise_count(planes).sum(axis=1))


def test_settle_spikes_match_a_slow_reference():
    # Reference: one vector at a time, Python integers, synchronous updates from the state the
    # previous operation left (cyclically), counting every neuron that fires in depth steps.
    net = spikefp.unit("fp8e4m3.mul").netlist
    leg = legalize(net, get_target("loihi1")).netlist
    first = leg.first_neuron
    depth = leg.stats()["depth"]
    planes = random_planes(net, 1, seed=3)
    bits = [[(int(planes[i, 0]) >> v) & 1 for i in range(first - 2)] for v in range(64)]

    def settle(state, inputs, counts=None):
        state = list(state)
        state[2:first] = inputs
        for _ in range(depth):
            new = list(state)
            for k, n in enumerate(leg.neurons):
                new[first + k] = n.fires(state)
                if counts is not None:
                    counts[k] += new[first + k]
            state = new
        return state

    zero = [0, 1] + [0] * (leg.node_count - 2)
    settled = [settle(zero, bits[v]) for v in range(64)]
    counts = [0] * len(leg.neurons)
    for v in range(64):
        settle(settled[v - 1], bits[v], counts)
    r = simulate(net, leg, np.zeros(len(leg.neurons), np.int64), 1, "settle", planes=planes)
    assert r.mismatches == 0 and r.spikes.tolist() == counts
    assert r.input_spikes.tolist() == [depth * sum(b[i] for b in bits) for i in range(first - 2)]


@pytest.mark.parametrize("mode", ["settle", "wavefront"])
def test_a_broken_neuron_is_caught(mode):
    t = get_target("loihi1")
    net = spikefp.unit("fp16.add").netlist
    leg = legalize(net, t, mode).netlist
    out = leg.outputs["y"][3]
    k = out - leg.first_neuron
    neurons = list(leg.neurons)
    neurons[k] = Neuron(neurons[k].inputs, neurons[k].weights, neurons[k].threshold + 1)
    bad = Netlist(leg.inputs, leg.outputs, neurons)
    r = simulate(net, bad, np.zeros(len(neurons), np.int64), 1, mode, vectors=2000)
    assert r.mismatches > 0


def test_messages_and_hops_recounted_from_the_mapping():
    t = get_target("loihi1")
    m = map_netlist(spikefp.unit("fp32.mul").netlist, t, "wavefront", vectors=2000)
    net = m.legal.netlist
    first = net.first_neuron
    core, tiles = m.part.core, m.tiles
    dests = [set() for _ in net.neurons]
    fanout = [0] * net.node_count
    for j, n in enumerate(net.neurons):
        for x in n.inputs:
            fanout[x] += 1
            if x >= first:
                dests[x - first].add(int(core[j]))
    msgs = hops = tile = 0
    for k, sp in enumerate(m.sim.spikes.tolist()):
        msgs += sp * len(dests[k])
        for d in dests[k]:
            dist = abs(int(tiles[core[k]][0]) - int(tiles[d][0])) + abs(int(tiles[core[k]][1]) - int(tiles[d][1]))
            hops += sp * dist
            tile += sp * (dist == 0)
    synops = sum(sp * fanout[first + k] for k, sp in enumerate(m.sim.spikes.tolist())) + \
        sum(sp * fanout[2 + i] for i, sp in enumerate(m.sim.input_spikes.tolist()))
    ev = m.events()
    ops = m.sim.ops
    assert hops > 0
    assert ev["messages"] == msgs / ops and ev["hops"] == hops / ops and ev["tile_spikes"] == tile / ops
    assert ev["synops"] == synops / ops and ev["updates"] == len(net.neurons)


def test_energy_and_the_nexus_comparison_follow_the_published_figures():
    m = map_netlist(spikefp.unit("fp8e4m3.mul").netlist, get_target("loihi1"), "settle", vectors=640)
    s = m.summary()
    ev = m.events()
    # Davies et al. 2018: 23.6 pJ/synop, 52 pJ/update, 81 pJ/active update, 1.7 pJ within
    # tile, 3.5 pJ/hop (midpoint of 3.0-4.0).
    ours = ev["synops"] * 23.6 + (ev["updates"] - ev["spikes"]) * 52 + ev["spikes"] * 81 + \
        ev["tile_spikes"] * 1.7 + ev["hops"] * 3.5
    assert s["energy_nj"] == pytest.approx(ours / 1000, abs=1e-4)
    assert ev["updates"] == len(m.legal.netlist.neurons) * s["latency_timesteps"]
    # NEXUS FP32 add (ANCHORS.md): 5,734 neurons updated for 332 timesteps, 2,252 spikes,
    # 9,904 synapses: the benchmark's comparison (spikefp.anchors), not part of the summary.
    from spikefp.anchors import nexus_comparison, nexus_report
    nexus = 2252 * 9904 / 5734 * 23.6 + (5734 * 332 - 2252) * 52 + 2252 * 81
    nx = nexus_comparison(s, get_target("loihi1"))
    assert nx["energy_nj"] == pytest.approx(nexus / 1000, abs=1e-4)
    no_routing = ev["synops"] * 23.6 + (ev["updates"] - ev["spikes"]) * 52 + ev["spikes"] * 81
    assert nx["ratio"] == pytest.approx(nexus / no_routing, abs=0.01)
    assert nexus_report(s, nx).startswith(f"NEXUS fp32.add, same model (settle): {nx['energy_nj']:.3f} nJ/op "
                                          f"vs fp8e4m3_mul_rne ")


def test_the_summary_reports_the_unit_it_mapped_and_nothing_else():
    m = map_netlist(spikefp.unit("fp8e5m2.mul").netlist, get_target("loihi1"), "wavefront", vectors=256,
                    name="fp8e5m2.mul")
    s = m.summary()
    assert s["unit"] == "fp8e5m2.mul" and not any("nexus" in k.lower() for k in s)
    report = m.report(s)
    assert report.startswith("fp8e5m2.mul on loihi1 (wavefront)") and "NEXUS" not in report
    assert f"over target max {get_target('loihi1').max_weight} split" in report


def test_one_loihi_truth():
    """The loihi gate profile is the loihi1 target's per-neuron limits (spikefp.hdl.chips)."""
    from spikefp.hdl import get_profile
    p, t = get_profile("loihi"), get_target("loihi1")
    assert (p.max_weight, p.max_threshold, p.max_fanin) == (t.max_weight, t.max_threshold, t.fanin_axons_per_core)
    assert (t.weight_bits, t.max_weight) == (8, 127) and "Davies" in t.sources["weight_bits"]
    # a unit built for the profile maps onto the target without splitting a weight
    m = map_netlist(spikefp.unit("fp8e4m3.mul", profile="loihi").netlist, t, "settle", vectors=64)
    assert m.summary()["legalization"]["weights_split"] == 0


def test_mapping_is_deterministic():
    t = get_target("loihi1")
    net = spikefp.unit("fp32.mul").netlist
    a = map_netlist(net, t, "wavefront", vectors=1000).to_json()
    b = map_netlist(spikefp.unit("fp32.mul").netlist, t, "wavefront", vectors=1000).to_json()
    assert a == b


# -- targets and the command line --------------------------------------------------------------

def test_cli_map_prints_the_report_and_writes_the_mapping(tmp_path):
    out = tmp_path / "m.json"
    r = run("map", "fp16.add", "--target", "loihi1", "--mode", "wavefront", "--vectors", "2000", "-o", str(out))
    assert r.returncode == 0, r.stderr
    for word in ("cores", "neurons", "synapses", "inter-core edges", "latency", "operations per timestep",
                 "synaptic ops", "spikes", "energy / op", "0 mismatches", "balancing relays"):
        assert word in r.stdout, word
    d = json.loads(out.read_text())
    s = d["summary"]
    assert d["format"] == "spikefp-mapping" and len(d["neuron_core"]) == s["neurons"]
    assert len(d["core_tile"]) == s["cores"] == max(d["neuron_core"]) + 1
    assert r.stdout.startswith("fp16.add on loihi1 (wavefront)") and "NEXUS" not in r.stdout
    r2 = run("map", "fp16.add", "--target", "loihi1", "--mode", "wavefront", "--vectors", "2000", "--json",
             "-o", str(tmp_path / "m2.json"))
    assert r2.returncode == 0 and json.loads(r2.stdout) == s
    assert (tmp_path / "m2.json").read_bytes() == out.read_bytes()


def test_cli_map_dynamic_unit():
    r = run("map", "fp8e4m3.add", "--dynamic", "--profile", "loihi", "--target", "loihi2", "--json", "--vectors", "1000")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["mismatches"] == 0 and s["unit"] == "fp8e4m3.add" and s["legalization"]["weights_split"] == 0


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("synapses_per_core"), "missing field(s) synapses_per_core"),
    (lambda d: d.update(neurons_per_core=0), "neurons_per_core must be a positive integer, got 0"),
    (lambda d: d["energy"].pop("hop_pj"), "energy is missing hop_pj"),
])
def test_bad_target_file_is_rejected_and_nothing_is_written(tmp_path, edit, message):
    d = custom()
    edit(d)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(d))
    with pytest.raises(TargetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_target(str(path))
    out = tmp_path / "m.json"
    r = run("map", "fp8e4m3.mul", "--target", str(path), "-o", str(out))
    assert r.returncode == 2 and message in r.stderr and not out.exists()
    assert r.stdout == ""


def test_unit_too_big_for_a_tiny_target_file(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(custom(cores_per_chip=2, neurons_per_core=64, mesh=[1, 1], cores_per_tile=2)))
    out = tmp_path / "m.json"
    r = run("map", "fp32.add", "--target", str(path), "-o", str(out))
    assert r.returncode == 2 and not out.exists()
    assert "neurons_per_core = 64" in r.stderr and "cores_per_chip = 2" in r.stderr
    assert list(tmp_path.iterdir()) == [path]          # no temporary file left either


def test_metis_complaints_never_reach_stdout(tmp_path):
    """A target whose per-core fan-in no partition meets: METIS complains from C while the
    pass retries with more parts; stdout (a --json consumer's input) stays clean."""
    path = tmp_path / "narrow.json"
    path.write_text(json.dumps(custom(fanin_axons_per_core=16)))
    r = run("map", "fp8e4m3.mul", "--target", str(path), "--json", "--vectors", "256")
    assert r.returncode == 2 and r.stdout == ""
    assert "fanin_axons_per_core = 16" in r.stderr


def test_custom_target_file_maps(tmp_path):
    path = tmp_path / "small.json"
    path.write_text(json.dumps(custom(neurons_per_core=256, weight_bits=6)))
    r = run("map", "fp16.add", "--target", str(path), "--json", "--vectors", "1000")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["target"] == "custom" and s["cores"] >= math.ceil(s["neurons"] / 256) and s["mismatches"] == 0
    assert s["legalization"]["weights_split"] > 0


def test_presets_are_the_published_figures():
    t = PRESETS["loihi1"]        # Davies et al., IEEE Micro 2018
    assert (t.cores_per_chip, t.neurons_per_core, t.fanin_axons_per_core, t.fanout_edges_per_core) == \
        (128, 1024, 4096, 4096)
    assert (t.energy.synop_pj, t.energy.update_pj, t.energy.active_update_pj, t.energy.tile_spike_pj) == \
        (23.6, 52.0, 81.0, 1.7)


def test_placement_ends_where_no_swap_shortens_the_routes():
    # A random route graph between 10 cores on a 3 x 2 mesh of 2-core tiles: after `place`,
    # no exchange of two cores' slots lowers the hop cost (checked by brute force).
    from spikefp.neuro.partition import Partition
    rng = np.random.default_rng(5)
    C = 10
    routes = np.unique(np.stack([rng.integers(0, 60, 200), rng.integers(0, C, 200)], 1), axis=0)
    core = np.arange(60) % C
    p = Partition(core, C, {}, np.zeros((0, 2), np.int64), routes, 0)
    t = target_of(mesh=[3, 2], cores_per_tile=2, cores_per_chip=12)
    tiles = place(p, t)
    best = hop_cost(p, tiles)
    assert best <= hop_cost(p, _slots(t)[:C])
    for a in range(C):
        for b in range(a + 1, C):
            sw = tiles.copy()
            sw[[a, b]] = sw[[b, a]]
            assert hop_cost(p, sw) >= best
