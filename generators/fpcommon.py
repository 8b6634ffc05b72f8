"""What every floating-point operation shares: unpack, rounding-mode signals, one rounder.

HardFloat's decomposition: `unpack` classifies an operand; the operation core computes a
raw result (sign, exponent, significand with guard/round/sticky bits); `round_pack` rounds
it for any format and mode, detects overflow, tininess after rounding and inexactness, and
`finish` packs the result, muxing in NaN, infinity and overflow values, and the flags.

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

__all__ = ["Unpacked", "Modes", "static_modes", "dynamic_modes", "unpack", "round_pack", "finish"]


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
    y: list[int]          # width - 1 bits: exponent field and fraction, before special values
    overflow: int
    inexact: int
    underflow: int
    to_inf: int           # overflow gives infinity (else the largest finite number)
    overflow_form: tuple | None = None   # (terms, threshold) of the overflow neuron


def round_pack(b: Builder, f: FPFormat, m: Modes, sign: int, exp, sig, g: int, r: int, s: int,
               saturate: bool = False) -> Rounded:
    """Round a raw result and pack its exponent field and fraction.

    ``exp`` (E or more bits, unsigned) is the biased exponent of ``sig``'s bit ``M`` (the
    hidden bit); when that bit is 0 the value is subnormal and ``exp`` must be 1. ``g``,
    ``r`` are the next two bits and ``s`` the OR of all below. Rounding adds 1 to the
    packed exponent-and-fraction integer, so a carry out of the fraction moves into the
    exponent, a subnormal becomes the smallest normal and the largest finite becomes
    infinity, all by the same increment.
    """
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


def finish(b: Builder, f: FPFormat, m: Modes, sign: int, rounded: Rounded, *, nan: int, nv: int,
           inf: int = CONST0, inf_sign: int = CONST0):
    """Pack the result bits and the 5 flag bits (NX UF OF DZ NV, LSB first).

    ``nan``: the result is the canonical NaN; ``nv``: raise invalid; ``inf``: the result is an
    exact infinity with sign ``inf_sign``. These and an invalid dynamic mode override the
    rounded value.
    """
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
    return y, [nx, uf, of, CONST0, nv]
