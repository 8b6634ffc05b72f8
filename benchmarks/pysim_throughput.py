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
from spikefp.anchors import NEXUS, NEXUS_FP32_ADD_OPS_PER_S
from spikefp.generators import BLOCKS

NEXUS_FP32_ADD_NEURONS = NEXUS["fp32.add"].neurons


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
    nexus = NEXUS_FP32_ADD_NEURONS * NEXUS_FP32_ADD_OPS_PER_S
    print(f"24x24 multiplier netlist: {stats['neurons']} neurons, depth {stats['depth']}; "
          f"{n:,} vectors, best of {args.repeat}")
    print(f"{'':40s}{'seconds':>10s}{'vectors/s':>12s}{'neuron evals/s':>16s}{'x NEXUS':>9s}")
    ok = True
    for label, native in (("exact engine, numpy back-end", False), ("exact engine, native back-end", True)):
        t0 = time.perf_counter()
        sim = pysim.compile(net, native=native)
        setup = time.perf_counter() - t0
        sim.run(a=a[:4096], b=b[:4096])                    # warm-up
        best = float("inf")
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = sim.run(a=a, b=b)
            best = min(best, time.perf_counter() - t)
        ok &= np.array_equal(out["lo"] | (out["hi"] << np.uint64(24)), a * b)
        rate = stats["neurons"] * n / best
        print(f"{label + f' (setup {setup:.1f} s)':40s}{best:10.3f}{n / best:12.3e}{rate:16.3e}{rate / nexus:9.1f}")
    print(f"{'NEXUS FP32 add (ANCHORS.md)':40s}{'':10s}{NEXUS_FP32_ADD_OPS_PER_S:12.3e}{nexus:16.3e}{1:9.1f}")
    print(f"products checked against numpy: {'exact' if ok else 'WRONG'}; "
          f"{os.cpu_count()} cores; target >= 5e9 neuron evaluations/s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
