"""The demo: build gates, integer blocks and FP units, simulate them, check them, print counts.

>>> rows = check_block("add", 8, "loihi", {}, vectors=256)
>>> rows["mismatches"]
0
"""

from __future__ import annotations

import numpy as np

from . import pysim
from .anchors import NEXUS
from .hdl.gatespec import GATES, gate_netlist, gate_truth
from .verify.blockcheck import check_block

__all__ = ["demo_rows", "fp_demo_rows", "format_table", "main"]


DEMO_BLOCKS = [
    ("add", 24, {"arch": "ripple"}), ("add", 24, {"arch": "lookahead"}), ("sub", 24, {}),
    ("ge", 24, {}), ("eq", 24, {}), ("inc", 24, {}), ("neg", 24, {}),
    ("shr", 24, {"radix": 4}), ("shr", 24, {"radix": 2}), ("shl", 24, {}), ("lzc", 24, {}),
    ("mul", 24, {"counter": "serial"}), ("mul", 24, {"counter": "parallel"}),
    ("add", 53, {}), ("add", 64, {}), ("mul", 53, {}),
]


def fp_demo_rows(n: int = 20_000):
    from .generators.units import unit
    from .verify import check, vectors
    rows = []
    for name in ("fp8e4m3.mul", "fp16.add", "bf16.fma", "fp32.add", "fp32.mul", "fp32.div", "fp32.sqrt", "fp64.add"):
        for dynamic in (False, True):
            u = unit(name, dynamic=dynamic)
            r = check.check(u, vectors.for_unit(u, n, seed=1))
            s = u.stats()
            nx = NEXUS.get(name)
            rows.append({"unit": name, "mode": "dynamic" if dynamic else "rne", "profile": "default", **s,
                         "NEXUS": f"{nx.neurons:,} / {nx.depth}" if nx else "-", "vectors": r.vectors,
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
    nx = NEXUS["fp32.mul"]
    print(f"  24x24 multiplier: {mul['neurons']} neurons, depth {mul['depth']} "
          f"(NEXUS FP32 mul, which contains one: {nx.neurons:,} neurons, depth {nx.depth})")
    fp_rows = fp_demo_rows()
    print(f"\nFloating-point units (static rne and dynamic rm; specials, boundary and random vectors,\n"
          f"exact engine vs the IEEE reference, results and all five flags):")
    print(format_table(fp_rows, [("unit", ""), ("mode", ""), ("profile", ""), ("neurons", ""), ("synapses", ""),
                                 ("depth", ""), ("NEXUS", ""), ("vectors", "{:,}"), ("check", "")]))
    failed = sum(r["mismatches"] for r in rows) + sum(r["check"] != "exhaustive ok" for r in gate_rows)
    failed += sum(r["mismatches"] for r in fp_rows)
    print("\nall checks passed" if not failed else f"\n{failed} FAILURES")
    return 1 if failed else 0
