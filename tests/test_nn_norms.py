"""spikefp.nn.norms: softmax, layer_norm and rms_norm equal their float emulations bit for bit and
lie within 1 ULP of the float64 references on inputs up to ±100 (fp32, bf16, fp16); no overflow
where a softmax without its maximum overflows; STE gradients; the modules and their costs."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import spikefp.nn as snn
from spikefp.nn import norms, norms_emulate as emu
from spikefp.nn.units import bits

FORMATS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def data(dt, rows=6, n=16, seed=0):
    """Rows up to ±100: uniform, at a random scale down to 10^-3, and 90 + [0, 10] (cancellation)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-100, 100, (rows, n))
    x[1::3] = rng.uniform(-1, 1, (len(x[1::3]), n)) * 10.0 ** rng.uniform(-3, 2, (len(x[1::3]), 1))
    x[2::3] = 90 + rng.uniform(0, 10, (len(x[2::3]), n))
    return norms.rounded(torch.from_numpy(x), dt)


def reference(name, x, g=None, b=None):
    as64 = (lambda t: None if t is None else t.double().numpy())
    return emu.float64_reference(name, as64(x), as64(g), as64(b))


def call(module, name, x, **kw):
    n = x.shape[-1]
    return {"softmax": lambda: module.softmax(x, -1, **kw), "layer_norm": lambda: module.layer_norm(x, n, **kw),
            "rms_norm": lambda: module.rms_norm(x, n, **kw)}[name]()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["softmax", "layer_norm", "rms_norm"])
def test_bit_exact_and_within_one_ulp(name, fmt):
    x = data(FORMATS[fmt])
    y = call(norms, name, x)
    assert y.dtype == x.dtype and y.shape == x.shape
    assert np.array_equal(bits(y), bits(call(emu, name, x)))
    err = emu.ulps(y, reference(name, x))
    # ½ ulp for the final rounding plus the bound of the module docstring (< 1/16 ulp)
    assert err.max() <= 0.5 + 1 / 16, err.max()


def test_layer_norm_affine_and_two_normalized_dims():
    torch.manual_seed(0)
    x = data(torch.float32, rows=6, n=8).reshape(3, 2, 8)
    g = (torch.rand(2, 8) + 0.5)
    b = torch.rand(2, 8) - 0.5
    y = norms.layer_norm(x, (2, 8), g, b)
    assert np.array_equal(bits(y), bits(emu.layer_norm(x, (2, 8), g, b)))
    ref = reference("layer_norm", x.reshape(3, 16), g.reshape(16), b.reshape(16)).reshape(3, 2, 8)
    assert emu.ulps(y, ref).max() <= 0.5 + 1 / 16


def test_layer_norm_affine_cancelling_in_fp64_for_fp16():
    # y·γ + β near 0: fp32's relative error of y·γ shows in fp16 results near 0 (measured 3.5 ulps,
    # benchmarks/norms_accuracy.py); a float64 working format brings them within ½ ulp
    x = data(torch.float16, rows=6, n=64, seed=3)
    g = torch.full((64,), 1.0, dtype=torch.float16)
    b = -norms.layer_norm(x, 64)[0]                       # β = −y of row 0: row 0's results cancel
    y = norms.layer_norm(x, 64, g, b, work="fp64")
    assert np.array_equal(bits(y), bits(emu.layer_norm(x, 64, g, b, work="fp64")))
    assert emu.ulps(y, reference("layer_norm", x, g, b)).max() <= 0.5 + 1 / 16


def test_softmax_along_another_dim():
    x = data(torch.bfloat16, rows=5, n=3)
    y = norms.softmax(x, dim=0)
    assert np.array_equal(bits(y), bits(norms.softmax(x.T.contiguous()).T.contiguous()))
    assert np.array_equal(bits(y), bits(emu.softmax(x, dim=0)))


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_overflow_where_a_max_free_softmax_overflows(fmt):
    x = torch.tensor([[100.0, 99.5, 98.0, -100.0]], dtype=FORMATS[fmt])
    e = torch.exp(x)                                       # e^100 overflows all three (e^89 fp32, bf16)
    assert torch.isinf(e[0, 0]) and torch.isnan(e / e.sum()).all() == False and torch.isnan(e / e.sum()).any()
    y = norms.softmax(x)
    assert torch.isfinite(y).all() and y[0, 3] == 0
    assert emu.ulps(y, reference("softmax", x)).max() <= 0.5 + 1 / 16


def test_work_in_the_format_itself_is_cheaper_and_emulated():
    x = data(torch.float16, rows=3, n=8)
    for name in ("softmax", "layer_norm", "rms_norm"):
        with snn.record(samples=3) as cheap:
            y = call(norms, name, x, work="fp16")
        assert np.array_equal(bits(y), bits(call(emu, name, x, work="fp16")))
        assert set(cheap.costs().units) <= {f"fp16.{op}" for op in ("add", "sub", "mul", "div", "max", "exp", "rsqrt")}
    with pytest.raises(ValueError, match="work must hold every fp32 value"):
        norms.softmax(torch.ones(2), work="bf16")


