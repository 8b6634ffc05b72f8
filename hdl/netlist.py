"""The threshold-gate netlist: the single source of truth every back-end reads.

A neuron fires when the weighted sum of its binary inputs reaches its threshold,
``y = [sum(w_i * x_i) >= theta]``, with integer weights and threshold, in one timestep.

Node ids: ``0`` is the constant 0, ``1`` the constant 1, then the input-port bits in port
order (LSB first), then one node per neuron, ``netlist.first_neuron + i`` for neuron ``i``.
Output ports are LSB-first lists of node ids.

>>> from spikefp.hdl import Netlist, Neuron
>>> n = Netlist({"a": 1, "b": 1}, {"y": [4]}, [Neuron((2, 3), (1, 1), 2)])  # AND
>>> n.evaluate(a=1, b=1)["y"], n.stats()["neurons"]
(1, 1)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property

from .profile import Profile, get_profile

__all__ = ["atomic_write", "umask_mode", "ZERO_NODE", "ONE_NODE", "Neuron", "Netlist", "NetlistError"]

ZERO_NODE = 0
ONE_NODE = 1
FORMAT = "spikefp-netlist"
FORMAT_VERSION = 1


def umask_mode() -> int:
    """The permissions a newly created file gets under the process's umask (0o644 under 022).

    `tempfile.mkstemp` creates files 0600 whatever the umask; output files are chmod-ed to
    this before they are renamed into place, so they look like any file the user writes.
    """
    import os
    mask = os.umask(0)           # the only way to read the umask is to set it: put it back at once
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path, text) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place: readers never
    see half a file, a failure leaves nothing behind, and the file gets the umask's mode.
    ``text`` may instead be a function that writes into the binary file object it is given
    (a plot's ``savefig``).

    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "x.txt")
    >>> atomic_write(p, "hello\\n")
    >>> open(p).read(), oct(os.stat(p).st_mode & 0o777) == oct(umask_mode()), os.listdir(d)
    ('hello\\n', True, ['x.txt'])
    """
    import os
    import tempfile
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".spikefp-")
    try:
        with os.fdopen(fd, "w" if isinstance(text, str) else "wb") as f:
            f.write(text) if isinstance(text, str) else text(f)
        os.chmod(tmp, umask_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _is_np_integer(v) -> bool:
    """A numpy integer scalar (numpy is imported only when such a value could be one)."""
    import sys
    np = sys.modules.get("numpy")
    return np is not None and isinstance(v, np.integer) and not isinstance(v, np.bool_)


class NetlistError(ValueError):
    """An invalid netlist, or a neuron outside a gate profile's limits."""


@dataclass(frozen=True)
class Neuron:
    """One single-timestep Integrate-and-Fire neuron: ``[sum(w*x) >= threshold]``."""

    inputs: tuple[int, ...]
    weights: tuple[int, ...]
    threshold: int

    def fires(self, values) -> int:
        """Executable specification of one neuron on a sequence of node values."""
        return int(sum(w * values[i] for i, w in zip(self.inputs, self.weights)) >= self.threshold)


class Netlist:
    """Neurons, constant sources and named multi-bit ports.

    Parameters
    ----------
    inputs : dict of port name -> width; the bits get consecutive node ids from 2.
    outputs : dict of port name -> LSB-first list of node ids.
    neurons : list of `Neuron`; neuron ``i`` is node ``first_neuron + i``.
    name : free-form label kept in the serialized form.
    """

    def __init__(self, inputs: dict[str, int], outputs: dict[str, list[int]],
                 neurons: list[Neuron], name: str = ""):
        self.inputs = {str(k): int(v) for k, v in inputs.items()}
        self.outputs = {str(k): [int(i) for i in v] for k, v in outputs.items()}
        self.neurons = list(neurons)
        self.name = name
        self.first_neuron = 2 + sum(self.inputs.values())

    # -- node ids ---------------------------------------------------------------------
    @property
    def node_count(self) -> int:
        return self.first_neuron + len(self.neurons)

    def input_bits(self, port: str) -> list[int]:
        """Node ids of an input port's bits, LSB first."""
        start = 2
        for name, width in self.inputs.items():
            if name == port:
                return list(range(start, start + width))
            start += width
        raise KeyError(f"no input port {port!r}; inputs are {list(self.inputs)}")

    def describe_node(self, node: int) -> str:
        if node in (ZERO_NODE, ONE_NODE):
            return f"constant {node}"
        if node < self.first_neuron:
            start = 2
            for name, width in self.inputs.items():
                if node < start + width:
                    return f"input {name}[{node - start}]"
                start += width
        return f"neuron {node - self.first_neuron} (node {node})"

    # -- validation and structure ------------------------------------------------------
    def validate(self, profile: str | Profile | None = None) -> "Netlist":
        """Check ids, shapes, acyclicity and (optionally) a profile's limits.

        Raises `NetlistError` naming the offending neuron or port; returns ``self``.
        """
        n_nodes = self.node_count
        for k, neu in enumerate(self.neurons):
            where = f"neuron {k} (node {self.first_neuron + k})"
            if len(neu.inputs) != len(neu.weights):
                raise NetlistError(f"{where}: {len(neu.inputs)} inputs but {len(neu.weights)} weights")
            for i in neu.inputs:
                if not 0 <= i < n_nodes:
                    raise NetlistError(f"{where}: input {i} is out of range (0..{n_nodes - 1})")
            if len(set(neu.inputs)) != len(neu.inputs):
                raise NetlistError(f"{where}: an input appears twice")
        for port, bits in self.outputs.items():
            for j, i in enumerate(bits):
                if not 0 <= i < n_nodes:
                    raise NetlistError(f"output {port}[{j}]: node {i} is out of range (0..{n_nodes - 1})")
        self._levels_checked()
        if profile is not None:
            self.check_profile(profile)
        return self

    def check_profile(self, profile: str | Profile) -> None:
        p = get_profile(profile)
        for k, neu in enumerate(self.neurons):
            where = f"neuron {k} (node {self.first_neuron + k})"
            fanin = sum(1 for w in neu.weights if w)
            if p.max_fanin is not None and fanin > p.max_fanin:
                raise NetlistError(f"{where}: fan-in {fanin} exceeds profile {p.name!r} max_fanin {p.max_fanin}")
            for w in neu.weights:
                if not p.weight_ok(w):
                    raise NetlistError(f"{where}: weight {w} exceeds profile {p.name!r} max_weight {p.max_weight}")
            if p.max_threshold is not None and abs(neu.threshold) > p.max_threshold:
                raise NetlistError(
                    f"{where}: threshold {neu.threshold} exceeds profile {p.name!r} max_threshold {p.max_threshold}")

    def _levels_checked(self) -> list[int]:
        """Level of every node (inputs and constants 0, a neuron 1 + max of its inputs).

        Raises `NetlistError` naming a neuron on a cycle.
        """
        first = self.first_neuron
        level = [0] * self.node_count
        state = [0] * len(self.neurons)  # 0 new, 1 on stack, 2 done
        for root in range(len(self.neurons)):
            if state[root]:
                continue
            stack = [(root, 0)]
            state[root] = 1
            while stack:
                k, pos = stack.pop()
                ins = self.neurons[k].inputs
                while pos < len(ins) and (ins[pos] < first or state[ins[pos] - first] == 2):
                    pos += 1
                if pos < len(ins):
                    j = ins[pos] - first
                    if state[j] == 1:
                        raise NetlistError(f"neuron {j} (node {ins[pos]}) is on a cycle")
                    stack.append((k, pos + 1))
                    stack.append((j, 0))
                    state[j] = 1
                    continue
                level[first + k] = 1 + max((level[i] for i in ins), default=0)
                state[k] = 2
        return level

    @cached_property
    def levels(self) -> list[int]:
        """Level of every node id (see `_levels_checked`); neurons of one level are independent."""
        return self._levels_checked()

    def stats(self) -> dict[str, int]:
        """Counts for papers and reports.

        ``neurons``: threshold gates (not constants, not input ports); ``synapses``: non-zero
        weights; ``depth``: longest neuron path from an input to an output; ``max_fanin`` and
        ``max_weight``: the largest fan-in and |weight| of any neuron.
        """
        lv = self.levels
        out_nodes = [i for bits in self.outputs.values() for i in bits]
        return {
            "neurons": len(self.neurons),
            "synapses": sum(1 for n in self.neurons for w in n.weights if w),
            "depth": max((lv[i] for i in out_nodes), default=0),
            "max_fanin": max((sum(1 for w in n.weights if w) for n in self.neurons), default=0),
            "max_weight": max((abs(w) for n in self.neurons for w in n.weights), default=0),
        }

    # -- reference evaluation ----------------------------------------------------------
    def evaluate(self, **inputs: int) -> dict[str, int]:
        """Evaluate one vector neuron by neuron with Python integers.

        Slow and obviously right: the specification the fast engines are tested against.
        """
        missing = set(self.inputs) - set(inputs)
        extra = set(inputs) - set(self.inputs)
        if missing or extra:
            raise ValueError(f"evaluate(): missing inputs {sorted(missing)}, unknown inputs {sorted(extra)}")
        values = [0] * self.node_count
        values[ONE_NODE] = 1
        node = 2
        for name, width in self.inputs.items():
            v = inputs[name]
            # As the engines' run(): a port holds an unsigned integer, never a float or a bool
            # (1.0 is not a bit pattern; int() would truncate 1.5 silently).
            if isinstance(v, bool) or not isinstance(v, int) and not _is_np_integer(v):
                raise ValueError(f"evaluate(): input {name} must be an unsigned integer, "
                                 f"got {type(v).__name__} {str(v)[:20]}")
            v = int(v)
            if v < 0:
                raise ValueError(f"evaluate(): input {name} holds a negative value {v}")
            if v >> width:
                raise ValueError(f"evaluate(): input {name}={v} does not fit {width} bits")
            for j in range(width):
                values[node + j] = (v >> j) & 1
            node += width
        order = sorted(range(len(self.neurons)), key=lambda k: self.levels[self.first_neuron + k])
        for k in order:
            values[self.first_neuron + k] = self.neurons[k].fires(values)
        return {name: sum(values[i] << j for j, i in enumerate(bits)) for name, bits in self.outputs.items()}

    # -- serialization -----------------------------------------------------------------
    def to_json(self) -> str:
        """Deterministic text form: the same netlist always gives the same bytes."""
        head = {
            "format": FORMAT, "version": FORMAT_VERSION, "name": self.name,
            "inputs": [[k, v] for k, v in self.inputs.items()],
            "outputs": [[k, v] for k, v in self.outputs.items()],
        }
        lines = [json.dumps(head, separators=(",", ":"))[:-1] + ',"neurons":[']
        body = [json.dumps([list(n.inputs), list(n.weights), n.threshold], separators=(",", ":"))
                for n in self.neurons]
        lines.append(",\n".join(body))
        lines.append("]}\n")
        return "\n".join(lines)

    @classmethod
    def from_json(cls, text: str) -> "Netlist":
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise NetlistError(f"not a netlist file: {e}") from None
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise NetlistError(f"not a netlist file (expected format {FORMAT!r})")
        if d.get("version") != FORMAT_VERSION:
            raise NetlistError(f"unsupported netlist version {d.get('version')!r}")
        try:
            neurons = [Neuron(tuple(i), tuple(w), int(t)) for i, w, t in d["neurons"]]
            return cls(dict(d["inputs"]), dict(d["outputs"]), neurons, d.get("name", "")).validate()
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, NetlistError):
                raise
            raise NetlistError(f"malformed netlist file: {e}") from None

    def save(self, path) -> None:
        """Write `to_json` atomically (a temporary file renamed into place)."""
        atomic_write(path, self.to_json())

    @classmethod
    def load(cls, path) -> "Netlist":
        with open(path) as f:
            return cls.from_json(f.read())

    def content_hash(self) -> str:
        """SHA-256 of the serialized form (structure only, independent of object identity)."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def __eq__(self, other) -> bool:
        return isinstance(other, Netlist) and self.to_json() == other.to_json()

    __hash__ = None

    def __repr__(self) -> str:
        s = self.stats()
        return (f"<Netlist {self.name or '?'}: {s['neurons']} neurons, {s['synapses']} synapses, "
                f"depth {s['depth']}>")
