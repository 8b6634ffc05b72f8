"""Integer blocks against their Python-integer specifications, through the exact engine.

Exhaustive at small widths, >= 10,000 random vectors (corner values mixed in) at 24, 53
and 64 bits, for every parameter variant and both gate profiles.
"""

import itertools

import numpy as np
import pytest

from spikefp import pysim
from spikefp.verify.blockcheck import mismatches, random_vectors
from spikefp.generators import BLOCKS

PROFILES = ("default", "loihi")


def variants(name):
    params = BLOCKS[name].params
    keys = list(params)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(params[k] for k in keys))]


CASES = [(name, p) for name in BLOCKS for p in variants(name)]


def ids(case):
    name, p = case
    return name + "".join(f"-{v}" for v in p.values())


def exhaustive(widths):
    names = list(widths)
    total = sum(widths.values())
    allv = np.arange(1 << total, dtype=np.uint64)
    out, shift = {}, 0
    for n in names:
        out[n] = (allv >> np.uint64(shift)) & np.uint64((1 << widths[n]) - 1)
        shift += widths[n]
    return out


def run_and_compare(name, width, profile, params, vec):
    blk = BLOCKS[name]
    net = blk.build(width, profile, **params)
    net.validate(profile)
    got = pysim.compile(net).run(**vec)
    bad = mismatches(blk.spec, width, vec, got)
    assert not bad, f"{name} width {width} {profile} {params}: {len(bad)} mismatches, first {bad[:3]}"
    return net


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.parametrize("profile", PROFILES)
def test_exhaustive_small_widths(case, profile):
    name, params = case
    blk = BLOCKS[name]
    for width in range(1, 9):
        widths = blk.inputs(width)
        if sum(widths.values()) > 16:
            break
        run_and_compare(name, width, profile, params, exhaustive(widths))


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("width", [24, 53, 64])
def test_random_wide(case, profile, width):
    name, params = case
    vec = random_vectors(BLOCKS[name].inputs(width), 10_000, seed=width)
    net = run_and_compare(name, width, profile, params, vec)
    # Second, independent path: the neuron-by-neuron reference evaluator on a few vectors.
    for i in range(0, 10_000, 2_500):
        args = {k: int(v[i]) for k, v in vec.items()}
        assert net.evaluate(**args) == BLOCKS[name].spec(width, **args)


def test_spec_functions_on_known_values():
    s = lambda name, n, **kw: BLOCKS[name].spec(n, **kw)
    assert s("add", 8, a=255, b=1) == {"s": 0, "cout": 1}
    assert s("sub", 8, a=3, b=5) == {"d": 254, "borrow": 1}
    assert s("shr", 8, a=0b10110, s=2) == {"y": 0b101, "sticky": 1}
    assert s("shr", 8, a=0b10100, s=2) == {"y": 0b101, "sticky": 0}
    assert s("shr", 8, a=0x80, s=15) == {"y": 0, "sticky": 1}
    assert s("shl", 8, a=0x81, s=1) == {"y": 0x02, "sticky": 1}
    assert s("lzc", 8, a=0) == {"z": 8} and s("lzc", 8, a=1) == {"z": 7}
    assert s("mul", 8, a=255, b=255) == {"lo": 1, "hi": 254}
    assert s("neg", 8, a=1) == {"y": 255}


def test_acceptance_counts():
    """Figures the foundation issue promises (also printed by `make demo`)."""
    ripple = BLOCKS["add"].build(24, "default", arch="ripple").stats()
    assert ripple["neurons"] == 2 * 24
    la = BLOCKS["add"].build(24, "loihi", arch="lookahead")
    la.validate("loihi")
    assert la.stats()["depth"] <= 8
    assert la.stats()["max_weight"] <= 127
    mul = BLOCKS["mul"].build(24, "default").stats()
    assert mul["neurons"] <= 2000
    assert BLOCKS["mul"].build(24, "loihi").stats()["neurons"] <= 2000


@pytest.mark.parametrize("name", ["add", "mul", "shr"])
def test_trade_offs_are_reported(name):
    """Each trade-off parameter changes neurons or depth (both are reported by stats)."""
    for key, values in BLOCKS[name].params.items():
        stats = [BLOCKS[name].build(24, **{key: v}).stats() for v in values]
        assert len({(s["neurons"], s["depth"]) for s in stats}) == len(values), (key, stats)


def test_block_parameter_errors():
    with pytest.raises(ValueError, match="add: unknown parameter 'radix'"):
        BLOCKS["add"].build(8, radix=4)
    with pytest.raises(ValueError, match=r"add: arch='carry-save' is not one of \('lookahead', 'ripple'\)"):
        BLOCKS["add"].build(8, arch="carry-save")
    with pytest.raises(ValueError, match="width 65 is out of range 1..64"):
        BLOCKS["add"].build(65)
    with pytest.raises(ValueError, match="width 0 is out of range 1..64"):
        BLOCKS["mul"].build(0)


def test_direct_multiplier_exhaustive_and_its_limits():
    """The depth-3 ``direct`` style (narrow operands only) is exact; wider ones are refused."""
    from spikefp.generators.multiplier import multiply
    from spikefp.hdl import Builder
    for n in range(1, 7):
        b = Builder()
        x, y = b.input("x", n), b.input("y", n)
        b.output("p", multiply(b, x, y, "direct"))
        net = b.build()
        assert net.stats()["depth"] <= 3
        v = exhaustive({"x": n, "y": n})
        got = pysim.compile(net).run(**v)["p"]
        assert np.array_equal(got, v["x"] * v["y"])
    b = Builder("loihi")
    with pytest.raises(ValueError, match="direct multiplication of 6 x 6 bits does not fit profile 'loihi'"):
        multiply(b, b.input("x", 6), b.input("y", 6), "direct")
