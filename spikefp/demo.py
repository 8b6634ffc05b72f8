"""The demo: build gates, integer blocks and FP units, simulate them, check them, print counts.

>>> rows = check_block("add", 8, "loihi", {}, vectors=256)
>>> rows["mismatches"]
0
"""

from __future__ import annotations

import time

import numpy as np

from . import pysim
from .generators import BLOCKS
from .hdl import Builder, gates

__all__ = ["GATES", "gate_netlist", "check_block", "random_vectors", "demo_rows", "fp_demo_rows",
           "format_table", "main"]

# name -> (number of 1-bit inputs, builder function, truth function on a tuple of bits)
GATES = {
    "NOT": (1, lambda b, x: gates.not_(b, x[0]), lambda x: 1 - x[0]),
    "AND4": (4, lambda b, x: gates.and_(b, x), lambda x: int(all(x))),
    "OR4": (4, lambda b, x: gates.or_(b, x), lambda x: int(any(x))),
    "NAND4": (4, lambda b, x: gates.nand(b, x), lambda x: 1 - int(all(x))),
    "NOR4": (4, lambda b, x: gates.nor(b, x), lambda x: 1 - int(any(x))),
    "MAJ5": (5, lambda b, x: gates.majority(b, x), lambda x: int(sum(x) >= 3)),
    "2-of-6": (6, lambda b, x: gates.at_least(b, 2, x), lambda x: int(sum(x) >= 2)),
    "XOR": (2, lambda b, x: gates.xor(b, *x), lambda x: x[0] ^ x[1]),
    "XNOR": (2, lambda b, x: gates.xnor(b, *x), lambda x: 1 - (x[0] ^ x[1])),
    "MUX": (3, lambda b, x: gates.mux(b, *x), lambda x: x[2] if x[0] else x[1]),
    "half adder": (2, lambda b, x: list(gates.half_adder(b, *x)), lambda x: (x[0] ^ x[1], x[0] & x[1])),
    "full adder": (3, lambda b, x: list(gates.full_adder(b, *x)),
                   lambda x: (x[0] ^ x[1] ^ x[2], int(sum(x) >= 2))),
}


def gate_netlist(name: str, profile="default"):
    """Netlist of one library gate: input ``x`` (its bits are the gate inputs), output ``y``."""
    n_in, make, _ = GATES[name]
    b = Builder(profile, name=name)
    x = b.input("x", n_in)
    y = make(b, x)
    b.output("y", y if isinstance(y, list) else [y])
    return b.build()


def gate_truth(name: str, v: int) -> int:
    """Expected ``y`` of a gate for input word ``v`` (bit i = input i)."""
    n_in, _, f = GATES[name]
    r = f(tuple((v >> i) & 1 for i in range(n_in)))
    return sum(bit << i for i, bit in enumerate(r)) if isinstance(r, tuple) else r


