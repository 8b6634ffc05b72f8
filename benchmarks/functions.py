"""Elementary functions: size of each unit, its measured error against MPFR, and NEXUS beside it.

For every function and format: neurons, synapses and depth of the static-RNE unit (default
profile), then the measured accuracy: the largest and the mean error in ULP, the share of
correctly rounded results (result bits equal to MPFR's correctly rounded ones,
`spikefp.verify.elementary`) and the number of inputs whose flags differ. Formats of at most
16 bits run every input; wider ones specials, boundary-weighted and random inputs
(`spikefp.verify.vectors.for_unit`, ``--samples`` beyond the specials). ``--modes all``
(default) measures the five rounding modes through the dynamic-rm unit, one circuit for
every mode; ``--modes rne`` the static-RNE unit alone. NEXUS's figures (shared/ANCHORS.md:
neurons measured, ULP from its published table) sit beside ours where it has them.

Error in ULP of a result y for the input x, with v = f(x) the exact value (MPFR, 2p + 64 bits):
``|y - v| / ulp(v)``, ulp(v) = 2^(max(floor(log2 |v|), emin) - M) the spacing of the format's
numbers in the binade of v (the subnormal spacing below the normal range; v = 0 counts as in
the lowest binade). It is measured where y and the correctly rounded result are finite and
|v| does not exceed the largest finite number; elsewhere (NaN, infinite exact values,
overflow) a result is right (error 0) when its bits equal the correctly rounded ones, else
its error is infinite. A correctly rounded result is within 0.5 ULP in RNE and RMM and
below 1 ULP in the directed modes. The table truncates errors to 5 decimals, so 0.999997
prints as 0.99999; an error within 2^-53 of its bound (a result far above a tiny exact value,
exp(-1000) rounded up to the smallest subnormal; an input on the underflow midpoint) is
1.0 or 0.5 as a float and prints so: the "correct" column is the verdict.

Run time (2 cores shared with other work, load ~7): the 8- and 16-bit formats of all ten
functions in every mode ~13 min the first time (the reference builds its exhaustive 16-bit
tables, cached on disk), 4-11 s per 16-bit row afterwards; fp32 and fp64 ~10-60 s per row.

    python benchmarks/functions.py [--functions exp log2 ...] [--formats fp16 bf16 ...]
        [--modes all|rne] [--samples 20000] [--seed 0] [--jobs J] [--json] [--alternatives]

``--alternatives`` prints, instead of the accuracy, the size of every architecture a function
offers (the choices of its registry parameters that do not change results, e.g. exp's
``table_bits``, log's and rsqrt's ``arch``), as ``divsqrt_alternatives.py`` does for division.

Only the functions registered in generators/registry.py on this branch can run: the
catalog of built and not yet built ones goes to stderr, and asking for one that is not
built is an error.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import NamedTuple

import gmpy2
import numpy as np

import spikefp
from spikefp.anchors import NEXUS_FUNCTIONS
from spikefp.generators.fpformat import FPFormat, get_format
from spikefp.generators.registry import OPERATIONS
from spikefp.hdl.progress import phase
from spikefp.verify import check, elementary, vectors

FUNCTIONS = tuple(elementary.OPS)          # the ten of issue 14, in its order
FORMATS = ("fp8e4m3", "fp8e5m2", "fp16", "bf16", "fp32", "fp64")
EXHAUSTIVE_BITS = 16                       # formats up to this width run every input
CHUNK = 4096                               # (input, mode) pairs per worker task


def _mp(name: str):
    """f(x) at the current context's precision, rounded to nearest, as MPFR computes it."""
    return {"exp": gmpy2.exp, "exp2": gmpy2.exp2, "log": gmpy2.log, "log2": gmpy2.log2,
            "rsqrt": gmpy2.rec_sqrt, "recip": lambda x: 1 / x, "tanh": gmpy2.tanh,
            "sigmoid": lambda x: 1 / (1 + gmpy2.exp(-x)), "silu": lambda x: x / (1 + gmpy2.exp(-x)),
            "gelu": lambda x: x * gmpy2.erfc(-x / gmpy2.sqrt(2)) / 2}[name]


@functools.lru_cache(maxsize=1 << 17)
def value(f: FPFormat, bits: int):
    """The exact value of a bit pattern as an mpfr, or None for a NaN or an infinity."""
    if f.is_nan(bits) or f.is_inf(bits):
        return None
    s, e, frac = f.fields(bits)
    m, q = (frac, f.emin - f.M) if e == 0 else (frac | (1 << f.M), e - f.bias - f.M)
    return gmpy2.mul_2exp(gmpy2.mpfr(-m if s else m, 64), q)


