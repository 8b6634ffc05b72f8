"""Floating-point units: ``spikefp.unit("fp32.add", rm="rne")`` and the unit registry.

A unit name is ``<source>.<operation>``: a format and an operation (``fp32.add``,
``fp16.sqrt``, ``bf16.lt``, ``fp8e4m3.classify``) or a conversion ``to_<target>``
(``fp32.to_fp16``, ``fp64.to_i32``, ``i32.to_fp32``; integers are ``i32 u32 i64 u64``).
A unit that rounds is built for one static rounding mode (fewer neurons: constant folding
prunes the other modes) or ``dynamic=True``, with a 3-bit ``rm`` input port (RISC-V
``frm`` codes 0-4 = rne rtz rdn rup rmm; codes 5-7 give NV and the canonical NaN).
Operations that never round (comparisons, min/max, classify, exact conversions) have no
rounding mode. Ports: operands ``a``, ``b`` (and ``c`` for fma), ``rm`` when dynamic;
outputs ``y`` and ``flags`` (NV DZ OF UF NX = 0x10 0x08 0x04 0x02 0x01). What each operation
is (arity, parameters, generator, reference) is declared once in `spikefp.generators.registry`.
Parameters are canonical: ``saturate=1``, ``"true"`` and ``True`` build one unit, one module name.

>>> import spikefp
>>> u = spikefp.unit("fp16.add")
>>> u.netlist.evaluate(a=0x3c00, b=0x3c00)          # 1 + 1 = 2
{'y': 16384, 'flags': 0}
>>> u.module_name, spikefp.unit("fp16.lt").module_name
('fp16_add_rne', 'fp16_lt')
>>> spikefp.unit("fp8e4m3.mul", saturate="true").module_name == spikefp.unit("fp8e4m3.mul", saturate=1).module_name
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from ..hdl import Builder, Netlist, Profile, get_profile
from . import floatio
from .fpcommon import dynamic_modes, static_modes
from .fpformat import INT_FORMATS, FPFormat, IntFormat, ROUNDING_MODES, get_format, get_int_format
from .registry import CONVERSION, OPERATIONS, Operation, operation, show

__all__ = ["Unit", "unit", "parse_unit_name", "format_by_name", "OPERATIONS", "CONVERSION"]


def format_by_name(name: str):
    """A float format (named or e<E>m<M>) or an integer format (i32 u32 i64 u64)."""
    if name in INT_FORMATS:
        return get_int_format(name)
    try:
        return get_format(name)
    except ValueError as e:       # name the integer formats too: they are valid here
        raise ValueError(f"{e}, or an integer format {' '.join(INT_FORMATS)}") from None


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


@dataclass(frozen=True)
class Unit:
    """One floating-point unit: its options and (built on first use) its netlist.

    ``params`` holds the parameters that differ from their defaults, coerced to their types
    (`unit` canonicalizes them), so equal units have equal ``params`` and module names.
    Frozen: `unit` hands the same instance to every caller asking for the same unit, with
    its netlist and compiled simulator built once.
    """

    name: str
    fmt: FPFormat | IntFormat     # the operands' format (a conversion's source)
    op: str
    rm: str = "rne"
    dynamic: bool = False
    profile: Profile = field(default_factory=lambda: get_profile("default"))
    params: dict = field(default_factory=dict)
    scale: int = 1                # the robust build (`spikefp.hdl.harden`): margin x scale,
    replicas: int = 1             # and every neuron built `replicas` times

    @property
    def operation(self) -> Operation:
        """The unit's record in the operator registry."""
        return operation(self.op)

    @property
    def target(self) -> FPFormat | IntFormat | None:
        """A conversion's target format (None for other operations)."""
        return format_by_name(self.op[3:]) if self.op.startswith("to_") else None

    @property
    def arity(self) -> int:
        return len(self.operands)

    @property
    def operands(self) -> list[str]:
        """Operand (input port) names: ``a``, ``b``, ``c``, or ``a0 .. b(n-1), c`` for ``dot``."""
        return self.operation.operands_for(self.generator_params)

    @property
    def operand_bits(self) -> int:
        return self.fmt.width

    @property
    def result_bits(self) -> int:
        return self.operation.result_bits_for(self.fmt, self.target)

    @property
    def rounds(self) -> bool:
        """Whether the unit rounds (and so takes a rounding mode, static or dynamic)."""
        return self.operation.rounds_for(self.fmt, self.target)

    @property
    def mode(self) -> str:
        """"dynamic", the static rounding mode, or "exact" for a unit that never rounds."""
        return ("dynamic" if self.dynamic else self.rm) if self.rounds else "exact"

    @property
    def module_name(self) -> str:
        mode = ("_dyn" if self.dynamic else f"_{self.rm}") if self.rounds else ""
        extra = "".join(f"_{k}" if v is True else f"_{k}{show(v)}" for k, v in sorted(self.params.items()))
        prof = "" if self.profile.name == "default" else f"_{self.profile.name}"
        robust = (f"_scale{self.scale}" if self.scale > 1 else "") + (f"_replicas{self.replicas}" if self.replicas > 1 else "")
        return f"{self.fmt.name}_{self.op}{mode}{extra}{robust}{prof}"

    def _keywords(self, result_only: bool) -> dict:
        kw = {p.name: self.params.get(p.name, p.default)
              for p in self.operation.params_for(self.fmt, self.target) if p.result or not result_only}
        return kw if self.target is None else dict(kw, target=self.target)

    @property
    def generator_params(self) -> dict:
        """Keyword arguments of the generator: every parameter (defaults included), and
        ``target`` for a conversion."""
        return self._keywords(result_only=False)

    @property
    def reference_params(self) -> dict:
        """Keyword arguments of the reference functions: the parameters that change results
        (``saturate``), and ``target`` for a conversion."""
        return self._keywords(result_only=True)

    @cached_property
    def netlist(self) -> Netlist:
        b = Builder(self.profile, name=self.module_name)
        ins = [b.input(x, self.operand_bits) for x in self.operands]
        modes = dynamic_modes(b, b.input("rm", 3)) if self.dynamic else static_modes(self.rm)
        y, flags = self.operation.generator(b, self.fmt, modes, *ins, **self.generator_params)
        b.output("y", y)
        b.output("flags", flags.bits())
        if self.scale == self.replicas == 1:
            return b.build()
        from ..hdl.harden import harden
        net = harden(b.build(), self.scale, self.replicas)
        return Netlist(net.inputs, net.outputs, net.neurons, self.module_name)

    def __hash__(self):
        return hash((self.name, self.rm, self.dynamic, self.profile, tuple(self.params.items()),
                     self.scale, self.replicas))

    def stats(self) -> dict[str, int]:
        return self.netlist.stats()

    @cached_property
    def sim(self):
        """The netlist compiled for the exact engine (`spikefp.pysim.compile`), built once."""
        from ..pysim import compile
        return compile(self.netlist)

    def prepare(self) -> "Unit":
        """Build (or load from the cache) the compiled kernel of `sim` now, so that every call,
        even on one value, runs at the kernel's speed (a model prepares the units it uses)."""
        self.sim.prepare()
        return self

    @cached_property
    def _device_sims(self) -> dict:
        return {}

    def device_sim(self, device):
        """The netlist compiled for the torch engine on ``device`` (e.g. ``"cuda"``), built once per device."""
        key = str(device)
        if key not in self._device_sims:
            from ..pysim import compile
            self._device_sims[key] = compile(self.netlist, engine="torch", device=device)
        return self._device_sims[key]

    @cached_property
    def _plan(self) -> floatio.Plan:
        return floatio.Plan(self)

    def __call__(self, *operands, rm=None, flags: bool = False):
        """The unit on numpy arrays or torch tensors of its format (`spikefp.generators.floatio`).

        Operands broadcast like numpy; the result has their kind, shape and dtype (torch:
        device): bool for comparisons, uint16 for ``classify``, the target's dtype for
        conversions. ``flags=True`` returns ``(y, flags)``, flags as uint8 (NV DZ OF UF NX =
        0x10 0x08 0x04 0x02 0x01). ``rm`` drives a dynamic unit: a mode name, a RISC-V code
        0-7, or an array of codes that broadcasts with the operands. Custom formats take and
        return unsigned bit patterns.

        >>> import numpy as np, spikefp
        >>> add = spikefp.unit("fp16.add", dynamic=True)
        >>> one, tiny = np.float16(1), np.float16(2.0 ** -24)    # 1 + the smallest subnormal
        >>> add(one, tiny, rm=np.array([0, 3]))                    # rne, rup
        array([1.   , 1.001], dtype=float16)
        >>> y, flags = add(np.float16([[1], [2]]), np.float16([0, 1e-3, -3]), rm="rdn", flags=True)
        >>> y.shape, flags.tolist()
        ((2, 3), [[0, 1, 0], [0, 1, 0]])
        """
        return floatio.call(self._plan, operands, rm, flags)


