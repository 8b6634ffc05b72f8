"""The torch engine: the exact engine's plan on torch tensors (CPU or CUDA), 64 vectors per int64 word.

`TorchSim` takes the exact engine's compiled plan (`spikefp.pysim.exact.ExactSim`),
renames every register of every step to a row of its own (each word operation of the
plan, once per neuron of its step, becomes one row) and schedules the rows by depth: all
operations of one depth and kind run as one torch call on a block of rows, after one
``index_select`` gathers the operands that are not already a block of rows. Step results
are aliases of rows, never copies. fp32.add thus runs as 877 torch calls per chunk of words
where the exact engine's numpy back-end makes ~4,000; on CUDA the calls of a chunk are
captured once as a CUDA graph and replayed. Bitwise operations on int64 are exact in two's
complement, so results are bit-identical to the exact engine's.

>>> import numpy as np, torch
>>> from spikefp.hdl import Builder, gates
>>> from spikefp.pysim.torch_engine import TorchSim
>>> b = Builder(); x = b.input("x", 2); b.output("y", [gates.xor(b, *x)])
>>> sim = TorchSim(b.build())
>>> sim.run(x=np.arange(4))["y"].tolist()
[0, 1, 1, 0]
>>> sim.run(x=torch.tensor([3, 1]))["y"]
tensor([0, 1], dtype=torch.uint8)
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import torch

from ..hdl.netlist import Netlist
from .exact import ExactSim, _as_u64, broadcast_shape, check_ports, port_dtype
from .program import ONE, ZERO

__all__ = ["TorchSim", "torch_port_dtype"]

_AND, _OR, _XOR = 0, 1, 2
_CODES = {np.bitwise_and: _AND, np.bitwise_or: _OR, np.bitwise_xor: _XOR}
_FNS = (torch.bitwise_and, torch.bitwise_or, torch.bitwise_xor)
# Bit j of a word is worth 2**j, bit 63 (the sign bit) -2**63: sums of distinct powers never overflow.
_POW = [1 << j for j in range(63)] + [-(1 << 63)]
_CPU_CACHE = 1 << 26       # bytes of rows per chunk on the CPU (more runs slower, out of cache)
_CPU_MIN_WORDS = 512       # ... but at least this many words (large netlists), up to:
_CPU_BUDGET = 1 << 28
_CUDA_BUDGET = 1 << 32
_SMALL_WORDS = 64          # up to this many words, pack with a few broadcast calls instead of a transpose
# Masks of the 64x64 bit-matrix transpose (Hacker's Delight 7-3): the bits c with c & j == 0.
_TMASKS = [(j, sum(1 << c for c in range(64) if not c & j)) for j in (32, 16, 8, 4, 2, 1)]


def torch_port_dtype(width: int) -> torch.dtype:
    """The torch dtype of a ``width``-bit port: uint8, else the signed type holding its bit pattern.

    >>> [str(torch_port_dtype(w))[6:] for w in (1, 8, 9, 16, 17, 32, 33, 64)]
    ['uint8', 'uint8', 'int16', 'int16', 'int32', 'int32', 'int64', 'int64']
    """
    for bits, dt in ((8, torch.uint8), (16, torch.int16), (32, torch.int32), (64, torch.int64)):
        if width <= bits:
            return dt
    raise ValueError(f"a {width}-bit port is wider than 64 bits")


class _Level(NamedTuple):
    """The operations of one depth: gather the scattered operand rows ``index``, then one call per kind.

    A call is ``(kind, first destination row, count, a, b)`` (destinations contiguous); an
    operand is ``(row, rows)``: a block of ``rows`` rows of the chunk used in place (``b`` may
    be one row broadcast to every op), or ``(None, offset)`` into the gathered rows."""
    index: torch.Tensor | None
    calls: list[tuple[int, int, int, tuple[int | None, int], tuple[int | None, int]]]


class _Chunk:
    """Buffers and bound calls for chunks of ``C`` words (built once per chunk size)."""

    def __init__(self, sim: "TorchSim", C: int):
        self.R = torch.empty((sim.nrows, C), dtype=torch.int64, device=sim.device)
        self.R[0] = 0
        self.R[1] = -1
        widest = max((len(lv.index) for lv in sim.levels if lv.index is not None), default=1)
        G = torch.empty((widest, C), dtype=torch.int64, device=sim.device)
        self.calls = []
        for lv in sim.levels:
            if lv.index is not None:
                self.calls.append((torch.index_select, (self.R, 0, lv.index), G[:len(lv.index)]))
            for kind, lo, count, *srcs in lv.calls:
                args = tuple(G[at:at + count] if row is None else self.R[row:row + at] for row, at in srcs)
                self.calls.append((_FNS[kind], args, self.R[lo:lo + count]))
        self.run = self._graph(sim.device) if sim.device.type == "cuda" else self._eager

    def _eager(self) -> None:
        for fn, args, out in self.calls:
            fn(*args, out=out)

    def _graph(self, device):
        """The whole plan captured as one CUDA graph: one launch per chunk instead of one per call
        (every buffer is allocated ahead, so replays are valid)."""
        try:
            with torch.cuda.device(device):
                side = torch.cuda.Stream()
                side.wait_stream(torch.cuda.current_stream())
                with torch.cuda.stream(side):
                    self._eager()                   # warm-up off the capture, as torch asks
                torch.cuda.current_stream().wait_stream(side)
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    self._eager()
            return graph.replay
        except RuntimeError as e:                   # still exact, launching call by call
            warnings.warn(f"CUDA graph capture failed ({e}); the torch engine runs eagerly", RuntimeWarning)
            return self._eager


class TorchSim:
    """A netlist compiled for torch on ``device`` ("cpu", "cuda", "cuda:1", ...); see `run`."""

    def __init__(self, netlist: Netlist, device=None, chunk_words: int | None = None, exact: ExactSim | None = None):
        """``exact``: an `ExactSim` of the same netlist whose plan to reuse (else one is compiled)."""
        try:
            self.device = torch.device(device if device is not None else "cpu")
        except RuntimeError as e:
            raise ValueError(f"unknown torch device {device!r}: {e}") from None
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {device!r}: CUDA is not available to this torch ({torch.__version__})")
        if exact is None:
            exact = ExactSim(netlist, native=False)
        elif exact.netlist is not netlist:
            raise ValueError("TorchSim(): exact= must be compiled from the same netlist")
        self.netlist = netlist
        self.stats = exact.stats
        self._schedule(exact)
        widest = max((len(lv.index) for lv in self.levels if lv.index is not None), default=1)
        row_bytes = 8 * (self.nrows + widest)         # per word of a chunk
        if self.device.type == "cuda":      # an eighth of the device's memory, at most 4 GB
            words = min(_CUDA_BUDGET, torch.cuda.get_device_properties(self.device).total_memory // 8) // row_bytes
        else:                               # cache-sized, but wide enough to amortize the calls of a chunk
            words = max(_CPU_CACHE // row_bytes, min(_CPU_MIN_WORDS, _CPU_BUDGET // row_bytes))
        self.chunk_words = int(chunk_words or max(1, min(1 << 16, words)))
        self._chunks: dict[int, _Chunk] = {}
        self._pow = torch.tensor(_POW, dtype=torch.int64, device=self.device)
        self._shifts = torch.arange(64, dtype=torch.int64, device=self.device)

    def _schedule(self, exact: ExactSim) -> None:
        """Rename the plan's registers to rows (one per word operation and neuron) and group them by depth."""
        nl = exact.netlist
        base = nl.first_neuron                     # rows 0 (zero), 1 (ones) and the input bits
        total = base + exact.word_ops
        kind = np.empty(total, np.int8)
        A = np.arange(total, dtype=np.int64)
        B = np.arange(total, dtype=np.int64)
        depth = np.zeros(total, np.int64)
        alias = np.full(exact.rows, -1, np.int64)  # node row of the plan -> row holding its value
        alias[:base] = np.arange(base)
        nxt = base
        for step in exact._plan:
            W = step.width
            g = alias[step.gather].reshape(step.n_in, W)
            regs = [g[j] for j in range(step.n_in)] + [None] * (step.nregs - step.n_in)
            deps = [depth[r] for r in regs[:step.n_in]] + [None] * (step.nregs - step.n_in)
            for fn, d, a, b in step.ops:
                ids = slice(nxt, nxt + W)
                A[ids] = regs[a]
                if fn is np.invert:                # ~x = x ^ ones: one kind less per depth
                    kind[ids], B[ids], dep = _XOR, 1, deps[a] + 1
                else:
                    kind[ids], B[ids], dep = _CODES[fn], regs[b], np.maximum(deps[a], deps[b]) + 1
                depth[ids] = deps[d] = dep
                regs[d] = np.arange(nxt, nxt + W)
                nxt += W
            for r, out in zip(step.results, step.outs):
                alias[out] = 0 if r == ZERO else 1 if r == ONE else regs[r]
        assert nxt == total and (alias >= 0).all()
        order = np.lexsort((kind[base:], depth[base:])) + base    # new row base + i holds old row order[i]
        new = np.arange(total, dtype=np.int64)
        new[order] = np.arange(base, total)
        A, B, kind, depth = new[A[order]], new[B[order]], kind[order], depth[order]
        out_rows = new[alias[[i for bits in nl.outputs.values() for i in bits]]]
        neuron_rows = new[alias[nl.first_neuron:nl.node_count]]
        # Groups: runs of one depth and kind (destinations contiguous); levels: runs of one depth.
        starts = [0] + (np.flatnonzero((np.diff(depth) != 0) | (np.diff(kind) != 0)) + 1).tolist() if len(depth) else []
        ends = starts[1:] + [len(depth)]
        phys = _allocate(base, A, B, depth, starts, ends, np.concatenate([out_rows, neuron_rows]))
        A, B = phys[A], phys[B]
        self.nrows = int(phys.max()) + 1
        self.levels: list[_Level] = []
        level, gather = [], []
        for s, e in zip(starts, ends):
            srcs = []
            for blk in (A[s:e], B[s:e]):
                if blk[-1] - blk[0] == len(blk) - 1 and (np.diff(blk) == 1).all():
                    srcs.append((int(blk[0]), len(blk)))          # already a block of rows
                elif srcs and (blk == blk[0]).all():              # one row (the ones of ~x = x ^ ones)
                    srcs.append((int(blk[0]), 1))                 # broadcast against a full first operand
                else:
                    srcs.append((None, sum(map(len, gather))))
                    gather.append(blk)
            level.append((int(kind[s]), int(phys[base + s]), e - s, *srcs))
            if e == len(depth) or depth[e] != depth[s]:
                index = torch.from_numpy(np.concatenate(gather)).to(self.device) if gather else None
                self.levels.append(_Level(index, level))
                level, gather = [], []
        self._out_rows = torch.from_numpy(phys[out_rows]).to(self.device)
        self._neuron_rows = torch.from_numpy(phys[neuron_rows]).to(self.device)

    def _chunk(self, C: int) -> _Chunk:
        """The buffers for chunks of ``C`` words: kept for the next call (small batches repeat),
        the least recently used dropped beyond twice the largest chunk's size."""
        chunk = self._chunks.pop(C, None) or _Chunk(self, C)
        self._chunks[C] = chunk
        while sum(self._chunks) > 2 * self.chunk_words:
            self._chunks.pop(next(iter(self._chunks)))
        return chunk

    # -- bit planes --------------------------------------------------------------------
    def _pack(self, v: torch.Tensor, width: int, out: torch.Tensor) -> None:
        """Bit planes ``(width, words)`` of int64 values ``v`` (at most ``64 * words``) into ``out``."""
        words = out.shape[1]
        p = torch.zeros((words, 64), dtype=torch.int64, device=self.device)
        p.view(-1)[:len(v)] = v
        if words > _SMALL_WORDS:
            out.copy_(_transpose64(p).T[:width])
        else:           # few calls for small batches: bit k of value j, times 2**j, summed over j
            out.copy_(((p.unsqueeze(0) >> self._shifts[:width, None, None] & 1) * self._pow).sum(-1))

    def _unpack(self, planes: torch.Tensor, n: int) -> torch.Tensor:
        """Inverse of `_pack`: ``n`` int64 values (two's complement bit patterns)."""
        width, words = planes.shape
        if words > _SMALL_WORDS:
            blocks = torch.zeros((words, 64), dtype=torch.int64, device=self.device)
            blocks[:, :width] = planes.T
            return _transpose64(blocks).view(-1)[:n]
        bits = planes.unsqueeze(-1) >> self._shifts & 1
        return (bits * self._pow[:width, None, None]).sum(0).view(-1)[:n]

    # -- inputs ------------------------------------------------------------------------
    def _input(self, name: str, width: int, value) -> tuple[torch.Tensor, bool]:
        """Port values as an int64 tensor on the device holding the bit patterns; True for a torch input."""
        if isinstance(value, torch.Tensor):
            dt = value.dtype
            if dt.is_floating_point or dt.is_complex or dt == torch.bool:
                raise ValueError(f"run(): input {name} must hold unsigned integers (got {dt})")
            v = value.to(self.device)
            bits = torch.iinfo(dt).bits
            if dt == torch.uint64:
                v = v.view(torch.int64)
            elif dt.is_signed and v.numel() and bool((v < 0).any()):
                if bits != width:
                    raise ValueError(f"run(): input {name} holds a negative value {int(v.min())} (a {dt} "
                                     f"input to a {width}-bit port must be non-negative; negative values "
                                     f"are bit patterns only when the dtype has the port's width)")
                v = v.to(torch.int64) & ((1 << bits) - 1) if bits < 64 else v
            v = v.to(torch.int64)
            if width < 64 and v.numel() and bool((v >> width).any()):
                bad = int(v.reshape(-1)[torch.nonzero((v >> width).reshape(-1))[0, 0]])
                raise ValueError(f"run(): input {name} value {bad & ((1 << 64) - 1):#x} does not fit its {width} bits")
            return v, True
        arr = _as_u64(value, name)
        if width < 64 and arr.size and int(arr.max()) >> width:
            bad = int(arr.flat[np.argmax(arr.ravel() >> np.uint64(width) != 0)])
            raise ValueError(f"run(): input {name} value {bad:#x} does not fit its {width} bits")
        if not (arr.flags.c_contiguous and arr.flags.writeable):
            arr = arr.copy()
        return torch.from_numpy(arr.view(np.int64)).to(self.device), False

    def run(self, spikes: bool = False, **inputs):
        """Evaluate vectors given as port values, like `ExactSim.run`.

        numpy arrays (or Python integers) in give numpy arrays out in the narrowest unsigned
        dtype; any torch integer tensor in gives torch tensors out on the engine's device:
        uint8 for ports of up to 8 bits, else int16 / int32 / int64 holding the bit pattern
        (two's complement, so ``y.view(torch.bfloat16)`` works). Signed inputs may be negative
        only when their dtype has the port's width (bit patterns). Inputs broadcast.
        ``spikes=True`` adds ``"spikes"``: how many vectors made each neuron fire.

        >>> from spikefp.hdl import Builder, gates
        >>> b = Builder(); x = b.input("a", 16); b.output("y", [x[15]]); b.output("z", x)
        >>> out = TorchSim(b.build()).run(a=torch.tensor([-1, 5], dtype=torch.int16))
        >>> out["y"].tolist(), out["z"].tolist(), out["z"].dtype
        ([1, 0], [-1, 5], torch.int16)
        """
        nl = self.netlist
        check_ports(nl, inputs)
        values, as_torch = {}, False
        for name, width in nl.inputs.items():
            values[name], t = self._input(name, width, inputs[name])
            as_torch |= t
        shape = broadcast_shape({k: v.shape for k, v in values.items()})
        n = int(np.prod(shape, dtype=np.int64))
        flat = {k: v.expand(shape).reshape(-1) for k, v in values.items()}
        out_bits = [len(bits) for bits in nl.outputs.values()]
        results = [torch.empty(n, dtype=torch.int64, device=self.device) for _ in out_bits]
        counts = torch.zeros(len(nl.neurons), dtype=torch.int64, device=self.device)
        words = -(-n // 64)
        nchunks = -(-words // self.chunk_words)
        C = -(-words // nchunks) if words else 0
        for i in range(nchunks):
            lo, hi = i * C * 64, min(n, (i + 1) * C * 64)
            chunk = self._chunk(C)
            row = 2
            for name, width in nl.inputs.items():
                self._pack(flat[name][lo:hi], width, chunk.R[row:row + width])
                row += width
            chunk.run()
            planes = chunk.R.index_select(0, self._out_rows)
            row = 0
            for res, w in zip(results, out_bits):
                res[lo:hi] = self._unpack(planes[row:row + w], hi - lo)
                row += w
            if spikes:
                live = chunk.R.index_select(0, self._neuron_rows)
                full, rem = divmod(hi - lo, 64)
                live[:, full + (rem > 0):] = 0              # padding vectors are not counted
                if rem:
                    live[:, full] &= (1 << rem) - 1
                counts += _popcount(live).sum(1)
        outputs = {}
        for (name, _), res, w in zip(nl.outputs.items(), results, out_bits):
            if as_torch:
                dt = torch_port_dtype(w)
                if dt in (torch.int16, torch.int32):       # the bit pattern, in two's complement
                    res = res - ((res >> (w - 1) & 1) << w) if w in (16, 32) else res
                outputs[name] = res.to(dt).reshape(shape)
            else:
                outputs[name] = res.cpu().numpy().view(np.uint64).astype(port_dtype(w)).reshape(shape)
        if spikes:
            outputs["spikes"] = counts if as_torch else counts.cpu().numpy()
        return outputs


def _allocate(base, A, B, depth, starts, ends, keep) -> np.ndarray:
    """Physical rows for the value rows: value ``base + i`` is computed by op ``i`` from rows
    ``A[i]``, ``B[i]``; ops ``starts[g]:ends[g]`` form a group whose rows must be one block.

    A row is free again after the last depth that reads it (rows in ``keep``, the outputs and
    neurons, and rows below ``base`` are never reused), so a chunk holds the values live at
    one depth rather than all of them: fp32.add needs 2,539 rows instead of 9,664. Blocks
    are placed first-fit.
    """
    n = len(depth)
    phys = np.arange(base + n, dtype=np.int64)
    if not n:
        return phys
    level = np.concatenate([[0], np.cumsum(np.diff(depth) != 0)])     # level index of each op
    free_at = np.concatenate([np.full(base, -1), level])              # the last level reading each row
    np.maximum.at(free_at, A, level)
    np.maximum.at(free_at, B, level)
    free_at[:base] = free_at[keep] = len(depth) + 1            # never
    by_level = np.argsort(free_at, kind="stable")
    bounds = np.searchsorted(free_at[by_level], np.arange(level[-1] + 2))
    free = np.zeros(n, bool)          # physical rows base + j, j < top: free?
    top = 0
    runs = np.zeros((0, 2), np.int64)   # free [start, end) blocks below top, for this level
    for s, e in zip(starts, ends):
        size = e - s
        fits = np.flatnonzero(runs[:, 1] - runs[:, 0] >= size)
        if len(fits):
            at = int(runs[fits[0], 0])
            runs[fits[0], 0] += size
        elif len(runs) and runs[-1, 1] == top:                  # extend the free run at the top
            at = int(runs[-1, 0])
            runs[-1] = top + size
        else:
            at = top
        top = max(top, at + size)
        free[at:at + size] = False
        phys[base + s:base + e] = base + np.arange(at, at + size)
        if e == n or depth[e] != depth[s]:                      # level done: release its last reads
            lv = level[s]
            free[phys[by_level[bounds[lv]:bounds[lv + 1]]] - base] = True
            runs = np.flatnonzero(np.diff(np.r_[False, free[:top], False])).reshape(-1, 2)
    return phys


def _popcount(x: torch.Tensor) -> torch.Tensor:
    """Set bits of each int64 word, counted on the two 32-bit halves (no signed overflow anywhere)."""
    total = None
    for half in (x & 0xFFFFFFFF, (x >> 32) & 0xFFFFFFFF):
        half = half - ((half >> 1) & 0x55555555)
        half = (half & 0x33333333) + ((half >> 2) & 0x33333333)
        half = (half + (half >> 4)) & 0x0F0F0F0F
        half = (half + (half >> 8) + (half >> 16) + (half >> 24)) & 0xFF
        total = half if total is None else total + half
    return total


def _transpose64(x: torch.Tensor) -> torch.Tensor:
    """Transpose each row of ``x`` (words, 64) as a 64x64 bit matrix, in place: bit c of
    element r becomes bit r of element c. Every mask clears the bits an arithmetic shift fills."""
    words = x.shape[0]
    for j, m in _TMASKS:
        blocks = x.view(words, 64 // (2 * j), 2, j)
        lo, hi = blocks[:, :, 0], blocks[:, :, 1]
        t = ((lo >> j) ^ hi) & m
        hi ^= t
        lo ^= t << j
    return x
