"""Energy per operation from counted events.

The model (every term an event count times a target's per-event energy, `Target.energy`):

* synaptic operations x ``synop_pj`` (a synaptic operation is one spike reaching one synapse:
  spikes x fan-out; spikes of the input ports count too);
* neuron updates x ``update_pj``, except updates in which the neuron fires, charged
  ``active_update_pj`` (Loihi updates every compartment every timestep);
* spike messages delivered within the source's tile x ``tile_spike_pj`` (one message per
  destination core, the source's own core included);
* mesh hops x ``hop_pj`` (Manhattan distance between tiles, per message leaving the tile).

Input-port spikes are injected at the cores that read them: their synaptic operations are
charged, their routing is not. (The benchmarks apply the same model to NEXUS's FP32 adder:
`spikefp.anchors.nexus_events`.)

>>> from spikefp.neuro.targets import get_target
>>> e = energy_pj({"synops": 10, "updates": 100, "active_updates": 5, "tile_spikes": 2, "hops": 1},
...               get_target("loihi1").energy)
>>> e["total"]
5587.9
"""

from __future__ import annotations

from .targets import Energy

__all__ = ["energy_pj"]

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
