"""The command line, run as a user would run it (a subprocess through the console script)."""

import json
import os
import subprocess
import sys

import pytest

from spikefp.generators import BLOCKS

SPIKEFP = [os.path.join(os.path.dirname(sys.executable), "spikefp")]


def run(*args):
    return subprocess.run(SPIKEFP + list(args), capture_output=True, text=True, timeout=300)


def test_demo_prints_counts_table_and_passes():
    r = run("demo", "--vectors", "2000")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "full adder 2 neurons, XOR 2, MUX 2; ripple adder 2 neurons/bit" in out
    mul = BLOCKS["mul"].build(24).stats()
    assert f"24x24 multiplier: {mul['neurons']} neurons, depth {mul['depth']}" in out
    la = BLOCKS["add"].build(24, "loihi").stats()
    assert f"24-bit lookahead adder on the loihi profile: depth {la['depth']}" in out
    assert "all checks passed" in out and "WRONG" not in out


def test_block_json_stats_match_the_library():
    r = run("block", "mul", "--width", "24", "--profile", "loihi", "--param", "counter=parallel", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == BLOCKS["mul"].build(24, "loihi", counter="parallel").stats()


@pytest.mark.parametrize("args, message", [
    (("block", "div", "--width", "8"), "unknown block 'div'; blocks: add, sub"),
    (("block", "add", "--width", "99"), "add: width 99 is out of range 1..64"),
    (("block", "add", "--width", "8", "--profile", "tpu"), "unknown gate profile 'tpu'"),
    (("block", "add", "--width", "8", "--param", "arch"), "--param expects NAME=VALUE, got 'arch'"),
    (("block", "add", "--width", "8", "--param", "arch=fast"), "add: arch='fast' is not one of"),
])
def test_bad_input_gives_clear_error_and_nonzero_exit(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert r.stdout == ""


def test_listings():
    r = run("blocks")
    assert r.returncode == 0 and all(name in r.stdout for name in BLOCKS)
    r = run("profiles")
    assert r.returncode == 0 and "loihi" in r.stdout and "default" in r.stdout
