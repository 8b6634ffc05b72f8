"""RTL simulation speed: vectors per second through cocotb on Icarus and Verilator.

For fp32.add and fp64.mul (static RNE, combinational): build time and simulation rate on
each simulator, beside the exact engine's rate on the same vectors, measured in one run.
Every run is also checked (0 mismatches expected).

    python benchmarks/rtl_throughput.py [--n 5000]
"""

import argparse
import sys
import time

import spikefp
from spikefp import pysim
from spikefp.verify import rtl_sim, vectors


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="vectors per Verilator run (beyond the specials)")
    ap.add_argument("--n-icarus", type=int, default=100, help="vectors per Icarus run (it is far slower)")
    args = ap.parse_args(argv)
    print(f"{'unit':10s} {'engine':10s} {'vectors':>8s} {'build s':>8s} {'vectors/s':>11s} {'mismatches':>10s}")
    ok = True
    for name in ("fp32.add", "fp64.mul"):
        u = spikefp.unit(name)
        v = vectors.mixed(u.fmt, u.op, args.n, seed=1)
        sim = pysim.compile(u.netlist)
        sim.run(**v)
        t = time.perf_counter()
        for _ in range(20):
            sim.run(**v)
        rate = 20 * len(v["a"]) / (time.perf_counter() - t)
        print(f"{name:10s} {'pysim':10s} {len(v['a']):8,d} {'-':>8s} {rate:11,.0f} {'-':>10s}")
        for s in rtl_sim.SIMULATORS:
            k = args.n_icarus if s == "icarus" else len(v["a"])
            r = rtl_sim.run(u, s, {key: col[-k:] for key, col in v.items()})
            ok &= r.mismatches == 0
            print(f"{name:10s} {s:10s} {r.vectors:8,d} {r.extra['build_seconds']:8.1f} "
                  f"{r.vectors / r.seconds:11,.0f} {r.mismatches:10d}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