def unit(name: str, rm: str = "rne", dynamic: bool = False, profile: str = "default", scale: int = 1,
         replicas: int = 1, **params) -> Unit:
    """The unit ``<format>.<operation>`` for rounding mode ``rm`` (or a dynamic ``rm`` port).

    ``params`` are the operation's parameters (`spikefp.generators.registry`), coerced to
    their types: ``saturate=True``, ``saturate=1`` and ``saturate="true"`` are one unit,
    and the same `Unit` instance (so its netlist and simulator are built once).
    ``scale`` and ``replicas`` (odd) make the robust build of `spikefp.hdl.harden`: the same
    function with ``scale`` times the margin of every neuron (more weight bits, no neuron)
    and ``replicas`` copies of every neuron read as a vote.
    """
    try:
        return _unit_cached(name, rm, dynamic, profile, scale, replicas, **params)
    except TypeError:                   # an unhashable argument: no cache (and a clear error below)
        return _canonical_unit(*_canonical(name, rm, dynamic, profile, scale, replicas, params))


@lru_cache(maxsize=1024, typed=True)   # typed: saturate=1.0 must not hit saturate=1's entry
def _unit_cached(name, rm, dynamic, profile, scale, replicas, **params) -> Unit:
    return _canonical_unit(*_canonical(name, rm, dynamic, profile, scale, replicas, params))


