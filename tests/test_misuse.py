"""Misuse battery: every ordinary mistake ends in one short line and exit status 2.

Each case runs the real console script in a subprocess, from a fresh working directory,
and checks the exit-status contract (DESIGN.md): status 2 (130 for Ctrl-C), at most three
short lines on stderr, never a traceback, nothing on stdout, and nothing left on disk.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from spikefp.neuro.targets import PRESETS

SPIKEFP = os.path.join(os.path.dirname(sys.executable), "spikefp")
TEMPLATE = json.loads(PRESETS["loihi2"].to_json())


def _target(**changes) -> str:
    return json.dumps({**TEMPLATE, **changes}, ensure_ascii=False)


# name -> (file name, content) of the target files the cases below refer to as {NAME}
TARGET_FILES = {
    "BINARY": ("binary.json", bytes(range(256)) * 4),
    "NOT_UTF8": ("latin1.json", _target(name="caf\xe9").encode("latin-1")),
    "NOT_JSON": ("broken.json", b'{"name": "x", '),
    "NAN": ("nan.json", _target(energy={**TEMPLATE["energy"], "hop_pj": float("nan")}).encode()),
    "INFINITY": ("inf.json", _target(energy={**TEMPLATE["energy"], "synop_pj": float("inf")}).encode()),
    "HUGE_BITS": ("bits.json", _target(weight_bits=10 ** 12).encode()),
    "HUGE_MESH": ("mesh.json", _target(mesh=[10 ** 9, 10 ** 9]).encode()),
    "HUGE_COUNT": ("count.json", _target(neurons_per_core=2 ** 80).encode()),
    "BOOL": ("bool.json", _target(cores_per_chip=True).encode()),
    "LIST": ("list.json", b"[1, 2, 3]"),
    "SOURCES": ("sources.json", _target(sources=[1, 2]).encode()),
    "LARGE": ("large.json", b" " * (2 << 20) + b"{}"),
}

# (arguments, stdin, text the one error line must contain)
CASES = [
    (["demo", "--vectors", "-5"], "", "argument --vectors: must be a positive integer, got -5"),
    (["demo", "--vectors", "many"], "", "argument --vectors: expected an integer, got 'many'"),
    (["map", "fp8e5m2.add", "--target", "loihi1", "--seed", "-1"], "", "argument --seed: must be a non-negative"),
    (["map", "fp8e5m2.add", "--target", "loihi1", "--vectors", "0"], "", "argument --vectors: must be a positive"),
    (["map", "fp8e5m2.add"], "", "map needs a UNIT and --target"),
    (["map", "fp8e5m2.add", "--target", "loihi9"], "", "unknown target 'loihi9'"),
    (["map", "fp8e5m2.add", "--target", "missing.json"], "", "cannot read target file missing.json"),
    (["verify", "fp16.add", "--vectors", "-1"], "", "argument --vectors: must be a positive integer"),
    (["verify", "fp16.add", "--seed", "-3"], "", "argument --seed: must be a non-negative integer"),
    (["verify", "fp16.add", "--engine", "modelsim"], "", "argument --engine: invalid choice: 'modelsim'"),
    (["gen", "fp16.add", "--pipeline", "-2", "-o", "out"], "", "argument --pipeline: must be a non-negative"),
    (["block", "add", "--width", "-3"], "", "argument --width: must be a positive integer, got -3"),
    (["stats", "fp17.add"], "", "unknown format 'fp17'"),
    (["stats", "fp16.add", "--param", "x" * 5000], "", "--param expects NAME=VALUE, got 'xxxxxxxxxxxxxxxxxxxx...'"),
    (["stats", "y" * 5000 + ".add"], "", "unknown format 'yyyy"),
    (["stats"], "", "the following arguments are required: unit"),
    (["frobnicate"], "", "argument command: invalid choice: 'frobnicate'"),
    (["eval", "fp16.add"], "3C_00 3C00\n", "malformed hex operand '3C_00' (ASCII hex digits only)"),
    (["eval", "fp16.add"], "\u0663C00 3C00\n", "malformed hex operand '\u0663C00'"),
    (["eval", "fp16.add"], "0x3C00 3C00\n", "malformed hex operand '0x3C00'"),
    (["eval", "fp16.add"], "+3C00 3C00\n", "malformed hex operand '+3C00'"),
    (["eval", "fp16.add"], "-3C00 3C00\n", "malformed hex operand '-3C00'"),
    (["eval", "fp16.add"], "3C00 " + "G" * 10_000_000 + "\n", "malformed hex operand 'GGGGGGGGGGGGGGGGGGGG...'"),
    (["eval", "fp16.add"], "3C00 " + "F" * 10_000_000 + "\n", "operand 'FFFFFFFFFFFFFFFFFFFF...' is wider than"),
    (["eval", "fp32.fma"], "3C00 3C00\n", "line 1: fp32.fma takes 3 operands, got 2"),
    (["eval", "fp16.add", "--engine", "spice"], "", "argument --engine: invalid choice: 'spice'"),
    (["export", "fp16.add", "--nir", "no/such/dir/x.nir"], "", "--nir no/such/dir/x.nir: no directory"),
    (["export", "fp16.add", "--nir", "."], "", "--nir .: is a directory"),
    (["gen", "fp16.add", "-o", "/proc/1/spikefp"], "", "directory /proc/1 is not writable"),
    (["map", "fp8e5m2.add", "--target", "loihi1", "-o", "/proc/1/m.json"], "", "directory /proc/1 is not writable"),
] + [(["map", "fp8e5m2.add", "--target", "{%s}" % name], "", why) for name, why in [
    ("BINARY", "is not UTF-8 text"), ("NOT_UTF8", "is not UTF-8 text"), ("NOT_JSON", "is not valid JSON"),
    ("NAN", "NaN is not a number a target may hold"), ("INFINITY", "Infinity is not a number a target may hold"),
    ("HUGE_BITS", "weight_bits = 1000000000000 is beyond the largest accepted, 64"),
    ("HUGE_MESH", "is beyond the largest accepted, 1048576 cores"),
    ("HUGE_COUNT", "neurons_per_core = 1208925819614629174706176 is beyond the largest accepted"),
    ("BOOL", "cores_per_chip must be a positive integer, got True"), ("LIST", "expected a JSON object"),
    ("SOURCES", "sources must be an object of strings"), ("LARGE", "is larger than 1048576 bytes"),
]]


def _listing(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs + _)


def _env(tmp_path) -> dict:
    # The cache lives outside the working directory, which must stay untouched.
    return {**os.environ, "SPIKEFP_CACHE": str(tmp_path / "cache")}


def _assert_one_short_error(r, message):
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr
    assert 1 <= len(lines) <= 3 and all(len(line) <= 250 for line in lines), r.stderr[:2000]
    assert lines[0].startswith("spikefp: error: ") and message in lines[0], lines[0]
    assert r.stdout == ""


@pytest.mark.parametrize("args, stdin, message", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_misuse_is_one_line_exit_2_nothing_written(args, stdin, message, tmp_path):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    for name, (file, content) in TARGET_FILES.items():
        (cwd / file).write_bytes(content)
    args = [a.format(**{k: f for k, (f, _) in TARGET_FILES.items()}) for a in args]
    before = _listing(cwd)
    r = subprocess.run([SPIKEFP, *args], input=stdin.encode(), capture_output=True, cwd=cwd,
                       env=_env(tmp_path), timeout=300)
    r = subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(), r.stderr.decode())
    _assert_one_short_error(r, message)
    assert _listing(cwd) == before


@pytest.mark.parametrize("args", [
    ["gen", "fp32.add", "--pipeline", "10000", "-o", "out"],
    ["verify", "fp32.add", "--pipeline", "10000"],
    ["map", "fp32.div", "--target", "loihi2", "--mode", "wavefront", "-o", "no/such/dir/m.json"],
])
def test_refused_before_any_work(args, tmp_path):
    """A pipeline deeper than the unit, or an output folder that does not exist, is refused at
    once: no 48 MB Verilog file, no 13-minute mapping that cannot be saved."""
    t = time.perf_counter()
    r = subprocess.run([SPIKEFP, *args], capture_output=True, text=True, cwd=tmp_path, env=_env(tmp_path),
                       timeout=60)
    assert time.perf_counter() - t < 5, "interpreter start plus the check: well under a second of work"
    message = "--pipeline 10000 is more than fp32.add's depth" if "--pipeline" in args else "no directory"
    _assert_one_short_error(r, message)
    assert _listing(tmp_path) == []


def test_ctrl_c_exits_130_without_traceback(tmp_path):
    p = subprocess.Popen([SPIKEFP, "map", "fp32.div", "--target", "loihi2", "--mode", "wavefront"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                         env=_env(tmp_path))
    time.sleep(4)                         # past start-up: building and mapping the unit
    assert p.poll() is None
    os.kill(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines() == ["spikefp: interrupted"]
    assert out == "" and _listing(tmp_path) == []


def test_closed_pipe_ends_quietly(tmp_path):
    """`spikefp eval ... | head -1`: the reader leaves; no traceback, status 141 (SIGPIPE's)."""
    lines = "".join(f"{i % 65536:04X} 3C00\n" for i in range(200_000))
    r = subprocess.run(["bash", "-c", f"{SPIKEFP} eval fp16.add | head -1; exit ${{PIPESTATUS[0]}}"],
                       input=lines, capture_output=True, text=True, env=_env(tmp_path), timeout=120)
    assert r.stdout == "0000 3C00 3C00 00\n"
    assert r.stderr == "" and r.returncode == 141


def test_working_directory_stays_untouched(tmp_path):
    """Commands run from a directory they must not write to (root ignores its mode, so the
    listing is compared instead): builds and caches go under SPIKEFP_CACHE."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    out = tmp_path / "out"
    for args, stdin in ((["stats", "fp16.add", "fp8e5m2.mul"], ""), (["eval", "fp8e5m2.mul"], "3C 3C\n"),
                        (["map", "fp8e5m2.add", "--target", "loihi1", "--vectors", "64"], ""),
                        (["gen", "fp8e5m2.add", "-o", str(out)], ""),
                        (["export", "fp8e5m2.add", "--nir", str(out / "u.nir")], "")):
        r = subprocess.run([SPIKEFP, *args], input=stdin, capture_output=True, text=True, cwd=cwd,
                           env=_env(tmp_path), timeout=300)
        assert r.returncode == 0, r.stderr
    assert _listing(cwd) == []
    assert sorted(os.listdir(out)) == ["fp8e5m2_add_rne.json", "fp8e5m2_add_rne.v", "u.nir"]
