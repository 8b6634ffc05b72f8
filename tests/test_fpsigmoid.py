"""sigmoid, tanh and silu units (generators/fpsigmoid.py) against the MPFR references: result and flags."""

import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import get_format
from spikefp.generators.fpsigmoid import widths
from spikefp.verify import check, vectors

FNS = ["sigmoid", "tanh", "silu"]
MODES = ["rne", "rtz", "rdn", "rup", "rmm"]


def _where_it_matters(fmt: str, n: int, seed: int) -> np.ndarray:
    """Random operands of both signs with |x| between 2^-(s+3) (below the small-argument
    threshold) and 2^(int_bits+1) (past the clamp): the exponential path and its edges."""
    f = get_format(fmt)
    wd = widths(f)
    rng = np.random.default_rng(seed)
    e = rng.integers(f.bias - wd.s - 3, f.bias + wd.int_bits + 2, n, dtype=np.uint64)
    frac = rng.integers(0, 1 << min(f.M, 62), n, dtype=np.uint64)
    if f.M > 62:
        raise ValueError("format too wide")
    sign = rng.integers(0, 2, n, dtype=np.uint64)
    # Structured operands, 2^e (1 + j/8): results at a fixed tiny distance from a grid point.
    es, js, ss = np.meshgrid(np.arange(f.bias - wd.s - 3, f.bias + wd.int_bits + 2, dtype=np.uint64),
                             np.arange(8, dtype=np.uint64), np.arange(2, dtype=np.uint64))
    few = (ss << np.uint64(f.width - 1)) | (es << np.uint64(f.M)) | (js << np.uint64(f.M - 3))
    return np.concatenate([few.ravel(), (sign << np.uint64(f.width - 1)) | (e << np.uint64(f.M)) | frac])


def _vectors(u, n: int, seed: int = 3) -> dict:
    """Every input when there are at most 2^16, else specials and boundary cases (``n``)
    and as many operands where the function is not flat."""
    if u.operand_bits <= 8 or n is None:
        return vectors.exhaustive_for(u)
    v = vectors.for_unit(u, n, seed=seed)
    return {"a": np.concatenate([v["a"], _where_it_matters(u.fmt.name, n, seed)])}


def _check(name: str, rm: str, n=None, seed: int = 3):
    dyn = rm == "dyn"
    u = spikefp.unit(name, dynamic=True) if dyn else spikefp.unit(name, rm=rm)
    v = _vectors(u, n, seed)
    codes = np.arange(len(v["a"]), dtype=np.uint64) % np.uint64(8) if dyn else None
    r = check.check(u, v, codes)
    assert r.mismatches == 0, str(r)
    return r


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("rm", MODES + ["dyn"])
def test_fp8_every_input(fmt, fn, rm):
    assert _check(f"{fmt}.{fn}", rm).vectors == 256


@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
@pytest.mark.parametrize("fn", FNS)
def test_16_bit_slice(fmt, fn):
    """A deterministic slice: specials, boundary cases and 10,000 operands where it matters."""
    _check(f"{fmt}.{fn}", "rne", 5000)


@pytest.mark.parametrize("fmt, n", [("fp32", 1500), pytest.param("fp64", 300, marks=pytest.mark.slow), ("e6m9", 1000)])  # fp64: 57-110k neurons to build
@pytest.mark.parametrize("fn", FNS)
def test_wide_formats_on_samples(fmt, n, fn):
    _check(f"{fmt}.{fn}", "rne", n)
    if fmt != "fp64":             # fp64's dynamic units are built (and slow-checked) elsewhere
        _check(f"{fmt}.{fn}", "dyn", n // 2, seed=4)


def test_specials_and_exact_cases():
    """DESIGN.md's specials, by hand (fp16): results and flags."""
    ev = lambda fn, a, rm="rne": tuple(spikefp.unit(f"fp16.{fn}", rm=rm).netlist.evaluate(a=a).values())
    assert ev("sigmoid", 0x0000) == (0x3800, 0) and ev("sigmoid", 0x8000) == (0x3800, 0)   # 1/2 exact
    assert ev("sigmoid", 0x7c00) == (0x3c00, 0) and ev("sigmoid", 0xfc00) == (0x0000, 0)
    assert ev("tanh", 0x7c00) == (0x3c00, 0) and ev("tanh", 0xfc00) == (0xbc00, 0)
    assert ev("tanh", 0x8000) == (0x8000, 0) and ev("silu", 0x8000) == (0x8000, 0)
    assert ev("silu", 0x7c00) == (0x7c00, 0) and ev("silu", 0xfc00) == (0x8000, 0)
    assert ev("silu", 0x7d00) == (0x7e00, 0x10)                      # signaling NaN: NV
    assert ev("tanh", 0x4900, "rtz") == (0x3bff, 1)                 # tanh(10) just below 1
    assert ev("silu", 0xd640, "rdn") == (0x8001, 3)                 # silu(-100): tiny, UF|NX


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2", "fp16", "bf16", "fp32", pytest.param("fp64", marks=pytest.mark.slow), "e6m9"])
def test_every_format_builds_static_and_dynamic(fmt):
    for fn in FNS:
        for u in (spikefp.unit(f"{fmt}.{fn}"), spikefp.unit(f"{fmt}.{fn}", dynamic=True)):
            assert u.stats()["neurons"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["fp16", "bf16"])
@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("rm", MODES + ["dyn"])
def test_16_bit_every_input(fmt, fn, rm):
    assert _check(f"{fmt}.{fn}", rm).vectors == 65536


@pytest.mark.slow
@pytest.mark.parametrize("fmt, n", [("fp32", 500_000), ("fp64", 50_000)])
@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("rm", MODES)
def test_wide_formats_campaign(fmt, n, fn, rm):
    """>= 10^6 (fp32) and 10^5 (fp64) operands per function and mode, half where it matters."""
    _check(f"{fmt}.{fn}", rm, n, seed=11)


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
@pytest.mark.parametrize("fn", FNS)
def test_select_division_step(fmt, fn):
    """The alternative division step (arch=select) gives the same results."""
    for dyn in (False, True):
        u = spikefp.unit(f"{fmt}.{fn}", arch="select", dynamic=dyn)
        v = vectors.exhaustive_for(u)
        codes = np.arange(256, dtype=np.uint64) % np.uint64(8) if dyn else None
        assert check.check(u, v, codes).mismatches == 0


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="arch='srt' is not one of restoring, select"):
        spikefp.unit("fp16.tanh", arch="srt")
