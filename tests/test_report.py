"""`spikefp report`: the counts equal `spikefp stats`' in every format, each format is well formed,
the measured spikes equal an independent count, the energy equals `spikefp map`'s, plots are written,
bad input ends in one line and exit 2 with nothing written."""

import csv
import io
import json
import os
import re

import numpy as np
import pytest

import spikefp
from spikefp.anchors import NEXUS, NEXUS_FP32_ADD_SPIKES
from spikefp.cli import main
from spikefp.hdl.harden import bits
from spikefp.hdl.rtl import version
from spikefp.report import DEFAULT_FORMATS, DEFAULT_OPS, git_hash, unit_names

UNITS = ["fp8e4m3.add", "fp8e4m3.mul", "fp16.add", "bf16.mul", "fp16.sqrt", "fp32.to_fp16"]
STATS = ("neurons", "synapses", "depth", "max_fanin", "max_weight")
OPTIONS = [[], ["--rm", "rtz"], ["--profile", "loihi"], ["--dynamic"]]


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def md_cells(line: str) -> list[str]:
    """The cells of a Markdown table row (``\\|`` is a pipe inside a cell)."""
    assert line.startswith("| ") and line.endswith(" |"), line
    return [c.strip() for c in re.split(r"(?<!\\)\|", line[1:-1])]


def parse_md(text: str) -> list[dict]:
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    head, rule, *body = lines
    n = len(md_cells(head))
    assert all(re.fullmatch(r" ---:? ", c) for c in rule[1:-1].split("|")) and len(rule[1:-1].split("|")) == n
    assert all(len(md_cells(ln)) == n for ln in body)
    return [dict(zip(md_cells(head), md_cells(ln))) for ln in body]


def latex_rows(text: str) -> tuple[str, list[list[str]]]:
    """The tabular's column spec and its rows (header first) split into cells."""
    spec = re.search(r"\\begin\{tabular\}\{([lrc]+)\}", text).group(1)
    inner = text[text.index("\\toprule"):text.index("\\bottomrule")]
    rows = [ln.strip() for ln in inner.splitlines() if ln.strip().endswith("\\\\")]
    return spec, [[c.strip() for c in r[:-2].split(" & ")] for r in rows]


def number(cell: str) -> int:
    return int(cell.replace(",", ""))


def report(capsys, tmp_path, fmt: str, *argv, vectors: int = 256) -> str:
    path = tmp_path / f"table.{fmt}"
    status, out, err = run(capsys, "report", *argv, "--format", fmt, "--vectors", str(vectors), "-o", str(path))
    assert (status, out) == (0, "") and all(ln.startswith("wrote ") for ln in err.splitlines()), err
    return path.read_text()


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: " ".join(o) or "default")
def test_counts_equal_stats_in_every_format(capsys, tmp_path, options):
    status, out, _ = run(capsys, "stats", *UNITS, *options, "--json")
    assert status == 0
    stats = json.loads(out)
    expected = {u: [stats[u][k] for k in STATS] for u in UNITS}

    data = json.loads(report(capsys, tmp_path, "json", *UNITS, *options))
    assert {r["unit"]: [r[k] for k in STATS] for r in data["rows"]} == expected
    assert [r["unit"] for r in data["rows"]] == UNITS

    rows = list(csv.DictReader(io.StringIO(report(capsys, tmp_path, "csv", *UNITS, *options))))
    assert {r["unit"]: [int(r[k]) for k in STATS] for r in rows} == expected

    md = parse_md(report(capsys, tmp_path, "md", *UNITS, *options))
    heads = ("Neurons", "Synapses", "Depth", "Max fan-in", "Max \\|w\\|")
    assert {r["Unit"].strip("`"): [number(r[h]) for h in heads] for r in md} == expected

    _, (head, *body) = latex_rows(report(capsys, tmp_path, "latex", *UNITS, *options))
    assert head[:6] == ["Unit", "Neurons", "Synapses", "Depth", "Max fan-in", "Max $|w|$"]
    got = {re.fullmatch(r"\\texttt\{(.*)\}", r[0]).group(1).replace("\\_", "_"): [number(c) for c in r[1:6]]
           for r in body}
    assert got == expected


