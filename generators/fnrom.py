"""Narrow formats' one-operand functions as ROMs: `tabulated` wraps an elementary generator.

A one-operand function of a w-bit format has only 2^w inputs, so for w <= `ROM_MAX_WIDTH`
it is cheaper as a table than as a datapath sized for any format. `tabulated(gen)` builds
``gen``'s own datapath in a separate `Builder` (same profile), runs it on every input (and,
for a dynamic unit, every ``rm`` code 0..7) on the exact engine, and emits its outputs
(``y`` and the five flags) as a one-hot ROM in the caller's builder:

* one neuron per input pattern v, ``[sum(+-a_i) >= popcount(v)]`` (fires on v only; a
  pattern no output needs is left out by the builder's dead-neuron elimination);
* an output bit is an OR of the patterns where it is 1, or the complement of the OR of those
  where it is 0 (whichever is shorter: exactly one pattern fires); a bit that is constant,
  an input bit or its complement takes no neuron;
* dynamic: the modes (rne rtz rdn rup rmm invalid, one-hot) with equal columns form a group,
  and a bit is the OR over groups of ``[sel + sum(S) >= 2]`` (or ``[sel - sum(Z) >= 1]``),
  sel the OR of the group's mode literals: exactly one mode and one pattern are 1.

The contents are the datapath's outputs, not the reference's, so a test of the unit against
MPFR still tests the datapath. Wider formats call ``gen`` unchanged.

Sizes (neurons / depth, ``spikefp stats <fmt>.<fn>`` and ``--dynamic``: datapath -> ROM). A ROM
is about 2^w pattern neurons plus a few per output bit, whatever the function: depth 3 (pattern,
OR tree of fan-in 64), 5 dynamic (rm decode, gated terms). It is slightly larger than the small
recip datapath (and dynamic rsqrt), but 10 to 50 times shallower there:

=========  ===================  ===================  ===================  ===================
function   fp8e4m3 rne          fp8e4m3 dyn          fp8e5m2 rne          fp8e5m2 dyn
=========  ===================  ===================  ===================  ===================
exp        1,612/87 -> 241/3    1,626/88 -> 344/5    1,497/72 -> 186/3    1,512/73 -> 330/5
exp2       1,323/74 -> 234/3    1,337/75 -> 344/5    1,252/58 -> 183/3    1,267/59 -> 328/5
log        1,865/128 -> 277/3   1,883/129 -> 341/5   1,692/118 -> 274/3   1,710/119 -> 329/5
log2       2,006/129 -> 277/3   2,024/130 -> 334/5   1,884/128 -> 271/3   1,902/129 -> 315/5
rsqrt      374/66 -> 274/3      392/67 -> 319/5      290/57 -> 272/3      308/58 -> 308/5
recip      317/47 -> 284/3      334/48 -> 357/5      276/41 -> 287/3      296/42 -> 347/5
sigmoid    3,569/244 -> 213/3   3,583/245 -> 316/5   3,304/230 -> 170/3   3,318/231 -> 316/5
tanh       3,845/252 -> 216/3   3,863/253 -> 348/5   3,289/230 -> 214/3   3,308/231 -> 348/5
silu       3,870/252 -> 282/3   3,888/253 -> 388/5   3,493/237 -> 283/3   3,513/238 -> 386/5
gelu       17,652/209 -> 283/3  17,670/210 -> 389/5  17,683/206 -> 285/3  17,703/207 -> 391/5
=========  ===================  ===================  ===================  ===================

>>> import spikefp
>>> u = spikefp.unit("fp8e4m3.exp")
>>> u.netlist.evaluate(a=0x38)                  # e^1 = 2.75 in E4M3 (RNE), inexact
{'y': 67, 'flags': 1}
>>> u.stats()["depth"]
3
"""

from __future__ import annotations

import functools

import numpy as np

from ..hdl import gates
from ..hdl.builder import CONST0, CONST1, Builder
from .fpcommon import Flags, Modes, dynamic_modes
from .fpformat import FPFormat

__all__ = ["ROM_MAX_WIDTH", "tabulated", "contents", "rom"]

ROM_MAX_WIDTH = 8
_RM_CODES = 8      # a dynamic unit's rm codes: 0..4 the modes, 5..7 invalid (one literal)


def _is_static(m: Modes) -> bool:
    return all(x in (CONST0, CONST1) for x in (m.rne, m.rtz, m.rdn, m.rup, m.rmm, m.invalid))


