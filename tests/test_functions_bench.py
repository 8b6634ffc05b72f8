"""The elementary-function benchmarks: benchmarks/functions.py and benchmarks/exhaustive_fp32.py.

The campaign script runs on real units (fp32.sqrt and fp16.sqrt stand in for the elementary
functions: their references are fast; fp32.recip takes the fast fp32 elementary reference in
worker processes), in subprocesses as a user runs it, interrupted by a real SIGINT; the
accuracy benchmark runs on fp8e4m3.recip, every input and mode.
"""

import importlib.util
import json
import math
import signal
import subprocess
import sys
import time
from pathlib import Path

import gmpy2
import numpy as np
import pytest

from spikefp.generators.fpformat import get_format

ROOT = Path(__file__).resolve().parent.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


functions = _load("functions")
campaign = _load("exhaustive_fp32")


def _script(name, *args, **kw):
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, **kw)


# -- exhaustive_fp32.py ----------------------------------------------------------------------

def test_campaign_slice_matches_reference(tmp_path):
    out, state = tmp_path / "s.json", tmp_path / "st.json"
    r = _script("exhaustive_fp32", "sqrt", "--range", "0x3f800000:0x3f810000", "--chunk", "20000",
                "--jobs", "1", "--out", str(out), "--resume", str(state))
    assert r.returncode == 0, r.stderr
    s = json.loads(out.read_text())
    assert json.loads(r.stdout) == s
    assert (s["unit"], s["mode"], s["range"], s["inputs"], s["mismatches"], s["first"]) == \
        ("fp32.sqrt", "rne", ["0x3f800000", "0x3f810000"], 65536, 0, [])
    assert s["engine"] == "native" and s["throughput"] > 0
    assert not state.exists()               # a finished campaign leaves no state to resume


def test_campaign_fp32_elementary_fast_reference_in_workers(tmp_path):
    out = tmp_path / "s.json"
    r = _script("exhaustive_fp32", "recip", "--range", "0x3f800000:0x3f840000", "--chunk", "65536", "--jobs", "2",
                "--out", str(out), "--resume", str(tmp_path / "st.json"))
    assert r.returncode == 0, r.stderr
    s = json.loads(out.read_text())
    assert (s["unit"], s["inputs"], s["mismatches"], s["reference"]) == ("fp32.recip", 1 << 18, 0, "elementary_fast")


def test_campaign_whole_16_bit_format_directed_mode(tmp_path):
    out = tmp_path / "s.json"
    r = _script("exhaustive_fp32", "fp16.sqrt", "--rm", "rdn", "--out", str(out),
                "--resume", str(tmp_path / "st.json"))
    assert r.returncode == 0, r.stderr
    s = json.loads(out.read_text())
    assert (s["unit"], s["mode"], s["inputs"], s["mismatches"]) == ("fp16.sqrt", "rdn", 65536, 0)


def test_campaign_interrupt_saves_state_and_resumes(tmp_path):
    out, state = tmp_path / "s.json", tmp_path / "st.json"
    args = [sys.executable, str(ROOT / "benchmarks" / "exhaustive_fp32.py"), "sqrt",
            "--range", "0x3f800000:0x3f840000", "--chunk", "8192", "--jobs", "1",
            "--out", str(out), "--resume", str(state)]
    p = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not state.exists() and time.monotonic() < deadline:    # the first chunk is done
        time.sleep(0.02)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert f"--resume {state}" in err
    st = json.loads(state.read_text())
    done = int(st["next"], 16) - 0x3f800000
    assert 0 < done < 1 << 18 and done % 8192 == 0 and st["mismatches"] == 0
    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    s = json.loads(out.read_text())
    assert (s["inputs"], s["mismatches"], s["resumed_at"]) == (1 << 18, 0, st["next"])


def test_campaign_refuses_another_campaigns_state(tmp_path):
    state = tmp_path / "st.json"
    st = campaign.State("fp32.sqrt", "rne", "x", 0, 16, 8, 0, [], 1.0)
    state.write_text(json.dumps(st.to_json()))
    r = _script("exhaustive_fp32", "sqrt", "--range", "0:32", "--resume", str(state), "--out",
                str(tmp_path / "s.json"))
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        f"exhaustive_fp32.py: error: state {state} is for fp32.sqrt rne [0x0, 0x10), not fp32.sqrt rne [0x0, 0x20)")


