"""Legalization: rewrite a netlist so every neuron fits a target's per-neuron limits.

Three rewrites, each exact (the legalized netlist computes the same outputs):

* **constants folded**: a weight ``w`` on the constant-1 node becomes ``theta - w`` (a bias on
  a core), a weight on the constant-0 node is dropped; no core routes constant spikes.
* **weights split**: a weight with ``|w| > target.max_weight`` on input ``x`` is spread over
  ``k = ceil(|w| / max_weight)`` *relay* copies of ``x`` (relay ``r = [x >= 1]``, weight 1,
  threshold 1), each carrying at most ``max_weight``; the parts sum to ``w``, so the neuron's
  sum is unchanged. A relay adds one timestep on its path. Relay copies are shared by every
  neuron that splits the same input.
* **wavefront balancing** (``mode="wavefront"``): every edge whose source is more than one
  level below its destination gets a chain of relays (delay neurons), and output bits below
  the output depth get chains to it, so each neuron reads only the level just below it and a
  new operation can enter every timestep. Chains are shared per source.

What cannot be rewritten exactly raises `MappingError` naming the limit: a threshold beyond
``threshold_bits``, a reachable membrane sum beyond ``membrane_bits`` (splitting keeps the
sum), a fan-in beyond ``fanin_axons_per_core`` or ``synapses_per_core`` (a threshold gate is
not in general a function of partial sums small enough to fit, so no exact tree is built).

>>> from spikefp.hdl import Netlist, Neuron
>>> from spikefp.neuro.targets import get_target
>>> n = Netlist({"a": 1, "b": 1}, {"y": [4]}, [Neuron((2, 3), (600, 1), 601)])  # AND
>>> leg = legalize(n, get_target("loihi1"))
>>> leg.report.weights_split, leg.report.relays_split, leg.netlist.evaluate(a=1, b=1)
(1, 3, {'y': 1})
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..hdl.netlist import ONE_NODE, ZERO_NODE, Netlist, Neuron
from .targets import Target

__all__ = ["MappingError", "LegalizeReport", "Legalized", "legalize", "RELAY"]


class MappingError(ValueError):
    """A unit that cannot be mapped onto a target; the message names the limit."""


def RELAY(x: int) -> Neuron:
    """A relay (delay) neuron: copies node ``x`` one timestep later."""
    return Neuron((x,), (1,), 1)


@dataclass
class LegalizeReport:
    """What `legalize` rewrote."""

    constants_folded: int = 0   # constant-node inputs folded into thresholds or dropped
    weights_split: int = 0      # weights with |w| > max_weight spread over relay copies
    neurons_split: int = 0      # neurons that had at least one weight split
    relays_split: int = 0       # relay neurons added for weight splitting
    relays_balance: int = 0     # relay neurons added to balance paths (wavefront)

    @property
    def relays(self) -> int:
        return self.relays_split + self.relays_balance

    def as_dict(self) -> dict:
        return {**asdict(self), "relays": self.relays}


@dataclass
class Legalized:
    netlist: Netlist            # original neurons keep their indices; relays are appended
    report: LegalizeReport
    original_neurons: int


def _parts(w: int, k: int) -> list[int]:
    """``w`` as ``k`` integers of equal sign differing by at most one."""
    q, r = divmod(abs(w), k)
    s = 1 if w > 0 else -1
    return [s * (q + 1)] * r + [s * q] * (k - r)


class _Relays:
    """Relay neurons appended to a neuron list, shared by key."""

    def __init__(self, neurons: list[Neuron], first: int):
        self.neurons = neurons
        self.first = first
        self.cache: dict[tuple, int] = {}
        self.added = 0

    def copy(self, x: int, j: int) -> int:
        """Node id of the ``j``-th relay copy of node ``x`` (delay 1)."""
        key = (x, j)
        if key not in self.cache:
            self.neurons.append(RELAY(x))
            self.cache[key] = self.first + len(self.neurons) - 1
            self.added += 1
        return self.cache[key]

    def delay(self, x: int, d: int) -> int:
        """Node ``x`` delayed by ``d`` timesteps through a shared relay chain."""
        for _ in range(d):
            x = self.copy(x, 0)
        return x


def _check_neuron(k: int, neu: Neuron, t: Target) -> None:
    where = f"neuron {k}"
    if abs(neu.threshold) > t.max_threshold:
        raise MappingError(f"{where}: threshold {neu.threshold} exceeds target {t.name!r} "
                           f"threshold_bits {t.threshold_bits} (|threshold| <= {t.max_threshold})")
    pos = sum(w for w in neu.weights if w > 0)
    neg = sum(w for w in neu.weights if w < 0)
    if pos >= t.max_membrane or -neg > t.max_membrane:
        raise MappingError(f"{where}: membrane sums reach [{neg}, {pos}], beyond target {t.name!r} "
                           f"membrane_bits {t.membrane_bits} (+-{t.max_membrane})")
    if len(neu.inputs) > t.fanin_axons_per_core:
        raise MappingError(f"{where}: fan-in {len(neu.inputs)} exceeds target {t.name!r} "
                           f"fanin_axons_per_core {t.fanin_axons_per_core} (no exact partial-sum tree)")
    if len(neu.inputs) > t.synapses_per_core:
        raise MappingError(f"{where}: {len(neu.inputs)} synapses exceed target {t.name!r} "
                           f"synapses_per_core {t.synapses_per_core}")


def legalize(net: Netlist, target: Target, mode: str = "settle") -> Legalized:
    """Rewrite ``net`` for ``target`` (see the module docstring); ``mode`` settle or wavefront."""
    if mode not in ("settle", "wavefront"):
        raise MappingError(f"unknown timing mode {mode!r}; modes: settle, wavefront")
    rep = LegalizeReport()
    M = target.max_weight
    relays = _Relays([], net.first_neuron + len(net.neurons))   # ids after the original neurons
    body = []
    for neu in net.neurons:
        ins, ws, theta, split = [], [], neu.threshold, False
        for x, w in zip(neu.inputs, neu.weights):
            if x in (ZERO_NODE, ONE_NODE) or w == 0:
                rep.constants_folded += x in (ZERO_NODE, ONE_NODE)
                theta -= w if x == ONE_NODE else 0
                continue
            if abs(w) <= M:
                ins.append(x)
                ws.append(w)
                continue
            for j, p in enumerate(_parts(w, -(-abs(w) // M))):
                ins.append(relays.copy(x, j))
                ws.append(p)
            rep.weights_split += 1
            split = True
        rep.neurons_split += split
        body.append(Neuron(tuple(ins), tuple(ws), theta))
    rep.relays_split = relays.added
    out = Netlist(net.inputs, net.outputs, body + relays.neurons, net.name)
    for k, neu in enumerate(out.neurons):
        _check_neuron(k, neu, target)
    if mode == "wavefront":
        out = _balance(out, rep)
    out.validate()
    return Legalized(out, rep, len(net.neurons))


def _balance(net: Netlist, rep: LegalizeReport) -> Netlist:
    """Delay chains so every neuron reads only level ``L - 1`` and every output bit sits at
    the output depth (constants excepted)."""
    lv = net.levels
    first = net.first_neuron
    relays = _Relays([], net.node_count)
    body = []
    for k, neu in enumerate(net.neurons):
        L = lv[first + k]
        body.append(Neuron(tuple(relays.delay(x, L - 1 - lv[x]) for x in neu.inputs),
                           neu.weights, neu.threshold))
    live = [i for bits in net.outputs.values() for i in bits if i not in (ZERO_NODE, ONE_NODE)]
    depth = max((lv[i] for i in live), default=0)
    outputs = {p: [i if i in (ZERO_NODE, ONE_NODE) else relays.delay(i, depth - lv[i]) for i in bits]
               for p, bits in net.outputs.items()}
    rep.relays_balance = relays.added
    return Netlist(net.inputs, outputs, body + relays.neurons, net.name)
