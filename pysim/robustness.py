"""The robustness study: Monte Carlo of `spikefp.pysim.dynamics` checked against an analytic prediction.

For each point of a sweep over ``sigma x delta x beta`` (a fixed noise kind and timing):

* ``unit_error_rate``: the fraction of trials in which any output bit (result or flag)
  differs from the exact engine on the same inputs;
* ``gate_error_rate``: gate errors (a decision differing from the ideal gate on the spikes
  the neuron received) per neuron per trial;
* ``predicted_unit_error_rate``: computed analytically, not from the Monte Carlo. On
  ``vectors`` input vectors (the first of the trials' inputs) the exact node values give
  each neuron its noiseless leaky sum ``S_n(v)`` (decay of every wait), boundary
  ``b_n = theta - 1/2`` and noise std ``s_n(v)`` (additive: ``sigma * sqrt(sum beta^2k)``
  over its integration window; multiplicative: ``sigma * sqrt(sum of active (w * decay)^2)``;
  threshold variation ``|b_n| * delta``; combined in quadrature). A decision the leaky model
  gets right flips with ``p = Q(|S - b| / s)`` (``1 - Q`` if it gets it wrong). A flip
  counts where it is observable: ``obs_n(v)`` = flipping neuron ``n`` alone changes an output,
  found by single-fault simulation on the exact engine (each neuron gets two forcing inputs
  with weights ``+-B``, ``B`` beyond its reach; one fault per column, bit-parallel). Then
  ``P(v) = 1 - prod_n (1 - p_n(v) * obs_n(v))``, averaged over the vectors. The prediction
  assumes independent single flips on otherwise exact inputs, so it is a first-order model:
  it fails when errors are many per trial.

Inputs: uniform random bit patterns per port (an ``rm`` port: uniform 0..4), from ``seed``.

Cost: the single-fault simulation is paid once per study (neurons x vectors runs of the exact
engine: fp32.mul, 2,048 vectors, 8 s settle, 89 s wavefront with its 7,547 neurons, on 2 CPU
threads); each point then costs one Monte Carlo run (fp32.mul, 10^5 trials: 4 s settle, 12 s
wavefront).

>>> from spikefp.hdl import Builder, gates
>>> b = Builder(); x = b.input("x", 2); b.output("y", [gates.xor(b, *x)])
>>> [p] = study(b.build(), sigmas=(0.3,), trials=20000, vectors=64, progress=False)
>>> 0.06 < p.gate_error_rate < 0.09, abs(p.unit_error_rate / p.predicted_unit_error_rate - 1) < 0.15
(True, True)
"""

from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np
import torch

from ..hdl.netlist import Netlist, Neuron
from ..hdl.progress import phase
from .dynamics import Dynamics, compile_dynamics
from .exact import compile as compile_exact

__all__ = ["Point", "study", "random_inputs", "observability", "predict"]


class Point(NamedTuple):
    """One point of a study (``_asdict()`` gives the JSON record)."""

    sigma: float
    delta: float
    beta: float
    trials: int
    unit_error_rate: float
    gate_error_rate: float
    predicted_unit_error_rate: float
    wrong_trials: int           # trials with any output bit wrong
    neurons: int                # neurons simulated (relays included for wavefront)


