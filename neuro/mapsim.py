"""Time-stepped simulation of a mapped network, core by core, checked against the exact engine.

Every timestep each core updates all its neurons from the spikes that reached its axons one
timestep earlier (one synaptic delay per hop between neuron layers); a neuron holds no
membrane between timesteps (Loihi with full decay). A core is simulated bit-parallel: its
neurons form a one-level netlist over its axons, compiled by the exact engine, so one call
updates the core for 64 independent lanes per uint64 word. The global spike vector of the
previous timestep is the only state passed between cores (the mesh's job).

Two timing modes (see `spikefp.neuro.mapping`):

* ``settle``: inputs held; outputs read ``depth`` timesteps later; one operation per ``depth``
  timesteps. Each lane runs operation ``v`` starting from the settled state that operation
  ``v - 1`` left (a stream with no reset); that state comes from a first pass from the
  all-quiet state, whose outputs are checked as well.
* ``wavefront``: the network is balanced (every neuron reads only the level below); a new
  operation enters every timestep and its result leaves ``depth`` timesteps later. A spike
  of a level-``L`` neuron at timestep ``t`` belongs to operation ``t - L``; only spikes of real
  operations are counted (not pipeline fill or drain).

Counts returned per neuron (``spikes``) and per input bit (``input_spikes``) over all
operations; the caller turns them into synaptic operations, messages and hops.

>>> import numpy as np, spikefp
>>> from spikefp.neuro.legalize import legalize
>>> from spikefp.neuro.targets import get_target
>>> net = spikefp.unit("fp8e5m2.add").netlist
>>> leg = legalize(net, get_target("loihi1"), "wavefront").netlist
>>> r = simulate(net, leg, np.zeros(len(leg.neurons), np.int64), 1, "wavefront", vectors=256)
>>> r.vectors, r.mismatches
(256, 0)
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from ..hdl.netlist import Netlist, Neuron
from ..hdl.progress import phase
from ..pysim import compile as compile_exact

__all__ = ["SimResult", "simulate", "CoreProgram"]


@dataclass
class SimResult:
    vectors: int                 # operations checked against the exact engine
    mismatches: int              # operations whose outputs differ from it (any bit)
    timesteps: int               # timesteps simulated in all
    steps_per_op: float          # timesteps each operation occupies the network (settle: depth; wavefront: 1)
    spikes: np.ndarray           # spikes of every neuron over the measured operations
    input_spikes: np.ndarray     # spikes of every input-port bit over the measured operations
    ops: int                     # operations the counts cover


class CoreProgram:
    """One core: its neurons (indices), its axons (source node ids) and a compiled update."""

    def __init__(self, net: Netlist, members: np.ndarray):
        self.members = members
        first = net.first_neuron
        axons = sorted({x for k in members for x in net.neurons[k].inputs}) or [0]
        self.axons = np.array(axons, np.intp)
        local = {x: 2 + i for i, x in enumerate(axons)}
        neurons = [Neuron(tuple(local[x] for x in net.neurons[k].inputs), net.neurons[k].weights,
                          net.neurons[k].threshold) for k in members]
        base = 2 + len(axons)
        step = Netlist({"axons": len(axons)}, {"s": list(range(base, base + len(neurons)))}, neurons)
        self.sim = compile_exact(step, threads=1, native=False)
        self.rows = members + first

    def update(self, S: np.ndarray) -> np.ndarray:
        """Spike planes of the core's neurons this timestep from the state ``S`` of the last."""
        return self.sim.run_packed(S[self.axons])[0]


def _shift_lanes(P: np.ndarray) -> np.ndarray:
    """Lane ``v`` of the result holds lane ``v - 1`` of ``P`` (cyclically; lane = 64 * word + bit)."""
    return (P << np.uint64(1)) | (np.roll(P, 1, axis=1) >> np.uint64(63))


def _bad_lanes(a: np.ndarray, b: np.ndarray) -> int:
    diff = np.bitwise_or.reduce(a ^ b, axis=0) if len(a) else np.zeros(a.shape[1], np.uint64)
    return int(np.bitwise_count(diff).sum())