def contents(gen, profile, f: FPFormat, m: Modes, **params) -> np.ndarray:
    """``gen``'s outputs on every input, as words ``y | flags << w``: one row for static
    modes ``m``, else one row per dynamic mode (rne rtz rdn rup rmm invalid)."""
    from ..pysim import compile       # lazily: pysim is an engine, not a generator dependency
    b = Builder(profile)
    a = b.input("a", f.width)
    static = _is_static(m)
    modes = m if static else dynamic_modes(b, b.input("rm", 3))
    y, flags = gen(b, f, modes, a, **params)
    b.output("y", y)
    b.output("flags", flags.bits())
    sim = compile(b.build(), native=False)
    xs = np.arange(1 << f.width, dtype=np.uint64)
    if static:
        out = sim.run(a=xs)
        return (out["y"].astype(np.int64) | out["flags"].astype(np.int64) << f.width)[None]
    out = sim.run(a=xs[None], rm=np.arange(_RM_CODES, dtype=np.uint64)[:, None])
    words = out["y"].astype(np.int64) | out["flags"].astype(np.int64) << f.width
    if not (words[5:] == words[5]).all():
        raise ValueError(f"{f.name}: the datapath's results differ between invalid rm codes 5..7")
    return words[:6]


def _patterns(b: Builder, a_bits):
    """The pattern neuron of input value v, built on first use (so in a deterministic order)."""
    cache: dict[int, int] = {}

    def pattern(v: int) -> int:
        if v not in cache:
            cache[v] = gates.and_(b, [x if (v >> i) & 1 else ~x for i, x in enumerate(a_bits)])
        return cache[v]
    return pattern


def _select(b: Builder, sel: int, column: np.ndarray, a_bits, pattern) -> int:
    """``sel`` AND (the bit whose value on input v is ``column[v]``)."""
    n = len(column)
    ones = np.flatnonzero(column).tolist()
    if not ones:
        return CONST0
    if len(ones) == n:
        return sel
    v = np.arange(n)
    for i, x in enumerate(a_bits):      # an input bit (or its complement) passes through
        bit = (v >> i) & 1
        if (column == bit).all():
            return gates.and_(b, [sel, x])
        if (column != bit).all():
            return gates.and_(b, [sel, ~x])
    zeros = np.flatnonzero(column == 0).tolist()
    negate = len(zeros) < len(ones)
    pats = [pattern(u) for u in (zeros if negate else ones)]
    fan = b.profile.max_fanin
    if sel == CONST1:
        return gates.nor(b, pats) if negate else gates.or_(b, pats)
    if fan is not None and len(pats) + 1 > fan:
        return gates.and_(b, [sel, gates.nor(b, pats) if negate else gates.or_(b, pats)])
    # At most one pattern fires: [sel + sum(S) >= 2] = sel AND OR(S); [sel - sum(Z) >= 1] = sel AND NOR(Z).
    if negate:
        return b.neuron([(sel, 1)] + [(p, -1) for p in pats], 1)
    return b.neuron([(sel, 1)] + [(p, 1) for p in pats], 2)


def rom(b: Builder, a_bits, words: np.ndarray, selects) -> list[int]:
    """The bits (LSB first) of the word ``words[k][a]`` for the one-hot ``selects[k]`` that is 1.

    ``words``: one row of 2^len(a_bits) unsigned words per select literal.

    >>> from spikefp.hdl import Builder
    >>> b = Builder(); a = b.input("a", 2)
    >>> b.output("y", rom(b, a, np.array([[0, 3, 1, 2]]), [CONST1]))
    >>> [b.build().evaluate(a=v)["y"] for v in range(4)]
    [0, 3, 1, 2]
    """
    words = np.asarray(words, dtype=np.int64)
    pattern = _patterns(b, a_bits)
    out = []
    for j in range(int(words.max()).bit_length()):
        cols = (words >> j) & 1
        groups: dict[bytes, list[int]] = {}          # equal columns share one term
        for k in range(len(selects)):
            groups.setdefault(cols[k].astype(np.uint8).tobytes(), []).append(k)
        terms = []
        for ks in groups.values():
            sel = CONST1 if len(groups) == 1 else gates.or_(b, [selects[k] for k in ks])
            terms.append(_select(b, sel, cols[ks[0]], a_bits, pattern))
        out.append(gates.or_(b, terms))
    return out


def tabulated(gen):
    """``gen`` (a one-operand generator) as a ROM of its own results for formats of width
    <= `ROM_MAX_WIDTH`; wider formats call ``gen`` itself. Parameters pass through."""
    @functools.wraps(gen)
    def tab(b: Builder, f: FPFormat, m: Modes, a_bits, **params):
        if f.width > ROM_MAX_WIDTH:
            return gen(b, f, m, a_bits, **params)
        words = contents(gen, b.profile, f, m, **params)
        selects = [CONST1] if _is_static(m) else [m.rne, m.rtz, m.rdn, m.rup, m.rmm, m.invalid]
        bits = rom(b, a_bits, words, selects)
        bits += [CONST0] * (f.width + 5 - len(bits))
        nx, uf, of, dz, nv = bits[f.width:]
        return bits[:f.width], Flags(nv=nv, dz=dz, of=of, uf=uf, nx=nx)
    return tab
