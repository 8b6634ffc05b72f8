"""spikefp.nn.Linear: bit-exact against its float emulation, torch's gradients, exact costs, clear errors."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import spikefp
import spikefp.nn as snn
from spikefp.nn import emulate, functional

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def spread(shape, dt, seed):
    """Random values of mixed signs spanning 10^-3 .. 10^3, in dtype ``dt``."""
    g = torch.Generator().manual_seed(seed)
    mag = 10.0 ** (torch.rand(shape, generator=g, dtype=torch.float64) * 6 - 3)
    sign = torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0).double()
    return (mag * sign).to(dt)


def same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(snn.units.bits(a), snn.units.bits(b))


def layer(in_f, out_f, fmt, seed, **kw):
    lin = snn.Linear(in_f, out_f, fmt=fmt, **kw)
    with torch.no_grad():                 # weights and biases spanning the range too
        lin.weight.copy_(spread((out_f, in_f), lin.weight.dtype, seed))
        lin.bias.copy_(spread((out_f,), lin.weight.dtype, seed + 1))
    return lin


@pytest.mark.parametrize("fmt,rm", [("fp32", "rne"), ("bf16", "rne"), ("fp16", "rne"), ("fp32", "rtz"), ("bf16", "rdn")])
@pytest.mark.parametrize("shape", [(5,), (3, 4)])
def test_sequential_equals_emulation(fmt, rm, shape):
    lin = layer(16, 7, fmt, seed=len(shape), rm=rm)
    x = spread(shape + (16,), DTYPES[fmt], seed=10)
    y = lin(x)
    assert y.shape == shape + (7,)
    assert same_bits(y, emulate.linear(x, lin.weight, lin.bias, "sequential", rm))
    assert same_bits(functional.linear(x, lin.weight, None, rm=rm), emulate.linear(x, lin.weight, None, rm=rm))


def test_emulation_rounds_once():
    # 1 + 2^-8 + 2^-30 is above bf16's midpoint 1 + 2^-8: it rounds up; torch's float64 -> bf16 goes
    # through float32, which lands on the midpoint and rounds to even, down. The emulation rounds once.
    v = torch.tensor([1.0 + 2.0 ** -8 + 2.0 ** -30, -(1.0 + 2.0 ** -8 + 2.0 ** -30), 1.0 + 2.0 ** -8], dtype=torch.float64)
    assert v.to(torch.bfloat16).tolist() == [1.0, -1.0, 1.0]
    assert emulate.rounded(v, torch.bfloat16).tolist() == [1.0 + 2.0 ** -7, -(1.0 + 2.0 ** -7), 1.0]


@pytest.mark.parametrize("fmt", ["fp32", "fp16"])
def test_specials_bit_exact(fmt):
    # ±0, ±inf, NaN, subnormals and overflow through products and sums: canonical NaNs, zero signs
    dt = DTYPES[fmt]
    tiny = torch.finfo(dt).tiny / 4
    big = torch.finfo(dt).max
    vals = torch.tensor([0.0, -0.0, math.inf, -math.inf, math.nan, tiny, -tiny, big, -big, 1.0, -1.0], dtype=dt)
    g = torch.Generator().manual_seed(3)
    x = vals[torch.randint(len(vals), (40, 3), generator=g)]
    w = vals[torch.randint(len(vals), (5, 3), generator=g)]
    b = torch.tensor([-0.0, 0.0, math.nan, big, -0.0], dtype=dt)
    for rm in ("rne", "rdn"):
        for bias in (b, None):
            y = functional.linear(x, w, bias, rm=rm)
            assert same_bits(y, emulate.linear(x, w, bias, rm=rm))
    # all-(-0) products: +0 accumulator makes them +0, except in rdn
    neg = torch.full((1, 3), -0.0, dtype=dt)
    assert [torch.signbit(functional.linear(neg, torch.ones(1, 3, dtype=dt), rm=rm)).item() for rm in ("rne", "rdn")] == [False, True]


@pytest.mark.parametrize("fmt,rm", [("fp16", "rne"), ("bf16", "rne"), ("fp32", "rne"), ("fp16", "rdn")])
def test_fused_equals_emulation(fmt, rm):
    lin = layer(6, 3, fmt, seed=7, accumulate="fused", rm=rm)
    x = spread((4, 6), DTYPES[fmt], seed=8)
    assert same_bits(lin(x), emulate.linear(x, lin.weight, lin.bias, "fused", rm))
    assert same_bits(functional.linear(x, lin.weight, None, "fused", rm), emulate.linear(x, lin.weight, None, "fused", rm))


def test_fused_without_bias_keeps_the_zero_sign():
    # c is -0 (+0 in rdn): the sum of -0 products stays -0, cancellation gives +0 (-0 in rdn)
    x = torch.tensor([[-0.0, 0.0, 1.0, 1.0, 1.0, 1.0]], dtype=torch.float16)
    w = torch.tensor([[1.0, -1.0, -0.0, -0.0, -0.0, -0.0], [1.0, 1.0, 2.0, -2.0, 0.0, 0.0]], dtype=torch.float16)
    for rm, signs in (("rne", [True, False]), ("rdn", [True, True])):
        y = functional.linear(x, w, accumulate="fused", rm=rm)
        assert torch.signbit(y[0]).tolist() == signs


def test_same_initialization_as_torch():
    torch.manual_seed(1)
    ours = snn.Linear(20, 6)
    torch.manual_seed(1)
    theirs = torch.nn.Linear(20, 6)
    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)
    torch.manual_seed(1)
    half = snn.Linear(20, 6, bias=False, fmt="bf16")
    assert half.bias is None and half.weight.dtype == torch.bfloat16
    assert torch.equal(half.weight, theirs.weight.to(torch.bfloat16))
    assert isinstance(half.weight, torch.nn.Parameter) and len(list(half.parameters())) == 1
    assert repr(half) == "Linear(in_features=20, out_features=6, bias=False, fmt='bf16', accumulate='sequential', rm='rne')"


def test_gradients_equal_torch_linear():
    torch.manual_seed(2)
    ours = snn.Linear(12, 5)
    theirs = torch.nn.Linear(12, 5)
    theirs.load_state_dict(ours.state_dict())
    x = spread((3, 4, 12), torch.float32, seed=4)
    g = spread((3, 4, 5), torch.float32, seed=5)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    (ours(xa) * g).sum().backward()
    (theirs(xb) * g).sum().backward()
    assert torch.equal(xa.grad, xb.grad)
    assert torch.equal(ours.weight.grad, theirs.weight.grad)
    assert torch.equal(ours.bias.grad, theirs.bias.grad)


def test_gradcheck_float64():
    # the float64 spiking forward's finite differences against the STE (F.linear) gradient
    g = torch.Generator().manual_seed(6)
    x = torch.randn(2, 3, dtype=torch.float64, generator=g, requires_grad=True)
    w = torch.randn(4, 3, dtype=torch.float64, generator=g, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(functional.linear, (x, w, b))
    assert torch.autograd.gradcheck(F.linear, (x, w, b))


def test_costs_exact():
    lin = snn.Linear(8, 3, fmt="fp16")
    with pytest.raises(ValueError, match="no forward pass has run yet"):
        lin.costs()
    lin(spread((2, 5, 8), torch.float16, seed=9))
    c = lin.costs()
    mul = spikefp.unit("fp16.mul").stats()["neurons"]
    add = spikefp.unit("fp16.add").stats()["neurons"]
    assert c.samples == 10
    assert c.evaluations == 10 * 3 * (2 * 8 + 1)
    assert c.units == {"fp16.mul": 10 * 3 * 8, "fp16.add": 10 * 3 * 9}
    assert c.neurons == 8 * 3 * (mul + add) + 3 * add
    assert c.distinct_neurons == mul + add
    assert 0 < c.spikes < c.synops and c.energy_pj > 0
    assert lin.costs() is c                               # computed once
    lin(spread((1, 8), torch.float16, seed=9))           # the last forward only
    assert lin.costs().evaluations == 3 * 17 and lin.costs().samples == 1
    clone = copy.deepcopy(lin)                           # copies carry no record of a forward
    with pytest.raises(ValueError, match="no forward"):
        clone.costs()
    assert torch.equal(clone.weight, lin.weight)


def test_bad_input():
    lin = snn.Linear(4, 2, fmt="bf16")
    with pytest.raises(ValueError, match=r"operands must share one dtype \(got torch.bfloat16, torch.float32\)"):
        lin(torch.ones(3, 4))
    with pytest.raises(ValueError, match=r"input's last dimension must be in_features = 4 \(got shape \(3, 5\)\)"):
        lin(torch.ones(3, 5, dtype=torch.bfloat16))
    with pytest.raises(ValueError, match="accumulate must be one of sequential, fused"):
        snn.Linear(4, 2, accumulate="pairwise")
    with pytest.raises(ValueError, match="rm must be a static rounding mode"):
        snn.Linear(4, 2, rm="dynamic")
    with pytest.raises(ValueError, match="spikefp.nn works on the formats with a torch dtype"):
        snn.Linear(4, 2, fmt="e6m9")
    with pytest.raises(ValueError, match="no spikefp format has dtype torch.int32"):
        functional.linear(torch.ones(1, 2, dtype=torch.int32), torch.ones(1, 2, dtype=torch.int32))
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        functional.linear(torch.ones(1, 4), torch.ones(2, 4), torch.ones(3))
