"""Floating-point units: ``spikefp.unit("fp32.add", rm="rne")`` and the unit registry.

A unit name is ``<format>.<operation>``. A unit is built for one static rounding mode
(fewer neurons: constant folding prunes the other modes) or ``dynamic=True``, with a 3-bit
``rm`` input port (RISC-V ``frm`` codes 0-4 = rne rtz rdn rup rmm; codes 5-7 give NV and
the canonical NaN). Ports: ``a``, ``b`` (and ``c`` for fma), ``rm`` when dynamic; outputs
``y`` and ``flags`` (NV DZ OF UF NX = 0x10 0x08 0x04 0x02 0x01).

>>> import spikefp
>>> u = spikefp.unit("fp16.add")
>>> u.netlist.evaluate(a=0x3c00, b=0x3c00)          # 1 + 1 = 2
{'y': 16384, 'flags': 0}
>>> u.module_name
'fp16_add_rne'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .generators.fpcommon import dynamic_modes, static_modes
from .generators.fpformat import FPFormat, ROUNDING_MODES, get_format
from .generators.fpops import ALIGNS, OPERATIONS
from .generators.multiplier import COUNTERS
from .hdl import Builder, Netlist, Profile, get_profile

__all__ = ["Unit", "unit", "parse_unit_name", "OPERATIONS"]

# generator parameters each operation accepts, with their allowed values (first = default)
_SAT = (False, True)
PARAMS = {
    "add": {"saturate": _SAT, "align": ALIGNS},
    "sub": {"saturate": _SAT, "align": ALIGNS},
    "mul": {"saturate": _SAT, "counter": ("auto",) + COUNTERS},
    "fma": {"saturate": _SAT, "counter": COUNTERS},
}


def parse_unit_name(name: str) -> tuple[FPFormat, str]:
    """``"fp32.add"`` -> (format, operation); clear errors for unknown parts."""
    if not isinstance(name, str) or name.count(".") != 1:
        raise ValueError(f"unit name {name!r} must be <format>.<operation>, e.g. fp32.add")
    fmt, op = name.split(".")
    f = get_format(fmt)
    if op not in OPERATIONS:
        raise ValueError(f"unknown operation {op!r} in {name!r}; operations: {', '.join(OPERATIONS)}")
    return f, op


@dataclass
class Unit:
    """One floating-point unit: its options and (built on first use) its netlist."""

    name: str
    fmt: FPFormat
    op: str
    rm: str = "rne"
    dynamic: bool = False
    profile: Profile = field(default_factory=lambda: get_profile("default"))
    params: dict = field(default_factory=dict)

    @property
    def operands(self) -> list[str]:
        return ["a", "b", "c"][:OPERATIONS[self.op][0]]

    @property
    def module_name(self) -> str:
        mode = "dyn" if self.dynamic else self.rm
        extra = "".join(f"_{k}" if v is True else f"_{k}{v}" for k, v in sorted(self.params.items())
                        if v != PARAMS[self.op][k][0])
        prof = "" if self.profile.name == "default" else f"_{self.profile.name}"
        return f"{self.fmt.name}_{self.op}_{mode}{extra}{prof}"

    @cached_property
    def netlist(self) -> Netlist:
        b = Builder(self.profile, name=self.module_name)
        ins = [b.input(x, self.fmt.width) for x in self.operands]
        modes = dynamic_modes(b, b.input("rm", 3)) if self.dynamic else static_modes(self.rm)
        y, flags = OPERATIONS[self.op][1](b, self.fmt, modes, *ins, **self.params)
        b.output("y", y)
        b.output("flags", flags)
        return b.build()

    def stats(self) -> dict[str, int]:
        return self.netlist.stats()


def unit(name: str, rm: str = "rne", dynamic: bool = False, profile: str = "default", **params) -> Unit:
    """The unit ``<format>.<operation>`` for rounding mode ``rm`` (or a dynamic ``rm`` port)."""
    f, op = parse_unit_name(name)
    if rm not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {rm!r}; modes: {', '.join(ROUNDING_MODES)}")
    prof = get_profile(profile)
    for k, v in params.items():
        if k not in PARAMS[op]:
            raise ValueError(f"{name}: unknown parameter {k!r} (parameters: {', '.join(PARAMS[op])})")
        if v not in PARAMS[op][k]:
            raise ValueError(f"{name}: {k}={v!r} is not one of {PARAMS[op][k]}")
    return Unit(f"{f.name}.{op}", f, op, rm, bool(dynamic), prof, dict(params))
