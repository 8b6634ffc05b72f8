"""Verification: IEEE references (exact integers; MPFR through gmpy2) and test vectors.

>>> from spikefp.verify import reference
>>> reference.mul("fp16", 0x3c00, 0x3c00, "rne")
(15360, 0)
"""

from . import reference

__all__ = ["reference"]
