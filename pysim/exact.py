"""The exact engine: bit-parallel evaluation of a netlist, 64 test vectors per uint64 word.

`compile` levelizes the netlist once and groups the neurons of each level by their
gate program (see `spikefp.pysim.program`); `ExactSim.run` then evaluates one level at a
time with whole-array numpy operations over all the vectors of a chunk, never one vector
at a time in Python. Chunks of words run on a thread pool (numpy releases the GIL).

>>> import numpy as np
>>> from spikefp.hdl import Builder, gates
>>> from spikefp import pysim
>>> b = Builder(); x = b.input("x", 2); b.output("y", [gates.xor(b, *x)])
>>> sim = pysim.compile(b.build())
>>> sim.run(x=np.arange(4))["y"].tolist()
[0, 1, 1, 0]
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..hdl.netlist import Netlist
from .program import ONE, ZERO, threshold_program

__all__ = ["compile", "ExactSim", "pack", "unpack"]

_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)


def pack(values: np.ndarray, width: int) -> np.ndarray:
    """Bit planes of ``values``: array ``(width, ceil(N/64))`` of uint64, vector ``v`` at bit ``v%64``."""
    n = len(values)
    words = -(-n // 64)
    bits = np.unpackbits(values.astype("<u8").view(np.uint8).reshape(n, 8), axis=1, bitorder="little")
    planes = np.zeros((width, words * 8), np.uint8)
    planes[:, : -(-n // 8)] = np.packbits(bits[:, :width].T, axis=1, bitorder="little")
    return planes.view("<u8").astype(np.uint64, copy=False)


def unpack(planes: np.ndarray, n: int) -> np.ndarray:
    """Inverse of `pack`: ``n`` uint64 values from ``(width, words)`` bit planes."""
    width = planes.shape[0]
    bits = np.unpackbits(np.ascontiguousarray(planes).astype("<u8").view(np.uint8), axis=1,
                         bitorder="little")[:, :n]
    full = np.zeros((n, 64), np.uint8)
    full[:, :width] = bits.T
    return np.packbits(full, axis=1, bitorder="little").view("<u8").reshape(n).astype(np.uint64)


def compile(netlist: Netlist, chunk_words: int = 256, threads: int | None = None) -> "ExactSim":
    """Validate and schedule ``netlist`` for bit-parallel simulation."""
    return ExactSim(netlist, chunk_words, threads)


class ExactSim:
    """A compiled netlist; see `run`."""

    def __init__(self, netlist: Netlist, chunk_words: int = 256, threads: int | None = None):
        netlist.validate()
        self.netlist = netlist
        self.chunk_words = int(chunk_words)
        self.threads = threads or min(2, os.cpu_count() or 1)
        self.stats = netlist.stats()
        levels = netlist.levels
        first = netlist.first_neuron
        programs: dict[tuple, tuple] = {}
        groups: dict[tuple[int, tuple], list[int]] = {}
        ordered_inputs = []   # each neuron's inputs, largest |weight| first (the program's order)
        for k, neu in enumerate(netlist.neurons):
            pairs = sorted(zip(neu.weights, neu.inputs), key=lambda p: -abs(p[0]))
            sig = (tuple(w for w, _ in pairs), neu.threshold)
            if sig not in programs:
                programs[sig] = threshold_program(*sig)
            ordered_inputs.append([i for _, i in pairs])
            groups.setdefault((levels[first + k], sig), []).append(k)
        # Plan: per level, per program, the gathered input rows and the output rows.
        self._plan = []
        for (level, sig), ks in sorted(groups.items(), key=lambda g: (g[0][0], min(g[1]))):
            ops, result = programs[sig]
            idx = np.array([ordered_inputs[k] for k in ks], dtype=np.intp).reshape(len(ks), -1).T.copy()
            out = np.array([first + k for k in ks], dtype=np.intp)
            self._plan.append((ops, result, idx, out))
        self.word_ops = sum(len(p[0]) * len(p[3]) for p in self._plan)

    # -- evaluation --------------------------------------------------------------------
    def _eval_chunk(self, S: np.ndarray) -> None:
        for ops, result, idx, out in self._plan:
            regs = list(S[idx]) if len(idx) else []
            for op, d, a, b in ops:
                if op == "and":
                    regs.append(np.bitwise_and(regs[a], regs[b]))
                elif op == "or":
                    regs.append(np.bitwise_or(regs[a], regs[b]))
                elif op == "xor":
                    regs.append(np.bitwise_xor(regs[a], regs[b]))
                else:
                    regs.append(np.invert(regs[a]))
            if result == ZERO:
                S[out] = 0
            elif result == ONE:
                S[out] = _ALL
            else:
                S[out] = regs[result]

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
        out_nodes = np.array([i for bits in nl.outputs.values() for i in bits], dtype=np.intp)
        result = np.empty((len(out_nodes), words), np.uint64)
        counts = np.zeros(len(nl.neurons), np.int64) if spikes else None
        C = max(1, self.chunk_words)
        starts = list(range(0, words, C))

        def work(start):
            stop = min(words, start + C)
            S = np.empty((nl.node_count, stop - start), np.uint64)
            S[0] = 0
            S[1] = _ALL
            S[2:nl.first_neuron] = planes[:, start:stop]
            self._eval_chunk(S)
            result[:, start:stop] = S[out_nodes]
            if spikes:
                live = S[nl.first_neuron:]
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

        Returns a dict of uint64 output arrays; with ``spikes=True`` also ``"spikes"``: how
        many vectors made each neuron fire (for energy estimates).
        """
        nl = self.netlist
        missing = [p for p in nl.inputs if p not in inputs]
        extra = [p for p in inputs if p not in nl.inputs]
        if missing or extra:
            raise ValueError("run(): " + "; ".join(
                ([f"missing input {', '.join(missing)}"] if missing else [])
                + ([f"unknown input {', '.join(extra)} (inputs are {', '.join(nl.inputs)})"] if extra else [])))
        arrays = {}
        n = None
        for name, width in nl.inputs.items():
            arr = _as_u64(inputs[name], name)
            if width < 64 and arr.size and int(arr.max()) >> width:
                bad = int(arr[np.argmax(arr >> np.uint64(width) != 0)])
                raise ValueError(f"run(): input {name} value {bad:#x} does not fit its {width} bits")
            if n is None:
                n = arr.size
            elif arr.size != n and arr.size != 1:
                raise ValueError(f"run(): input {name} has {arr.size} vectors, expected {n}")
            arrays[name] = arr
        n = n or 0
        words = -(-n // 64)
        planes = np.empty((nl.first_neuron - 2, words), np.uint64)
        row = 0
        for name, width in nl.inputs.items():
            arr = arrays[name]
            if arr.size == 1 and n != 1:
                arr = np.full(n, arr[0], np.uint64)
            planes[row:row + width] = pack(arr, width)
            row += width
        out_planes, counts = self.run_packed(planes, n, spikes)
        outputs = {}
        row = 0
        for name, bits in nl.outputs.items():
            outputs[name] = unpack(out_planes[row:row + len(bits)], n)
            row += len(bits)
        if spikes:
            outputs["spikes"] = counts
        return outputs


def _as_u64(values, name) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype == object or arr.dtype.kind not in "ui":
        try:
            arr = np.array([int(v) for v in np.ravel(arr)], dtype=object)
        except (TypeError, ValueError):
            raise ValueError(f"run(): input {name} must hold unsigned integers") from None
        if any(v < 0 or v >> 64 for v in arr):
            raise ValueError(f"run(): input {name} holds a value outside 0..2**64-1")
        return arr.astype(np.uint64).ravel()
    if arr.dtype.kind == "i" and arr.size and int(arr.min()) < 0:
        raise ValueError(f"run(): input {name} holds a negative value {int(arr.min())}")
    return arr.astype(np.uint64).ravel()
