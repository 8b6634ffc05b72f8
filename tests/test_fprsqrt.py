"""recip and rsqrt: correctly rounded (results and flags) against MPFR, specials by hand."""

import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import FLAG_DZ, FLAG_NV, FLAG_NX
from spikefp.verify import check, vectors

FNS = ["rsqrt", "recip"]
MODES = ["rne", "rtz", "rdn", "rup", "rmm"]


def _every_mode(u, v):
    """Every vector under every rm code 0..7 (5..7 invalid: the NaN with NV)."""
    a = np.tile(v["a"], 8)
    return check.check(u, {"a": a}, np.repeat(np.arange(8, dtype=np.uint64), len(v["a"])))


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt, saturate", [("fp8e4m3", False), ("fp8e4m3", True), ("fp8e5m2", False),
                                           ("e2m5", False), ("e3m8", False), ("e2m10", False)])
def test_small_formats_every_input_every_mode(fn, fmt, saturate):
    """e2m5, e3m8 and e2m10 have subnormal or overflowing rsqrt results (normalize_signed's path)."""
    params = {"saturate": True} if saturate else {}
    for rm in MODES:
        u = spikefp.unit(f"{fmt}.{fn}", rm=rm, **params)
        r = check.check(u, vectors.exhaustive_for(u))
        assert r.mismatches == 0, str(r)
    u = spikefp.unit(f"{fmt}.{fn}", dynamic=True, **params)
    r = _every_mode(u, vectors.exhaustive_for(u))
    assert (r.vectors, r.mismatches) == (8 << u.operand_bits, 0), str(r)


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
def test_16_bit_formats_every_input_rne(fn, fmt):
    u = spikefp.unit(f"{fmt}.{fn}")
    r = check.check(u, vectors.exhaustive_for(u))
    assert (r.vectors, r.mismatches) == (65536, 0), str(r)


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2", "fp16"])
def test_select_architecture_every_input(fmt):
    u = spikefp.unit(f"{fmt}.rsqrt", dynamic=True, arch="select")
    r = _every_mode(u, vectors.exhaustive_for(u)) if fmt != "fp16" else \
        check.check(u, vectors.exhaustive_for(u), np.arange(65536, dtype=np.uint64) % np.uint64(8))
    assert r.mismatches == 0, str(r)


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt, n", [("fp32", 3000), ("fp64", 1500), ("e6m9", 2000), ("e2m20", 1000)])
def test_wide_formats_boundary_and_random_dynamic(fn, fmt, n):
    """e2m20: a normalized subnormal exponent (down to 2 - p) needs more than E + 3 bits."""
    u = spikefp.unit(f"{fmt}.{fn}", dynamic=True)
    v = vectors.for_unit(u, n, seed=14)
    r = check.check(u, v, np.arange(len(v["a"]), dtype=np.uint64) % np.uint64(8))
    assert r.mismatches == 0 and r.vectors > n, str(r)


def test_specials_by_hand():
    """DESIGN.md: rsqrt(+-0) = +-inf + DZ, rsqrt(x < 0) = NaN + NV, rsqrt(+inf) = +0,
    rsqrt(4^k) = 2^-k exact; recip(+-0) = +-inf + DZ, recip(+-inf) = +-0; E4M3's infinity is
    the NaN (with saturate the largest finite number), with DZ."""
    rs, rc = (spikefp.unit(f"fp32.{fn}").netlist.evaluate for fn in FNS)
    pz, nz, inf, ninf, qnan, one = 0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0x3F800000
    assert rs(a=pz) == {"y": inf, "flags": FLAG_DZ}
    assert rs(a=nz) == {"y": ninf, "flags": FLAG_DZ}
    assert rs(a=inf) == {"y": pz, "flags": 0}
    assert rs(a=ninf) == {"y": qnan, "flags": FLAG_NV}
    assert rs(a=0xBF800000) == {"y": qnan, "flags": FLAG_NV}                 # -1
    assert rs(a=0x80000001) == {"y": qnan, "flags": FLAG_NV}                 # negative subnormal
    assert rs(a=0x7F800001) == {"y": qnan, "flags": FLAG_NV}                 # signaling NaN
    assert rs(a=0x7FC00001) == {"y": qnan, "flags": 0}
    assert rs(a=0x40800000) == {"y": 0x3F000000, "flags": 0}                 # 1/sqrt(4) = 1/2
    assert rs(a=0x3E800000) == {"y": 0x40000000, "flags": 0}                 # 1/sqrt(1/4) = 2
    assert rs(a=0x00000008) == {"y": 0x64000000, "flags": 0}                 # 1/sqrt(2^-146) = 2^73
    assert rs(a=0x40000000) == {"y": 0x3F3504F3, "flags": FLAG_NX}           # 1/sqrt(2)
    assert rs(a=0x7F7FFFFF) == {"y": 0x1F800000, "flags": FLAG_NX}           # just above 2^-64
    assert rc(a=pz) == {"y": inf, "flags": FLAG_DZ}
    assert rc(a=nz) == {"y": ninf, "flags": FLAG_DZ}
    assert rc(a=inf) == {"y": pz, "flags": 0}
    assert rc(a=ninf) == {"y": nz, "flags": 0}
    assert rc(a=0xC0000000) == {"y": 0xBF000000, "flags": 0}                 # -1/2
    assert rc(a=0x40400000) == {"y": 0x3EAAAAAB, "flags": FLAG_NX}
    assert rc(a=one) == {"y": one, "flags": 0}
    for fn in FNS:
        e4 = spikefp.unit(f"fp8e4m3.{fn}").netlist.evaluate
        e4s = spikefp.unit(f"fp8e4m3.{fn}", saturate=True).netlist.evaluate
        assert e4(a=0x00) == e4(a=0x80) == {"y": 0x7F, "flags": FLAG_DZ}
        assert e4s(a=0x00) == {"y": 0x7E, "flags": FLAG_DZ}
        assert e4s(a=0x80) == {"y": 0xFE, "flags": FLAG_DZ}


def test_sizes():
    """Static RNE, default profile: recip is the divider with a constant dividend, a little
    smaller than fp32.div; rsqrt a division of twice the length and a root."""
    assert spikefp.unit("fp32.recip").stats()["neurons"] < spikefp.unit("fp32.div").stats()["neurons"]
    s = spikefp.unit("fp32.rsqrt").stats()
    assert s["neurons"] <= 6300 and s["depth"] <= 400, s


def test_bad_architecture_is_refused():
    with pytest.raises(ValueError, match="arch"):
        spikefp.unit("fp32.rsqrt", arch="newton")


# -- make exhaustive -------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
def test_16_bit_formats_every_input_every_mode(fn, fmt):
    for rm in MODES:
        u = spikefp.unit(f"{fmt}.{fn}", rm=rm)
        r = check.check(u, vectors.exhaustive_for(u))
        assert r.mismatches == 0, str(r)
    u = spikefp.unit(f"{fmt}.{fn}", dynamic=True)
    r = _every_mode(u, vectors.exhaustive_for(u))
    assert (r.vectors, r.mismatches) == (8 << 16, 0), str(r)


@pytest.mark.slow
@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt, n", [("fp32", 10 ** 6), ("fp64", 10 ** 5)])
def test_wide_formats_campaign(fn, fmt, n):
    for rm in MODES:
        u = spikefp.unit(f"{fmt}.{fn}", rm=rm)
        r = check.check(u, vectors.for_unit(u, n, seed=1400 + MODES.index(rm)))
        assert r.mismatches == 0 and r.vectors >= n, str(r)
