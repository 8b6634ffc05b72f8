"""Floats in, floats out: units called on numpy arrays and torch tensors equal the native arithmetic.

The native arithmetic is correctly rounded for the five operations compared (RNE):
numpy float32/float64 and torch float32 compute in their own precision (SSE/AVX, IEEE);
numpy float16, ml_dtypes (bfloat16, float8) and torch bfloat16 compute in float32 and
round the result once more. That double rounding is innocuous for + - * / and sqrt
whenever the wider precision is at least 2p + 2 (Figueroa, "When is double rounding
innocuous?", 1995): 24 >= 2*11 + 2 for float16, and larger margins for bfloat16 (p = 8)
and FP8 (p = 4, 3), and it covers the overflow threshold too. So every case is compared
bit for bit on uniformly random bit patterns (subnormals, NaNs, and a grid of specials
with the infinities), NaN positions aside: two NaNs are equal whatever their payload
and sign (the units give the canonical NaN, the native libraries propagate payloads).

E4M3 (ml_dtypes float8_e4m3fn, OCP "fn") has no infinity: `test_e4m3_overflow_rule`
states and checks the rule that both our unit (without ``saturate``) and ml_dtypes
follow, so the random comparison hides no case.
"""

import subprocess
import sys
import zlib

import ml_dtypes
import numpy as np
import pytest
import torch

import spikefp
from spikefp.generators.fpformat import get_format
from spikefp.verify import reference

N = 100_000
OPS = ("add", "sub", "mul", "div", "sqrt")
NUMPY_OPS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "sqrt": np.sqrt}
TORCH_OPS = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "sqrt": torch.sqrt}
# torch's float32 sqrt on CPU is not correctly rounded (torch 2.13, AVX512: about 8% of
# random operands are one ulp off; `test_torch_fp32_sqrt_within_one_ulp`), so the
# comparison takes torch's float64 sqrt rounded to float32: innocuous double rounding, 53 >= 2*24 + 2.
TORCH_FP32_SQRT = {"sqrt": lambda x: torch.sqrt(x.double()).float()}
DTYPE = {"fp16": np.float16, "fp32": np.float32, "fp64": np.float64, "bf16": ml_dtypes.bfloat16,
         "fp8e4m3": ml_dtypes.float8_e4m3fn, "fp8e5m2": ml_dtypes.float8_e5m2}
TORCH_DTYPE = {"fp32": torch.float32, "bf16": torch.bfloat16}
TORCH_FP8 = {"fp8e4m3": torch.float8_e4m3fn, "fp8e5m2": torch.float8_e5m2}
UINT = {8: np.uint8, 16: np.uint16, 32: np.uint32, 64: np.uint64}
CASES = [("numpy", "fp16"), ("numpy", "fp32"), ("numpy", "fp64"), ("ml_dtypes", "bf16"),
         ("ml_dtypes", "fp8e4m3"), ("ml_dtypes", "fp8e5m2"), ("torch", "fp32"), ("torch", "bf16")]


def specials(f) -> list[int]:
    """Zeros, the subnormal and normal boundaries, the largest finite, one, infinities, NaNs: both signs."""
    one = f.bias << f.M
    pos = [0, 1, (1 << f.M) - 1, 1 << f.M, f.max_finite, one, one + 1, f.canonical_nan]
    if f.ieee:
        pos += [f.inf, f.inf + 1]               # and a signaling NaN
    return pos + [p | f.sign_bit for p in pos]


def operands(f, arity: int, seed: int) -> list[np.ndarray]:
    """``arity`` arrays of N uniformly random bit patterns, the first ones every pair of specials."""
    rng = np.random.default_rng(seed)
    dt = UINT[f.width]
    ops = [rng.integers(0, np.iinfo(dt).max, N, dtype=dt, endpoint=True) for _ in range(arity)]
    s = np.array(specials(f), dt)
    grid = np.meshgrid(*[s] * arity)
    for x, g in zip(ops, grid):
        x[:g.size] = g.ravel()
    return ops


def is_nan(f, bits: np.ndarray) -> np.ndarray:
    bits = bits.astype(np.uint64)
    e, frac = (bits >> np.uint64(f.M)) & np.uint64(f.exp_ones), bits & np.uint64((1 << f.M) - 1)
    nan_frac = frac != 0 if f.ieee else frac == np.uint64((1 << f.M) - 1)
    return (e == np.uint64(f.exp_ones)) & nan_frac


