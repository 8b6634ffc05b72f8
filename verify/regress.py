"""The RTL regression: operations x formats x {static RNE, dynamic} x {combinational, pipelined}
on Icarus and Verilator, each run checked against the IEEE reference and the exact engine.

    spikefp regress [--engines icarus verilator] [--formats ...] [--ops ...]
                    [--conversions] [--modes rne dynamic] [--vectors 20000]
                    [--vectors-pipelined 2000] [--pipeline 3] [--jobs 2]
                    [--no-exhaustive] [--backend netlist|lut] [--junit build/regress.xml]

Every unit runs the cocotb testbench on each simulator: ``--vectors`` boundary-weighted and random
vectors (plus the special values) combinational, or every operand tuple where there are at
most 2^16 (8-bit formats; rm cycling through its 8 codes when dynamic), and ``--vectors-pipelined``
streamed one per clock into the pipelined module. Units that never round (comparisons,
min/max, classify, exact conversions) run once, without a mode. On Verilator, 8-bit formats
(and 16-bit one-operand units) also run exhaustively (every operand tuple, and for dynamic units every one of them under
all 8 ``rm`` codes) through `spikefp.verify.verilator_harness`, the same Verilated RTL
driven from C++, since 2^27 FMA vectors through cocotb would take hours. Runs go to
``--jobs`` worker processes, largest first; one progress line per run, then a summary
table (unit, mode, pipeline, simulator, driver, vectors, mismatches, seconds) and JUnit
XML. Exit status 1 if any run mismatches or fails.

>>> runs = plan(["fp8e5m2"], ["add"], ["icarus", "verilator"], 3, 20_000, 2_000)
>>> len(runs), runs[0].label, runs[-1].label
(10, 'fp8e5m2.add rne p0 icarus cocotb', 'fp8e5m2.add dynamic p0 verilator c++')
>>> runs[-1].junit_name                  # the JUnit test case
'fp8e5m2.add[dynamic,p0,verilator,c++]'
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import xml.etree.ElementTree as ET
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

from ..generators.fpformat import FORMATS, INT_FORMATS
from ..generators.registry import OPERATIONS
from ..generators.units import unit
from . import rtl_sim, vectors

__all__ = ["main", "plan", "Run", "CORE_OPS"]

CORE_OPS = ("add", "sub", "mul", "fma")


@dataclass(frozen=True)
class Run:
    fmt: str
    op: str
    dynamic: bool
    pipeline: int
    sim: str
    driver: str          # "cocotb" or "c++" (exhaustive through the Verilator harness)
    n: int               # vectors beyond the specials (cocotb runs)
    backend: str = "netlist"   # the Verilog writer (spikefp.hdl.rtl.BACKENDS)

    def unit(self):
        return unit(f"{self.fmt}.{self.op}", dynamic=self.dynamic)

    @property
    def mode(self) -> str:
        return self.unit().mode

    @property
    def label(self) -> str:
        return f"{self.fmt}.{self.op} {self.mode} p{self.pipeline} {self.sim} {self.driver}"

    @property
    def junit_name(self) -> str:
        """The JUnit test name: the unit, then the run's mode, pipeline, simulator and driver."""
        return f"{self.fmt}.{self.op}[{self.mode},p{self.pipeline},{self.sim},{self.driver}]"

    def cost(self) -> float:
        """A rough relative run time, to start the largest runs first."""
        u = self.unit()
        neurons = u.stats()["neurons"]
        if self.driver == "c++":
            return neurons * (1 << (u.operand_bits * u.arity + 3 * self.dynamic)) / 200
        per_vector = 1.0 if self.sim == "icarus" else 0.05
        return neurons * self.n * per_vector + (neurons * 20 if self.sim == "verilator" else 0)


def unit_names(formats, ops, conversions: bool = False) -> list[tuple[str, str]]:
    """(source, operation) of every unit: ``ops`` on ``formats``, and with ``conversions``
    every conversion between those formats and the integer formats."""
    names = [(fmt, op) for fmt in formats for op in ops]
    if conversions:
        ends = list(formats) + list(INT_FORMATS)
        names += [(s, f"to_{d}") for s in ends for d in ends
                  if s != d and not (s in INT_FORMATS and d in INT_FORMATS)]
    return names


