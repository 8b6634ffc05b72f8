"""The acceptance campaign for division, square root, comparisons and conversions (``make exhaustive``).

Marked ``slow``: excluded from ``make test``. Through the exact engine against the reference:
every operand tuple of the 8-bit formats (and of 16-bit one-operand units), and 100,000
boundary-weighted and random vectors per unit and rounding mode for fp16, bf16, fp32, fp64
and the integer sources. Prints one line per unit and mode.
"""

import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import INT_FORMATS, ROUNDING_MODES
from spikefp.verify import check, vectors

pytestmark = pytest.mark.slow
MODES = list(ROUNDING_MODES) + ["dynamic"]
NARROW = ["fp8e4m3", "fp8e5m2"]
WIDE = ["fp16", "bf16", "fp32", "fp64"]
FLOATS = NARROW + WIDE
OPS = ["div", "sqrt", "eq", "lt", "le", "min", "max", "classify"]
CONVERSIONS = [f"{s}.to_{d}" for s in FLOATS + list(INT_FORMATS) for d in FLOATS + list(INT_FORMATS)
               if s != d and not (s in INT_FORMATS and d in INT_FORMATS)]


def units(name):
    """The unit in every rounding mode and dynamic, or once when it never rounds."""
    if not spikefp.unit(name).rounds:
        return [spikefp.unit(name)]
    return [spikefp.unit(name, rm=m) for m in ROUNDING_MODES] + [spikefp.unit(name, dynamic=True)]


def run(u, v):
    rm = np.arange(len(v["a"]), dtype=np.uint64) % np.uint64(8) if u.dynamic else None
    r = check.check(u, v, rm)
    print(r)
    assert r.mismatches == 0, str(r)


def _exhaustive(name):
    return spikefp.unit(name).operand_bits * spikefp.unit(name).arity <= 16


@pytest.mark.parametrize("name", [f"{f}.{op}" for f in FLOATS for op in OPS] + CONVERSIONS)
def test_campaign(name):
    for u in units(name):
        if _exhaustive(name):
            v = vectors.exhaustive_for(u)
            if u.dynamic:       # every operand tuple under every rm code
                v = {k: np.tile(c, 8) for k, c in v.items()}
                rm = np.repeat(np.arange(8, dtype=np.uint64), len(v["a"]) // 8)
                r = check.check(u, v, rm)
                print(r)
                assert r.mismatches == 0, str(r)
                continue
        else:
            v = vectors.for_unit(u, 100_000, seed=51)
        run(u, v)


SIXTEEN_BIT_REFERENCE_UNITS = [f"{s}.to_{d}" for s in ("fp16", "bf16") for d in FLOATS + list(INT_FORMATS) if s != d] + \
    ["fp16.sqrt", "bf16.sqrt", "fp8e4m3.div", "fp8e5m2.div"]


@pytest.mark.parametrize("name", SIXTEEN_BIT_REFERENCE_UNITS)
def test_the_two_references_agree_on_every_operand(name):
    """Ours against MPFR on every operand tuple of 16 bits, every rounding mode."""
    from spikefp.verify import mpfr_ref, reference

    u = spikefp.unit(name)
    v = vectors.exhaustive_for(u)
    cols = [v[k].tolist() for k in u.operands]
    ours = check.reference_fn(u, module=reference)
    theirs = check.reference_fn(u, module=mpfr_ref)
    for rm in (ROUNDING_MODES if u.rounds else ["rne"]):
        bad = [t for t in zip(*cols) if ours(*t, rm) != theirs(*t, rm)]
        print(f"{name} {rm}: {len(cols[0]):,} operand tuples, {len(bad)} disagreements")
        assert not bad, (rm, [hex(x) for x in bad[0]])
