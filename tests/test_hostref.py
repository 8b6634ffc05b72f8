"""The float64-hardware reference (`spikefp.verify.hostref`) against the integer-window one
(`fastref`), the scalar integer reference and MPFR: results and flags, bit for bit."""

import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import ROUNDING_MODES, get_format
from spikefp.verify import check, fastref, hostref, mpfr_ref, reference, vectors

OPS = ["add", "sub", "mul", "div", "sqrt"]


def _cols(op, cols):
    return cols[:1] if op == "sqrt" else cols


def _differences(other, op, f, cols, rm, saturate=False):
    """The first few vectors where hostref and ``other`` (a vectorized reference) differ."""
    y1, f1 = hostref.OPS[op](f, *cols, rm, saturate=saturate)
    y2, f2 = other(f, *cols, rm, saturate=saturate)
    bad = np.flatnonzero((y1 != y2) | (f1 != f2))
    return [([hex(int(c[i])) for c in cols], hex(int(y1[i])), int(f1[i]), hex(int(y2[i])), int(f2[i]))
            for i in bad[:5]]


def _scalar_differences(module, op, f, cols, rm, saturate=False):
    y, fl = hostref.OPS[op](f, *cols, rm, saturate=saturate)
    got = list(zip(y.tolist(), fl.tolist()))
    return [(i, r, got[i]) for i, r in enumerate(zip(*(c.tolist() for c in cols)))
            if module.OPS[op](f, *r, rm, saturate=saturate) != got[i]][:5]


def _near(f, n, seed):
    """Random operand pairs, half of them close to each other (cancelling sums, quotients near 1)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 1 << f.width, n, dtype=np.uint64)
    b = rng.integers(0, 1 << f.width, n, dtype=np.uint64)
    flip = rng.integers(0, 1 << min(f.width, 12), n // 2, dtype=np.uint64)
    sign = rng.integers(0, 2, n // 2, dtype=np.uint64) << np.uint64(f.width - 1)
    b[:n // 2] = a[:n // 2] ^ flip ^ sign
    return [a, b]


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
@pytest.mark.parametrize("op", OPS)
def test_every_fp8_pair_equals_fastref(fmt, op):
    f = get_format(fmt)
    a = np.arange(256, dtype=np.uint64)
    cols = _cols(op, [np.repeat(a, 256), np.tile(a, 256)])
    for rm in ROUNDING_MODES:
        for sat in [False, True] if not f.ieee else [False]:
            assert _differences(fastref.OPS[op], op, f, cols, rm, sat) == [], (rm, sat)


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp16", "bf16"])
@pytest.mark.parametrize("op", OPS)
def test_boundary_vectors_equal_the_integer_reference(fmt, op):
    """Specials, subnormal/normal boundaries, overflow edges (`vectors.mixed`), per mode."""
    f = get_format(fmt)
    for k, rm in enumerate(ROUNDING_MODES):
        v = vectors.mixed(f, op, 1500, seed=70 + k)
        assert _scalar_differences(reference, op, f, _cols(op, [v["a"], v.get("b", v["a"])]), rm) == [], rm


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp32"])
@pytest.mark.parametrize("op", OPS)
def test_agrees_with_mpfr(fmt, op):
    """Two independent references: MPFR (gmpy2) and the host's float64 unit."""
    f = get_format(fmt)
    for k, rm in enumerate(ROUNDING_MODES):
        v = vectors.mixed(f, op, 800, seed=80 + k)
        assert _scalar_differences(mpfr_ref, op, f, _cols(op, [v["a"], v.get("b", v["a"])]), rm) == [], rm


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp32", "e6m9", "e3m3", "e8m15"])
@pytest.mark.parametrize("op", OPS)
def test_random_and_near_operands_equal_fastref(fmt, op):
    f = get_format(fmt)
    for k, rm in enumerate(ROUNDING_MODES):
        cols = _cols(op, _near(f, 60_000, seed=90 + k))
        assert _differences(fastref.OPS[op], op, f, cols, rm) == [], rm


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp32"])
@pytest.mark.parametrize("op", OPS)
def test_ten_million_vectors_per_mode_equal_fastref(fmt, op):
    f = get_format(fmt)
    for k, rm in enumerate(ROUNDING_MODES):
        for part in range(10):
            cols = _cols(op, _near(f, 1_000_000, seed=1000 * k + part))
            assert _differences(fastref.OPS[op], op, f, cols, rm) == [], (rm, part)


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp8e4m3", "fp8e5m2"])
def test_rounding_table_equals_the_computed_rounder(fmt):
    """The per-mode lookup table (formats of at most 16 bits) against the rounder it tabulates,
    on float64 values across the whole exponent range, specials, and nudged values."""
    f = get_format(fmt)
    rng = np.random.default_rng(5)
    v = np.ldexp(rng.uniform(0.5, 1, 300_000) * rng.choice([-1, 1], 300_000), rng.integers(-300, 300, 300_000))
    v[::7] = np.ldexp(np.round(v[::7] * 2.0 ** 12) / 2.0 ** 12, 0)        # short significands: ties, exact
    v[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0]
    nudge = np.where(np.isfinite(v) & (v != 0), rng.integers(-1, 2, len(v)), 0)
    for rm in ROUNDING_MODES:
        for sat in [False, True] if not f.ieee else [False]:
            for n in (0, nudge):
                y1, f1 = hostref._rounded(f, v, n, rm, sat)
                y2, f2 = hostref._rounded_computed(f, v, n, rm, sat)
                assert np.array_equal(y1, y2) and np.array_equal(f1, f2), (rm, sat)


