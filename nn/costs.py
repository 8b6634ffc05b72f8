"""What a forward pass costs on spiking hardware: neurons, spikes, synaptic operations, energy.

Every spiking unit call made through `spikefp.nn` (`spikefp.nn.units.run`) is recorded by the
`Recorder`s open at that moment (a module's forward opens one; ``with record() as rec:`` opens
one around any code). The record keeps each call's operand bit patterns, so the figures of the
*last* forward are exact yet cost nothing while training: `Recorder.costs` re-runs the recorded
calls through the exact engine with spike counting only when asked.

Definitions (per forward pass, all samples of the batch together unless a name says otherwise):

* ``evaluations``: unit evaluations (one per element of every call);
* ``neurons``: neurons instantiated when the forward of ONE sample is laid out in space with a
  unit of its own for every operation: sum over units of neurons x evaluations / ``samples``;
  ``distinct_neurons``: the neurons of each distinct unit once (one unit per kind, time-shared);
* ``spikes``: neurons that fired; ``synops``: spikes x fan-out, input-port spikes included;
* ``energy_pj``: the mapping pass's model (`spikefp.neuro.energy`) on these counts for the
  target's energy table, each neuron updated once per evaluation (wavefront timing) and each
  spike one message inside its tile (no placement is run: mesh hops, which ``spikefp map`` adds
  for one unit, are not charged, so this is a lower bound of the placed figure).

>>> import torch, spikefp, spikefp.nn as snn
>>> with snn.record(samples=2) as rec:
...     y = snn.units.run("add", "fp32", torch.tensor([1.0, 2.0]), torch.tensor([0.5, 0.25]))
>>> c = rec.costs()
>>> y.tolist(), c.evaluations, c.neurons == spikefp.unit("fp32.add").stats()["neurons"]
([1.5, 2.25], 2, True)
>>> c.spikes > 0 and c.synops > c.spikes and c.energy_pj > 0
True
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["Costs", "Recorder", "record", "active"]


@dataclass(frozen=True)
class Costs:
    """Figures of one forward pass (see the module docstring for the definitions)."""

    samples: int
    evaluations: int
    neurons: float
    distinct_neurons: int
    spikes: int
    synops: int
    energy_pj: float
    units: dict = field(default_factory=dict)      # unit name -> evaluations

    def per_sample(self) -> dict:
        """Spikes, synaptic operations and energy per sample (e.g. per token)."""
        s = max(self.samples, 1)
        return {"spikes": self.spikes / s, "synops": self.synops / s, "energy_pj": self.energy_pj / s,
                "evaluations": self.evaluations / s}

    def as_dict(self) -> dict:
        return asdict(self)

    def __add__(self, other: "Costs") -> "Costs":
        units = dict(self.units)
        for k, v in other.units.items():
            units[k] = units.get(k, 0) + v
        return Costs(max(self.samples, other.samples), self.evaluations + other.evaluations,
                     self.neurons + other.neurons, self.distinct_neurons + other.distinct_neurons,
                     self.spikes + other.spikes, self.synops + other.synops,
                     self.energy_pj + other.energy_pj, units)


_local = threading.local()


def active() -> list:
    """The recorders open in this thread (innermost last)."""
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


class Recorder:
    """The unit calls of one forward pass: (unit, {port: bit-pattern array}) in call order."""

    def __init__(self, samples: int = 1, target: str = "loihi2"):
        self.samples = samples
        self.target = target
        self.calls: list = []

    def add(self, unit, ports: dict) -> None:
        self.calls.append((unit, ports))

    def costs(self) -> Costs:
        """Run the recorded calls again with spike counting and charge their events."""
        from ..neuro.energy import energy_pj
        from ..neuro.targets import get_target
        energy = get_target(self.target).energy
        evaluations = spikes = synops = 0
        neurons = 0.0
        distinct, units = {}, {}
        events = {"synops": 0, "updates": 0, "active_updates": 0, "tile_spikes": 0, "hops": 0}
        for unit, ports in self.calls:
            shape = np.broadcast_shapes(*(p.shape for p in ports.values()))
            n = int(np.prod(shape, dtype=np.int64))
            if n == 0:
                continue
            net = unit.netlist
            fan = _fanout(unit)
            out = unit.sim.run(spikes=True, **ports)
            fired = out["spikes"]
            # input spikes in the netlist's port order (node ids 2.. first_neuron)
            in_spikes = np.concatenate([_bit_counts(np.broadcast_to(ports[name], shape), w) for name, w in net.inputs.items()])
            s = int(fired.sum())
            so = int(fired @ fan[net.first_neuron:]) + int(in_spikes @ fan[2:net.first_neuron])
            k = len(net.neurons)
            evaluations += n
            spikes += s
            synops += so
            neurons += k * n / max(self.samples, 1)
            distinct[unit.module_name] = k
            units[unit.name] = units.get(unit.name, 0) + n
            events["synops"] += so
            events["updates"] += k * n
            events["active_updates"] += s
            events["tile_spikes"] += s
        total = energy_pj(events, energy)["total"] if evaluations else 0.0
        return Costs(self.samples, evaluations, round(neurons, 3), sum(distinct.values()), spikes, synops,
                     round(total, 3), units)


@contextlib.contextmanager
def record(samples: int = 1, target: str = "loihi2"):
    """Record the spiking unit calls made inside the block (nested recorders all see them)."""
    rec = Recorder(samples, target)
    stack = active()
    stack.append(rec)
    try:
        yield rec
    finally:
        stack.remove(rec)


def _fanout(unit) -> np.ndarray:
    """Fan-out of every node of ``unit``'s netlist (cached on the unit's netlist object)."""
    net = unit.netlist
    cached = getattr(net, "_spikefp_fanout", None)
    if cached is None:
        src = np.fromiter((i for nr in net.neurons for i, w in zip(nr.inputs, nr.weights) if w),
                          np.int64)
        cached = np.bincount(src, minlength=net.node_count)
        net._spikefp_fanout = cached
    return cached


def _bit_counts(values: np.ndarray, width: int) -> np.ndarray:
    """How many of ``values`` have each of the ``width`` low bits set (LSB first)."""
    v = np.ascontiguousarray(values).reshape(-1).astype(np.uint64, copy=False)
    return np.array([int(np.count_nonzero((v >> np.uint64(i)) & np.uint64(1))) for i in range(width)],
                    np.int64)
