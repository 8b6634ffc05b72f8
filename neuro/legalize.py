"""Legalization: rewrite a netlist so every neuron fits a target's per-neuron limits.

Four rewrites, each exact (the legalized netlist computes the same outputs):

* **constants folded**: a weight ``w`` on the constant-1 node becomes ``theta - w`` (a bias on
  a core), a weight on the constant-0 node is dropped; no core routes constant spikes.
* **fan-in trees**: a neuron whose synapses after weight splitting exceed
  ``min(fanin_axons_per_core, synapses_per_core)`` is rewritten step by step: its lightest
  inputs that fit one neuron (the group, sum ``S``) give way to a few *tree* neurons. The rest
  ``R`` takes only multiples of ``D`` (the gcd of its weights) in ``[Rmin, Rmax]``, so
  ``R + S >= theta`` iff ``R + D * v >= 0`` with ``v = floor((S - theta) / D)`` clamped to
  ``[-Rmax / D - 1, -Rmin / D]``; ``v`` is fed to the root as level neurons
  ``[S >= sigma_k]`` (``S`` enumerated), as binary digits computed from those levels
  (``+-1`` weights, always 0 or 1), or as binary digits computed MSB first from the group,
  whichever leaves the root fewest synapses. Steps repeat until the root fits. Tree neurons are
  appended after the original neurons (counted in ``tree_neurons``), before any relay; their
  weights may then be split like any other.
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
sum), a fan-in beyond ``fanin_axons_per_core`` or ``synapses_per_core`` where no step of the
tree construction lowers the root's synapses (e.g. a fan-in limit of 2).

>>> from spikefp.hdl import Netlist, Neuron
>>> from spikefp.neuro.targets import get_target
>>> n = Netlist({"a": 1, "b": 1}, {"y": [4]}, [Neuron((2, 3), (600, 1), 601)])  # AND
>>> leg = legalize(n, get_target("loihi1"))
>>> leg.report.weights_split, leg.report.relays_split, leg.netlist.evaluate(a=1, b=1)
(1, 5, {'y': 1})
"""

from __future__ import annotations

import math
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
    fanin_split: int = 0        # neurons over the fan-in limit rewritten as an exact tree
    tree_neurons: int = 0       # level and bit neurons added by those trees

    @property
    def relays(self) -> int:
        return self.relays_split + self.relays_balance

    def as_dict(self) -> dict:
        return {**asdict(self), "relays": self.relays}


@dataclass
class Legalized:
    netlist: Netlist            # original neurons keep their indices; then tree neurons, then relays
    report: LegalizeReport
    original_neurons: int


def _parts(w: int, k: int) -> list[int]:
    """``w`` as ``k`` integers of equal sign differing by at most one."""
    q, r = divmod(abs(w), k)
    s = 1 if w > 0 else -1
    return [s * (q + 1)] * r + [s * q] * (k - r)


class _Appended:
    """Neurons appended after the existing nodes: node ids from ``first`` on."""

    def __init__(self, first: int):
        self.first = first
        self.neurons: list[Neuron] = []

    def add(self, neu: Neuron) -> int:
        self.neurons.append(neu)
        return self.first + len(self.neurons) - 1


class _Relays(_Appended):
    """Relay neurons, shared by key."""

    def __init__(self, first: int):
        super().__init__(first)
        self.cache: dict[tuple, int] = {}

    def copy(self, x: int, j: int) -> int:
        """Node id of the ``j``-th relay copy of node ``x`` (delay 1)."""
        if (x, j) not in self.cache:
            self.cache[(x, j)] = self.add(RELAY(x))
        return self.cache[(x, j)]

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
                           f"fanin_axons_per_core {t.fanin_axons_per_core}")
    if len(neu.inputs) > t.synapses_per_core:
        raise MappingError(f"{where}: {len(neu.inputs)} synapses exceed target {t.name!r} "
                           f"synapses_per_core {t.synapses_per_core}")


