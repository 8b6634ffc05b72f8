"""Floats in, floats out: calling a unit on numpy arrays or torch tensors of its format.

Every named format has one numpy dtype and one torch dtype (`DTYPES`; bf16 and the FP8
formats come from ml_dtypes in numpy). Operands are reinterpreted, never converted: a
float16 array is viewed as the uint16 bit patterns the circuit takes (``x.view(np.uint16)``)
and the results are viewed back, so a call copies nothing the engine does not allocate
itself. Results: a value of the result format in its dtype, bool for comparisons,
``classify``'s 10-bit mask as uint16, the integer dtype for conversions to integers.
A custom format (``e6m9``) has no dtype and stays on bit patterns: unsigned integers of
its port's width (uint16 for e6m9), in and out. torch and ml_dtypes are imported only
when a call needs them.

>>> import numpy as np, spikefp
>>> add = spikefp.unit("fp16.add")
>>> add(np.array([1.0, 2.5], np.float16), np.array(0.5, np.float16))
array([1.5, 3. ], dtype=float16)
>>> y, flags = spikefp.unit("fp32.div")(np.float32([1, 1]), np.float32([3, 0]), flags=True)
>>> y, flags        # 1/3 is inexact (NX = 0x01), 1/0 divides by zero (DZ = 0x08)
(array([0.33333334,        inf], dtype=float32), array([1, 8], dtype=uint8))
>>> spikefp.unit("fp16.lt")(np.float16([1, 2]), np.float16(1.5))
array([ True, False])
>>> add(np.float32([1.0]), np.float32([2.0]))
Traceback (most recent call last):
ValueError: fp16.add: operand a has dtype float32; expected float16 (no silent casts)
"""

from __future__ import annotations

import sys

import numpy as np

from .fpformat import ROUNDING_MODES, FPFormat

__all__ = ["DTYPES", "Plan", "numpy_dtype", "torch_dtype", "call"]

# Format name -> dtype name, the same in numpy (or ml_dtypes) and in torch.
DTYPES = {"fp16": "float16", "fp32": "float32", "fp64": "float64", "bf16": "bfloat16",
          "fp8e4m3": "float8_e4m3fn", "fp8e5m2": "float8_e5m2",
          "i32": "int32", "u32": "uint32", "i64": "int64", "u64": "uint64"}

# Element size in bytes -> the unsigned numpy dtype of the exact engine's ports, and the
# integer dtype of the torch engine's ports (uint8, then two's complement: torch's
# unsigned dtypes wider than 8 bits lack most operations).
_NP_PORT = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16), 4: np.dtype(np.uint32), 8: np.dtype(np.uint64)}
_TORCH_PORT = {1: "uint8", 2: "int16", 4: "int32", 8: "int64"}
_NP_SIGNED = {1: np.dtype(np.uint8), 2: np.dtype(np.int16), 4: np.dtype(np.int32), 8: np.dtype(np.int64)}


def _bits_name(width: int) -> str:
    """The narrowest unsigned dtype name holding ``width`` bits (the exact engine's port dtype)."""
    return next(f"uint{b}" for b in (8, 16, 32, 64) if width <= b)


def numpy_dtype(name: str) -> np.dtype:
    """The numpy dtype called ``name`` (``bfloat16`` and ``float8_*`` from ml_dtypes).

    >>> numpy_dtype(DTYPES["bf16"])
    dtype(bfloat16)
    """
    if hasattr(np, name):
        return np.dtype(name)
    try:
        import ml_dtypes
    except ImportError:
        raise ValueError(f"{name} arrays in numpy need ml_dtypes (pip install ml_dtypes), "
                         f"or pass torch tensors") from None
    return np.dtype(getattr(ml_dtypes, name))


def torch_dtype(name: str):
    """The torch dtype called ``name`` (``torch.float16`` ...)."""
    import torch
    return getattr(torch, name)


