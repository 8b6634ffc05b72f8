"""Floating-point units: counts beside NEXUS's measured ones, and fp32.add throughput.

For every operation and format, and every conversion: neurons, synapses and depth of the static-RNE and the
dynamic-rm unit ("exact" where a unit never rounds) (default profile) and of the static-RNE unit on the loihi profile, with
NEXUS's measured counts (shared/ANCHORS.md) and our share of them where NEXUS has the unit.
Then the exact engine's fp32.add rate on 2^20 random vectors beside numpy's native float32
add, measured in the same run.

    python benchmarks/fp_units.py [--vectors 1048576] [--repeat 3] [--skip-throughput]
"""

import argparse
import sys
import time

import numpy as np

import spikefp
from spikefp import pysim
from spikefp.anchors import NEXUS, NEXUS_FP32_ADD_OPS_PER_S
from spikefp.generators.fpformat import FORMATS
from spikefp.generators.registry import OPERATIONS
from spikefp.verify.regress import unit_names


def _row(name: str) -> str:
    u = spikefp.unit(name)
    s = u.stats()
    d = spikefp.unit(name, dynamic=True).stats() if u.rounds else None
    lo = spikefp.unit(name, profile="loihi").stats()
    dyn = f"{d['neurons']:11,d} {d['depth']:5d}" if d else f"{'exact':>11s} {'-':>5s}"
    line = (f"{name:17s} {s['neurons']:11,d} {s['synapses']:7,d} {s['depth']:5d} | {dyn} | "
            f"{lo['neurons']:7,d} {lo['depth']:5d} |")
    if name in NEXUS:
        n, _, dep = NEXUS[name]
        line += f" {n:6,d} {dep:5d} {s['neurons'] / n:10.1%} {s['depth'] / dep:6.1%}"
    return line


def counts_table(conversions: bool = True):
    head = (f"{'unit':17s} {'rne neurons':>11s} {'syn':>7s} {'depth':>5s} | {'dyn neurons':>11s} {'depth':>5s} | "
            f"{'loihi':>7s} {'depth':>5s} | {'NEXUS':>6s} {'depth':>5s} {'ours/NEXUS':>11s} {'depth':>6s}")
    print(head)
    print("-" * len(head))
    for src, op in unit_names(FORMATS, OPERATIONS, conversions):
        print(_row(f"{src}.{op}"), flush=True)


def throughput(n: int, repeat: int):
    u = spikefp.unit("fp32.add")
    sim = pysim.compile(u.netlist)
    rng = np.random.default_rng(0)
    a = rng.integers(0, 1 << 32, n, dtype=np.uint64)
    b = rng.integers(0, 1 << 32, n, dtype=np.uint64)
    sim.run(a=a[:4096], b=b[:4096])
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        sim.run(a=a, b=b)
        best = min(best, time.perf_counter() - t)
    x = a.astype(np.uint32).view(np.float32)
    y = b.astype(np.uint32).view(np.float32)
    native = float("inf")
    with np.errstate(all="ignore"):
        for _ in range(repeat):
            t = time.perf_counter()
            np.add(x, y)
            native = min(native, time.perf_counter() - t)
    ours = n / best
    print(f"\nfp32.add, {n:,} random vectors, best of {repeat} ({u.stats()['neurons']} neurons, depth {u.stats()['depth']}):")
    print(f"  spikefp exact engine      {ours:12.3e} ops/s   ({ours * u.stats()['neurons']:.2e} neuron evaluations/s)")
    print(f"  numpy float32 add         {n / native:12.3e} ops/s   (native: {ours / (n / native):.2e} of it)")
    print(f"  NEXUS FP32 add            {NEXUS_FP32_ADD_OPS_PER_S:12.3e} ops/s   (ours: {ours / NEXUS_FP32_ADD_OPS_PER_S:.0f}x)")
    print(f"  target >= 2e7 ops/s: {'met' if ours >= 2e7 else 'NOT met'}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=1 << 20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args(argv)
    counts_table()
    if not args.skip_throughput:
        throughput(args.vectors, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
