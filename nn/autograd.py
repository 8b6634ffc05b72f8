"""Straight-through estimation: a spiking forward, the float surrogate's gradient backward.

`ste(spiking, surrogate, *inputs)` returns ``spiking(*inputs)`` (computed without autograd) and
back-propagates through ``surrogate(*inputs)``: the same function in float arithmetic, whose
gradient torch computes. As the spiking forward equals the float function up to its rounding,
this is the identity straight-through estimator of NEXUS, with every argument passed on.

>>> import torch
>>> x = torch.tensor([1.0, -2.0], requires_grad=True)
>>> y = ste(lambda t: torch.round(t * 3), lambda t: t * 3, x)     # a rounded forward
>>> y.sum().backward(); x.grad.tolist()
[3.0, 3.0]
"""

from __future__ import annotations

import torch

__all__ = ["ste"]


class _STE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, spiking, surrogate, *inputs):
        ctx.surrogate = surrogate
        ctx.save_for_backward(*inputs)
        with torch.no_grad():
            return spiking(*inputs)

    @staticmethod
    def backward(ctx, grad):
        inputs = ctx.saved_tensors
        with torch.enable_grad():
            xs = [x.detach().requires_grad_(need) for x, need in zip(inputs, ctx.needs_input_grad[2:])]
            y = ctx.surrogate(*xs)
            wanted = [x for x in xs if x.requires_grad]
            got = iter(torch.autograd.grad(y, wanted, grad.to(y.dtype), allow_unused=True) if wanted else ())
        return (None, None, *[next(got) if x.requires_grad else None for x in xs])


def ste(spiking, surrogate, *inputs: torch.Tensor) -> torch.Tensor:
    """``spiking(*inputs)`` forward, the gradient of ``surrogate(*inputs)`` backward."""
    return _STE.apply(spiking, surrogate, *inputs)
