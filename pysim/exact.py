"""The exact engine: bit-parallel evaluation of a netlist, 64 test vectors per uint64 word.

`compile` levelizes the netlist once and groups the neurons of each level by their
gate program (see `spikefp.pysim.program`); `ExactSim.run` then evaluates one level at a
time with whole-array numpy operations over all the vectors of a chunk, never one vector
at a time in Python. Chunks of words run on a thread pool (numpy releases the GIL).

The same plan compiled as C (`spikefp.pysim.native`) evaluates every batch size once it
is built: a call is then one C call per thread from port values to port values (~20 us
for fp32.add at batch 1, against ~5 ms for numpy's walk through its levels). A simulator
uses its kernel once

- ``compile(..., native=True)`` or `ExactSim.prepare` built it (do this ahead for the
  units a model calls many times on small batches);
- its first run finds the kernel already compiled in the on-disk cache (a cheap load, no
  compiler run); or
- it has run ``NATIVE_MIN_WORDS * 64`` vectors in all (2^18, where the kernel is several
  times faster), or ``NATIVE_MIN_RUNS`` times: numpy's fixed cost per run (~5 ms per
  thousand neurons) then adds up to about what the compile costs (~1.6 s per thousand), so
  a caller who never prepares pays at most about twice the optimum.

``native=False`` keeps numpy always, as do ``SPIKEFP_NATIVE=0`` and a machine without a
working C compiler; spike counts (``spikes=True``) always come from numpy.

>>> import numpy as np
>>> from spikefp.hdl import Builder, gates
>>> from spikefp import pysim
>>> b = Builder(); x = b.input("x", 2); b.output("y", [gates.xor(b, *x)])
>>> sim = pysim.compile(b.build())
>>> sim.run(x=np.arange(4))["y"].tolist()
[0, 1, 1, 0]
"""

from __future__ import annotations

import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, NamedTuple

import numpy as np

from ..hdl.netlist import Netlist
from . import native as _native
from .program import ONE, ZERO, popcount_program, threshold_program

_GROUP = 4   # equal-weight runs at least this long are counted once by a shared popcount unit
NATIVE_MIN_WORDS = 4096   # after 262,144 vectors in all a simulator compiles its native kernel,
NATIVE_MIN_RUNS = 256     # or after this many runs

__all__ = ["compile", "ExactSim", "Step", "broadcast_shape", "check_ports", "pack", "port_arrays", "port_dtype", "unpack"]

_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
# Bytes per value of the dtypes the native kernel reads as they are (native byte order).
_VALUE_BYTES = {np.dtype(t): np.dtype(t).itemsize for t in (np.uint8, np.uint16, np.uint32, np.uint64)}
_UFUNCS = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor, "not": np.invert}


# Masks of the 8x8 bit-matrix transpose (Hacker's Delight 7-3): a uint64 holding 8 bytes
# (rows) of 8 bits becomes one whose byte j holds bit j of every row. numpy has no bit
# transpose, and unpackbits/packbits through a byte per bit is ~20x slower.
_T = [(np.uint64(7), np.uint64(0x00AA00AA00AA00AA)), (np.uint64(14), np.uint64(0x0000CCCC0000CCCC)),
      (np.uint64(28), np.uint64(0x00000000F0F0F0F0))]


def _transpose8(x: np.ndarray) -> np.ndarray:
    for shift, mask in _T:
        t = (x ^ (x >> shift)) & mask
        x = x ^ t ^ (t << shift)
    return x


