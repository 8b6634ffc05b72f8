"""spikefp.nn.functional: matmul and the elementwise functions bit-exact against their emulations, STE gradients."""

import math

import numpy as np
import pytest
import torch

import spikefp.nn as snn
from spikefp.nn import emulate, functional

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
FUNCTIONS = ["exp", "sigmoid", "tanh", "silu", "gelu"]


def spread(shape, dt, seed, lo=-3, hi=3):
    """Random values of mixed signs spanning 10^lo .. 10^hi, in dtype ``dt``."""
    g = torch.Generator().manual_seed(seed)
    mag = 10.0 ** (torch.rand(shape, generator=g, dtype=torch.float64) * (hi - lo) + lo)
    sign = torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0).double()
    return (mag * sign).to(dt)


def samples(dt, seed=0):
    """Specials, subnormals, the overflow edge and 200 random values in [-100, 100] of dtype ``dt``."""
    fi = torch.finfo(dt)
    special = torch.tensor([0.0, -0.0, math.inf, -math.inf, math.nan, fi.tiny / 8, -fi.tiny / 8, fi.max, -fi.max,
                            1.0, -1.0, 88.7, 11.1, -17.3], dtype=torch.float64).to(dt)
    return torch.cat([special, spread((200,), dt, seed, -4, 2)])


def same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(snn.units.bits(a), snn.units.bits(b))


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp32"])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_elementwise_equals_emulation(name, fmt):
    x = samples(DTYPES[fmt]).reshape(2, -1)
    y = getattr(functional, name)(x)
    assert same_bits(y, getattr(emulate, name)(x))


def test_elementwise_other_mode():
    x = samples(torch.float16, seed=1)
    for rm in ("rtz", "rup"):
        assert same_bits(functional.exp(x, rm=rm), emulate.exp(x, rm=rm))
    assert not same_bits(functional.exp(x, rm="rtz"), functional.exp(x, rm="rup"))


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp32"])
def test_relu(fmt):
    dt = DTYPES[fmt]
    x = samples(dt, seed=2)
    y = functional.relu(x)
    assert same_bits(y, emulate.relu(x))
    # RISC-V fmax(x, +0): -0 and NaN give +0 (torch.relu keeps -0 and NaN)
    z = functional.relu(torch.tensor([-0.0, math.nan, -1.0, 3.0], dtype=dt))
    assert snn.units.bits(z).tolist() == snn.units.bits(torch.tensor([0.0, 0.0, 0.0, 3.0], dtype=dt)).tolist()


@pytest.mark.parametrize("name", ["relu"] + FUNCTIONS)
def test_gradients_equal_torch(name):
    torch_fn = {"relu": torch.relu, "exp": torch.exp, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                "silu": torch.nn.functional.silu, "gelu": torch.nn.functional.gelu}[name]
    x = spread((3, 7), torch.float32, seed=3, lo=-2, hi=1)
    g = spread((3, 7), torch.float32, seed=4)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    (getattr(functional, name)(xa) * g).sum().backward()
    (torch_fn(xb) * g).sum().backward()
    assert torch.equal(xa.grad, xb.grad)


@pytest.mark.parametrize("fmt,rm,shapes", [
    ("fp16", "rne", ((2, 3, 5), (5, 4))),
    ("bf16", "rne", ((2, 1, 3, 5), (4, 5, 2))),           # batch dimensions broadcast
    ("fp32", "rdn", ((3, 5), (2, 5, 4))),
])
def test_matmul_equals_emulation(fmt, rm, shapes):
    a = spread(shapes[0], DTYPES[fmt], seed=5)
    b = spread(shapes[1], DTYPES[fmt], seed=6)
    y = functional.matmul(a, b, rm=rm)
    assert y.shape == torch.matmul(a.float(), b.float()).shape
    assert same_bits(y, emulate.matmul(a, b, rm=rm))
    if b.dim() == 2:                 # each row is linear's dot products with the columns, no bias
        assert same_bits(y[..., 1, :], functional.linear(a[..., 1, :], b.T.contiguous(), rm=rm))


def test_matmul_fused_equals_emulation():
    a = spread((2, 3, 6), torch.float16, seed=7)
    b = spread((6, 2), torch.float16, seed=8)
    assert same_bits(functional.matmul(a, b, accumulate="fused"), emulate.matmul(a, b, accumulate="fused"))


def test_matmul_gradients_equal_torch():
    a = spread((2, 3, 4), torch.float32, seed=9)
    b = spread((2, 4, 5), torch.float32, seed=10)
    g = spread((2, 3, 5), torch.float32, seed=11)
    a1, b1, a2, b2 = (t.clone().requires_grad_() for t in (a, b, a, b))
    (functional.matmul(a1, b1) * g).sum().backward()
    (torch.matmul(a2, b2) * g).sum().backward()
    assert torch.equal(a1.grad, a2.grad) and torch.equal(b1.grad, b2.grad)


def test_modules_and_costs():
    x = samples(torch.float16, seed=12)[:12].reshape(3, 4)
    relu, gelu = snn.ReLU(), snn.GELU()
    assert same_bits(relu(x), emulate.relu(x)) and same_bits(gelu(x), emulate.gelu(x))
    assert repr(gelu) == "GELU(rm='rne')"
    c = gelu.costs()
    assert (c.samples, c.evaluations, c.units) == (3, 12, {"fp16.gelu": 12})
    assert c.neurons == 4 * snn.units.unit("gelu", "fp16").stats()["neurons"]
    model = torch.nn.Sequential(snn.Linear(4, 2, fmt="fp16"), snn.ReLU())
    with snn.record(samples=3) as rec:
        model(x)
    assert rec.costs().evaluations == model[0].costs().evaluations + model[1].costs().evaluations == 3 * 2 * 9 + 6


def test_bad_input():
    with pytest.raises(ValueError, match=r"matmul takes a \(\.\.\., m, k\) and b \(\.\.\., k, n\) \(got \(2, 3\) and \(4, 2\)\)"):
        functional.matmul(torch.ones(2, 3), torch.ones(4, 2))
    with pytest.raises(ValueError, match="matmul's batch dimensions do not broadcast"):
        functional.matmul(torch.ones(2, 2, 3), torch.ones(3, 3, 2))
    with pytest.raises(ValueError, match="operands must share one dtype"):
        emulate.matmul(torch.ones(2, 3), torch.ones(3, 2, dtype=torch.float16))
    with pytest.raises(ValueError, match="spikefp.nn functions take torch tensors"):
        functional.relu(np.ones(3))
    with pytest.raises(ValueError, match="rm must be a static rounding mode"):
        functional.gelu(torch.ones(3), rm="up")
    with pytest.raises(ValueError, match="accumulate must be one of"):
        functional.matmul(torch.ones(2, 3), torch.ones(3, 2), accumulate="tree")
