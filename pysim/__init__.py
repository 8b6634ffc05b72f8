"""Simulation engines for threshold-gate netlists.

>>> from spikefp import pysim
>>> callable(pysim.compile)
True
"""

from .exact import ExactSim, compile, pack, unpack

__all__ = ["ExactSim", "compile", "pack", "unpack"]
