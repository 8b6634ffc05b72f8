"""spikefp: IEEE-754 floating-point units as bit-exact networks of threshold gates.

>>> import spikefp
>>> spikefp.__version__
'0.1.0'
>>> spikefp.unit("fp16.add").module_name
'fp16_add_rne'
"""

__version__ = "0.1.0"

__all__ = ["Unit", "unit", "__version__"]


def __getattr__(name):
    # Lazy: importing a neutral module (formats, references) must not build the circuit stack.
    if name in ("Unit", "unit"):
        from .generators import units
        return getattr(units, name)
    raise AttributeError(f"module 'spikefp' has no attribute {name!r}")
