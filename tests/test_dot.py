"""The fused dot product ``<format>.dot``: c + sum(a_i b_i) rounded once, bit-exact (results and flags).

The default tests cover every pair of product exponents of both 8-bit formats (n = 2, all five
modes and the dynamic unit), fp16 with n = 4 on heavily cancelling vectors, special values, the
command line's operand order and one cocotb run on Icarus; the ``slow`` campaign runs 10^6
fp16 vectors per mode and cross-checks the two references on 10^5 vectors per format and mode.
"""

import subprocess
import sys

import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import ROUNDING_MODES, get_format
from spikefp.generators.registry import OPERATIONS
from spikefp.verify import check, fastref, mpfr_ref, reference, rtl_sim, vectors


def _check(u, v, **kw):
    r = check.check(u, v, jobs=1, **kw)
    assert r.mismatches == 0, str(r)
    return r


def test_operands_follow_n():
    u = spikefp.unit("fp16.dot", n=3)
    assert u.operands == ["a0", "a1", "a2", "b0", "b1", "b2", "c"] and u.arity == 7
    assert spikefp.unit("fp16.dot").operands == [f"a{i}" for i in range(4)] + [f"b{i}" for i in range(4)] + ["c"]
    assert set(u.netlist.inputs) == set(u.operands) and u.module_name == "fp16_dot_rne_n3"
    assert OPERATIONS["dot"].describe()["arity"] == "2n+1" and OPERATIONS["fma"].operands_for() == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"^fp16.dot: n=0 is not one of 1..256$"):
        spikefp.unit("fp16.dot", n=0)
    with pytest.raises(ValueError, match=r"takes 5 operands, got 4"):
        reference.dot(get_format("fp16"), 1, 2, 3, 4, "rne", n=2)


@pytest.mark.parametrize("fmt,per_pair", [("fp8e4m3", 16), ("fp8e5m2", 4)])
def test_every_pair_of_product_exponents(fmt, per_pair):
    """Every (exp(a0) + exp(b0), exp(a1) + exp(b1)), five static modes and the dynamic unit."""
    f = get_format(fmt)
    v = vectors.dot_exponent_pairs(f, per_pair, seed=7)
    top = 2 * (f.exp_ones - f.ieee)
    assert len(v["c"]) == per_pair * (top + 1) ** 2
    for rm in ROUNDING_MODES:
        _check(spikefp.unit(f"{fmt}.dot", n=2, rm=rm), v)
    u = spikefp.unit(f"{fmt}.dot", n=2, dynamic=True)
    _check(u, v, rm_codes=np.arange(len(v["c"]), dtype=np.uint64) % np.uint64(8))


def test_e4m3_saturate():
    u = spikefp.unit("fp8e4m3.dot", n=2, saturate=True)
    v = vectors.dot_exponent_pairs(u.fmt, 1, seed=8)
    _check(u, v)
    # 448 * 448 + 448 * 448 overflows: NaN by default, the largest finite with saturate
    big = dict(a0=0x7E, a1=0x7E, b0=0x7E, b1=0x7E, c=0)
    assert u.netlist.evaluate(**big) == {"y": 0x7E, "flags": 0x05}
    assert spikefp.unit("fp8e4m3.dot", n=2).netlist.evaluate(**big) == {"y": 0x7F, "flags": 0x05}


@pytest.mark.parametrize("rm", ROUNDING_MODES)
def test_fp16_heavy_cancellation(rm):
    u = spikefp.unit("fp16.dot", rm=rm)
    v = vectors.dot_boundary(u.fmt, 4, 4000, seed=ROUNDING_MODES.index(rm))
    _check(u, v)


def test_fp16_for_unit_mix_and_other_n():
    for n in (1, 3):
        u = spikefp.unit("fp16.dot", n=n, rm="rdn")
        v = vectors.for_unit(u, 1500, seed=n)
        assert len(v["c"]) == 16 ** 3 + 1500
        _check(u, v)


@pytest.mark.parametrize("fmt,n", [("e2m1", 2), ("e3m4", 3), ("e6m9", 2)])
def test_custom_formats(fmt, n):
    for rm in ("rne", "rdn"):
        u = spikefp.unit(f"{fmt}.dot", n=n, rm=rm)
        _check(u, vectors.dot_boundary(u.fmt, n, 3000, seed=n))


