"""The RTL regression: operations x formats x {static RNE, dynamic} x {combinational, pipelined}
on Icarus and Verilator, each run checked against the IEEE reference and the exact engine.

    python -m spikefp.verify.regress [--sims icarus verilator] [--formats ...] [--ops ...]
                                     [--n 20000] [--pipeline 3] [--junit build/regress.xml]

Prints one progress line per run, then a summary table (unit, mode, pipeline, simulator,
vectors, mismatches, seconds) and writes JUnit XML. 8-bit add/sub/mul run all 65,536 operand
pairs on Verilator. Exit status 1 if any run mismatches.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np

from ..generators.fpformat import FORMATS
from ..units import OPERATIONS, unit
from . import rtl_sim, vectors

__all__ = ["main", "plan"]


def plan(formats, ops, sims, pipeline: int):
    for fmt in formats:
        for op in ops:
            for dynamic in (False, True):
                for p in (0, pipeline):
                    for sim in sims:
                        yield fmt, op, dynamic, p, sim


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m spikefp.verify.regress", description=__doc__.splitlines()[0])
    ap.add_argument("--sims", nargs="+", default=list(rtl_sim.SIMULATORS), choices=rtl_sim.SIMULATORS)
    ap.add_argument("--formats", nargs="+", default=list(FORMATS))
    ap.add_argument("--ops", nargs="+", default=list(OPERATIONS), choices=list(OPERATIONS))
    ap.add_argument("--n", type=int, default=20_000, help="vectors beyond the specials per run")
    ap.add_argument("--pipeline", type=int, default=3, help="register stages of the pipelined runs")
    ap.add_argument("--junit", default=os.path.join("build", "regress.xml"))
    args = ap.parse_args(argv)
    rows = []
    suite = ET.Element("testsuite", name="spikefp-rtl-regression")
    t_all = time.perf_counter()
    for fmt, op, dynamic, p, sim in plan(args.formats, args.ops, args.sims, args.pipeline):
        u = unit(f"{fmt}.{op}", dynamic=dynamic)
        if u.fmt.width <= 8 and op != "fma" and sim == "verilator":
            v = vectors.exhaustive(u.fmt)
        else:
            v = vectors.mixed(u.fmt, op, args.n, seed=hash((fmt, op)) % 997)
        rm = np.arange(len(v["a"])) % 8 if dynamic else None
        t = time.perf_counter()
        r = rtl_sim.run(u, sim, v, rm, pipeline=p)
        dt = time.perf_counter() - t
        mode = "dynamic" if dynamic else "rne"
        rows.append((u.name, mode, p, sim, r.vectors, r.mismatches, dt))
        print(f"[{len(rows)}] {u.name} {mode} p{p} {sim}: {r.vectors:,} vectors, {r.mismatches} mismatches, "
              f"{dt:.1f}s", flush=True)
        case = ET.SubElement(suite, "testcase", classname=u.name, name=f"{mode}_p{p}_{sim}", time=f"{dt:.3f}")
        if r.mismatches:
            ET.SubElement(case, "failure", message=r.message or f"{r.mismatches} mismatches")
    total = time.perf_counter() - t_all
    failures = sum(1 for row in rows if row[5])
    suite.set("tests", str(len(rows)))
    suite.set("failures", str(failures))
    suite.set("time", f"{total:.1f}")
    os.makedirs(os.path.dirname(args.junit) or ".", exist_ok=True)
    ET.ElementTree(suite).write(args.junit, encoding="unicode")
    print(f"\n{'unit':14s} {'mode':8s} {'pipe':>4s} {'sim':10s} {'vectors':>9s} {'mismatches':>10s} {'s':>7s}")
    for name, mode, p, sim, n, bad, dt in rows:
        print(f"{name:14s} {mode:8s} {p:4d} {sim:10s} {n:9,d} {bad:10d} {dt:7.1f}")
    print(f"\n{len(rows)} runs, {sum(r[4] for r in rows):,} vectors, {failures} with mismatches, "
          f"{total / 60:.1f} minutes; JUnit XML: {args.junit}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
