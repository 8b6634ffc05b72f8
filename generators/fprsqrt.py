"""Reciprocal and reciprocal square root, exact by construction: integer division and root.

Both round through the shared `round_pack` and `finish` from a truncated result with an exact
sticky bit, so they are correctly rounded in every mode with no error analysis to make.

``recip(x) = 1 / x`` is the divider (`fpdivsqrt.div`) with the constant dividend 1.0: the
builder folds the constant, so it costs a little less than ``div``.

``rsqrt(x) = 1 / sqrt(x)``: write x = m1 * 2^(2j) with the significand m1 an integer in
[2^q, 2^(q+2)) (q = 2 floor(p/2), the exponent made even by one more shift of m1). Then
1 / sqrt(x) = 2^-j * R * 2^-K with, for n = p + 3 and K = n - 1 + q/2,

    R = floor(2^K / sqrt(m1)) = floor(sqrt(floor(2^(2K) / m1)))

because floor(sqrt(floor(z))) = floor(sqrt(z)) for real z >= 0. So an integer division
(`fpdivsqrt`'s restoring quotient, 2n - 1 bits, exact remainder) followed by an integer square
root (`fpdivsqrt`'s digit recurrence, n bits, exact remainder) gives R in (2^(n-2), 2^(n-1)]:
p + 2 significant bits or more, and the value is exact exactly when both remainders are 0
(if 2^(2K) / m1 is not an integer, neither is its root). R = 2^(n-1) only for m1 = 2^q, the
exact case rsqrt(4^k) = 2^-k, where every lower bit is 0: where every result is a normal
number (every named format) that top bit is ORed into the next and carried into the exponent
adder; elsewhere (custom formats such as e2m5 or e3m8 have subnormal or overflowing results)
`normalize_signed` shifts.

Alternatives measured (``arch="select"`` is a parameter of the unit): fpdivsqrt's select step in
both recurrences, a third fewer layers for a fifth more neurons; and `normalize_signed` for every
format instead of only where results can be subnormal or overflow (a leading-zero shift where a
one-bit fold suffices). A digit recurrence for 1/sqrt directly (keeping m1 * y^2) needs three
adders a step where division and root need one each, and a table-seeded Newton iteration is
not exact; neither was built. recip could start its quotient from a constant, but the divider
with the constant dividend folds to that already.

Sizes (default profile, rne static; ``spikefp stats``, ``--param arch=select``), neurons / depth:

======  ==============  ==============  ==================  ==============  ==============
format  rsqrt           rsqrt select    rsqrt, normalizing  recip           div (for scale)
======  ==============  ==============  ==================  ==============  ==============
fp16     1,680 / 204     2,019 / 125     2,009 / 213         1,035 / 118     1,159 / 120
bf16       979 / 103     1,208 / 79      1,260 / 112           706 / 66        818 / 67
fp32     6,222 / 389     7,614 / 249     6,849 / 410         3,199 / 223     3,500 / 224
fp64    26,341 / 797    32,688 / 531    27,742 / 817        12,111 / 428    12,811 / 429
======  ==============  ==============  ==================  ==============  ==============

>>> from spikefp.hdl import Builder
>>> from spikefp.generators.fpformat import get_format
>>> from spikefp.generators.fpcommon import static_modes
>>> f = get_format("fp16"); b = Builder()
>>> y, flags = rsqrt(b, f, static_modes("rne"), b.input("a", 16))
>>> b.output("y", y); b.output("flags", flags.bits())
>>> net = b.build()
>>> net.evaluate(a=0x4400), net.evaluate(a=0x4000)      # 1/sqrt(4) = 0.5 exact, 1/sqrt(2) inexact
({'y': 14336, 'flags': 0}, {'y': 14760, 'flags': 1})
>>> b = Builder(); y, flags = recip(b, f, static_modes("rne"), b.input("a", 16))
>>> b.output("y", y); b.output("flags", flags.bits())
>>> b.build().evaluate(a=0x4200)                        # 1/3 = 0x3555, inexact
{'y': 13653, 'flags': 1}
"""

from __future__ import annotations

from dataclasses import replace

from ..hdl import gates
from ..hdl.builder import CONST0, Builder
from . import adders
from .fpcommon import Modes, RawFloat, finish, round_pack, unpack
from .fpdivsqrt import SQRT_ARCHS, _normalized, _restoring_quotient, _root, div
from .fpformat import FPFormat
from .normalize import const, normalize_signed, split

