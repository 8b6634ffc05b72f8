"""Paper tables: the figures of a set of units, measured and rendered in one step (``spikefp report``).

Per unit: the counts ``spikefp stats`` prints (the same `Unit.stats`), the widths of its weights
and thresholds (`spikefp.hdl.harden.bits`) against a Loihi target's per-neuron limits, the mean
spikes per operation the exact engine counts on seeded uniform random operands, and, when
asked, the energy per operation of its Loihi mapping (`spikefp.neuro.mapping.map_netlist`, the
figure ``spikefp map`` prints) and its iCE40 resources and Fmax (`spikefp.fpga.synth`). NEXUS's
measured figures (`spikefp.anchors`) stand beside ours where NEXUS has the unit. `render` writes
Markdown, CSV, booktabs LaTeX or JSON; each records the spikefp version, the git commit, the seed
and the vector count. `plot` draws neurons and depth (energy, LUT4 and Fmax when measured) per
format and operation.

>>> import spikefp
>>> r = measure([spikefp.unit("fp8e4m3.add")], Settings(vectors=256))
>>> row = r.rows[0]
>>> row["neurons"] == spikefp.unit("fp8e4m3.add").stats()["neurons"], row["nexus_neurons"]
(True, 1628)
>>> print(render(r, "csv").splitlines()[0])
unit,neurons,synapses,depth,max_fanin,max_weight,weight_bits,threshold_bits,loihi_weights,loihi_thresholds,...
>>> unit_names([], "fp16,bf16", "add")
['fp16.add', 'bf16.add']
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Settings", "Column", "Report", "measure", "render", "plot", "unit_names", "column_keys", "comma_list",
           "spikes_per_op", "git_hash", "FORMATS", "DEFAULT_FORMATS", "DEFAULT_OPS"]

FORMATS = ("md", "csv", "latex", "json")
# The headline table: the formats NEXUS and the papers use, the operations of an FPU.
DEFAULT_FORMATS = ("fp8e4m3", "fp16", "bf16", "fp32")
DEFAULT_OPS = ("add", "sub", "mul", "div", "sqrt", "fma")


@dataclass(frozen=True)
class Settings:
    """What `measure` measures beyond the counts, and with which seed and vectors."""

    seed: int = 0                 # of the random operands (spikes, and the mapping's check)
    vectors: int = 10_000         # random operations per unit
    target: str = "loihi2"        # Loihi target (preset or .json): limits and energy table
    energy: bool = False          # map every unit (as `spikefp map`) and charge its energy
    mode: str = "settle"          # the mapping's timing mode
    fpga: bool = False            # synthesize, place and route every unit (`spikefp.fpga.synth`)
    device: str = "ice40-hx8k"    # the FPGA of --fpga


class Column(NamedTuple):
    key: str
    header: str                   # Markdown header
    latex: str                    # LaTeX header (already LaTeX)
    kind: str                     # name, int, float, bool


@dataclass
class Report:
    """The table: its columns, one dict per unit (keyed by column), and how it was made."""

    columns: list[Column]
    rows: list[dict]
    meta: dict = field(default_factory=dict)

    def select(self, keys) -> "Report":
        """The report with the columns ``keys`` only, in that order (NEXUS's, where absent, left out)."""
        have = {c.key: c for c in self.columns}
        columns = [have[k] for k in keys if k in have]
        return Report(columns, [{c.key: row[c.key] for c in columns} for row in self.rows], self.meta)


def column_keys(settings: Settings) -> list[str]:
    """Every column a report measured with ``settings`` can have; ValueError for an unknown target."""
    from .neuro.targets import get_target
    return [c.key for c in _columns(settings, get_target(settings.target), True)]


def unit_names(units, formats: str | None = None, ops: str | None = None) -> list[str]:
    """The units named, then ``formats`` x ``ops`` (comma lists; either alone takes the other's
    default), without repeats; the headline set `DEFAULT_FORMATS` x `DEFAULT_OPS` when nothing is named."""
    names = list(units)
    if formats is not None or ops is not None or not names:
        fs = comma_list(formats, "--formats") if formats is not None else DEFAULT_FORMATS
        operations = comma_list(ops, "--ops") if ops is not None else DEFAULT_OPS
        names += [f"{f}.{o}" for f in fs for o in operations]
    return list(dict.fromkeys(names))


def comma_list(text: str, option: str) -> list[str]:
    """The items of ``option``'s comma-separated ``text``; ValueError for an empty one."""
    items = [t.strip() for t in text.split(",")]
    if not all(items):
        raise ValueError(f"{option} expects a comma-separated list without empty items, got {text[:60]!r}")
    return items


def spikes_per_op(unit, vectors: int, seed: int) -> float:
    """Mean neuron spikes per evaluation of ``unit`` on the exact engine, over ``vectors`` uniform
    random operand bit patterns from ``seed`` (`spikefp.pysim.robustness.random_inputs`)."""
    from .pysim.robustness import random_inputs
    out = unit.sim.run(spikes=True, **random_inputs(unit.netlist, vectors, seed))
    return int(out["spikes"].sum()) / vectors


def git_hash() -> str:
    """The commit of the checkout spikefp runs from (``-dirty`` when tracked files changed), or ``unknown``."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def git(*a):
        return subprocess.run(["git", "-C", root, *a], capture_output=True, text=True, timeout=30)
    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode or os.path.realpath(top.stdout.strip()) != os.path.realpath(root):
            return "unknown"           # installed somewhere else, perhaps inside another repository
        head = git("rev-parse", "HEAD").stdout.strip()
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head + "-dirty" * bool(dirty)) if head else "unknown"


def _columns(s: Settings, target, nexus: bool) -> list[Column]:
    cols = [Column("unit", "Unit", "Unit", "name"), Column("neurons", "Neurons", "Neurons", "int"),
            Column("synapses", "Synapses", "Synapses", "int"), Column("depth", "Depth", "Depth", "int"),
            Column("max_fanin", "Max fan-in", "Max fan-in", "int"),
            Column("max_weight", "Max \\|w\\|", "Max $|w|$", "int"),
            Column("weight_bits", "w bits", "$w$ bits", "int"),
            Column("threshold_bits", "θ bits", "$\\theta$ bits", "int"),
            Column("loihi_weights", f"\\|w\\| ≤ {target.max_weight}", f"$|w| \\le {target.max_weight}$", "bool"),
            Column("loihi_thresholds", f"\\|θ\\| ≤ {target.max_threshold}",
                   f"$|\\theta| \\le {target.max_threshold}$", "bool"),
            Column("spikes_per_op", "Spikes/op", "Spikes/op", "float")]
    if s.energy:
        cols.append(Column("energy_nj", "Energy/op (nJ)", "Energy/op (nJ)", "float"))
    if s.fpga:
        cols += [Column("luts", "LUT4", "LUT4", "int"), Column("carries", "Carry", "Carry", "int"),
                 Column("ffs", "FF", "FF", "int"), Column("fmax_mhz", "Fmax (MHz)", "$F_{\\max}$ (MHz)", "float"),
                 Column("fits", f"Fits {s.device}", f"Fits {_tex(s.device)}", "bool")]
    if nexus:
        cols += [Column("nexus_neurons", "NEXUS neurons", "NEXUS neurons", "int"),
                 Column("nexus_synapses", "NEXUS synapses (est.)", "NEXUS synapses (est.)", "int"),
                 Column("nexus_depth", "NEXUS depth", "NEXUS depth", "int"),
                 Column("nexus_spikes_per_op", "NEXUS spikes/op", "NEXUS spikes/op", "float")]
        if s.energy:
            cols.append(Column("nexus_energy_nj", "NEXUS energy/op (nJ)", "NEXUS energy/op (nJ)", "float"))
    return cols


def measure(units, settings: Settings = Settings()) -> Report:
    """Measure ``units`` (built `spikefp.generators.units.Unit` objects) as ``settings`` say.

    A target that cannot be read, or a unit that cannot be mapped, is a `ValueError`; a mapping
    whose check finds mismatches is counted in ``meta["mapping_mismatches"]``.
    """
    from .anchors import NEXUS, NEXUS_FP32_ADD_SPIKES, nexus_comparison
    from .hdl.harden import bits
    from .hdl.progress import phase
    from .hdl.rtl import version
    from .neuro.targets import get_target
    if settings.mode not in ("settle", "wavefront"):
        raise ValueError(f"unknown timing mode {settings.mode!r}; modes: settle, wavefront")
    if settings.vectors < 1:
        raise ValueError(f"vectors must be >= 1, got {settings.vectors}")
    target = get_target(settings.target)
    units = list(units)
    nexus = any(u.name in NEXUS for u in units)
    rows, mismatches = [], 0
    with phase("report", total=len(units), unit="unit") as bar:
        for u in units:
            bar.set_description(f"report {u.name}")
            b = bits(u.netlist)
            row = {"unit": u.name, **u.stats(), "weight_bits": b.weight_bits, "threshold_bits": b.threshold_bits,
                   "loihi_weights": b.max_weight <= target.max_weight,
                   "loihi_thresholds": b.max_threshold <= target.max_threshold,
                   "spikes_per_op": spikes_per_op(u, settings.vectors, settings.seed)}
            summary = None
            if settings.energy:
                from .neuro.mapping import map_netlist
                summary = map_netlist(u.netlist, target, settings.mode, vectors=settings.vectors,
                                      seed=settings.seed, name=u.name).summary()
                mismatches += summary["mismatches"]
                row["energy_nj"] = summary["energy_nj"]
            if settings.fpga:
                from .fpga.synth import synth
                f = synth(u, target=settings.device, pipeline=0, backend="lut").as_dict()
                row.update({k: f.get(k) for k in ("luts", "carries", "ffs", "fmax_mhz", "fits")})
            if nexus:
                a = NEXUS.get(u.name)
                row.update(nexus_neurons=a and a.neurons, nexus_synapses=a and a.synapses,
                           nexus_depth=a and a.depth,
                           nexus_spikes_per_op=NEXUS_FP32_ADD_SPIKES if u.name == "fp32.add" else None)
                if settings.energy:
                    row["nexus_energy_nj"] = (nexus_comparison(summary, target)["energy_nj"]
                                              if u.name == "fp32.add" else None)
            rows.append(row)
            bar.update(1)
    meta = {
        "tool": "spikefp report", "spikefp_version": version(), "git": git_hash(),
        "seed": settings.seed, "vectors": settings.vectors,
        "rounding": ", ".join(sorted({u.mode for u in units})),
        "profile": ", ".join(sorted({u.profile.name for u in units})),
        "spikes": "mean neuron spikes per operation, exact engine, uniform random operand bit patterns"
                  " (an rm port: uniform 0..4)",
        "loihi": {"target": target.name, "max_weight": target.max_weight, "max_threshold": target.max_threshold},
        "energy": {"model": "spikefp map (spikefp.neuro.mapping): legalized, placed, routed", "target": target.name,
                   "mode": settings.mode} if settings.energy else None,
        "fpga": {"device": settings.device, "backend": "lut", "pipeline": 0,
                 "flow": "spikefp synth (spikefp.fpga.synth): Yosys synth_ice40 of the unit alone; "
                         "Fmax from nextpnr-ice40 behind registered I/O"} if settings.fpga else None,
        "nexus": "measured figures of NEXUS (github Brain2nd/NEXUS), spikefp.anchors; synapses estimated"
                 + ("; energy: NEXUS fp32.add under the same model without routing" if settings.energy else "")
                 if nexus else None,
    }
    if settings.energy:
        meta["mapping_mismatches"] = mismatches
    # NEXUS's columns where NEXUS has a figure for some unit of the table.
    columns = [c for c in _columns(settings, target, nexus)
               if not c.key.startswith("nexus_") or any(row[c.key] is not None for row in rows)]
    return Report(columns, [{c.key: row[c.key] for c in columns} for row in rows], meta)


# -- rendering ---------------------------------------------------------------------------------

def render(report: Report, fmt: str) -> str:
    """The table as ``md``, ``csv``, ``latex`` or ``json`` text (ending in a newline)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    return {"md": _markdown, "csv": _csv, "latex": _latex, "json": _json}[fmt](report)


def _cell(value, kind: str, none: str, yes="yes", no="no") -> str:
    if value is None:
        return none
    if kind == "bool":
        return yes if value else no
    if kind == "int":
        return f"{value:,}"
    if kind == "float":
        return f"{value:,.1f}"
    return str(value)


def _caption(r: Report, math) -> str:
    """One sentence of provenance for the columns shown; ``math(text)`` marks a formula for the output format."""
    m, keys = r.meta, {c.key for c in r.columns}
    parts = [f"spikefp {m['spikefp_version']} (git {m['git']}); {m['rounding']}, profile {m['profile']}",
             f"spikes/op: {m['spikes']}, {m['vectors']:,} vectors, seed {m['seed']}"]
    if keys & {"loihi_weights", "loihi_thresholds"}:
        parts.append(f"Loihi limits ({m['loihi']['target']}): " + math(f"|w| <= {m['loihi']['max_weight']}") + ", "
                     + math(f"|theta| <= {m['loihi']['max_threshold']}")
                     + " (a mapping splits larger weights over relay neurons; a larger threshold cannot be mapped)")
    if "energy_nj" in keys:
        parts.append(f"energy: {m['energy']['model']} on {m['energy']['target']}, {m['energy']['mode']} mode, "
                     f"same vectors and seed")
    if keys & {"luts", "carries", "ffs", "fmax_mhz", "fits"}:
        parts.append(f"FPGA: {m['fpga']['flow']}, {m['fpga']['device']}, {m['fpga']['backend']} Verilog, "
                     f"pipeline {m['fpga']['pipeline']}")
    if any(k.startswith("nexus_") for k in keys):
        parts.append(f"NEXUS: {m['nexus']}")
    return "; ".join(parts) + "."


def _markdown(r: Report) -> str:
    head = "| " + " | ".join(c.header for c in r.columns) + " |"
    rule = "|" + "|".join(" --- " if c.kind == "name" else " ---: " for c in r.columns) + "|"
    body = ["| " + " | ".join(f"`{row[c.key]}`" if c.kind == "name" else _cell(row[c.key], c.kind, "–")
                              for c in r.columns) + " |" for row in r.rows]
    caption = _caption(r, lambda t: t.replace("<=", "≤").replace("theta", "θ"))
    return "\n".join([head, rule, *body, "", caption]) + "\n"


def _csv(r: Report) -> str:
    """One row per unit; the provenance repeats in trailing columns, so any CSV reader keeps it."""
    meta = {"spikefp_version": r.meta["spikefp_version"], "git": r.meta["git"], "seed": r.meta["seed"],
            "vectors": r.meta["vectors"], "rounding": r.meta["rounding"], "profile": r.meta["profile"]}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c.key for c in r.columns] + list(meta))
    for row in r.rows:
        w.writerow([_cell(row[c.key], "bool", "", "true", "false") if c.kind == "bool"
                    else "" if row[c.key] is None else row[c.key] for c in r.columns] + list(meta.values()))
    return buf.getvalue()


_TEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "|": r"\textbar{}",
        "<": r"\textless{}", ">": r"\textgreater{}"}


def _tex(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return "".join(_TEX.get(ch, ch) for ch in str(text))


def _tex_math(text: str) -> str:
    return "$" + text.replace("<=", r"\le").replace("theta", r"\theta") + "$"


def _latex(r: Report) -> str:
    """A booktabs ``table`` (needs ``\\usepackage{booktabs}``); the caption holds the provenance."""
    spec = "".join("l" if c.kind == "name" else "r" for c in r.columns)
    caption = _caption(r, lambda t: "\0" + t + "\1")
    # Escape the prose, then turn the marked formulas into math.
    escaped = []
    for i, piece in enumerate(caption.replace("\1", "\0").split("\0")):
        escaped.append(_tex_math(piece) if i % 2 else _tex(piece))
    lines = [f"% spikefp report: spikefp {r.meta['spikefp_version']}, git {r.meta['git']}, "
             f"seed {r.meta['seed']}, {r.meta['vectors']} vectors; needs \\usepackage{{booktabs}}",
             "\\begin{table}", "  \\centering", f"  \\caption{{{''.join(escaped)}}}",
             "  \\label{tab:spikefp-report}", f"  \\begin{{tabular}}{{{spec}}}", "    \\toprule",
             "    " + " & ".join(c.latex for c in r.columns) + r" \\", "    \\midrule"]
    for row in r.rows:
        cells = [f"\\texttt{{{_tex(row[c.key])}}}" if c.kind == "name" else _cell(row[c.key], c.kind, "--")
                 for c in r.columns]
        lines.append("    " + " & ".join(cells) + r" \\")
    lines += ["    \\bottomrule", "  \\end{tabular}", "\\end{table}"]
    return "\n".join(lines) + "\n"


def _json(r: Report) -> str:
    return json.dumps({"meta": r.meta, "columns": [c.key for c in r.columns], "rows": r.rows},
                      indent=1, sort_keys=False) + "\n"


# -- plots ---------------------------------------------------------------------------------------

def plot(report: Report, folder: str) -> list[str]:
    """Grouped bar charts in ``folder``: ``report_neurons_depth``, with energy ``report_energy``,
    with FPGA figures ``report_fpga``, each as .png and .pdf (each file written whole); returns the paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .hdl.netlist import atomic_write
    os.makedirs(folder, exist_ok=True)
    charts = [("report_neurons_depth", [("neurons", "neurons"), ("depth", "depth (neuron layers)")])]
    if any(c.key == "energy_nj" for c in report.columns):
        charts.append(("report_energy", [("energy_nj", f"energy per operation (nJ), "
                                                       f"{report.meta['energy']['mode']} mode")]))
    if any(c.key == "luts" for c in report.columns):
        charts.append(("report_fpga", [("luts", f"LUT4 ({report.meta['fpga']['device']})"),
                                       ("fmax_mhz", "Fmax (MHz), registered I/O")]))
    fmts = list(dict.fromkeys(row["unit"].split(".", 1)[0] for row in report.rows))
    ops = list(dict.fromkeys(row["unit"].split(".", 1)[1] for row in report.rows))
    value = {(row["unit"].split(".", 1)[0], row["unit"].split(".", 1)[1]): row for row in report.rows}
    width = 0.8 / max(len(fmts), 1)
    paths = []
    for name, panels in charts:
        fig, axes = plt.subplots(1, len(panels), figsize=(max(4.0, 1.2 * len(ops)) * len(panels), 3.6),
                                 squeeze=False)
        for ax, (key, label) in zip(axes[0], panels):
            bars = {f: [(j + (i - (len(fmts) - 1) / 2) * width, value[f, o]) for j, o in enumerate(ops)
                        if (f, o) in value and value[f, o][key] is not None] for i, f in enumerate(fmts)}
            for f, pts in bars.items():
                ax.bar([x for x, _ in pts], [row[key] for _, row in pts], width, label=f)
            nexus = [(x, row[f"nexus_{key}"]) for pts in bars.values() for x, row in pts if row.get(f"nexus_{key}")]
            if nexus:
                ax.scatter(*zip(*nexus), marker="_", s=200, color="black", zorder=3, label="NEXUS")
            ax.set_xticks(range(len(ops)), ops)
            ax.set_ylabel(label)
            ys = [v for row in report.rows for v in (row[key], row.get(f"nexus_{key}")) if v]
            if ys and max(ys) > 20 * min(ys):         # a wide range: a log axis, every bar visible
                ax.set_yscale("log")
                ax.set_ylim(bottom=10 ** math.floor(math.log10(min(ys))))
            ax.grid(axis="y", which="major", alpha=0.3)
        axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))   # beside: hides no bar
        git = report.meta["git"]
        fig.suptitle(f"spikefp {report.meta['spikefp_version']} (git {git[:12]}{'-dirty' * git.endswith('-dirty')}), "
                     f"{report.meta['rounding']}, profile {report.meta['profile']}", fontsize=9)
        fig.tight_layout()
        try:
            for ext in ("png", "pdf"):
                path = os.path.join(folder, f"{name}.{ext}")
                # No creation date: the same table gives the same PDF.
                atomic_write(path, lambda fh, ext=ext: fig.savefig(
                    fh, format=ext, metadata={"CreationDate": None} if ext == "pdf" else None))
                paths.append(path)
        finally:
            plt.close(fig)
    return paths
