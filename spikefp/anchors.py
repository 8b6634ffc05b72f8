"""Anchor figures: what NEXUS's units measure (shared/ANCHORS.md), the one copy in the project.

NEXUS (github Brain2nd/NEXUS, arXiv 2601.21279) builds IEEE-754 units from Integrate-and-Fire
gates too; this project measured its circuits by counting every neuron evaluation of one
forward pass. The demo and the benchmarks read these figures from here and compare; the
library itself (`spikefp.neuro` mappings, unit counts) reports only on the units it builds.

>>> NEXUS["fp32.add"]
Anchor(neurons=5734, synapses=9904, depth=332)
>>> ev, _ = nexus_events("settle")
>>> ev["updates"], ev["active_updates"], round(ev["synops"], 1)
(1903688, 2252, 3889.7)
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Anchor", "FunctionAnchor", "NEXUS", "NEXUS_FUNCTIONS", "NEXUS_FP32_ADD_SPIKES",
           "NEXUS_FP32_ADD_OPS_PER_S", "nexus_events", "nexus_comparison", "nexus_report"]


class Anchor(NamedTuple):
    neurons: int
    synapses: int        # estimated
    depth: int           # neuron layers


# ANCHORS.md, measured: unit -> neurons, estimated synapses, depth.
NEXUS = {
    "fp32.add": Anchor(5734, 9904, 332), "fp32.mul": Anchor(21416, 36726, 382),
    "fp16.add": Anchor(2726, 4691, 198), "fp8e4m3.add": Anchor(1628, 2799, 106),
    "fp8e4m3.mul": Anchor(1167, 2015, 84), "fp64.add": Anchor(10959, 18931, 600),
    "fp64.mul": Anchor(87023, 148686, 1031), "fp32.div": Anchor(25987, 43481, 2797),
    "fp32.sqrt": Anchor(23582, 39352, 2715),
}


class FunctionAnchor(NamedTuple):
    neurons: int | None   # measured (None: not measured)
    max_ulp: float | None  # NEXUS's published ULP table (its "1,024 inputs" fit 16 or 32 samples)
    mean_ulp: float | None


# ANCHORS.md: NEXUS's elementary functions (its GELU is x*sigmoid(1.702x), not the erf GELU).
NEXUS_FUNCTIONS = {
    "fp32.exp": FunctionAnchor(256463, None, None), "fp32.gelu": FunctionAnchor(1555625, None, None),
    "fp32.silu": FunctionAnchor(None, 11, 2.10),
}
NEXUS_FP32_ADD_SPIKES = 2252         # mean spikes per FP32 addition, measured (ANCHORS.md)
NEXUS_FP32_ADD_OPS_PER_S = 93_000    # batch 100,000, torch CPU, 2 cores, this machine kind (ANCHORS.md)


def nexus_events(mode: str) -> tuple[dict, str]:
    """The events of one NEXUS FP32 addition under a mapping's timing ``mode``, and the assumptions made.

    NEXUS ships no mapping, so routing is not counted (0 tile spikes, 0 hops) and no relays
    are added for balancing (both favour NEXUS). Synaptic operations are spikes x mean fan-out
    (synapses / neurons). ``settle``: every neuron is updated every timestep for ``depth``
    timesteps; its 2,252 spikes are counted once, a lower bound (with inputs held a settled
    neuron fires again every timestep). ``wavefront``: each neuron updated once per operation.
    """
    n = NEXUS["fp32.add"]
    spikes = NEXUS_FP32_ADD_SPIKES
    steps = n.depth if mode == "settle" else 1
    ev = {"spikes": spikes, "synops": spikes * n.synapses / n.neurons,
          "updates": n.neurons * steps, "active_updates": spikes, "tile_spikes": 0, "hops": 0}
    why = (f"NEXUS FP32 add: {n.neurons:,} neurons, {spikes:,} spikes/op, depth {n.depth}, "
           f"{n.synapses:,} synapses (mean fan-out {n.synapses / n.neurons:.3f}); "
           + ("every neuron updated every timestep for depth timesteps, spikes counted once (a lower bound)"
              if mode == "settle" else "every neuron updated once per operation, no balancing relays")
           + "; routing not counted")
    return ev, why


def nexus_comparison(summary: dict, target) -> dict:
    """NEXUS's FP32 adder under the energy model of a mapping (``Mapping.summary()``) on ``target``.

    Both sides without routing: NEXUS has no mapping, so its routing cannot be counted.
    """
    from .neuro.energy import energy_pj
    ev, why = nexus_events(summary["mode"])
    nx = energy_pj(ev, target.energy)
    ours = summary["energy_pj"]["synops"] + summary["energy_pj"]["updates"]
    return {
        "energy_nj": round(nx["total"] / 1000, 4),
        "energy_pj": {k: round(v, 3) for k, v in nx.items()},
        "assumptions": why,
        "ours_without_routing_nj": round(ours / 1000, 4),
        "ratio": round(nx["total"] / ours, 2) if ours else None,
    }


def nexus_report(summary: dict, comparison: dict) -> str:
    """Two report lines: the comparison and its assumptions."""
    return (f"NEXUS fp32.add, same model ({summary['mode']}): {comparison['energy_nj']:.3f} nJ/op vs "
            f"{summary['unit']} {comparison['ours_without_routing_nj']:.3f} nJ/op without routing: "
            f"ratio {comparison['ratio']}x\n  ({comparison['assumptions']})")
