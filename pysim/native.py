"""Native back-end of the exact engine: the compiled plan as one C function.

The numpy engine issues one array operation per gate program per level; on circuits of a
thousand neurons that is bounded by memory traffic and call overhead (~5e9 neuron
evaluations per second). Here the very same word-level programs (`spikefp.pysim.program`)
are written out as C over 256-bit vectors of words (4 x 64 test vectors per statement,
GCC/Clang vector extensions), compiled once with the system C compiler and cached by
content hash, so every intermediate value stays in registers or L1. No library turns a
threshold netlist into machine code; Verilator does so for the RTL, but through Verilog
and a C++ build per design that take far longer than this.

Used automatically by `ExactSim` when a C compiler works (``SPIKEFP_NATIVE=0`` turns it
off; ``CC`` picks the compiler); results are bit-identical to the numpy engine (tested).
When no compiler works, `available` says so with one warning and the numpy engine runs.
Kernels are cached under ``spikefp.hdl.workdirs.cache_dir("native")``, keyed by the source,
the compiler, its flags and the CPU they were built for (``-march=native``: a cache shared
between machines must not hand one CPU's instructions to another).

>>> available() in (True, False)
True
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings

import numpy as np

from ..hdl.progress import phase
from ..hdl.workdirs import cache_dir

__all__ = ["available", "NativeKernel", "NativeUnavailable", "pack", "unpack"]

LANES = 4          # 64-bit words per vector statement
_BLOCKS_PER_FUNCTION = 256
_OPS = {np.bitwise_and: "&", np.bitwise_or: "|", np.bitwise_xor: "^"}


class NativeUnavailable(RuntimeError):
    """No working C compiler: the numpy engine has to do."""


def _compiler() -> str | None:
    if os.environ.get("SPIKEFP_NATIVE", "1") == "0":
        return None
    # CC, when set, is the user's choice: if it does not work there is no silent second guess.
    for cc in ((os.environ["CC"],) if os.environ.get("CC") else ("cc", "gcc", "clang")):
        if shutil.which(cc):
            return cc
    return None


_works: bool | None = None       # None: not tried yet in this process


def available() -> bool:
    """Whether a C compiler works (tried once per process by building the I/O kernels).

    The first failure prints one warning and the numpy engine is used from then on.
    """
    global _works
    if _works is None:
        if os.environ.get("SPIKEFP_NATIVE", "1") == "0":
            return False
        try:
            _io_lib()
            _works = True
        except NativeUnavailable as e:
            _works = False
            warnings.warn(f"{e}; the exact engine falls back to numpy (slower on large runs; "
                          "SPIKEFP_NATIVE=0 chooses numpy without this warning)", RuntimeWarning, stacklevel=2)
    return _works


def _cpu() -> str:
    """What ``-march=native`` compiles for: the machine and the CPU's model and feature flags."""
    keys = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                k = k.strip()
                if k in ("model name", "flags", "Features", "CPU part", "CPU implementer") and k not in keys:
                    keys[k] = v.strip()
    except OSError:          # not Linux: the processor string is the best description at hand
        keys["processor"] = platform.processor()
    return platform.machine() + "|" + "|".join(f"{k}={v}" for k, v in sorted(keys.items()))


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


# Bit-matrix transposes between port values and bit planes (64 x 64 blocks, the recursive
# swap of Hacker's Delight 7-3): in numpy they cost more than the compiled kernels.
_IO_SOURCE = r"""
#include <stdint.h>
static void t64(uint64_t *a) {
  uint64_t m = 0x00000000FFFFFFFFULL;
  for (int j = 32; j != 0; j >>= 1, m ^= m << j)
    for (int k = 0; k < 64; k = ((k | j) + 1) & ~j) {
      uint64_t t = ((a[k] >> j) ^ a[k | j]) & m;
      a[k] ^= t << j; a[k | j] ^= t;
    }
}
/* planes[j * words + w] bit i = bit j of vals[64 w + i], for words w in [w0, w1) */
void spikefp_pack(const uint64_t *vals, long n, long width, uint64_t *planes, long words, long w0, long w1) {
  for (long w = w0; w < w1; w++) {
    uint64_t b[64];
    for (int i = 0; i < 64; i++) { long v = 64 * w + i; b[i] = v < n ? vals[v] : 0; }
    t64(b);
    for (long j = 0; j < width; j++) planes[j * words + w] = b[j];
  }
}
void spikefp_unpack(const uint64_t *planes, long width, long words, uint64_t *vals, long n, long w0, long w1) {
  for (long w = w0; w < w1; w++) {
    uint64_t b[64];
    for (int j = 0; j < 64; j++) b[j] = j < width ? planes[j * words + w] : 0;
    t64(b);
    for (int i = 0; i < 64; i++) { long v = 64 * w + i; if (v < n) vals[v] = b[i]; }
  }
}
"""


