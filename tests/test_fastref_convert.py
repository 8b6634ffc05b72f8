"""The vectorized conversions (`spikefp.verify.fastref.convert`) against the integer reference,
the MPFR reference and the units' exact engine: results and flags, bit for bit."""

import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import FPFormat, ROUNDING_MODES, get_format, get_int_format
from spikefp.verify import check, fastref, mpfr_ref, reference, vectors

FLOATS = ["fp8e4m3", "fp8e5m2", "fp16", "bf16", "fp32", "e3m3"]
INTS = ["i32", "u32", "i64", "u64"]


def _fmt(name):
    return get_format(name) if name in FLOATS else get_int_format(name)


def _disagreements(module, src, dst, a, rm, saturate):
    kw = {"saturate": saturate} if isinstance(dst, FPFormat) else {}
    y, fl = fastref.convert(src, a, rm, target=dst, **kw)
    got = list(zip(y.tolist(), fl.tolist()))
    return [(hex(x), got[i]) for i, x in enumerate(a.tolist())
            if module.convert(src, x, rm, target=dst, **kw) != got[i]][:5]


def _saturations(src, dst):
    return [False, True] if isinstance(dst, FPFormat) and not (getattr(src, "ieee", True) and dst.ieee) else [False]


def _inputs(src, rng):
    """Every pattern of an 8-bit source, every 7th of a 16-bit one with the specials,
    else boundary-weighted and uniform patterns (integers: `vectors.for_unit`)."""
    if isinstance(src, FPFormat) and src.width <= 8:
        return np.arange(1 << src.width, dtype=np.uint64)
    if isinstance(src, FPFormat) and src.width <= 16:
        return np.concatenate([np.arange(0, 1 << 16, 7, dtype=np.uint64), vectors.specials(src, 1)["a"]])
    target = "fp16" if not isinstance(src, FPFormat) else "bf16"
    return vectors.for_unit(spikefp.unit(f"{src.name}.to_{target}"), 4000, seed=int(rng.integers(1 << 30)))["a"]


@pytest.mark.parametrize("src", FLOATS + ["i32", "u32"])
def test_convert_matches_integer_reference(src):
    src = _fmt(src)
    rng = np.random.default_rng(5)
    a = _inputs(src, rng)
    targets = FLOATS + INTS if isinstance(src, FPFormat) else FLOATS
    for dst in map(_fmt, targets):
        if dst == src:
            continue
        for rm in ROUNDING_MODES:
            for sat in _saturations(src, dst):
                assert _disagreements(reference, src, dst, a, rm, sat) == [], (src.name, dst.name, rm, sat)


@pytest.mark.parametrize("src,dst", [("fp16", "fp8e4m3"), ("bf16", "fp16"), ("fp32", "bf16"), ("fp16", "i32"),
                                     ("bf16", "u64"), ("i32", "fp16"), ("u32", "bf16")])
def test_convert_agrees_with_mpfr(src, dst):
    """Two independent references: MPFR (gmpy2) and the vectorized one."""
    src, dst = _fmt(src), _fmt(dst)
    a = _inputs(src, np.random.default_rng(6))[::6]
    for rm in ROUNDING_MODES:
        assert _disagreements(mpfr_ref, src, dst, a, rm, False) == [], rm


@pytest.mark.parametrize("name", ["fp16.to_fp8e4m3", "fp16.to_bf16", "bf16.to_fp16", "fp16.to_i32", "bf16.to_u64",
                                  "fp32.to_fp16", "i32.to_fp16", "u32.to_bf16", "fp16.to_fp32"])
def test_every_input_against_exact_engine(name):
    """Every 16-bit input (others: 10^5 boundary-weighted ones) in every dynamic rm code 0..7,
    through `check.check`, which takes the vectorized reference (codes 5-7 included)."""
    u = spikefp.unit(name, dynamic=name != "fp16.to_fp32")       # widening never rounds
    assert fastref.supported(u.fmt, **u.reference_params)
    v = vectors.exhaustive_for(u) if u.fmt.width <= 16 else vectors.for_unit(u, 100_000, seed=3)
    codes = None
    a = v["a"]
    if u.dynamic:
        a, codes = np.repeat(a, 8), np.tile(np.arange(8, dtype=np.uint64), len(a))
    r = check.check(u, {"a": a}, rm_codes=codes, jobs=1)
    assert (r.vectors, r.mismatches) == (len(a), 0), str(r)


def test_supported_conversions():
    f16, f64, i32, i64 = get_format("fp16"), get_format("fp64"), get_int_format("i32"), get_int_format("i64")
    assert fastref.supported(f16, target=i64) and fastref.supported(i32, target=f16)
    assert not fastref.supported(f16, target=f64) and not fastref.supported(i64, target=f16)
    assert not fastref.supported(i32)
    with pytest.raises(ValueError, match="does not convert fp16 to fp64"):
        fastref.convert(f16, np.array([0]), "rne", target=f64)


@pytest.mark.slow
@pytest.mark.parametrize("src", ["fp16", "bf16"])
def test_every_16bit_input_every_target_every_mode(src):
    """Every fp16 / bf16 pattern to every float and integer target in all modes, against the
    integer reference (~2.6 million scalar calls a source)."""
    src = _fmt(src)
    a = np.arange(1 << 16, dtype=np.uint64)
    for dst in map(_fmt, FLOATS + INTS):
        for rm in ROUNDING_MODES:
            for sat in _saturations(src, dst) if dst != src else []:
                assert _disagreements(reference, src, dst, a, rm, sat) == [], (src.name, dst.name, rm, sat)
