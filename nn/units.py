"""The one path from `spikefp.nn` to the spiking units: run a unit on torch tensors, recorded.

`run` builds (once) the unit ``<fmt>.<op>`` and calls it on tensors of the format's dtype
through the floats API (`spikefp.Unit.__call__`: the exact engine's compiled kernel on CPU,
the torch engine on another device); every `Recorder` open at that moment
(`spikefp.nn.costs.record`) keeps the operands' bit patterns for the cost report.

>>> import torch
>>> run("mul", "bf16", torch.tensor([1.5, 3.0], dtype=torch.bfloat16), torch.tensor(2.0, dtype=torch.bfloat16))
tensor([3., 6.], dtype=torch.bfloat16)
>>> dtype("fp16"), fmt_of(torch.float32)
(torch.float16, 'fp32')
"""

from __future__ import annotations

import numpy as np
import torch

from ..generators.floatio import DTYPES
from ..generators.units import unit as _unit
from .costs import active

__all__ = ["run", "dtype", "fmt_of", "bits"]

_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}
_TINT = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}
FORMATS = ("fp8e4m3", "fp8e5m2", "fp16", "bf16", "fp32", "fp64")


def dtype(fmt: str) -> torch.dtype:
    """The torch dtype of a named format (``fp32`` -> torch.float32)."""
    if fmt not in FORMATS:
        raise ValueError(f"spikefp.nn works on the formats with a torch dtype: {', '.join(FORMATS)} (got {fmt!r})")
    return getattr(torch, DTYPES[fmt])


def fmt_of(dt: torch.dtype) -> str:
    """The format name of a torch dtype (torch.bfloat16 -> ``bf16``)."""
    for f in FORMATS:
        if getattr(torch, DTYPES[f]) == dt:
            return f
    raise ValueError(f"no spikefp format has dtype {dt}; formats: {', '.join(FORMATS)}")


def bits(x: torch.Tensor) -> np.ndarray:
    """The bit patterns of a float tensor as an unsigned numpy array (a copy, on the CPU)."""
    n = x.element_size()
    return x.detach().cpu().contiguous().view(_TINT[n]).numpy().view(_UINT[n]).copy()


def unit(op: str, fmt: str, rm: str = "rne", **params):
    """The unit ``<fmt>.<op>`` for static mode ``rm``, its kernel prepared (built once)."""
    u = _unit(f"{fmt}.{op}", rm=rm, **params)
    if not getattr(u, "_nn_prepared", False):
        u.prepare()
        object.__setattr__(u, "_nn_prepared", True)
    return u


def run(op: str, fmt: str, *operands: torch.Tensor, rm: str = "rne", **params) -> torch.Tensor:
    """``<fmt>.<op>`` (static ``rm``) on ``operands`` (torch tensors of the format's dtype, broadcast
    like torch), recorded by every open recorder."""
    u = unit(op, fmt, rm, **params)
    with torch.no_grad():
        y = u(*operands)
    recorders = active()
    if recorders:
        ports = dict(zip(u.operands, (bits(x) for x in operands)))
        for r in recorders:
            r.add(u, ports)
    return y