def legalize(net: Netlist, target: Target, mode: str = "settle") -> Legalized:
    """Rewrite ``net`` for ``target`` (see the module docstring); ``mode`` settle or wavefront."""
    if mode not in ("settle", "wavefront"):
        raise MappingError(f"unknown timing mode {mode!r}; modes: settle, wavefront")
    rep = LegalizeReport()
    M = target.max_weight
    F = min(target.fanin_axons_per_core, target.synapses_per_core)
    tree = _Appended(net.first_neuron + len(net.neurons))      # ids after the original neurons
    folded = []
    for k, neu in enumerate(net.neurons):
        ins, ws, theta = [], [], neu.threshold
        for x, w in zip(neu.inputs, neu.weights):
            if x in (ZERO_NODE, ONE_NODE) or w == 0:
                rep.constants_folded += x in (ZERO_NODE, ONE_NODE)
                theta -= w if x == ONE_NODE else 0
                continue
            ins.append(x)
            ws.append(w)
        if sum(_cost(w, M) for w in ws) > F:
            folded.append(_fit_fanin(k, ins, ws, theta, target, tree))
            rep.fanin_split += 1
        else:
            folded.append(Neuron(tuple(ins), tuple(ws), theta))
    rep.tree_neurons = len(tree.neurons)
    folded += tree.neurons
    relays = _Relays(tree.first + len(tree.neurons))   # ids after the tree neurons
    body = []
    for neu in folded:
        ins, ws, split = [], [], False
        for x, w in zip(neu.inputs, neu.weights):
            if abs(w) <= M:
                ins.append(x)
                ws.append(w)
                continue
            for j, p in enumerate(_parts(w, _cost(w, M))):
                ins.append(relays.copy(x, j))
                ws.append(p)
            rep.weights_split += 1
            split = True
        rep.neurons_split += split
        body.append(Neuron(tuple(ins), tuple(ws), neu.threshold))
    rep.relays_split = len(relays.neurons)
    out = Netlist(net.inputs, net.outputs, body + relays.neurons, net.name)
    for k, neu in enumerate(out.neurons):
        _check_neuron(k, neu, target)
    if mode == "wavefront":
        out = _balance(out, rep)
    out.validate()
    return Legalized(out, rep, len(net.neurons))


# -- fan-in: an exact tree --------------------------------------------------------------------

_MAX_SUMS = 1 << 12     # distinct partial sums enumerated per group, at most
_MAX_STEPS = 4096       # group replacements per neuron, at most


