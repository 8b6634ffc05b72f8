"""Native back-end of the exact engine: the compiled plan as one C function.

The numpy engine issues one array operation per gate program per level; on circuits of a
thousand neurons that is bounded by memory traffic and call overhead (~5e9 neuron
evaluations per second). Here the very same word-level programs (`spikefp.pysim.program`)
are written out as C over 256-bit vectors of words (4 x 64 test vectors per statement,
GCC/Clang vector extensions), compiled once with the system C compiler and cached by
content hash, so every intermediate value stays in registers or L1. No library turns a
threshold netlist into machine code; Verilator does so for the RTL, but through Verilog
and a C++ build per design that take far longer than this.

A kernel's ``spikefp_call`` goes from port values to port values, the bit transposes fused
with the evaluation, so that a run of any size is one C call per thread (`NativeKernel.call`).
Used by `ExactSim` when a C compiler works (when: see `spikefp.pysim.exact`;
``SPIKEFP_NATIVE=0`` turns it off; ``CC`` picks the compiler); results are bit-identical to
the numpy engine (tested).
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

__all__ = ["available", "cached", "NativeKernel", "NativeUnavailable", "pack", "unpack"]

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


def generate_c(plan, rows: int, in_widths: list[int], out_rows: list[list[int]]) -> str:
    """C source evaluating ``plan`` (see `ExactSim._compile`) on ``LANES`` words at a time.

    Input port ``k`` (``in_widths[k]`` bits) sits in the rows after the two constants, in
    port order; output port ``k`` is read from rows ``out_rows[k]``. Two entry points:
    ``spikefp_run`` on bit planes and, when no port is wider than 64 bits, ``spikefp_call``
    on port values (see `NativeKernel`).
    """
    head = [
        "#include <stdint.h>",
        "#include <stdlib.h>",
        "#include <string.h>",
        f"typedef uint64_t V __attribute__((vector_size({8 * LANES})));",
        _T64,
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
    in_rows = list(range(2, 2 + sum(in_widths)))
    flat_out = [r for port in out_rows for r in port]
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
    main += [f"    memcpy(out + {j}L * words + w, &v[{r}], sizeof(V));" for j, r in enumerate(flat_out)]
    main += ["  }", "  free(v);", "  return 0;", "}", ""]
    if max(in_widths + [len(port) for port in out_rows], default=0) > 64:
        return "\n".join(head + main)          # ports wider than a value: planes only
    # spikefp_call: port values in, port values out, the transposes fused with the evaluation
    # so that a call is one pass over its vectors and Python does no per-bit work.
    out_bytes = [_port_bytes(len(port)) for port in out_rows]
    args = ["long n", "long w0", "long w1"]
    args += [f"const void *i{k}, long e{k}, long s{k}" for k in range(len(in_widths))]
    args += [f"void *o{k}" for k in range(len(out_rows))]
    call = [f"static const int orow{k}[] = {{{', '.join(map(str, port or [0]))}}};" for k, port in enumerate(out_rows)]
    call += [
        "/* Vectors [64 w0, 64 w1) of the ports: input k has e{k}-byte values, s{k} = 0 when one value",
        "   applies to every vector; output k has the narrowest unsigned type of its width. Returns 0,",
        "   -1 when out of memory, or k + 1 when input k holds a value wider than its port. */",
        f"int spikefp_call({', '.join(args)}) {{",
        f"  V *v = aligned_alloc(sizeof(V), {rows} * sizeof(V));",
        "  if (!v) return -1;",
    ]
    call += [f"  uint64_t acc{k} = 0;" for k in range(len(in_widths))]
    call += [
        f"  for (long w = w0; w < w1; w += {LANES}) {{",
        "    uint64_t b[64];",
        "    v[0] = (V){0}; v[1] = ~(V){0};",
        f"    for (int l = 0; l < {LANES}; l++) {{",
        "      long v0 = 64 * (w + l), m = n - v0 < 0 ? 0 : n - v0 > 64 ? 64 : n - v0;",
        f"      if (!m) {{ for (int j = 2; j < {2 + sum(in_widths)}; j++) v[j][l] = 0; continue; }}",
    ]
    row = 2
    for k, width in enumerate(in_widths):
        call += [f"      acc{k} |= load64(b, i{k}, e{k}, s{k}, v0, m); t64(b);",
                 f"      for (int j = 0; j < {width}; j++) v[{row} + j][l] = b[j];"]
        row += width
    call += ["    }"]
    call += [f"    {name}(v);" for name in parts]
    call += [
        f"    for (int l = 0; l < {LANES}; l++) {{",
        "      long v0 = 64 * (w + l), m = n - v0 < 0 ? 0 : n - v0 > 64 ? 64 : n - v0;",
        "      if (!m) break;",
    ]
    for k, port in enumerate(out_rows):
        call += [f"      for (int j = 0; j < 64; j++) b[j] = j < {len(port)} ? v[orow{k}[j]][l] : 0;",
                 f"      t64(b); store64(b, o{k}, {out_bytes[k]}, v0, m);"]
    call += ["    }", "  }", "  free(v);"]
    call += [f"  if (acc{k} >> {w}) return {k + 1};" for k, w in enumerate(in_widths) if w < 64]
    call += ["  return 0;", "}", ""]
    return "\n".join(head + main + call)


def _port_bytes(width: int) -> int:
    return 1 if width <= 8 else 2 if width <= 16 else 4 if width <= 32 else 8


# The 64 x 64 bit-matrix transpose (the recursive swap of Hacker's Delight 7-3) and value
# loads and stores of every unsigned width; shared by the I/O and the netlist kernels.
_T64 = r"""
static void t64(uint64_t *a) {
  uint64_t m = 0x00000000FFFFFFFFULL;
  for (int j = 32; j != 0; j >>= 1, m ^= m << j)
    for (int k = 0; k < 64; k = ((k | j) + 1) & ~j) {
      uint64_t t = ((a[k] >> j) ^ a[k | j]) & m;
      a[k] ^= t << j; a[k | j] ^= t;
    }
}
/* b[i] = value of vector v0 + i for i < m (s = 0: the one value at p), 0 for i >= m; returns their OR */
static inline uint64_t load64(uint64_t *b, const void *p, long e, long s, long v0, long m) {
  uint64_t acc = 0;
  long i = 0;
  if (!s && m) {
    uint64_t x = e == 1 ? *(const uint8_t *)p : e == 2 ? *(const uint16_t *)p
               : e == 4 ? *(const uint32_t *)p : *(const uint64_t *)p;
    for (; i < m; i++) b[i] = x;
    acc = x;
  } else switch (e) {
    case 1: for (; i < m; i++) acc |= b[i] = ((const uint8_t *)p)[v0 + i]; break;
    case 2: for (; i < m; i++) acc |= b[i] = ((const uint16_t *)p)[v0 + i]; break;
    case 4: for (; i < m; i++) acc |= b[i] = ((const uint32_t *)p)[v0 + i]; break;
    default: for (; i < m; i++) acc |= b[i] = ((const uint64_t *)p)[v0 + i];
  }
  for (; i < 64; i++) b[i] = 0;
  return acc;
}
static inline void store64(const uint64_t *b, void *p, int e, long v0, long m) {
  switch (e) {
    case 1: for (long i = 0; i < m; i++) ((uint8_t *)p)[v0 + i] = (uint8_t)b[i]; break;
    case 2: for (long i = 0; i < m; i++) ((uint16_t *)p)[v0 + i] = (uint16_t)b[i]; break;
    case 4: for (long i = 0; i < m; i++) ((uint32_t *)p)[v0 + i] = (uint32_t)b[i]; break;
    default: for (long i = 0; i < m; i++) ((uint64_t *)p)[v0 + i] = b[i];
  }
}
"""


# Bit planes from port values and back, in C: in numpy the transposes cost more than the kernels.
_IO_SOURCE = "#include <stdint.h>\n" + _T64 + r"""
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


