"""The boundary-weighted vectors of the elementary functions (verify/vectors.py)."""

import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import FLAG_OF, get_format
from spikefp.verify import elementary, vectors

FNS = list(elementary.OPS)


def _kind(f, fn, a):
    y, flags = elementary.OPS[fn](f, a, "rne")
    mag = y & (f.sign_bit - 1)
    return "overflow" if flags & FLAG_OF else "zero" if mag == 0 else "subnormal" if mag >> f.M == 0 else "normal"


@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp16", "bf16", "fp32"])
@pytest.mark.parametrize("fn", FNS)
def test_edges_are_where_the_result_changes_kind(fmt, fn):
    f = get_format(fmt)
    for a in vectors.elementary_edges(f, fn):
        assert _kind(f, fn, a) != _kind(f, fn, a - 1), (fn, hex(a))


def test_edges_of_exp_and_exp2():
    """fp16: e^x overflows from x = 11.09375 (0x498c) on; 2^x from 16; 2^x is subnormal below
    -14 and rounds to 0 from -25 on (2^-25 is the tie, even: 0)."""
    f = get_format("fp16")
    edges = vectors.elementary_edges(f, "exp")
    assert edges[0] == 0x498C and elementary.exp(f, 0x498C)[1] & FLAG_OF and not elementary.exp(f, 0x498B)[1] & FLAG_OF
    assert vectors.elementary_edges(f, "exp2") == (0x4C00, 0xCB01, 0xCE40)
    assert vectors.elementary_edges(get_format("fp32"), "exp")[0] == 0x42B17218        # 88.72284


@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp32", "fp64"])
@pytest.mark.parametrize("fn", FNS)
def test_boundary_holds_each_family(fmt, fn):
    f = get_format(fmt)
    a = vectors.boundary(f, fn, 4000, seed=3)["a"]
    assert a.dtype == np.uint64 and len(a) == 4000
    assert np.array_equal(a, vectors.boundary(f, fn, 4000, seed=3)["a"])      # deterministic
    have = {int(v) for v in a}
    for e in vectors.elementary_edges(f, fn):                                  # each edge, and just before
        assert e in have and e - 1 in have, hex(e)
    one = f.bias << f.M
    assert {one - 1, one, one + 1, one | f.sign_bit} <= have                   # next to 1 and -1
    mag = a & np.uint64(f.sign_bit - 1)
    exp_field = (mag >> np.uint64(f.M)).astype(np.int64) - f.bias
    tiny = (exp_field >= -f.precision - 5) & (exp_field <= -f.precision + 1)   # |x| near 2^-(p+2)
    assert tiny.sum() >= 200
    assert len(np.unique(exp_field)) > min(f.exp_ones, 200) // 2                # uniform patterns too
    exact = vectors._exact_operands(f, fn)
    assert len(have & set(exact)) >= min(len(exact), 50)


def test_exact_cases_named():
    f = get_format("fp16")
    assert vectors._exact_operands(f, "exp") == [0, 0x8000]
    assert vectors._exact_operands(f, "log") == [0x3C00]
    assert 0x4400 in vectors._exact_operands(f, "log2")                        # 4
    assert 0x4400 in vectors._exact_operands(f, "rsqrt") and 0x4000 not in vectors._exact_operands(f, "rsqrt")
    assert 0xC000 in vectors._exact_operands(f, "recip")                       # -2
    assert {0x3C00, 0xBC00, 0x4B80, 0xCE00} <= set(vectors._exact_operands(f, "exp2"))    # 1, -1, 15, -24
    for fn in FNS:
        for a in vectors._exact_operands(f, fn):
            assert elementary.OPS[fn](f, a)[1] == 0, (fn, hex(a))            # exact: no flag


def test_for_unit_takes_the_family():
    u = spikefp.unit("fp16.recip")
    a = vectors.for_unit(u, 1000)["a"]
    assert len(a) == 1000 + len(vectors.SPECIAL_NAMES)
    assert set(vectors.special_values(u.fmt)) <= {int(v) for v in a}
    assert set(vectors.elementary_edges(u.fmt, "recip")) <= {int(v) for v in a}
