"""Where spikefp keeps build and cache folders: never the current working directory.

``SPIKEFP_CACHE`` names the root; otherwise ``$XDG_CACHE_HOME/spikefp`` or
``~/.cache/spikefp``. Simulator builds, native kernels and RTL runs each get a folder under it,
so a run from a read-only or foreign directory works and leaves that directory untouched.

>>> import os
>>> os.environ["SPIKEFP_CACHE"] = "/tmp/spikefp-doc"
>>> str(cache_dir("rtl"))
'/tmp/spikefp-doc/rtl'
>>> del os.environ["SPIKEFP_CACHE"]
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]


def cache_dir(*parts: str) -> Path:
    """The cache root (or a folder under it); not created here."""
    root = os.environ.get("SPIKEFP_CACHE")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "spikefp")
    return Path(root, *parts)