def _cost(w: int, M: int) -> int:
    """Synapses a weight takes once split over relays of at most ``M`` each."""
    return -(-abs(w) // M)


def _reduced(ins, ws, theta) -> Neuron:
    """``[sum w x >= theta]`` with every weight divided by their gcd (same function)."""
    g = 0
    for w in ws:
        g = math.gcd(g, w)
    g = g or 1
    return Neuron(tuple(ins), tuple(w // g for w in ws), -(-theta // g))


def _replace_group(ins, ws, theta, F, M, tree):
    """One step: the lightest inputs that fit one neuron (the group, sum ``S``) are replaced
    by a few neurons. Exact because the rest ``R`` only takes multiples of ``D`` (the gcd of
    its weights) within ``[Rmin, Rmax]``: ``R + S >= theta`` iff ``R + D * v >= 0`` with
    ``v = floor((S - theta) / D)``, which may be clamped to ``[-Rmax / D - 1, -Rmin / D]``.
    Three forms of ``v`` (the one with the fewest synapses on the new root wins):

    * levels: ``t_k = [S >= sigma_k]`` where ``v`` steps up (``S`` takes only the values
      enumerated), each with weight ``D * step`` on the root;
    * levels to bits: binary digit ``j`` of ``v - v_1`` as ``[sum_k +-1 * t_k >= 1]`` over the
      levels where that digit changes (always 0 or 1), weight ``D * 2^j`` on the root;
    * bit chain: digits MSB first straight from the group,
      ``b_j = [S - D * sum_{i>j} 2^i b_i >= theta + D * (v_1 + 2^j)]``.

    Returns the new root, or None when no group lowers the root's synapses."""
    order = sorted(range(len(ins)), key=lambda i: (abs(ws[i]), ins[i]))
    n = len(order)
    suf_g, suf_lo, suf_hi = [0] * (n + 1), [0] * (n + 1), [0] * (n + 1)
    for p in range(n - 1, -1, -1):
        w = ws[order[p]]
        suf_g[p] = math.gcd(suf_g[p + 1], w)
        suf_lo[p] = suf_lo[p + 1] + min(w, 0)
        suf_hi[p] = suf_hi[p + 1] + max(w, 0)
    total = sum(_cost(w, M) for w in ws)
    best = None
    sums, used, rest_cost = {0}, 0, total
    for p in range(n - 1):              # group = order[:p + 1], rest = order[p + 1:]
        w = ws[order[p]]
        used += _cost(w, M)
        rest_cost -= _cost(w, M)
        if used > F:
            break
        sums = sums | {s + w for s in sums}
        if len(sums) > _MAX_SUMS:
            break
        D, lo, hi = suf_g[p + 1], suf_lo[p + 1] // suf_g[p + 1], suf_hi[p + 1] // suf_g[p + 1]
        steps = []                      # (least sum where v reaches a new value, v)
        for s in sorted(sums):
            v = min(max((s - theta) // D, -hi - 1), -lo)
            if not steps or v > steps[-1][1]:
                steps.append((s, v))
        cands = []
        if len(steps) - 1 <= F:
            lv = sum(_cost(D * (v - u), M) for (_, v), (_, u) in zip(steps[1:], steps))
            cands.append((rest_cost + lv, len(steps) - 1, "levels"))
            us = [v - steps[0][1] for _, v in steps]
            bits = [j for j in range(us[-1].bit_length()) if any(u >> j & 1 for u in us)]
            cands.append((rest_cost + sum(_cost(D << j, M) for j in bits), len(steps) - 1 + len(bits),
                          "levels-bits"))
        v1 = max((min(sums) - theta) // D, -hi - 1)
        nb = ((max(sums) - theta) // D - v1).bit_length()
        if used + sum(_cost(D << i, M) for i in range(1, nb)) <= F:
            cands.append((rest_cost + sum(_cost(D << j, M) for j in range(nb)), nb, "chain"))
        for c in cands:
            if c[0] < total and (best is None or c[:2] < best[0][:2]):
                best = (c, p, D, list(steps), v1, nb)
    if best is None:
        return None
    (_, _, form), p, D, steps, v1, nb = best
    group = order[:p + 1]
    gi, gw = [ins[i] for i in group], [ws[i] for i in group]
    new_ins = [ins[i] for i in order[p + 1:]]
    new_ws = [ws[i] for i in order[p + 1:]]
    if form == "chain":
        b = {}
        for j in range(nb - 1, -1, -1):
            hi_bits = sorted(b)
            b[j] = tree.add(_reduced(gi + [b[i] for i in hi_bits], gw + [-(D << i) for i in hi_bits],
                                     theta + D * (v1 + (1 << j))))
            new_ins.append(b[j])
            new_ws.append(D << j)
    else:
        t = [tree.add(_reduced(gi, gw, s)) for s, _ in steps[1:]]
        v1 = steps[0][1]
        if form == "levels":
            new_ins += t
            new_ws += [D * (v - u) for (_, v), (_, u) in zip(steps[1:], steps)]
        else:
            us = [v - v1 for _, v in steps]            # us[0] = 0
            for j in range(us[-1].bit_length()):
                bi, bw = [], []
                for k in range(1, len(us)):
                    d = (us[k] >> j & 1) - (us[k - 1] >> j & 1)
                    if d:
                        bi.append(t[k - 1])
                        bw.append(d)
                if bi:
                    new_ins.append(bi[0] if bw == [1] else tree.add(Neuron(tuple(bi), tuple(bw), 1)))
                    new_ws.append(D << j)
    # R + D * v >= 0; a level neuron standing for two bits (v - v_1 = 0, 3, ...) appears once
    # with the weights added.
    merged: dict[int, int] = {}
    for x, w in zip(new_ins, new_ws):
        merged[x] = merged.get(x, 0) + w
    merged = {x: w for x, w in merged.items() if w}
    return _reduced(list(merged), list(merged.values()), -D * v1)


def _fit_fanin(k, ins, ws, theta, target: Target, tree: _Appended) -> Neuron:
    """Neuron ``k`` rewritten so that, after weight splitting, it reads at most the target's
    fan-in; raises `MappingError` naming the limit when no exact tree fits."""
    F = min(target.fanin_axons_per_core, target.synapses_per_core)
    M = target.max_weight
    neu = Neuron(tuple(ins), tuple(ws), theta)
    mark = len(tree.neurons)
    for _ in range(_MAX_STEPS):
        if sum(_cost(w, M) for w in neu.weights) <= F:
            return neu
        nxt = _replace_group(neu.inputs, neu.weights, neu.threshold, F, M, tree)
        if nxt is None:
            break
        neu = nxt
    del tree.neurons[mark:]
    n = sum(_cost(w, M) for w in ws)
    limit = ("fanin_axons_per_core" if F == target.fanin_axons_per_core else "synapses_per_core")
    raise MappingError(f"neuron {k}: fan-in {n} (after weight splitting) exceeds target {target.name!r} "
                       f"{limit} {F} and no exact tree of threshold neurons of fan-in <= {F} was found")


def _balance(net: Netlist, rep: LegalizeReport) -> Netlist:
    """Delay chains so every neuron reads only level ``L - 1`` and every output bit sits at
    the output depth (constants excepted)."""
    lv = net.levels
    first = net.first_neuron
    relays = _Relays(net.node_count)
    body = []
    for k, neu in enumerate(net.neurons):
        L = lv[first + k]
        body.append(Neuron(tuple(relays.delay(x, L - 1 - lv[x]) for x in neu.inputs),
                           neu.weights, neu.threshold))
    live = [i for bits in net.outputs.values() for i in bits if i not in (ZERO_NODE, ONE_NODE)]
    depth = max((lv[i] for i in live), default=0)
    outputs = {p: [i if i in (ZERO_NODE, ONE_NODE) else relays.delay(i, depth - lv[i]) for i in bits]
               for p, bits in net.outputs.items()}
    rep.relays_balance = len(relays.neurons)
    return Netlist(net.inputs, outputs, body + relays.neurons, net.name)
