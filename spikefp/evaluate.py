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

import re

import numpy as np

from . import pysim
from .generators.fpformat import rm_code
from .hdl.progress import phase

__all__ = ["EvalError", "excerpt", "parse_lines", "evaluate_lines"]

BATCH = 1 << 16
_HEX = re.compile(r"[0-9A-Fa-f]+")        # re's [0-9] is ASCII; str.isdigit would take '٣'


class EvalError(ValueError):
    """A malformed input line: the message names the line."""


def excerpt(text: str, limit: int = 20) -> str:
    """At most ``limit`` characters of a token or line: an error never echoes megabytes."""
    return text if len(text) <= limit else text[:limit] + "..."


def parse_lines(unit, lines) -> dict[str, np.ndarray]:
    """Operand columns (uint64) of TestFloat-style ``lines``; `EvalError` names a bad line.

    Operands are ASCII hex digits only: no ``0x``, signs, underscores or non-ASCII digits.

    >>> import spikefp
    >>> parse_lines(spikefp.unit("fp16.sqrt"), ["3c00", "", "7E00 extra"])["a"].tolist()
    [15360, 32256]
    >>> parse_lines(spikefp.unit("fp16.sqrt"), ["3C_00"])
    Traceback (most recent call last):
    ...
    spikefp.evaluate.EvalError: line 1: malformed hex operand '3C_00' (ASCII hex digits only): '3C_00'
    """
    n_ops = len(unit.operands)
    width = unit.operand_bits
    cols: list[list[int]] = [[] for _ in range(n_ops)]
    with phase("reading", unit=" lines") as bar:
        for lineno, line in enumerate(lines, 1):
            if lineno % 65536 == 0:
                bar.update(65536)
            fields = line.split()
            if not fields:
                continue
            if len(fields) < n_ops:
                raise EvalError(f"line {lineno}: {unit.name} takes {n_ops} operands, got {len(fields)}: "
                                f"{excerpt(line.strip(), 40)!r}")
            for j, tok in enumerate(fields[:n_ops]):
                if not _HEX.fullmatch(tok):
                    raise EvalError(f"line {lineno}: malformed hex operand {excerpt(tok)!r} (ASCII hex digits "
                                    f"only): {excerpt(line.strip(), 40)!r}")
                # Significant digits first: a megabyte-long token is refused without converting it.
                if (len(tok.lstrip("0")) - 1) * 4 >= width or int(tok, 16) >> width:
                    raise EvalError(f"line {lineno}: operand {excerpt(tok)!r} is wider than "
                                    f"{unit.fmt.name}'s {width} bits")
                cols[j].append(int(tok, 16))
    return {name: np.array(c, dtype=np.uint64) for name, c in zip(unit.operands, cols)}


def evaluate_lines(unit, infile, outfile, rm: str | None = None, engine="pysim") -> None:
    """Evaluate every line of ``infile`` and write the results to ``outfile``.

    ``engine`` is a name, or an object with a compiled netlist's ``run(**ports)`` (e.g. a
    `spikefp.fpga.host.Board`).
    """
    ops = parse_lines(unit, infile)
    n = len(ops[unit.operands[0]])
    if not hasattr(engine, "run") and engine not in ("pysim", "icarus", "verilator"):
        raise EvalError(f"unknown engine {engine!r}")
    sim = engine if hasattr(engine, "run") else pysim.compile(unit.netlist) if engine == "pysim" else None
    hexw, yhexw = -(-unit.operand_bits // 4), -(-unit.result_bits // 4)
    fmt = " ".join([f"{{:0{hexw}X}}"] * len(unit.operands) + [f"{{:0{yhexw}X}}"]) + " {:02X}\n"
    with phase(f"{unit.name} on {engine}", total=n, unit=" vectors") as bar:
        for start in range(0, n, BATCH):
            _evaluate_batch(unit, ops, start, rm, engine, sim, fmt, outfile)
            bar.update(min(BATCH, n - start))


def _evaluate_batch(unit, ops, start, rm, engine, sim, fmt, outfile) -> None:
    """Evaluate ``BATCH`` vectors from ``start`` and write their lines."""
    batch = {k: v[start:start + BATCH] for k, v in ops.items()}
    if unit.dynamic:
        batch["rm"] = np.full(len(batch[unit.operands[0]]), rm_code(rm or unit.rm), np.uint64)
    if sim is not None:
        out = sim.run(**batch)
    else:     # RTL simulation through cocotb
        from .verify import rtl_sim
        r = rtl_sim.run(unit, engine, {k: batch[k] for k in unit.operands}, batch.get("rm"), compare=False)
        out = {"y": r.y, "flags": r.flags}
    cols = [batch[k] for k in unit.operands] + [out["y"], out["flags"]]
    outfile.write("".join(fmt.format(*map(int, row)) for row in zip(*cols)))
