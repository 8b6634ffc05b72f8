"""Generators: formats, integer blocks, floating-point operations and the unit registry.

`spikefp.generators.fpformat` (formats, rounding modes, flags) imports nothing of the
circuit builder; the rest load on first use.

>>> from spikefp.generators import BLOCKS
>>> sorted(BLOCKS)[:3]
['add', 'eq', 'ge']
"""

import importlib

__all__ = ["BLOCKS", "Block", "adders", "multiplier", "shifters"]


def __getattr__(name):
    if name in ("BLOCKS", "Block"):
        from . import blocks
        return getattr(blocks, name)
    if name in ("adders", "multiplier", "shifters"):
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
