"""Elementary-function campaigns through the exact engine's numpy back-end (no kernel compile).

    python benchmarks/elementary_campaigns.py [--functions exp ...] [--formats fp16 bf16 fp32 fp64]

fp16/bf16 (any format of <= 16 bits): every input in each static mode, and the dynamic unit under
rm codes 0-7. Wider formats: `spikefp.verify.vectors.for_unit` (boundary-weighted + random;
10^6 inputs for fp32, 10^5 otherwise) in each static mode. One line per run (inputs, mismatches
in result or flags, seconds); exit 1 if any run mismatched. ``docs/elementary_campaigns.txt`` is
its output on the 2-core development machine. The numpy back-end is used because compiling native
kernels of the 47-122k-neuron units takes longer than the campaigns themselves.
"""

import argparse
import sys
import time

import numpy as np

import spikefp
from spikefp import pysim
from spikefp.generators.fpformat import ROUNDING_MODES, get_format
from spikefp.verify import check, elementary, vectors


def run(u, a, codes=None, label=None) -> int:
    t = time.time()
    r = check.check(u, {"a": a}, rm_codes=codes, sim=pysim.compile(u.netlist, native=False))
    print(f"{u.name} {label or u.rm}: {len(a):,} inputs, {r.mismatches} mismatches, {time.time() - t:.0f} s",
          flush=True)
    return r.mismatches


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--functions", nargs="+", default=list(elementary.OPS), choices=list(elementary.OPS))
    ap.add_argument("--formats", nargs="+", default=["fp16", "bf16", "fp32", "fp64"])
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args(argv)
    try:
        formats = [get_format(f) for f in args.formats]
    except ValueError as e:
        ap.error(str(e))
    bad = 0
    try:
        for f in formats:
            for fn in args.functions:
                if f.width <= 16:
                    a = np.arange(1 << f.width, dtype=np.uint64)
                    for rm in ROUNDING_MODES:
                        bad += run(spikefp.unit(f"{f.name}.{fn}", rm=rm), a)
                    codes = np.repeat(np.arange(8, dtype=np.uint64), len(a))
                    bad += run(spikefp.unit(f"{f.name}.{fn}", dynamic=True), np.tile(a, 8), codes,
                               "dynamic, rm codes 0-7")
                else:
                    n = 1_000_000 if f.width <= 32 else 100_000
                    for rm in ROUNDING_MODES:
                        u = spikefp.unit(f"{f.name}.{fn}", rm=rm)
                        bad += run(u, vectors.for_unit(u, n, seed=args.seed)["a"])
    except KeyboardInterrupt:
        print("elementary_campaigns: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                 # piped into head: stop quietly, as the CLI does
        sys.stdout = None
        return 141
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
