"""Neuron dynamics: a threshold-gate netlist run as a network of leaky, noisy spiking neurons.

The model (every figure of `spikefp.pysim.robustness` comes from it):

* **Single-spike code.** An input bit that is 1 spikes once, at timestep 0; a spike emitted
  at timestep ``t`` reaches its targets at ``t + 1``. The constant-1 node is not a spike
  source: a weight on it is a bias folded into the threshold (``theta - w``), as a core
  would hold it, and a weight on the constant 0 is dropped.
* **Integration.** Neuron ``n`` integrates ``V(t) = beta * V(t-1) + sum(w * spikes arriving at t)
  [+ noise]`` and decides once, at its decision timestep ``T_n``: it spikes iff
  ``V(T_n) >= b_n``, then resets to 0 (nothing is carried from one operation to the next).
  The integer threshold ``theta`` becomes the analog boundary ``b = theta - 1/2``, a margin
  of 1/2 on both sides of every integer sum, so ``sigma = delta = 0, beta = 1`` is exact.
* **Timing** ``"settle"``: the netlist as built, ``T_n = level(n)``. An input from a node of
  level ``l`` arrives at ``l + 1`` and waits ``L - 1 - l`` timesteps before the decision of a
  level-``L`` neuron, decaying by ``beta ** (L - 1 - l)``: leak acts exactly where the inputs
  of a neuron arrive at different timesteps. ``"wavefront"``: the netlist balanced with relay
  neurons (weight 1, threshold 1, as noisy as any neuron) so every edge spans one level;
  every input arrives the timestep before the decision, no charge waits, and ``beta`` has
  nothing to act on. `charge_wait` gives, per synapse, the timesteps its charge waits (all
  zero after balancing): that is the reason, computed rather than asserted.
* **Noise** (one trial = one device instance running one operation):
  ``noise="additive"``: membrane noise ``N(0, sigma^2)`` (weight units) added every timestep
  the neuron integrates, from the first timestep an input can arrive (``min l + 1``) to ``T_n``;
  noise added at ``t`` decays by ``beta ** (T_n - t)``, so a neuron sees
  ``sigma * sqrt(sum(beta ** 2k, k < T_n - min l))``. ``noise="multiplicative"``: every
  delivered spike's weight becomes ``w * (1 + sigma * N(0, 1))``. ``delta``: each neuron's
  boundary is ``b * (1 + delta * N(0, 1))``, drawn once per trial. Sums of independent
  Gaussians are drawn as one Gaussian of the summed variance (the same distribution, one
  draw per neuron instead of one per timestep or synapse).
* **Gate error**: a decision that differs from the ideal gate ``[sum(w * x) >= theta]`` applied
  to the spikes the neuron actually received in that trial (errors counted where they occur,
  not inherited from upstream).

Evaluation is level by level on torch tensors, all trials at once, in float32 (float64 for a
netlist where some ``sum |w| + |theta|`` reaches 2**24: below it every integer sum is exact), in
chunks of trials drawn in turn from one `torch.Generator` seeded with ``seed``: a run repeats
exactly for the same inputs, seed and chunk size (``DynamicsSim.chunk``).

>>> import numpy as np
>>> from spikefp.hdl import Builder, gates
>>> b = Builder(); x = b.input("x", 2); b.output("y", [gates.xor(b, *x)])
>>> sim = compile_dynamics(b.build(), Dynamics())
>>> sim.run(x=np.arange(4))["y"].tolist()
[0, 1, 1, 0]
>>> noisy = compile_dynamics(b.build(), Dynamics(sigma=0.3, seed=1))
>>> int((noisy.run(x=np.zeros(10000, np.uint8))["y"] != 0).sum()) > 0   # noise flips some
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..hdl.netlist import ONE_NODE, ZERO_NODE, Netlist, Neuron
from .exact import port_arrays, port_dtype

__all__ = ["Dynamics", "DynamicsSim", "compile_dynamics", "balance", "charge_wait"]

NOISES = ("additive", "multiplicative")
TIMINGS = ("settle", "wavefront")


@dataclass(frozen=True)
class Dynamics:
    """Parameters of the neuron model (see the module docstring)."""

    beta: float = 1.0
    sigma: float = 0.0
    delta: float = 0.0
    noise: str = "additive"
    timing: str = "settle"
    seed: int = 0

    def __post_init__(self):
        for name in ("beta", "sigma", "delta"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"Dynamics: {name} must be a finite number, got {v!r}")
        if not 0 <= self.beta <= 1:
            raise ValueError(f"Dynamics: beta must lie in [0, 1], got {self.beta}")
        if self.sigma < 0:
            raise ValueError(f"Dynamics: sigma must be >= 0, got {self.sigma}")
        if self.delta < 0:
            raise ValueError(f"Dynamics: delta must be >= 0, got {self.delta}")
        if self.noise not in NOISES:
            raise ValueError(f"Dynamics: unknown noise {self.noise!r}; noises: {', '.join(NOISES)}")
        if self.timing not in TIMINGS:
            raise ValueError(f"Dynamics: unknown timing {self.timing!r}; timings: {', '.join(TIMINGS)}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"Dynamics: seed must be an integer, got {self.seed!r}")


def _const(i: int) -> bool:
    return i in (ZERO_NODE, ONE_NODE)


def balance(netlist: Netlist) -> Netlist:
    """``netlist`` with relay chains so every edge spans one level and every output bit sits at
    the output depth (the wavefront discipline of `spikefp.neuro.legalize`, without a
    target's limits; constants are biases and get no relays).

    >>> from spikefp.hdl import Netlist, Neuron
    >>> n = Netlist({"a": 1, "b": 1}, {"y": [5]}, [Neuron((2,), (1,), 1), Neuron((4, 3), (1, 1), 2)])
    >>> len(balance(n).neurons), charge_wait(balance(n)), charge_wait(n)
    (3, [(0,), (0, 0), (0,)], [(0,), (0, 1)])
    """
    lv = netlist.levels
    first = netlist.first_neuron
    relays: list[Neuron] = []
    cache: dict[int, int] = {}

    def delay(x: int, d: int) -> int:
        for _ in range(d):
            if x not in cache:
                relays.append(Neuron((x,), (1,), 1))
                cache[x] = netlist.node_count + len(relays) - 1
            x = cache[x]
        return x

    body = [Neuron(tuple(x if _const(x) else delay(x, lv[first + k] - 1 - lv[x]) for x in neu.inputs),
                   neu.weights, neu.threshold) for k, neu in enumerate(netlist.neurons)]
    live = [i for bits in netlist.outputs.values() for i in bits if not _const(i)]
    depth = max((lv[i] for i in live), default=0)
    outputs = {p: [i if _const(i) else delay(i, depth - lv[i]) for i in bits] for p, bits in netlist.outputs.items()}
    return Netlist(netlist.inputs, outputs, body + relays, netlist.name)


def charge_wait(netlist: Netlist) -> list[tuple[int, ...]]:
    """Per neuron, per synapse: timesteps the charge of that input waits in the membrane before
    the neuron decides (``level(n) - 1 - level(input)``; 0 for constants, which are biases).
    Leak ``beta`` acts on exactly the synapses where this is non-zero."""
    lv = netlist.levels
    first = netlist.first_neuron
    return [tuple(0 if _const(x) else lv[first + k] - 1 - lv[x] for x in neu.inputs)
            for k, neu in enumerate(netlist.neurons)]


class _Level:
    """The neurons of one level: their synapses as (neuron, source row, weight, wait) lists."""

    def __init__(self, rows, triples, theta, window, beta, device, dtype):
        n = len(rows)
        self.rows = torch.tensor(rows, dtype=torch.long, device=device)
        r = [t[0] for t in triples]
        c = [t[1] for t in triples]
        w = np.array([t[2] for t in triples], np.float64)
        wait = np.array([t[3] for t in triples], np.float64)
        decay = beta ** wait
        self.dst = torch.tensor(r, dtype=torch.long, device=device)
        self.src = torch.tensor(c, dtype=torch.long, device=device)
        self.n = n
        self.w = torch.tensor(w, dtype=dtype, device=device)[:, None]       # ideal integer weights
        self.wd = torch.tensor(w * decay, dtype=dtype, device=device)[:, None]   # decayed by the wait
        self.leaks = bool(np.any(wait > 0)) and beta != 1       # else the decayed sum is the ideal one
        self.theta = torch.tensor(theta, dtype=dtype, device=device)[:, None]
        self.bound = self.theta - 0.5
        # Additive noise: sum over the integration window of beta^(2k).
        self.win_std = torch.tensor([math.sqrt(sum(beta ** (2 * k) for k in range(wl))) for wl in window],
                                    dtype=dtype, device=device)[:, None]

    def sums(self, X: torch.Tensor, weights: torch.Tensor, inputs: torch.Tensor | None = None) -> torch.Tensor:
        """``sum(weights * inputs)`` per neuron and trial (``inputs`` = the rows ``X[src]``)."""
        inputs = X[self.src] if inputs is None else inputs
        return torch.zeros((self.n, X.shape[1]), dtype=X.dtype, device=X.device).index_add_(
            0, self.dst, inputs * weights)


class DynamicsSim:
    """A netlist compiled for `Dynamics`; see `run`.

    ``netlist`` is the network simulated (balanced for ``timing="wavefront"``), ``waits`` its
    `charge_wait`, ``decision`` the decision timestep of each of its neurons.
    """

    def __init__(self, netlist: Netlist, dynamics: Dynamics, device=None):
        if not isinstance(dynamics, Dynamics):
            raise ValueError(f"compile_dynamics: dynamics must be a Dynamics, got {type(dynamics).__name__}")
        netlist.validate()
        self.source = netlist
        self.dynamics = dynamics
        self.device = torch.device(device or "cpu")
        self.netlist = balance(netlist) if dynamics.timing == "wavefront" else netlist
        nl = self.netlist
        self.waits = charge_wait(nl)
        lv = nl.levels
        first = nl.first_neuron
        self.decision = np.array(lv[first:], np.int64)
        by_level: dict[int, list[int]] = {}
        for k in range(len(nl.neurons)):
            by_level.setdefault(lv[first + k], []).append(k)
        self.levels: list[_Level] = []
        reach = max((sum(map(abs, n.weights)) + abs(n.threshold) for n in nl.neurons), default=0)
        self.dtype = torch.float32 if reach < 1 << 24 else torch.float64
        for L in sorted(by_level):
            triples, theta, window = [], [], []
            for j, k in enumerate(by_level[L]):
                neu = nl.neurons[k]
                th = neu.threshold
                srcs = []
                for x, w, wait in zip(neu.inputs, neu.weights, self.waits[k]):
                    if x == ONE_NODE:
                        th -= w                   # a bias, not a spike
                    elif x != ZERO_NODE and w:
                        triples.append((j, x, w, wait))
                        srcs.append(lv[x])
                theta.append(th)
                window.append(L - min(srcs) if srcs else 1)
            self.levels.append(_Level([first + k for k in by_level[L]], triples,
                                      theta, window, dynamics.beta, self.device, self.dtype))
        self.out_nodes = [i for bits in nl.outputs.values() for i in bits]
        # Trials per chunk: node rows of float32 within about 16 MB, so the rows a level
        # gathers stay in cache (measured: 4x slower at 64 MB on fp32.mul).
        self.chunk = int(min(8192, max(1024, (1 << 22) // nl.node_count)))

    # -- evaluation --------------------------------------------------------------------
    def _inputs(self, inputs) -> tuple[dict[str, np.ndarray], tuple]:
        arrays, shape = port_arrays(self.netlist, inputs)
        return {k: np.broadcast_to(a, shape).ravel() for k, a in arrays.items()}, shape

    def _bits(self, flat: dict[str, np.ndarray], start: int, stop: int) -> torch.Tensor:
        """Node rows (nodes x trials, 0.0 or 1.0) with the constants and input bits filled in."""
        nl = self.netlist
        X = torch.zeros((nl.node_count, stop - start), dtype=self.dtype, device=self.device)
        X[ONE_NODE] = 1
        row = 2
        for name, width in nl.inputs.items():
            v = flat[name][start:stop]
            bits = (v[None, :] >> np.arange(width, dtype=np.uint64)[:, None]) & np.uint64(1)
            X[row:row + width] = torch.from_numpy(bits.astype(np.float32)).to(self.device, self.dtype)
            row += width
        return X

    def _chunk(self, X: torch.Tensor, gen, errors) -> None:
        """Evaluate every level of one chunk of trials in place; add gate errors to ``errors``."""
        d = self.dynamics
        T = X.shape[1]
        for lvl in self.levels:
            ins = X[lvl.src]
            V = lvl.sums(X, lvl.wd, ins)
            ideal = lvl.sums(X, lvl.w, ins) if lvl.leaks else V.clone()
            if d.sigma:
                z = torch.randn(V.shape, generator=gen, device=self.device, dtype=X.dtype)
                std = lvl.win_std if d.noise == "additive" else torch.sqrt(lvl.sums(X, lvl.wd ** 2, ins))
                V += d.sigma * std * z
            bound = lvl.bound
            if d.delta:
                bound = bound * (1 + d.delta * torch.randn((len(lvl.rows), T), generator=gen, dtype=X.dtype,
                                                           device=self.device))
            fire = V >= bound
            if errors is not None:
                errors[lvl.rows - self.netlist.first_neuron] += (fire != (ideal >= lvl.theta)).sum(dim=1)
            X[lvl.rows] = fire.to(X.dtype)

    def run(self, gate_errors: bool = False, **inputs):
        """Run one trial per element of the (broadcast) unsigned input arrays.

        Returns the output ports as the exact engine does (numpy unsigned arrays of the
        inputs' shape); with ``gate_errors=True`` also ``"gate_errors"``: per neuron of
        ``self.netlist``, in how many trials its decision differed from its ideal gate on the
        spikes it received. The generator is seeded from ``dynamics.seed`` on every call, so
        the same call repeats exactly.
        """
        flat, shape = self._inputs(inputs)
        n = int(np.prod(shape, dtype=np.int64))
        nl = self.netlist
        gen = torch.Generator(device=self.device)
        gen.manual_seed(self.dynamics.seed)
        errors = torch.zeros(len(nl.neurons), dtype=torch.int64, device=self.device) if gate_errors else None
        out_bits = np.empty((len(self.out_nodes), n), np.uint64)
        idx = torch.tensor(self.out_nodes, dtype=torch.long, device=self.device)
        for start in range(0, n, self.chunk):
            stop = min(n, start + self.chunk)
            X = self._bits(flat, start, stop)
            self._chunk(X, gen, errors)
            out_bits[:, start:stop] = X[idx].to(torch.uint8).cpu().numpy()
        outputs = {}
        row = 0
        for name, bits in nl.outputs.items():
            k = len(bits)
            shifts = np.arange(k, dtype=np.uint64)[:, None]
            value = np.bitwise_or.reduce(out_bits[row:row + k] << shifts, axis=0) if k else np.zeros(n, np.uint64)
            outputs[name] = value.astype(port_dtype(max(k, 1)), copy=False).reshape(shape)
            row += k
        if gate_errors:
            outputs["gate_errors"] = errors.cpu().numpy()
        return outputs

    def node_values(self, **inputs) -> np.ndarray:
        """Exact value of every node (nodes x vectors, bool) on flat input arrays: the ideal gates,
        whatever the dynamics."""
        flat, shape = self._inputs(inputs)
        n = int(np.prod(shape, dtype=np.int64))
        X = self._bits(flat, 0, n)
        for lvl in self.levels:
            X[lvl.rows] = (lvl.sums(X, lvl.w) >= lvl.theta).to(X.dtype)
        return X.cpu().numpy().astype(bool)


def compile_dynamics(netlist: Netlist, dynamics: Dynamics, device=None) -> DynamicsSim:
    """Compile ``netlist`` to run under ``dynamics`` on a torch ``device`` (default CPU)."""
    return DynamicsSim(netlist, dynamics, device)