def cache_key(source: str, cc: str, flags: list[str], cpu: str) -> str:
    """The name of a compiled kernel: everything that decides its machine code.

    >>> cache_key("int f;", "cc", ["-O1"], "x86_64|model=A") != cache_key("int f;", "cc", ["-O1"], "aarch64|model=B")
    True
    """
    return hashlib.sha256("\0".join([source, cc, " ".join(flags), cpu]).encode()).hexdigest()[:24]


def _build(source: str, opt: str = "-O1"):
    """Compile ``source`` to a shared library once (cached by content hash) and load it."""
    cc = _compiler()
    if cc is None:
        raise NativeUnavailable("no C compiler found (set CC, or install gcc)")
    flags = [opt, "-march=native", "-shared", "-fPIC"]
    folder = cache_dir("native")
    lib = os.path.join(folder, f"k{cache_key(source, cc, flags, _cpu())}.so")
    if not os.path.exists(lib):
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp, phase("compiling the native kernel"):
            src = os.path.join(tmp, "k.c")
            with open(src, "w") as f:
                f.write(source)
            out = os.path.join(tmp, "k.so")
            try:
                r = subprocess.run([cc, *flags, src, "-o", out], capture_output=True, text=True)
            except OSError as e:
                raise NativeUnavailable(f"C compiler {cc} cannot run: {e.strerror}") from None
            if r.returncode:
                detail = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1][:200]
                raise NativeUnavailable(f"C compiler {cc} failed: {detail}")
            fd, tmp_lib = tempfile.mkstemp(dir=folder, suffix=".so")
            os.close(fd)
            shutil.copyfile(out, tmp_lib)
            os.replace(tmp_lib, lib)          # atomic: concurrent builders never see half a file
    return ctypes.CDLL(lib)


_io = None


def _io_lib():
    global _io
    if _io is None:
        _io = _build(_IO_SOURCE, "-O3")
        for fn in (_io.spikefp_pack, _io.spikefp_unpack):
            fn.restype = None
            fn.argtypes = [ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_long,
                           ctypes.c_long, ctypes.c_long]
    return _io


def _split_words(call, words: int, threads: int = 2, align: int = 1, min_step: int = 1024) -> None:
    """Run ``call(w0, w1)`` over [0, words) on up to ``threads`` threads (ctypes drops the GIL);
    range starts are multiples of ``align``."""
    step = -(-max(min_step, -(-words // threads)) // align) * align
    ranges = [(w, min(words, w + step)) for w in range(0, words, step)]
    if len(ranges) <= 1:
        for r in ranges:
            call(*r)
        return
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(len(ranges)) as pool:
        list(pool.map(lambda r: call(*r), ranges))


def pack(values: np.ndarray, width: int) -> np.ndarray:
    """Bit planes of ``values``, as `spikefp.pysim.exact.pack` computes them, in C."""
    vals = np.ascontiguousarray(values, dtype=np.uint64)
    words = -(-len(vals) // 64)
    planes = np.empty((width, words), np.uint64)
    fn = _io_lib().spikefp_pack
    _split_words(lambda w0, w1: fn(vals.ctypes.data, len(vals), width, planes.ctypes.data, words, w0, w1), words)
    return planes


def unpack(planes: np.ndarray, n: int) -> np.ndarray:
    """Values from bit planes, as `spikefp.pysim.exact.unpack` computes them, in C."""
    planes = np.ascontiguousarray(planes, dtype=np.uint64)
    vals = np.empty(n, np.uint64)
    fn = _io_lib().spikefp_unpack
    width, words = planes.shape
    _split_words(lambda w0, w1: fn(planes.ctypes.data, width, words, vals.ctypes.data, n, w0, w1), words)
    return vals


class NativeKernel:
    """A compiled plan: ``run(planes)`` -> output planes (both uint64, rows x words)."""

    def __init__(self, source: str):
        self._fn = _build(source).spikefp_run
        self._fn.restype = ctypes.c_int
        self._fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_long]

    def run(self, planes: np.ndarray, n_out: int, threads: int = 1) -> np.ndarray:
        """Output planes for input planes; ``threads`` split the words (ctypes drops the GIL)."""
        words = planes.shape[1]
        padded = -(-words // LANES) * LANES
        if padded == words and planes.flags.c_contiguous and planes.dtype == np.uint64:
            src = planes
        else:
            src = np.zeros((planes.shape[0], padded), np.uint64)
            src[:, :words] = planes
        dst = np.empty((n_out, padded), np.uint64)

        def part(w0, w1):
            if self._fn(src.ctypes.data, dst.ctypes.data, padded, w0, w1):
                raise MemoryError("native kernel could not allocate its node buffer")

        _split_words(part, padded, threads, align=LANES, min_step=LANES)
        return dst[:, :words]
