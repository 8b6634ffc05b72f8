"""The vectorized reference against the integer reference: results and flags, bit for bit."""

import numpy as np
import pytest

from spikefp.generators.fpformat import ROUNDING_MODES, get_format
from spikefp.generators.registry import OPERATIONS
from spikefp.verify import fastref, reference, vectors

FORMATS = ["fp8e4m3", "fp8e5m2", "fp16", "bf16", "fp32", "e6m9", "e2m1", "e3m3", "e8m23"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "fma"])
def test_fastref_matches_integer_reference(fmt, op):
    f = get_format(fmt)
    v = vectors.mixed(f, op, 2500, seed=13)
    cols = [v[k] for k in "abc"[:OPERATIONS[op].arity]]
    for rm in ROUNDING_MODES:
        for sat in ([False, True] if not f.ieee else [False]):
            y, fl = fastref.OPS[op](f, *cols, rm, saturate=sat)
            for i in range(len(y)):
                want = reference.OPS[op](f, *(int(c[i]) for c in cols), rm, saturate=sat)
                assert (int(y[i]), int(fl[i])) == want, (fmt, op, rm, sat, [hex(int(c[i])) for c in cols])


def test_fastref_declines_wide_formats():
    assert not fastref.supported(get_format("fp64"))
    with pytest.raises(ValueError, match="significands up to 24 bits, not fp64"):
        fastref.add(get_format("fp64"), np.array([0]), np.array([0]), "rne")