def test_sticky_from_twosum():
    """bf16 sums span more than float64's 53 bits: the far operand survives as TwoSum's error.
    1 + 2^-133 and 1 - 2^-133 in every mode against the integer reference."""
    f = get_format("bf16")
    for op in ("add", "sub"):
        for rm in ROUNDING_MODES:
            cols = [np.array([0x3F80, 0xBF80, 0x7F7F]), np.array([0x0001, 0x0001, 0x8001])]
            assert _scalar_differences(reference, op, f, cols, rm) == [], (op, rm)


def test_supported():
    assert hostref.supported(get_format("fp16")) and hostref.supported(get_format("fp32"))
    assert not hostref.supported(get_format("fp64"))
    assert not hostref.supported(get_format("e11m10"))            # products leave float64's range
    assert not hostref.supported(get_format("fp16"), target=get_format("fp32"))
    with pytest.raises(ValueError, match="not fp64"):
        hostref.add(get_format("fp64"), np.array([0]), np.array([0]), "rne")


def test_check_uses_the_fastest_reference():
    assert check._vectorized("add", spikefp.unit("fp16.add")) is hostref.add
    assert check._vectorized("fma", spikefp.unit("fp16.fma")) is fastref.fma
    assert check._vectorized("div", spikefp.unit("fp64.div")) is None


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2", "fp16", "bf16", "fp32"])
def test_conversion_to_fp64_equals_the_integer_reference(fmt):
    """Exact conversions: every 8-bit input, every 5th 16-bit one, boundary fp32 inputs."""
    f, t = get_format(fmt), get_format("fp64")
    if f.width <= 16:
        a = np.arange(0, 1 << f.width, 1 if f.width == 8 else 5, dtype=np.uint64)
    else:
        a = vectors.for_unit(spikefp.unit(f"{fmt}.to_fp64"), 3000, seed=1)["a"]
    for rm in ROUNDING_MODES:
        y, fl = hostref.convert(f, a, rm, target=t)
        got = list(zip(y.tolist(), fl.tolist()))
        assert [v for v, g in zip(a.tolist(), got) if reference.OPS["convert"](f, v, rm, target=t) != g] == [], rm
