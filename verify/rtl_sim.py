"""RTL simulation of units with cocotb on Icarus Verilog and Verilator.

`run(unit, sim, ops)` generates the unit's Verilog (`spikefp.hdl.rtl`), builds it once per
simulator (build folders under ``rtl/`` of the cache root, `spikefp.hdl.workdirs.cache_dir`,
set with ``SPIKEFP_CACHE``; reused while the Verilog is unchanged), runs the cocotb testbench
`spikefp.verify.cocotb_tb` through cocotb's Python runner in the simulator's own environment
(`spikefp.verify.tools`), and returns an `RTLReport`: vectors, mismatches against the IEEE
reference and the exact engine (with the first failing vectors spelled out), the RTL outputs
and the JUnit XML path, whose test case is named after the unit (``fp16.add[rne]``). A failed
build raises `spikefp.verify.tools.BuildError`.

>>> SIMULATORS
('icarus', 'verilator')
>>> import os; os.environ["SPIKEFP_CACHE"] = "/tmp/spikefp-doc"
>>> str(default_build_root()).startswith('/tmp/spikefp-doc/rtl/py')
True
>>> del os.environ["SPIKEFP_CACHE"]
"""

from __future__ import annotations

import os
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import pysim
from ..hdl import rtl
from ..hdl.progress import phase
from ..hdl.workdirs import cache_dir
from . import check
from .tools import BuildError, ToolMissing, get_tool

__all__ = ["SIMULATORS", "RTLReport", "run", "setup_simulator", "default_build_root", "junit_name", "BuildError",
           "ToolMissing"]

SIMULATORS = ("icarus", "verilator")


def default_build_root() -> Path:
    """Where simulator builds go unless a call names another folder (never the working directory).

    One folder per Python environment: a build's makefiles name the cocotb and simulator files
    of the environment that made it, so a cache shared by two checkouts (a developer's and a
    CI clone, say) must not hand one's builds to the other (measured: "No rule to make target
    .../other-venv/.../verilator.cpp").
    """
    import hashlib
    return cache_dir("rtl") / f"py{hashlib.sha256(sys.prefix.encode()).hexdigest()[:12]}"


def setup_simulator(sim: str):
    """The simulator's tool object (`spikefp.verify.tools`); `ToolMissing` if it is not installed."""
    if sim not in SIMULATORS:
        raise ValueError(f"unknown simulator {sim!r}; choose from {', '.join(SIMULATORS)}")
    return get_tool(sim)


def junit_name(unit, pipeline: int = 0, sim: str | None = None) -> str:
    """The JUnit test name of a unit's run: ``fp16.add[rne]``, ``fp16.add[dynamic,p3,verilator]``."""
    tags = [unit.mode] + ([f"p{pipeline}"] if pipeline else []) + ([sim] if sim else [])
    return f"{unit.name}[{','.join(tags)}]"


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
    tool = setup_simulator(sim)
    module = rtl.module_name(unit, pipeline)
    build = (Path(build_root or default_build_root()) / sim / backend / module).resolve()
    build.mkdir(parents=True, exist_ok=True)
    text, _ = rtl.generate(unit, pipeline, backend)
    vfile = build / f"{module}.v"
    _write_if_changed(vfile, text)
    ops = {k: np.asarray(ops[k], dtype=np.uint64) for k in unit.operands}
    n = len(ops[unit.operands[0]])
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
    runner = tool.cocotb_runner()
    t0 = time.perf_counter()
    # The runner asks Verilator for --public-flat-rw (every internal net visible to VPI);
    # the testbench only touches ports, and without it the C++ model is ~40% smaller. The
    # netlist and lut back-ends mark their ports public themselves; Amaranth's Verilog needs the flag.
    build_args = ["-Wno-fatal"] + (["--no-public-flat-rw"] if backend != "amaranth" else []) \
        if sim == "verilator" else []
    log = build / "build.log"
    try:
        with phase(f"{sim} build {module}"):
            runner.build(sources=[vfile], hdl_toplevel=module, build_dir=build, always=False,
                         timescale=("1ns", "1ps"), build_args=build_args, log_file=log)
    except RuntimeError as e:        # cocotb: "Command failed with return code: N"
        raise BuildError(tool.name, module, log.read_text() if log.exists() else str(e), log) from None
    xml_path = run_dir / "results.xml"
    env = {"SPIKEFP_VECTORS": str(vec), "SPIKEFP_RESULTS": str(res), "SPIKEFP_LATENCY": str(pipeline),
           "SPIKEFP_HEXW": str(-(-unit.operand_bits // 4)), "SPIKEFP_PORTS": ",".join(inputs), "SPIKEFP_YHEXW": str(-(-unit.result_bits // 4)),
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    t1 = time.perf_counter()
    try:
        runner.test(test_module="spikefp.verify.cocotb_tb", hdl_toplevel=module, build_dir=build,
                    test_dir=run_dir, extra_env=env, results_xml=str(xml_path), log_file=run_dir / "sim.log")
    except SystemExit:
        pass      # the runner exits on a failing test; the JUnit XML below says what failed
    t2 = time.perf_counter()
    _name_tests(xml_path, junit_name(unit, pipeline, sim))
    message = _failure_message(xml_path)
    if not res.exists():
        raise RuntimeError(f"{module} on {sim}: the testbench produced no results: {message or 'see ' + str(run_dir / 'sim.log')}")
    got = np.load(res)
    bad = int(np.count_nonzero((got["y"] != ey) | (got["flags"] != ef) |
                               (got["y"] != eng["y"]) | (got["flags"] != eng["flags"]))) if compare else 0
    return RTLReport(f"{unit.name} {unit.mode}", sim, pipeline, n, bad,
                     message, got["y"], got["flags"], str(xml_path), t2 - t1, {"build_seconds": t1 - t0})


def _name_tests(xml_path: Path, name: str) -> None:
    """Name the testbench's test case after the unit, so JUnit reports say what was tested."""
    if not xml_path.exists():
        return
    tree = ET.parse(xml_path)
    for case in tree.getroot().iter("testcase"):
        case.set("classname", "spikefp.rtl")
        case.set("name", name)
    tree.write(xml_path, encoding="unicode")


def _failure_message(xml_path: Path) -> str:
    """The cocotb failure text from the JUnit XML (what pytest would otherwise hide)."""
    if not xml_path.exists():
        return f"no results file {xml_path}"
    root = ET.parse(xml_path).getroot()
    msgs = [f.get("message", "") or (f.text or "") for f in root.iter("failure")]
    msgs += [e.get("message", "") or (e.text or "") for e in root.iter("error")]
    return " ; ".join(m.strip() for m in msgs if m.strip())
