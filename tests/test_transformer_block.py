"""benchmarks/transformer_block.py: a small block runs bit-exact against its float emulation, and its figures add up."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    spec = importlib.util.spec_from_file_location("transformer_block", ROOT / "benchmarks" / "transformer_block.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_small_block_bit_exact(capsys):
    assert _bench().main(["--d", "4", "--tokens", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mismatches"] == 0 and out["outputs"] == 8
    units = {r["unit"]: r["per_token"] for r in out["units"]}
    # d = 4, T = 2: q/k/v/o 4x4 and the MLP 4->16->4, sequential with bias: (in mul + in add + 1 add) per output
    linear_muls = 4 * (4 * 4) + 16 * 4 + 4 * 16
    attention_muls = 2 * 4 + 4 * 2           # q.k: 2 keys x d=4 terms; a.v: 4 outputs x 2 tokens
    gains, scale = 4 + 4, 2                  # g1 and g2 (d each); the 1/sqrt(d) scale of 2 scores
    assert units["fp32.mul"] == linear_muls + attention_muls + gains + scale
    assert units["fp32.gelu"] == 16 and units["fp64.exp"] == 2
    assert out["nexus_same_ops_neurons_per_token"] > out["ours_same_ops_neurons_per_token"] > 0


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        _bench().main(["--d", "0"])
    assert e.value.code == 2
    assert "must be positive" in capsys.readouterr().err
