"""The iCE40 tool flow: Yosys synthesis, nextpnr place-and-route with timing, icepack.

Each step is one function around one Debian tool (`spikefp.verify.tools`), writing into a
work folder and returning a record: `synthesize` -> `Resources` (cell counts from Yosys's
``stat -json``), `place_and_route` -> `Placement` (nextpnr's JSON report: utilisation and
the achieved clock frequency), `pack` -> the bitstream. A tool that fails raises `FlowError`
whose message is one line (the tool's first error and the log's path).

>>> import tempfile
>>> src = {"and2.v": "module and2(input a, input b, output y); assign y = a & b; endmodule"}
>>> with tempfile.TemporaryDirectory() as tmp:
...     r = synthesize(src, "and2", tmp)
>>> r.luts, r.carries, r.ffs
(1, 0, 0)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from ..verify.tools import ToolError, get_tool
from .devices import Device

__all__ = ["FlowError", "Resources", "Placement", "synthesize", "overflow", "place_and_route", "pack"]


class FlowError(ToolError):
    """Synthesis, place-and-route or packing failed; ``str()`` is one line."""

    def __init__(self, tool: str, output: str, log: Path):
        errors = [ln.strip() for ln in output.splitlines() if "error" in ln.lower()]
        first = (errors or [ln.strip() for ln in output.splitlines() if ln.strip()][-1:] or ["no output"])[0]
        self.output = output
        super().__init__(f"{tool} failed: {first[:300]} (log: {log})")

    @property
    def unplaceable(self) -> bool:
        """nextpnr could not place or route the design: it does not fit (cells, pins or wires)."""
        return "place" in str(self).lower() or "route" in str(self).lower()


class Resources(NamedTuple):
    """Cells of a synthesized design (after Yosys ``synth_ice40``, before placement)."""
    luts: int          # SB_LUT4
    carries: int       # SB_CARRY
    ffs: int           # SB_DFF* flip-flops
    brams: int         # SB_RAM40_4K
    dsps: int          # SB_MAC16
    cells: dict        # every cell type -> count
    json_path: str     # the synthesized netlist, input of nextpnr


class Placement(NamedTuple):
    """A placed and routed design."""
    fmax_mhz: float | None        # the slowest clock's achieved frequency (None: no clocked path)
    logic_cells: int              # ICESTORM_LC used (a LUT4, a carry and a flip-flop each)
    utilisation: dict             # nextpnr's report: cell type -> {"used", "available"}
    asc_path: str
    log_path: str


def _run(tool: str, args, log: Path):
    r = get_tool(tool).run(args)
    log.write_text(r.stdout + r.stderr)
    if r.returncode:
        raise FlowError(tool, r.stdout + r.stderr, log)
    return r


def synthesize(sources: dict[str, str], top: str, workdir) -> Resources:
    """Yosys ``synth_ice40`` of the Verilog ``sources`` (file name -> text), top module ``top``."""
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    for name, text in sources.items():
        (wd / name).write_text(text)
    netlist, stat = wd / f"{top}.json", wd / f"{top}.stat.json"
    reads = "; ".join(f"read_verilog {wd / name}" for name in sources)
    _run("yosys", ["-q", "-p", f"{reads}; synth_ice40 -top {top} -json {netlist}; tee -q -o {stat} stat -json"],
         wd / "yosys.log")
    cells = json.loads(stat.read_text())["design"]["num_cells_by_type"]
    ffs = sum(n for cell, n in cells.items() if cell.startswith("SB_DFF"))
    return Resources(cells.get("SB_LUT4", 0), cells.get("SB_CARRY", 0), ffs, cells.get("SB_RAM40_4K", 0),
                     cells.get("SB_MAC16", 0), dict(sorted(cells.items())), str(netlist))


def overflow(res: Resources, device: Device) -> list[str]:
    """What ``res`` needs beyond ``device``, e.g. ``["8,499 LUT4 > 7,680"]``; empty when it fits."""
    return [f"{used:,} {what} > {have:,}" for used, have, what in
            ((res.luts, device.luts, "LUT4"), (res.ffs, device.luts, "flip-flops"),
             (res.brams, device.brams, "block RAMs"), (res.dsps, device.dsps, "DSPs")) if used > have]


def place_and_route(json_path, device: Device, workdir, pcf: str | None = None, freq_mhz: float = 12,
                    seed: int = 1) -> Placement:
    """nextpnr-ice40 on ``device`` (pins from ``pcf`` text, else placed freely), aiming at
    ``freq_mhz``; the report gives the achieved Fmax even when the aim is missed."""
    wd = Path(workdir)
    wd.mkdir(parents=True, exist_ok=True)
    asc, report, log = wd / "design.asc", wd / "nextpnr-report.json", wd / "nextpnr.log"
    args = [*device.nextpnr_args, "--json", json_path, "--asc", asc, "--report", report,
            "--freq", freq_mhz, "--seed", seed, "--timing-allow-fail", "-q"]
    if pcf is not None:
        (wd / "pins.pcf").write_text(pcf)
        args += ["--pcf", wd / "pins.pcf"]
    _run("nextpnr-ice40", args, log)
    rep = json.loads(report.read_text())
    achieved = [clock["achieved"] for clock in rep.get("fmax", {}).values()]
    used = rep["utilization"]
    return Placement(min(achieved) if achieved else None, used.get("ICESTORM_LC", {}).get("used", 0), used,
                     str(asc), str(log))


def pack(asc_path, bin_path) -> str:
    """icepack: the placed design's ASCII bitstream to the binary one the board loads."""
    _run("icepack", [asc_path, bin_path], Path(bin_path).with_suffix(".icepack.log"))
    return str(bin_path)
