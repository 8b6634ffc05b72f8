"""``spikefp eval``: TestFloat-style lines in, operands + result + flags out.

Input lines hold hex operands separated by spaces (no ``0x``; extra columns are ignored,
so TestFloat's own ``operands result flags`` lines can be fed back). Output lines hold the
operands, the result and the flags in fixed-width upper-case hex, like ``testfloat_gen``.
The whole input is parsed before anything is written, so a bad line leaves no output.

>>> import io, spikefp
>>> out = io.StringIO()
>>> evaluate_lines(spikefp.unit("fp16.add"), io.StringIO("3C00 3C00\\n"), out)
>>> out.getvalue()
'3C00 3C00 4000 00\\n'
"""

from __future__ import annotations

import numpy as np

from . import pysim
from .generators.fpformat import rm_code

__all__ = ["EvalError", "parse_lines", "evaluate_lines"]

BATCH = 1 << 16


class EvalError(ValueError):
    """A malformed input line: the message names the line."""


def parse_lines(unit, lines) -> dict[str, np.ndarray]:
    n_ops = len(unit.operands)
    width = unit.operand_bits
    cols: list[list[int]] = [[] for _ in range(n_ops)]
    for lineno, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < n_ops:
            raise EvalError(f"line {lineno}: {unit.name} takes {n_ops} operands, got {len(fields)}: {line.strip()!r}")
        for j, tok in enumerate(fields[:n_ops]):
            try:
                if tok.lower().startswith(("0x", "+", "-")):
                    raise ValueError
                v = int(tok, 16)
            except ValueError:
                raise EvalError(f"line {lineno}: malformed hex operand {tok!r}: {line.strip()!r}") from None
            if v >> width:
                raise EvalError(f"line {lineno}: operand {tok!r} is wider than {unit.fmt.name}'s {width} bits")
            cols[j].append(v)
    return {name: np.array(c, dtype=np.uint64) for name, c in zip(unit.operands, cols)}


def evaluate_lines(unit, infile, outfile, rm: str | None = None, engine: str = "pysim") -> None:
    """Evaluate every line of ``infile`` and write the results to ``outfile``."""
    ops = parse_lines(unit, infile)
    n = len(ops[unit.operands[0]])
    if engine not in ("pysim", "icarus", "verilator"):
        raise EvalError(f"unknown engine {engine!r}")
    sim = pysim.compile(unit.netlist) if engine == "pysim" else None
    hexw, yhexw = -(-unit.operand_bits // 4), -(-unit.result_bits // 4)
    fmt = " ".join([f"{{:0{hexw}X}}"] * len(unit.operands) + [f"{{:0{yhexw}X}}"]) + " {:02X}\n"
    for start in range(0, n, BATCH):
        batch = {k: v[start:start + BATCH] for k, v in ops.items()}
        if unit.dynamic:
            batch["rm"] = np.full(len(batch["a"]), rm_code(rm or unit.rm), np.uint64)
        if sim is not None:
            out = sim.run(**batch)
        else:     # RTL simulation through cocotb
            from .verify import rtl_sim
            r = rtl_sim.run(unit, engine, {k: batch[k] for k in unit.operands}, batch.get("rm"), compare=False)
            out = {"y": r.y, "flags": r.flags}
        cols = [batch[k] for k in unit.operands] + [out["y"], out["flags"]]
        outfile.write("".join(fmt.format(*map(int, row)) for row in zip(*cols)))
