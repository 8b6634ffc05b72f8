"""Robustness study: spikefp's units, NEXUS's gates and adders, and hardened units, as spiking networks.

Every point runs `spikefp.pysim.robustness.study` (the dynamics engine against the exact engine on the
same random inputs) and prints the measured unit error rate (any wrong output bit), the per-gate error
rate, the rate predicted analytically from each neuron's margins, and predicted/measured. Sweeps:
additive membrane noise sigma, threshold variation delta, leak beta under both timings, multiplicative
synaptic noise; NEXUS's published robustness claims beside what the same definitions give on NEXUS's
gates (built here, `spikefp.nexus_gates`) and on ours; hardening (`spikefp.hdl.harden`) of fp16.add.
Writes docs/robustness.png: unit error rate versus sigma.

    python benchmarks/robustness.py [--trials 100000] [--quick] [--plot docs/robustness.png] [--json FILE]
                                    [--device cpu|cuda]

--quick (2,000 trials, fewer points) took 17 minutes on the shared 2-core machine.
"""

import argparse
import json
import math
import os
import sys
import time

import spikefp
from spikefp import nexus_gates as ng
from spikefp.hdl.harden import bits, harden
from spikefp.pysim.robustness import study

UNITS = ["fp8e4m3.mul", "fp16.add", "fp32.add", "fp32.mul"]
SIGMAS = [0.0, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4]
DELTAS = [0.0, 0.05, 0.1, 0.2, 0.3]
BETAS = [1.0, 0.9, 0.5, 0.1]
MULT = [0.05, 0.1, 0.15, 0.2, 0.3]          # multiplicative: relative sd of each weight
HARDEN = [(1, 1), (3, 1), (5, 1), (1, 3)]          # (scale, replicas) on fp16.add
HARDEN_SIGMAS = [0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6]
DEVICE = {"device": None}                          # --device: where the dynamics engine runs
TARGET = 0.01                                      # "tolerated noise": sigma at 1% unit error rate

# NEXUS's claims (README of Brain2nd/NEXUS and arXiv 2601.21279) and what its test measured (ANCHORS.md).
NEXUS_CLAIMS = [
    ("leak", "100% accuracy at all LIF decay factors beta 0.1..1.0",
     "membrane cleared after every gate call, so leak never acts"),
    ("noise", ">98% gate accuracy under synaptic noise sigma <= 0.2",
     "noise added to the inputs, clamped and re-quantised, compared with the same corrupted inputs"),
    ("delta", ">96% accuracy under threshold variation delta <= 0.10",
     "a Python formula, not the gates (rerun: 100% at every delta <= 0.3)"),
]


def circuits():
    """label -> netlist: the four units, then NEXUS's and spikefp's full adders and 32-bit ripple adders."""
    nets = {u: spikefp.unit(u).netlist for u in UNITS}
    nets["NEXUS full adder (13)"] = ng.full_adder()
    nets["spikefp full adder (2)"] = ng.spikefp_full_adder()
    nets["NEXUS ripple32 (416)"] = ng.ripple_adder(32)
    nets["spikefp ripple32 (64)"] = ng.spikefp_ripple_adder(32)
    return nets


def gate_nets():
    """NEXUS's one- and multi-neuron gates, and spikefp's full adder, for the claims table."""
    return {"NEXUS AND": ng.and_(), "NEXUS OR": ng.or_(), "NEXUS NOT": ng.not_(), "NEXUS XOR (5)": ng.xor(),
            "NEXUS MUX (4)": ng.mux(), "NEXUS full adder (13)": ng.full_adder(),
            "spikefp full adder (2)": ng.spikefp_full_adder()}


def _rate(x) -> str:
    return f"{x:10.3e}" if x else f"{0:10d}"


def _ratio(p) -> str:
    return f"{p.predicted_unit_error_rate / p.unit_error_rate:8.2f}" if p.unit_error_rate else f"{'-':>8s}"


HEAD = (f"{'circuit':28s}{'neurons':>8s}{'run':>7s}{'sigma':>7s}{'delta':>7s}{'beta':>6s}{'trials':>9s}"
        f"{'unit err':>10s}{'gate err':>10s}{'predicted':>10s}{'pred/meas':>9s}")


def _row(label, net, p) -> str:
    # run: neurons simulated (wavefront adds relay neurons to balance every path)
    return (f"{label:28s}{net.stats()['neurons']:8d}{p.neurons:7d}{p.sigma:7.3g}{p.delta:7.3g}{p.beta:6.2g}{p.trials:9d}"
            f"{_rate(p.unit_error_rate)}{_rate(p.gate_error_rate)}{_rate(p.predicted_unit_error_rate)}{_ratio(p)}")


def sweep(title, nets, record, **kw):
    """Run `study` on every circuit with the same settings; print and record the points."""
    print(f"\n== {title} ==\n{HEAD}")
    out = {}
    for label, net in nets.items():
        t0 = time.perf_counter()
        pts = study(net, progress=False, device=DEVICE["device"], **kw)
        out[label] = pts
        for p in pts:
            print(_row(label, net, p))
        record.append({"sweep": title, "circuit": label, "neurons": net.stats()["neurons"],
                       "seconds": round(time.perf_counter() - t0, 2),
                       **{k: kw[k] for k in ("noise", "timing") if k in kw},
                       "points": [dict(p._asdict()) for p in pts]})
        sys.stdout.flush()
    return out