def random_inputs(netlist: Netlist, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` uniform random bit patterns per input port (``rm``: 0..4, the defined modes)."""
    rng = np.random.default_rng(seed)
    return {p: rng.integers(0, 5 if p == "rm" else 1 << w, n, dtype=np.uint64) for p, w in netlist.inputs.items()}


def _pack(bits: np.ndarray) -> np.ndarray:
    """Rows of bools (length a multiple of 64) as uint64 words, vector ``v`` at bit ``v % 64``."""
    return np.packbits(bits, axis=-1, bitorder="little").view("<u8").astype(np.uint64, copy=False)


def observability(netlist: Netlist, values: np.ndarray, budget: int = 1 << 25) -> np.ndarray:
    """``obs[k, v]``: flipping neuron ``k`` alone on vector ``v`` changes some output bit.

    ``values``: exact node values (nodes x vectors, bool, vectors a multiple of 64). Each
    neuron gets forcing inputs ``up_k`` (weight ``+B``) and ``dn_k`` (``-B``), ``B`` larger
    than any sum it can reach; column ``(k, v)`` drives the one that flips ``k``.
    """
    M = len(netlist.neurons)
    first = netlist.first_neuron
    n_in = first - 2
    V = values.shape[1]
    if V % 64:
        raise ValueError(f"observability: {V} vectors is not a multiple of 64")
    Vw = V // 64

    def remap(i):
        return i + 2 * M if i >= first else i

    neurons = []
    for k, neu in enumerate(netlist.neurons):
        B = sum(abs(w) for w in neu.weights) + abs(neu.threshold) + 1
        neurons.append(Neuron(tuple(remap(i) for i in neu.inputs) + (first + k, first + M + k),
                              neu.weights + (B, -B), neu.threshold))
    aug = Netlist({**netlist.inputs, "_up": M, "_dn": M},
                  {p: [remap(i) for i in bits] for p, bits in netlist.outputs.items()}, neurons)
    sim = compile_exact(aug)
    base_in = _pack(values[2:first])
    out_nodes = [i for bits in netlist.outputs.values() for i in bits]
    base_out = _pack(values[out_nodes])
    x = _pack(values[first:])
    F = max(1, min(M, budget // (8 * Vw * (aug.node_count + len(out_nodes)))))
    obs = np.zeros((M, V), bool)
    for k0 in range(0, M, F):
        f = min(F, M - k0)
        planes = np.zeros((n_in + 2 * M, f * Vw), np.uint64)
        planes[:n_in] = np.tile(base_in, f)
        for j in range(f):
            k = k0 + j
            planes[n_in + k, j * Vw:(j + 1) * Vw] = ~x[k]
            planes[n_in + M + k, j * Vw:(j + 1) * Vw] = x[k]
        out, _ = sim.run_packed(planes)
        diff = np.bitwise_or.reduce(out ^ np.tile(base_out, f), axis=0)
        obs[k0:k0 + f] = np.unpackbits(diff.astype("<u8").view(np.uint8), bitorder="little").reshape(f, V)
    return obs


def _q(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.special.erfc(x / math.sqrt(2))


def predict(sim, values: np.ndarray, obs: np.ndarray) -> float:
    """Predicted unit error rate of ``sim`` (a `DynamicsSim`) on the vectors of ``values``
    (exact node values, nodes x vectors) given ``obs`` (see `observability`)."""
    d = sim.dynamics
    first = sim.netlist.first_neuron
    X = torch.from_numpy(values.astype(np.float32)).to(sim.device, sim.dtype)
    log_ok = torch.zeros(values.shape[1], dtype=torch.float64, device=sim.device)
    obs_t = torch.from_numpy(obs).to(sim.device)
    for lvl in sim.levels:
        S = lvl.sums(X, lvl.wd).double()
        b = lvl.bound.double()
        var = torch.zeros_like(S)
        if d.noise == "additive":
            var += (d.sigma * lvl.win_std.double()) ** 2
        else:
            var += d.sigma ** 2 * lvl.sums(X, lvl.wd ** 2).double()
        var += (d.delta * b) ** 2
        s = var.sqrt()
        right = (S >= b) == X[lvl.rows].bool()
        z = (S - b).abs() / s
        q = torch.where(s > 0, _q(z), torch.zeros_like(z))
        p = torch.where(right, q, 1 - q)
        p = p * obs_t[lvl.rows - first]
        log_ok += torch.log1p(-p.clamp(max=1.0)).sum(dim=0)
    return float((1 - torch.exp(log_ok)).mean())


# What a study computes once per netlist and timing whatever the noise (the balanced network,
# node values and single-fault observability on the prediction inputs): sweeps that call
# `study` again on the same netlist (a benchmark runs six) reuse it. Keyed by identity, the
# netlist held so its id stays its own; the oldest of 16 entries is dropped.
_PREPARED: dict[tuple, tuple] = {}


def study(netlist: Netlist, sigmas=(0.0,), deltas=(0.0,), betas=(1.0,), noise: str = "additive",
          timing: str = "settle", trials: int = 10000, seed: int = 0, progress: bool = True,
          vectors: int = 2048, device=None) -> list[Point]:
    """Measure and predict unit and gate error rates over ``sigmas x deltas x betas``.

    One set of ``trials`` random inputs (see `random_inputs`) serves every point; the
    prediction uses its first ``vectors`` (rounded up to a multiple of 64).
    """
    points = [Dynamics(beta=b, sigma=s, delta=dl, noise=noise, timing=timing, seed=seed)
              for s, dl, b in itertools.product(sigmas, deltas, betas)]   # validates every point
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise ValueError(f"study: trials must be a positive integer, got {trials!r}")
    vectors = -(-max(64, int(vectors)) // 64) * 64
    inputs = random_inputs(netlist, max(trials, vectors), seed)
    trial_in = {p: v[:trials] for p, v in inputs.items()}
    pred_in = {p: v[:vectors] for p, v in inputs.items()}
    with phase("exact reference", total=None, unit="vec") if progress else _null():
        ref = compile_exact(netlist).run(**trial_in)
    key = (id(netlist), timing, vectors, seed, str(device))
    if key not in _PREPARED or _PREPARED[key][0] is not netlist:
        with phase("single-fault observability", total=None) if progress else _null():
            base = compile_dynamics(netlist, points[0], device)
            values = base.node_values(**pred_in)
            if len(_PREPARED) >= 16:
                _PREPARED.pop(next(iter(_PREPARED)))
            _PREPARED[key] = (netlist, base.netlist, values, observability(base.netlist, values))
    _, simulated, values, obs = _PREPARED[key]
    result = []
    with phase("robustness", total=len(points), unit="pt") if progress else _null() as bar:
        for d in points:
            # The simulated network (balanced once for wavefront) is the same at every point.
            sim = compile_dynamics(simulated, d, device) if timing == "wavefront" else compile_dynamics(netlist, d, device)
            out = sim.run(gate_errors=True, **trial_in)
            wrong = np.zeros(trials, bool)
            for port, v in ref.items():
                wrong |= out[port] != v
            M = len(sim.netlist.neurons)
            result.append(Point(d.sigma, d.delta, d.beta, trials, float(wrong.mean()),
                                float(out["gate_errors"].sum()) / (M * trials) if M else 0.0,
                                predict(sim, values, obs), int(wrong.sum()), M))
            if bar is not None:
                bar.update(1)
    return result


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
