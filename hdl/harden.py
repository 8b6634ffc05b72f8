"""Hardening: the same Boolean function with more margin (the ``robust`` build option).

Every neuron of a netlist decides ``[S >= theta]`` on an integer sum ``S``; run as an analog
neuron its boundary is ``theta - 1/2``, so the margin is 1/2: a perturbation of the membrane
larger than 1/2 flips it. `harden` trades resources for margin in two ways.

``scale=k`` (odd k >= 1): every weight times k, threshold ``k*theta - (k-1)/2``. Reachable sums
are multiples of k and the boundary ``k*theta - k/2`` lies k/2 from each: k times the margin,
the same neurons and synapses, ``log2 k`` more weight and threshold bits (see `bits`).

``replicas=r`` (odd r >= 1): every neuron built r times; each copy reads all r copies of each
neuron input with that input's weight (a primary input or constant once, with weight r*w) and
has threshold ``r*theta - (r-1)/2``: a weighted vote over the copies whose margin is r/2, where
a minority of wrong input copies is outvoted while their total weight stays under r/2. Each
output bit is a majority neuron over its r copies (one extra neuron per distinct output
neuron). r times the neurons, up to r^2 times the synapses (8x on fp16.add at r = 3), the same
weights between neurons (weights on primary inputs become r*w: an input bit has one copy).

What each buys, per neuron, with sum deviation ``D`` against margin ``m`` (failure ~ Q(m/sd(D))):

* additive membrane noise sigma: ``D ~ N(0, sigma^2)`` whatever the weights, so scale k
  tolerates k times the sigma (Q(k/(2 sigma))) at no neuron cost; replicas r gives the same
  r/2 margin per copy plus voting over copies (r times the neurons for it).
* multiplicative synaptic noise (each weight ``w(1 + eps)``): ``sd(D)`` grows with the weights,
  so scaling multiplies deviation and margin alike and buys nothing; replicas sum r
  independent copies of each input's noise (``sd`` ~ sqrt(r)) against margin ~ r: sqrt(r).
* threshold variation delta, *relative* (boundary ``b (1 + delta eps)``, ``b = theta - 1/2``,
  fixed per neuron): scale k makes ``b`` k times larger, so the shift ``b delta`` grows exactly
  as fast as the margin and scaling does NOT help (nor does it help a replica by itself);
  replicas help only by outvoting the minority of copies whose draw put them wrong. An
  *absolute* variation (fixed in membrane units) behaves like additive noise: scale k helps by k.

>>> from spikefp.hdl import Netlist, Neuron
>>> maj = Netlist({"x": 3}, {"y": [5]}, [Neuron((2, 3, 4), (1, 1, 1), 2)])
>>> h = harden(maj, scale=3)
>>> h.neurons[0], h.evaluate(x=0b011)
(Neuron(inputs=(2, 3, 4), weights=(3, 3, 3), threshold=5), {'y': 1})
>>> r = harden(maj, replicas=3); r.stats()["neurons"], r.evaluate(x=0b100)
(4, {'y': 0})
"""

from __future__ import annotations

from typing import NamedTuple

from .chips import LOIHI1, max_weight
from .netlist import Netlist, Neuron

__all__ = ["harden", "bits", "Bits"]


def _odd(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1 or v % 2 == 0:
        raise ValueError(f"harden(): {name} must be an odd integer >= 1, got {v!r}")
    return v


def harden(netlist: Netlist, scale: int = 1, replicas: int = 1) -> Netlist:
    """The same function as ``netlist`` with ``scale`` times the margin and ``replicas`` copies
    of every neuron (both odd; see the module docstring for what each buys)."""
    k, r = _odd("scale", scale), _odd("replicas", replicas)
    neurons = [Neuron(n.inputs, tuple(w * k for w in n.weights), k * n.threshold - (k - 1) // 2)
               for n in netlist.neurons]
    name = netlist.name + (f"+scale{k}" if k > 1 else "") + (f"+replicas{r}" if r > 1 else "")
    if r == 1:
        return Netlist(netlist.inputs, netlist.outputs, neurons, name)
    first = netlist.first_neuron

    def copy(node: int, c: int) -> int:          # node id of copy c of an original node
        return first + (node - first) * r + c

    out = []
    for n in neurons:
        ins, ws = [], []
        for i, w in zip(n.inputs, n.weights):
            if i < first:                        # a constant or input bit: one exact copy
                ins.append(i); ws.append(w * r)
            else:
                ins += [copy(i, c) for c in range(r)]; ws += [w] * r
        t = r * n.threshold - (r - 1) // 2
        out += [Neuron(tuple(ins), tuple(ws), t)] * r
    vote: dict[int, int] = {}
    for bits in netlist.outputs.values():
        for b in bits:
            if b >= first and b not in vote:
                vote[b] = first + len(out)
                out.append(Neuron(tuple(copy(b, c) for c in range(r)), (1,) * r, (r + 1) // 2))
    outputs = {p: [vote.get(b, b) for b in bits] for p, bits in netlist.outputs.items()}
    return Netlist(netlist.inputs, outputs, out, name)


class Bits(NamedTuple):
    """Weight and threshold widths of a netlist against Loihi's signed 8-bit weights."""
    max_weight: int
    weight_bits: int         # signed: magnitude bits + sign
    max_threshold: int
    threshold_bits: int      # signed
    fits_loihi_weights: bool


def bits(netlist: Netlist) -> Bits:
    """Widths a chip needs for ``netlist``'s weights and thresholds.

    >>> from spikefp.hdl import Netlist, Neuron
    >>> bits(Netlist({"x": 2}, {"y": [4]}, [Neuron((2, 3), (100, -100), 150)]))
    Bits(max_weight=100, weight_bits=8, max_threshold=150, threshold_bits=9, fits_loihi_weights=True)
    """
    w = max((abs(x) for n in netlist.neurons for x in n.weights), default=0)
    t = max((abs(n.threshold) for n in netlist.neurons), default=0)
    return Bits(w, w.bit_length() + 1, t, t.bit_length() + 1, w <= max_weight(LOIHI1))