def test_loihi_columns_are_the_widths_against_the_target(capsys, tmp_path):
    data = json.loads(report(capsys, tmp_path, "json", "fp16.add", "fp16.mul", "--profile", "loihi"))
    data2 = json.loads(report(capsys, tmp_path, "json", "fp16.add", "fp16.mul"))
    for d, profile in ((data, "loihi"), (data2, "default")):
        for r in d["rows"]:
            b = bits(spikefp.unit(r["unit"], profile=profile).netlist)
            assert (r["weight_bits"], r["threshold_bits"]) == (b.weight_bits, b.threshold_bits)
            assert r["loihi_weights"] == (b.max_weight <= 127)
            assert r["loihi_thresholds"] == (b.max_threshold <= 131071)
    assert [r["loihi_weights"] for r in data["rows"]] == [True, True]          # the profile bounds them
    assert [r["loihi_weights"] for r in data2["rows"]] == [False, False]       # 128 and 1,024
    assert data["meta"]["profile"] == "loihi" and data["meta"]["loihi"] == {
        "target": "loihi2", "max_weight": 127, "max_threshold": 131071}


def test_latex_is_structurally_balanced(capsys, tmp_path):
    tex = report(capsys, tmp_path, "latex", "fp8e4m3.add", "fp32.add", "fp16.to_fp32", "fp32.to_i32")
    for env in ("table", "tabular"):
        assert tex.count(f"\\begin{{{env}}}") == tex.count(f"\\end{{{env}}}") == 1
    assert tex.index("\\begin{table}") < tex.index("\\begin{tabular}") < tex.index("\\end{tabular}") \
        < tex.index("\\end{table}")
    rules = [tex.index(r) for r in ("\\toprule", "\\midrule", "\\bottomrule")]
    assert rules == sorted(rules) and all(tex.count(r) == 1 for r in ("\\toprule", "\\midrule", "\\bottomrule"))
    spec, rows = latex_rows(tex)
    assert len(rows) == 5 and all(len(r) == len(spec) for r in rows)
    assert spec == "l" + "r" * (len(spec) - 1)
    body = "\n".join(ln for ln in tex.splitlines() if not ln.startswith("%"))
    depth = 0
    for ch in re.sub(r"\\[{}]", "", body):          # braces balanced (escaped ones aside)
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    for ln in body.splitlines():
        assert ln.replace("\\$", "").count("$") % 2 == 0, ln
        # outside math, every _ # % & is escaped
        text = "".join(re.split(r"\$[^$]*\$", ln.replace("\\$", "")))
        assert not re.search(r"(?<!\\)[_#%]", text), ln
    assert "\\texttt{fp16.to\\_fp32}" in tex and "\\texttt{fp32.to\\_i32}" in tex
    assert f"git {git_hash()}" in tex and "seed 0" in tex and "256 vectors" in tex


def test_csv_and_json_record_provenance(capsys, tmp_path):
    rows = list(csv.DictReader(io.StringIO(report(capsys, tmp_path, "csv", "fp8e4m3.add", "--seed", "7"))))
    assert len(rows) == 1
    assert {"unit", "neurons", "synapses", "depth", "spikes_per_op"} <= set(rows[0])
    assert (rows[0]["spikefp_version"], rows[0]["git"], rows[0]["seed"], rows[0]["vectors"]) == (
        version(), git_hash(), "7", "256")
    data = json.loads(report(capsys, tmp_path, "json", "fp8e4m3.add", "--seed", "7"))
    m = data["meta"]
    assert (m["spikefp_version"], m["git"], m["seed"], m["vectors"]) == (version(), git_hash(), 7, 256)
    assert data["columns"] == list(data["rows"][0])
    md = report(capsys, tmp_path, "md", "fp8e4m3.add", "--seed", "7")
    assert f"spikefp {version()} (git {git_hash()})" in md and "256 vectors, seed 7" in md


def test_git_hash_is_this_checkout():
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.abspath(spikefp.__file__)))
    head = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{40}(-dirty)?", git_hash()) and git_hash().split("-")[0] == head


