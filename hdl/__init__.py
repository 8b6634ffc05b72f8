"""Threshold-gate netlists: the data structure every spikefp back-end reads.

>>> from spikefp.hdl import Builder, gates
>>> b = Builder("loihi")
>>> x = b.input("x", 2)
>>> b.output("y", [gates.xor(b, x[0], x[1])])
>>> b.build().stats()
{'neurons': 2, 'synapses': 5, 'depth': 2, 'max_fanin': 3, 'max_weight': 2}
"""

from . import gates
from .builder import CONST0, CONST1, Builder
from .netlist import Netlist, NetlistError, Neuron
from .profile import PROFILES, Profile, get_profile

__all__ = ["Builder", "CONST0", "CONST1", "FPUnit", "Netlist", "NetlistError", "Neuron", "PROFILES",
           "Profile", "get_profile", "gates"]


def __getattr__(name: str):
    # FPUnit loads on first use: it needs Amaranth (an optional extra) and the unit registry,
    # which itself imports this package.
    if name == "FPUnit":
        from .component import FPUnit
        return FPUnit
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
