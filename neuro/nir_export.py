"""A netlist as a NIR graph (the Neuromorphic Intermediate Representation, ``nir`` package).

`to_nir(netlist)` maps the threshold-gate network onto NIR primitives, one group per
neuron level (a level's neurons only read inputs and earlier levels):

* one ``Input`` node per input port (``a``, ``b``, ``c``, ``rm``), one ``Output`` node per
  output port (``y``, ``flags``);
* per level ``L<k>``: a ``Threshold`` node (NIR fires when its summed input is strictly
  above the threshold, so neuron ``[sum w x >= theta]`` gets threshold ``theta - 1/2``;
  its constant-one inputs are folded into that threshold), fed by one ``Linear`` node per
  source (an input port or an earlier level) holding the integer weights; NIR sums the
  edges that meet at a node;
* per output port, ``Linear`` 0/1 selection matrices from its sources, and an ``Affine``
  with zero weights and unit bias for output bits that are the constant 1.

`run_nir(graph, inputs)` executes such a graph (for instance one read back with
``nir.read``) in discrete time: every ``Threshold`` node updates from the values its
inputs held one timestep earlier, ``Linear``/``Affine`` nodes are instantaneous synapses;
with the inputs held, the outputs are valid after ``depth`` timesteps (the *settle*
semantics). Bit-exact with the exact engine (tests/test_nir.py).

>>> import spikefp
>>> g = to_nir(spikefp.unit("fp8e5m2.add").netlist)
>>> sorted(k for k in g.nodes if not k.startswith(("W", "S", "L")))
['a', 'b', 'flags', 'y']
>>> run_nir(g, {"a": [0x3C], "b": [0x3C]})          # 1 + 1 = 2
{'flags': [0], 'y': [64]}
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict

import numpy as np

from ..hdl.netlist import ONE_NODE, ZERO_NODE, Netlist, umask_mode

__all__ = ["to_nir", "write_nir", "run_nir"]


def _groups(net: Netlist):
    """Node id -> (group name, index within the group): input ports and neuron levels."""
    where = {}
    for port, width in net.inputs.items():
        for j, node in enumerate(net.input_bits(port)):
            where[node] = (port, j)
    levels = net.levels
    members = defaultdict(list)
    for k in range(len(net.neurons)):
        node = net.first_neuron + k
        members[levels[node]].append(k)
    for lv, ks in sorted(members.items()):
        for j, k in enumerate(ks):
            where[net.first_neuron + k] = (f"L{lv}", j)
    return where, members


def to_nir(net: Netlist):
    """The NIR graph of ``net`` (see the module docstring for the mapping)."""
    import nir
    where, members = _groups(net)
    sizes = dict(net.inputs)
    sizes.update({f"L{lv}": len(ks) for lv, ks in members.items()})
    nodes = {port: nir.Input(input_type=np.array([w])) for port, w in net.inputs.items()}
    edges = []
    for lv, ks in sorted(members.items()):
        level = f"L{lv}"
        theta = np.empty(len(ks))
        weights = defaultdict(lambda: None)
        for row, k in enumerate(ks):
            neu = net.neurons[k]
            t = neu.threshold
            for x, w in zip(neu.inputs, neu.weights):
                if x == ONE_NODE:
                    t -= w
                elif x != ZERO_NODE:
                    src, col = where[x]
                    if weights[src] is None:
                        weights[src] = np.zeros((len(ks), sizes[src]))
                    weights[src][row, col] += w
            theta[row] = t - 0.5
        nodes[level] = nir.Threshold(threshold=theta)
        for src, W in sorted(weights.items()):
            name = f"W_{src}_{level}"
            nodes[name] = nir.Linear(weight=W)
            edges += [(src, name), (name, level)]
    for port, bits in net.outputs.items():
        nodes[port] = nir.Output(output_type=np.array([len(bits)]))
        select = {}
        ones = np.zeros(len(bits))
        for j, x in enumerate(bits):
            if x == ONE_NODE:
                ones[j] = 1.0
            elif x != ZERO_NODE:
                src, col = where[x]
                select.setdefault(src, np.zeros((len(bits), sizes[src])))[j, col] = 1.0
        for src, S in sorted(select.items()):
            name = f"S_{src}_{port}"
            nodes[name] = nir.Linear(weight=S)
            edges += [(src, name), (name, port)]
        if ones.any() or not select:      # constant bits ride on any input with zero weights
            src = next(iter(net.inputs))
            name = f"S_const_{port}"
            nodes[name] = nir.Affine(weight=np.zeros((len(bits), sizes[src])), bias=ones)
            edges += [(src, name), (name, port)]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"spikefp_netlist": net.name or "",
                                                            "semantics": "settle"})


def write_nir(net: Netlist, path: str) -> None:
    """Write ``net`` as a NIR (HDF5) file, atomically: a failure leaves no file behind."""
    import nir
    graph = to_nir(net)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise OSError(f"no directory {directory}")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".spikefp-", suffix=".nir")
    os.close(fd)
    try:
        nir.write(tmp, graph)
        os.chmod(tmp, umask_mode())       # mkstemp's 0600 would outlive the rename
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run_nir(graph, inputs: dict, steps: int | None = None) -> dict:
    """Execute a NIR graph of this mapping in discrete time; ``inputs``: port -> ints.

    Returns port -> list of ints (bits packed LSB first). ``steps`` defaults to the number
    of ``Threshold`` nodes (the depth), after which the outputs are settled.
    """
    import nir
    n = len(next(iter(inputs.values())))
    incoming = defaultdict(list)
    for src, dst in graph.edges:
        incoming[dst].append(src)
    state = {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.Input):
            width = int(np.asarray(node.output_type["output"]).prod())
            vals = np.asarray(inputs[name], dtype=np.uint64)
            state[name] = ((vals[:, None] >> np.arange(width, dtype=np.uint64)) & np.uint64(1)).astype(np.float64)
        elif isinstance(node, nir.Threshold):
            state[name] = np.zeros((n, len(node.threshold)))

    def value(name, prev):
        """A node's output now: synapses are instantaneous, neurons read the previous step."""
        node = graph.nodes[name]
        if isinstance(node, (nir.Input, nir.Threshold)):
            return prev[name]
        total = sum(value(s, prev) for s in incoming[name])
        if isinstance(node, nir.Linear):
            return total @ np.asarray(node.weight).T
        if isinstance(node, nir.Affine):
            return total @ np.asarray(node.weight).T + np.asarray(node.bias)
        if isinstance(node, nir.Output):
            return total
        raise ValueError(f"NIR node {name!r} ({type(node).__name__}) is not part of spikefp's mapping")

    thresholds = [k for k, v in graph.nodes.items() if isinstance(v, nir.Threshold)]
    for _ in range(len(thresholds) if steps is None else steps):
        prev = dict(state)
        for name in thresholds:
            thr = np.asarray(graph.nodes[name].threshold)
            total = sum((value(s, prev) for s in incoming[name]), np.zeros((n, len(thr))))
            state[name] = (total > thr).astype(np.float64)
    out = {}
    for name, node in graph.nodes.items():
        if isinstance(node, nir.Output):
            bits = value(name, state).astype(np.uint64) if incoming[name] else np.zeros((n, 0), np.uint64)
            packed = (bits << np.arange(bits.shape[1], dtype=np.uint64)).sum(axis=1, dtype=np.uint64)
            out[name] = [int(v) for v in packed]
    return dict(sorted(out.items()))