def independent_spikes(unit, vectors: int, seed: int) -> int:
    """Neuron spikes over the vectors, counted neuron by neuron from the netlist's weights."""
    net = unit.netlist
    rng = np.random.default_rng(seed)
    ports = {p: rng.integers(0, 5 if p == "rm" else 1 << w, vectors, dtype=np.uint64) for p, w in net.inputs.items()}
    values = np.zeros((net.node_count, vectors), np.int64)
    values[1] = 1
    node = 2
    for p, w in net.inputs.items():
        for i in range(w):
            values[node] = (ports[p] >> np.uint64(i)) & np.uint64(1)
            node += 1
    total = 0
    for k, n in enumerate(net.neurons):
        fired = sum(w * values[i] for i, w in zip(n.inputs, n.weights)) >= n.threshold
        values[net.first_neuron + k] = fired
        total += int(fired.sum())
    return total


@pytest.mark.parametrize("name, options", [("fp8e4m3.add", []), ("fp16.mul", []), ("bf16.add", ["--dynamic"])])
def test_spikes_equal_an_independent_count(capsys, tmp_path, name, options):
    path = tmp_path / "r.json"
    assert main(["report", name, *options, "--vectors", "300", "--seed", "5", "--format", "json", "-o", str(path)]) == 0
    row = json.loads(path.read_text())["rows"][0]
    u = spikefp.unit(name, dynamic="--dynamic" in options)
    assert row["spikes_per_op"] == independent_spikes(u, 300, 5) / 300
    assert row["spikes_per_op"] != independent_spikes(u, 300, 6) / 300      # the seed is used


def test_energy_equals_spikefp_map(capsys, tmp_path):
    status, out, _ = run(capsys, "map", "fp8e4m3.add", "--target", "loihi1", "--vectors", "300", "--seed", "2", "--json")
    assert status == 0
    mapped = json.loads(out)
    data = json.loads(report(capsys, tmp_path, "json", "fp8e4m3.add", "fp32.add", "--energy", "--target", "loihi1",
                             "--seed", "2", vectors=300))
    assert (data["meta"]["vectors"], data["meta"]["seed"]) == (300, 2)
    assert data["rows"][0]["energy_nj"] == mapped["energy_nj"]
    assert data["meta"]["energy"]["mode"] == "settle" and data["meta"]["mapping_mismatches"] == 0
    nexus = data["rows"][1]
    assert nexus["nexus_energy_nj"] > nexus["energy_nj"] > data["rows"][0]["energy_nj"] > 0
    assert "nexus_energy_nj" in data["columns"] and data["rows"][0]["nexus_energy_nj"] is None


def test_nexus_beside_ours_where_nexus_has_the_unit(capsys, tmp_path):
    data = json.loads(report(capsys, tmp_path, "json", "fp32.add", "fp8e4m3.mul", "bf16.add"))
    a, m, b = data["rows"]
    assert (a["nexus_neurons"], a["nexus_synapses"], a["nexus_depth"], a["nexus_spikes_per_op"]) == (
        *NEXUS["fp32.add"], NEXUS_FP32_ADD_SPIKES)
    assert (m["nexus_neurons"], m["nexus_depth"], m["nexus_spikes_per_op"]) == (1167, 84, None)
    assert all(b[k] is None for k in b if k.startswith("nexus_"))
    alone = json.loads(report(capsys, tmp_path, "json", "bf16.add"))
    assert not any(k.startswith("nexus_") for k in alone["columns"])


def test_plots_written(capsys, tmp_path):
    out = tmp_path / "plots"
    args = ["report", "fp8e4m3.add", "fp8e4m3.mul", "fp16.add", "fp16.mul", "--energy", "--vectors", "128",
            "--plot", str(out), "-o", str(tmp_path / "t.md")]
    status, _, err = run(capsys, *args)
    assert status == 0
    names = ["report_energy.pdf", "report_energy.png", "report_neurons_depth.pdf", "report_neurons_depth.png"]
    assert sorted(os.listdir(out)) == names
    assert sorted(err.splitlines()) == [f"wrote {out / n}" for n in names]
    first = {n: (out / n).read_bytes() for n in names}
    assert first["report_neurons_depth.png"][:8] == b"\x89PNG\r\n\x1a\n"
    assert first["report_energy.pdf"][:5] == b"%PDF-"
    assert run(capsys, *args)[0] == 0
    assert {n: (out / n).read_bytes() for n in names} == first           # deterministic files


