"""Division and square root: references, exact engine, architectures, corner cases, CLI."""

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

import spikefp
from spikefp.generators.fpdivsqrt import ARCHS, SQRT_ARCHS
from spikefp.generators.fpformat import FLAG_DZ, FLAG_NV, FLAG_NX, FLAG_UF, get_format
from spikefp.verify import check, mpfr_ref, reference, vectors

MODES = ["rne", "rtz", "rdn", "rup", "rmm"]
NUMPY = {"fp16": (np.float16, np.uint16), "fp32": (np.float32, np.uint32), "fp64": (np.float64, np.uint64)}


def _cases(name, n):
    u = spikefp.unit(name)
    v = vectors.exhaustive_for(u) if u.operand_bits * u.arity <= 16 else vectors.for_unit(u, n, seed=21)
    return list(zip(*(v[k].tolist() for k in u.operands)))


@pytest.mark.parametrize("name, n, modes", [
    ("fp8e4m3.div", None, MODES), ("fp8e5m2.div", None, ["rne", "rdn"]),
    ("fp8e4m3.sqrt", None, MODES), ("fp8e5m2.sqrt", None, MODES), ("fp16.sqrt", None, ["rne"]),
    ("fp16.div", 2000, MODES), ("bf16.div", 2000, MODES), ("fp32.div", 2000, MODES),
    ("fp64.div", 2000, MODES), ("bf16.sqrt", None, ["rup"]), ("fp32.sqrt", 2000, MODES),
    ("fp64.sqrt", 2000, MODES), ("e6m9.div", 1000, MODES)])
def test_the_two_references_agree(name, n, modes):
    """Ours (integer long division and isqrt) against MPFR's correctly rounded div and sqrt."""
    fmt, op = name.split(".")
    f = get_format(fmt)
    ours, theirs = reference.OPS[op], mpfr_ref.OPS[op]
    for sat in ((False, True) if fmt == "fp8e4m3" else (False,)):
        for rm in modes:
            bad = [c for c in _cases(name, n) if ours(f, *c, rm, sat) != theirs(f, *c, rm, sat)]
            assert not bad, (rm, [hex(x) for x in bad[0]], ours(f, *bad[0], rm, sat), theirs(f, *bad[0], rm, sat))


@pytest.mark.parametrize("fmt", list(NUMPY))
def test_results_agree_with_numpy(fmt):
    """numpy's IEEE division and sqrt (round to nearest even) give the same values; a third
    implementation, independent of both references. NaN payloads are not compared."""
    f = get_format(fmt)
    ftype, utype = NUMPY[fmt]
    for op, fn in (("div", np.divide), ("sqrt", np.sqrt)):
        cols = list(zip(*_cases(f"{fmt}.{op}", 4000)))
        xs = [np.array(c, dtype=utype).view(ftype) for c in cols]
        with np.errstate(all="ignore"):
            theirs = fn(*xs).view(utype)
        ours = np.array([reference.OPS[op](f, *map(int, c), "rne")[0] for c in zip(*cols)], dtype=utype)
        nan = np.isnan(theirs.view(ftype))
        assert np.array_equal(np.isnan(ours.view(ftype)), nan), op
        assert np.array_equal(ours[~nan], theirs[~nan]), op


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
@pytest.mark.parametrize("arch", ARCHS)
def test_division_is_exact_on_every_pair(fmt, arch):
    for dyn in (False, True):
        u = spikefp.unit(f"{fmt}.div", dynamic=dyn, arch=arch)
        v = vectors.exhaustive_for(u)
        rm = np.arange(len(v["a"]), dtype=np.uint64) % np.uint64(8) if dyn else None
        r = check.check(u, v, rm)
        assert (r.vectors, r.mismatches) == (65536, 0), str(r)


def test_saturating_e4m3_division():
    u = spikefp.unit("fp8e4m3.div", saturate=True, dynamic=True)
    v = vectors.exhaustive_for(u)
    r = check.check(u, v, np.arange(65536, dtype=np.uint64) % np.uint64(8))
    assert r.mismatches == 0, str(r)


