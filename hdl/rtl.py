"""Verilog emission: a unit's netlist as one Verilog module, plus a manifest.

``generate(unit, pipeline, backend)`` returns the Verilog text and the manifest (module,
ports, latency, stats, generator parameters, spikefp version, content hashes); ``write(unit,
dir, pipeline, backend)`` writes ``DIR/<module>.v`` and ``DIR/<module>.json`` atomically.
The same parameters give byte-identical files. Three back-ends write the same circuit:
``netlist`` (default; `spikefp.hdl.verilog`, one levelized statement per neuron, fast to
simulate), ``lut`` (the same writer with each neuron as its decision diagram: small after FPGA
synthesis, `spikefp synth`'s default) and ``amaranth`` (`NetlistComponent` through Amaranth's
Yosys back-end); tests prove them equivalent. Tool drivers (Verilator lint, Yosys proofs) are in
`spikefp.verify.tools`.

>>> import spikefp
>>> text, manifest = generate(spikefp.unit("fp8e5m2.add"), pipeline=2)
>>> manifest["module"], manifest["latency"], [p["name"] for p in manifest["ports"]][:2]
('fp8e5m2_add_rne_p2', 2, ['clk', 'rst'])
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata

from .elaborate import NetlistComponent
from .netlist import atomic_write
from .progress import phase
from .verilog import to_verilog

__all__ = ["BACKENDS", "module_name", "generate", "write", "version"]

BACKENDS = ("netlist", "lut", "amaranth")


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
        from amaranth.back import verilog      # Amaranth's Yosys back-end: tens of seconds on large units
        with phase(f"Amaranth to Verilog {name}"):
            text = verilog.convert(NetlistComponent(nl, pipeline), name=name, emit_src=False)
    else:
        text = to_verilog(nl, name, pipeline, style="lut" if backend == "lut" else "sum")
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
        "spikefp_version": version(),
        "netlist_sha256": nl.content_hash(),
        "verilog_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
    return text, manifest


def version() -> str:
    """The installed distribution's version (pyproject.toml), without importing `spikefp`'s top level."""
    try:
        return metadata.version("spikefp")
    except metadata.PackageNotFoundError:     # run from a source tree that was never installed
        return "0+unknown"


def _format_info(f) -> dict:
    """A float format's field widths, or an integer format's width and signedness."""
    if not hasattr(f, "E"):                  # an IntFormat (conversion operand or result)
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