def ulp_error(f: FPFormat, v, y: int, ref: int) -> float:
    """The error of the result bits ``y`` in ULP of the exact value ``v`` (see the module docstring)."""
    top = value(f, f.max_finite)
    yv, rv = value(f, y), value(f, ref)
    if v is None or not gmpy2.is_finite(v) or abs(v) > top or yv is None or rv is None:
        return 0.0 if y == ref else math.inf
    binade = f.emin if v == 0 else max(gmpy2.get_exp(v) - 1, f.emin)
    return float(gmpy2.mul_2exp(abs(yv - v), f.M - binade))


def _errors_chunk(task) -> list[float]:
    """ULP errors of one chunk of results ``got`` (correctly rounded: ``ref``) for the inputs ``a``."""
    name, fmt, a, got, ref = task
    f = get_format(fmt)
    err = []
    with gmpy2.context(precision=2 * f.precision + 64, emin=-(1 << 30) + 1, emax=(1 << 30) - 1):
        exact = {}
        for x, y, r in zip(a.tolist(), got.tolist(), ref.tolist()):
            if x not in exact:                      # an input's five modes share its exact value
                xv = value(f, x)
                exact[x] = None if xv is None else _mp(name)(xv)
            err.append(ulp_error(f, exact[x], y, r))
    return err


class Row(NamedTuple):
    """One function in one format: the unit's size and its measured accuracy."""
    unit: str
    neurons: int
    synapses: int
    depth: int
    modes: str                 # "all" (dynamic unit, five modes) or "rne"
    inputs: int                # per mode
    exhaustive: bool
    max_ulp: float
    max_ulp_rne: float         # over round-to-nearest-even results alone
    mean_ulp: float
    correct: float             # share of correctly rounded results (result bits)
    flag_errors: int           # inputs x modes whose flags differ from the reference
    seconds: float
    nexus_neurons: int | None
    nexus_max_ulp: float | None
    nexus_mean_ulp: float | None


def inputs_for(u, samples: int, seed: int) -> tuple[np.ndarray, bool]:
    """Every input of a format of at most 16 bits, else specials, boundary and random ones."""
    if u.fmt.width <= EXHAUSTIVE_BITS:
        return np.arange(1 << u.fmt.width, dtype=np.uint64), True
    return vectors.for_unit(u, samples, seed)["a"], False


def measure(name: str, fmt: str, modes: str, samples: int, seed: int, jobs: int, pool) -> Row:
    t = time.perf_counter()
    static = spikefp.unit(f"{fmt}.{name}")
    s = static.stats()
    a, full = inputs_for(static, samples, seed)
    if modes == "all":
        u = spikefp.unit(f"{fmt}.{name}", dynamic=True)
        a_all = np.repeat(a, 5)                     # each input's five modes side by side (one MPFR value)
        codes = np.tile(np.arange(5, dtype=np.uint64), len(a))
        got = u.sim.run(a=a_all, rm=codes)
    else:
        u, a_all, codes = static, a, np.zeros(len(a), np.uint64)
        got = u.sim.run(a=a)
    # MPFR's correctly rounded results: the 16-bit tables, else the scalar reference on `jobs` processes
    ref_y, ref_f = check.expected(u, {"a": a_all}, codes if u.dynamic else None, jobs)
    gy = got["y"].astype(np.uint64)
    tasks = [(name, fmt, a_all[i:i + CHUNK], gy[i:i + CHUNK], ref_y[i:i + CHUNK]) for i in range(0, len(a_all), CHUNK)]
    err = []
    with phase(f"{fmt}.{name} ulp", total=len(a_all), unit="in") as bar:
        for e in (pool.map(_errors_chunk, tasks) if pool else map(_errors_chunk, tasks)):
            err += e
            bar.update(len(e))
    err = np.array(err)
    finite = err[np.isfinite(err)]
    nx = NEXUS_FUNCTIONS.get(f"{fmt}.{name}")
    return Row(f"{fmt}.{name}", s["neurons"], s["synapses"], s["depth"], modes, len(a), full,
               float(err.max()), float(err[codes == 0].max()), float(finite.mean()) if len(finite) else math.nan,
               float(np.mean(got["y"] == ref_y)), int(np.sum(got["flags"] != ref_f)),
               round(time.perf_counter() - t, 2), *(nx if nx else (None, None, None)))