class Plan:
    """What a unit takes and returns, resolved once per unit (`Unit.__call__` holds one).

    ``operand``/``result`` are dtype names; ``bits`` says whether the operands are bit
    patterns (a custom format) rather than values.
    """

    def __init__(self, unit):
        self.unit = unit
        self.ports = tuple(unit.operands)      # (resolving them through the registry costs µs per call)
        src, res = unit.fmt, unit.target or unit.fmt
        self.bits = isinstance(src, FPFormat) and src.name not in DTYPES
        self.operand = DTYPES.get(src.name) or _bits_name(src.width)
        if unit.result_bits == 1:
            self.result = "bool"
        elif unit.op == "classify":
            self.result = "uint16"
        else:
            self.result = DTYPES.get(res.name) or _bits_name(res.width)
        self.port_bytes = int(_bits_name(src.width)[4:]) // 8
        self._numpy = self._torch = None

    # The dtypes of each library are looked up on first use: a torch user needs no ml_dtypes.
    def numpy(self):
        """(operand dtype, result dtype) in numpy."""
        if self._numpy is None:
            self._numpy = numpy_dtype(self.operand), numpy_dtype(self.result)
        return self._numpy

    def torch(self):
        """(operand dtype, result dtype, port dtype of the operands) in torch."""
        if self._torch is None:
            self._torch = (torch_dtype(self.operand), torch_dtype(self.result),
                           torch_dtype(_TORCH_PORT[self.port_bytes]))
        return self._torch


def _is_tensor(x) -> bool:
    torch = sys.modules.get("torch")       # no tensor can exist before torch is imported
    return torch is not None and isinstance(x, torch.Tensor)


def _kind_error(plan: Plan, port: str, x, first_is_tensor: bool) -> ValueError:
    name = plan.unit.name
    if _is_tensor(x) or isinstance(x, (np.ndarray, np.generic)):
        return ValueError(f"{name}: operands mix numpy arrays and torch tensors (operand {port} is a "
                          f"{type(x).__name__}); pass one kind")
    what = f"unsigned {plan.operand} bit patterns" if plan.bits else plan.operand
    return ValueError(f"{name}: operand {port} is a {type(x).__name__}; pass a "
                      f"{'torch tensor' if first_is_tensor else 'numpy array'} of {what}")


def _dtype_error(plan: Plan, port: str, got: str, expected: str, is_int: bool) -> ValueError:
    name = plan.unit.name
    if is_int and not plan.bits and plan.operand.startswith(("float", "bfloat")):
        return ValueError(f"{name}: operand {port} has dtype {got}; expected {expected} values "
                          f"(bit patterns go through spikefp.pysim)")
    return ValueError(f"{name}: operand {port} has dtype {got}; expected {expected} (no silent casts)")


def _rm_code(plan: Plan, rm, kind: str):
    """The ``rm`` port for a dynamic unit (None for a static one), checked."""
    u = plan.unit
    if not u.dynamic:
        if rm is None:
            return None
        if not u.rounds:
            raise ValueError(f"{u.name} never rounds: it takes no rm")
        if isinstance(rm, (str, int)) and not isinstance(rm, bool) and rm in (u.rm, ROUNDING_MODES.index(u.rm)):
            return None
        raise ValueError(f"{u.name} is built for rm={u.rm!r}; for rm={rm!r} build it with "
                         f"spikefp.unit({u.name!r}, dynamic=True)")
    if rm is None:
        raise ValueError(f"{u.name} is dynamic: pass rm= (one of {', '.join(ROUNDING_MODES)}, a RISC-V "
                         f"code 0-7, or an array of codes)")
    if isinstance(rm, str):
        if rm not in ROUNDING_MODES:
            raise ValueError(f"unknown rounding mode {rm!r}; modes: {', '.join(ROUNDING_MODES)}")
        return ROUNDING_MODES.index(rm)
    if isinstance(rm, (int, np.integer)) and not isinstance(rm, (bool, np.bool_)):
        if not 0 <= rm <= 7:
            raise ValueError(f"rm code {rm} is outside 0..7")
        return int(rm)
    is_tensor = _is_tensor(rm)
    if is_tensor != (kind == "torch") or not (is_tensor or isinstance(rm, np.ndarray)):
        raise ValueError(f"rm must be a mode name, a code 0-7 or a {'torch tensor' if kind == 'torch' else 'numpy array'} "
                         f"of codes like the operands (got {type(rm).__name__})")
    integer = (str(rm.dtype).removeprefix("torch.").startswith(("int", "uint")) if is_tensor
               else rm.dtype.kind in "iu")
    if not integer:
        raise ValueError(f"rm codes must be integers (got {rm.dtype})")
    if rm.numel() if is_tensor else rm.size:
        lo, hi = (int(rm.min()), int(rm.max()))
        if lo < 0 or hi > 7:
            raise ValueError(f"rm codes must lie in 0..7 (got {lo if lo < 0 else hi})")
    return rm