def test_unit_names():
    assert unit_names([]) == [f"{f}.{o}" for f in DEFAULT_FORMATS for o in DEFAULT_OPS]
    assert len(unit_names([])) == 24
    assert unit_names([], "fp16,bf16", "add,mul") == ["fp16.add", "fp16.mul", "bf16.add", "bf16.mul"]
    assert unit_names([], None, "div") == [f"{f}.div" for f in DEFAULT_FORMATS]
    assert unit_names(["fp16.add", "fp32.mul"], "fp16", "add") == ["fp16.add", "fp32.mul"]
    assert unit_names(["fp32.mul"]) == ["fp32.mul"]


@pytest.mark.parametrize("argv, message", [
    (["fp16.nope"], "spikefp: error: unknown operation 'nope' in 'fp16.nope'"),
    (["--formats", "fp16,,bf16"], "spikefp: error: --formats expects a comma-separated list without empty items"),
    (["--ops", "add", "--formats", "fp99"], "spikefp: error: "),
    (["fp16.add", "--target", "loihi9"], "spikefp: error: unknown target 'loihi9'; presets: loihi1, loihi2"),
    (["fp16.add", "--format", "docx"], "spikefp: error: argument --format: invalid choice: 'docx'"),
    (["fp16.add", "--vectors", "0"], "spikefp: error: argument --vectors: must be a positive integer, got 0"),
    (["fp16.add", "--columns", "unit,energy_nj"], "spikefp: error: --columns: no column 'energy_nj' (it needs --energy)"),
    (["fp16.add", "--columns", "unit,,depth"], "spikefp: error: --columns expects a comma-separated list"),
    (["fp16.add", "--plot", "/proc/version/x"], "spikefp: error: --plot /proc/version/x: /proc/version is not a directory"),
])
def test_bad_input_one_line_exit_2_nothing_written(capsys, tmp_path, argv, message):
    path = tmp_path / "table.md"
    path.write_text("before\n")
    status, out, err = run(capsys, "report", *argv, "-o", str(path))
    assert (status, out) == (2, "")
    assert len(err.splitlines()) == 1 and err.startswith(message), err
    assert path.read_text() == "before\n" and os.listdir(tmp_path) == ["table.md"]


def test_fpga_figures_equal_spikefp_synth(capsys, tmp_path):
    units = ["fp8e4m3.add", "fp8e4m3.mul"]
    status, out, _ = run(capsys, "synth", *units, "--target", "ice40-up5k", "--json")
    assert status == 0
    synth = {r["unit"]: r for r in json.loads(out)}
    data = json.loads(report(capsys, tmp_path, "json", *units, "--fpga", "--device", "ice40-up5k",
                             "--plot", str(tmp_path / "p")))
    keys = ("luts", "carries", "ffs", "fmax_mhz", "fits")
    assert {r["unit"]: [r[k] for k in keys] for r in data["rows"]} == {u: [synth[u][k] for k in keys] for u in units}
    assert all(r["fits"] and r["fmax_mhz"] > 0 for r in data["rows"])
    assert data["meta"]["fpga"]["device"] == "ice40-up5k"
    assert sorted(os.listdir(tmp_path / "p")) == ["report_fpga.pdf", "report_fpga.png", "report_neurons_depth.pdf",
                                                  "report_neurons_depth.png"]


def test_columns_pick_and_order(capsys, tmp_path):
    cols = "unit,depth,neurons,nexus_neurons,spikes_per_op"
    rows = list(csv.DictReader(io.StringIO(report(capsys, tmp_path, "csv", "fp16.add", "bf16.add", "--columns", cols))))
    assert list(rows[0])[:5] == cols.split(",")
    assert [(r["unit"], r["depth"], r["neurons"], r["nexus_neurons"]) for r in rows] == [
        ("fp16.add", "21", "524", "2726"), ("bf16.add", "21", "425", "")]
    spec, table = latex_rows(report(capsys, tmp_path, "latex", "bf16.add", "--columns", cols))
    assert spec == "lrrr" and table[0] == ["Unit", "Depth", "Neurons", "Spikes/op"]     # no NEXUS unit: no NEXUS column
