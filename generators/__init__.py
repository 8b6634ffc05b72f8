"""Generators: integer blocks (and, later, floating-point formats and operations).

>>> from spikefp.generators import BLOCKS
>>> sorted(BLOCKS)[:3]
['add', 'eq', 'ge']
"""

from . import adders, multiplier, shifters
from .blocks import BLOCKS, Block

__all__ = ["BLOCKS", "Block", "adders", "multiplier", "shifters"]
