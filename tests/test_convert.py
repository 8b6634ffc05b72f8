"""Conversions float <-> float and float <-> integer: references, exact engine and CLI."""

import os
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import FLAG_NV, FLAG_NX, FLAG_OF, get_format, get_int_format
from spikefp.generators.units import format_by_name
from spikefp.verify import check, mpfr_ref, reference, vectors

FLOATS = ["fp8e4m3", "fp8e5m2", "fp16", "bf16", "fp32", "fp64"]
INTS = ["i32", "u32", "i64", "u64"]
MODES = ["rne", "rtz", "rdn", "rup", "rmm"]
NUMPY = {"fp16": np.float16, "fp32": np.float32, "fp64": np.float64, "bf16": ml_dtypes.bfloat16,
         "fp8e4m3": ml_dtypes.float8_e4m3fn, "fp8e5m2": ml_dtypes.float8_e5m2}
UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}


def _operands(name, n, every_bits=8):
    """Every source value up to ``every_bits`` wide, else specials, boundaries and ``n`` more."""
    u = spikefp.unit(name)
    v = vectors.exhaustive_for(u) if u.operand_bits <= every_bits else vectors.for_unit(u, n, seed=7)
    return [int(x) for x in v["a"]]


PAIRS = [(s, d) for s in FLOATS for d in FLOATS + INTS if s != d] + [(s, d) for s in INTS for d in FLOATS]


@pytest.mark.parametrize("src, dst", PAIRS)
def test_the_two_references_agree(src, dst):
    """Ours (integer arithmetic) against MPFR, all modes: every value of 8-bit sources
    (16-bit sources exhaustively in tests/test_fpu_campaign.py)."""
    s, d = format_by_name(src), format_by_name(dst)
    ops = _operands(f"{src}.to_{dst}", 400)
    for rm in MODES:
        bad = [a for a in ops if reference.convert(s, a, rm, target=d) != mpfr_ref.convert(s, a, rm, target=d)]
        assert not bad, (rm, hex(bad[0]), reference.convert(s, bad[0], rm, target=d),
                         mpfr_ref.convert(s, bad[0], rm, target=d))


# ml_dtypes casts float64 to its types through float32: two roundings (2^-10 * (1 + 2^-32)
# becomes the tie 2^-10, then E4M3's 0 instead of its smallest subnormal 2^-9), so those
# three casts are not a reference.
NUMPY_CASTS = [(s, d) for s in FLOATS for d in FLOATS
               if s != d and not (s == "fp64" and d in ("bf16", "fp8e4m3", "fp8e5m2"))]


@pytest.mark.parametrize("src, dst", NUMPY_CASTS)
def test_float_conversions_agree_with_numpy_casts(src, dst):
    """numpy / ml_dtypes cast with round-to-nearest-even; E4M3 (no infinity) casts overflow
    and infinity to NaN, as our non-saturating mode does. NaN payloads are not compared."""
    s, d = get_format(src), get_format(dst)
    ops = _operands(f"{src}.to_{dst}", 4000, every_bits=16)
    x = np.array(ops, dtype=UINT[s.width]).view(NUMPY[src])
    with np.errstate(over="ignore", invalid="ignore"):
        theirs = x.astype(NUMPY[dst])
    ours = np.array([reference.convert(s, a, "rne", target=d)[0] for a in ops], dtype=UINT[d.width]).view(NUMPY[dst])
    with np.errstate(invalid="ignore"):
        nan = np.isnan(theirs.astype(np.float64))
        assert np.array_equal(np.isnan(ours.astype(np.float64)), nan)
    assert np.array_equal(ours[~nan].view(UINT[d.width]), theirs[~nan].view(UINT[d.width]))


FROM_8_BITS = [f"{s}.to_{d}" for s in ("fp8e4m3", "fp8e5m2") for d in FLOATS[2:] + INTS]


@pytest.mark.parametrize("name, dynamic", [(n, False) for n in FROM_8_BITS] +
                         [(n, True) for n in FROM_8_BITS if spikefp.unit(n).rounds])
def test_units_from_8_bit_formats_are_exact_on_every_value(name, dynamic):
    u = spikefp.unit(name, dynamic=dynamic)
    r = check.check(u, vectors.exhaustive_for(u))
    assert r.mismatches == 0 and r.vectors >= 256, str(r)


@pytest.mark.parametrize("name", ["fp16.to_fp8e4m3", "bf16.to_fp16", "fp16.to_i32", "bf16.to_u64",
                                  "fp8e4m3.to_fp8e5m2", "fp8e5m2.to_fp8e4m3"])
def test_16_bit_sources_are_exact_on_every_value_in_every_mode(name):
    u = spikefp.unit(name, dynamic=True)
    r = check.check(u, vectors.exhaustive_for(u))
    assert r.mismatches == 0, str(r)


@pytest.mark.parametrize("name", ["fp32.to_fp16", "fp64.to_fp32", "fp64.to_bf16", "fp32.to_fp8e4m3",
                                  "fp64.to_i64", "fp32.to_u32", "i32.to_fp32", "u64.to_fp64",
                                  "i64.to_fp16", "u32.to_fp8e5m2", "fp16.to_fp64", "i32.to_fp64"])
def test_wide_conversions_are_exact(name):
    u = spikefp.unit(name, dynamic=spikefp.unit(name).rounds)
    r = check.check(u, vectors.for_unit(u, 3000, seed=13))
    assert r.mismatches == 0 and r.vectors > 3000, str(r)