def _lib_path(source: str, opt: str) -> tuple[str, list[str], str]:
    """The compiler, its flags and the cache path of ``source``'s kernel (which may not exist yet)."""
    cc = _compiler()
    if cc is None:
        raise NativeUnavailable("no C compiler found (set CC, or install gcc)")
    flags = [opt, "-march=native", "-shared", "-fPIC"]
    return cc, flags, os.path.join(cache_dir("native"), f"k{cache_key(source, cc, flags, _cpu())}.so")


def cached(source: str, opt: str = "-O1") -> bool:
    """Whether ``source``'s kernel is already compiled in the cache (loading it is then cheap)."""
    try:
        return os.path.exists(_lib_path(source, opt)[2])
    except NativeUnavailable:
        return False


def _build(source: str, opt: str = "-O1"):
    """Compile ``source`` to a shared library once (cached by content hash) and load it."""
    cc, flags, lib = _lib_path(source, opt)
    folder = os.path.dirname(lib)
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


# Below this many words per thread a run stays on the calling thread: starting a pool costs
# ~0.1 ms, about what 256 words (16,384 vectors) of a thousand-neuron unit take.
THREAD_MIN_WORDS = 256


def _split_words(call, words: int, threads: int = 2, align: int = 1, min_step: int = THREAD_MIN_WORDS) -> list:
    """Run ``call(w0, w1)`` over [0, words) on up to ``threads`` threads (ctypes drops the GIL);
    range starts are multiples of ``align``. Returns the calls' results."""
    step = -(-max(min_step, -(-words // max(1, threads))) // align) * align
    if step >= words:
        return [call(0, words)]
    from concurrent.futures import ThreadPoolExecutor
    ranges = [(w, min(words, w + step)) for w in range(0, words, step)]
    with ThreadPoolExecutor(len(ranges)) as pool:
        return list(pool.map(lambda r: call(*r), ranges))


def pack(values: np.ndarray, width: int) -> np.ndarray:
    """Bit planes of ``values``, as `spikefp.pysim.exact.pack` computes them, in C."""
    vals = np.ascontiguousarray(values, dtype=np.uint64)
    words = -(-len(vals) // 64)
    planes = np.empty((width, words), np.uint64)
    fn = _io_lib().spikefp_pack
    _split_words(lambda w0, w1: fn(vals.ctypes.data, len(vals), width, planes.ctypes.data, words, w0, w1),
                 words, min_step=1024)
    return planes


def unpack(planes: np.ndarray, n: int) -> np.ndarray:
    """Values from bit planes, as `spikefp.pysim.exact.unpack` computes them, in C."""
    planes = np.ascontiguousarray(planes, dtype=np.uint64)
    vals = np.empty(n, np.uint64)
    fn = _io_lib().spikefp_unpack
    width, words = planes.shape
    _split_words(lambda w0, w1: fn(planes.ctypes.data, width, words, vals.ctypes.data, n, w0, w1),
                 words, min_step=1024)
    return vals


class NativeKernel:
    """A compiled netlist plan (C source from `generate_c`).

    ``call(ins, outs, n)`` evaluates ``n`` vectors straight from port values to port values in
    one C call per thread; ``run(planes)`` evaluates bit planes (both uint64, rows x words).
    """

    def __init__(self, source: str, n_in: int, n_out: int):
        lib = _build(source)
        self._run = lib.spikefp_run
        self._run.restype = ctypes.c_int
        self._run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long, ctypes.c_long, ctypes.c_long]
        # Argument types set once: ctypes then converts plain ints without guessing.
        self._call = getattr(lib, "spikefp_call", None)
        if self._call is None:          # a port wider than 64 bits: planes only
            return
        self._call.restype = ctypes.c_int
        self._call.argtypes = ([ctypes.c_long] * 3 + [ctypes.c_void_p, ctypes.c_long, ctypes.c_long] * n_in
                               + [ctypes.c_void_p] * n_out)

    def call(self, ins: list, outs: list[int], n: int, threads: int = 1) -> int:
        """Evaluate vectors ``[0, n)``: ``ins`` holds ``(address, bytes per value, 0 for one value
        applied to every vector else 1)`` per input port, ``outs`` the address of each output
        array (``n`` values of the port's narrowest unsigned type). Returns 0, or k + 1 when
        input port k holds a value wider than its port (the outputs are then garbage)."""
        words = -(-n // LANES // 64) * LANES
        args = [a for port in ins for a in port] + outs
        fn = self._call
        if words < 2 * THREAD_MIN_WORDS or threads <= 1:       # the per-call path: no pool, no closure
            codes = [fn(n, 0, words, *args)]
        else:
            codes = _split_words(lambda w0, w1: fn(n, w0, w1, *args), words, threads, align=LANES)
        if -1 in codes:
            raise MemoryError("native kernel could not allocate its node buffer")
        return max(codes)

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
            if self._run(src.ctypes.data, dst.ctypes.data, padded, w0, w1):
                raise MemoryError("native kernel could not allocate its node buffer")

        _split_words(part, padded, threads, align=LANES)
        return dst[:, :words]
