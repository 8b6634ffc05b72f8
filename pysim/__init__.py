"""Simulation engines for threshold-gate netlists.

`compile` picks the engine: ``"exact"`` (numpy and compiled C, `ExactSim`) or ``"torch"``
(`TorchSim`, CPU or CUDA); ``dynamics=`` simulates membrane potentials instead
(`spikefp.pysim.dynamics`). torch is imported only when a torch engine is asked for.

>>> from spikefp import pysim
>>> from spikefp.hdl import Builder, gates
>>> b = Builder(); x = b.input("x", 2); b.output("y", [gates.xor(b, *x)])
>>> pysim.compile(b.build(), engine="torch").run(x=[0, 1, 2, 3])["y"].tolist()
[0, 1, 1, 0]
"""

from ..hdl.netlist import Netlist
from .exact import ExactSim, pack, unpack
from .exact import compile as _compile_exact

__all__ = ["ENGINES", "Dynamics", "ExactSim", "TorchSim", "compile", "pack", "unpack"]

ENGINES = ("exact", "torch")


def compile(netlist: Netlist, engine: str = "exact", device=None, dynamics=None, **kw):
    """Compile ``netlist`` for the ``engine``: "exact" (kw: chunk_words, threads, native) or
    "torch" on ``device`` (kw: chunk_words); ``dynamics`` (a `Dynamics`, torch only) runs
    the neurons' membrane dynamics instead of the exact function."""
    if engine == "exact":
        if device is not None or dynamics is not None:
            raise ValueError("compile(): the exact engine runs on the CPU without dynamics; "
                             "device= and dynamics= need engine='torch'")
        return _compile_exact(netlist, **kw)
    if engine == "torch":
        if dynamics is not None:
            if kw:
                raise ValueError(f"compile(): dynamics takes no {', '.join(kw)}")
            from .dynamics import compile_dynamics
            return compile_dynamics(netlist, dynamics, device=device)
        from .torch_engine import TorchSim
        return TorchSim(netlist, device=device, **kw)
    raise ValueError(f"compile(): unknown engine {engine!r} (engines: {', '.join(ENGINES)})")


def __getattr__(name):
    # torch loads only when a torch engine is used: `import spikefp.pysim` stays light.
    if name == "TorchSim":
        from .torch_engine import TorchSim
        return TorchSim
    if name == "Dynamics":
        from .dynamics import Dynamics
        return Dynamics
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
