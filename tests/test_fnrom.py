"""The fp8 elementary units as ROMs (`spikefp.generators.fnrom`): correct, equal to their datapaths."""

import numpy as np
import pytest

import spikefp
from spikefp import pysim
from spikefp.generators import fnrom
from spikefp.generators.fpcommon import dynamic_modes, static_modes
from spikefp.generators.fpformat import ROUNDING_MODES, get_format
from spikefp.generators.registry import OPERATIONS
from spikefp.hdl import Builder
from spikefp.verify.check import check

FNS = ["exp", "exp2", "log", "log2", "rsqrt", "recip", "sigmoid", "tanh", "silu", "gelu"]
FP8 = ["fp8e4m3", "fp8e5m2"]
EVERY = np.tile(np.arange(256, dtype=np.uint64), 8)                 # every input in every rm code
CODES = np.arange(256 * 8, dtype=np.uint64) // np.uint64(256)


def _clean(u, a, codes=None):
    r = check(u, {"a": a}, codes, jobs=1)
    assert r.mismatches == 0, r


@pytest.mark.parametrize("fn", FNS)
@pytest.mark.parametrize("fmt", FP8)
def test_every_input_every_mode_matches_the_reference(fmt, fn):
    a = np.arange(256, dtype=np.uint64)
    for rm in ROUNDING_MODES:
        _clean(spikefp.unit(f"{fmt}.{fn}", rm=rm), a)
    _clean(spikefp.unit(f"{fmt}.{fn}", dynamic=True), EVERY, CODES)


def _datapath(gen, f, **params):
    """``gen``'s own dynamic datapath (no ROM), as a netlist."""
    b = Builder()
    a = b.input("a", f.width)
    y, flags = gen(b, f, dynamic_modes(b, b.input("rm", 3)), a, **params)
    b.output("y", y)
    b.output("flags", flags.bits())
    return b.build()


@pytest.mark.parametrize("fn, params", [(fn, {}) for fn in FNS] + [
    ("exp", {"saturate": True, "table_bits": 0}), ("log", {"arch": "restoring"}), ("sigmoid", {"arch": "select"})])
@pytest.mark.parametrize("fmt", FP8)
def test_the_rom_is_the_datapath_on_every_input(fmt, fn, params):
    op = OPERATIONS[fn]
    rom = pysim.compile(spikefp.unit(f"{fmt}.{fn}", dynamic=True, **params).netlist).run(a=EVERY, rm=CODES)
    dp = pysim.compile(_datapath(op.generator.__wrapped__, get_format(fmt), **params)).run(a=EVERY, rm=CODES)
    assert (rom["y"] == dp["y"]).all() and (rom["flags"] == dp["flags"]).all()


def _static(gen, f, name, rm="rne"):
    b = Builder(name=name)
    y, flags = gen(b, f, static_modes(rm), b.input("a", f.width))
    b.output("y", y)
    b.output("flags", flags.bits())
    return b.build()


def test_a_rom_is_small_shallow_and_deterministic():
    u = spikefp.unit("fp8e4m3.gelu")
    s = u.stats()
    assert s["neurons"] < 300 and s["depth"] == 3 and s["max_weight"] == 1
    assert _static(OPERATIONS["gelu"].generator, u.fmt, u.module_name).content_hash() == u.netlist.content_hash()


@pytest.mark.parametrize("fn", ["recip", "exp2"])
def test_wider_formats_keep_their_datapath(fn):
    gen = OPERATIONS[fn].generator
    f = get_format("e5m3")           # 9 bits: one more than a ROM takes
    assert f.width == fnrom.ROM_MAX_WIDTH + 1
    assert _datapath(gen, f).content_hash() == _datapath(gen.__wrapped__, f).content_hash()
