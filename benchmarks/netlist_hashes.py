"""Content hashes of every unit's netlist and Verilog: the refactoring guard.

Prints one line per unit and mode (every operation of every named format, every conversion
between named formats and integers; static RNE and dynamic where the unit rounds):
``<unit> <mode> <netlist sha256> <verilog sha256>``, the Verilog being the ``netlist``
back-end's text, combinational and with 2 pipeline stages (and, for the 8-bit formats'
operations, the ``amaranth`` back-end's text). ``--check FILE`` compares with a
saved listing and exits 1 on any difference; a refactoring that must not change a circuit
shows the same file before and after.

    python benchmarks/netlist_hashes.py > hashes.txt
    python benchmarks/netlist_hashes.py --check benchmarks/netlist_hashes.txt
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time

import spikefp
from spikefp.generators.fpformat import FORMATS, INT_FORMATS
from amaranth.back import verilog

from spikefp.hdl.elaborate import NetlistComponent
from spikefp.hdl.verilog import to_verilog

OPERATIONS = ("add", "sub", "mul", "fma", "div", "sqrt", "eq", "lt", "le", "min", "max", "classify")


def unit_names() -> list[str]:
    names = [f"{f}.{op}" for f in FORMATS for op in OPERATIONS]
    every = list(FORMATS) + list(INT_FORMATS)
    names += [f"{s}.to_{d}" for s in every for d in every
              if s != d and not (s in INT_FORMATS and d in INT_FORMATS)]
    return names


def lines():
    for name in unit_names():
        base = spikefp.unit(name)
        variants = [base] + ([spikefp.unit(name, dynamic=True)] if base.rounds else [])
        for u in variants:
            nl = u.netlist
            v0 = to_verilog(nl, u.module_name, 0)
            v2 = to_verilog(nl, u.module_name + "_p2", 2)
            vh = hashlib.sha256((v0 + v2).encode()).hexdigest()
            yield f"{u.name} {u.mode} {nl.content_hash()} {vh}"
        if base.fmt.width == 8 and base.target is None:     # the Amaranth back-end: slow, 8-bit units
            text = verilog.convert(NetlistComponent(base.netlist, 0), name=base.module_name, emit_src=False)
            yield f"{base.name} {base.mode} amaranth {hashlib.sha256(text.encode()).hexdigest()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", metavar="FILE", help="compare with a saved listing; exit 1 on any difference")
    args = ap.parse_args()
    t0 = time.time()
    got = []
    for i, line in enumerate(lines(), 1):
        got.append(line)
        if not args.check:
            print(line, flush=True)
        if sys.stderr.isatty():
            print(f"\r{i} circuits hashed, {time.time() - t0:.0f} s", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.check:
        with open(args.check) as f:
            want = [x.strip() for x in f if x.strip()]
        diff = sorted(set(want) ^ set(got))
        for d in diff:
            print(("only saved:  " if d in want else "only now:    ") + d)
        print(f"{len(got)} circuits, {len(diff)} lines differ from {args.check}")
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
