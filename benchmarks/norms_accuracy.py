"""Accuracy and cost of the spiking softmax, layer_norm and rms_norm (spikefp.nn.norms).

For fp32, bf16 and fp16 and each function: ROWS random rows (lengths 16, 32, 48, 64; values up to
±100: uniform in [-100, 100], uniform at a random scale 10^[-3, 2], and 90 + [0, 10] for
cancellation in layer_norm), run with spiking units in the default wider working format; checks
the result equals the float emulation bit for bit (layer_norm with γ and β also in fp64 for the
16-bit formats) and measures |y − ref| in ulps of the format
against the float64 numpy reference (max and mean; ``≤1`` is the acceptance), and the largest
distance in ulps from the reference rounded once to the format. Then the overflow case (inputs
near 100, where a softmax without its maximum overflows) and the cost per row of length 32 for
work = wider and work = the format itself (with that choice's max ULP).

    .venv/bin/python benchmarks/norms_accuracy.py [--rows 1000] [--seed 0]
Exit status 1 if a check fails (a bit mismatch or an error above 1 ulp in the default format).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

import spikefp.nn as snn
from spikefp.nn import norms, norms_emulate as emu
from spikefp.nn.units import bits, dtype as fmt_dtype

FORMATS = ("fp32", "bf16", "fp16")
LENGTHS = (16, 32, 48, 64)


def rows(rng, count: int, n: int) -> np.ndarray:
    kind = np.arange(count) % 3
    x = rng.uniform(-100, 100, (count, n))
    x[kind == 1] = rng.uniform(-1, 1, ((kind == 1).sum(), n)) * 10.0 ** rng.uniform(-3, 2, ((kind == 1).sum(), 1))
    x[kind == 2] = 90 + rng.uniform(0, 10, ((kind == 2).sum(), n))
    return x


reference = emu.float64_reference


def call(module, name: str, x, g=None, b=None, work=None):
    n = x.shape[-1]
    if name == "softmax":
        return module.softmax(x, -1, work=work)
    if name == "layer_norm":
        return module.layer_norm(x, n, g, b, work=work)
    return module.rms_norm(x, n, work=work)


def to_torch(v: np.ndarray, fmt: str) -> torch.Tensor:
    return norms.rounded(torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64)), fmt_dtype(fmt))


def ordered(t: torch.Tensor) -> np.ndarray:
    """Bit patterns as integers in the order of the values (±0 both 0): differences count ulps."""
    v = bits(t).astype(np.int64)
    sign = 1 << (8 * t.element_size() - 1)
    return np.where(v & sign, -(v & (sign - 1)), v)


def measure(name: str, fmt: str, count: int, rng, work=None, affine=False):
    """(max ulps, mean ulps, max distance to the rounded reference, bit mismatches, elements)."""
    errs, dist, mismatches = [], 0, 0
    for n in LENGTHS:
        x = to_torch(rows(rng, count // len(LENGTHS), n), fmt)
        g = b = None
        if affine:
            g, b = to_torch(rng.uniform(0.5, 2, n), fmt), to_torch(rng.uniform(-1, 1, n), fmt)
        y = call(norms, name, x, g, b, work)
        mismatches += int((bits(y) != bits(call(emu, name, x, g, b, work))).sum())
        ref = reference(name, x.double().numpy(), *(None if p is None else p.double().numpy() for p in (g, b)))
        errs.append(emu.ulps(y, ref).ravel())
        dist = max(dist, int(np.abs(ordered(y) - ordered(to_torch(ref, fmt))).max()))
    e = np.concatenate(errs)
    return e.max(), e.mean(), dist, mismatches, e.size


def overflow(fmt: str):
    """Inputs near 100: torch.exp without the maximum overflows in fp16 (e^100 > 65504)."""
    x = torch.tensor([[100.0, 99.5, 98.0, -100.0]], dtype=fmt_dtype(fmt))
    naive = torch.exp(x) / torch.exp(x).sum(-1, keepdim=True)
    return x, naive, norms.softmax(x), reference("softmax", x.double().numpy())


def cost(name: str, fmt: str, work):
    x = to_torch(rows(np.random.default_rng(1), 3, 32), fmt)
    with snn.record(samples=3) as rec:
        call(norms, name, x, work=work)
    return rec.costs()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    t0 = time.time()
    ok = True
    print(f"{a.rows} rows per case, lengths {LENGTHS}, inputs up to ±100; ulps vs the float64 reference")
    print(f"{'function':<18}{'format':<7}{'work':<6}{'max ulp':>9}{'mean ulp':>10}{'max dist':>9}{'bit mism.':>10}{'elements':>10}")
    for fmt in FORMATS:
        cases = [("softmax", False, None), ("layer_norm", False, None), ("layer_norm", True, None), ("rms_norm", False, None)]
        if fmt != "fp32":          # γ·y + β cancelling: y's error in fp32 shows in 16-bit results near 0
            cases.insert(3, ("layer_norm", True, "fp64"))
        for name, affine, work in cases:
            rng = np.random.default_rng(a.seed)
            mx, mean, dist, mis, size = measure(name, fmt, a.rows, rng, work=work, affine=affine)
            ok &= mis == 0 and (mx <= 1 or (affine and work is None))
            label = name + (" (γ,β)" if affine else "")
            print(f"{label:<18}{fmt:<7}{work or norms.WIDER[fmt]:<6}{mx:>9.4f}{mean:>10.4f}{dist:>9}{mis:>10}{size:>10}", flush=True)
    print("\noverflow: softmax of [100, 99.5, 98, -100]")
    for fmt in FORMATS:
        x, naive, y, ref = overflow(fmt)
        good = bool(torch.isfinite(y).all()) and emu.ulps(y, ref).max() <= 1
        ok &= good
        print(f"  {fmt:<5} max-free (NEXUS): {naive.float().tolist()[0]}  spiking: {y.float().tolist()[0]}"
              f"  max ulp {emu.ulps(y, ref).max():.3f}")
    print("\ncost per row of length 32 (neurons laid out per row; spikes, synops, energy per row) and max ulp")
    print(f"{'function':<12}{'format':<7}{'work':<6}{'neurons':>11}{'spikes':>11}{'synops':>12}{'energy µJ':>11}{'max ulp':>10}")
    for fmt in FORMATS:
        for name in ("softmax", "layer_norm", "rms_norm"):
            for work in (norms.WIDER[fmt], fmt):
                c = cost(name, fmt, work)
                mx = measure(name, fmt, min(a.rows, 200), np.random.default_rng(a.seed), work=work)[0]
                ps = c.per_sample()
                print(f"{name:<12}{fmt:<7}{work:<6}{c.neurons:>11,.0f}{ps['spikes']:>11,.0f}{ps['synops']:>12,.0f}"
                      f"{ps['energy_pj'] / 1e6:>11,.1f}{mx:>10.3g}", flush=True)
    print(f"\n{'all checks passed' if ok else 'CHECK FAILED'} ({time.time() - t0:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