__all__ = ["recip", "rsqrt", "ARCHS"]

ARCHS = SQRT_ARCHS


def recip(b: Builder, f: FPFormat, m: Modes, a_bits, saturate: bool = False):
    """``1 / a``: returns (y bits, `Flags`); recip(+-0) = +-inf with DZ, recip(+-inf) = +-0."""
    return div(b, f, m, const(f.bias << f.M, f.width), a_bits, saturate)


def _always_normal(f: FPFormat) -> bool:
    """Whether every rsqrt result is a normal number below the overflow threshold: from
    rsqrt(largest) > 2^(-(emax+1)/2) >= 2^emin up to rsqrt(2^(emin-M)) <= 2^emax (true for the
    named formats; e2m5 or e3m8 have subnormal or overflowing results)."""
    return 2 * f.emin + f.emax + 1 <= 0 and f.M - f.emin <= 2 * f.emax


def rsqrt(b: Builder, f: FPFormat, m: Modes, a_bits, saturate: bool = False, arch: str = "restoring"):
    """``1 / sqrt(a)``: returns (y bits, `Flags`); rsqrt(+-0) = +-inf with DZ, negative operands
    are invalid, rsqrt(+inf) = +0."""
    if arch not in ARCHS:
        raise ValueError(f"unknown rsqrt architecture {arch!r}; choose from {', '.join(ARCHS)}")
    p = f.precision
    A = unpack(b, f, a_bits)
    # Wide enough for the exponent of a normalized subnormal (down to 2 - p) and of the result.
    w = max(f.E, p.bit_length()) + 3
    ma, ea = _normalized(b, A, w)
    q, n = 2 * (p // 2), p + 3
    # m1 = ma * 2^t in [2^q, 2^(q+2)), t one more when the exponent ea - bias - q is odd.
    odd = ~ea[0] if f.bias % 2 else ea[0]
    t0 = q - p + 1
    pad = lambda shift: ([CONST0] * shift + list(ma) + [CONST0] * 2)[:q + 2]
    m1 = [gates.mux(b, odd, x, y) for x, y in zip(pad(t0), pad(t0 + 1))]
    # Dividend 2^q; 0 for +inf, so that the quotient, the root and the result are an exact +0.
    top = const(1 << q, q + 2)
    top[q] = ~A.is_inf
    z, rem_div = _restoring_quotient(b, 2 * n - 1, top, m1, arch)       # floor(2^(2K) / m1)
    root, rem_root = _root(b, n, list(z) + [CONST0], arch)
    sticky = gates.or_(b, [rem_div, rem_root])
    # R's bit n - 2 weighs 2^(n-2-K-j); its biased exponent is bias - 1 - floor((ea - bias) / 2)
    # = 2 bias - 1 - floor((ea + bias) / 2): 2 bias + NOT floor(...), one more for R = 2^(n-1).
    s_, _ = adders.add(b, ea, const(f.bias % (1 << w), w))
    half = list(s_[1:]) + [s_[-1]]
    if _always_normal(f):
        # The exact case R = 2^(n-1) has every lower bit 0: fold its top bit into bit n - 2.
        k, _ = adders.add(b, const(2 * f.bias, w), [~x for x in half], root[-1])
        exp, sig = k[:f.E], split(b, f, list(root[:-2]) + [gates.or_(b, root[-2:])], sticky)
    else:   # normalize_signed's k is one less than the biased exponent of the top bit, n - 1
        k, _ = adders.add(b, const(2 * f.bias, w), [~x for x in half])
        exp, sig = normalize_signed(b, f, [sticky] + list(root), k)
    dz = A.is_zero
    # E4M3 has no infinity: rsqrt(+-0) is the NaN, or with saturate the largest finite number.
    raw = RawFloat(A.sign, exp, sig, saturated_inf=dz if saturate and not f.ieee else CONST0, dz=dz)
    rounded = round_pack(b, f, m, raw, saturate)
    neg = gates.and_(b, [A.sign, ~A.is_zero, ~A.is_nan])
    nan = gates.or_(b, [A.is_nan, neg] + ([] if f.ieee or saturate else [dz]))
    nv = gates.or_(b, [A.is_snan, neg])
    inf = dz if f.ieee else CONST0
    return finish(b, f, m, replace(raw, nan=nan, nv=nv, inf=inf, inf_sign=A.sign), rounded)
