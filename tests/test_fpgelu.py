"""gelu (generators/fpgelu.py): correctly rounded x Phi(x) against the MPFR reference, result and flags."""

import ml_dtypes
import mpmath
import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import get_format
from spikefp.generators.fpgelu import plan
from spikefp.verify import check, vectors

MODES = ["rne", "rtz", "rdn", "rup", "rmm"]


def _run(u, a, codes=None):
    if u.dynamic:
        n = len(a)
        a, codes = np.tile(a, 8), np.repeat(np.arange(8, dtype=np.uint64), n)
    r = check.check(u, {"a": np.asarray(a, dtype=np.uint64)}, codes)
    assert r.mismatches == 0, str(r)
    return r


def _sample(fmt: str, n: int, seed: int = 14) -> np.ndarray:
    """Specials, then |x| near the thresholds (tiny, segment edges, T_max, 2^I) and
    log-uniform over the range where gelu is not trivial, then uniform bit patterns."""
    f, P = get_format(fmt), plan(get_format(fmt))
    rng = np.random.default_rng(seed)
    dt = {"fp16": np.float16, "bf16": ml_dtypes.bfloat16, "fp32": np.float32, "fp64": np.float64}[fmt]
    ut = {16: np.uint16, 32: np.uint32, 64: np.uint64}[f.width]
    edges = [k / 16 for k in range(1, 16 << P.I)] + [P.t_max, 2.0 ** P.I, 2.0 ** -(P.W - 4)]
    near = np.array(edges, dtype=dt).view(ut).astype(np.int64)
    near = np.clip(near[:, None] + np.arange(-2, 3)[None, :], 0, (1 << (f.width - 1)) - 1).ravel()
    logu = (2.0 ** rng.uniform(-P.W - 2, P.I + 1, n // 2)).astype(dt).view(ut).astype(np.int64)
    mags = np.concatenate([near, logu, rng.integers(0, 1 << (f.width - 1), n // 4)])
    signs = rng.integers(0, 2, len(mags)) << (f.width - 1)
    spec = np.array(vectors.special_values(f), dtype=np.uint64)
    return np.concatenate([spec, (mags.astype(np.uint64) | signs.astype(np.uint64))])


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
@pytest.mark.parametrize("rm", MODES + ["dyn"])
def test_fp8_every_input(fmt, rm):
    u = spikefp.unit(f"{fmt}.gelu", dynamic=True) if rm == "dyn" else spikefp.unit(f"{fmt}.gelu", rm=rm)
    assert _run(u, np.arange(256)).vectors == 256 * (8 if rm == "dyn" else 1)


@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
def test_16_bit_slice(fmt):
    """Every 4th input (both signs, all exponents) plus the thresholds, RNE; all inputs in the slow test."""
    a = np.concatenate([np.arange(0, 1 << 16, 4), _sample(fmt, 0)])
    _run(spikefp.unit(f"{fmt}.gelu"), np.unique(a))


@pytest.mark.parametrize("fmt, n", [("fp32", 3000), pytest.param("fp64", 1000, marks=pytest.mark.slow)])
def test_wide_formats_sampled(fmt, n):
    _run(spikefp.unit(f"{fmt}.gelu"), _sample(fmt, n))


def test_specials_and_tiny():
    f = get_format("fp16")
    u = spikefp.unit("fp16.gelu", dynamic=True)
    net = u.netlist
    # +inf, -inf -> -0 exact, +-0, a signaling NaN -> canonical NaN + NV, tiny +-x -> x/2 +- (rounded)
    for a, rm, y, flags in [(0x7c00, 0, 0x7c00, 0), (0xfc00, 0, 0x8000, 0), (0x0000, 2, 0x0000, 0),
                            (0x8000, 3, 0x8000, 0), (0x7d00, 0, f.canonical_nan, 0x10),
                            (0x0001, 0, 0x0001, 0x03), (0x0001, 1, 0x0000, 0x03), (0x8001, 0, 0x8000, 0x03),
                            (0x8001, 2, 0x8001, 0x03)]:
        assert net.evaluate(a=a, rm=rm) == {"y": y, "flags": flags}, hex(a)


def test_table_error_is_within_the_analysis():
    """The fixed-point Horner model of r = 2^j R(t) stays within 2^-(W+3) of the exact value (fp32)."""
    P = plan(get_format("fp32"))
    t, rng = P.table, np.random.default_rng(1)
    with mpmath.workprec(200):
        for q in list(range(8)) + list(rng.integers(0, 16 * 14, 24)):
            for u in [0, (1 << t.u_bits) - 1] + [int(x) for x in rng.integers(0, 1 << t.u_bits, 4, dtype=np.uint64)]:
                x = mpmath.mpf(int(q) * (1 << t.u_bits) + (1 << t.u_bits) - 1 - u) / mpmath.mpf(2) ** P.F
                exact = mpmath.erfc(x / mpmath.sqrt(2)) / 2 * mpmath.exp(x * x / 2) * 2 ** P.j[q]
                got = mpmath.mpf(t.model(int(q), u)) / mpmath.mpf(2) ** t.fracs[0]
                assert abs(exact - got) < exact * mpmath.mpf(2) ** -(P.W + 3), (q, u)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
@pytest.mark.parametrize("rm", MODES + ["dyn"])
def test_16_bit_every_input(fmt, rm):
    u = spikefp.unit(f"{fmt}.gelu", dynamic=True) if rm == "dyn" else spikefp.unit(f"{fmt}.gelu", rm=rm)
    _run(u, np.arange(1 << 16))


@pytest.mark.slow
@pytest.mark.parametrize("fmt, n", [("fp32", 1_000_000), ("fp64", 100_000)])
@pytest.mark.parametrize("rm", MODES)
def test_wide_formats_campaign(fmt, n, rm):
    _run(spikefp.unit(f"{fmt}.gelu", rm=rm), _sample(fmt, n, seed=MODES.index(rm)))
