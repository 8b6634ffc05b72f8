"""Energy per operation from counted events, and the same model applied to NEXUS's FP32 adder.

The model (every term an event count times a target's per-event energy, `Target.energy`):

* synaptic operations x ``synop_pj`` (a synaptic operation is one spike reaching one synapse:
  spikes x fan-out; spikes of the input ports count too);
* neuron updates x ``update_pj``, except updates in which the neuron fires, charged
  ``active_update_pj`` (Loihi updates every compartment every timestep);
* spike messages delivered within the source's tile x ``tile_spike_pj`` (one message per
  destination core, the source's own core included);
* mesh hops x ``hop_pj`` (Manhattan distance between tiles, per message leaving the tile).

Input-port spikes are injected at the cores that read them: their synaptic operations are
charged, their routing is not.

>>> from spikefp.neuro.targets import get_target
>>> e = energy_pj({"synops": 10, "updates": 100, "active_updates": 5, "tile_spikes": 2, "hops": 1},
...               get_target("loihi1").energy)
>>> e["total"]
5587.9
"""

from __future__ import annotations

from .targets import Energy

__all__ = ["energy_pj", "NEXUS_FP32_ADD", "nexus_events"]

# NEXUS (github Brain2nd/NEXUS, arXiv 2601.21279), FP32 adder, measured by this project by
# counting every neuron evaluation of one forward pass (ANCHORS.md): neurons, estimated
# synapses, depth in neuron layers, and mean spikes per operation.
NEXUS_FP32_ADD = {"neurons": 5734, "synapses": 9904, "depth": 332, "spikes": 2252,
                  "source": "ANCHORS.md: NEXUS FP32 add, measured (5,734 neurons, 9,904 synapses, "
                            "depth 332, 2,252 mean spikes per operation)"}


def energy_pj(events: dict, e: Energy) -> dict:
    """Breakdown in pJ of one operation's ``events`` (synops, updates, active_updates,
    tile_spikes, hops), with its ``total``."""
    out = {
        "synops": events["synops"] * e.synop_pj,
        "updates": (events["updates"] - events["active_updates"]) * e.update_pj
                   + events["active_updates"] * e.active_update_pj,
        "tile_spikes": events["tile_spikes"] * e.tile_spike_pj,
        "hops": events["hops"] * e.hop_pj,
    }
    out["total"] = round(sum(out.values()), 6)
    return out


def nexus_events(mode: str) -> tuple[dict, str]:
    """The events of one NEXUS FP32 addition under ``mode``, and the assumptions made.

    NEXUS ships no mapping, so routing is not counted (0 tile spikes, 0 hops) and no relays
    are added for balancing (both favour NEXUS). Synaptic operations are spikes x mean fan-out
    (synapses / neurons). ``settle``: every neuron is updated every timestep for ``depth``
    timesteps; its 2,252 spikes are counted once, a lower bound (with inputs held a settled
    neuron fires again every timestep). ``wavefront``: each neuron updated once per operation.

    >>> ev, _ = nexus_events("settle")
    >>> ev["updates"], ev["active_updates"], round(ev["synops"], 1)
    (1903688, 2252, 3889.7)
    """
    n = NEXUS_FP32_ADD
    spikes = n["spikes"]
    steps = n["depth"] if mode == "settle" else 1
    ev = {"spikes": spikes, "synops": spikes * n["synapses"] / n["neurons"],
          "updates": n["neurons"] * steps, "active_updates": spikes, "tile_spikes": 0, "hops": 0}
    why = (f"NEXUS FP32 add: {n['neurons']:,} neurons, {spikes:,} spikes/op, depth {n['depth']}, "
           f"{n['synapses']:,} synapses (mean fan-out {n['synapses'] / n['neurons']:.3f}); "
           + ("every neuron updated every timestep for depth timesteps, spikes counted once (a lower bound)"
              if mode == "settle" else "every neuron updated once per operation, no balancing relays")
           + "; routing not counted")
    return ev, why
