"""Cost per call of the simulation engines, batch 1 to 2^22, beside numpy's own float arithmetic.

For fp32.add and fp32.mul: seconds per ``run()`` (the best of a few calls) and operations per
second of the exact engine (its numpy back-end, and its compiled kernel built ahead with
``prepare()``, which it otherwise builds by itself once it has run enough), the torch engine
on the CPU, on CUDA when torch sees a device, and numpy float32 addition/multiplication of
the same batch for scale. Every engine's results are checked against the exact engine's
numpy back-end at every batch size.

    python benchmarks/engines.py [--units fp32.add,fp32.mul] [--max-batch 4194304] [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import torch

import spikefp
from spikefp import pysim


def batches(max_batch: int) -> list[int]:
    """1, 4, 16, ... up to ``max_batch`` (2^20 and 2^22 are powers of 4)."""
    out, b = [], 1
    while b <= max_batch:
        out.append(b)
        b *= 4
    return out


def operands(rng, n: int) -> np.ndarray:
    """``n`` finite float32 bit patterns: both signs, normal exponents from 2^-126 to 2^127."""
    sign = rng.integers(0, 2, n, dtype=np.uint64) << np.uint64(31)
    return rng.integers(0x00800000, 0x7F800000, n, dtype=np.uint64) | sign


def best(fn, calls: int, budget: float) -> float:
    """The fastest of at least ``calls`` calls (more while under ``budget`` seconds), after a warm-up."""
    fn()
    times, start = [], time.perf_counter()
    while len(times) < calls or (time.perf_counter() - start < budget and len(times) < 50):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def engines(netlist):
    """(label, run function taking numpy uint64 port arrays and returning y as uint64)."""
    out = []
    # The exact engine's two back-ends: numpy array operations per level, and the plan compiled
    # to C (by default it takes over once built: prepare(), a cached kernel, or enough runs).
    exact = pysim.compile(netlist, native=False)
    out.append(("exact-numpy", lambda **v: exact.run(**v)["y"]))
    native = pysim.compile(netlist).prepare()
    out.append(("exact-native", lambda **v: native.run(**v)["y"]))
    cpu = pysim.compile(netlist, engine="torch", device="cpu")
    out.append(("torch-cpu", lambda **v: cpu.run(**v)["y"]))
    if torch.cuda.is_available():
        gpu = pysim.compile(netlist, engine="torch", device="cuda")

        def on_gpu(**v):     # torch tensors already on the device in, tensors out: the device's own cost
            y = gpu.run(**v)["y"]
            torch.cuda.synchronize()
            return y
        out.append(("torch-cuda", on_gpu))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", default="fp32.add,fp32.mul")
    ap.add_argument("--max-batch", type=int, default=1 << 22)
    ap.add_argument("--quick", action="store_true", help="batches up to 65,536 and the best of 2 calls")
    ap.add_argument("--threads", type=int, help="torch's CPU threads (default: torch's choice)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    max_batch = min(args.max_batch, 1 << 16) if args.quick else args.max_batch
    calls, budget = (2, 0.05) if args.quick else (3, 0.5)
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "none"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; torch {torch.__version__} "
          f"({torch.get_num_threads()} CPU threads); numpy {np.__version__}; CUDA device: {gpu}")
    ok = True
    rng = np.random.default_rng(0)
    for name in args.units.split(","):
        u = spikefp.unit(name)
        op = {"add": np.add, "mul": np.multiply}[u.op]
        t0 = time.perf_counter()
        runs = engines(u.netlist)
        print(f"\n{name}: {u.netlist.stats()['neurons']} neurons; engines built in {time.perf_counter() - t0:.1f} s; "
              f"seconds per call (best of >= {calls}) and operations per second")
        labels = [label for label, _ in runs] + ["numpy"]
        print(f"{'':>9s}" + "".join(f"{lab:>20s}" for lab in labels)
              + f"  {'ops/s relative to exact-numpy':>{13 * (len(labels) - 1)}s}")
        print(f"{'batch':>9s}" + f"{'s/call':>10s}{'ops/s':>10s}" * len(labels) + "  "
              + "".join(f"{lab:>13s}" for lab in labels[1:]))
        for n in batches(max_batch):
            a, b = operands(rng, n), operands(rng, n)
            want = runs[0][1](a=a, b=b)
            secs = []
            for label, fn in runs:
                if label == "torch-cuda":
                    ta = torch.from_numpy(a.view(np.int64)).cuda()
                    tb = torch.from_numpy(b.view(np.int64)).cuda()
                    got = fn(a=ta, b=tb).cpu().numpy().view(np.uint32)
                    secs.append(best(lambda: fn(a=ta, b=tb), calls, budget))
                else:
                    got = fn(a=a, b=b)
                    secs.append(best(lambda: fn(a=a, b=b), calls, budget))
                if not np.array_equal(got.astype(np.uint64), want.astype(np.uint64)):
                    print(f"MISMATCH: {label} differs from the exact engine at batch {n}")
                    ok = False
            fa, fb = a.astype(np.uint32).view(np.float32), b.astype(np.uint32).view(np.float32)
            with np.errstate(all="ignore"):          # products overflow to inf, as in the circuit
                secs.append(best(lambda: op(fa, fb), calls, budget))
            rates = [n / s for s in secs]
            print(f"{n:>9d}" + "".join(f"{s:>10.3g}{r:>10.3g}" for s, r in zip(secs, rates))
                  + "  " + "".join(f"{r / rates[0]:>13.3g}" for r in rates[1:]), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
