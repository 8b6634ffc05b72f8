"""Neuromorphic mapping: five units on the Loihi 1 and Loihi 2 presets in both timing modes.

For each mapping: cores, neurons including relays, synapses, inter-core edges, latency in
timesteps, operations per timestep, synaptic operations and spikes per operation (counted by
the time-stepped simulation of the mapped network on random operations, every output checked
against the exact engine), energy per operation, and NEXUS's FP32 adder under the same energy
model (routing not counted for either side of the ratio; see `spikefp.anchors.nexus_comparison`).

    python benchmarks/neuro_map.py [--vectors 10000] [--profile default]
"""

import argparse
import sys
import time

import spikefp
from spikefp.anchors import nexus_comparison
from spikefp.neuro.mapping import map_netlist
from spikefp.neuro.targets import get_target

UNITS = ["fp32.add", "fp32.mul", "fp16.add", "fp8e4m3.mul", "fp64.add"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vectors", type=int, default=10_000)
    ap.add_argument("--profile", default="default")
    args = ap.parse_args(argv)
    head = (f"{'unit':12s} {'target':6s} {'mode':9s} {'cores':>5s} {'neurons':>7s} {'relays':>6s} {'synapses':>8s} "
            f"{'x-core':>6s} {'lat':>4s} {'ops/ts':>7s} {'synops/op':>9s} {'spikes/op':>9s} {'nJ/op':>9s} "
            f"{'NEXUS nJ':>9s} {'ratio':>6s} {'checked':>7s} {'bad':>3s} {'s':>5s}")
    print(f"profile {args.profile}; energy: Davies et al. 2018 (Loihi 1 figures for both presets); "
          f"ratio = NEXUS fp32.add / ours, both without routing")
    print(head)
    print("-" * len(head))
    bad = 0
    for name in UNITS:
        net = spikefp.unit(name, profile=args.profile).netlist
        for target in ("loihi1", "loihi2"):
            for mode in ("settle", "wavefront"):
                t0 = time.perf_counter()
                s = map_netlist(net, get_target(target), mode, vectors=args.vectors, name=name).summary()
                dt = time.perf_counter() - t0
                p, nx = s["per_op"], nexus_comparison(s, get_target(target))
                bad += s["mismatches"]
                print(f"{name:12s} {target:6s} {mode:9s} {s['cores']:5d} {s['neurons']:7,d} {s['relays']:6,d} "
                      f"{s['synapses']:8,d} {s['inter_core_edges']:6,d} {s['latency_timesteps']:4d} "
                      f"{s['ops_per_timestep']:7.4f} {p['synops']:9,.0f} {p['spikes']:9,.0f} {s['energy_nj']:9.2f} "
                      f"{nx['energy_nj']:9.1f} {nx['ratio']:6.1f} {s['vectors']:7,d} {s['mismatches']:3d} {dt:5.1f}",
                      flush=True)
    print(f"\n{'all mappings bit-exact' if bad == 0 else f'{bad} MISMATCHES'}")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
