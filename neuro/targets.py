"""Neuromorphic targets: a chip of cores, its per-core limits and its energy table.

A `Target` holds what a mapping must respect (neurons, synapses, fan-in axons and fan-out
edges per core, signed weight bits, threshold and membrane bits, cores per chip, the
mesh of tiles) and what energy is charged per event (synaptic operation, neuron update,
spike delivered within a tile, tile-to-tile hop). Every preset figure names its source;
figures our sources do not give are marked ``assumed`` and say what was assumed.

Presets: ``loihi1`` (Davies et al., "Loihi: A Neuromorphic Manycore Processor with On-Chip
Learning", IEEE Micro 38(1), 2018; pre-silicon energy figures; its chip and core limits live
in `spikefp.hdl.chips`, which the ``loihi`` gate profile reads too) and ``loihi2`` (Intel's
Loihi 2 brief, 2021: neurons per core and per chip; no public per-operation energy table,
so Loihi 1's is used and marked). A custom target is a JSON file with the same fields.

>>> t = get_target("loihi1")
>>> t.neurons_per_core, t.max_weight, t.energy.synop_pj
(1024, 127, 23.6)
>>> from spikefp.hdl import get_profile
>>> get_profile("loihi").max_weight == t.max_weight    # one Loihi truth
True
>>> get_target("loihi2").neurons_per_core
8192
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

from ..hdl.chips import DAVIES_2018, LOIHI1, LOIHI1_SOURCES

__all__ = ["Energy", "Target", "TargetError", "PRESETS", "get_target", "load_target"]


class TargetError(ValueError):
    """A target file with missing or impossible fields, or an unknown preset."""


@dataclass(frozen=True)
class Energy:
    synop_pj: float             # one synaptic operation (a spike reaching one synapse)
    update_pj: float            # one neuron (compartment) update in a timestep
    active_update_pj: float     # an update of a neuron that fires
    tile_spike_pj: float        # a spike delivered within its tile
    hop_pj: float               # each tile-to-tile hop of a spike message on the mesh


@dataclass(frozen=True)
class Target:
    name: str
    cores_per_chip: int
    neurons_per_core: int
    synapses_per_core: int
    fanin_axons_per_core: int   # distinct source neurons (or inputs) a core receives from
    fanout_edges_per_core: int  # (source neuron, destination core) routes leaving a core
    weight_bits: int            # signed: weights in [-(2^(b-1) - 1), 2^(b-1) - 1]
    threshold_bits: int         # unsigned threshold below 2^b
    membrane_bits: int          # signed membrane potential: every partial sum within +-2^b
    mesh: tuple[int, int]       # tiles in x and y
    cores_per_tile: int
    energy: Energy
    sources: dict = field(default_factory=dict, compare=False)

    @property
    def max_weight(self) -> int:
        return (1 << (self.weight_bits - 1)) - 1

    @property
    def max_threshold(self) -> int:
        return (1 << self.threshold_bits) - 1

    @property
    def max_membrane(self) -> int:
        return 1 << self.membrane_bits

    def to_json(self) -> str:
        d = asdict(self)
        d["mesh"] = list(self.mesh)
        return json.dumps(d, indent=2, sort_keys=True)


_LOIHI1 = Target(
    "loihi1", **LOIHI1, mesh=(8, 4), cores_per_tile=4,
    energy=Energy(synop_pj=23.6, update_pj=52.0, active_update_pj=81.0, tile_spike_pj=1.7, hop_pj=3.5),
    sources={
        **LOIHI1_SOURCES,
        "mesh": "assumed: 32 tiles of 4 cores as an 8 x 4 mesh (geometry not in our sources)",
        "cores_per_tile": "assumed (see mesh)",
        "energy.synop_pj": DAVIES_2018 + " (pre-silicon)", "energy.update_pj": DAVIES_2018,
        "energy.active_update_pj": DAVIES_2018 + " (81 pJ active update)",
        "energy.tile_spike_pj": DAVIES_2018 + " (within-tile spike)",
        "energy.hop_pj": DAVIES_2018 + ": 3.0-4.0 pJ per tile hop; midpoint taken",
    })
_LOIHI2_BRIEF = "Intel, Loihi 2 technology brief (2021)"
_LOIHI2 = Target(
    "loihi2", cores_per_chip=128, neurons_per_core=8192, synapses_per_core=65536,
    fanin_axons_per_core=4096, fanout_edges_per_core=4096, weight_bits=LOIHI1["weight_bits"],
    threshold_bits=17, membrane_bits=23, mesh=(8, 4), cores_per_tile=4, energy=_LOIHI1.energy,
    sources={
        "cores_per_chip": _LOIHI2_BRIEF + " (128 neuron cores)",
        "neurons_per_core": _LOIHI2_BRIEF + " (up to 8,192 neurons per core, 1M per chip)",
        **{k: "assumed equal to Loihi 1 (no public Loihi 2 figure)" for k in
           ("synapses_per_core", "fanin_axons_per_core", "fanout_edges_per_core", "weight_bits",
            "threshold_bits", "membrane_bits", "mesh", "cores_per_tile", "energy.synop_pj",
            "energy.update_pj", "energy.active_update_pj", "energy.tile_spike_pj", "energy.hop_pj")},
    })
PRESETS = {t.name: t for t in (_LOIHI1, _LOIHI2)}

_INT_FIELDS = ("cores_per_chip", "neurons_per_core", "synapses_per_core", "fanin_axons_per_core",
               "fanout_edges_per_core", "weight_bits", "threshold_bits", "membrane_bits", "cores_per_tile")


# Upper bounds of a target file's figures: far beyond any chip, small enough that nothing
# derived from them (2^bits weight ranges, mesh slot tables) exhausts memory.
_MAX_BITS = 64
_MAX_COUNT = 1 << 32
_MAX_CORES = 1 << 20             # cores per chip, and mesh slots (tiles x cores per tile)
_MAX_FILE = 1 << 20              # bytes: a target file is a few hundred


def _check(d: dict, where: str) -> Target:
    names = [f.name for f in fields(Target) if f.name != "sources"]
    missing = [k for k in names if k not in d]
    if missing:
        raise TargetError(f"{where}: missing field(s) {', '.join(missing)}")
    unknown = sorted(set(d) - set(names) - {"sources"})
    if unknown:
        raise TargetError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for k in _INT_FIELDS:
        v = d[k]
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise TargetError(f"{where}: {k} must be a positive integer, got {_short(v)}")
        limit = _MAX_BITS if k.endswith("_bits") else _MAX_CORES if k in ("cores_per_chip", "cores_per_tile") \
            else _MAX_COUNT
        if v > limit:
            raise TargetError(f"{where}: {k} = {_short(v)} is beyond the largest accepted, {limit}")
    if d["weight_bits"] < 2:
        raise TargetError(f"{where}: weight_bits must be at least 2 (a sign and one magnitude bit)")
    mesh = d["mesh"]
    if not (isinstance(mesh, (list, tuple)) and len(mesh) == 2
            and all(isinstance(m, int) and not isinstance(m, bool) and m >= 1 for m in mesh)):
        raise TargetError(f"{where}: mesh must be two positive integers [x, y], got {_short(mesh)}")
    if mesh[0] * mesh[1] * d["cores_per_tile"] > _MAX_CORES:
        raise TargetError(f"{where}: mesh {_short(mesh[0])} x {_short(mesh[1])} tiles of {d['cores_per_tile']} "
                          f"cores is beyond the largest accepted, {_MAX_CORES} cores")
    if mesh[0] * mesh[1] * d["cores_per_tile"] < d["cores_per_chip"]:
        raise TargetError(f"{where}: mesh {mesh[0]} x {mesh[1]} tiles of {d['cores_per_tile']} cores "
                          f"holds fewer than cores_per_chip = {d['cores_per_chip']}")
    e = d["energy"]
    if not isinstance(e, dict):
        raise TargetError(f"{where}: energy must be an object with {', '.join(f.name for f in fields(Energy))}")
    missing = [f.name for f in fields(Energy) if f.name not in e]
    if missing:
        raise TargetError(f"{where}: energy is missing {', '.join(missing)}")
    for k, v in e.items():
        if k not in {f.name for f in fields(Energy)}:
            raise TargetError(f"{where}: unknown energy field {k!r}")
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v < 1e12:
            raise TargetError(f"{where}: energy.{k} must be a non-negative number of pJ, got {_short(v)}")
    if not isinstance(d["name"], str) or not d["name"]:
        raise TargetError(f"{where}: name must be a non-empty string")
    src = d.get("sources", {})
    if not (isinstance(src, dict) and all(isinstance(v, str) for v in src.values())):
        raise TargetError(f"{where}: sources must be an object of strings (field -> where the figure comes from)")
    return Target(**{**d, "mesh": tuple(mesh), "energy": Energy(**{k: float(v) for k, v in e.items()}),
                     "sources": dict(d.get("sources", {}))})


def _short(value) -> str:
    """A value as the user wrote it, cut to 40 characters (a file may hold anything)."""
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 128 else f"2^{value.bit_length() - 1}+"
    return text if len(text) <= 40 else text[:40] + "..."


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a target may hold")


def load_target(path: str) -> Target:
    """A target from a JSON file (the fields of `Target`; see ``Target.to_json()``).

    The file must be UTF-8 JSON of at most a megabyte, without ``NaN`` or ``Infinity``,
    and every figure within the bounds above; anything else is a `TargetError`.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "t.json")
    >>> _ = open(p, "w").write(PRESETS["loihi2"].to_json().replace("23.6", "NaN"))
    >>> try:
    ...     load_target(p)
    ... except TargetError as e:
    ...     print(str(e).replace(p, "t.json"))
    target file t.json is not valid JSON: NaN is not a number a target may hold
    """
    try:
        with open(path, "rb") as f:
            raw = f.read(_MAX_FILE + 1)
    except OSError as e:
        raise TargetError(f"cannot read target file {path}: {e.strerror}") from None
    if len(raw) > _MAX_FILE:
        raise TargetError(f"target file {path} is larger than {_MAX_FILE} bytes: not a target file")
    try:
        d = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError as e:
        raise TargetError(f"target file {path} is not UTF-8 text (byte {e.start}: {e.reason})") from None
    except json.JSONDecodeError as e:
        raise TargetError(f"target file {path} is not valid JSON: {e}") from None
    except (ValueError, RecursionError) as e:
        raise TargetError(f"target file {path} is not valid JSON: {str(e)[:80]}") from None
    if not isinstance(d, dict):
        raise TargetError(f"target file {path}: expected a JSON object")
    return _check(d, f"target file {path}")


def get_target(name: str) -> Target:
    """A preset (``loihi1``, ``loihi2``) or, for a name ending in ``.json``, a target file."""
    if name in PRESETS:
        return PRESETS[name]
    if name.endswith(".json"):
        return load_target(name)
    raise TargetError(f"unknown target {name!r}; presets: {', '.join(PRESETS)}, or a .json target file")