def pack(values: np.ndarray, width: int) -> np.ndarray:
    """Bit planes of ``values``: array ``(width, ceil(N/64))`` of uint64, vector ``v`` at bit ``v%64``."""
    n = len(values)
    words = -(-n // 64)
    v = np.zeros(words * 64, "<u8")
    v[:n] = values
    by = v.view(np.uint8).reshape(words * 8, 8, 8)     # [8 vectors, vector, byte of the value]
    planes = np.empty((-(-width // 8) * 8, words * 8), np.uint8)
    for k in range(len(planes) // 8):
        x = _transpose8(np.ascontiguousarray(by[:, :, k]).view("<u8"))
        planes[8 * k:8 * k + 8] = x.view(np.uint8).reshape(words * 8, 8).T
    return planes[:width].copy().view("<u8").astype(np.uint64, copy=False)


def unpack(planes: np.ndarray, n: int) -> np.ndarray:
    """Inverse of `pack`: ``n`` uint64 values from ``(width, words)`` bit planes."""
    width, words = planes.shape
    by = np.zeros((-(-width // 8) * 8, words * 8), np.uint8)
    by[:width] = np.ascontiguousarray(planes).astype("<u8", copy=False).view(np.uint8)
    out = np.zeros((words * 8, 8, 8), np.uint8)          # [8 vectors, vector, byte of the value]
    for k in range(len(by) // 8):
        x = _transpose8(np.ascontiguousarray(by[8 * k:8 * k + 8].T).view("<u8"))
        out[:, :, k] = x.view(np.uint8).reshape(words * 8, 8)
    return out.reshape(-1, 8).view("<u8").reshape(-1)[:n].astype(np.uint64)


class Step(NamedTuple):
    """One step of a compiled plan: one gate program run on ``width`` neurons (or popcount
    units) at once, each reading its own input rows into the program's registers."""
    ops: list[tuple[Callable, int, int, int | None]]   # (numpy ufunc, dst, a, b or None) on registers
    results: list[int]       # the register (or ZERO / ONE) holding each output row's value
    gather: np.ndarray       # input rows, register-major: register j of member c is row gather[j * width + c]
    outs: np.ndarray         # (len(results), width) node rows the results are written to
    nregs: int               # registers the program uses
    n_in: int                # input registers, gathered before the program runs

    @property
    def width(self) -> int:
        """How many neurons (or popcount units) the step evaluates together."""
        return self.outs.shape[1]


def compile(netlist: Netlist, chunk_words: int | None = None, threads: int | None = None,
            native: bool | None = None) -> "ExactSim":
    """Validate and schedule ``netlist`` for bit-parallel simulation.

    ``native``: None uses the compiled-C back-end (`spikefp.pysim.native`) once it is built
    (see the module docstring for when), True builds it now, False never uses it. Both
    back-ends give identical results; spike counts always come from numpy.
    """
    return ExactSim(netlist, chunk_words, threads, native)


class ExactSim:
    """A compiled netlist; see `run`."""

    def __init__(self, netlist: Netlist, chunk_words: int | None = None, threads: int | None = None,
                 native: bool | None = None):
        netlist.validate()
        self.netlist = netlist
        self.threads = threads or min(2, os.cpu_count() or 1)
        self.stats = netlist.stats()
        self._plan: list[Step] = []
        self._compile()
        self.word_ops = sum(len(step.ops) * step.width for step in self._plan)
        self._scratch_words = max((step.nregs * step.width for step in self._plan), default=1)
        # Words per chunk: about 32 MB of node rows per thread (fewer, larger numpy calls
        # amortize Python overhead; more would spill the cache and the memory budget).
        self.chunk_words = int(chunk_words or min(4096, max(64, (4 << 20) // (self.rows + self._scratch_words))))
        self._in_ports = list(netlist.inputs.items())
        # run() takes and returns port values, so ports of at most 64 bits (run_packed any width).
        self._narrow = max([*netlist.inputs.values()] + [len(b) for b in netlist.outputs.values()], default=0) <= 64
        self._out_ports = [(name, port_dtype(len(bits)) if self._narrow else None)
                           for name, bits in netlist.outputs.items()]
        # The native back-end (the same plan compiled as C): built now with native=True, else
        # by prepare(), from the on-disk cache, or once enough vectors have run (_use_native).
        self._native_mode = native
        self._native: _native.NativeKernel | None = None
        self._looked = False      # whether the on-disk cache has been searched for the kernel
        self._work = 0            # vectors run so far
        self._runs = 0            # runs so far
        if native:
            self._native_kernel()

    def _native_source(self) -> str:
        nl = self.netlist
        return _native.generate_c(self._plan, self.rows, list(nl.inputs.values()), list(nl.outputs.values()))

    def _native_kernel(self, source: str | None = None) -> _native.NativeKernel:
        if self._native is None:
            self._native = _native.NativeKernel(source or self._native_source(), len(self._in_ports),
                                                len(self._out_ports))
        return self._native

    def prepare(self) -> "ExactSim":
        """Build the native kernel now (or load it from the cache), so that every later run,
        at any batch size, uses it; returns the simulator. Without a working C compiler (one
        warning per process), or with ``native=False``, numpy stays.

        >>> from spikefp.hdl import Builder, gates
        >>> b = Builder(); x = b.input("x", 2); b.output("y", [gates.xor(b, *x)])
        >>> sim = compile(b.build())
        >>> sim.prepare() is sim
        True
        """
        if self._native is None and self._native_mode is not False and _native.available():
            try:
                self._native_kernel()
            except _native.NativeUnavailable as e:      # this kernel did not compile: numpy runs it
                warnings.warn(f"{e}; this netlist runs on the numpy engine", RuntimeWarning, stacklevel=2)
                self._native_mode = False
        return self

    def _use_native(self, vectors: int) -> bool:
        """Whether a run of ``vectors`` goes to the native kernel, building it when it pays."""
        if self._native is not None:
            return True
        if self._native_mode is False:
            return False
        if not self._looked:
            self._looked = True
            # Generating the source to find its cache key costs about half of compile().
            source = self._native_source() if _native._compiler() else None
            if source and _native.cached(source):
                try:
                    self._native_kernel(source)
                except OSError:          # an unreadable cached file: leave it to prepare()
                    pass
        self._work += vectors
        self._runs += 1
        if self._native is None and (self._work >= NATIVE_MIN_WORDS * 64 or self._runs >= NATIVE_MIN_RUNS):
            self.prepare()
        return self._native is not None

    @property
    def backend(self) -> str:
        """``native`` once the compiled kernel is in use, else ``numpy``."""
        return "numpy" if self._native is None else "native"

    def _compile(self) -> None:
        """Schedule the netlist as a list of `Step`.

        A run of at least ``_GROUP`` equal weights becomes a *popcount unit* whose bits get
        scratch rows after the node rows; every neuron reading the same inputs shares it (the
        bits of a threshold counter all read one column). Units of similar size are computed
        together (padded with the constant-0 row) right after their inputs' level.
        """
        nl = self.netlist
        levels = nl.levels
        first = nl.first_neuron
        rows = nl.node_count
        units: dict[tuple, list[int]] = {}              # sorted input nodes -> bit rows
        pop: dict[int, tuple] = {}                      # padded size -> popcount program
        unit_steps: dict[tuple[int, int], list[tuple]] = {}   # (level, padded size) -> units
        neuron_steps: dict[tuple[int, tuple], list[tuple[int, list[int]]]] = {}
        for k, neu in enumerate(nl.neurons):
            by_w: dict[int, list[int]] = {}
            for i, w in zip(neu.inputs, neu.weights):
                if w:
                    by_w.setdefault(w, []).append(i)
            terms = []
            for w, nodes in by_w.items():
                if len(nodes) < _GROUP:
                    terms += [(w, i) for i in nodes]
                    continue
                key = tuple(sorted(nodes))
                if key not in units:
                    size = -(-len(key) // _GROUP) * _GROUP
                    if size not in pop:
                        pop[size] = popcount_program(size)
                    nbits = len(pop[size][1])      # rows for every bit of the padded count
                    units[key] = list(range(rows, rows + nbits))
                    rows += nbits
                    unit_steps.setdefault((max(levels[i] for i in key), size), []).append(key)
                # Bits above the true count's width are always 0: leave them out.
                terms += [(w << j, r) for j, r in enumerate(units[key][:len(key).bit_length()])]
            terms.sort(key=lambda t: -abs(t[0]))
            sig = (tuple(w for w, _ in terms), neu.threshold)
            neuron_steps.setdefault((levels[first + k], sig), []).append((first + k, [i for _, i in terms]))
        self.rows = rows
        programs: dict[tuple, tuple] = {}
        steps = []
        for (level, size), keys in unit_steps.items():
            ops, bits = pop[size]
            idx = np.array([list(key) + [0] * (size - len(key)) for key in keys], np.intp).T
            out = np.array([units[key] for key in keys], np.intp).T
            steps.append(((level, 0, int(out[0, 0])), ops, bits, idx, out))
        for (level, sig), members in neuron_steps.items():
            if sig not in programs:
                programs[sig] = threshold_program(*sig)
            ops, result = programs[sig]
            idx = np.array([ins for _, ins in members], np.intp).reshape(len(members), -1).T
            out = np.array([[node for node, _ in members]], np.intp)
            steps.append(((level - 1, 1, int(out[0, 0])), ops, [result], idx, out))
        for _, ops, results, idx, out in sorted(steps, key=lambda s: s[0]):
            nregs = max([len(idx)] + [d + 1 for _, d, _, _ in ops])
            self._plan.append(Step(ops=[(_UFUNCS[op], d, a, b) for op, d, a, b in ops], results=results,
                                   gather=np.ascontiguousarray(idx).ravel(), outs=np.ascontiguousarray(out),
                                   nregs=nregs, n_in=len(idx)))

    # -- evaluation --------------------------------------------------------------------
    def _eval_chunk(self, S: np.ndarray, scratch: np.ndarray) -> None:
        """Evaluate every level of one chunk ``S`` (node rows x words) in place.

        Registers live in ``scratch`` (preallocated per thread): allocating temporaries per
        operation costs page faults that serialize threads.
        """
        C = S.shape[1]
        for step in self._plan:
            regs = scratch[:step.nregs * step.width * C].reshape(step.nregs, step.width, C)
            if step.n_in:
                # mode="wrap" writes straight into ``out`` (mode="raise" buffers a copy); the
                # indices were validated at compile time.
                np.take(S, step.gather, axis=0, out=regs[:step.n_in].reshape(-1, C), mode="wrap")
            for fn, d, a, b in step.ops:
                if b is None:
                    fn(regs[a], out=regs[d])
                else:
                    fn(regs[a], regs[b], out=regs[d])
            for r, out in zip(step.results, step.outs):
                if r == ZERO:
                    S[out] = 0
                elif r == ONE:
                    S[out] = _ALL
                else:
                    S[out] = regs[r]

    def run_packed(self, planes: np.ndarray, n_vectors: int | None = None, spikes: bool = False):
        """Evaluate pre-packed input planes ``(input_bits, words)``.

        Returns ``(output_planes, spike_counts)``: output planes ``(output_bits, words)`` in
        port order, and (when ``spikes``) how many of the first ``n_vectors`` vectors made
        each neuron fire.
        """
        nl = self.netlist
        n_in = nl.first_neuron - 2
        if planes.shape[0] != n_in:
            raise ValueError(f"expected {n_in} input bit planes, got {planes.shape[0]}")
        words = planes.shape[1]
        n_vectors = words * 64 if n_vectors is None else n_vectors
        if not spikes and self._use_native(n_vectors):
            n_out = sum(len(v) for v in nl.outputs.values())
            return self._native.run(planes, n_out, self.threads), None
        return self._run_numpy(planes, n_vectors, spikes)

    def _run_numpy(self, planes: np.ndarray, n_vectors: int, spikes: bool):
        """`run_packed` on the numpy back-end."""
        nl = self.netlist
        words = planes.shape[1]
        out_nodes = np.array([i for bits in nl.outputs.values() for i in bits], dtype=np.intp)
        result = np.empty((len(out_nodes), words), np.uint64)
        counts = np.zeros(len(nl.neurons), np.int64) if spikes else None
        C = max(1, self.chunk_words)
        starts = list(range(0, words, C))

        def work(start):
            stop = min(words, start + C)
            S = np.empty((self.rows, stop - start), np.uint64)
            S[0] = 0
            S[1] = _ALL
            S[2:nl.first_neuron] = planes[:, start:stop]
            self._eval_chunk(S, np.empty(self._scratch_words * (stop - start), np.uint64))
            result[:, start:stop] = S[out_nodes]
            if spikes:
                live = S[nl.first_neuron:nl.node_count]
                valid = n_vectors - start * 64        # vectors in this chunk
                if valid < (stop - start) * 64:       # mask the padding of the last chunk
                    live = live.copy()
                    full, rem = divmod(max(valid, 0), 64)
                    live[:, full + (rem > 0):] = 0
                    if rem:
                        live[:, full] &= np.uint64((1 << rem) - 1)
                return np.bitwise_count(live).sum(axis=1, dtype=np.int64)
            return None

        if self.threads > 1 and len(starts) > 1:
            with ThreadPoolExecutor(self.threads) as pool:
                parts = list(pool.map(work, starts))
        else:
            parts = [work(s) for s in starts]
        if spikes:
            for p in parts:
                counts += p
        return result, counts

    def run(self, spikes: bool = False, **inputs):
        """Evaluate vectors given as arrays of unsigned port values (one element per vector).

        Inputs broadcast against each other like numpy operands (a scalar applies to every
        vector) and the outputs take their shape; each output is in the narrowest unsigned
        dtype that holds its port (uint8, uint16, uint32 or uint64). With ``spikes=True``
        the result also holds ``"spikes"``: how many vectors made each neuron fire (for
        energy estimates).

        >>> from spikefp.hdl import Builder, gates
        >>> b = Builder(); x = b.input("a", 4); b.output("y", [gates.xor(b, x[0], x[1])])
        >>> out = compile(b.build()).run(a=[[0, 1], [2, 3]])["y"]
        >>> out.dtype, out.tolist()
        (dtype('uint8'), [[0, 1], [1, 0]])
        """
        if not spikes and self._native is not None and self._narrow:
            out = self._run_fast(inputs)
            if out is not None:
                return out
        nl = self.netlist
        arrays, shape = port_arrays(nl, inputs)
        n = int(np.prod(shape, dtype=np.int64))
        if not spikes and self._narrow and self._use_native(n):
            flat = [np.ascontiguousarray(np.broadcast_to(arrays[name], shape)).reshape(-1) for name in nl.inputs]
            return self._run_native([(a.ctypes.data, 8, 1) for a in flat], shape, n)
        words = -(-n // 64)
        planes = np.empty((nl.first_neuron - 2, words), np.uint64)
        row = 0
        for name, width in nl.inputs.items():
            planes[row:row + width] = pack(np.broadcast_to(arrays[name], shape).ravel(), width)
            row += width
        out_planes, counts = self._run_numpy(planes, n, spikes)
        outputs = {}
        row = 0
        for name, bits in nl.outputs.items():
            values = unpack(out_planes[row:row + len(bits)], n)
            outputs[name] = values.astype(port_dtype(len(bits)), copy=False).reshape(shape)
            row += len(bits)
        if spikes:
            outputs["spikes"] = counts
        return outputs

    def _run_fast(self, inputs: dict) -> dict | None:
        """`run` on the native kernel straight from the caller's arrays, when they are arrays of
        unsigned integers (or Python ints) that are contiguous and of one shape or a single
        value; None sends the call to the general path (which also raises every error)."""
        if len(inputs) != len(self._in_ports):
            return None
        arrays = []
        shape = None
        same = True
        for name, _ in self._in_ports:
            a = inputs.get(name)
            if type(a) is not np.ndarray:
                if type(a) is not int or not 0 <= a < 1 << 64:
                    return None
                a = np.array(a, np.uint64)
            arrays.append(a)
            if shape is None:
                shape = a.shape
            elif a.shape != shape:
                same = False
        if not same:
            try:
                shape = np.broadcast_shapes(*(a.shape for a in arrays))
            except ValueError:
                return None
        n = math.prod(shape)
        if not n:
            return None
        ins = []
        for a in arrays:
            size = _VALUE_BYTES.get(a.dtype)
            if size is None or not a.flags.c_contiguous:
                return None
            if same or a.shape == shape:
                ins.append((a.ctypes.data, size, 1))
            elif a.size == 1:
                ins.append((a.ctypes.data, size, 0))      # one value for every vector
            else:
                return None
        return self._run_native(ins, shape, n)          # None: a value too wide for its port

    def _run_native(self, ins: list, shape: tuple, n: int) -> dict | None:
        outs = {name: np.empty(shape, dtype) for name, dtype in self._out_ports}
        if self._native.call(ins, [o.ctypes.data for o in outs.values()], n, self.threads):
            return None
        return outs


def check_ports(netlist: Netlist, inputs) -> None:
    """The one error every engine's ``run()`` gives for missing or unknown input ports.

    >>> from spikefp.hdl import Netlist
    >>> check_ports(Netlist({"a": 1}, {"y": [2]}, []), {"b": 0})
    Traceback (most recent call last):
    ValueError: run(): missing input a; unknown input b (inputs are a)
    """
    missing = [p for p in netlist.inputs if p not in inputs]
    extra = [p for p in inputs if p not in netlist.inputs]
    if missing or extra:
        raise ValueError("run(): " + "; ".join(
            ([f"missing input {', '.join(missing)}"] if missing else [])
            + ([f"unknown input {', '.join(extra)} (inputs are {', '.join(netlist.inputs)})"] if extra else [])))


def port_arrays(netlist: Netlist, inputs) -> tuple[dict[str, np.ndarray], tuple]:
    """Every input port's values as a uint64 array, checked (names, unsigned integers, width),
    and the shape they broadcast to: what each engine's ``run()`` starts from.

    >>> from spikefp.hdl import Netlist
    >>> port_arrays(Netlist({"a": 2, "b": 2}, {"y": [2]}, []), {"a": [[1], [2]], "b": [0, 3]})[1]
    (2, 2)
    """
    check_ports(netlist, inputs)
    arrays = {}
    for name, width in netlist.inputs.items():
        arr = _as_u64(inputs[name], name)
        if width < 64 and arr.size and int(arr.max()) >> width:
            bad = int(arr.flat[np.argmax(arr.ravel() >> np.uint64(width) != 0)])
            raise ValueError(f"run(): input {name} value {bad:#x} does not fit its {width} bits")
        arrays[name] = arr
    return arrays, broadcast_shape({k: a.shape for k, a in arrays.items()})


def broadcast_shape(shapes: dict) -> tuple:
    """The shape the ports' shapes broadcast to, or every engine's one error naming them.

    >>> broadcast_shape({"a": (3, 1), "b": (4,)})
    (3, 4)
    """
    try:
        return np.broadcast_shapes(*map(tuple, shapes.values()))
    except ValueError:
        raise ValueError("run(): input shapes do not broadcast together: " + ", ".join(
            f"{k} {tuple(v)}" for k, v in shapes.items())) from None


def port_dtype(width: int) -> np.dtype:
    """The narrowest unsigned dtype holding a ``width``-bit port.

    >>> [str(port_dtype(w)) for w in (1, 8, 9, 16, 17, 32, 33, 64)]
    ['uint8', 'uint8', 'uint16', 'uint16', 'uint32', 'uint32', 'uint64', 'uint64']
    """
    for dt in (np.uint8, np.uint16, np.uint32, np.uint64):
        if width <= np.iinfo(dt).bits:
            return np.dtype(dt)
    raise ValueError(f"a {width}-bit port is wider than 64 bits")


def _as_u64(values, name) -> np.ndarray:
    """Port values as a uint64 array of the same shape; anything but unsigned integers is an error."""
    # Python sequences go through object dtype: numpy would turn [2**64 - 1, 5] into floats.
    arr = values if isinstance(values, np.ndarray) else np.array(values, dtype=object)
    if arr.dtype.kind == "u":
        return arr.astype(np.uint64, copy=False)
    if arr.dtype.kind == "i":
        if arr.size and int(arr.min()) < 0:
            raise ValueError(f"run(): input {name} holds a negative value {int(arr.min())}")
        return arr.astype(np.uint64)
    flat = arr.ravel().tolist() if arr.dtype == object else None
    if flat is None or not all(isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
                               for v in flat):
        got = arr.dtype if flat is None else type(next(v for v in flat if not isinstance(v, (int, np.integer))
                                                       or isinstance(v, (bool, np.bool_)))).__name__
        raise ValueError(f"run(): input {name} must hold unsigned integers (got {got})")
    if any(v < 0 or v >> 64 for v in flat):
        raise ValueError(f"run(): input {name} holds a value outside 0..2**64-1")
    return np.array(flat, dtype=np.uint64).reshape(arr.shape)
