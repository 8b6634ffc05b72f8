"""The full acceptance campaign for the floating-point units (``make exhaustive``).

Marked ``slow``: excluded from ``make test``. Prints one line per unit and mode.
"""

import numpy as np
import pytest

import spikefp
from spikefp.generators.fpformat import ROUNDING_MODES
from spikefp.verify import check, vectors

pytestmark = pytest.mark.slow
MODES = list(ROUNDING_MODES) + ["dynamic"]


def unit(name, mode, **params):
    return spikefp.unit(name, rm="rne" if mode == "dynamic" else mode, dynamic=mode == "dynamic", **params)


def run(u, v, rm=None):
    r = check.check(u, v, rm)
    print(r)
    assert r.mismatches == 0, str(r)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", ["add", "sub", "mul"])
@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
def test_fp8_all_pairs(fmt, op, mode):
    u = unit(f"{fmt}.{op}", mode)
    v = vectors.exhaustive(u.fmt)
    rm = np.arange(len(v["a"]), dtype=np.uint64) % np.uint64(8) if mode == "dynamic" else None
    run(u, v, rm)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fmt", ["fp8e4m3", "fp8e5m2"])
def test_fp8_fma_million_triples(fmt, mode):
    u = unit(f"{fmt}.fma", mode)
    v = vectors.mixed(u.fmt, "fma", 1 << 20, seed=21)
    run(u, v)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "fma"])
@pytest.mark.parametrize("fmt", ["fp16", "bf16", "fp32", "fp64"])
def test_wide_formats(fmt, op, mode):
    u = unit(f"{fmt}.{op}", mode)
    run(u, vectors.mixed(u.fmt, op, 200_000, seed=31))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "fma"])
def test_custom_format(op, mode):
    u = unit(f"e6m9.{op}", mode)
    run(u, vectors.mixed(u.fmt, op, 50_000, seed=41))
