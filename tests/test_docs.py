"""Every docstring example runs and prints what it claims (doctest)."""

import doctest
import importlib

import pytest

MODULES = [
    "spikefp", "spikefp.demo", "spikefp.hdl", "spikefp.hdl.profile", "spikefp.hdl.netlist",
    "spikefp.hdl.builder", "spikefp.hdl.gates", "spikefp.pysim", "spikefp.pysim.exact",
    "spikefp.pysim.program", "spikefp.generators", "spikefp.generators.adders",
    "spikefp.generators.shifters", "spikefp.generators.multiplier", "spikefp.generators.blocks",
    "spikefp.hdl.elaborate", "spikefp.hdl.verilog", "spikefp.rtl", "spikefp.units", "spikefp.evaluate", "spikefp.verify.reference",
    "spikefp.verify.mpfr_ref", "spikefp.verify.fastref", "spikefp.verify.vectors", "spikefp.verify.check",
    "spikefp.verify.rtl_sim", "spikefp.verify.verilator_harness", "spikefp.verify.regress",
    "spikefp.generators.fpformat", "spikefp.generators.fpcommon", "spikefp.generators.fpops", "spikefp.generators.fpcompare", "spikefp.pysim.native", "spikefp.neuro.nir_export",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0