def tolerated(pts, target=TARGET):
    """The sigma at which the unit error rate reaches ``target`` (log-linear between points; None if never).

    Below the Monte Carlo's resolution (no failure in the trials) the point below uses its predicted rate.
    """
    prev = None
    for p in sorted(pts, key=lambda p: p.sigma):
        if p.unit_error_rate >= target:
            low = prev and (prev.unit_error_rate or prev.predicted_unit_error_rate)
            if not low:
                return p.sigma
            lo, hi = math.log(low), math.log(p.unit_error_rate)
            return prev.sigma + (p.sigma - prev.sigma) * (math.log(target) - lo) / (hi - lo)
        prev = p
    return None


def claims(trials, seed, quick, record):
    """NEXUS's three claims, and what the same definitions give when the noise is on the circuit."""
    print("\n== NEXUS's claims beside ours, identical definitions ==")
    print("Definitions (ours, applied to NEXUS's gates built here and to spikefp's): gate accuracy = 1 - gate "
          "error rate (fraction of neuron decisions that differ from the ideal gate applied to the spikes "
          "the neuron actually received, on random inputs); "
          "output accuracy = 1 - unit error rate (any output bit wrong). Noise acts on every neuron's membrane "
          "or synapses each evaluation, never on re-quantised inputs; leak acts on charge carried across "
          "timesteps; delta is a fixed per-neuron relative threshold variation.")
    for key, claim, measured in NEXUS_CLAIMS:
        print(f"  NEXUS {key}: \"{claim}\" -- their test: {measured}")
    nets = gate_nets()
    betas = [1.0, 0.5, 0.1] if quick else [1.0, 0.9, 0.5, 0.1]
    runs = [("leak, settle", dict(betas=betas, timing="settle")),
            ("leak, wavefront", dict(betas=betas, timing="wavefront")),
            ("additive noise", dict(sigmas=[0.1, 0.2])),
            ("multiplicative noise", dict(sigmas=[0.1, 0.2], noise="multiplicative")),
            ("threshold variation", dict(deltas=[0.05, 0.1]))]
    summary = []
    for title, kw in runs:
        res = sweep(f"claims: {title}", nets, record, trials=trials, seed=seed, **kw)
        for label, pts in res.items():
            for p in pts:
                summary.append((title, label, p))
    print(f"\n{'test':22s}{'circuit':26s}{'sigma':>6s}{'delta':>6s}{'beta':>6s}{'gate acc %':>12s}{'output acc %':>14s}")
    for title, label, p in summary:
        print(f"{title:22s}{label:26s}{p.sigma:6.2g}{p.delta:6.2g}{p.beta:6.2g}"
              f"{100 * (1 - p.gate_error_rate):12.4f}{100 * (1 - p.unit_error_rate):14.4f}")


def hardening(trials, seed, sigmas, record):
    """fp16.add hardened by scale and replicas: tolerated sigma per extra neuron and per weight bit."""
    base = spikefp.unit("fp16.add").netlist
    nets = {f"fp16.add scale {k} replicas {r}": harden(base, k, r) for k, r in HARDEN}
    add = sweep("hardening fp16.add: additive noise", nets, record, sigmas=sigmas, trials=trials, seed=seed)
    mul = sweep("hardening fp16.add: multiplicative noise", nets, record, sigmas=[0.05, 0.1, 0.2],
                noise="multiplicative", trials=trials, seed=seed)
    thr = sweep("hardening fp16.add: threshold variation", nets, record, deltas=[0.05, 0.1], trials=trials, seed=seed)
    print(f"\n{'variant':32s}{'neurons':>8s}{'synapses':>9s}{'max|w|':>7s}{'w bits':>7s}{'thr bits':>9s}"
          f"{'Loihi w':>8s}{'sigma@1%':>9s}{'d sigma/neuron':>15s}{'d sigma/w bit':>14s}{'mult@0.1':>10s}{'delta@0.1':>10s}")
    b0, s0 = bits(base), tolerated(add[next(iter(nets))])
    for label, net in nets.items():
        st, bt, sig = net.stats(), bits(net), tolerated(add[label])
        extra_n, extra_b = st["neurons"] - base.stats()["neurons"], bt.weight_bits - b0.weight_bits
        gain = (sig - s0) if sig is not None and s0 is not None else None
        per_n = f"{gain / extra_n:15.2e}" if gain is not None and extra_n else f"{'-':>15s}"
        per_b = f"{gain / extra_b:14.3f}" if gain is not None and extra_b else f"{'-':>14s}"
        m = next(p for p in mul[label] if p.sigma == 0.1)
        d = next(p for p in thr[label] if p.delta == 0.1)
        print(f"{label:32s}{st['neurons']:8d}{st['synapses']:9d}{bt.max_weight:7d}{bt.weight_bits:7d}"
              f"{bt.threshold_bits:9d}{'yes' if bt.fits_loihi_weights else 'no':>8s}"
              f"{sig if sig is not None else float('nan'):9.3f}{per_n}{per_b}{_rate(m.unit_error_rate)}"
              f"{_rate(d.unit_error_rate)}")
    print("sigma@1%: additive sigma at a 1% unit error rate (log-linear between points); d sigma: its gain over "
          "the plain unit per extra neuron and per extra weight bit; mult@0.1, delta@0.1: unit error rate under "
          "multiplicative noise 0.1 and relative threshold variation 0.1. Loihi: signed 8-bit weights (|w| <= "
          "127, spikefp.hdl.chips). scale k multiplies the margin under additive noise by k for log2(k) weight "
          "bits and no neuron; it buys nothing under multiplicative noise or relative threshold variation.")


