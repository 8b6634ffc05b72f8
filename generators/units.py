"""Floating-point units: ``spikefp.unit("fp32.add", rm="rne")`` and the unit registry.

A unit name is ``<source>.<operation>``: a format and an operation (``fp32.add``,
``fp16.sqrt``, ``bf16.lt``, ``fp8e4m3.classify``) or a conversion ``to_<target>``
(``fp32.to_fp16``, ``fp64.to_i32``, ``i32.to_fp32``; integers are ``i32 u32 i64 u64``).
A unit that rounds is built for one static rounding mode (fewer neurons: constant folding
prunes the other modes) or ``dynamic=True``, with a 3-bit ``rm`` input port (RISC-V
``frm`` codes 0-4 = rne rtz rdn rup rmm; codes 5-7 give NV and the canonical NaN).
Operations that never round (comparisons, min/max, classify, exact conversions) have no
rounding mode. Ports: operands ``a``, ``b`` (and ``c`` for fma), ``rm`` when dynamic;
outputs ``y`` and ``flags`` (NV DZ OF UF NX = 0x10 0x08 0x04 0x02 0x01).

>>> import spikefp
>>> u = spikefp.unit("fp16.add")
>>> u.netlist.evaluate(a=0x3c00, b=0x3c00)          # 1 + 1 = 2
{'y': 16384, 'flags': 0}
>>> u.module_name, spikefp.unit("fp16.lt").module_name
('fp16_add_rne', 'fp16_lt')
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import cached_property

from .fpcommon import dynamic_modes, static_modes
from .fpformat import INT_FORMATS, FPFormat, IntFormat, ROUNDING_MODES, get_format, get_int_format
from .fpdivsqrt import ARCHS as DIV_ARCHS, SQRT_ARCHS
from .fpops import ALIGNS
from .multiplier import COUNTERS
from ..hdl import Builder, Netlist, Profile, get_profile

__all__ = ["Unit", "unit", "parse_unit_name", "format_by_name", "OPERATIONS", "PARAMS", "CONVERSIONS"]


@dataclass(frozen=True)
class Operation:
    """An operation of the registry: operand count, generator, result width, rounding."""

    arity: int
    generator: str               # "<module under spikefp.generators>.<function>"
    result_bits: int | None = None   # None: a value of the unit's format
    rounds: bool = True

    def load(self):
        module, name = self.generator.rsplit(".", 1)
        return getattr(importlib.import_module(f"spikefp.generators.{module}"), name)


OPERATIONS = {
    "add": Operation(2, "fpops.add"), "sub": Operation(2, "fpops.sub"),
    "mul": Operation(2, "fpops.mul"), "fma": Operation(3, "fpops.fma"),
    "div": Operation(2, "fpdivsqrt.div"), "sqrt": Operation(1, "fpdivsqrt.sqrt"),
    "eq": Operation(2, "fpcompare.eq", 1, False), "lt": Operation(2, "fpcompare.lt", 1, False),
    "le": Operation(2, "fpcompare.le", 1, False),
    "min": Operation(2, "fpcompare.min_", None, False), "max": Operation(2, "fpcompare.max_", None, False),
    "classify": Operation(1, "fpcompare.classify", 10, False),
}
# Conversions: "to_<format>" from any float or integer format to any other.
CONVERSIONS = "to_<format>"

# generator parameters each operation accepts, with their allowed values (first = default)
_SAT = (False, True)
PARAMS = {
    "add": {"saturate": _SAT, "align": ALIGNS},
    "sub": {"saturate": _SAT, "align": ALIGNS},
    "mul": {"saturate": _SAT, "counter": ("auto",) + COUNTERS},
    "fma": {"saturate": _SAT, "counter": COUNTERS},
    "div": {"saturate": _SAT, "arch": DIV_ARCHS},
    "sqrt": {"arch": SQRT_ARCHS},
}


def format_by_name(name: str):
    """A float format (named or e<E>m<M>) or an integer format (i32 u32 i64 u64)."""
    if name in INT_FORMATS:
        return get_int_format(name)
    try:
        return get_format(name)
    except ValueError as e:       # name the integer formats too: they are valid here
        raise ValueError(f"{e}, or an integer format {' '.join(INT_FORMATS)}") from None


def _fp_exactly_widens(src: FPFormat, dst: FPFormat) -> bool:
    """Every value of ``src`` (infinities and NaNs included) is a value of ``dst``."""
    return dst.E >= src.E and dst.M >= src.M and (dst.ieee or not src.ieee) and \
        (dst.E > src.E or dst.ieee == src.ieee)


def _conversion_rounds(src, dst) -> bool:
    if isinstance(dst, IntFormat):
        return True
    if isinstance(src, IntFormat):
        return src.width - src.signed > dst.precision or src.max > 2 ** (dst.emax + 1)
    return not _fp_exactly_widens(src, dst)


def parse_unit_name(name: str):
    """``"fp32.add"`` -> (source format, operation); clear errors for unknown parts."""
    if not isinstance(name, str) or name.count(".") != 1:
        raise ValueError(f"unit name {name!r} must be <format>.<operation>, e.g. fp32.add or fp32.to_fp16")
    src, op = name.split(".")
    if op.startswith("to_"):
        s, d = format_by_name(src), format_by_name(op[3:])
        if s == d:
            raise ValueError(f"{name}: a conversion needs two different formats")
        if isinstance(s, IntFormat) and isinstance(d, IntFormat):
            raise ValueError(f"{name}: integer-to-integer conversions are not floating-point units")
        return s, op
    if src in INT_FORMATS:
        raise ValueError(f"{name}: integer formats only take conversions to_<format>, e.g. {src}.to_fp32")
    f = get_format(src)
    if op not in OPERATIONS:
        raise ValueError(f"unknown operation {op!r} in {name!r}; operations: {', '.join(OPERATIONS)}, "
                         f"or a conversion to_<format>")
    return f, op


@dataclass
class Unit:
    """One floating-point unit: its options and (built on first use) its netlist."""

    name: str
    fmt: FPFormat | IntFormat     # the operands' format (a conversion's source)
    op: str
    rm: str = "rne"
    dynamic: bool = False
    profile: Profile = field(default_factory=lambda: get_profile("default"))
    params: dict = field(default_factory=dict)

    @property
    def target(self) -> FPFormat | IntFormat | None:
        """A conversion's target format (None for other operations)."""
        return format_by_name(self.op[3:]) if self.op.startswith("to_") else None

    @property
    def arity(self) -> int:
        return 1 if self.target is not None else OPERATIONS[self.op].arity

    @property
    def operands(self) -> list[str]:
        return ["a", "b", "c"][:self.arity]

    @property
    def operand_bits(self) -> int:
        return self.fmt.width

    @property
    def result_bits(self) -> int:
        if self.target is not None:
            return self.target.width
        return OPERATIONS[self.op].result_bits or self.fmt.width

    @property
    def rounds(self) -> bool:
        """Whether the unit rounds (and so takes a rounding mode, static or dynamic)."""
        if self.target is not None:
            return _conversion_rounds(self.fmt, self.target)
        return OPERATIONS[self.op].rounds

    @property
    def mode(self) -> str:
        """"dynamic", the static rounding mode, or "exact" for a unit that never rounds."""
        return ("dynamic" if self.dynamic else self.rm) if self.rounds else "exact"

    @property
    def module_name(self) -> str:
        mode = ("_dyn" if self.dynamic else f"_{self.rm}") if self.rounds else ""
        extra = "".join(f"_{k}" if v is True else f"_{k}{v}" for k, v in sorted(self.params.items())
                        if v != _params(self.op, self.fmt)[k][0])
        prof = "" if self.profile.name == "default" else f"_{self.profile.name}"
        return f"{self.fmt.name}_{self.op}{mode}{extra}{prof}"

    def generator(self):
        """The generator, called as ``gen(builder, modes, *operand_bits)`` -> (y, flags)."""
        t = self.target
        if t is None:
            fn = OPERATIONS[self.op].load()
            if self.rounds:
                return lambda b, modes, *ins: fn(b, self.fmt, modes, *ins, **self.params)
            return lambda b, modes, *ins: fn(b, self.fmt, *ins, **self.params)
        from . import fpconvert
        if isinstance(self.fmt, IntFormat):
            return lambda b, modes, a: fpconvert.int_to_fp(b, self.fmt, t, modes, a)
        if isinstance(t, IntFormat):
            return lambda b, modes, a: fpconvert.fp_to_int(b, self.fmt, t, modes, a)
        return lambda b, modes, a: fpconvert.fp_to_fp(b, self.fmt, t, modes, a, **self.params)

    @cached_property
    def netlist(self) -> Netlist:
        b = Builder(self.profile, name=self.module_name)
        ins = [b.input(x, self.operand_bits) for x in self.operands]
        modes = dynamic_modes(b, b.input("rm", 3)) if self.dynamic else static_modes(self.rm)
        y, flags = self.generator()(b, modes, *ins)
        b.output("y", y)
        b.output("flags", flags.bits())
        return b.build()

    def stats(self) -> dict[str, int]:
        return self.netlist.stats()


def _params(op: str, src=None) -> dict:
    if op.startswith("to_"):      # saturate: float-to-float conversions only
        return {"saturate": _SAT} if isinstance(src, FPFormat) and op[3:] not in INT_FORMATS else {}
    return PARAMS.get(op, {})


def unit(name: str, rm: str = "rne", dynamic: bool = False, profile: str = "default", **params) -> Unit:
    """The unit ``<format>.<operation>`` for rounding mode ``rm`` (or a dynamic ``rm`` port)."""
    f, op = parse_unit_name(name)
    if rm not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {rm!r}; modes: {', '.join(ROUNDING_MODES)}")
    prof = get_profile(profile)
    allowed = _params(op, f)
    for k, v in params.items():
        if k not in allowed:
            raise ValueError(f"{name}: unknown parameter {k!r} (parameters: {', '.join(allowed) or 'none'})")
        if v not in allowed[k]:
            raise ValueError(f"{name}: {k}={v!r} is not one of {allowed[k]}")
    u = Unit(f"{f.name}.{op}", f, op, rm, bool(dynamic), prof, dict(params))
    if not u.rounds and (dynamic or rm != "rne"):
        raise ValueError(f"{u.name} never rounds: it takes no rounding mode (drop --rm/--dynamic)")
    return u
