"""exp and exp2 units (generators/fpexp.py) against the MPFR reference, and the shared API.

Default: every input of the FP8 formats in all five modes (static and dynamic, E4M3 also
saturating), fp16 and bf16 exhaustive in RNE, fp32 and fp64 on exp-shaped samples
(thresholds, near-zero structure, integers, random) in every mode, plus `to_fixed` and
`exp_fixed` against their specifications. ``slow``: fp16 and bf16 exhaustive in all modes,
fp32 10^6 inputs and fp64 10^5 per mode.
"""

import math
import random
from fractions import Fraction

import numpy as np
import pytest

import spikefp
from spikefp.generators import fpexp
from spikefp.generators.fpcommon import unpack
from spikefp.generators.fpformat import get_format
from spikefp.hdl import Builder
from spikefp.verify import check, elementary, vectors

MODES = ["rne", "rtz", "rdn", "rup", "rmm"]
FNS = ["exp", "exp2"]


def _assert_clean(u, v, rm_codes=None):
    r = check.check(u, v, rm_codes, jobs=1)
    assert (r.vectors, r.mismatches) == (len(v["a"]), 0), str(r)


def _pack(f, s, e, frac):
    return (s << (f.width - 1)) | (e << f.M) | frac


def exp_vectors(f, n: int, seed: int = 0) -> dict:
    """Inputs where exp and exp2 are hard: the overflow and underflow thresholds and the
    subnormal range (the neighbours of x with 2^t at those edges), the near-zero structure
    (+-2^-j, +-m 2^-j with few bits), integers and half-integers, and random x over the
    whole range where the result is neither 1 +- tiny nor out of range; plus specials."""
    rng = random.Random(seed)
    out = set(vectors.special_values(f))
    mask = (1 << (f.width - 1)) - 1

    def near(x: float, spread: int = 3):
        bits = int(np.array([x], dtype=np.float64).view(np.uint64)[0])
        s, e, m = bits >> 63, (bits >> 52) & 0x7FF, bits & ((1 << 52) - 1)
        if e == 0 or x == 0:
            return
        e = e - 1023 + f.bias
        if not 1 <= e < f.exp_ones:
            return
        frac = m >> (52 - f.M) if f.M <= 52 else m << (f.M - 52)
        for d in range(-spread, spread + 1):
            out.add(_pack(f, s, e, (frac + d) % (1 << f.M)) & (mask | f.sign_bit))

    for t in (f.emax + 1, f.emin - 1, f.emin - f.M - 1, f.emin - f.M - 2, f.emin - f.M, f.emin):
        for ln in (1.0, math.log(2)):
            near(t * ln)
    for j in range(1, f.bias + f.M):                          # near zero: 2^-j with short significands
        for s in (0, 1):
            for low in (0, 1, 2, 3, f.M):
                if f.bias - j >= 1 and low <= f.M:
                    out.add(_pack(f, s, f.bias - j, ((1 << low) - 1) << (f.M - low) if low else 0))
    for k in range(-f.bias - f.M - 2, f.emax + 2):           # integers and halves
        for x in (k, k + 0.5):
            near(float(x), 0)
    top = max(f.emax + 2, f.M - f.emin + 3).bit_length()
    if len(out) > n // 2:                                     # wide formats: a deterministic half
        out = set(rng.sample(sorted(out), n // 2)) | set(vectors.special_values(f))
    while len(out) < n:
        e = f.bias + rng.randrange(-f.precision - 4, top + 1)
        if 1 <= e < f.exp_ones:
            out.add(_pack(f, rng.randrange(2), e, rng.getrandbits(f.M)))
    return {"a": np.array(sorted(out), dtype=np.uint64)}


# -- the shared API --------------------------------------------------------------------------------

def test_to_fixed_is_the_floor_of_every_fp8_value():
    for fmt in ("fp8e4m3", "fp8e5m2"):
        f = get_format(fmt)
        frac, ib = 5, 3
        b = Builder()
        x = fpexp.to_fixed(b, f, unpack(b, f, b.input("a", 8)), frac, ib)
        b.output("v", x.bits)
        b.output("flags", [x.sticky, x.big])
        net = b.build()
        for a in range(256):
            out = net.evaluate(a=a)
            if f.is_nan(a) or (f.ieee and (a & 0x7F) == f.inf):
                assert out["flags"] == 3, hex(a)
                continue
            s, e, m = a >> 7, (a >> f.M) & f.exp_ones, a & ((1 << f.M) - 1)
            mag = Fraction(m if e == 0 else m | (1 << f.M), 1 << f.M) * Fraction(2) ** (max(e, 1) - f.bias)
            xv = -mag if s else mag
            big = mag >= 2 ** ib
            if big:
                xv = -Fraction(2 ** ib) if s else 2 ** ib - Fraction(1, 2 ** frac)
            v = math.floor(xv * 2 ** frac)
            assert out["v"] == v % (1 << (ib + frac + 1)), hex(a)
            assert out["flags"] == (v != xv * 2 ** frac or big) | big << 1, hex(a)


@pytest.mark.parametrize("base", ["e", "2"])
def test_exp_fixed_is_below_the_true_value_by_less_than_two_units(base):
    """Every v of an 8-bit argument (4 fraction bits), W = 10 and 16: k exact, y one-sided."""
    for W in (10, 16):
        b = Builder()
        k, y, s = fpexp.exp_fixed(b, b.input("v", 8), 4, W, base)
        b.output("k", k)
        b.output("y", y)
        b.output("s", [s])
        net = b.build()
        for vi in range(256):
            v = (vi - 256 if vi >= 128 else vi) / 16
            t = v * (1 / math.log(2) if base == "e" else 1)
            out = net.evaluate(v=vi)
            kk = out["k"] - (1 << len(k)) if out["k"] >> (len(k) - 1) else out["k"]
            true = 2.0 ** (t - kk)
            assert kk == math.floor(t), (vi, kk)
            assert 0 <= true * 2 ** W - out["y"] < 2, (vi, base, W)
            inexact = v != 0 if base == "e" else v != int(v)
            assert out["s"] == inexact


def test_exp_fixed_rejects_a_bad_base():
    with pytest.raises(ValueError, match="unknown base 'ten'"):
        fpexp.exp_fixed(Builder(), [0] * 4, 2, 8, "ten")


# -- the units ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
def test_fp8_every_input_every_mode(fmt, fn):
    v = vectors.exhaustive_for(spikefp.unit(f"{fmt}.{fn}"))
    for rm in MODES:
        _assert_clean(spikefp.unit(f"{fmt}.{fn}", rm=rm), v)
    codes = np.arange(256 * 8, dtype=np.uint64) // np.uint64(256)      # every input in every code 0..7
    both = {"a": np.tile(v["a"], 8)}
    _assert_clean(spikefp.unit(f"{fmt}.{fn}", dynamic=True), both, codes)
    if fmt == "fp8e4m3":
        _assert_clean(spikefp.unit(f"{fmt}.{fn}", dynamic=True, saturate=True), both, codes)


@pytest.mark.parametrize("table_bits", fpexp.TABLES)
def test_every_table_size_is_correct(table_bits):
    """The alternatives measured in the module docstring: fp8e5m2 in every rm code, bf16.exp in RNE."""
    u = spikefp.unit("fp8e5m2.exp", dynamic=True, table_bits=table_bits)
    v = {"a": np.tile(np.arange(256, dtype=np.uint64), 8)}
    _assert_clean(u, v, np.arange(256 * 8, dtype=np.uint64) // np.uint64(256))
    u = spikefp.unit("bf16.exp", table_bits=table_bits)
    _assert_clean(u, {"a": np.arange(0, 1 << 16, 7, dtype=np.uint64)})


@pytest.mark.parametrize("name", ["fp16.exp", "bf16.exp", "fp16.exp2", "bf16.exp2"])
def test_16_bit_every_input_rne(name):
    u = spikefp.unit(name)
    _assert_clean(u, vectors.exhaustive_for(u))


@pytest.mark.parametrize("name, n", [("fp32.exp", 2000), ("fp32.exp2", 2000), pytest.param("fp64.exp", 400, marks=pytest.mark.slow),
                                     ("fp64.exp2", 400), ("e6m9.exp", 600)])
def test_wide_formats_on_samples_every_mode(name, n):
    u = spikefp.unit(name, dynamic=True)
    v = exp_vectors(u.fmt, n, seed=7)
    k = len(v["a"])
    _assert_clean(u, v, np.arange(k, dtype=np.uint64) % np.uint64(8))
    _assert_clean(u, v, (np.arange(k, dtype=np.uint64) + np.uint64(3)) % np.uint64(5))


def near_zero(f) -> list[int]:
    """x = +-2^-j with significands 1, 1 + 2^-i, 1.11..1 (i ones), and their neighbours: 1 + x
    (and below 1, 1 - x) on the (p + 2)-bit grid, x^2/2 above it, or -x^2/2 cancelling
    x's last bit (x = -(2^-j + 2^-(2j+1)), x = 2^-j - 2^-(2j+1)): exp is then 2^-3j/3 away
    from a grid point, the hardest cases of the analysis."""
    mask = (1 << f.M) - 1
    fracs = {0, 1, 3, mask, mask - 1} | {1 << (f.M - i) for i in range(1, f.M + 1)} | \
        {mask ^ ((1 << (f.M - i)) - 1) for i in range(1, f.M + 1)}
    return sorted(_pack(f, s, e, fr) for s in (0, 1) for e in range(max(1, f.bias - f.precision - 4), f.bias)
                  for fr in fracs)


@pytest.mark.parametrize("fmt, n", [("fp32", None), pytest.param("fp64", 800, marks=pytest.mark.slow),
                                    pytest.param("fp64", None, marks=pytest.mark.slow)])
def test_near_zero_structure(fmt, n):
    f = get_format(fmt)
    u = spikefp.unit(f"{fmt}.exp", dynamic=True)
    xs = near_zero(f)
    xs = sorted(random.Random(3).sample(xs, n)) if n else xs
    v = {"a": np.array(xs * 5, dtype=np.uint64)}
    _assert_clean(u, v, np.repeat(np.arange(5, dtype=np.uint64), len(xs)))


@pytest.mark.parametrize("fn, rm, a, y, flags", [
    ("exp2", "rup", 0x41000000, 0x43800000, 0),        # 2^8 = 256: exact
    ("exp2", "rdn", 0xC0400000, 0x3E000000, 0),        # 2^-3
    ("exp2", "rne", 0xC3150000, 0x00000001, 0),        # 2^-149, the smallest subnormal: exact
    ("exp2", "rne", 0xC3160000, 0x00000000, 0x03),     # 2^-150: a tie to 0, UF|NX
    ("exp2", "rup", 0xC3160000, 0x00000001, 0x03),
    ("exp2", "rne", 0x43000000, 0x7F800000, 0x05),     # 2^128 overflows
    ("exp2", "rtz", 0x43000000, 0x7F7FFFFF, 0x05),
    ("exp", "rup", 0x00000000, 0x3F800000, 0),         # e^0 = 1 exactly, both zeros
    ("exp", "rdn", 0x80000000, 0x3F800000, 0),
    ("exp", "rup", 0x00000001, 0x3F800001, 0x01),      # 1 + tiny
    ("exp", "rdn", 0x80000001, 0x3F7FFFFF, 0x01),      # 1 - tiny
    ("exp", "rne", 0xFF800000, 0x00000000, 0),         # e^-inf = +0, exact
    ("exp", "rne", 0x7F800000, 0x7F800000, 0),         # e^inf = inf, exact
    ("exp", "rne", 0x7FC00000, 0x7FC00000, 0),
    ("exp", "rne", 0x7F800001, 0x7FC00000, 0x10),      # signaling NaN: NV
    ("exp", "rne", 0x3F800000, 0x402DF854, 0x01),      # e
])
def test_exact_cases_and_specials(fn, rm, a, y, flags):
    assert elementary.OPS[fn]("fp32", a, rm) == (y, flags)
    net = spikefp.unit(f"fp32.{fn}", rm=rm).netlist
    assert net.evaluate(a=a) == {"y": y, "flags": flags}


def test_e4m3_exp_saturates_instead_of_nan():
    u = spikefp.unit("fp8e4m3.exp", saturate=True)
    _assert_clean(u, vectors.exhaustive_for(u))


# -- slow campaigns ---------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
def test_16_bit_every_input_every_mode(fmt, fn):
    v = vectors.exhaustive_for(spikefp.unit(f"{fmt}.{fn}"))
    for rm in MODES[1:]:
        _assert_clean(spikefp.unit(f"{fmt}.{fn}", rm=rm), v)
    codes = np.arange(len(v["a"]), dtype=np.uint64) % np.uint64(8)
    _assert_clean(spikefp.unit(f"{fmt}.{fn}", dynamic=True), v, codes)


@pytest.mark.slow
@pytest.mark.parametrize("name, n", [("fp32.exp", 10 ** 6), ("fp32.exp2", 10 ** 6),
                                     ("fp64.exp", 10 ** 5), ("fp64.exp2", 10 ** 5)])
def test_wide_campaign_every_mode(name, n):
    u = spikefp.unit(name, dynamic=True)
    v = exp_vectors(u.fmt, n, seed=11)
    k = len(v["a"])
    for rm in range(5):
        r = check.check(u, v, np.full(k, rm, dtype=np.uint64))
        assert r.mismatches == 0, str(r)