def random_vectors(widths: dict[str, int], n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Uniform random port values with the corner values (0, max, 1, top bit) mixed in."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, w in widths.items():
        v = rng.integers(0, 1 << 63, n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, n, dtype=np.uint64)
        if w < 64:
            v &= np.uint64((1 << w) - 1)
        corners = np.array([0, (1 << w) - 1, 1, 1 << (w - 1)], np.uint64)
        v[:min(n, 4)] = corners[:min(n, 4)]
        rng.shuffle(corners)
        v[4:min(n, 8)] = corners[:max(0, min(n, 8) - 4)]
        out[name] = v
    return out


def mismatches(spec, width: int, vectors: dict[str, np.ndarray], got: dict[str, np.ndarray]) -> list:
    """Vectors where the engine's outputs differ from ``spec`` (Python integers)."""
    bad = []
    n = len(next(iter(vectors.values())))
    for i in range(n):
        args = {k: int(v[i]) for k, v in vectors.items()}
        want = spec(width, **args)
        have = {k: int(got[k][i]) for k in want}
        if have != want:
            bad.append((args, want, have))
    return bad


def check_block(name: str, width: int, profile: str, params: dict, vectors: int = 10_000, seed: int = 0):
    """Build a block, run it on random vectors through the exact engine, compare with its spec."""
    blk = BLOCKS[name]
    t0 = time.perf_counter()
    net = blk.build(width, profile, **params)
    net.validate(profile)
    vec = random_vectors(blk.inputs(width), vectors, seed)
    got = pysim.compile(net).run(**vec)
    bad = mismatches(blk.spec, width, vec, got)
    return {"block": name, "width": width, "profile": profile,
            "params": ",".join(f"{k}={v}" for k, v in params.items()), **net.stats(),
            "vectors": vectors, "mismatches": len(bad), "seconds": time.perf_counter() - t0}


DEMO_BLOCKS = [
    ("add", 24, {"arch": "ripple"}), ("add", 24, {"arch": "lookahead"}), ("sub", 24, {}),
    ("ge", 24, {}), ("eq", 24, {}), ("inc", 24, {}), ("neg", 24, {}),
    ("shr", 24, {"radix": 4}), ("shr", 24, {"radix": 2}), ("shl", 24, {}), ("lzc", 24, {}),
    ("mul", 24, {"counter": "serial"}), ("mul", 24, {"counter": "parallel"}),
    ("add", 53, {}), ("add", 64, {}), ("mul", 53, {}),
]


# NEXUS measured neurons / depth (ANCHORS.md)
NEXUS_COUNTS = {"fp32.add": (5734, 332), "fp32.mul": (21416, 382), "fp16.add": (2726, 198),
                "fp8e4m3.add": (1628, 106), "fp8e4m3.mul": (1167, 84), "fp64.add": (10959, 600),
                "fp64.mul": (87023, 1031), "fp32.div": (25987, 2797), "fp32.sqrt": (23582, 2715)}


def fp_demo_rows(n: int = 20_000):
    from .generators.units import unit
    from .verify import check, vectors
    rows = []
    for name in ("fp8e4m3.mul", "fp16.add", "bf16.fma", "fp32.add", "fp32.mul", "fp32.div", "fp32.sqrt", "fp64.add"):
        for dynamic in (False, True):
            u = unit(name, dynamic=dynamic)
            r = check.check(u, vectors.for_unit(u, n, seed=1))
            s = u.stats()
            nx = NEXUS_COUNTS.get(name)
            rows.append({"unit": name, "mode": "dynamic" if dynamic else "rne", "profile": "default", **s,
                         "NEXUS": f"{nx[0]:,} / {nx[1]}" if nx else "-", "vectors": r.vectors,
                         "mismatches": r.mismatches, "check": "ok" if not r.mismatches else f"{r.mismatches} WRONG"})
    return rows


def demo_rows(profiles=("default", "loihi"), vectors: int = 10_000):
    rows = []
    for profile in profiles:
        for name, width, params in DEMO_BLOCKS:
            rows.append(check_block(name, width, profile, params, vectors))
    return rows


def format_table(rows, columns) -> str:
    head = [c for c, _ in columns]
    body = [[fmt.format(r[c]) if fmt else str(r[c]) for c, fmt in columns] for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    line = lambda cells: "  ".join(c.rjust(w) if i > 2 else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(b) for b in body])


def main(vectors: int = 10_000) -> int:
    """Print the gate table and the block table; return 1 if any check failed."""
    print("spikefp demo: threshold-gate circuits, simulated by the exact engine and checked\n")
    gate_rows = []
    for name in GATES:
        net = gate_netlist(name)
        n_in = GATES[name][0]
        got = pysim.compile(net).run(x=np.arange(1 << n_in, dtype=np.uint64))["y"]
        bad = sum(int(got[v]) != gate_truth(name, v) for v in range(1 << n_in))
        gate_rows.append({"gate": name, "inputs": n_in, "profile": "default", **net.stats(),
                          "check": "exhaustive ok" if not bad else f"{bad} WRONG"})
    print("Gate library (exhaustive truth tables):")
    print(format_table(gate_rows, [("gate", ""), ("inputs", ""), ("profile", ""), ("neurons", ""),
                                   ("synapses", ""), ("depth", ""), ("max_fanin", ""),
                                   ("max_weight", ""), ("check", "")]))
    rows = demo_rows(vectors=vectors)
    print(f"\nInteger blocks ({vectors:,} random vectors each, exact engine vs Python integer spec):")
    for r in rows:
        r["check"] = "ok" if not r["mismatches"] else f"{r['mismatches']} WRONG"
    print(format_table(rows, [("block", ""), ("params", ""), ("profile", ""), ("width", ""),
                              ("neurons", ""), ("synapses", ""), ("depth", ""), ("max_fanin", ""),
                              ("max_weight", ""), ("check", "")]))
    pick = {(r["block"], r["width"], r["profile"], r["params"]): r for r in rows}
    ripple = pick[("add", 24, "default", "arch=ripple")]
    la = pick[("add", 24, "loihi", "arch=lookahead")]
    mul = pick[("mul", 24, "default", "counter=serial")]
    g = {r["gate"]: r for r in gate_rows}
    print("\nHeadline figures:")
    print(f"  full adder {g['full adder']['neurons']} neurons, XOR {g['XOR']['neurons']}, "
          f"MUX {g['MUX']['neurons']}; ripple adder {ripple['neurons'] / 24:g} neurons/bit")
    print(f"  24-bit lookahead adder on the loihi profile: depth {la['depth']}, "
          f"max |weight| {la['max_weight']}, {la['neurons']} neurons")
    print(f"  24x24 multiplier: {mul['neurons']} neurons, depth {mul['depth']} "
          f"(NEXUS FP32 mul, which contains one: 21,416 neurons, depth 382)")
    fp_rows = fp_demo_rows()
    print(f"\nFloating-point units (static rne and dynamic rm; specials, boundary and random vectors,\n"
          f"exact engine vs the IEEE reference, results and all five flags):")
    print(format_table(fp_rows, [("unit", ""), ("mode", ""), ("profile", ""), ("neurons", ""), ("synapses", ""),
                                 ("depth", ""), ("NEXUS", ""), ("vectors", "{:,}"), ("check", "")]))
    failed = sum(r["mismatches"] for r in rows) + sum(r["check"] != "exhaustive ok" for r in gate_rows)
    failed += sum(r["mismatches"] for r in fp_rows)
    print("\nall checks passed" if not failed else f"\n{failed} FAILURES")
    return 1 if failed else 0
