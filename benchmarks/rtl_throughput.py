"""RTL simulation speed: vectors per second through cocotb on Icarus and Verilator.

For fp32.add and fp64.mul (static RNE, combinational), measured side by side in one run:
the exact engine's rate; cocotb on each simulator with the Verilog of each back-end
(``netlist``: one levelized statement per neuron; ``amaranth``: the Amaranth component
through Yosys), with the cold build time (fresh build directory); and the Verilator model
driven from C++ (`spikefp.verify.verilator_harness`, used for exhaustive 8-bit runs).
Every run is checked against the reference and the exact engine (0 mismatches expected).

    python benchmarks/rtl_throughput.py [--vectors 5000] [--vectors-slow 100] [--backends netlist amaranth]
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import spikefp
from spikefp import pysim
from spikefp.verify import check, rtl_sim, vectors, verilator_harness


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=5000, help="vectors per run (beyond the specials)")
    ap.add_argument("--vectors-slow", type=int, default=100,
                    help="vectors per Icarus run of the amaranth back-end (tens of vectors per second)")
    ap.add_argument("--backends", nargs="+", default=["netlist", "amaranth"], choices=["netlist", "amaranth"])
    args = ap.parse_args(argv)
    print(f"{'unit':9s} {'engine':22s} {'vectors':>8s} {'build s':>8s} {'vectors/s':>11s} {'mismatches':>10s}")
    ok = True
    for name in ("fp32.add", "fp64.mul"):
        u = spikefp.unit(name)
        v = vectors.mixed(u.fmt, u.op, args.vectors, seed=1)
        ey, ef = check.expected(u, v)
        sim = pysim.compile(u.netlist)
        sim.run(**v)
        t = time.perf_counter()
        for _ in range(20):
            sim.run(**v)
        rate = 20 * len(v["a"]) / (time.perf_counter() - t)
        print(f"{name:9s} {'pysim':22s} {len(v['a']):8,d} {'-':>8s} {rate:11,.0f} {'-':>10s}", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            verilator_harness.run(u, {k: c[:1] for k, c in v.items()}, build_root=Path(tmp))
            build = time.perf_counter() - t
            big = {k: np.tile(c, 20) for k, c in v.items()}
            t = time.perf_counter()
            y, f = verilator_harness.run(u, big, build_root=Path(tmp))
            rate = len(y) / (time.perf_counter() - t)
            bad = int(np.count_nonzero((y != np.tile(ey, 20)) | (f != np.tile(ef, 20))))
            ok &= bad == 0
            print(f"{name:9s} {'verilator C++ driver':22s} {len(y):8,d} {build:8.1f} {rate:11,.0f} {bad:10d}", flush=True)
            for backend in args.backends:
                for s in rtl_sim.SIMULATORS:
                    k = args.vectors_slow if (s, backend) == ("icarus", "amaranth") else len(v["a"])
                    part = {key: col[-k:] for key, col in v.items()}
                    r = rtl_sim.run(u, s, part, build_root=Path(tmp), backend=backend,
                                    expected=(ey[-k:], ef[-k:]))
                    ok &= r.mismatches == 0
                    print(f"{name:9s} {'cocotb ' + s + ' ' + backend:22s} {r.vectors:8,d} "
                          f"{r.extra['build_seconds']:8.1f} {r.vectors / r.seconds:11,.0f} {r.mismatches:10d}",
                          flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
