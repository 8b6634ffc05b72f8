"""What every floating-point operation shares: unpack, rounding-mode signals, one rounder.

HardFloat's decomposition: `unpack` classifies an operand; the operation core computes a
`RawFloat` (sign, exponent, significand with guard/round/sticky bits, and the special
results that override them); `round_pack` rounds it for any format and mode, detects
overflow, tininess after rounding and inexactness, and `finish` packs the result, muxing in
NaN, infinity and overflow values, and the `Flags`. No operation patches flags afterwards.

The rounding mode is a `Modes` record of literals: constants for a unit built for one
static mode (the builder's constant folding then prunes every unused path), or the decoded
``rm`` input of a dynamic unit. One code path serves both.

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpformat import get_format
>>> b = Builder(); u = unpack(b, get_format("fp16"), b.input("a", 16))
>>> len(u.sig), len(u.exp)
(11, 5)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from . import adders
from .fpformat import ROUNDING_MODES, FPFormat
from .normalize import Significand

__all__ = ["Unpacked", "Modes", "Flags", "RawFloat", "Rounded", "static_modes", "dynamic_modes", "unpack",
           "round_up", "round_pack", "finish"]


@dataclass(frozen=True)
class Flags:
    """The five IEEE exception flags of a result, as literals (`CONST0` when never raised).

    `bits` lists them LSB first, the order of the ``flags`` port (NX=0x01 ... NV=0x10).

    >>> Flags(nv=7).bits() == [CONST0, CONST0, CONST0, CONST0, 7]
    True
    """
    nv: int = CONST0      # invalid operation
    dz: int = CONST0      # divide by zero (an exact infinity from finite operands)
    of: int = CONST0      # overflow
    uf: int = CONST0      # underflow (tiny after rounding and inexact)
    nx: int = CONST0      # inexact

    def bits(self) -> list[int]:
        """``[nx, uf, of, dz, nv]``: the ``flags`` port, LSB first."""
        return [self.nx, self.uf, self.of, self.dz, self.nv]


@dataclass(frozen=True)
class RawFloat:
    """An operation core's exact result, before rounding (HardFloat's ``RawFloat``).

    ``sign`` and the biased exponent ``exp`` (E or more bits, unsigned) of ``sig``'s top
    bit, with ``sig`` cut for rounding (`Significand`: p bits, guard, round, sticky). When
    the hidden bit is 0 the value is subnormal (or zero) and ``exp`` must be 1; an exact
    zero is all-zero significand bits with the sign the core chose.

    The other fields are literals that override that value, in this precedence (a higher
    one ignores every lower one): an invalid dynamic rounding mode (from `Modes`, not a
    field) > ``nan`` (the canonical NaN) > ``inf`` (an exact infinity of sign ``inf_sign``)
    > ``saturated_inf`` (an exact infinity in a saturating format without infinities: the
    largest finite number through the rounder's overflow path, raising neither OF nor NX)
    > overflow of the rounded value > the rounded value. ``nv`` and ``dz`` are raised as
    given (an invalid mode also raises NV and clears DZ).

    A core builds the record in two steps when its special cases are computed after the
    rounder (the gates of a unit are numbered in creation order):
    ``rounded = round_pack(b, f, m, raw)`` and then ``finish(b, f, m, replace(raw, nan=...),
    rounded)``.
    """
    sign: int
    exp: list[int]
    sig: Significand
    nan: int = CONST0
    inf: int = CONST0
    inf_sign: int = CONST0
    saturated_inf: int = CONST0
    nv: int = CONST0
    dz: int = CONST0


@dataclass
class Unpacked:
    sign: int
    exp: list[int]        # E bits: biased exponent, 1 for subnormals and zero
    sig: list[int]        # p bits: fraction and hidden bit (index M)
    is_zero: int
    is_inf: int
    is_nan: int
    is_snan: int
    field: list[int]      # E bits: the raw exponent field


@dataclass
class Modes:
    rne: int
    rtz: int
    rdn: int
    rup: int
    rmm: int
    invalid: int          # dynamic rm codes 5..7


def static_modes(rm: str) -> Modes:
    if rm not in ROUNDING_MODES:
        raise ValueError(f"unknown rounding mode {rm!r}; modes: {', '.join(ROUNDING_MODES)}")
    return Modes(*(CONST1 if m == rm else CONST0 for m in ROUNDING_MODES), invalid=CONST0)


def dynamic_modes(b: Builder, rm_bits) -> Modes:
    """Decode the 3-bit RISC-V ``frm`` input: 0..4 = rne rtz rdn rup rmm, 5..7 invalid."""
    one_hot = [gates.and_(b, [r if (code >> j) & 1 else ~r for j, r in enumerate(rm_bits)])
               for code in range(5)]
    invalid = b.neuron([(rm_bits[0], 1), (rm_bits[1], 2), (rm_bits[2], 4)], 5)
    return Modes(*one_hot, invalid=invalid)


def _and_any(b: Builder, all_of, any_of) -> int:
    """AND(all_of) AND OR(any_of), as one neuron when the profile allows."""
    all_of, any_of = list(all_of), list(any_of)
    k = len(any_of)
    p = b.profile
    if (p.max_fanin is None or len(all_of) + k <= p.max_fanin) and p.weight_ok(k):
        return b.neuron([(x, k) for x in all_of] + [(y, 1) for y in any_of], k * len(all_of) + 1)
    return gates.and_(b, [gates.and_(b, all_of), gates.or_(b, any_of)])


def unpack(b: Builder, f: FPFormat, bits) -> Unpacked:
    """Classify an operand and expose its sign, effective exponent and significand."""
    frac, ef, sign = list(bits[:f.M]), list(bits[f.M:f.M + f.E]), bits[f.width - 1]
    hidden = gates.or_(b, ef)
    is_zero = gates.nor(b, ef + frac)
    if f.ieee:
        is_inf = gates.and_(b, ef + [~x for x in frac])
        is_nan = _and_any(b, ef, frac)
        is_snan = _and_any(b, ef + [~frac[-1]], frac[:-1]) if f.M > 1 else CONST0
    else:   # OCP E4M3: S.1111.111 is the only NaN; no infinities, no signaling NaNs
        is_inf, is_snan = CONST0, CONST0
        is_nan = gates.and_(b, ef + frac)
    # Subnormals have exponent 1: bit 0 is ef0 OR (all exponent bits 0), one neuron.
    e0 = b.neuron([(ef[0], f.E - 1)] + [(x, -1) for x in ef[1:]], 0) if f.E > 1 else CONST1
    return Unpacked(sign, [e0] + ef[1:], frac + [hidden], is_zero, is_inf, is_nan, is_snan, ef)


def _gated(b: Builder, mode: int, terms, threshold: int) -> int:
    """``mode AND [sum(terms) >= threshold]`` in one neuron (mode weighted above the terms' range)."""
    k = sum(w for _, w in terms if w > 0) - threshold + 1
    return b.neuron(list(terms) + [(mode, k)], threshold + k)


def round_up(b: Builder, m: Modes, sign: int, lsb: int, g: int, r: int, s: int) -> int:
    """Increment decision for truncated value ``...lsb`` followed by bits ``g r s``."""
    return gates.or_(b, [
        _gated(b, m.rne, [(g, 3), (lsb, 1), (r, 1), (s, 1)], 4),      # g AND (lsb OR r OR s)
        _gated(b, m.rdn, [(sign, 3), (g, 1), (r, 1), (s, 1)], 4),     # negative, inexact
        _gated(b, m.rup, [(sign, -3), (g, 1), (r, 1), (s, 1)], 1),    # positive, inexact
        _gated(b, m.rmm, [(g, 1)], 1),                                # ties away: g
    ])


@dataclass
class Rounded:
    """What `round_pack` hands `finish`: the rounded bits and the conditions read by the flags."""
    y: list[int]          # width - 1 bits: exponent field and fraction, before special values
    overflow: int
    inexact: int
    underflow: int
    to_inf: int           # overflow gives infinity (else the largest finite number)
    overflow_form: tuple | None = None   # (terms, threshold) of the overflow neuron


def round_pack(b: Builder, f: FPFormat, m: Modes, raw: RawFloat, saturate: bool = False) -> Rounded:
    """Round the value of ``raw`` (its overrides aside) and pack its exponent field and fraction.

    Rounding adds 1 to the packed exponent-and-fraction integer, so a carry out of the
    fraction moves into the exponent, a subnormal becomes the smallest normal and the
    largest finite becomes infinity, all by the same increment. ``raw.saturated_inf``
    forces the exponent past the range, so that the overflow path gives the largest finite
    number (``saturate``) or the overflow pattern.
    """
    sign, exp = raw.sign, list(raw.exp)
    sig, g, r, s = raw.sig
    if raw.saturated_inf != CONST0:
        exp.append(raw.saturated_inf)
    hidden = sig[f.M]
    packed = list(sig[:f.M]) + [b.neuron([(e, 1), (hidden, 1)], 2) for e in exp[:f.E]]
    up = round_up(b, m, sign, sig[0], g, r, s)
    y, _ = adders.increment(b, packed, up)
    high = list(exp[f.E:])
    too_big = _and_any(b, [hidden], high) if high else CONST0      # exponent past the field
    # packed + up reaches the first pattern past the largest finite (infinity; E4M3: NaN):
    # the carry out of packed + up + (2^(W-1) - pattern), computed beside the increment.
    past = (f.exp_ones << f.M) if f.ieee else (1 << (f.width - 1)) - 1
    k = (1 << (f.width - 1)) - past
    consts = [CONST1 if (k >> i) & 1 else CONST0 for i in range(f.width - 1)]
    # One neuron when the weights fit: [packed + up + past * too_big >= past]; finish can
    # then fold the overflow into its case neurons (one layer less).
    form = [(x, 1 << i) for i, x in enumerate(packed)] + [(up, 1), (too_big, past)]
    if all(b.profile.weight_ok(w) for _, w in form) and \
            (b.profile.max_fanin is None or len(form) + 2 <= b.profile.max_fanin):
        overflow_form = (form, past)
        overflow = b.neuron(form, past)
    else:
        overflow_form = None
        reach = adders.carries(b, list(zip(packed, consts)), up)[-1]
        overflow = gates.or_(b, [too_big, reach])
    inexact = gates.or_(b, [g, r, s])
    # Tininess after rounding: the value is below 2^emin (hidden bit 0) and rounding it to
    # p bits with an unbounded exponent (one bit further right) does not reach 2^emin.
    reaches = gates.and_(b, list(sig[:f.M]) + [g, round_up(b, m, sign, g, r, s, CONST0)])
    underflow = b.neuron([(hidden, -1), (reaches, -1), (inexact, 1)], 1)
    if saturate:
        to_inf = CONST0
    else:
        to_inf = gates.or_(b, [m.rne, m.rmm, gates.and_(b, [m.rdn, sign]), gates.and_(b, [m.rup, ~sign])])
    return Rounded(y, overflow, inexact, underflow, to_inf, overflow_form)


def _overflow_case(b: Builder, rounded: Rounded, mode: int, special: int) -> int:
    """overflow AND mode AND NOT special: one neuron, reading the overflow's own inputs if known."""
    if rounded.overflow_form is not None:
        terms, t = rounded.overflow_form
        k = sum(w for _, w in terms if w > 0) + 1
        if b.profile.weight_ok(k):
            return b.neuron(terms + [(mode, k), (special, -k)], t + k)
    return b.neuron([(rounded.overflow, 1), (mode, 1), (special, -2)], 2)


def finish(b: Builder, f: FPFormat, m: Modes, raw: RawFloat, rounded: Rounded) -> tuple[list[int], Flags]:
    """The result bits and `Flags` of ``raw``, rounded by `round_pack`: the overrides of
    ``raw`` (see `RawFloat` for their precedence) and an invalid dynamic mode replace the
    rounded value."""
    sign, nan, nv, inf, inf_sign = raw.sign, raw.nan, raw.nv, raw.inf, raw.inf_sign
    if m.invalid != CONST0:       # an invalid dynamic mode overrides every other result
        nan = gates.or_(b, [nan, m.invalid])
        nv = gates.or_(b, [nv, m.invalid])
        inf = b.neuron([(inf, 1), (nan, -1)], 1)
    special = gates.or_(b, [nan, inf])
    ovf = rounded.overflow
    ovf_inf = _overflow_case(b, rounded, rounded.to_inf, special)
    ovf_max = _overflow_case(b, rounded, ~rounded.to_inf, special)
    inf_pat = f.inf if f.ieee else f.canonical_nan     # E4M3 overflows to NaN, not infinity
    # Special cases (exclusive, weight 4) and overflow cases (exclusive, weight 2, only
    # without a special case) override the rounded bit; no separate "kill" neuron.
    specials = [(nan, f.canonical_nan, CONST0), (inf, inf_pat if f.ieee else 0, inf_sign)]
    overflows = [(ovf_inf, inf_pat, f.ieee), (ovf_max, f.max_finite, True)]
    base = [(special, -2), (ovf, -1)]
    y = []
    for i in range(f.width - 1):
        terms = [(c, 4) for c, pat, _ in specials if (pat >> i) & 1]
        terms += [(c, 2) for c, pat, _ in overflows if (pat >> i) & 1]
        y.append(b.neuron(terms + base + [(rounded.y[i], 1)], 1))
    sign_terms = [(gates.and_(b, [c, sg]), 4) for c, _, sg in specials]
    sign_terms += [(c, 1) for c, _, signed in overflows if signed]   # overflow keeps the sign
    y.append(b.neuron(sign_terms + base + [(sign, 1)], 1))
    of = b.neuron([(ovf, 1), (special, -1)], 1)
    uf = b.neuron([(rounded.underflow, 1), (ovf, -1), (special, -1)], 1)
    nx = b.neuron([(rounded.inexact, 1), (ovf, 1), (special, -2)], 1)
    # A saturated infinity is exact: its forced overflow raises neither NX nor OF. (The
    # builder folds a constant-0 input away, so units without the case get no neuron.)
    nx, of = (b.neuron([(x, 1), (raw.saturated_inf, -1)], 1) for x in (nx, of))
    dz = b.neuron([(raw.dz, 1), (m.invalid, -1)], 1)
    return y, Flags(nv=nv, dz=dz, of=of, uf=uf, nx=nx)
