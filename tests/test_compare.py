"""Comparisons, min/max and classify: references, exact engine and CLI."""

import itertools
import subprocess
import sys
import os

import ml_dtypes
import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import FLAG_NV, get_format
from spikefp.generators.registry import OPERATIONS
from spikefp.verify import check, mpfr_ref, reference, vectors

ORDER = ["eq", "lt", "le", "min", "max", "classify"]
NUMPY = {"fp16": np.float16, "fp32": np.float32, "fp64": np.float64, "bf16": ml_dtypes.bfloat16,
         "fp8e4m3": ml_dtypes.float8_e4m3fn, "fp8e5m2": ml_dtypes.float8_e5m2}
UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


def _cases(f, arity, n=None):
    if n is None:
        return list(itertools.product(range(1 << f.width), repeat=arity))
    u = spikefp.unit(f"{f.name}.{'lt' if arity == 2 else 'classify'}")
    v = vectors.for_unit(u, n, seed=11)
    return list(zip(*(v[k].tolist() for k in u.operands)))


@pytest.mark.parametrize("fmt, n", [("fp8e4m3", None), ("fp8e5m2", None), ("bf16", 3000), ("fp64", 3000)])
def test_the_two_references_agree(fmt, n):
    f = get_format(fmt)
    for op in ORDER:
        arity, ours = OPERATIONS[op].arity, reference.OPS[op]
        theirs = mpfr_ref.OPS[op]
        bad = [c for c in _cases(f, arity, n) if ours(f, *c) != theirs(f, *c)]
        assert not bad, (op, [hex(x) for x in bad[0]], ours(f, *bad[0]), theirs(f, *bad[0]))


@pytest.mark.parametrize("fmt", list(NUMPY))
def test_comparisons_agree_with_numpy(fmt):
    """numpy / ml_dtypes compare as IEEE does (quiet ==, ordered < and <=)."""
    f = get_format(fmt)
    pairs = _cases(f, 2, None if f.width == 8 else 4000)
    a, b = (np.array(c, dtype=UINT[f.width]).view(NUMPY[fmt]) for c in zip(*pairs))
    for op, fn in (("eq", np.equal), ("lt", np.less), ("le", np.less_equal)):
        ours = np.array([reference.OPS[op](f, x, y)[0] for x, y in pairs])
        with np.errstate(invalid="ignore"):
            assert np.array_equal(ours, fn(a, b).astype(int)), op


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
@pytest.mark.parametrize("op", ORDER)
def test_units_are_exact_exhaustively_on_8_bit_formats(fmt, op):
    u = spikefp.unit(f"{fmt}.{op}")
    r = check.check(u, vectors.exhaustive_for(u))
    assert (r.vectors, r.mismatches) == (256 ** u.arity, 0), str(r)


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp32", "fp64", "e6m9"])
@pytest.mark.parametrize("op", ORDER)
def test_units_are_exact_on_wider_formats(fmt, op):
    u = spikefp.unit(f"{fmt}.{op}")
    r = check.check(u, vectors.for_unit(u, 3000, seed=5))
    assert r.mismatches == 0 and r.vectors > 3000, str(r)


def test_riscv_corner_cases_by_hand():
    """Independent of both references: RISC-V's documented results, written out."""
    f = get_format("fp32")
    pz, nz, one, qnan, snan, ninf = 0x0, 0x80000000, 0x3F800000, 0x7FC00000, 0x7F800001, 0xFF800000
    ev = {op: spikefp.unit(f"fp32.{op}").netlist.evaluate for op in ORDER}
    assert ev["eq"](a=pz, b=nz) == {"y": 1, "flags": 0}
    assert ev["eq"](a=qnan, b=qnan) == {"y": 0, "flags": 0}
    assert ev["eq"](a=snan, b=one) == {"y": 0, "flags": FLAG_NV}
    assert ev["lt"](a=qnan, b=one) == {"y": 0, "flags": FLAG_NV}
    assert ev["le"](a=nz, b=pz) == {"y": 1, "flags": 0} and ev["lt"](a=nz, b=pz)["y"] == 0
    assert ev["min"](a=pz, b=nz) == {"y": nz, "flags": 0} and ev["max"](a=nz, b=pz) == {"y": pz, "flags": 0}
    assert ev["min"](a=qnan, b=one) == {"y": one, "flags": 0}
    assert ev["max"](a=snan, b=one) == {"y": one, "flags": FLAG_NV}
    assert ev["min"](a=snan, b=qnan | 0x80000000) == {"y": f.canonical_nan, "flags": FLAG_NV}
    assert [ev["classify"](a=x)["y"] for x in (ninf, nz, pz, 1, one, snan, qnan)] == \
        [1 << 0, 1 << 3, 1 << 4, 1 << 5, 1 << 6, 1 << 8, 1 << 9]
    e4m3 = spikefp.unit("fp8e4m3.classify").netlist.evaluate
    assert e4m3(a=0x7F)["y"] == 1 << 9 and e4m3(a=0x7E)["y"] == 1 << 6      # 448 is normal, no inf


def test_comparison_units_are_tiny():
    for op, limit in (("eq", 25), ("lt", 25), ("le", 25), ("classify", 20), ("min", 130), ("max", 130)):
        s = spikefp.unit(f"fp32.{op}").stats()
        assert s["neurons"] <= limit and s["depth"] <= 8, (op, s)


def test_cli_eval_prints_result_widths_of_the_operation():
    exe = os.path.join(os.path.dirname(sys.executable), "spikefp")
    r = subprocess.run([exe, "eval", "fp16.lt"], input="3C00 4000\n7E00 3C00\n", capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "3C00 4000 1 00\n7E00 3C00 0 10\n"
    r = subprocess.run([exe, "eval", "fp16.classify"], input="FC00\n", capture_output=True, text=True)
    assert r.stdout == "FC00 001 00\n"
    r = subprocess.run([exe, "eval", "fp16.lt", "--dynamic"], input="3C00 4000\n", capture_output=True, text=True)
    assert r.returncode == 2 and "never rounds" in r.stderr and r.stdout == ""
