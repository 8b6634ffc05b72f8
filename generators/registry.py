"""The operator registry: one `Operation` record per operation, declared once, read everywhere.

A record holds what every layer needs to know about an operation: its name, operand count,
generator, the name of its reference function, its typed parameters (allowed values and
default), result width, whether it rounds, its family of boundary test vectors and a
one-line description. `spikefp.unit`, the CLI's ``list``, the references
(`spikefp.verify.reference`, `spikefp.verify.mpfr_ref`, `spikefp.verify.fastref`), test
vectors, checks and regressions all read it, so a new operation is one more record in
`OPERATIONS` (and its functions in the generator and reference modules).

One calling convention for every generator, and one for every reference function::

    gen(b, fmt, modes, *operand_bits, **params) -> (y_bits, flags)
    ref(fmt, *operand_ints, rm, **params) -> (y, flags)

Operations that never round take ``modes`` (``rm``) and ignore it. Conversions, ``to_<format>``
from any float or integer format to another, are the one record `CONVERSION`; their
generator (`spikefp.generators.fpconvert.convert`) and reference functions also take the
target format as the keyword ``target``.

>>> OPERATIONS["fma"].arity, OPERATIONS["lt"].result_bits, OPERATIONS["min"].rounds
(3, 1, False)
>>> p = OPERATIONS["add"].param("saturate")
>>> p.coerce(True), p.coerce("true"), p.coerce(1), p.default
(True, True, True, False)
>>> operation("to_fp16") is CONVERSION, operation("div").reference
(True, 'div')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import fpcompare, fpconvert, fpdivsqrt, fpdot, fpexp, fpgelu, fplog, fpops, fprsqrt, fpsigmoid
from .fnrom import tabulated
from .fpformat import FORMATS, INT_FORMATS, ROUNDING_MODES, FPFormat, IntFormat
from .multiplier import COUNTERS

__all__ = ["Param", "Operation", "DotProduct", "Conversion", "OPERATIONS", "CONVERSION", "operation", "catalog", "show"]


def show(value) -> str:
    """A parameter value as the command line writes it (``true``, ``false``, ``srt``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _coerce(kind: type, value):
    """``value`` as a ``kind`` (bool, int or str) where it spells one unambiguously, else None."""
    if kind is bool:
        if isinstance(value, str):
            return {"true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())
        return bool(value) if not isinstance(value, float) and value in (0, 1) else None
    if kind is int:
        if isinstance(value, str) and value.strip().isascii() and value.strip().lstrip("-").isdigit():
            return int(value)
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return value if isinstance(value, kind) else None


@dataclass(frozen=True)
class Param:
    """A parameter of an operation: allowed values of one type, a default among them.

    ``result`` says whether the parameter changes the results (so the references take it,
    as ``saturate``) rather than only the circuit that computes them (``align``, ``arch``).
    """

    name: str
    choices: tuple
    default: object
    doc: str = ""
    result: bool = False

    def __post_init__(self):
        if self.default not in self.choices or any(type(c) is not type(self.default) for c in self.choices):
            raise TypeError(f"parameter {self.name}: choices {self.choices} must share the type of {self.default!r}")

    def coerce(self, value):
        """``value`` as one of the choices (``1``, ``"true"`` and ``True`` are one boolean).

        >>> Param("arch", ("restoring", "srt"), "restoring").coerce("fast")
        Traceback (most recent call last):
        ValueError: arch='fast' is not one of restoring, srt
        """
        v = _coerce(type(self.default), value)
        if v is None or v not in self.choices:
            raise ValueError(f"{self.name}={value!r} is not one of {self.spell_choices()}")
        return v

    def spell_choices(self) -> str:
        """The choices as a message writes them: a long run of integers as ``lo..hi``.

        >>> Param("n", tuple(range(1, 257)), 4).spell_choices()
        '1..256'
        """
        c = self.choices
        if len(c) > 8 and type(c[0]) is int and c == tuple(range(c[0], c[-1] + 1)):
            return f"{c[0]}..{c[-1]}"
        return ", ".join(map(show, c))

    def describe(self) -> dict:
        return {"name": self.name, "choices": list(self.choices), "default": self.default, "doc": self.doc}


@dataclass(frozen=True)
class Operation:
    """One operation of the registry (see the module docstring for the calling conventions).

    The ``*_for`` methods answer for a unit with source format ``src`` (and ``target``, for a
    conversion); an ordinary operation's answers do not depend on them.
    """

    name: str
    arity: int                   # operand count (`operands_for` names them, for any parameters)
    generator: Callable          # gen(b, fmt, modes, *operand_bits, **params) -> (y_bits, flags)
    doc: str
    reference: str               # key of the references' OPS tables (verify/reference.py, mpfr_ref.py)
    params: tuple[Param, ...] = ()
    result_bits: int | None = None   # None: a value of the unit's format
    rounds: bool = True
    vectors: str = ""            # family of boundary vectors in spikefp.verify.vectors ("" generic)

    def params_for(self, src=None, target=None) -> tuple[Param, ...]:
        return self.params

    def operands_for(self, params: dict | None = None) -> list[str]:
        """Operand (input port) names of a unit with these parameters: ``a``, ``b``, ``c``."""
        return ["a", "b", "c"][:self.arity]

    def rounds_for(self, src=None, target=None) -> bool:
        return self.rounds

    def result_bits_for(self, src, target=None) -> int:
        return self.result_bits or src.width

    def param(self, name: str, src=None, target=None) -> Param:
        for p in self.params_for(src, target):
            if p.name == name:
                return p
        names = ", ".join(p.name for p in self.params_for(src, target)) or "none"
        raise ValueError(f"unknown parameter {name!r} (parameters: {names})")

    def canonical(self, params: dict, src=None, target=None) -> dict:
        """``params`` coerced to their types, defaults dropped: one dict per distinct circuit."""
        out = {}
        for k, v in params.items():
            p = self.param(k, src, target)
            v = p.coerce(v)
            if v != p.default:
                out[k] = v
        return dict(sorted(out.items()))

    def describe(self) -> dict:
        """Plain data for ``spikefp list``: result width in bits, or "format" (the unit's)."""
        return {"name": self.name, "arity": self.arity, "rounds": self.rounds,
                "result_width": self.result_bits or "format", "doc": self.doc,
                "params": [p.describe() for p in self.params]}


def _fp_exactly_widens(src: FPFormat, dst: FPFormat) -> bool:
    """Every value of ``src`` (infinities and NaNs included) is a value of ``dst``."""
    return dst.E >= src.E and dst.M >= src.M and (dst.ieee or not src.ieee) and \
        (dst.E > src.E or dst.ieee == src.ieee)


class DotProduct(Operation):
    """``dot``: ``2n + 1`` operands ``a0 .. a(n-1), b0 .. b(n-1), c`` for the parameter ``n``.

    >>> OPERATIONS["dot"].operands_for({"n": 2}), OPERATIONS["dot"].describe()["arity"]
    (['a0', 'a1', 'b0', 'b1', 'c'], '2n+1')
    """

    def operands_for(self, params: dict | None = None) -> list[str]:
        n = (params or {}).get("n", self.param("n").default)
        return [f"a{i}" for i in range(n)] + [f"b{i}" for i in range(n)] + ["c"]

    def describe(self) -> dict:
        return dict(super().describe(), arity="2n+1")


class Conversion(Operation):
    """``to_<format>``: rounding, parameters and result width depend on the two formats."""

    def params_for(self, src=None, target=None) -> tuple[Param, ...]:
        # saturate: float-to-float conversions only (integer targets saturate by definition)
        return self.params if isinstance(src, FPFormat) and isinstance(target, FPFormat) else ()

    def rounds_for(self, src=None, target=None) -> bool:
        if isinstance(target, IntFormat):
            return True
        if isinstance(src, IntFormat):
            return src.width - src.signed > target.precision or src.max > 2 ** (target.emax + 1)
        return not _fp_exactly_widens(src, target)

    def result_bits_for(self, src, target=None) -> int:
        return target.width

    def describe(self) -> dict:
        return dict(super().describe(), rounds="unless exact", result_width="target",
                    params=[dict(p.describe(), applies_to="float to float") for p in self.params])


SATURATE = Param("saturate", (False, True), False, "overflow gives the largest finite number (E4M3's rule "
                 "everywhere) instead of infinity or NaN", result=True)
_SIGMOID_ARCH = Param("arch", fpsigmoid.ARCHS, fpsigmoid.ARCHS[0], "division step")
_ALIGN = Param("align", fpops.ALIGNS, fpops.ALIGNS[0], "operand aligner: barrel shifter or decoded (thermometer)")

OPERATIONS: dict[str, Operation] = {op.name: op for op in [
    Operation("add", 2, fpops.add, "a + b", "add", (SATURATE, _ALIGN), vectors="add"),
    Operation("sub", 2, fpops.sub, "a - b", "sub", (SATURATE, _ALIGN), vectors="sub"),
    Operation("mul", 2, fpops.mul, "a * b", "mul",
              (SATURATE, Param("counter", ("auto",) + COUNTERS, "auto", "partial-product counter")),
              vectors="mul"),
    Operation("fma", 3, fpops.fma, "a * b + c, rounded once", "fma",
              (SATURATE, Param("counter", COUNTERS, COUNTERS[0], "partial-product counter")), vectors="fma"),
    DotProduct("dot", 9, fpdot.dot, "c + a0*b0 + ... + a(n-1)*b(n-1), rounded once (exact accumulator)", "dot",
               (SATURATE, Param("n", tuple(range(1, 257)), 4, "number of products", result=True)), vectors="dot"),
    Operation("div", 2, fpdivsqrt.div, "a / b", "div",
              (SATURATE, Param("arch", fpdivsqrt.ARCHS, fpdivsqrt.ARCHS[0], "quotient digit recurrence")),
              vectors="div"),
    Operation("sqrt", 1, fpdivsqrt.sqrt, "square root of a", "sqrt",
              (Param("arch", fpdivsqrt.SQRT_ARCHS, fpdivsqrt.SQRT_ARCHS[0], "root digit recurrence"),),
              vectors="sqrt"),
    Operation("eq", 2, fpcompare.eq, "a == b, quiet (RISC-V feq)", "eq", result_bits=1, rounds=False,
              vectors="order"),
    Operation("lt", 2, fpcompare.lt, "a < b, signaling (RISC-V flt)", "lt", result_bits=1, rounds=False,
              vectors="order"),
    Operation("le", 2, fpcompare.le, "a <= b, signaling (RISC-V fle)", "le", result_bits=1, rounds=False,
              vectors="order"),
    Operation("min", 2, fpcompare.min_, "the smaller operand (RISC-V fmin, IEEE minimumNumber)", "min",
              rounds=False, vectors="order"),
    Operation("max", 2, fpcompare.max_, "the larger operand (RISC-V fmax, IEEE maximumNumber)", "max",
              rounds=False, vectors="order"),
    Operation("classify", 1, fpcompare.classify, "RISC-V fclass: a 10-bit one-hot class mask", "classify",
              result_bits=10, rounds=False),
    # Elementary functions (DESIGN.md), correctly rounded in every mode: exp, exp2 (fpexp) --
    Operation("exp", 1, tabulated(fpexp.exp), "e^a, correctly rounded", "exp", (SATURATE, Param(
        "table_bits", fpexp.TABLES, fpexp.TABLE_BITS, "address bits of the 2^r table (0: digit recurrence only)"))),
    Operation("exp2", 1, tabulated(fpexp.exp2), "2^a, correctly rounded", "exp2", (SATURATE, Param(
        "table_bits", fpexp.TABLES, fpexp.TABLE_BITS, "address bits of the 2^r table (0: digit recurrence only)"))),
    # log, log2 (fplog) --
    Operation("log", 1, tabulated(fplog.log), "natural logarithm, correctly rounded", "log",
              (SATURATE, Param("arch", fplog.ARCHS, fplog.ARCHS[0], "recurrence step"))),
    Operation("log2", 1, tabulated(fplog.log2), "base-2 logarithm, correctly rounded", "log2",
              (SATURATE, Param("arch", fplog.ARCHS, fplog.ARCHS[0], "recurrence step"))),
    # rsqrt, recip (fprsqrt) --
    Operation("rsqrt", 1, tabulated(fprsqrt.rsqrt), "1/sqrt(a), correctly rounded", "rsqrt",
              (SATURATE, Param("arch", fprsqrt.ARCHS, fprsqrt.ARCHS[0], "division and root recurrences"))),
    Operation("recip", 1, tabulated(fprsqrt.recip), "1/a, correctly rounded", "recip", (SATURATE,)),
    # sigmoid, tanh, silu (fpsigmoid) --
    Operation("sigmoid", 1, tabulated(fpsigmoid.sigmoid), "1 / (1 + e^-a), correctly rounded", "sigmoid", (_SIGMOID_ARCH,)),
    Operation("tanh", 1, tabulated(fpsigmoid.tanh), "tanh(a), correctly rounded", "tanh", (_SIGMOID_ARCH,)),
    Operation("silu", 1, tabulated(fpsigmoid.silu), "a * sigmoid(a) (SiLU), correctly rounded", "silu", (_SIGMOID_ARCH,)),
    # gelu (fpgelu) --
    Operation("gelu", 1, tabulated(fpgelu.gelu), "erf GELU x Phi(x), correctly rounded", "gelu"),
]}

CONVERSION = Conversion("to_<format>", 1, fpconvert.convert,
                        "a converted to another float or integer format (RISC-V fcvt for integers)",
                        "convert", (SATURATE,))


def operation(op: str) -> Operation:
    """The record of ``op``: an operation name or a conversion ``to_<format>``."""
    if op.startswith("to_"):
        return CONVERSION
    try:
        return OPERATIONS[op]
    except KeyError:
        raise ValueError(f"unknown operation {op!r}; operations: {', '.join(OPERATIONS)}, "
                         f"or a conversion to_<format>") from None


def catalog() -> dict:
    """Everything ``spikefp list`` names, as plain data (``spikefp list --json`` prints it).

    >>> c = catalog()
    >>> sorted(c), c["operations"][0]["name"], c["operations"][0]["params"][0]["choices"]
    (['formats', 'integer_formats', 'operations', 'profiles', 'rounding_modes'], 'add', [False, True])
    """
    from ..hdl import PROFILES
    return {
        "operations": [op.describe() for op in [*OPERATIONS.values(), CONVERSION]],
        "formats": {name: {"width": f.width, "exponent_bits": f.E, "fraction_bits": f.M, "ieee": f.ieee}
                    for name, f in FORMATS.items()},
        "integer_formats": {name: {"width": f.width, "signed": f.signed} for name, f in INT_FORMATS.items()},
        "rounding_modes": list(ROUNDING_MODES),
        "profiles": list(PROFILES),
    }