def test_n1_is_fma():
    """A one-product dot is an fma: the reference of fma (a third model) gives the same bits."""
    f = get_format("fp16")
    v = vectors.mixed(f, "fma", 1500, seed=4)
    for rm in ROUNDING_MODES:
        for i in range(0, len(v["a"]), 3):
            a, b, c = (int(v[k][i]) for k in "abc")
            assert reference.dot(f, a, b, c, rm, n=1) == reference.fma(f, a, b, c, rm), (rm, hex(a), hex(b), hex(c))


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp16", "bf16", "fp32"])
def test_references_agree(fmt):
    """The exact reference and MPFR's correctly rounded sum (a fast slice of the slow cross-check)."""
    f = get_format(fmt)
    n = 2 if f.width == 8 else 4
    v = vectors.dot_boundary(f, n, 300, seed=11)
    names = list(v)
    for rm in ROUNDING_MODES:
        for i in range(len(v["c"])):
            ops = [int(v[k][i]) for k in names]
            assert reference.dot(f, *ops, rm, n=n) == mpfr_ref.dot(f, *ops, rm, n=n), (rm, [hex(x) for x in ops])


@pytest.mark.parametrize("fmt,n", [("fp8e4m3", 2), ("fp8e5m2", 3), ("fp16", 4), ("bf16", 4), ("fp32", 4)])
def test_vectorized_reference_matches_exact(fmt, n):
    """`fastref.dot` (the campaigns' reference) == `reference.dot`, results and flags."""
    f = get_format(fmt)
    v = vectors.dot_boundary(f, n, 600, seed=14)
    cols = list(v.values())
    for rm in ROUNDING_MODES:
        for sat in ([False, True] if not f.ieee else [False]):
            y, fl = fastref.dot(f, *cols, rm, n=n, saturate=sat)
            want = [reference.dot(f, *(int(c[i]) for c in cols), rm, n=n, saturate=sat) for i in range(len(y))]
            assert [(int(a), int(b)) for a, b in zip(y, fl)] == want, (rm, sat)


# (a0, b0, c) for n = 1 in fp16, and the expected (y, flags) per mode: rne/rtz/rup/rmm, rdn
SPECIALS = [
    ((0x0000, 0x3C00, 0x8000), (0x0000, 0), (0x8000, 0)),      # (+0 * 1) + (-0): +0, rdn -0
    ((0x8000, 0x3C00, 0x8000), (0x8000, 0), (0x8000, 0)),      # (-0 * 1) + (-0): -0
    ((0x0000, 0x0000, 0x0000), (0x0000, 0), (0x0000, 0)),      # all +0: +0 even in rdn
    ((0x3C00, 0x3C00, 0xBC00), (0x0000, 0), (0x8000, 0)),      # 1 * 1 - 1: exact zero
    ((0x7C00, 0x0000, 0x7E00), (0x7E00, 0x10), (0x7E00, 0x10)),  # inf * 0 + qNaN: NV
    ((0x7C00, 0x3C00, 0xFC00), (0x7E00, 0x10), (0x7E00, 0x10)),  # inf - inf: NV
    ((0x7C00, 0xBC00, 0x3C00), (0xFC00, 0), (0xFC00, 0)),      # -inf + 1
    ((0x7C01, 0x3C00, 0x0000), (0x7E00, 0x10), (0x7E00, 0x10)),  # sNaN: NV
    ((0x7E00, 0x7C00, 0xFC00), (0x7E00, 0), (0x7E00, 0)),      # qNaN * inf - inf: quiet
]


@pytest.mark.parametrize("ops,others,rdn", SPECIALS)
def test_specials(ops, others, rdn):
    f = get_format("fp16")
    for rm in ROUNDING_MODES:
        want = rdn if rm == "rdn" else others
        u = spikefp.unit("fp16.dot", n=1, rm=rm)
        assert reference.dot(f, *ops, rm, n=1) == mpfr_ref.dot(f, *ops, rm, n=1) == want
        got = u.netlist.evaluate(a0=ops[0], b0=ops[1], c=ops[2])
        assert (got["y"], got["flags"]) == want, (rm, [hex(x) for x in ops])


def test_terms_cancel_exactly_in_any_position():
    """max - max + min_sub, in every order of the terms: exactly min_sub, no flag."""
    u = spikefp.unit("fp16.dot", n=3)
    one, big, tiny = 0x3C00, 0x7BFF, 0x0001
    for a, b in [((one, one, tiny), (big, big ^ 0x8000, one)), ((tiny, one, one), (one, big, big ^ 0x8000)),
                 ((one, tiny, one), (big ^ 0x8000, one, big))]:
        ports = dict(zip(u.operands, [*a, *b, 0x8000]))
        assert u.netlist.evaluate(**ports) == {"y": 0x0001, "flags": 0}