@pytest.mark.parametrize("name", ["fp8e4m3.sqrt", "fp8e5m2.sqrt", "fp16.sqrt", "bf16.sqrt"])
@pytest.mark.parametrize("arch", SQRT_ARCHS)
def test_square_root_is_exact_on_every_value(name, arch):
    u = spikefp.unit(name, dynamic=True, arch=arch)
    v = {"a": np.tile(vectors.exhaustive_for(u)["a"], 8)}
    rm = np.repeat(np.arange(8, dtype=np.uint64), len(v["a"]) // 8)      # every value, every rm code
    r = check.check(u, v, rm)
    assert r.mismatches == 0 and r.vectors == 8 << u.operand_bits, str(r)


@pytest.mark.parametrize("name, arch", [("fp16.div", "restoring"), ("bf16.div", "srt"), ("fp32.div", "restoring"),
                                        ("fp32.div", "select"), ("fp32.div", "srt"), ("fp64.div", "restoring"),
                                        ("fp32.sqrt", "restoring"), ("fp32.sqrt", "select"), ("fp64.sqrt", "restoring"),
                                        ("e6m9.div", "restoring"), ("e6m9.sqrt", "restoring")])
def test_wide_formats_are_exact(name, arch):
    u = spikefp.unit(name, dynamic=True, arch=arch)
    v = vectors.for_unit(u, 3000, seed=17)
    r = check.check(u, v, np.arange(len(v["a"]), dtype=np.uint64) % np.uint64(8))
    assert r.mismatches == 0 and r.vectors > 3000, str(r)


def test_ieee_corner_cases_by_hand():
    """IEEE 754 section 7 and the cases NEXUS gets wrong (sqrt(-0), sqrt(-inf), subnormals)."""
    div = spikefp.unit("fp32.div").netlist.evaluate
    sqrt = spikefp.unit("fp32.sqrt").netlist.evaluate
    one, two, pz, nz, inf, ninf, qnan = 0x3F800000, 0x40000000, 0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000
    assert div(a=one, b=pz) == {"y": inf, "flags": FLAG_DZ}
    assert div(a=one, b=nz) == {"y": ninf, "flags": FLAG_DZ}
    assert div(a=pz, b=pz) == {"y": qnan, "flags": FLAG_NV}
    assert div(a=inf, b=ninf) == {"y": qnan, "flags": FLAG_NV}
    assert div(a=inf, b=pz) == {"y": inf, "flags": 0}                   # no DZ for an infinite dividend
    assert div(a=ninf, b=two) == {"y": ninf, "flags": 0}
    assert div(a=one, b=ninf) == {"y": nz, "flags": 0}
    assert div(a=0x7F800001, b=one) == {"y": qnan, "flags": FLAG_NV}       # signaling NaN
    assert div(a=one, b=0x40400000) == {"y": 0x3EAAAAAB, "flags": FLAG_NX}   # 1/3 rounds up
    assert div(a=1, b=two) == {"y": 0, "flags": FLAG_NX | FLAG_UF}          # half the smallest subnormal: tie to 0
    assert div(a=3, b=two) == {"y": 2, "flags": FLAG_NX | FLAG_UF}          # 1.5 ulp: tie to even 2
    assert div(a=1, b=0x3F000000) == {"y": 2, "flags": 0}                  # subnormal / 0.5: exact
    assert sqrt(a=nz) == {"y": nz, "flags": 0}
    assert sqrt(a=ninf) == {"y": qnan, "flags": FLAG_NV}
    assert sqrt(a=inf) == {"y": inf, "flags": 0}
    assert sqrt(a=0xBF800000) == {"y": qnan, "flags": FLAG_NV}
    assert sqrt(a=0x40800000) == {"y": two, "flags": 0}
    assert sqrt(a=two) == {"y": 0x3FB504F3, "flags": FLAG_NX}                # sqrt(2) = 1.41421353...
    assert sqrt(a=1) == {"y": 0x1A3504F3, "flags": FLAG_NX}                  # sqrt(2^-149) = 2^-74.5
    assert sqrt(a=2) == {"y": 0x1A800000, "flags": 0}                        # sqrt(2^-148) = 2^-74
    e4 = spikefp.unit("fp8e4m3.div").netlist.evaluate
    assert e4(a=0x38, b=0x00) == {"y": 0x7F, "flags": FLAG_DZ}              # no infinity in E4M3: NaN
    e4s = spikefp.unit("fp8e4m3.div", saturate=True).netlist.evaluate
    assert e4s(a=0xB8, b=0x00) == {"y": 0xFE, "flags": FLAG_DZ}             # -1/0 saturates to -448


def test_fp32_sizes_are_within_a_fifth_of_nexus():
    """NEXUS (ANCHORS.md): fp32 div 25,987 neurons depth 2,797; sqrt 23,582 / 2,715."""
    d, s = spikefp.unit("fp32.div").stats(), spikefp.unit("fp32.sqrt").stats()
    assert d["neurons"] <= 5197 and d["depth"] <= 419, d
    assert s["neurons"] <= 4716 and s["depth"] <= 407, s


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="arch"):
        spikefp.unit("fp32.div", arch="newton")
    with pytest.raises(ValueError, match="arch"):
        spikefp.unit("fp32.sqrt", arch="srt")
    with pytest.raises(ValueError, match="saturate"):
        spikefp.unit("fp32.sqrt", saturate=True)


def test_cli_eval_and_stats():
    exe = os.path.join(os.path.dirname(sys.executable), "spikefp")
    r = subprocess.run([exe, "eval", "fp16.div"], input="3C00 0000\n3C00 4200\n", capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "3C00 0000 7C00 08\n3C00 4200 3555 01\n", r.stderr
    r = subprocess.run([exe, "eval", "fp16.sqrt", "--rm", "rup"], input="4000\n8000\n", capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "4000 3DA9 01\n8000 8000 00\n", r.stderr
    r = subprocess.run([exe, "eval", "fp16.div"], input="3C00 4000\n3C00\n", capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == "" and "takes 2 operands" in r.stderr
    r = subprocess.run([exe, "stats", "fp16.div", "--param", "arch=srt", "--json"], capture_output=True, text=True)
    assert r.returncode == 0 and '"neurons"' in r.stdout, r.stderr