def call(plan: Plan, operands: tuple, rm=None, flags: bool = False):
    """``plan.unit`` on ``operands`` (see `Unit.__call__`)."""
    u, names = plan.unit, plan.ports
    if len(operands) != len(names):
        raise ValueError(f"{u.name} takes {len(names)} operand{'s' * (len(names) > 1)} "
                         f"({', '.join(names)}), got {len(operands)}")
    if _is_tensor(operands[0]):
        return _call_torch(plan, operands, rm, flags)
    operand, result = plan.numpy()
    ports = {}
    for port, x in zip(plan.ports, operands):
        if type(x) is not np.ndarray:
            if not isinstance(x, (np.ndarray, np.generic)):
                raise _kind_error(plan, port, x, False)
            x = np.asarray(x)
        if x.dtype != operand:
            raise _dtype_error(plan, port, str(x.dtype), plan.operand, x.dtype.kind in "iu")
        ports[port] = x.view(_NP_PORT[x.itemsize])
    code = _rm_code(plan, rm, "numpy")
    if code is not None:
        ports["rm"] = np.asarray(code, np.uint8) if isinstance(code, int) else code
    out = u.sim.run(**ports)
    y = out["y"].view(result)
    return (y, out["flags"]) if flags else y


def _call_torch(plan: Plan, operands: tuple, rm, flags: bool):
    import torch
    u = plan.unit
    operand, result, port_dtype = plan.torch()
    device = operands[0].device
    ports = {}
    for port, x in zip(plan.ports, operands):
        if not isinstance(x, torch.Tensor):
            raise _kind_error(plan, port, x, True)
        if x.dtype != operand:
            raise _dtype_error(plan, port, str(x.dtype), str(operand), not (x.is_floating_point() or x.is_complex()))
        if x.device != device:
            raise ValueError(f"{u.name}: operands are on different devices ({device} and {x.device})")
        ports[port] = (x.detach() if x.requires_grad else x).view(port_dtype)
    code = _rm_code(plan, rm, "torch")
    if code is not None:
        ports["rm"] = (torch.tensor(code, dtype=torch.uint8, device=device) if isinstance(code, int)
                       else code.to(device=device, dtype=torch.uint8))
    out = _run_bits(u, ports, device)
    y = out["y"].view(result)
    return (y, out["flags"]) if flags else y


def _run_bits(sim_owner, ports: dict, device) -> dict:
    """Run ``sim_owner.sim`` on torch integer ports, returning torch integer outputs on ``device``.

    Ports follow the torch engine's convention: uint8 for ports of up to 8 bits, else
    int16/int32/int64 holding the bit patterns in two's complement. CPU tensors go through
    the exact engine on numpy views (no copy: its compiled kernel is the fastest path on a
    CPU); tensors on another device (CUDA) run on the torch engine there, compiled once per
    unit and device, so the data never leaves the device.
    """
    import torch
    if device.type != "cpu":
        return sim_owner.device_sim(device).run(**ports)
    out = sim_owner.sim.run(**{k: v.numpy().view(_NP_PORT[v.element_size()]) for k, v in ports.items()})
    return {k: torch.from_numpy(v.view(_NP_SIGNED[v.itemsize])) for k, v in out.items()}
