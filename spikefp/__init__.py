"""spikefp: IEEE-754 floating-point units as bit-exact networks of threshold gates.

>>> import spikefp
>>> spikefp.__version__
'0.1.0'
"""

__version__ = "0.1.0"

from .units import Unit, unit  # noqa: E402

__all__ = ["Unit", "unit", "__version__"]