def assert_same_bits(f, got: np.ndarray, want: np.ndarray, args: list[np.ndarray], what: str):
    """Bit for bit, NaN positions aside (two NaNs are equal)."""
    nan = is_nan(f, got)
    bad = (nan != is_nan(f, want)) | (~nan & (got != want))
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(f"{what}: {int(bad.sum())} of {bad.size} differ; first: operands "
                             f"{[hex(int(a[i])) for a in args]} gave {int(got[i]):#x}, native {int(want[i]):#x}")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("lib,fmt", CASES, ids=[f"{lib}-{fmt}" for lib, fmt in CASES])
def test_equals_native_arithmetic(lib, fmt, op):
    f = get_format(fmt)
    u = spikefp.unit(f"{fmt}.{op}")
    bits = operands(f, u.arity, seed=zlib.crc32(f"{lib}{fmt}{op}".encode()))
    if lib == "torch":
        ts = [torch.from_numpy(b.view(f"int{f.width}")).view(TORCH_DTYPE[fmt]) for b in bits]
        y, flags = u(*ts, flags=True)
        assert y.dtype == TORCH_DTYPE[fmt] and flags.dtype == torch.uint8 and y.shape == (N,)
        got, want = (t.view(torch.int16 if f.width == 16 else torch.int32).numpy().view(UINT[f.width])
                     for t in (y, {**TORCH_OPS, **(TORCH_FP32_SQRT if fmt == "fp32" else {})}[op](*ts)))
        flags = flags.numpy()
    else:
        xs = [b.view(DTYPE[fmt]) for b in bits]
        y, flags = u(*xs, flags=True)
        assert y.dtype == DTYPE[fmt] and flags.dtype == np.uint8 and y.shape == (N,)
        with np.errstate(all="ignore"):
            native = NUMPY_OPS[op](*xs)
        assert native.dtype == DTYPE[fmt]
        got, want = y.view(UINT[f.width]), native.view(UINT[f.width])
    assert_same_bits(f, got, want, bits, f"{lib} {fmt}.{op}")
    # Flags (and results, NaNs included) against the exact reference on a sample: every
    # pair of specials and 400 random vectors after them.
    ref = reference.OPS[op]
    for i in [*range(len(specials(f)) ** u.arity), *range(N // 400, N, N // 400)]:
        assert (int(got[i]), int(flags[i])) == ref(f, *(int(b[i]) for b in bits), rm="rne"), i


def test_torch_fp32_sqrt_within_one_ulp():
    """torch's own float32 sqrt (see TORCH_FP32_SQRT) is within one ulp of the unit's correctly rounded one."""
    (bits,) = operands(get_format("fp32"), 1, seed=11)
    x = torch.from_numpy(bits.view(np.int32)).view(torch.float32)
    got = spikefp.unit("fp32.sqrt")(x).view(torch.int32).numpy().astype(np.int64)
    native = torch.sqrt(x).view(torch.int32).numpy().astype(np.int64)
    finite = ~torch.isnan(torch.sqrt(x)).numpy()
    assert np.abs(got - native)[finite].max() <= 1


def test_e4m3_overflow_rule():
    """E4M3 has no infinity. Rule (DESIGN.md, OCP "fn"): a result whose RNE rounding with an
    unbounded exponent exceeds 448 is NaN (S.1111.111), and so are x/0 for x != 0; ties at
    the 464 midpoint go to even (448). ml_dtypes' float8_e4m3fn follows the same rule when it
    rounds its float32 result, so `test_equals_native_arithmetic` compares against it as is;
    ``saturate=True`` gives 448 instead."""
    x = ml_dtypes.float8_e4m3fn
    a, b = np.array([448, 448, 448, -448, 448, 1], x), np.array([8, 16, 32, -32, 448, 0], x)
    want = ["448", "448", "nan", "nan", "nan", "nan"]
    # the ml_dtypes float8_e4m3fn arithmetic the comparison trusts:
    with np.errstate(divide="ignore"):
        native = np.concatenate([a[:5] + b[:5], a[5:] / b[5:]])
    assert [str(v) for v in native] == want
    got = np.concatenate([spikefp.unit("fp8e4m3.add")(a[:5], b[:5]), spikefp.unit("fp8e4m3.div")(a[5:], b[5:])])
    assert [str(v) for v in got] == want
    assert got[2:].view(np.uint8).tolist() == [0x7F] * 4          # the canonical NaN, whatever the sign
    sat = spikefp.unit("fp8e4m3.add", saturate=True)(a[:5], b[:5])
    assert [str(v) for v in sat] == ["448", "448", "448", "-448", "448"]


@pytest.mark.parametrize("src,dst", [("fp32", "fp16"), ("fp64", "fp32"), ("fp64", "fp16")])
def test_conversions_equal_astype(src, dst):
    f, g = get_format(src), get_format(dst)
    (bits,) = operands(f, 1, seed=7)
    y = spikefp.unit(f"{src}.to_{dst}")(bits.view(DTYPE[src]))
    assert y.dtype == DTYPE[dst]
    with np.errstate(all="ignore"):
        want = bits.view(DTYPE[src]).astype(DTYPE[dst])
    assert_same_bits(g, y.view(UINT[g.width]), want.view(UINT[g.width]), [bits], f"{src}.to_{dst}")


def test_torch_conversion_to_bf16():
    (bits,) = operands(get_format("fp32"), 1, seed=8)
    t = torch.from_numpy(bits.view(np.int32)).view(torch.float32)
    y = spikefp.unit("fp32.to_bf16")(t)
    assert y.dtype == torch.bfloat16
    assert_same_bits(get_format("bf16"), y.view(torch.int16).numpy().view(np.uint16),
                     t.to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16), [bits], "fp32.to_bf16")


def test_broadcasting_and_shapes():
    add = spikefp.unit("fp32.add")
    a = np.float32([[1], [2], [3]])
    b = np.float32([10, 20, 30, 40])
    y = add(a, b)
    assert y.dtype == np.float32 and y.shape == (3, 4)
    assert np.array_equal(y, a + b)
    s = add(np.array(0.5, np.float32), np.array(0.25, np.float32))     # scalars as 0-d arrays
    assert s.shape == () and s.dtype == np.float32 and s == 0.75
    assert add(np.float32(1), b).tolist() == [11, 21, 31, 41]          # a numpy scalar is a 0-d array
    m = np.arange(12, dtype=np.float16).reshape(3, 4)
    assert np.array_equal(spikefp.unit("fp16.mul")(m.T, m.T), m.T * m.T)   # strided views, 2-D kept


def test_torch_kind_dtype_device_shape():
    mul = spikefp.unit("bf16.mul")
    a = torch.tensor([[1.5], [-2.0], [3.0]], dtype=torch.bfloat16, requires_grad=True)
    b = torch.tensor([0.1, 7.0, -0.0, 2e38], dtype=torch.bfloat16)
    y, flags = mul(a, b, flags=True)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.bfloat16 and y.device == a.device
    assert y.shape == (3, 4) and flags.shape == (3, 4) and flags.dtype == torch.uint8
    assert torch.equal(y.view(torch.int16), (a.detach() * b).view(torch.int16))
    assert flags[2, 3].item() == 0x05                   # 6e38 overflows bf16: OF | NX
    lt = spikefp.unit("fp32.lt")(torch.tensor([1.0, 2.0]).t(), torch.tensor(1.5))
    assert lt.dtype == torch.bool and lt.tolist() == [True, False]


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
def test_torch_fp8_and_integer_tensors(fmt):
    """torch float8 tensors (which have no CPU arithmetic to compare with) give the bits of the
    ml_dtypes path on all 65,536 pairs; unsigned integer tensors feed conversions."""
    a, b = np.meshgrid(np.arange(256, dtype=np.uint8), np.arange(256, dtype=np.uint8))
    u = spikefp.unit(f"{fmt}.mul")
    t = u(torch.from_numpy(a).view(TORCH_FP8[fmt]), torch.from_numpy(b).view(TORCH_FP8[fmt]))
    assert t.dtype == TORCH_FP8[fmt] and t.shape == (256, 256)
    assert np.array_equal(t.view(torch.uint8).numpy(), u(a.view(DTYPE[fmt]), b.view(DTYPE[fmt])).view(np.uint8))
    y = spikefp.unit("u64.to_fp64")(torch.tensor([2**63 + 5, 3], dtype=torch.uint64))
    assert y.dtype == torch.float64 and y.tolist() == [2.0**63, 3.0]


def test_flags_numpy():
    y, flags = spikefp.unit("fp16.div")(np.float16([1, 0, 1, 6e4]), np.float16([0, 0, 3, 0.5]), flags=True)
    assert flags.dtype == np.uint8 and flags.tolist() == [0x08, 0x10, 0x01, 0x05]   # DZ, NV, NX, OF|NX
    assert str(y.tolist()) == "[inf, nan, 0.333251953125, inf]"


def test_dynamic_rm_equals_static_units():
    f = get_format("fp16")
    a, b = (x.view(np.float16) for x in operands(f, 2, seed=3))
    dyn = spikefp.unit("fp16.add", dynamic=True)
    static = [spikefp.unit("fp16.add", rm=m)(a, b).view(np.uint16) for m in ("rne", "rtz", "rdn", "rup", "rmm")]
    for code, m in enumerate(("rne", "rtz", "rdn", "rup", "rmm")):
        assert np.array_equal(dyn(a, b, rm=m).view(np.uint16), static[code])
        assert np.array_equal(dyn(a, b, rm=code).view(np.uint16), static[code])
    every = dyn(a, b, rm=np.arange(5).reshape(5, 1))          # an array of codes broadcasts
    assert every.shape == (5, N) and np.array_equal(every.view(np.uint16), np.stack(static))
    y, flags = dyn(a[:3], b[:3], rm=np.uint8(6), flags=True)   # codes 5-7: invalid, NV, canonical NaN
    assert y.view(np.uint16).tolist() == [0x7E00] * 3 and flags.tolist() == [0x10] * 3
    t = dyn(torch.from_numpy(a[:4]), torch.from_numpy(b[:4]), rm=torch.tensor([0, 1, 2, 3]))
    assert np.array_equal(t.numpy().view(np.uint16), np.stack(static)[np.arange(4), np.arange(4)])


def test_static_unit_accepts_its_own_rm():
    u = spikefp.unit("fp32.mul", rm="rup")
    x = np.float32([1.1])
    assert u(x, x, rm="rup") == u(x, x, rm=3) == u(x, x)


def test_comparisons_classify_integer_conversions():
    x = np.float32([1, 2, np.nan, -0.0])
    y = np.float32([2, 2, 1, 0.0])
    for op, want in [("eq", [False, True, False, True]), ("lt", [True, False, False, False]),
                     ("le", [True, True, False, True])]:
        r = spikefp.unit(f"fp32.{op}")(x, y)
        assert r.dtype == np.bool_ and r.tolist() == want
    assert spikefp.unit("fp32.max")(x, y).tolist() == [2, 2, 1, 0]
    c = spikefp.unit("fp16.classify")(np.float16([-np.inf, 1, -0.0, np.nan]))
    assert c.dtype == np.uint16 and c.tolist() == [1, 64, 8, 512]
    v = np.float64([-2.5, 2.5, 3.5, 1e10, -1e10, np.nan])
    i = spikefp.unit("fp64.to_i32")(v)
    assert i.dtype == np.int32 and i.tolist() == [-2, 2, 4, 2**31 - 1, -2**31, 2**31 - 1]
    u = spikefp.unit("fp64.to_u64", rm="rtz")(v)
    assert u.dtype == np.uint64 and u.tolist() == [0, 2, 3, 10**10, 0, 2**64 - 1]
    n = np.array([-7, 2**31 - 1, 16777217], np.int32)
    back = spikefp.unit("i32.to_fp32")(n)
    assert back.dtype == np.float32 and np.array_equal(back, n.astype(np.float32))
    t = spikefp.unit("fp32.to_u32")(torch.tensor([3.7, -1.0]))
    assert t.dtype == torch.uint32 and t.tolist() == [4, 0]


def test_custom_format_stays_on_bit_patterns():
    add = spikefp.unit("e6m9.add")
    one = 31 << 9
    y = add(np.uint16([one, one]), np.uint16(one))
    assert y.dtype == np.uint16 and y.tolist() == [32 << 9] * 2        # 1 + 1 = 2
    assert spikefp.unit("e6m9.to_fp32")(np.uint16([one])).tolist() == [1.0]
    assert spikefp.unit("fp32.to_e6m9")(np.float32([2.0])).tolist() == [32 << 9]
    assert add(torch.tensor([one], dtype=torch.uint16), torch.tensor([one], dtype=torch.uint16)).dtype == torch.uint16
    with pytest.raises(ValueError, match=r"^e6m9.add: operand a has dtype float16; expected uint16 \(no silent"):
        add(np.float16([1]), np.uint16([one]))


def test_errors():
    add = spikefp.unit("fp16.add")
    h = np.float16([1.0])

    def err(*args, **kw):
        with pytest.raises(ValueError) as e:
            add(*args, **kw)
        return str(e.value)

    assert err(np.float32([1]), h) == "fp16.add: operand a has dtype float32; expected float16 (no silent casts)"
    assert err(h, np.uint16([0x3C00])) == ("fp16.add: operand b has dtype uint16; expected float16 values "
                                          "(bit patterns go through spikefp.pysim)")
    assert err(torch.tensor([1.0]), torch.tensor([1.0])) == \
        "fp16.add: operand a has dtype torch.float32; expected torch.float16 (no silent casts)"
    assert err(h, torch.tensor([1.0], dtype=torch.float16)) == \
        "fp16.add: operands mix numpy arrays and torch tensors (operand b is a Tensor); pass one kind"
    assert err(torch.tensor([1.0], dtype=torch.float16), h) == \
        "fp16.add: operands mix numpy arrays and torch tensors (operand b is a ndarray); pass one kind"
    assert err(1.0, h) == "fp16.add: operand a is a float; pass a numpy array of float16"
    assert err(h, [1.0]) == "fp16.add: operand b is a list; pass a numpy array of float16"
    assert err(h) == "fp16.add takes 2 operands (a, b), got 1"
    assert err(h, h, rm="rtz") == ("fp16.add is built for rm='rne'; for rm='rtz' build it with "
                                   "spikefp.unit('fp16.add', dynamic=True)")
    assert err(h, h, rm=1).endswith("build it with spikefp.unit('fp16.add', dynamic=True)")
    dyn = spikefp.unit("fp16.add", dynamic=True)
    with pytest.raises(ValueError, match=r"^fp16.add is dynamic: pass rm="):
        dyn(h, h)
    with pytest.raises(ValueError, match=r"^rm codes must lie in 0..7 \(got 8\)$"):
        dyn(h, h, rm=np.array([0, 8]))
    with pytest.raises(ValueError, match=r"^unknown rounding mode 'near'"):
        dyn(h, h, rm="near")
    with pytest.raises(ValueError, match=r"^fp16.lt never rounds: it takes no rm$"):
        spikefp.unit("fp16.lt")(h, h, rm="rne")
    with pytest.raises(ValueError, match=r"^i32.to_fp32: operand a has dtype int64; expected int32 \(no silent"):
        spikefp.unit("i32.to_fp32")(np.int64([1]))


def test_unit_is_cached_and_hashable():
    assert spikefp.unit("fp8e4m3.mul", saturate=1) is spikefp.unit("fp8e4m3.mul", saturate="true")
    assert spikefp.unit("fp16.add") is spikefp.unit("fp16.add", rm="rne")
    u = spikefp.unit("fp16.add")
    assert u.sim is u.sim and {u: 1}[spikefp.unit("fp16.add")] == 1
    with pytest.raises(ValueError, match="saturate=1.0 is not one of"):
        spikefp.unit("fp8e4m3.mul", saturate=1.0)


def test_import_spikefp_does_not_import_torch_or_ml_dtypes():
    code = ("import sys, numpy as np, spikefp; spikefp.unit('fp16.add')(np.float16([1]), np.float16([1])); "
            "print('torch' in sys.modules, 'ml_dtypes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_torch_engine_path_for_other_devices_gives_the_same_bits():
    """Tensors on a non-CPU device run on the torch engine (`Unit.device_sim`); on the CPU the
    same route must agree with the exact-engine route bit for bit."""
    import torch
    u = spikefp.unit("fp16.mul")
    g = torch.Generator().manual_seed(5)
    a, b = (torch.randint(-2**15, 2**15, (10_000,), generator=g, dtype=torch.int16) for _ in range(2))
    via_torch = u.device_sim("cpu").run(a=a, b=b)
    y, fl = u(a.view(torch.float16), b.view(torch.float16), flags=True)
    assert torch.equal(via_torch["y"], y.view(torch.int16)) and torch.equal(via_torch["flags"], fl)
    assert u.device_sim("cpu") is u.device_sim(torch.device("cpu"))
