"""The neuromorphic mapping pass: legalize, partition, place, simulate, count, charge energy.

`map_netlist(net, target, mode)` takes a unit's netlist onto a target's cores:

1. `spikefp.neuro.legalize` rewrites what breaks a per-neuron limit (fan-in over the target's
   as an exact tree of threshold neurons; weights split over relays; in ``wavefront`` mode
   every path balanced with relays);
2. `spikefp.neuro.partition` assigns neurons to cores with METIS within every per-core limit
   and places the cores on the mesh;
3. `spikefp.neuro.mapsim` runs the mapped network timestep by timestep, core by core, on
   random operations, checks every output bit against the exact engine on the original
   netlist, and counts each neuron's spikes;
4. `spikefp.neuro.energy` charges the counted events.

Timing modes. ``settle``: inputs are held and neurons are stateless, so the outputs are
valid ``depth`` timesteps after the inputs change; one operation per ``depth`` timesteps,
every neuron updated every timestep, and a settled neuron that is on fires every timestep.
``wavefront``: every edge spans exactly one level (relays added), a new operation enters
every timestep, each neuron is updated once per operation and fires at most once for it;
latency is still ``depth`` timesteps. Relays count in every figure.

Events per operation: ``spikes`` (neurons), ``input_spikes``; ``synops`` = spikes x fan-out
(input spikes included); ``updates`` = neurons x timesteps per operation; ``messages`` = one
per (spike, destination core), split into ``tile_spikes`` (destination in the source's tile)
and those that cross the mesh, whose Manhattan tile distance sums to ``hops``.

>>> import spikefp
>>> from spikefp.neuro.targets import get_target
>>> m = map_netlist(spikefp.unit("fp8e5m2.add").netlist, get_target("loihi1"), "wavefront",
...                 vectors=256)
>>> s = m.summary()
>>> s["cores"], s["mismatches"], s["ops_per_timestep"], s["latency_timesteps"] == s["depth"]
(1, 0, 1.0, True)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ..hdl.netlist import Netlist, atomic_write
from ..hdl.progress import phase
from .energy import energy_pj
from .legalize import Legalized, MappingError, legalize
from .mapsim import SimResult, simulate
from .partition import Partition, partition, place
from .targets import Target

__all__ = ["Mapping", "MappingError", "map_netlist", "MODES"]

MODES = ("settle", "wavefront")
FORMAT = "spikefp-mapping"


@dataclass
class Mapping:
    name: str
    target: Target
    mode: str
    original: dict               # stats of the unmapped netlist
    legal: Legalized
    part: Partition
    tiles: np.ndarray            # (n_cores, 2) tile x, y of every core
    sim: SimResult

    def events(self) -> dict:
        """Events per operation (see the module docstring)."""
        net = self.legal.netlist
        first = net.first_neuron
        e = self.part.edges
        fanout = np.bincount(e[:, 0], minlength=net.node_count)
        src_core = self.part.core[self.part.routes[:, 0]]
        dst_core = self.part.routes[:, 1]
        dist = np.abs(self.tiles[src_core] - self.tiles[dst_core]).sum(1)
        n = len(net.neurons)
        tile_routes = np.bincount(self.part.routes[:, 0], weights=(dist == 0), minlength=n)
        hop_routes = np.bincount(self.part.routes[:, 0], weights=dist, minlength=n)
        all_routes = np.bincount(self.part.routes[:, 0], minlength=n)
        sp = self.sim.spikes
        ops = self.sim.ops
        spikes = int(sp.sum())
        return {
            "spikes": spikes / ops,
            "input_spikes": int(self.sim.input_spikes.sum()) / ops,
            "synops": (int(sp @ fanout[first:]) + int(self.sim.input_spikes @ fanout[2:first])) / ops,
            "updates": n * self.sim.steps_per_op,
            "active_updates": spikes / ops,
            "messages": float(sp @ all_routes) / ops,
            "tile_spikes": float(sp @ tile_routes) / ops,
            "hops": float(sp @ hop_routes) / ops,
        }

    def summary(self) -> dict:
        """The figures of this mapping of ``unit`` (the name it was mapped under), JSON-ready."""
        net = self.legal.netlist
        st = net.stats()
        depth = st["depth"]
        ev = self.events()
        en = energy_pj(ev, self.target.energy)
        return {
            "unit": self.name, "target": self.target.name, "mode": self.mode,
            "cores": self.part.n_cores,
            "neurons": len(net.neurons), "relays": self.legal.report.relays,
            "synapses": st["synapses"], "depth": depth,
            "inter_core_edges": self.part.inter_core_edges,
            "latency_timesteps": depth,
            "ops_per_timestep": 1.0 if self.mode == "wavefront" else (1.0 / depth if depth else 1.0),
            "neuron_updates_per_timestep": len(net.neurons),
            "vectors": self.sim.vectors, "mismatches": self.sim.mismatches,
            "per_op": {k: round(v, 3) for k, v in ev.items()},
            "energy_pj": {k: round(v, 3) for k, v in en.items()},
            "energy_nj": round(en["total"] / 1000, 4),
            "legalization": self.legal.report.as_dict(),
            "core_usage": self.part.usage,
            "original": self.original,
        }

    def to_json(self, summary: dict | None = None) -> str:
        """The mapping: neuron -> core (legalized neuron order: the original neurons, then
        tree neurons, then relays), core -> tile, the tree neurons' indices, every relay's
        source node, and the summary."""
        net = self.legal.netlist
        n0 = self.legal.original_neurons
        nt = self.legal.report.tree_neurons
        d = {
            "format": FORMAT, "version": 1,
            "summary": summary or self.summary(),
            "first_neuron": net.first_neuron,
            "neuron_core": self.part.core.tolist(),
            "core_tile": self.tiles.tolist(),
            "tree_neurons": list(range(n0, n0 + nt)),
            "relays": [[n0 + nt + j, r.inputs[0]] for j, r in enumerate(net.neurons[n0 + nt:])],
            "outputs": net.outputs,
        }
        return json.dumps(d, sort_keys=True, separators=(",", ":")) + "\n"

    def save(self, path, summary: dict | None = None) -> None:
        atomic_write(path, self.to_json(summary))

    def report(self, summary: dict | None = None) -> str:
        """Human-readable summary."""
        s = summary or self.summary()
        p, e = s["per_op"], s["energy_pj"]
        o = s["original"]
        lg = s["legalization"]
        lines = [
            f"{s['unit']} on {s['target']} ({s['mode']})",
            f"  cores              {s['cores']}",
            f"  neurons            {s['neurons']:,} ({o['neurons']:,} + "
            + (f"{lg['tree_neurons']:,} tree + " if lg['tree_neurons'] else "") + f"{s['relays']:,} relays)",
            f"  legalized          {lg['weights_split']} weights over target max {self.target.max_weight} split "
            f"over {lg['relays_split']} relays in {lg['neurons_split']} neurons; {lg['relays_balance']:,} "
            f"balancing relays; {lg['constants_folded']} constant inputs folded; {lg['fanin_split']} neurons over "
            f"fan-in {min(self.target.fanin_axons_per_core, self.target.synapses_per_core)} rewritten as exact "
            f"trees of {lg['tree_neurons']:,} neurons",
            f"  synapses           {s['synapses']:,}",
            f"  inter-core edges   {s['inter_core_edges']:,}",
            f"  latency            {s['latency_timesteps']} timesteps",
            f"  throughput         {s['ops_per_timestep']:.4g} operations per timestep",
            f"  per operation      {p['spikes']:,.1f} spikes, {p['synops']:,.1f} synaptic ops, "
            f"{p['updates']:,} neuron updates, {p['messages']:,.1f} messages, {p['hops']:,.1f} hops",
            f"  energy / op        {s['energy_nj']:.3f} nJ = synops {e['synops'] / 1000:.3f} + updates "
            f"{e['updates'] / 1000:.3f} + tile spikes {e['tile_spikes'] / 1000:.3f} + hops {e['hops'] / 1000:.3f} nJ",
            f"  checked            {s['vectors']:,} random operations against the exact engine, "
            f"{s['mismatches']} mismatches",
        ]
        return "\n".join(lines)


def map_netlist(net: Netlist, target: Target, mode: str = "settle", vectors: int = 10_000,
                seed: int = 0, name: str | None = None) -> Mapping:
    """Map ``net`` onto ``target`` in ``mode`` and check it on ``vectors`` random operations.

    Raises `MappingError` (a `ValueError`) naming the limit when the unit cannot be mapped.
    """
    if mode not in MODES:
        raise MappingError(f"unknown timing mode {mode!r}; modes: {', '.join(MODES)}")
    if vectors < 1:
        raise MappingError(f"vectors must be >= 1, got {vectors}")
    # Each phase shows its progress on a terminal: fp64 units take minutes (fp64.div in
    # wavefront mode about 13), and a silent command that long looks hung.
    with phase("legalize"):
        leg = legalize(net, target, mode)
    with phase("partition"):
        part = partition(leg.netlist, target)
    with phase("place"):
        tiles = place(part, target)
    sim = simulate(net, leg.netlist, part.core, part.n_cores, mode, vectors, seed)   # its own bar
    return Mapping(name or net.name, target, mode, net.stats(), leg, part, tiles, sim)