def simulate(reference: Netlist, net: Netlist, core: np.ndarray, n_cores: int, mode: str,
             vectors: int = 10_000, seed: int = 0, planes: np.ndarray | None = None) -> SimResult:
    """Run the mapped ``net`` (neuron ``k`` on core ``core[k]``) on random operations and
    compare its outputs with the exact engine on ``reference`` (the unmapped netlist).

    ``planes``: the operations as input bit planes ``(input bits, words)`` (64 per word, see
    `spikefp.pysim.pack`) instead of ``vectors`` uniformly random ones.
    """
    with contextlib.ExitStack() as stack:      # the progress bar of the timestep loop
        return _simulate(reference, net, core, n_cores, mode, vectors, seed, planes, stack)


def _simulate(reference, net, core, n_cores, mode, vectors, seed, planes, stack) -> SimResult:
    cores = [CoreProgram(net, np.flatnonzero(core == c)) for c in range(n_cores)]
    n_in = net.first_neuron - 2
    out_nodes = np.array([i for bits in net.outputs.values() for i in bits], np.intp)
    lv = np.array(net.levels, np.int64)
    depth = int(max((lv[i] for i in out_nodes), default=0))
    rng = np.random.default_rng(seed)
    ref = compile_exact(reference, threads=1)
    spikes = np.zeros(len(net.neurons), np.int64)
    S = np.zeros((net.node_count, 1), np.uint64)

    def step(S, count=None):
        new = S.copy()
        for c, cp in enumerate(cores):
            out = cp.update(S)
            new[cp.rows] = out
            if count is not None:
                count(c, out)
        return new

    if mode == "settle":
        words = max(1, -(-vectors // 64)) if planes is None else planes.shape[1]
        if planes is None:
            planes = rng.integers(0, 1 << 64, size=(n_in, words), dtype=np.uint64)
        want = ref.run_packed(planes)[0]
        S = np.zeros((net.node_count, words), np.uint64)
        S[1] = ~np.uint64(0)
        S[2:net.first_neuron] = planes
        bar = stack.enter_context(phase("simulate", total=2 * depth, unit=" timesteps"))
        for _ in range(depth):                        # first pass: from the all-quiet state
            S = step(S)
            bar.update(1)
        bad = _bad_lanes(S[out_nodes], want)
        S = _shift_lanes(S)                           # each operation starts where the last ended
        S[1] = ~np.uint64(0)
        S[2:net.first_neuron] = planes

        def count(c, out):
            spikes[cores[c].members] += np.bitwise_count(out).sum(axis=1, dtype=np.int64)
        for _ in range(depth):
            S = step(S, count)
            bar.update(1)
        bad += _bad_lanes(S[out_nodes], want)
        n = words * 64
        return SimResult(n, bad, 2 * depth, depth, spikes,
                         np.bitwise_count(planes).sum(axis=1, dtype=np.int64) * depth, n)
    if mode != "wavefront":
        raise ValueError(f"unknown timing mode {mode!r}")
    words = max(1, -(-vectors // 64)) if planes is None else planes.shape[1]
    W = -(-words // 128)                    # words of 64 streams: about 128 operations per stream
    if planes is None:
        words = W * -(-words // W)
    while words % W:                        # given planes: streams of equal length
        W += 1
    per_lane = words // W
    if planes is None:
        planes = rng.integers(0, 1 << 64, size=(n_in, words), dtype=np.uint64)
    want = ref.run_packed(planes)[0]
    got = np.zeros((len(out_nodes), per_lane * W), np.uint64)
    S = np.zeros((net.node_count, W), np.uint64)
    S[1] = ~np.uint64(0)
    levels_of = [lv[cp.rows] for cp in cores]
    bar = stack.enter_context(phase("simulate", total=per_lane + depth, unit=" timesteps"))
    for t in range(per_lane + depth):
        # S holds timestep t: a neuron at level L holds operation t - L; the inputs of
        # operation t enter now. The result of operation t - depth is at the outputs.
        S[2:net.first_neuron] = planes[:, t * W:(t + 1) * W] if t < per_lane else 0
        if t >= depth:
            got[:, (t - depth) * W:(t - depth + 1) * W] = S[out_nodes]

        def count(c, out, t=t + 1):
            op = t - levels_of[c]
            live = (op >= 0) & (op < per_lane)
            if live.any():
                spikes[cores[c].members[live]] += np.bitwise_count(out[live]).sum(axis=1, dtype=np.int64)
        if t + 1 < per_lane + depth:
            S = step(S, count)
        bar.update(1)
    n = per_lane * W * 64
    return SimResult(n, _bad_lanes(got, want), per_lane + depth, 1, spikes,
                     np.bitwise_count(planes).sum(axis=1, dtype=np.int64), n)
