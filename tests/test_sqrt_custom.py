"""sqrt on custom formats whose roots can be subnormal (bias < p: normalize_signed's path)."""

import numpy as np
import pytest

import spikefp
from spikefp.verify import check, vectors

MODES = ["rne", "rtz", "rdn", "rup", "rmm"]


@pytest.mark.parametrize("fmt, arch", [("e2m3", "restoring"), ("e2m5", "restoring"), ("e3m4", "restoring"),
                                       ("e2m5", "select")])
def test_small_formats_every_input_every_mode(fmt, arch):
    """Every input in every static mode, and under every rm code 0..7 (5..7: NaN with NV) dynamically."""
    for rm in MODES:
        u = spikefp.unit(f"{fmt}.sqrt", rm=rm, arch=arch)
        r = check.check(u, vectors.exhaustive_for(u))
        assert (r.vectors, r.mismatches) == (1 << u.operand_bits, 0), str(r)
    u = spikefp.unit(f"{fmt}.sqrt", dynamic=True, arch=arch)
    a = np.tile(vectors.exhaustive_for(u)["a"], 8)
    r = check.check(u, {"a": a}, np.repeat(np.arange(8, dtype=np.uint64), 1 << u.operand_bits))
    assert (r.vectors, r.mismatches) == (8 << u.operand_bits, 0), str(r)


@pytest.mark.parametrize("fmt", ["e2m20", "e2m40"])
def test_wide_formats_random_every_mode(fmt):
    """e2m40: a normalized subnormal exponent (down to 2 - p) needs more than E + 3 bits."""
    u = spikefp.unit(f"{fmt}.sqrt", dynamic=True)
    v = vectors.for_unit(u, 2000, seed=14)
    r = check.check(u, v, np.arange(len(v["a"]), dtype=np.uint64) % np.uint64(8))
    assert r.mismatches == 0 and r.vectors > 2000, str(r)