def plan(formats, ops, sims, pipeline: int, n: int, n_pipelined: int, exhaustive: bool = True,
         modes=("rne", "dynamic"), conversions: bool = False, backend: str = "netlist") -> list[Run]:
    runs = []
    for fmt, op in unit_names(formats, ops, conversions):
        u = unit(f"{fmt}.{op}")
        for dynamic in [m == "dynamic" for m in modes if u.rounds or m == "rne"]:
            for p in ((0, pipeline) if pipeline else (0,)):
                for sim in sims:
                    runs.append(Run(fmt, op, dynamic, p, sim, "cocotb", n if p == 0 else n_pipelined, backend))
            if exhaustive and "verilator" in sims and u.operand_bits * u.arity <= 24:
                runs.append(Run(fmt, op, dynamic, 0, "verilator", "c++", 0, backend))
    return runs


def _exhaustive_chunks(u, chunk: int = 1 << 20):
    """Every operand tuple (and every rm code when dynamic), ``chunk`` vectors at a time.

    Chunks of 8 MB arrays are reused by the allocator; fresh 100 MB arrays cost more in
    page faults on this kind of virtual machine than the simulation itself.
    """
    total = 1 << (u.operand_bits * u.arity)
    for code in (range(8) if u.dynamic else [None]):
        for start in range(0, total, chunk):
            ops = vectors.tuples(u, start, min(start + chunk, total))
            n = len(ops[u.operands[0]])
            yield ops, (None if code is None else np.full(n, code, np.uint64))


