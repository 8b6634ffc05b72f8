"""FPUnit: the registry's units as Amaranth components, simulated with Amaranth's own simulator."""

import re

import numpy as np
import pytest
from amaranth import Fragment, Module, Signal, unsigned
from amaranth.back import verilog
from amaranth.lib import data, wiring
from amaranth.sim import Simulator

import spikefp
from spikefp.hdl import FPUnit
from spikefp.hdl.component import FLAGS_LAYOUT, float_layout
from spikefp.generators.fpformat import FPFormat
from spikefp.verify import check, reference, vectors

from amaranth_sim import drive

FLAG_NAMES = ("nx", "uf", "of", "dz", "nv")     # bit 0 .. bit 4 of the flags port


def simulate(dut: FPUnit, ops: dict, rm=None) -> list:
    """The (y, flags) values of ``dut`` on the operands ``ops`` (and ``rm`` codes)."""
    inputs = {k: ops[k] for k in dut.unit.operands} | ({} if rm is None else {"rm": rm})
    return drive(dut, inputs, len(ops["a"]), dut.latency)


def assert_fields(fmt, got_y, got_flags, want_y: int, want_flags: int):
    """Compare each named field with the reference's bit pattern, split here by shifts."""
    if isinstance(fmt, FPFormat):
        assert got_y.sign == want_y >> (fmt.E + fmt.M)
        assert got_y.exponent == (want_y >> fmt.M) & ((1 << fmt.E) - 1)
        assert got_y.mantissa == want_y & ((1 << fmt.M) - 1)
    else:
        assert got_y == want_y
    for bit, name in enumerate(FLAG_NAMES):
        assert getattr(got_flags, name) == (want_flags >> bit) & 1, name


CASES = [  # (name, options, random vectors beyond the specials: 256 for two operands, 16 for i32)
    ("fp16.add", {}, 150),
    ("fp16.add", {"dynamic": True}, 150),
    ("fp32.mul", {"pipeline": 2}, 60),
    ("fp32.lt", {}, 150),
    ("fp32.to_i32", {"rm": "rtz"}, 300),
    ("fp8e4m3.div", {}, 150),
]


@pytest.mark.parametrize("name, options, n", CASES, ids=[f"{c[0]}-{'-'.join(map(str, c[1].values())) or 'rne'}"
                                                          for c in CASES])
def test_fpunit_matches_the_ieee_reference_field_by_field(name, options, n):
    dut = FPUnit(name, **options)
    u = dut.unit
    ops = vectors.for_unit(u, n, seed=3)
    rm = np.arange(len(ops["a"])) % 8 if u.dynamic else None     # codes 5-7 included: NaN with NV
    want_y, want_flags = check.expected(u, ops, rm)
    got = simulate(dut, ops, rm)
    assert len(got) == len(want_y)
    out_fmt = u.target or u.fmt if u.result_bits == (u.target or u.fmt).width else None
    for (gy, gf), wy, wf in zip(got, want_y, want_flags):
        assert_fields(out_fmt, gy, gf, int(wy), int(wf))


def members(*args, **kwargs):
    """The signature members of an FPUnit, elaborated once so that Amaranth knows it was used."""
    dut = FPUnit(*args, **kwargs)
    Fragment.get(dut, None)
    return dut.signature.members


def test_signature_names_the_fields():
    m = members("bf16.add", dynamic=True)
    assert list(m) == ["a", "b", "rm", "y", "flags"]
    assert m["a"].shape == float_layout(spikefp.unit("bf16.add").fmt)
    assert m["a"].shape == data.StructLayout({"mantissa": 7, "exponent": 8, "sign": 1})
    assert m["rm"].shape == unsigned(3) and m["y"].flow == wiring.Out
    assert m["flags"].shape == FLAGS_LAYOUT
    assert [(k, f.offset) for k, f in FLAGS_LAYOUT] == [(k, i) for i, k in enumerate(FLAG_NAMES)]
    # integer operands and non-float results are plain unsigned values
    assert members("i32.to_fp32")["a"].shape.width == 32
    assert members("fp32.to_i64")["y"].shape.width == 64
    assert members("fp64.to_fp16")["y"].shape == data.StructLayout(
        {"mantissa": 10, "exponent": 5, "sign": 1})
    assert members("fp16.classify")["y"].shape.width == 10
    assert list(members("fp32.sqrt")) == ["a", "y", "flags"]
    assert list(members("fp16.fma")) == ["a", "b", "c", "y", "flags"]


def test_pipelined_unit_takes_clk_and_rst_from_the_sync_domain():
    dut = FPUnit("fp8e5m2.add", pipeline=2)
    assert dut.latency == 2
    text = verilog.convert(dut, name="top")
    assert "input clk;" in text and "input rst;" in text
    assert "clk" not in verilog.convert(FPUnit("fp8e5m2.add"), name="top")


@pytest.mark.parametrize("args, kwargs, message", [
    (("fp32.frobnicate",), {}, "unknown operation"),
    (("fp32add",), {}, "must be <format>.<operation>"),
    (("fp99.add",), {}, "fp99"),
    (("fp32.add",), {"rm": "nearest"}, "unknown rounding mode"),
    (("fp32.lt",), {"dynamic": True}, "never rounds"),
    (("fp32.add",), {"align": "diagonal"}, "align='diagonal' is not one of"),
    (("fp32.add",), {"colour": 1}, "unknown parameter 'colour'"),
    (("fp16.add",), {"pipeline": -1}, "pipeline must be an integer >= 0"),
    (("fp16.add",), {"pipeline": 1.5}, "pipeline must be an integer >= 0"),
    (("fp16.add",), {"pipeline": 22}, "between 0 and the unit's depth 21"),
])
def test_bad_names_and_options_are_value_errors(args, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        FPUnit(*args, **kwargs)


def test_multiply_accumulate_from_two_units_in_a_users_design():
    """y = a*b + c from two fp16 units (two roundings), their flags merged, in one Amaranth design."""
    mul, add = FPUnit("fp16.mul"), FPUnit("fp16.add")
    m = Module()
    m.submodules.mul, m.submodules.add = mul, add
    flags = Signal(FLAGS_LAYOUT)
    m.d.comb += [add.a.eq(mul.y),                      # views of one layout connect whole
                 flags.eq(mul.flags.as_value() | add.flags.as_value())]
    v = vectors.mixed(spikefp.unit("fp16.fma").fmt, "fma", 150, seed=2)
    pick = np.random.default_rng(2).choice(len(v["a"]), 300, replace=False)   # of 4,246 (specials cubed)
    v = {k: x[pick] for k, x in v.items()}
    out = []

    async def bench(ctx):
        for a, b, c in zip(v["a"], v["b"], v["c"]):
            ctx.set(mul.a, mul.a.shape().from_bits(int(a)))
            ctx.set(mul.b, mul.b.shape().from_bits(int(b)))
            ctx.set(add.b, add.b.shape().from_bits(int(c)))
            await ctx.delay(1e-9)
            out.append((ctx.get(add.y).as_bits(), ctx.get(flags).as_bits()))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    assert len(out) == 300
    for (y, f), a, b, c in zip(out, v["a"], v["b"], v["c"]):
        p, f1 = reference.mul("fp16", int(a), int(b), "rne")
        want, f2 = reference.add("fp16", p, int(c), "rne")
        assert (y, f) == (want, f1 | f2)
