"""Native back-end of the exact engine: the compiled plan as one C function.

The numpy engine issues one array operation per gate program per level; on circuits of a
thousand neurons that is bounded by memory traffic and call overhead (~5e9 neuron
evaluations per second). Here the very same word-level programs (`spikefp.pysim.program`)
are written out as C over 256-bit vectors of words (4 x 64 test vectors per statement,
GCC/Clang vector extensions), compiled once with the system C compiler and cached by
content hash, so every intermediate value stays in registers or L1. No library turns a
threshold netlist into machine code; Verilator does so for the RTL, but through Verilog
and a C++ build per design that take far longer than this.

Used automatically by `ExactSim` when a C compiler is found (``SPIKEFP_NATIVE=0`` turns it
off); results are bit-identical to the numpy engine (tested).

>>> available() in (True, False)
True
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile

import numpy as np

__all__ = ["available", "NativeKernel"]

LANES = 4          # 64-bit words per vector statement
_BLOCKS_PER_FUNCTION = 256
_OPS = {np.bitwise_and: "&", np.bitwise_or: "|", np.bitwise_xor: "^"}


def _compiler() -> str | None:
    if os.environ.get("SPIKEFP_NATIVE", "1") == "0":
        return None
    for cc in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cc and shutil.which(cc):
            return cc
    return None


def available() -> bool:
    return _compiler() is not None


def _cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "spikefp", "native")
    os.makedirs(path, exist_ok=True)
    return path


def generate_c(plan, rows: int, in_rows: list[int], out_rows: list[int]) -> str:
    """C source evaluating ``plan`` (see `ExactSim._compile`) on ``LANES`` words at a time."""
    head = [
        "#include <stdint.h>",
        "#include <stdlib.h>",
        "#include <string.h>",
        f"typedef uint64_t V __attribute__((vector_size({8 * LANES})));",
    ]
    blocks = []
    for ops, results, idx, outs, nregs, n_in in plan:
        k = outs.shape[1]
        for c in range(k):
            body = [f"V r{j} = v[{int(idx[j * k + c])}];" for j in range(n_in)]
            for fn, d, a, b in ops:
                body.append(f"V r{d} = ~r{a};" if b is None else f"V r{d} = r{a} {_OPS[fn]} r{b};")
            for r, out in zip(results, outs[:, c]):
                body.append(f"v[{int(out)}] = " + ("(V){0}" if r == -1 else "~(V){0}" if r == -2 else f"r{r}") + ";")
            blocks.append("  { " + " ".join(body) + " }")
    # Many small functions: compilers take superlinear time on one huge function.
    parts = []
    for i in range(0, len(blocks), _BLOCKS_PER_FUNCTION):
        name = f"part{len(parts)}"
        parts.append(name)
        head += [f"static void {name}(V *restrict v) {{"] + blocks[i:i + _BLOCKS_PER_FUNCTION] + ["}"]
    main = [
        "/* in: input planes, out: output planes, both rows of `words` words; evaluates [w0, w1). */",
        "int spikefp_run(const uint64_t *in, uint64_t *out, long words, long w0, long w1) {",
        f"  V *v = aligned_alloc(sizeof(V), {rows} * sizeof(V));",
        "  if (!v) return 1;",
        f"  for (long w = w0; w < w1; w += {LANES}) {{",
        "    v[0] = (V){0}; v[1] = ~(V){0};",
    ]
    main += [f"    memcpy(&v[{r}], in + {j}L * words + w, sizeof(V));" for j, r in enumerate(in_rows)]
    main += [f"    {name}(v);" for name in parts]
    main += [f"    memcpy(out + {j}L * words + w, &v[{r}], sizeof(V));" for j, r in enumerate(out_rows)]
    main += ["  }", "  free(v);", "  return 0;", "}", ""]
    return "\n".join(head + main)


class NativeKernel:
    """A compiled plan: ``run(planes)`` -> output planes (both uint64, rows x words)."""

    def __init__(self, source: str):
        cc = _compiler()
        if cc is None:
            raise RuntimeError("no C compiler found (set CC, or install gcc)")
        flags = ["-O1", "-march=native", "-shared", "-fPIC"]
        key = hashlib.sha256((source + cc + " ".join(flags)).encode()).hexdigest()[:24]
        lib = os.path.join(_cache_dir(), f"k{key}.so")
        if not os.path.exists(lib):
            with tempfile.TemporaryDirectory() as tmp:
                src = os.path.join(tmp, "k.c")
                with open(src, "w") as f:
                    f.write(source)
                out = os.path.join(tmp, "k.so")
                r = subprocess.run([cc, *flags, src, "-o", out], capture_output=True, text=True)
                if r.returncode:
                    raise RuntimeError(f"C compiler failed: {r.stderr[-2000:]}")
                fd, tmp_lib = tempfile.mkstemp(dir=os.path.dirname(lib), suffix=".so")
                os.close(fd)
                shutil.copyfile(out, tmp_lib)
                os.replace(tmp_lib, lib)          # atomic: concurrent builders never see half a file
        self._fn = ctypes.CDLL(lib).spikefp_run
        self._fn.restype = ctypes.c_int
        self._fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_long]

    def run(self, planes: np.ndarray, n_out: int, threads: int = 1) -> np.ndarray:
        """Output planes for input planes; ``threads`` split the words (ctypes drops the GIL)."""
        words = planes.shape[1]
        padded = -(-words // LANES) * LANES
        src = np.zeros((planes.shape[0], padded), np.uint64)
        src[:, :words] = planes
        dst = np.empty((n_out, padded), np.uint64)
        step = -(-padded // (threads * LANES)) * LANES
        ranges = [(w, min(padded, w + step)) for w in range(0, padded, step)]

        def part(r):
            if self._fn(src.ctypes.data, dst.ctypes.data, padded, r[0], r[1]):
                raise MemoryError("native kernel could not allocate its node buffer")

        if len(ranges) > 1:
            from concurrent.futures import ThreadPoolExecutor
            with ThreadPoolExecutor(len(ranges)) as pool:
                list(pool.map(part, ranges))
        else:
            for r in ranges:
                part(r)
        return dst[:, :words]