HEAD = (f"{'unit':13s} {'neurons':>9s} {'synapses':>9s} {'depth':>5s} | {'modes':>5s} {'inputs':>9s} "
        f"{'max ulp':>8s} {'rne max':>8s} {'mean ulp':>8s} {'correct':>8s} {'flags':>5s} | {'NEXUS n':>9s} {'max':>4s} {'mean':>5s}")


def _ulp(x: float) -> str:
    # truncated, not rounded: a directed-mode error of 0.9999997 must not print as 1.00000
    return f"{math.floor(x * 1e5) / 1e5:8.5f}" if math.isfinite(x) else f"{x:8f}"


def _opt(v, fmt: str, width: int) -> str:
    return f"{v:{width}{fmt}}" if v is not None else f"{'-':>{width}s}"


def line(r: Row) -> str:
    inputs = f"{'all ' if r.exhaustive else ''}{r.inputs:,}"
    return (f"{r.unit:13s} {r.neurons:9,d} {r.synapses:9,d} {r.depth:5d} | {r.modes:>5s} {inputs:>9s} "
            f"{_ulp(r.max_ulp)} {_ulp(r.max_ulp_rne)} {_ulp(r.mean_ulp)} {r.correct:8.2%} {r.flag_errors:5d} | "
            f"{_opt(r.nexus_neurons, ',d', 9)} {_opt(r.nexus_max_ulp, 'g', 4)} {_opt(r.nexus_mean_ulp, '.2f', 5)}")


def as_json(r: Row) -> dict:
    """The row as plain JSON data (an infinite error as the string "inf", no mean as null)."""
    return {k: ("inf" if v == math.inf else None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in r._asdict().items()}


def alternatives(names, formats, as_lines: bool) -> int:
    """Neurons / synapses / depth of every architecture choice, static RNE, default profile."""
    if not as_lines:
        print(f"{'unit':<16}{'parameter':<26}{'neurons':>9}{'synapses':>11}{'depth':>7}")
    for name in names:
        arch = [p for p in OPERATIONS[name].params if not p.result and len(p.choices) > 1]
        for fmt in formats:
            for p in arch:
                for choice in p.choices:
                    with phase(f"{fmt}.{name} {p.name}={choice}"):
                        s = spikefp.unit(f"{fmt}.{name}", **{p.name: choice}).stats()
                    tag = f"{p.name}={choice}" + (" (default)" if choice == p.default else "")
                    if as_lines:
                        print(json.dumps({"unit": f"{fmt}.{name}", "param": p.name, "value": choice, **s}), flush=True)
                    else:
                        print(f"{fmt + '.' + name:<16}{tag:<26}{s['neurons']:>9,}{s['synapses']:>11,}{s['depth']:>7}",
                              flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--functions", nargs="+", help="default: every one built on this branch")
    ap.add_argument("--formats", nargs="+", default=list(FORMATS))
    ap.add_argument("--modes", choices=("all", "rne"), default="all")
    ap.add_argument("--samples", type=int, default=20000, help="inputs beyond the specials for formats > 16 bits")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for MPFR")
    ap.add_argument("--json", action="store_true", help="one JSON object per line instead of the table")
    ap.add_argument("--alternatives", action="store_true",
                    help="the size of every architecture (parameters that do not change results) instead")
    args = ap.parse_args(argv)
    built = [n for n in FUNCTIONS if n in OPERATIONS]
    missing = [n for n in FUNCTIONS if n not in OPERATIONS]
    print(f"functions built on this branch: {' '.join(built) or 'none'}; not built: {' '.join(missing) or 'none'}",
          file=sys.stderr)
    for n in args.functions or ():
        if n not in FUNCTIONS:
            ap.error(f"unknown function {n!r}; the elementary functions: {' '.join(FUNCTIONS)}")
        if n not in OPERATIONS:
            ap.error(f"{n} has no generator on this branch (generators/registry.py); built: {' '.join(built) or 'none'}")
    try:
        for fmt in args.formats:
            get_format(fmt)
    except ValueError as e:
        ap.error(str(e))
    names = args.functions or built
    if not names:
        ap.error("no elementary function is built on this branch")
    if args.alternatives:
        return alternatives(names, args.formats, args.json)
    if not args.json:
        print(HEAD)
        print("-" * len(HEAD), flush=True)
    pool = ProcessPoolExecutor(args.jobs) if args.jobs > 1 else None
    try:
        for name in names:
            for fmt in args.formats:
                r = measure(name, fmt, args.modes, args.samples, args.seed, args.jobs, pool)
                print(json.dumps(as_json(r)) if args.json else line(r), flush=True)
                print(f"{r.unit}: {r.seconds:.1f} s", file=sys.stderr)
    finally:
        if pool:
            pool.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
