"""The vectorized div and sqrt (`spikefp.verify.fastref`) against the integer reference, the
MPFR reference and the units' exact engine: results and flags, bit for bit."""

import time

import numpy as np
import pytest

import spikefp
from spikefp import pysim
from spikefp.generators.fpformat import ROUNDING_MODES, get_format
from spikefp.verify import check, fastref, mpfr_ref, reference, vectors


def _disagreements(module, op, f, cols, rm, saturate=False):
    """Indices where ``module``'s scalar op and the vectorized one differ (results or flags)."""
    y, fl = fastref.OPS[op](f, *cols, rm, saturate=saturate)
    fn = module.OPS[op]
    got = list(zip(y.tolist(), fl.tolist()))
    rows = zip(*(c.tolist() for c in cols))
    return [(i, [hex(v) for v in r], got[i]) for i, r in enumerate(rows)
            if fn(f, *r, rm, saturate=saturate) != got[i]][:5]


def _pairs(width):
    n = 1 << width
    a = np.arange(n, dtype=np.uint64)
    return [np.repeat(a, n), np.tile(a, n)]


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
def test_div_every_fp8_pair(fmt):
    f = get_format(fmt)
    cols = _pairs(8)
    for rm in ROUNDING_MODES:
        for sat in [False, True] if not f.ieee else [False]:
            assert _disagreements(reference, "div", f, cols, rm, sat) == [], (rm, sat)


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp32", "e6m9", "e3m3"])
def test_div_random_and_boundary(fmt):
    f = get_format(fmt)
    n = 100_000 if fmt in ("fp16", "bf16", "fp32") else 12_000
    for k, rm in enumerate(ROUNDING_MODES):
        v = vectors.mixed(f, "div", n, seed=40 + k)
        assert _disagreements(reference, "div", f, [v["a"], v["b"]], rm) == [], rm


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2", "fp16", "bf16"])
def test_sqrt_every_input(fmt):
    f = get_format(fmt)
    a = np.arange(1 << f.width, dtype=np.uint64)
    for rm in ROUNDING_MODES:
        for sat in [False, True] if not f.ieee else [False]:
            assert _disagreements(reference, "sqrt", f, [a], rm, sat) == [], (rm, sat)


@pytest.mark.parametrize("fmt", ["fp32", "e8m15"])
def test_sqrt_random_and_boundary(fmt):
    f = get_format(fmt)
    for k, rm in enumerate(ROUNDING_MODES):
        a = vectors.for_unit(spikefp.unit(f"{fmt}.sqrt", rm=rm), 20_000, seed=50 + k)["a"]
        assert _disagreements(reference, "sqrt", f, [a], rm) == [], rm


@pytest.mark.parametrize("op", ["div", "sqrt"])
@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp8e4m3"])
def test_agrees_with_mpfr(fmt, op):
    """Two independent references: MPFR (gmpy2) and the vectorized one."""
    f = get_format(fmt)
    for k, rm in enumerate(ROUNDING_MODES):
        v = vectors.mixed(f, op, 1500, seed=60 + k)
        cols = [v["a"], v["b"]][:1 if op == "sqrt" else 2]
        assert _disagreements(mpfr_ref, op, f, cols, rm) == [], rm


@pytest.mark.parametrize("name", ["fp16.div", "bf16.div", "fp16.sqrt", "bf16.sqrt", "fp8e4m3.div"])
def test_agrees_with_exact_engine(name):
    """The units in every mode (a dynamic-rm unit, codes 0..7), through `check.check`, which
    now takes its expected values from the vectorized reference."""
    u = spikefp.unit(name, dynamic=True)
    assert fastref.OPS[u.operation.reference] in (fastref.div, fastref.sqrt)
    v = vectors.for_unit(u, 200_000, seed=7)
    r = check.check(u, v, jobs=1)
    assert (r.vectors, r.mismatches) == (len(v["a"]), 0), str(r)


def test_every_fp16_sqrt_against_exact_engine():
    for rm in ROUNDING_MODES:
        u = spikefp.unit("fp16.sqrt", rm=rm)
        r = check.check(u, {"a": np.arange(1 << 16, dtype=np.uint64)}, jobs=1)
        assert (r.vectors, r.mismatches) == (1 << 16, 0), str(r)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
def test_div_ten_million_per_mode_against_exact_engine(fmt):
    """10^7 uniform operand pairs per mode through the exact engine and the vectorized reference."""
    rng = np.random.default_rng(17)
    for rm in ROUNDING_MODES:
        u = spikefp.unit(f"{fmt}.div", rm=rm)
        sim = pysim.compile(u.netlist)
        a, b = (rng.integers(0, 1 << 16, 10**7, dtype=np.uint64) for _ in range(2))
        t = time.perf_counter()
        y, fl = fastref.div(u.fmt, a, b, rm)
        t_ref = time.perf_counter() - t
        got = sim.run(a=a, b=b)
        assert np.array_equal(got["y"], y) and np.array_equal(got["flags"], fl), rm
        print(f"{fmt}.div {rm}: fastref {10**7 / t_ref:,.0f} vectors/s")