def agreement(record, lo=0.02, hi=0.9):
    """The acceptance check: predicted within a factor 2 of measured wherever lo <= measured <= hi."""
    # Replicated netlists are left out: the prediction counts single observable flips, and a flip of one
    # copy is outvoted by construction, so their failures (several copies at once) are second order.
    pts = [(r["sweep"], r["circuit"], p) for r in record for p in r["points"]
           if lo <= p["unit_error_rate"] <= hi and "replicas 3" not in r["circuit"]]
    bad = [(s, c, p) for s, c, p in pts
           if not 0.5 <= p["predicted_unit_error_rate"] / p["unit_error_rate"] <= 2]
    print(f"\nprediction vs Monte Carlo: {len(pts) - len(bad)} of {len(pts)} points with a measured unit error "
          f"rate in [{lo:.0%}, {hi:.0%}] agree within a factor of 2 (replicated netlists aside)")
    for s, c, p in bad:
        print(f"  outside: {s} / {c}: sigma {p['sigma']} delta {p['delta']} beta {p['beta']}: measured "
              f"{p['unit_error_rate']:.3e}, predicted {p['predicted_unit_error_rate']:.3e}")


def plot(path, curves, trials):
    """Unit error rate versus sigma, one panel per timing discipline (log y; dotted: predicted)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(curves), figsize=(12, 4.8), sharey=True)
    for ax, (timing, by_circuit) in zip(axes, curves.items()):
        for label, pts in by_circuit.items():
            pts = sorted(pts, key=lambda p: p.sigma)
            meas = [(p.sigma, p.unit_error_rate) for p in pts if p.unit_error_rate > 0]
            pred = [(p.sigma, p.predicted_unit_error_rate) for p in pts if p.predicted_unit_error_rate > 0]
            (line,) = ax.plot(*zip(*meas) if meas else ([], []), "--" if "NEXUS" in label else "-",
                              marker="o", ms=3.5, label=label)
            if pred:
                ax.plot(*zip(*pred), ":", color=line.get_color(), lw=1)
        ax.set_yscale("log")
        ax.set_ylim(0.5 / trials, 1.5)
        ax.set_xlabel("additive membrane noise sigma (weight units; every margin is 1/2)")
        ax.set_title(f"timing {timing!r}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("unit error rate (any output bit wrong)")
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Threshold-gate units run as noisy spiking networks: measured ({trials:,} trials per point), "
                 "dotted: predicted from neuron margins", fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"\nwrote {path}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="2,000 trials and fewer points (a smoke run)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plot", default="docs/robustness.png")
    ap.add_argument("--json", help="write every point to this file")
    ap.add_argument("--device", help="torch device of the dynamics engine (default: its own choice)")
    args = ap.parse_args(argv)
    DEVICE["device"] = args.device
    trials = 2000 if args.quick else args.trials
    sigmas = [0.0, 0.03, 0.05, 0.1, 0.2, 0.4] if args.quick else SIGMAS
    deltas = [0.05, 0.1, 0.3] if args.quick else DELTAS
    betas = [1.0, 0.5, 0.1] if args.quick else BETAS
    t0 = time.perf_counter()
    record: list = []
    nets = circuits()
    print(f"Robustness study: {trials:,} trials per point, seed {args.seed}; "
          "dynamics engine vs the exact engine on the same random inputs")
    curves = {timing: sweep(f"additive membrane noise sigma ({timing}, beta 1)", nets, record, sigmas=sigmas,
                            timing=timing, trials=trials, seed=args.seed) for timing in ("settle", "wavefront")}
    sweep("threshold variation delta (relative, fixed per neuron)", nets, record,
          deltas=deltas, trials=trials, seed=args.seed)
    for timing in ("settle", "wavefront"):
        sweep(f"leak beta, {timing}", nets, record, betas=betas, timing=timing, trials=trials, seed=args.seed)
    sweep("multiplicative synaptic noise sigma", nets, record, sigmas=[0.05, 0.1, 0.2] if args.quick else MULT,
          noise="multiplicative", trials=trials, seed=args.seed)
    claims(trials, args.seed, args.quick, record)
    hardening(trials, args.seed, [0.03, 0.05, 0.1, 0.2, 0.4] if args.quick else HARDEN_SIGMAS, record)
    plot(args.plot, curves, trials)
    agreement(record)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(record, f, indent=1)
    print(f"total {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
