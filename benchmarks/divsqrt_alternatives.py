"""Division and square-root recurrences side by side: neurons, synapses and depth.

The alternatives of `spikefp.generators.fpdivsqrt` (restoring with a gated subtrahend,
select with an unconditional subtraction, radix-2 SRT with a carry-save remainder), built
for every IEEE format in static RNE on the default and the loihi profile, with NEXUS's
measured fp32 divider and square root (shared/ANCHORS.md) and our share of them.

    python benchmarks/divsqrt_alternatives.py [--formats fp16 fp32 fp64]
"""

import argparse

import spikefp
from spikefp.anchors import NEXUS
from spikefp.generators.fpdivsqrt import ARCHS, SQRT_ARCHS


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--formats", nargs="+", default=["fp8e4m3", "fp16", "bf16", "fp32", "fp64"])
    args = ap.parse_args(argv)
    print(f"{'unit':12s} {'arch':10s} {'neurons':>8s} {'synapses':>9s} {'depth':>6s} | "
          f"{'loihi n':>8s} {'depth':>6s} | vs NEXUS neurons, depth")
    for fmt in args.formats:
        for op, archs in (("div", ARCHS), ("sqrt", SQRT_ARCHS)):
            name = f"{fmt}.{op}"
            for arch in archs:
                s = spikefp.unit(name, arch=arch).stats()
                lo = spikefp.unit(name, arch=arch, profile="loihi").stats()
                line = (f"{name:12s} {arch:10s} {s['neurons']:8,d} {s['synapses']:9,d} {s['depth']:6d} | "
                        f"{lo['neurons']:8,d} {lo['depth']:6d} |")
                if name in NEXUS:
                    n, _, d = NEXUS[name]
                    line += f" {100 * s['neurons'] / n:5.1f}% of {n:,}, {100 * s['depth'] / d:5.1f}% of {d:,}"
                print(line, flush=True)


if __name__ == "__main__":
    main()
