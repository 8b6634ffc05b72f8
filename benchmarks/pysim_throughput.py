"""Exact-engine throughput: neuron evaluations per second on the 24x24 multiplier.

Prints our figure beside NEXUS's FP32 adder (5,734 neurons x 93k ops/s ~ 5.3e8 neuron
evaluations per second, measured on this machine kind; see shared/ANCHORS.md).

    python benchmarks/pysim_throughput.py [--vectors 1048576] [--repeat 3]
"""

import argparse
import os
import sys
import time

import numpy as np

from spikefp import pysim
from spikefp.generators import BLOCKS

NEXUS_FP32_ADD_NEURONS = 5_734
NEXUS_FP32_ADD_OPS_PER_S = 93_000     # batch 100,000, torch 2.13 CPU, 2 cores (ANCHORS.md)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=1 << 20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    net = BLOCKS["mul"].build(24, "default")
    stats = net.stats()
    n = args.vectors
    rng = np.random.default_rng(0)
    a = rng.integers(0, 1 << 24, n, dtype=np.uint64)
    b = rng.integers(0, 1 << 24, n, dtype=np.uint64)
    t0 = time.perf_counter()
    sim = pysim.compile(net)
    compile_s = time.perf_counter() - t0
    sim.run(a=a[:4096], b=b[:4096])                        # warm-up
    best = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        out = sim.run(a=a, b=b)
        best = min(best, time.perf_counter() - t)
    ok = np.array_equal(out["lo"] | (out["hi"] << np.uint64(24)), a * b)
    planes = pysim.pack(a, 24), pysim.pack(b, 24)
    packed = np.concatenate(planes)
    core = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        sim.run_packed(packed)
        core = min(core, time.perf_counter() - t)
    ours = stats["neurons"] * n / best
    nexus = NEXUS_FP32_ADD_NEURONS * NEXUS_FP32_ADD_OPS_PER_S
    print(f"24x24 multiplier netlist: {stats['neurons']} neurons, depth {stats['depth']}, "
          f"{sim.word_ops / stats['neurons']:.1f} word operations per neuron, compiled in {compile_s:.2f} s")
    print(f"{n:,} vectors, {sim.threads} threads, {sim.chunk_words} words per chunk, best of {args.repeat}, "
          f"products checked against numpy: {'exact' if ok else 'WRONG'}")
    print(f"{'':34s}{'seconds':>10s}{'vectors/s':>12s}{'neuron evals/s':>16s}")
    print(f"{'spikefp exact engine, end to end':34s}{best:10.3f}{n / best:12.3e}{ours:16.3e}")
    print(f"{'spikefp exact engine, packed I/O':34s}{core:10.3f}{n / core:12.3e}{stats['neurons'] * n / core:16.3e}")
    print(f"{'NEXUS FP32 add (ANCHORS.md)':34s}{'':10s}{NEXUS_FP32_ADD_OPS_PER_S:12.3e}{nexus:16.3e}")
    print(f"ratio (end to end / NEXUS): {ours / nexus:.1f}x   target >= 5e9 neuron evals/s: "
          f"{'met' if ours >= 5e9 else 'NOT met'} on {os.cpu_count()} cores")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
