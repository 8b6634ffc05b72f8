"""`spikefp robustness`: the JSON record, the plot, and misuse (one line, exit 2, nothing written)."""

import json
import os
import subprocess
import sys

import pytest

from spikefp.cli import main

SPIKEFP = os.path.join(os.path.dirname(sys.executable), "spikefp")


def _run(args, cwd, timeout=300):
    env = {**os.environ, "SPIKEFP_CACHE": str(cwd / ".cache")}
    return subprocess.run([SPIKEFP, "robustness", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)


def test_json_points_and_plot(tmp_path):
    r = _run(["fp8e4m3.mul", "--sigma", "0,0.2", "--beta", "1", "--timing", "wavefront", "--trials", "3000",
              "--vectors", "256", "--json", "--plot", "sweep.svg"], tmp_path)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["unit"] == "fp8e4m3.mul" and d["model"]["timing"] == "wavefront" and d["model"]["noise"] == "additive"
    assert [sorted(p) for p in d["points"]] == [sorted(["sigma", "delta", "beta", "trials", "unit_error_rate",
                                                        "gate_error_rate", "predicted_unit_error_rate"])] * 2
    exact, noisy = d["points"]
    assert (exact["sigma"], exact["unit_error_rate"], exact["gate_error_rate"]) == (0, 0, 0)
    assert exact["predicted_unit_error_rate"] == 0 and exact["trials"] == 3000
    assert 0.3 < noisy["unit_error_rate"] < 0.9
    assert 0.5 < noisy["predicted_unit_error_rate"] / noisy["unit_error_rate"] < 2
    assert (tmp_path / "sweep.svg").read_text().lstrip().startswith("<?xml")
    assert sorted(os.listdir(tmp_path)) == [".cache", "sweep.svg"] or sorted(os.listdir(tmp_path)) == ["sweep.svg"]


def test_text_table(tmp_path):
    r = _run(["fp8e4m3.mul", "--delta", "0,0.05", "--trials", "500", "--vectors", "64", "-q"], tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("fp8e4m3.mul (rne): additive noise, settle timing, 221 neurons")
    assert lines[1].split() == ["sigma", "delta", "beta", "trials", "unit", "err", "predicted", "gate", "err"]
    assert lines[2].split() == ["0", "0", "1", "500", "0", "0", "0"]
    assert len(lines) == 4


@pytest.mark.parametrize("args, message", [
    (["fp8e4m3.mul", "--sigma", "-0.1"], "argument --sigma: each value must be a number >= 0, got -0.1"),
    (["fp8e4m3.mul", "--beta", "1.5"], "argument --beta: each value must be in [0, 1], got 1.5"),
    (["fp8e4m3.mul", "--sigma", "0,,0.2"], "argument --sigma: expected comma-separated numbers, got '0,,0.2'"),
    (["fp8e4m3.mul", "--delta", "nan"], "argument --delta: expected comma-separated numbers, got 'nan'"),
    (["fp8e4m3.mul", "--trials", "0"], "argument --trials: must be a positive integer, got 0"),
    (["fp8e4m3.mul", "--noise", "pink"], "argument --noise: invalid choice: 'pink'"),
    (["fp9.mul"], "unknown format 'fp9'"),
    (["fp8e4m3.frobnicate"], "frobnicate"),
    (["fp8e4m3.mul", "--plot", "nowhere/plot.png"], "--plot nowhere/plot.png: no directory"),
    (["fp8e4m3.mul", "--plot", "afile/plot.png"], "--plot afile/plot.png: no directory"),
    (["fp8e4m3.mul", "--plot", "plot.txt"], "--plot plot.txt: the name must end in .png, .svg or .pdf"),
    (["fp8e4m3.mul", "--plot", "."], "--plot .: is a directory"),
    (["fp8e4m3.mul", "--scale", "2"], "argument --scale: must be odd"),
    (["fp8e4m3.mul", "--replicas", "0"], "argument --replicas: must be a positive integer, got 0"),
])
def test_misuse_is_one_line_exit_2_nothing_written(args, message, tmp_path, monkeypatch, capsys):
    # In-process (every case is refused before any work; the subprocess contract is the same
    # `main`, run once above).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("not a folder")
    assert main(["robustness", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("spikefp: error: ") and message in lines[0], err
    assert os.listdir(tmp_path) == ["afile"]


def test_the_robust_build_buys_margin(tmp_path):
    """--scale 3 puts every boundary 3/2 from the sums: at sigma 0.1 (plain: ~48% wrong) the
    scaled unit fails like the plain one at sigma 0.1/3 (~1e-6: none in 3,000 trials)."""
    runs = {}
    for extra in ([], ["--scale", "3"]):
        r = _run(["fp8e4m3.mul", "--sigma", "0.1", "--trials", "3000", "--vectors", "256", "--json", "-q", *extra],
                 tmp_path)
        assert r.returncode == 0, r.stderr
        runs[tuple(extra)] = json.loads(r.stdout)
    plain, scaled = runs[()], runs[("--scale", "3")]
    assert (scaled["model"]["scale"], scaled["model"]["neurons"]) == (3, plain["model"]["neurons"])
    assert scaled["model"]["weight_bits"] > plain["model"]["weight_bits"]
    assert plain["points"][0]["unit_error_rate"] > 0.3 and scaled["points"][0]["unit_error_rate"] == 0