@lru_cache(maxsize=None)
def _canonical_unit(name, f, op, rm, dynamic, prof, canonical: tuple, scale, replicas) -> Unit:
    return Unit(name, f, op, rm, dynamic, prof, dict(canonical), scale, replicas)


def _canonical(name, rm, dynamic, profile, scale, replicas, params) -> tuple:
    """The checked, canonical arguments of `Unit` (``params`` as sorted items, hashable)."""
    f, op = parse_unit_name(name)
    if rm not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {rm!r}; modes: {', '.join(ROUNDING_MODES)}")
    prof = get_profile(profile)
    target = format_by_name(op[3:]) if op.startswith("to_") else None
    try:
        canonical = operation(op).canonical(params, f, target)
    except ValueError as e:
        raise ValueError(f"{f.name}.{op}: {e}") from None
    name = f"{f.name}.{op}"
    if not operation(op).rounds_for(f, target) and (dynamic or rm != "rne"):
        raise ValueError(f"{name} never rounds: it takes no rounding mode (drop --rm/--dynamic)")
    for what, v in (("scale", scale), ("replicas", replicas)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1 or v % 2 == 0:
            raise ValueError(f"{name}: {what} must be an odd integer >= 1, got {v!r}")
    return name, f, op, rm, bool(dynamic), prof, tuple(canonical.items()), int(scale), int(replicas)
