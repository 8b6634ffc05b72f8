"""Throughput of the IEEE references beside the exact engine, on one core: what bounds a campaign.

For each unit (default: fp16/bf16 add, mul, div, sqrt and fp32.sqrt, static RNE), one shard of
2^20 exhaustive vectors taken from the middle of the operand space: seconds for the exact
engine (the compiled kernel, one thread), `spikefp.verify.hostref`, `spikefp.verify.fastref`
and the scalar integer reference (`spikefp.verify.reference`, timed on 2,000 vectors and
scaled), each the best of ``--repeat`` runs after a warm-up, and the vectors per second a campaign worker gets
(engine + the fastest reference). Every reference's results are compared with hostref's on
the whole shard (the scalar one on its sample): a difference fails the run (exit 1).

    python benchmarks/references.py [--units fp16.add,bf16.div] [--mode rne] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import spikefp
from spikefp import pysim
from spikefp.verify import fastref, hostref, reference, vectors

UNITS = "fp16.add,fp16.mul,fp16.div,fp16.sqrt,bf16.add,bf16.mul,bf16.div,bf16.sqrt,fp32.sqrt"
SHARD = 1 << 20
SCALAR_SAMPLE = 2000


def best(fn, repeat: int) -> tuple[float, object]:
    """The shortest of ``repeat`` timed calls, after one untimed call (tables, compiles)."""
    fn()
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", default=UNITS)
    ap.add_argument("--mode", default="rne")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"{'unit':10s} {'engine ms':>10s} {'hostref ms':>11s} {'fastref ms':>11s} {'scalar ms':>10s} "
          f"{'fastref/host':>12s} {'scalar/host':>11s} {'worker M/s':>10s}   (per 2^20 vectors)")
    failed = False
    for name in args.units.split(","):
        u = spikefp.unit(name, rm=args.mode)
        total = 1 << (u.operand_bits * u.arity)
        start = max(0, total // 2 - SHARD // 2)
        ops = vectors.tuples(u, start, min(total, start + SHARD))
        cols = [np.asarray(ops[k], dtype=np.uint64) for k in u.operands]
        n = len(cols[0])
        engine = pysim.compile(u.netlist, threads=1)
        t_eng, _ = best(lambda: engine.run(**ops), args.repeat)
        op, params = u.operation.reference, u.reference_params
        t_host, (y, fl) = best(lambda: hostref.OPS[op](u.fmt, *cols, args.mode, **params), args.repeat)
        t_fast, (y2, fl2) = best(lambda: fastref.OPS[op](u.fmt, *cols, args.mode, **params), args.repeat)
        step = max(1, n // SCALAR_SAMPLE)
        sample = [c[::step].tolist() for c in cols]
        t = time.perf_counter()
        scalar = [reference.OPS[op](u.fmt, *r, args.mode, **params) for r in zip(*sample)]
        t_scalar = (time.perf_counter() - t) * n / len(scalar)
        same = np.array_equal(y, y2) and np.array_equal(fl, fl2) and \
            scalar == list(zip(y[::step].tolist(), fl[::step].tolist()))
        failed |= not same
        print(f"{name:10s} {1e3 * t_eng * SHARD / n:10.1f} {1e3 * t_host * SHARD / n:11.1f} "
              f"{1e3 * t_fast * SHARD / n:11.1f} {1e3 * t_scalar * SHARD / n:10.0f} {t_fast / t_host:12.1f} "
              f"{t_scalar / t_host:11.0f} {n / (t_eng + t_host) / 1e6:10.1f}" + ("" if same else "   DIFFERENT"),
              flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
