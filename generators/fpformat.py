"""Floating-point formats and rounding modes.

`FPFormat` describes a binary interchange-style format: 1 sign bit, ``E`` exponent bits,
``M`` fraction bits. Named formats follow DESIGN.md: ``fp8e4m3`` is OCP FP8 E4M3 ("fn":
no infinities, S.1111.111 is its only NaN, max finite 448); the others are IEEE-like with
infinities, quiet NaNs (top fraction bit 1) and signaling NaNs.

>>> f = get_format("fp32")
>>> f.width, f.bias, f.precision, hex(f.canonical_nan), hex(f.max_finite)
(32, 127, 24, '0x7fc00000', '0x7f7fffff')
>>> get_format("e6m9").width
16
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FPFormat", "FORMATS", "get_format", "IntFormat", "INT_FORMATS", "get_int_format", "ROUNDING_MODES", "rm_code", "FLAG_NV", "FLAG_DZ",
           "FLAG_OF", "FLAG_UF", "FLAG_NX"]

# RISC-V frm encoding (0-4); codes 5-7 are invalid and give NV with the canonical NaN.
ROUNDING_MODES = ("rne", "rtz", "rdn", "rup", "rmm")

# Flags, TestFloat/RISC-V order.
FLAG_NV, FLAG_DZ, FLAG_OF, FLAG_UF, FLAG_NX = 0x10, 0x08, 0x04, 0x02, 0x01


def rm_code(rm: str) -> int:
    try:
        return ROUNDING_MODES.index(rm)
    except ValueError:
        raise ValueError(f"unknown rounding mode {rm!r}; modes: {', '.join(ROUNDING_MODES)}") from None


@dataclass(frozen=True)
class FPFormat:
    """A binary floating-point format with ``E`` exponent and ``M`` fraction bits."""

    name: str
    E: int
    M: int
    ieee: bool = True          # False: OCP E4M3 "fn" semantics (no inf, one NaN pattern per sign)

    @property
    def width(self) -> int:
        return 1 + self.E + self.M

    @property
    def bias(self) -> int:
        return (1 << (self.E - 1)) - 1

    @property
    def precision(self) -> int:
        return self.M + 1

    @property
    def emin(self) -> int:
        """Unbiased exponent of the smallest normal number."""
        return 1 - self.bias

    @property
    def emax(self) -> int:
        """Unbiased exponent of the largest finite number."""
        return (1 << self.E) - 1 - self.bias - (1 if self.ieee else 0)

    @property
    def exp_ones(self) -> int:
        return (1 << self.E) - 1

    @property
    def sign_bit(self) -> int:
        return 1 << (self.width - 1)

    @property
    def canonical_nan(self) -> int:
        """Sign 0, exponent all ones, top fraction bit 1, the rest 0 (E4M3: all ones, 0x7F)."""
        if not self.ieee:
            return (1 << (self.width - 1)) - 1
        return (self.exp_ones << self.M) | (1 << (self.M - 1))

    @property
    def inf(self) -> int | None:
        return (self.exp_ones << self.M) if self.ieee else None

    @property
    def max_finite(self) -> int:
        """Bit pattern of the largest finite positive number."""
        if not self.ieee:
            return (1 << (self.width - 1)) - 2          # S.1111.110
        return ((self.exp_ones - 1) << self.M) | ((1 << self.M) - 1)

    # -- classification of bit patterns (the executable specification of unpacking) --------
    def fields(self, bits: int) -> tuple[int, int, int]:
        return bits >> (self.width - 1), (bits >> self.M) & self.exp_ones, bits & ((1 << self.M) - 1)

    def is_nan(self, bits: int) -> bool:
        _, e, f = self.fields(bits)
        if not self.ieee:
            return e == self.exp_ones and f == (1 << self.M) - 1
        return e == self.exp_ones and f != 0

    def is_snan(self, bits: int) -> bool:
        return self.ieee and self.is_nan(bits) and not (bits >> (self.M - 1)) & 1

    def is_inf(self, bits: int) -> bool:
        _, e, f = self.fields(bits)
        return self.ieee and e == self.exp_ones and f == 0

    def __str__(self) -> str:
        return self.name


FORMATS = {
    "fp8e4m3": FPFormat("fp8e4m3", 4, 3, ieee=False),
    "fp8e5m2": FPFormat("fp8e5m2", 5, 2),
    "fp16": FPFormat("fp16", 5, 10),
    "bf16": FPFormat("bf16", 8, 7),
    "fp32": FPFormat("fp32", 8, 23),
    "fp64": FPFormat("fp64", 11, 52),
}


def get_format(name: str | FPFormat) -> FPFormat:
    """A named format or any ``e<E>m<M>`` (E from 2 to 11, M from 1 to 52)."""
    if isinstance(name, FPFormat):
        return name
    if name in FORMATS:
        return FORMATS[name]
    m = re.fullmatch(r"e(\d+)m(\d+)", str(name))
    if not m:
        raise ValueError(f"unknown format {name!r}; formats: {', '.join(FORMATS)} or e<E>m<M>")
    E, M = int(m.group(1)), int(m.group(2))
    if not 2 <= E <= 11:
        raise ValueError(f"format {name!r}: exponent width {E} is out of range 2..11")
    if not 1 <= M <= 52:
        raise ValueError(f"format {name!r}: fraction width {M} is out of range 1..52")
    if 1 + E + M > 64:
        raise ValueError(f"format {name!r}: {1 + E + M} bits is wider than 64")
    return FPFormat(name, E, M)


@dataclass(frozen=True)
class IntFormat:
    """A two's-complement (``signed``) or unsigned integer of ``width`` bits: conversion operands.

    >>> get_int_format("i32").min, get_int_format("u32").max
    (-2147483648, 4294967295)
    """

    name: str
    width: int
    signed: bool

    @property
    def min(self) -> int:
        return -(1 << (self.width - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.width - 1 if self.signed else self.width)) - 1

    def value(self, bits: int) -> int:
        """The integer a bit pattern holds."""
        return bits - (1 << self.width) if self.signed and bits >> (self.width - 1) else bits

    def bits(self, value: int) -> int:
        """The bit pattern of an in-range integer."""
        return value & ((1 << self.width) - 1)

    def __str__(self) -> str:
        return self.name


INT_FORMATS = {n: IntFormat(n, int(n[1:]), n[0] == "i") for n in ("i32", "u32", "i64", "u64")}


def get_int_format(name: str | IntFormat) -> IntFormat:
    if isinstance(name, IntFormat):
        return name
    if name not in INT_FORMATS:
        raise ValueError(f"unknown integer format {name!r}; integer formats: {', '.join(INT_FORMATS)}")
    return INT_FORMATS[name]