def test_eval_reads_a_then_b_then_c():
    lines = "3c00 4000 4400 bc00 3c00\n3c00 3c00 7bff fbff 0001\n0000 0000 8000 8000 8000\n"
    r = subprocess.run([sys.executable, "-m", "spikefp", "eval", "fp16.dot", "--param", "n=2"], input=lines,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # a0 a1 b0 b1 c: 1*4 + 2*(-1) + 1 = 3 (read as a0 b0 a1 b1 c: -1); max - max + min_sub; all -0: -0
    assert r.stdout == ("3C00 4000 4400 BC00 3C00 4200 00\n3C00 3C00 7BFF FBFF 0001 0001 00\n"
                        "0000 0000 8000 8000 8000 8000 00\n")
    r = subprocess.run([sys.executable, "-m", "spikefp", "eval", "fp16.dot", "--param", "n=2"], input="3c00 3c00\n",
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr == "spikefp: error: line 1: fp16.dot takes 5 operands, got 2: '3c00 3c00'\n"


def test_floats_api():
    u = spikefp.unit("fp16.dot", n=2)
    a = [np.float16([1, 2]), np.float16([1, 3])]
    b = [np.float16([65504, 1]), np.float16([-65504, 1])]
    y, flags = u(*a, *b, np.float16(2.0 ** -24), flags=True)
    assert y.tolist() == [2.0 ** -24, 5.0] and flags.tolist() == [0, 1]


def test_icarus(tmp_path, monkeypatch):
    monkeypatch.setenv("SPIKEFP_CACHE", str(tmp_path))
    u = spikefp.unit("fp8e4m3.dot", n=2)
    r = rtl_sim.run(u, "icarus", vectors.dot_boundary(u.fmt, 2, 1500, seed=5))
    assert (r.vectors, r.mismatches) == (1500, 0), str(r)


# -- the acceptance campaign (make exhaustive) ----------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("rm", ROUNDING_MODES)
def test_campaign_fp16_n4(rm):
    """10^6 fp16 vectors per mode, half of them from the heavy-cancellation family."""
    u = spikefp.unit("fp16.dot", rm=rm)
    seed = 100 + ROUNDING_MODES.index(rm)
    v = vectors.dot_boundary(u.fmt, 4, 500_000, seed=seed)
    w = vectors.for_unit(u, 500_000, seed=seed)
    v = {k: np.concatenate([v[k], w[k]]) for k in u.operands}
    r = check.check(u, v, jobs=2)
    assert r.vectors >= 10 ** 6 and r.mismatches == 0, str(r)


@pytest.mark.slow
@pytest.mark.parametrize("fmt,per_pair", [("fp8e4m3", 100), ("fp8e5m2", 25)])
def test_campaign_8bit_exponent_pairs(fmt, per_pair):
    f = get_format(fmt)
    v = vectors.dot_exponent_pairs(f, per_pair, seed=9)
    for rm in ROUNDING_MODES:
        r = check.check(spikefp.unit(f"{fmt}.dot", n=2, rm=rm), v, jobs=2)
        assert r.mismatches == 0, str(r)
    r = check.check(spikefp.unit(f"{fmt}.dot", n=2, dynamic=True), v, jobs=2,
                    rm_codes=np.arange(len(v["c"]), dtype=np.uint64) % np.uint64(8))
    assert r.mismatches == 0, str(r)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["bf16", "fp32"])
def test_campaign_wide_formats(fmt):
    for rm in ROUNDING_MODES:
        u = spikefp.unit(f"{fmt}.dot", rm=rm)
        r = check.check(u, vectors.for_unit(u, 30_000, seed=ROUNDING_MODES.index(rm)), jobs=2)
        assert r.mismatches == 0, str(r)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp32"])
def test_references_agree_campaign(fmt):
    """10^5 random and cancelling vectors per mode: the exact reference == MPFR's fsum ==
    the vectorized reference (which the campaigns use)."""
    f = get_format(fmt)
    u = spikefp.unit(f"{fmt}.dot")
    v = vectors.dot_boundary(f, 4, 70_000, seed=12)
    rng = np.random.default_rng(13)
    v = {k: np.concatenate([v[k], rng.integers(0, 1 << f.width, 30_000, dtype=np.uint64)]) for k in u.operands}
    for rm in ROUNDING_MODES:
        fy, ff = fastref.dot(f, *(v[k] for k in u.operands), rm)
        for i in range(len(v["c"])):
            ops = [int(v[k][i]) for k in u.operands]
            want = reference.dot(f, *ops, rm)
            assert want == mpfr_ref.dot(f, *ops, rm) == (int(fy[i]), int(ff[i])), (rm, [hex(x) for x in ops])
