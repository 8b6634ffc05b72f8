"""One transformer block built from `spikefp.nn`: bit-exact against its float emulation, and what it costs.

The block (pre-norm, single head, d = 16, T = 8 tokens, fp32 by default):

    h  = rms_norm(x) * g1
    q, k, v = Linear(h) x 3                      (sequential accumulation, as torch's order of terms)
    s  = matmul(q, kᵀ) * 2^-2                    (1/sqrt(d) for d = 16 is exact: a power of two)
    a  = softmax(s, dim=-1)                      (the maximum subtracted, fp64 inside)
    x1 = x + Linear(matmul(a, v))
    y  = x1 + Linear(gelu(Linear(rms_norm(x1) * g2)))      (MLP 16 -> 64 -> 16, erf GELU)

Every operation runs a spiking unit (`spikefp.nn`); the same block is computed again by
`spikefp.nn.emulate` (the same operations in the same order, float arithmetic and correctly rounded
reference functions, no spiking unit) and the two outputs must agree bit for bit. Printed per
token: neurons (the block laid out in space, one unit per operation), spikes, synaptic operations
and the Loihi energy estimate (`spikefp.nn.costs`), beside what NEXUS's units would need for the
same operations (its measured neurons per operation, shared/ANCHORS.md; NEXUS has no rsqrt, max
or conversion unit: those rows count ours as n/a) and NEXUS's published ~61.3 M neurons per block.

    python benchmarks/transformer_block.py [--d 16] [--tokens 8] [--fmt fp32] [--seed 0] [--json]

Exit status 0 when the block is bit-exact, 1 when it is not, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import torch

import spikefp.nn as snn
from spikefp.anchors import NEXUS, NEXUS_FUNCTIONS
from spikefp.nn import emulate, functional as F
from spikefp.nn.units import dtype as fmt_dtype, run

NEXUS_BLOCK_NEURONS = 61.3e6     # NEXUS paper: "~61.3M IF neurons per transformer block" (its model's sizes)


class Ops:
    """The block's arithmetic, spiking (`spikefp.nn`) or emulated (`spikefp.nn.emulate`): one program, two engines."""

    def __init__(self, lib, scalar):
        self.lib, self.scalar = lib, scalar

    def __getattr__(self, name):
        return getattr(self.lib, name)

    def add(self, a, b):
        return self.scalar("add", a, b)

    def mul(self, a, b):
        return self.scalar("mul", a, b)


def spiking_ops(fmt: str) -> Ops:
    return Ops(F, lambda op, a, b: run(op, fmt, a, b))


def emulated_ops() -> Ops:
    return Ops(emulate, lambda op, a, b: getattr(emulate, op)(a, b))


def block(o: Ops, x, p: dict):
    """The block of the module docstring, every operation through ``o``."""
    d = x.shape[-1]
    h = o.mul(o.rms_norm(x, d), p["g1"])
    q, k, v = (o.linear(h, p[w], p[w + "_b"]) for w in ("wq", "wk", "wv"))
    s = o.mul(o.matmul(q, k.transpose(-1, -2)), p["scale"])
    a = o.softmax(s, dim=-1)
    x1 = o.add(x, o.linear(o.matmul(a, v), p["wo"], p["wo_b"]))
    h2 = o.mul(o.rms_norm(x1, d), p["g2"])
    m = o.linear(o.gelu(o.linear(h2, p["w1"], p["w1_b"])), p["w2"], p["w2_b"])
    return o.add(x1, m)


def parameters(d: int, fmt: str, seed: int) -> dict:
    """Random block parameters in the format's dtype (torch.nn.Linear's initialization)."""
    g = torch.Generator().manual_seed(seed)
    dt = fmt_dtype(fmt)

    def lin(i, o):
        bound = 1 / math.sqrt(i)
        return ((torch.rand(o, i, generator=g) * 2 - 1) * bound).to(dt), ((torch.rand(o, generator=g) * 2 - 1) * bound).to(dt)
    p = {}
    for name, (i, o) in {"wq": (d, d), "wk": (d, d), "wv": (d, d), "wo": (d, d), "w1": (d, 4 * d), "w2": (4 * d, d)}.items():
        p[name], p[name + "_b"] = lin(i, o)
    p["g1"] = (1 + 0.1 * torch.randn(d, generator=g)).to(dt)
    p["g2"] = (1 + 0.1 * torch.randn(d, generator=g)).to(dt)
    p["scale"] = torch.tensor(1 / math.sqrt(d)).to(dt)       # exact when d is a power of 4
    return p