def test_saturating_e4m3_takes_infinity_to_the_largest_finite():
    f32, e4 = get_format("fp32"), get_format("fp8e4m3")
    for sat, want in ((False, (e4.canonical_nan, FLAG_NV)), (True, (0xFE, FLAG_NV))):
        u = spikefp.unit("fp32.to_fp8e4m3", saturate=sat)
        assert u.netlist.evaluate(a=0xFF800000) == {"y": want[0], "flags": want[1]}
        assert reference.convert(f32, 0xFF800000, "rne", target=e4, saturate=sat) == want
    # 480 is past 448 + half an ulp: overflow, and with saturate the largest finite
    assert spikefp.unit("fp32.to_fp8e4m3", saturate=True).netlist.evaluate(a=0x43F00000) == \
        {"y": 0x7E, "flags": FLAG_OF | FLAG_NX}


def test_riscv_fcvt_corner_cases_by_hand():
    """RISC-V unprivileged spec, table 'fcvt.w.s': out of range and NaN, written out."""
    ev = {n: spikefp.unit(f"fp32.to_{n}", dynamic=True).netlist.evaluate for n in ("i32", "u32", "i64")}
    rne, rtz, rdn, rup = 0, 1, 2, 3
    nan, inf, ninf = 0x7FC00000, 0x7F800000, 0xFF800000
    assert ev["i32"](a=nan, rm=rne) == {"y": 0x7FFFFFFF, "flags": FLAG_NV}
    assert ev["i32"](a=ninf, rm=rne) == {"y": 0x80000000, "flags": FLAG_NV}
    assert ev["u32"](a=inf, rm=rne) == {"y": 0xFFFFFFFF, "flags": FLAG_NV}
    assert ev["u32"](a=0xBF800000, rm=rne) == {"y": 0, "flags": FLAG_NV}            # -1.0
    assert ev["u32"](a=0xBE800000, rm=rne) == {"y": 0, "flags": FLAG_NX}            # -0.25 rounds to 0
    assert ev["i32"](a=0xCF000000, rm=rtz) == {"y": 0x80000000, "flags": 0}         # -2^31 fits
    assert ev["i32"](a=0x4F000000, rm=rtz) == {"y": 0x7FFFFFFF, "flags": FLAG_NV}   # 2^31 does not
    assert ev["i32"](a=0xBFC00000, rm=rdn) == {"y": 0xFFFFFFFE, "flags": FLAG_NX}   # -1.5 -> -2
    assert ev["i32"](a=0x3FC00000, rm=rup) == {"y": 2, "flags": FLAG_NX}
    assert ev["i64"](a=0x5F000000, rm=rne) == {"y": 0x7FFFFFFFFFFFFFFF, "flags": FLAG_NV}  # 2^63
    i2f = spikefp.unit("i32.to_fp32").netlist.evaluate
    assert i2f(a=0x80000000) == {"y": 0xCF000000, "flags": 0}
    assert i2f(a=0x7FFFFFFF) == {"y": 0x4F000000, "flags": FLAG_NX}
    assert i2f(a=0) == {"y": 0, "flags": 0}


def test_int_formats_are_known_and_bad_names_are_refused():
    assert get_int_format("u64").max == 2 ** 64 - 1 and get_int_format("i32").min == -2 ** 31
    for bad, msg in (("fp32.to_i33", "i33"), ("fp32.to_fp33", "fp33"), ("i32.add", "conversions"),
                     ("i32.to_i64", "i64")):
        with pytest.raises(ValueError, match=msg):
            spikefp.unit(bad)


def test_cli_eval_takes_integer_hex_and_lists_conversions():
    exe = os.path.join(os.path.dirname(sys.executable), "spikefp")
    r = subprocess.run([exe, "eval", "fp32.to_i32", "--rm", "rtz"], input="C0200000\n7FC00000\n",
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "C0200000 FFFFFFFE 01\n7FC00000 7FFFFFFF 10\n", r.stderr
    r = subprocess.run([exe, "eval", "i64.to_fp16"], input="FFFFFFFFFFFFFFFF\n", capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "FFFFFFFFFFFFFFFF BC00 00\n", r.stderr
    r = subprocess.run([exe, "eval", "fp16.to_fp32", "--rm", "rtz"], input="3C00\n", capture_output=True, text=True)
    assert r.returncode == 2 and "never rounds" in r.stderr and r.stdout == ""
    r = subprocess.run([exe, "eval", "fp16.to_i32"], input="13C00\n", capture_output=True, text=True)
    assert r.returncode == 2 and "wider than fp16" in r.stderr and r.stdout == ""
    r = subprocess.run([exe, "eval", "i32.to_fp16"], input="1FFFFFFFF\n", capture_output=True, text=True)
    assert r.returncode == 2 and "wider than i32" in r.stderr and r.stdout == ""
    r = subprocess.run([exe, "list"], capture_output=True, text=True)
    assert "to_" in r.stdout


def test_gen_writes_verilog_and_a_manifest_for_integer_sources(tmp_path):
    import json
    exe = os.path.join(os.path.dirname(sys.executable), "spikefp")
    r = subprocess.run([exe, "gen", "i32.to_fp16", "--dynamic", "-o", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    man = json.loads((tmp_path / "i32_to_fp16_dyn.json").read_text())
    assert man["format"] == {"name": "i32", "integer_bits": 32, "signed": True}
    assert man["target"] == {"name": "fp16", "exponent_bits": 5, "fraction_bits": 10}
    assert [(p["name"], p["width"]) for p in man["ports"]] == [("a", 32), ("rm", 3), ("y", 16), ("flags", 5)]
    assert "module i32_to_fp16_dyn" in (tmp_path / "i32_to_fp16_dyn.v").read_text()