def test_softmax_specials_as_torch():
    x = torch.tensor([[0.0, float("-inf"), 1.0], [float("nan"), 1.0, 2.0], [float("inf"), 1.0, 2.0]])
    y = norms.softmax(x)
    assert np.array_equal(bits(y), bits(emu.softmax(x)))
    assert torch.equal(torch.isnan(y), torch.isnan(torch.softmax(x, -1)))
    assert y[0, 1] == 0 and np.all(bits(y[1:]) == 0x7FC00000)      # canonical NaN


def test_rms_norm_eps_default_is_torchs():
    # x² far below eps: the result is x / sqrt(eps), eps the machine epsilon of float32 (float64)
    for dt in (torch.float32, torch.float64, torch.bfloat16):
        x = torch.tensor([1e-5, -2e-5, 3e-5], dtype=dt)
        y = norms.rms_norm(x, 3)
        assert torch.allclose(y.double(), F.rms_norm(x.double(), (3,), eps=torch.finfo(torch.float32 if dt != torch.float64 else dt).eps), rtol=1e-2)
        assert torch.allclose(y.double(), F.rms_norm(x, (3,)).double(), rtol=1e-2)


def test_ste_gradients_and_gradcheck():
    # float64 inputs (fp64 units): gradcheck's numerical derivative of the spiking forward against
    # the surrogate's analytical gradient
    x = torch.tensor([[0.3, -1.2, 2.5], [1.0, 0.5, -0.25]], dtype=torch.float64, requires_grad=True)
    g = torch.tensor([1.5, 0.5, -1.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([0.1, 0.0, -0.2], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: norms.softmax(x, -1), (x,))
    assert torch.autograd.gradcheck(lambda x, g, b: norms.layer_norm(x, 3, g, b), (x, g, b))
    assert torch.autograd.gradcheck(lambda x, g: norms.rms_norm(x, 3, g), (x, g))
    # fp32: the gradient is exactly F.layer_norm's (for the same upstream gradient)
    xf, gf, bf = (t.detach().float().requires_grad_() for t in (x, g, b))
    up = torch.tensor([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])
    norms.layer_norm(xf, 3, gf, bf).backward(up)
    want = torch.autograd.grad(F.layer_norm(xf, (3,), gf, bf), (xf, gf, bf), up)
    assert all(torch.equal(a.grad, w) for a, w in zip((xf, gf, bf), want))


def test_modules_parameters_and_costs():
    ln = snn.LayerNorm(4, fmt="fp16")
    assert ln.weight.dtype == ln.bias.dtype == torch.float16 and ln.work == "fp32"
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0]], dtype=torch.float16)
    y = ln(x)
    assert torch.equal(y, norms.layer_norm(x, 4, ln.weight, ln.bias))
    c = ln.costs()
    # per row of 4: 3 adds for Σx, 4 N·x, 4 subs, 4 squares, 3 adds, q/N, + E, rsqrt, 4 t·r, 4 ·γ, 4 +β;
    # the parameters are converted once per forward (broadcast)
    assert c.samples == 2 and c.units == {
        "fp16.to_fp32": 8 + 4 + 4, "fp32.add": 2 * (3 + 3 + 1 + 4), "fp32.mul": 2 * (4 + 4 + 4 + 4),
        "fp32.sub": 8, "fp32.div": 2, "fp32.rsqrt": 2, "fp32.to_fp16": 8}
    y.sum().backward()
    assert ln.weight.grad is not None and ln.bias.grad.dtype == torch.float16
    rms = snn.RMSNorm((2, 2), fmt="bf16", elementwise_affine=False)
    assert rms.weight is None and list(rms.parameters()) == []
    xb = x.to(torch.bfloat16).reshape(2, 2, 2)
    assert torch.equal(rms(xb), norms.rms_norm(xb, (2, 2))) and rms.costs().samples == 2
    sm = snn.Softmax(dim=0)
    assert torch.equal(sm(x), norms.softmax(x, 0)) and sm.costs().samples == 4


def test_bad_arguments():
    x = torch.ones(2, 4)
    with pytest.raises(ValueError, match="normalized_shape"):
        norms.layer_norm(x, 3)
    with pytest.raises(ValueError, match="weight and bias must have shape"):
        norms.rms_norm(x, 4, torch.ones(3))
    with pytest.raises(ValueError, match="dtype"):
        norms.layer_norm(x, 4, torch.ones(4, dtype=torch.float16))
    with pytest.raises(ValueError, match="non-empty dimension"):
        norms.softmax(torch.ones(2, 0))