@pytest.mark.parametrize("args, message", [
    (["nosuch"], "unknown operation 'nosuch'"),
    (["add"], "fp32.add takes 2 operands"),
    (["sqrt", "--range", "5:3"], "--range '5:3': need 0 <= START < END <= 0x100000000"),
    (["sqrt", "--range", "12"], "--range '12': expected START:END"),
])
def test_campaign_errors_are_one_line(args, message):
    r = _script("exhaustive_fp32", *args)
    assert r.returncode == 2
    assert message in r.stderr.strip().splitlines()[-1]


def test_mismatches_counts_result_or_flags():
    a = np.array([10, 11, 12, 13], np.uint64)
    ey, ef = np.array([1, 2, 3, 4], np.uint64), np.array([0, 1, 0, 1], np.uint64)
    gy, gf = np.array([1, 2, 9, 4], np.uint64), np.array([0, 0, 0, 1], np.uint64)
    assert campaign.mismatches(a, gy, gf, ey, ef, keep=1, hexw=8) == \
        (2, [{"a": "0000000b", "expected": ["2", "01"], "got": ["2", "00"]}])
    assert campaign.mismatches(a, gy, gf, ey, ef, keep=0, hexw=8) == (2, [])


def test_write_json_is_atomic_and_whole(tmp_path):
    p = tmp_path / "d" / "x.json"
    campaign.write_json(p, {"a": 1})
    campaign.write_json(p, {"a": 2})
    assert json.loads(p.read_text()) == {"a": 2} and sorted(x.name for x in p.parent.iterdir()) == ["x.json"]


# -- functions.py ----------------------------------------------------------------------------

def test_ulp_error_definition():
    f = get_format("fp16")
    one = gmpy2.mpfr(1)
    with gmpy2.context(precision=100):
        assert functions.ulp_error(f, one + gmpy2.mpfr(2) ** -12, 0x3c00, 0x3c00) == 0.25
        # below 1 the binade of v is [1/2, 1): ulp 2^-11, though y = 1.0 sits in the next binade
        assert functions.ulp_error(f, one - gmpy2.mpfr(2) ** -13, 0x3c00, 0x3c00) == 0.25
        # below the normal range: the subnormal spacing 2^-24
        assert functions.ulp_error(f, gmpy2.mpfr(2) ** -30, 0x0000, 0x0000) == 1 / 64
        assert functions.ulp_error(f, gmpy2.mpfr(0), 0x0001, 0x0000) == 1.0
        # overflow: right or wrong by the bits alone
        assert functions.ulp_error(f, gmpy2.mpfr(1e6), 0x7c00, 0x7c00) == 0.0
        assert functions.ulp_error(f, gmpy2.mpfr(1e6), 0x7bff, 0x7c00) == math.inf
        # an infinite or undefined exact value (log 0, log -1)
        assert functions.ulp_error(f, None, 0x7e00, 0x7e00) == 0.0
        assert functions.ulp_error(f, None, 0x0000, 0x7e00) == math.inf


def test_functions_bench_fp8_recip_every_input_and_mode():
    r = _script("functions", "--functions", "recip", "--formats", "fp8e4m3", "--json", "--jobs", "1")
    assert r.returncode == 0, r.stderr
    row = json.loads(r.stdout)
    assert (row["unit"], row["modes"], row["inputs"], row["exhaustive"], row["correct"], row["flag_errors"]) == \
        ("fp8e4m3.recip", "all", 256, True, 1.0, 0)
    assert 0 < row["max_ulp_rne"] <= 0.5 and row["max_ulp_rne"] <= row["max_ulp"] < 1
    assert "functions built on this branch:" in r.stderr


@pytest.mark.parametrize("fn, message", [
    ("foo", "functions.py: error: unknown function 'foo'; the elementary functions: "
            "exp exp2 log log2 rsqrt recip tanh sigmoid silu gelu"),
    ("sqrt", "functions.py: error: unknown function 'sqrt'"),
])
def test_functions_bench_unknown_function_is_one_line(fn, message):
    r = _script("functions", "--functions", fn)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1].startswith(message)


def test_functions_alternatives_lists_every_architecture_choice():
    r = _script("functions", "--alternatives", "--functions", "log2", "rsqrt", "--formats", "fp16", "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [(x["unit"], x["param"], x["value"]) for x in rows] == \
        [("fp16.log2", "arch", a) for a in ("quadratic", "restoring", "select")] + \
        [("fp16.rsqrt", "arch", a) for a in ("restoring", "select")]
    import spikefp
    assert rows[0]["neurons"] == spikefp.unit("fp16.log2").stats()["neurons"]     # the default's size
    assert len({x["neurons"] for x in rows[:3]}) == 3                              # three circuits
