"""Spiking torch modules: `Linear` (a drop-in for torch.nn.Linear), `ReLU`, `GELU`.

Each module's forward runs `spikefp.nn.functional` bit for bit and records its unit calls
(`SpikingModule`, the base every spiking module shares), so ``module.costs()`` gives the
neurons, spikes, synaptic operations and energy of its LAST forward, computed when asked.

>>> import torch, spikefp.nn as snn
>>> torch.manual_seed(0) and None
>>> layer = snn.Linear(4, 3, fmt="bf16")
>>> layer
Linear(in_features=4, out_features=3, bias=True, fmt='bf16', accumulate='sequential', rm='rne')
>>> y = layer(torch.ones(2, 4, dtype=torch.bfloat16))
>>> y.shape, y.dtype, layer.costs().evaluations              # 2 samples x 3 outputs x (4 mul + 4 add + bias)
(torch.Size([2, 3]), torch.bfloat16, 54)
"""

from __future__ import annotations

import torch

from . import functional
from .module import SpikingModule
from .units import dtype as fmt_dtype

__all__ = ["Linear", "ReLU", "GELU"]


class Linear(SpikingModule):
    """y = x·weightᵀ + bias with spiking units, accumulated ``sequential`` or ``fused``
    (`spikefp.nn.functional.linear`); parameters initialized as torch.nn.Linear's (same random
    stream), then rounded to the format's dtype; gradients are F.linear's."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, fmt: str = "fp32",
                 accumulate: str = "sequential", rm: str = "rne"):
        super().__init__()
        functional.check_accumulation(accumulate, rm)
        dt = fmt_dtype(fmt)
        self.in_features, self.out_features = in_features, out_features
        self.fmt, self.accumulate, self.rm = fmt, accumulate, rm
        self.weight = torch.nn.Parameter(torch.empty(out_features, in_features))
        self.bias = torch.nn.Parameter(torch.empty(out_features)) if bias else None
        torch.nn.Linear.reset_parameters(self)       # torch's own initialization, in float32
        with torch.no_grad():
            self.weight = torch.nn.Parameter(self.weight.to(dt))
            if bias:
                self.bias = torch.nn.Parameter(self.bias.to(dt))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return functional.linear(x, self.weight, self.bias, self.accumulate, self.rm)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
                f"fmt={self.fmt!r}, accumulate={self.accumulate!r}, rm={self.rm!r}")


class ReLU(SpikingModule):
    """`spikefp.nn.functional.relu` as a module (the format is the input's dtype)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return functional.relu(x)


class GELU(SpikingModule):
    """`spikefp.nn.functional.gelu` (erf form, correctly rounded in mode ``rm``) as a module."""

    def __init__(self, rm: str = "rne"):
        super().__init__()
        functional.check_accumulation("sequential", rm)
        self.rm = rm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return functional.gelu(x, self.rm)

    def extra_repr(self) -> str:
        return f"rm={self.rm!r}"
