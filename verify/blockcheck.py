"""Integer blocks against their Python specifications: random port vectors, mismatches, one-call checks.

>>> v = random_vectors({"a": 8, "b": 8}, 6, seed=0)
>>> [int(x) for x in v["a"][:4]]          # the corner values come first
[0, 255, 1, 128]
>>> check_block("add", 8, "loihi", {}, vectors=256)["mismatches"]
0
"""

from __future__ import annotations

import time

import numpy as np

from .. import pysim
from ..generators import BLOCKS

__all__ = ["random_vectors", "mismatches", "check_block"]


def random_vectors(widths: dict[str, int], n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Uniform random port values with the corner values (0, max, 1, top bit) mixed in."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, w in widths.items():
        v = rng.integers(0, 1 << 63, n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, n, dtype=np.uint64)
        if w < 64:
            v &= np.uint64((1 << w) - 1)
        corners = np.array([0, (1 << w) - 1, 1, 1 << (w - 1)], np.uint64)
        v[:min(n, 4)] = corners[:min(n, 4)]
        rng.shuffle(corners)
        v[4:min(n, 8)] = corners[:max(0, min(n, 8) - 4)]
        out[name] = v
    return out


def mismatches(spec, width: int, vectors: dict[str, np.ndarray], got: dict[str, np.ndarray]) -> list:
    """Vectors where the engine's outputs differ from ``spec`` (Python integers)."""
    bad = []
    n = len(next(iter(vectors.values())))
    for i in range(n):
        args = {k: int(v[i]) for k, v in vectors.items()}
        want = spec(width, **args)
        have = {k: int(got[k][i]) for k in want}
        if have != want:
            bad.append((args, want, have))
    return bad


def check_block(name: str, width: int, profile: str, params: dict, vectors: int = 10_000, seed: int = 0):
    """Build a block, run it on random vectors through the exact engine, compare with its spec."""
    blk = BLOCKS[name]
    t0 = time.perf_counter()
    net = blk.build(width, profile, **params)
    net.validate(profile)
    vec = random_vectors(blk.inputs(width), vectors, seed)
    got = pysim.compile(net).run(**vec)
    bad = mismatches(blk.spec, width, vec, got)
    return {"block": name, "width": width, "profile": profile,
            "params": ",".join(f"{k}={v}" for k, v in params.items()), **net.stats(),
            "vectors": vectors, "mismatches": len(bad), "seconds": time.perf_counter() - t0}
