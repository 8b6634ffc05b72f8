"""log and log2: correctly rounded in every mode against MPFR (verify.elementary), results and flags."""

import itertools

import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import FLAG_DZ, FLAG_NV, get_format
from spikefp.generators.fplog import ARCHS, plan
from spikefp.verify import check, vectors

MODES = ["rne", "rtz", "rdn", "rup", "rmm"]
FNS = ["log", "log2"]


def _assert_clean(name, v, rm=None, **kw):
    u = spikefp.unit(name, **kw)
    r = check.check(u, v, rm)
    assert r.mismatches == 0, str(r)
    return r


def _dynamic(v):
    """Every operand with every rm code 0..7 (5..7 invalid)."""
    a = np.repeat(v["a"], 8)
    return {"a": a}, np.tile(np.arange(8, dtype=np.uint64), len(v["a"]))


def _near_one(f, n=40):
    """Operands 1 +- k ulp and 1 +- 2^-j (1 +- 2^-i): where log(1 + u) = u - u^2/2 sits on the
    grid and only |u|^3/3 separates it (the structured hard cases of log)."""
    one = f.bias << f.M
    xs = {one + k for k in range(-n, n)}
    for j in range(1, f.M + 1):
        for i in range(1, f.M + 1):
            k = (1 << (f.M - j)) + ((1 << (f.M - j)) >> i)
            xs |= {one + k, one - k, one + (1 << (f.M - j)), one - (1 << (f.M - j))}
    return np.array(sorted(x for x in xs if 0 < x < f.exp_ones << f.M), dtype=np.uint64)


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
def test_fp8_every_input_every_mode(fmt, fn):
    name = f"{fmt}.{fn}"
    for sat in ((False, True) if fmt == "fp8e4m3" else (False,)):
        v = vectors.exhaustive_for(spikefp.unit(name))
        for rm in MODES:
            _assert_clean(name, v, rm=rm, saturate=sat)
        vd, codes = _dynamic(v)
        r = _assert_clean(name, vd, codes, dynamic=True, saturate=sat)
        assert r.vectors == 2048


@pytest.mark.parametrize("name, arch", [(n, ARCHS[0]) for n in ("fp16.log", "fp16.log2", "bf16.log", "bf16.log2")]
                         + [("fp16.log", a) for a in ARCHS[1:]] + [("fp16.log2", a) for a in ARCHS[1:]])
def test_16_bit_every_input_rne(name, arch):
    u = spikefp.unit(name, arch=arch)
    r = _assert_clean(name, vectors.exhaustive_for(u), arch=arch)
    assert r.vectors == 65536


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt", ["fp32", "fp64", "e6m9"])
def test_wide_formats_sampled(fmt, fn):
    name = f"{fmt}.{fn}"
    u = spikefp.unit(name)
    f = get_format(fmt)
    v = vectors.for_unit(u, 1500, seed=7)
    v = {"a": np.concatenate([v["a"], _near_one(f)])}
    _assert_clean(name, v)
    _assert_clean(name, {"a": v["a"][::7]}, rm="rdn")


@pytest.mark.parametrize("fn", FNS)
def test_exact_cases_raise_no_flag(fn):
    """log(1) = +0 in every mode (also RDN); log2(2^k) = k exactly, subnormal powers included."""
    f = get_format("fp16")
    for rm in MODES:
        u = spikefp.unit(f"fp16.{fn}", rm=rm)
        assert u.netlist.evaluate(a=0x3C00) == {"y": 0, "flags": 0}
    u = spikefp.unit("fp16.log2")
    for k in range(-24, 16):
        x = (k + f.bias) << f.M if k > -f.bias + 1 - 1 else 1 << (k + 24)
        y = np.float16(k).view(np.uint16)
        assert u.netlist.evaluate(a=x) == {"y": int(y), "flags": 0}, k


@pytest.mark.parametrize("fn", FNS)
def test_specials(fn):
    u = spikefp.unit(f"fp16.{fn}")
    cases = {0x0000: (0xFC00, FLAG_DZ), 0x8000: (0xFC00, FLAG_DZ), 0x7C00: (0x7C00, 0),
             0xFC00: (0x7E00, FLAG_NV), 0xBC00: (0x7E00, FLAG_NV), 0x8001: (0x7E00, FLAG_NV),
             0x7E00: (0x7E00, 0), 0x7D00: (0x7E00, FLAG_NV)}
    for a, want in cases.items():
        got = u.netlist.evaluate(a=a)
        assert (got["y"], got["flags"]) == want, hex(a)
    e4 = spikefp.unit(f"fp8e4m3.{fn}")
    assert e4.netlist.evaluate(a=0x00) == {"y": 0x7F, "flags": FLAG_DZ}
    sat = spikefp.unit(f"fp8e4m3.{fn}", saturate=True)
    assert sat.netlist.evaluate(a=0x80) == {"y": 0xFE, "flags": FLAG_DZ}


def test_plan_window_is_below_the_guard():
    """The bias window 2B + 1 (units 2^-S) fits below 2^-T0 for every precision."""
    for p in range(2, 114):
        for base, quadratic in itertools.product(("e", "2"), (False, True)):
            pl = plan(p, base, quadratic)
            assert 2 * pl.bias + 1 <= 2 ** (pl.S - pl.T0) and pl.T0 == 2 * p + 17


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fp16.log", "fp16.log2", "bf16.log", "bf16.log2"])
def test_16_bit_every_input_every_mode(name):
    v = vectors.exhaustive_for(spikefp.unit(name))
    for rm in MODES:
        _assert_clean(name, v, rm=rm)
    vd, codes = _dynamic(v)
    _assert_clean(name, vd, codes, dynamic=True)


@pytest.mark.slow
@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt, n", [("fp32", 1_000_000), ("fp64", 100_000)])
def test_wide_formats_campaign(fmt, n, fn):
    name = f"{fmt}.{fn}"
    f = get_format(fmt)
    for i, rm in enumerate(MODES):
        v = vectors.for_unit(spikefp.unit(name), n, seed=100 + i)
        _assert_clean(name, {"a": np.concatenate([v["a"], _near_one(f, 2000)])}, rm=rm)
