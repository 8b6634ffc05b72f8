"""Train a 64-32-10 MLP on scikit-learn's digits with a spiking forward, checked bit for bit every step.

    python examples/train_digits.py [--epochs 10] [--batch-size 32] [--lr 0.01] [--seed 0]
                                    [--activation relu|gelu] [--limit N] [--json] [--quiet]

Two networks start from the same weights and see the same batches in the same order:

* the spiking network: `spikefp.nn.Linear` layers (fp32, sequential accumulation) and the spiking
  activation; every multiply and add of its forward runs a threshold-gate unit, bit-exactly;
* the float model: plain torch float32 operations in the same order (the products, then
  acc = acc + pᵢ in index order from +0, then the bias; the activation's float emulation).

Both back-propagate the float gradient of ``F.linear`` (straight-through, `spikefp.nn.ste`) and step
the same Adam optimizer, so while their forwards agree bit for bit their weights do too. Every
training step compares the two networks' logits bit for bit; at the end both are scored on the
held-out test split (the spiking network with its spiking forward) and the cost of the spiking
forward of the test split is reported per sample (`spikefp.nn.costs`).

Exit status: 0 when every step was bit-exact and the trained weights, the test logits and the
accuracies are equal, 1 when a check failed, 2 for bad arguments (one line), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

import spikefp.nn as snn

FMT = "fp32"


# -- the two networks ---------------------------------------------------------------------------

def _float_linear(x, w, b):
    """The spiking Linear's operations in plain float32: every product, then acc = acc + pᵢ in
    index order from +0, then the bias (torch's float32 + and × round like the units, rne)."""
    p = x[:, None, :] * w
    acc = torch.zeros(p.shape[:-1])
    for i in range(p.shape[-1]):
        acc = acc + p[..., i]
    return acc + b


def _float_relu(x):
    return torch.where(x > 0, x, torch.zeros(()))      # +0 for -0, as the spiking max(x, +0)


class FloatLinear(torch.nn.Module):
    """The float model's layer: `_float_linear` forward, F.linear's gradient (as spikefp.nn.Linear)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.empty(n_out, n_in))
        self.bias = torch.nn.Parameter(torch.empty(n_out))

    def forward(self, x):
        return snn.ste(_float_linear, F.linear, x, self.weight, self.bias)


class FloatActivation(torch.nn.Module):
    """relu (`_float_relu`) or gelu (`spikefp.nn.emulate.gelu`, correctly rounded as the unit),
    with the gradient of the spiking activation's surrogate."""

    def __init__(self, name):
        super().__init__()
        self.fns = (_float_relu, torch.relu) if name == "relu" else (snn.emulate.gelu, F.gelu)

    def forward(self, x):
        return snn.ste(*self.fns, x)


def networks(activation: str, seed: int, sizes=(64, 32, 10)):
    """(spiking, float) MLPs Linear-activation-Linear with the same initial weights."""
    torch.manual_seed(seed)
    spiking = torch.nn.Sequential(snn.Linear(sizes[0], sizes[1], fmt=FMT, accumulate="sequential"),
                                  snn.ReLU() if activation == "relu" else snn.GELU(),
                                  snn.Linear(sizes[1], sizes[2], fmt=FMT, accumulate="sequential"))
    emulated = torch.nn.Sequential(FloatLinear(sizes[0], sizes[1]), FloatActivation(activation),
                                   FloatLinear(sizes[1], sizes[2]))
    emulated.load_state_dict(spiking.state_dict())
    return spiking, emulated


# -- data ------------------------------------------------------------------------------------------

def digits(seed: int):
    """Standardized float32 (x_train, y_train, x_test, y_test): a stratified 80/20 split by ``seed``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    mean, std = xtr.mean(0), xtr.std(0)
    std[std == 0] = 1.0                      # pixels that are 0 in every training image
    t = lambda a: torch.from_numpy(((a - mean) / std).astype(np.float32))
    return t(xtr), torch.from_numpy(ytr), t(xte), torch.from_numpy(yte)


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.equal(a.view(torch.int32), b.view(torch.int32)))


# -- training --------------------------------------------------------------------------------------

def train(args, progress: bool = False) -> dict:
    """Train both networks (a progress bar on stderr if ``progress``); the figures of the JSON report."""
    start = time.perf_counter()
    xtr, ytr, xte, yte = digits(args.seed)
    if args.limit:
        xtr, ytr = xtr[:args.limit], ytr[:args.limit]
    spiking, emulated = networks(args.activation, args.seed)
    opts = [torch.optim.Adam(m.parameters(), lr=args.lr) for m in (spiking, emulated)]
    order = torch.Generator().manual_seed(args.seed)
    steps = exact = 0
    first_mismatch = None
    loss = float("nan")
    bar = tqdm(total=args.epochs * -(-len(xtr) // args.batch_size), desc="training", unit="step",
               file=sys.stderr, leave=False, disable=not progress)
    for _ in range(args.epochs):
        perm = torch.randperm(len(xtr), generator=order)
        for k in range(0, len(xtr), args.batch_size):
            idx = perm[k:k + args.batch_size]
            x, y = xtr[idx], ytr[idx]
            logits = [m(x) for m in (spiking, emulated)]
            ok = same_bits(*logits)
            exact += ok
            if not ok and first_mismatch is None:
                first_mismatch = steps
            losses = [F.cross_entropy(z, y) for z in logits]
            for opt, l in zip(opts, losses):
                opt.zero_grad()
                l.backward()
                opt.step()
            loss = losses[0].item()
            steps += 1
            bar.update(1)
    bar.close()
    with torch.no_grad():
        with snn.record(samples=len(xte)) as rec:
            zs = spiking(xte)
        zf = emulated(xte)
    costs = rec.costs()
    per = costs.per_sample()
    return {
        "steps": steps, "bit_exact_steps": exact, "first_mismatch_step": first_mismatch,
        "test_bit_exact": same_bits(zs, zf),
        "weights_bit_exact": all(same_bits(a, b) for a, b in zip(spiking.parameters(), emulated.parameters())),
        "spiking_accuracy": (zs.argmax(1) == yte).double().mean().item(),
        "float_accuracy": (zf.argmax(1) == yte).double().mean().item(),
        "final_loss": loss,
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed,
        "activation": args.activation, "format": FMT, "accumulate": "sequential",
        "train_samples": len(xtr), "test_samples": len(xte),
        "seconds": round(time.perf_counter() - start, 2),
        "forward_costs": {"samples": costs.samples, "neurons": costs.neurons,
                          "distinct_neurons": costs.distinct_neurons, "evaluations": per["evaluations"],
                          "spikes": per["spikes"], "synops": per["synops"], "energy_pj": per["energy_pj"],
                          "units": {k: v / costs.samples for k, v in sorted(costs.units.items())}},
    }


def passed(r: dict) -> bool:
    return (r["steps"] == r["bit_exact_steps"] and r["test_bit_exact"] and r["weights_bit_exact"]
            and r["spiking_accuracy"] == r["float_accuracy"])


def report(r: dict) -> str:
    c = r["forward_costs"]
    return "\n".join([
        f"digits, 64-32-10 MLP, {r['format']} {r['accumulate']} spiking Linear + spiking {r['activation']}: "
        f"{r['train_samples']} train / {r['test_samples']} test samples, {r['epochs']} epochs, "
        f"{r['steps']} steps, {r['seconds']:.1f} s",
        f"bit-exact steps (spiking logits == float model's, every bit): {r['bit_exact_steps']} / {r['steps']}"
        + ("" if r["first_mismatch_step"] is None else f" (first mismatch at step {r['first_mismatch_step']})"),
        f"test accuracy: spiking {100 * r['spiking_accuracy']:.2f} %, float {100 * r['float_accuracy']:.2f} %"
        f" (test logits {'bit-exact' if r['test_bit_exact'] else 'DIFFER'}, trained weights "
        f"{'bit-exact' if r['weights_bit_exact'] else 'DIFFER'})",
        f"spiking forward per sample: {c['evaluations']:,.0f} unit evaluations, {c['neurons']:,.0f} neurons "
        f"laid out ({c['distinct_neurons']:,} distinct), {c['spikes']:,.0f} spikes, {c['synops']:,.0f} synops, "
        f"{c['energy_pj'] / 1e6:.2f} µJ (Loihi 2 model)",
        "PASS" if passed(r) else "FAIL",
    ])


# -- command line ----------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (exit status 2)."""

    def error(self, message):
        self.exit(2, f"train_digits.py: error: {message} (see --help)\n")


def _positive(kind):
    def parse(s):
        try:
            v = kind(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {s!r}") from None
        if not v > 0:
            raise argparse.ArgumentTypeError(f"must be > 0 (got {s})")
        return v
    return parse


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="train_digits.py", description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=_positive(int), default=10)
    p.add_argument("--batch-size", type=_positive(int), default=32)
    p.add_argument("--lr", type=_positive(float), default=0.01, help="Adam's learning rate")
    p.add_argument("--seed", type=int, default=0, help="initial weights, data split and order")
    p.add_argument("--activation", choices=("relu", "gelu"), default="relu")
    p.add_argument("--limit", type=_positive(int), help="train on the first N training samples only")
    p.add_argument("--json", action="store_true", help="print one JSON line")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")
    return p


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as e:                 # --help, or a usage error already printed
        return e.code
    # One torch thread: the layers are tiny, and torch's pool waiting beside the spiking kernels'
    # threads made every step ~5x slower (measured on 2 cores).
    torch.set_num_threads(1)
    try:
        r = train(args, progress=not args.quiet and sys.stderr.isatty())
        print(json.dumps(r) if args.json else report(r), flush=True)
        return 0 if passed(r) else 1
    except KeyboardInterrupt:
        print("train_digits.py: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stdout = None
        return 141


if __name__ == "__main__":
    sys.exit(main())
