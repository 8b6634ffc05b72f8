"""RTL of the elementary functions: the cocotb regression (`spikefp verify`'s route) on Icarus and
Verilator, >= 10,000 vectors each (specials, boundary cases, random), zero mismatches against both
the MPFR reference and the exact engine.

Issue 14's acceptance names fp16.exp and fp32.log2 (`ACCEPTANCE`). Runs that take more than a
few seconds (wide units on Icarus, cold Verilator builds of wide units) are ``slow``
(``make exhaustive``).
"""

import pytest

import spikefp
from spikefp.verify import rtl_sim, vectors

VECTORS = 10_000

# (unit, simulators in the default suite); every unit runs on both simulators under ``slow``.
# Measured on 2 cores shared with other work, cold build (cached build): fp16.rsqrt icarus 8-16 s,
# verilator 13 s (1-2 s); fp32.recip icarus 16-40 s, verilator 13 s (2 s); fp16.exp icarus 116 s,
# verilator 120 s; fp32.log2 icarus 200 s, verilator 134 s (wall time under heavy load).
ELEMENTARY = [("fp16.rsqrt", rtl_sim.SIMULATORS), ("fp32.recip", ())]
ACCEPTANCE = [("fp16.exp", ()), ("fp32.log2", ())]


def _runs():
    for name, fast in ELEMENTARY + ACCEPTANCE:
        for sim in rtl_sim.SIMULATORS:
            marks = () if sim in fast else (pytest.mark.slow,)
            yield pytest.param(name, sim, marks=marks, id=f"{name}-{sim}")


@pytest.mark.parametrize("name, sim", list(_runs()))
def test_elementary_unit_rtl_regression(name, sim):
    u = spikefp.unit(name)
    r = rtl_sim.run(u, sim, vectors.for_unit(u, VECTORS, seed=14))
    assert r.vectors >= VECTORS and r.mismatches == 0 and not r.message, str(r)