def nexus_per_op(unit: str) -> int | None:
    """NEXUS's measured neurons for one operation of ``unit`` (shared/ANCHORS.md), None if not measured."""
    unit = unit.replace(".sub", ".add")          # its subtractor is its adder with the sign flipped
    if unit in NEXUS:
        return NEXUS[unit].neurons
    f = NEXUS_FUNCTIONS.get(unit)
    return f.neurons if f else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=16, help="model width (default 16)")
    ap.add_argument("--tokens", type=int, default=8, help="sequence length (default 8)")
    ap.add_argument("--fmt", default="fp32", choices=["fp32", "bf16", "fp16"], help="format (default fp32)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = ap.parse_args(argv)
    if args.d < 1 or args.tokens < 1:
        ap.error("--d and --tokens must be positive")
    torch.set_num_threads(1)
    p = parameters(args.d, args.fmt, args.seed)
    x = torch.randn(args.tokens, args.d, generator=torch.Generator().manual_seed(args.seed + 1)).to(fmt_dtype(args.fmt))
    t0 = time.perf_counter()
    with snn.record(samples=args.tokens) as rec:
        y = block(spiking_ops(args.fmt), x, p)
    t_spiking = time.perf_counter() - t0
    ref = block(emulated_ops(), x, p)
    width = {2: torch.int16, 4: torch.int32}[y.element_size()]
    mismatches = int((y.view(width) != ref.view(width)).sum())
    c = rec.costs()
    per = c.per_sample()
    rows = []
    for unit, n in sorted(c.units.items()):
        ours = spikefp_neurons(unit)
        nx = nexus_per_op(unit)
        rows.append({"unit": unit, "per_token": n / args.tokens, "neurons_per_op": ours, "nexus_neurons_per_op": nx})
    nexus_known = sum(r["per_token"] * r["nexus_neurons_per_op"] for r in rows if r["nexus_neurons_per_op"])
    ours_known = sum(r["per_token"] * r["neurons_per_op"] for r in rows if r["nexus_neurons_per_op"])
    out = {"d": args.d, "tokens": args.tokens, "format": args.fmt, "outputs": y.numel(), "mismatches": mismatches,
           "neurons_per_token": c.neurons, "distinct_neurons": c.distinct_neurons,
           "spikes_per_token": per["spikes"], "synops_per_token": per["synops"],
           "energy_uj_per_token": per["energy_pj"] / 1e6, "evaluations_per_token": per["evaluations"],
           "units": rows, "nexus_same_ops_neurons_per_token": nexus_known,
           "ours_same_ops_neurons_per_token": ours_known, "nexus_block_neurons_published": NEXUS_BLOCK_NEURONS,
           "spiking_seconds": round(t_spiking, 2)}
    if args.json:
        print(json.dumps(out))
    else:
        print(f"transformer block d={args.d}, {args.tokens} tokens, {args.fmt}: spiking forward {t_spiking:.1f} s, "
              f"{y.numel()} outputs, {mismatches} bit mismatches against the float emulation")
        print(f"{'unit':14s} {'ops/token':>10s} {'neurons/op':>11s} {'NEXUS/op':>10s} {'neurons/token':>14s} {'NEXUS/token':>14s}")
        for r in rows:
            nx, k = r["nexus_neurons_per_op"], r["per_token"]
            nx_op, nx_tok = (f"{nx:,d}", f"{k * nx:,.0f}") if nx else ("n/a", "n/a")
            print(f"{r['unit']:14s} {k:10,.0f} {r['neurons_per_op']:11,d} {nx_op:>10s} "
                  f"{k * r['neurons_per_op']:14,.0f} {nx_tok:>14s}")
        print(f"per token: {c.neurons:,.0f} neurons laid out (one unit per operation; {c.distinct_neurons:,d} "
              f"in distinct units), {per['spikes']:,.0f} spikes, {per['synops']:,.0f} synaptic ops, "
              f"{per['energy_pj'] / 1e6:,.2f} uJ (Loihi model, no placement)")
        if ours_known:
            print(f"operations NEXUS has measured units for: ours {ours_known:,.0f} neurons/token, NEXUS "
                  f"{nexus_known:,.0f} ({nexus_known / ours_known:.1f}x); NEXUS's paper: ~{NEXUS_BLOCK_NEURONS / 1e6:.1f} M "
                  f"neurons per block (its model's sizes)")
    return 0 if mismatches == 0 else 1


def spikefp_neurons(unit: str) -> int:
    """Neurons of our static-RNE unit named ``unit`` (as the block used it)."""
    import spikefp
    return spikefp.unit(unit).stats()["neurons"]


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
