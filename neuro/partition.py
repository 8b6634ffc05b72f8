"""Partitioning neurons onto cores (METIS through ``pymetis``) and placing cores on the mesh.

`partition` assigns every neuron of a (legalized) netlist to a core so that each core stays
within the target's per-core limits, minimizing the synapses that cross cores. METIS
(Karypis & Kumar, SIAM J. Sci. Comput. 20(1), 1998) is the established multilevel k-way
graph partitioner; ``pymetis`` is its maintained Python binding. Two balance constraints
are given (neurons and synapses per vertex); when a partition breaks a limit (METIS allows
a few percent imbalance, and axon/fan-out counts are not balanced directly) the number of
parts grows by one and METIS runs again, up to ``cores_per_chip``. The seed is fixed, so the
same netlist and target always give the same assignment.

Per-core limits, as counted here (Loihi semantics, Davies et al. 2018):

* ``neurons``: neurons (relays included) on the core;
* ``synapses``: non-zero weights of those neurons;
* ``fanin_axons``: distinct sources (neurons anywhere, input-port bits) feeding the core;
* ``fanout_edges``: (neuron on the core, destination core) routes, the core itself included.

`place` puts cores on the tiles of the mesh: cores in a greedy traffic order (each next core
is the unplaced one with the most routes to the placed ones) fill tile slots along a
serpentine path, then pairwise swaps that shorten the route-weighted Manhattan distance are
applied until none helps.

>>> from spikefp.hdl import Netlist, Neuron
>>> from spikefp.neuro.targets import get_target
>>> n = Netlist({"a": 1}, {"y": [4]}, [Neuron((2,), (1,), 1), Neuron((3,), (1,), 1)])
>>> p = partition(n, get_target("loihi1"))
>>> p.n_cores, p.core.tolist(), place(p, get_target("loihi1")).tolist()
(1, [0, 0], [[0, 0]])
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass

import numpy as np

from ..hdl.netlist import Netlist
from .legalize import MappingError
from .targets import Target

__all__ = ["Partition", "partition", "core_usage", "place", "hop_cost", "traffic", "LIMITS"]

# usage key -> Target field
LIMITS = {"neurons": "neurons_per_core", "synapses": "synapses_per_core",
          "fanin_axons": "fanin_axons_per_core", "fanout_edges": "fanout_edges_per_core"}
_SEED = 12345          # fixed METIS seed: deterministic mappings


@dataclass
class Partition:
    core: np.ndarray       # core of every neuron (index into netlist.neurons)
    n_cores: int
    usage: dict            # limit name -> per-core counts (list)
    edges: np.ndarray      # (source node, destination neuron) synapses, shape (S, 2)
    routes: np.ndarray     # (source neuron index, destination core) pairs, unique, shape (R, 2)
    inter_core_edges: int  # synapses whose source neuron sits on another core


def _edges(net: Netlist) -> np.ndarray:
    rows = [(x, k) for k, neu in enumerate(net.neurons) for x, w in zip(neu.inputs, neu.weights) if w]
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def core_usage(net: Netlist, core: np.ndarray, n_cores: int, edges: np.ndarray | None = None) -> dict:
    """Per-core counts of every limit in `LIMITS` for an assignment ``core``."""
    edges = _edges(net) if edges is None else edges
    first = net.first_neuron
    dst_core = core[edges[:, 1]]
    syn = np.bincount(dst_core, minlength=n_cores)
    axons = np.unique(np.stack([dst_core, edges[:, 0]], 1), axis=0)
    fanin = np.bincount(axons[:, 0], minlength=n_cores)
    src = edges[:, 0] >= first
    routes = np.unique(np.stack([edges[src, 0] - first, dst_core[src]], 1), axis=0)
    fanout = np.bincount(core[routes[:, 0]], minlength=n_cores)
    return {"neurons": np.bincount(core, minlength=n_cores).tolist(), "synapses": syn.tolist(),
            "fanin_axons": fanin.tolist(), "fanout_edges": fanout.tolist()}


def _violation(usage: dict, t: Target):
    for key, attr in LIMITS.items():
        cap = getattr(t, attr)
        worst = max(usage[key], default=0)
        if worst > cap:
            return key, attr, worst, cap
    return None


def _metis(net: Netlist, edges: np.ndarray, nparts: int) -> np.ndarray:
    import pymetis
    n = len(net.neurons)
    first = net.first_neuron
    nn = edges[edges[:, 0] >= first]
    a, b = nn[:, 0] - first, nn[:, 1]
    # Undirected neuron graph, both directions, no self loops or duplicates.
    pairs = np.unique(np.concatenate([np.stack([a, b], 1), np.stack([b, a], 1)]), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    starts = np.searchsorted(pairs[:, 0], np.arange(n + 1))
    fanin = np.bincount(edges[:, 1], minlength=n)
    vw = np.stack([np.ones(n, np.int64), np.maximum(fanin, 1)], 1).ravel()   # ncon = 2
    opts = pymetis.Options(seed=_SEED)
    with _stdout_to_stderr():        # METIS prints its complaints from C to stdout (fd 1)
        res = pymetis.part_graph(nparts, pymetis.CSRAdjacency(starts.tolist(), pairs[:, 1].tolist()),
                                 vweights=vw.tolist(), options=opts)
    return np.asarray(res.vertex_part, dtype=np.int64)


@contextlib.contextmanager
def _stdout_to_stderr():
    """Send file descriptor 1 to 2 for a while, so C libraries cannot corrupt ``--json`` output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def partition(net: Netlist, t: Target) -> Partition:
    """Assign the neurons of ``net`` to cores of ``t`` (see the module docstring).

    Raises `MappingError` naming the limit when the unit needs more than ``cores_per_chip``.
    """
    n = len(net.neurons)
    edges = _edges(net)
    need = max(1, -(-n // t.neurons_per_core), -(-len(edges) // t.synapses_per_core))
    if need > t.cores_per_chip:
        which = ("neurons_per_core", t.neurons_per_core, n, "neurons") \
            if -(-n // t.neurons_per_core) >= -(-len(edges) // t.synapses_per_core) \
            else ("synapses_per_core", t.synapses_per_core, len(edges), "synapses")
        raise MappingError(f"{net.name or 'unit'} does not fit target {t.name!r}: {which[2]} {which[3]} "
                           f"need at least {need} cores of {which[0]} = {which[1]}, but cores_per_chip = "
                           f"{t.cores_per_chip}")
    last = None
    for nparts in range(need, t.cores_per_chip + 1):
        core = np.zeros(n, np.int64) if nparts == 1 else _metis(net, edges, nparts)
        # METIS may leave a part empty: renumber the used parts densely, in order.
        used, core = np.unique(core, return_inverse=True)
        usage = core_usage(net, core, len(used), edges)
        last = _violation(usage, t)
        if last is None:
            return _result(net, core, len(used), usage, edges)
    key, attr, worst, cap = last
    raise MappingError(f"{net.name or 'unit'} does not fit target {t.name!r}: with {t.cores_per_chip} "
                       f"cores (cores_per_chip) a core still needs {worst} {key.replace('_', ' ')}, "
                       f"above {attr} = {cap}")


def _result(net, core, n_cores, usage, edges) -> Partition:
    first = net.first_neuron
    src = edges[:, 0] >= first
    routes = np.unique(np.stack([edges[src, 0] - first, core[edges[src, 1]]], 1), axis=0).reshape(-1, 2)
    inter = int(np.sum(core[edges[src, 0] - first] != core[edges[src, 1]]))
    return Partition(core, n_cores, usage, edges, routes, inter)


def _slots(t: Target) -> np.ndarray:
    """(tile x, tile y) of every core slot, tiles in serpentine (boustrophedon) order."""
    mx, my = t.mesh
    tiles = [(x if y % 2 == 0 else mx - 1 - x, y) for y in range(my) for x in range(mx)]
    return np.array([xy for xy in tiles for _ in range(t.cores_per_tile)], np.int64)


def traffic(p: Partition) -> np.ndarray:
    """Routes between cores: ``T[c, d]`` = neurons on ``c`` with a synapse on ``d`` (c != d)."""
    T = np.zeros((p.n_cores, p.n_cores), np.int64)
    np.add.at(T, (p.core[p.routes[:, 0]], p.routes[:, 1]), 1)
    np.fill_diagonal(T, 0)
    return T + T.T


def place(p: Partition, t: Target) -> np.ndarray:
    """Tile (x, y) of every core, shape ``(n_cores, 2)``; see the module docstring."""
    C = p.n_cores
    T = traffic(p)
    order = [int(np.argmax(T.sum(1)))] if C else []
    rest = set(range(C)) - set(order)
    while rest:
        to_placed = T[:, order].sum(1)
        order.append(max(sorted(rest), key=lambda c: (to_placed[c], -c)))
        rest.discard(order[-1])
    slots = _slots(t)
    slot_of = np.empty(C, np.int64)
    slot_of[order] = np.arange(C)

    xy = slots[slot_of]
    improved = True
    while improved:           # first-improvement pairwise swaps; the cost strictly falls
        improved = False
        for a in range(C):
            for b in range(a + 1, C):
                da = np.abs(xy - xy[a]).sum(1)       # distance of every core from a's tile
                db = np.abs(xy - xy[b]).sum(1)
                # Swapping a and b: a's routes now run from b's tile and vice versa (the
                # a-b route keeps its length).
                delta = int((T[a] * (db - da)).sum() + (T[b] * (da - db)).sum()
                            - T[a, b] * (db[b] - da[b]) - T[b, a] * (da[a] - db[a]))
                if delta < 0:
                    slot_of[a], slot_of[b] = slot_of[b], slot_of[a]
                    xy = slots[slot_of]
                    improved = True
    return xy


def hop_cost(p: Partition, tiles: np.ndarray) -> int:
    """Route-weighted Manhattan distance of a placement (what `place` shortens)."""
    T = traffic(p)
    return int((T * np.abs(tiles[:, None, :] - tiles[None, :, :]).sum(2)).sum()) // 2