def _first_mismatch(u, ops, rm, which, y, f, ey, ef) -> str:
    i = int(np.flatnonzero((y != ey) | (f != ef))[0])
    hexw, yhexw = -(-u.operand_bits // 4), -(-u.result_bits // 4)
    operands = " ".join(f"{k}={int(ops[k][i]):0{hexw}x}" for k in u.operands)
    operands += f" rm={int(rm[i])}" if rm is not None else ""
    return (f"vector {i} ({operands}): {which} expected y={int(ey[i]):0{yhexw}x} flags={int(ef[i]):02x}, "
            f"RTL gave y={int(y[i]):0{yhexw}x} flags={int(f[i]):02x}")


def _run_exhaustive(u, backend: str = "netlist") -> tuple[int, int, str]:
    from .. import pysim
    from . import check, verilator_harness
    engine = pysim.compile(u.netlist)
    total = bad = 0
    message = ""
    for ops, rm in _exhaustive_chunks(u):
        y, f = verilator_harness.run(u, ops, rm, backend=backend)
        ey, ef = check.expected(u, ops, rm)
        eng = engine.run(**ops, **({"rm": rm} if rm is not None else {}))
        for which, ry, rf in (("ref", ey, ef), ("eng", eng["y"], eng["flags"])):
            wrong = (y != ry) | (f != rf)
            if wrong.any() and not message:
                message = _first_mismatch(u, ops, rm, which, y, f, ry, rf)
        bad += int(np.count_nonzero((y != ey) | (f != ef) | (y != eng["y"]) | (f != eng["flags"])))
        total += len(y)
    return total, bad, (f"{bad} mismatches; first: {message}" if bad else "")


def execute(r: Run) -> tuple[Run, int, int, float, str]:
    """One run in a worker: (run, vectors, mismatches, seconds, failure message)."""
    t = time.perf_counter()
    try:
        u = r.unit()
        if r.driver == "c++":
            n, bad, msg = _run_exhaustive(u, r.backend)
        else:
            if u.operand_bits * u.arity <= 16 and r.pipeline == 0:
                v = vectors.exhaustive_for(u)
            else:
                v = vectors.for_unit(u, r.n, seed=zlib.crc32(f"{r.fmt}.{r.op}".encode()) % 997)
            rm = np.arange(len(v[u.operands[0]])) % 8 if r.dynamic else None
            rep = rtl_sim.run(u, r.sim, v, rm, pipeline=r.pipeline, backend=r.backend)
            n, bad, msg = rep.vectors, rep.mismatches, (rep.message if rep.mismatches else "")
    except Exception as e:     # a broken build or simulator is a failed run, not a crashed regression
        return r, 0, -1, time.perf_counter() - t, f"{type(e).__name__}: {e}"
    return r, n, bad, time.perf_counter() - t, msg


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The regression's options, on ``spikefp regress`` or on this module's own parser."""
    ap.add_argument("--engines", nargs="+", default=list(rtl_sim.SIMULATORS), choices=rtl_sim.SIMULATORS,
                    help="RTL simulators (default: both)")
    ap.add_argument("--formats", nargs="+", default=list(FORMATS), choices=list(FORMATS))
    ap.add_argument("--ops", nargs="*", default=list(CORE_OPS), choices=list(OPERATIONS),
                    help=f"operations (default: {' '.join(CORE_OPS)})")
    ap.add_argument("--modes", nargs="+", default=["rne", "dynamic"], choices=["rne", "dynamic"],
                    help="static round-to-nearest-even units, dynamic-rm units, or both")
    ap.add_argument("--vectors", type=int, default=20_000, help="vectors beyond the specials per combinational run")
    ap.add_argument("--vectors-pipelined", type=int, default=2_000,
                    help="vectors beyond the specials per pipelined run")
    ap.add_argument("--conversions", action="store_true",
                    help="also every conversion between the formats and i32 u32 i64 u64")
    ap.add_argument("--pipeline", type=int, default=3, help="register stages of the pipelined runs (0: none)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)")
    ap.add_argument("--no-exhaustive", action="store_true", help="skip the exhaustive 8-bit Verilator runs")
    ap.add_argument("--backend", default="netlist", choices=("netlist", "lut"),
                    help="Verilog writer under test (default netlist; lut: the FPGA style of spikefp synth)")
    ap.add_argument("--junit", default=os.path.join("build", "regress.xml"), help="JUnit XML report")


def run(args: argparse.Namespace) -> int:
    """Run the regression ``add_arguments`` describes; ValueError for impossible options."""
    if args.pipeline < 0 or args.vectors < 1 or args.vectors_pipelined < 1 or args.jobs < 1:
        raise ValueError("--vectors, --vectors-pipelined and --jobs must be positive, --pipeline non-negative")
    runs = plan(args.formats, args.ops, args.engines, args.pipeline, args.vectors, args.vectors_pipelined,
                not args.no_exhaustive, args.modes, args.conversions, args.backend)
    for sim in args.engines:
        rtl_sim.setup_simulator(sim)       # fail loudly before any work if a simulator is missing
    print(f"{len(runs)} runs on {args.jobs} worker(s)", flush=True)
    rows = []
    t_all = time.perf_counter()
    ordered = sorted(runs, key=Run.cost, reverse=True)
    if args.jobs == 1:
        results = map(execute, ordered)
    else:
        pool = ProcessPoolExecutor(max_workers=args.jobs)
        results = (fut.result() for fut in as_completed([pool.submit(execute, r) for r in ordered]))
    for r, n, bad, dt, msg in results:
        rows.append((r, n, bad, dt, msg))
        status = "ERROR " + msg if bad < 0 else f"{bad} mismatches" + (f" ({msg})" if bad else "")
        print(f"[{len(rows)}/{len(runs)} {(time.perf_counter() - t_all) / 60:5.1f} min] {r.label}: "
              f"{n:,} vectors, {status}, {dt:.1f}s", flush=True)
    if args.jobs > 1:
        pool.shutdown()
    total = time.perf_counter() - t_all
    rows.sort(key=lambda row: runs.index(row[0]))
    failures = sum(1 for row in rows if row[2])
    _write_junit(args.junit, rows, total, failures)
    print(f"\n{'unit':14s} {'mode':8s} {'pipe':>4s} {'sim':10s} {'driver':6s} {'vectors':>12s} {'mismatches':>10s} {'s':>7s}")
    for r, n, bad, dt, _ in rows:
        shown = "error" if bad < 0 else str(bad)
        print(f"{r.fmt + '.' + r.op:14s} {r.mode:8s} {r.pipeline:4d} {r.sim:10s} {r.driver:6s} {n:12,d} {shown:>10s} {dt:7.1f}")
    print(f"\n{len(rows)} runs, {sum(row[1] for row in rows):,} vectors, {failures} failed, "
          f"{total / 60:.1f} minutes on {args.jobs} worker(s); JUnit XML: {args.junit}")
    return 1 if failures else 0


def _write_junit(path, rows, total, failures):
    suite = ET.Element("testsuite", name="spikefp-rtl-regression", tests=str(len(rows)),
                       failures=str(failures), time=f"{total:.1f}")
    for r, n, bad, dt, msg in rows:
        case = ET.SubElement(suite, "testcase", classname="spikefp.regress", name=r.junit_name, time=f"{dt:.3f}")
        ET.SubElement(case, "system-out").text = f"{n} vectors"
        if bad:
            ET.SubElement(case, "error" if bad < 0 else "failure", message=msg or f"{bad} mismatches")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    ET.ElementTree(suite).write(tmp, encoding="unicode")
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())


def main(argv=None) -> int:
    """``python -m spikefp.verify.regress`` (the same as ``spikefp regress``)."""
    ap = argparse.ArgumentParser(prog="spikefp regress", description=__doc__.splitlines()[0])
    add_arguments(ap)
    try:
        return run(ap.parse_args(argv))
    except ValueError as e:
        ap.error(str(e))
