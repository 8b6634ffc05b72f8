"""iCE40 figures of spikefp's units: LUT4 per neuron before (sum style) and after (LUT style),
fit and Fmax on the UP5K and HX8K behind registered I/O, side by side in one run.

    python benchmarks/fpga_units.py [--units fp16.add fp32.add ...] [--all] [--pipeline N]
                                    [--no-before] [--markdown FILE]

``--all`` runs every operation of fp8e4m3, fp8e5m2, fp16, bf16 and fp32 (static RNE; the
largest take minutes each in Yosys) and says which do not fit an HX8K. The sum style is the
netlist back-end (`spikefp gen`'s default); the LUT style is `spikefp synth`'s default.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import spikefp                                           # noqa: E402
from spikefp.fpga.flow import synthesize                 # noqa: E402
from spikefp.fpga.synth import synth                     # noqa: E402
from spikefp.hdl import rtl                              # noqa: E402

HEADLINE = [f"{f}.{op}" for f in ("fp8e4m3", "fp16", "bf16", "fp32") for op in ("add", "mul")]
ALL_OPS = ("add", "sub", "mul", "fma", "div", "sqrt", "min", "max", "eq", "lt", "le", "classify")
ALL_FORMATS = ("fp8e4m3", "fp8e5m2", "fp16", "bf16", "fp32")


def before(u, workdir: str):
    text, m = rtl.generate(u, 0, "netlist")
    return synthesize({f"{m['module']}.v": text}, m["module"], workdir)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", nargs="+", default=HEADLINE)
    ap.add_argument("--all", action="store_true", help="every operation of the 8/16/32-bit formats")
    ap.add_argument("--pipeline", type=int, default=0)
    ap.add_argument("--no-before", action="store_true", help="skip the sum-style synthesis")
    ap.add_argument("--markdown", help="also write the table as Markdown to FILE")
    args = ap.parse_args(argv)
    names = [f"{f}.{op}" for f in ALL_FORMATS for op in ALL_OPS] if args.all else args.units
    head = (f"{'unit':14s} {'neurons':>8s} {'sum LUT4':>9s} {'carry':>6s} {'/neuron':>7s} {'LUT4':>6s} "
            f"{'/neuron':>7s} {'fewer':>6s} {'UP5K MHz':>9s} {'HX8K MHz':>9s} {'s':>5s}")
    md = ["| unit | neurons | LUT4 (sum style) | carries | LUT4/neuron | LUT4 (LUT style) | LUT4/neuron | "
          "UP5K Fmax MHz | HX8K Fmax MHz |", "|" + "---|" * 9]
    print(head, flush=True)
    for name in names:
        t = time.perf_counter()
        u = spikefp.unit(name)
        n = u.stats()["neurons"]
        b = None if args.no_before else before(u, f"/tmp/spikefp-fpga-bench/{name}")
        hx = synth(u, "ice40-hx8k", args.pipeline)
        up = synth(u, "ice40-up5k", args.pipeline) if hx.luts <= 5280 else None
        fmax = [("-" if r is None or not r.fits else f"{r.fmax_mhz:.1f}") for r in (up, hx)]
        if not hx.fits:
            fmax[1] = "no fit"
        bl, bc = (b.luts, b.carries) if b else (0, 0)
        fewer = f"{bl / hx.luts:.1f}x" if b and hx.luts else "-"
        print(f"{name:14s} {n:8,d} {bl:9,d} {bc:6,d} {bl / n:7.2f} {hx.luts:6,d} {hx.luts / n:7.2f} {fewer:>6s} "
              f"{fmax[0]:>9s} {fmax[1]:>9s} {time.perf_counter() - t:5.0f}", flush=True)
        md.append(f"| {name} | {n:,} | {bl:,} | {bc:,} | {bl / n:.2f} | {hx.luts:,} | {hx.luts / n:.2f} | "
                  f"{fmax[0]} | {fmax[1]} |")
        if not hx.fits:
            print(f"  {name} does not fit an HX8K: {hx.reason}", flush=True)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
