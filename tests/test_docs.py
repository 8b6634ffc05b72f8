"""Every docstring example runs and prints what it claims (doctest)."""

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ["spikefp", "spikefp.hdl", "spikefp.generators", "spikefp.pysim", "spikefp.verify",
            "spikefp.neuro", "spikefp.fpga", "spikefp.nn"]
# Modules without a docstring example, and why: the entry point
# (tests/test_cli.py runs it), the cocotb test bench (it runs inside a simulator), and
# packages whose __init__ only names their modules.
NO_EXAMPLE = {"spikefp.__main__", "spikefp.verify.cocotb_tb", "spikefp.neuro", "spikefp.fpga"}


def _modules() -> list[str]:
    """Every module of the packages: a new module is covered without editing this list."""
    names = []
    for pkg in PACKAGES:
        names.append(pkg)
        names += [f"{pkg}.{m.name}" for m in pkgutil.iter_modules(importlib.import_module(pkg).__path__)]
    return sorted(n for n in names if n not in NO_EXAMPLE)


MODULES = _modules()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no runnable example"
    assert result.failed == 0
