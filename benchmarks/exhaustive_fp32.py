"""Every input of a one-operand unit through the exact engine against the reference: the 2^32 campaign.

    python benchmarks/exhaustive_fp32.py FN [--format fp32] [--rm rne] [--range START:END]
        [--chunk 2097152] [--jobs J] [--resume STATE.json] [--out SUMMARY.json] [--keep 10]

FN is a function (``exp``, ``log2``; the unit is ``<format>.<FN>``) or a whole unit name
(``fp16.sqrt``). Inputs START <= a < END (hex or decimal; default every bit pattern of the
format) run in chunks of ``--chunk`` through ``pysim.compile(unit.netlist)`` (the native
kernel, ``--jobs`` threads) and are compared, result and flags, with the reference of
`reference` (for fp32 elementary functions in ``--jobs`` worker processes while the engine
runs). A mismatch listed after the fast fp32 reference also shows MPFR's verdict
(``"mpfr": [y, flags]``), so a reference error cannot pass for the unit's.

The state (netlist hash, next input, mismatches so far, the first ``--keep`` of them,
seconds) is rewritten atomically after every chunk to ``--resume`` (default
``build/exhaustive/<unit>_<rm>.state.json``); a run that finds a state file continues from
it (it must be the same unit, mode, range and netlist), and a finished run deletes it.
Ctrl-C (or SIGTERM) saves the state and exits 130. At the end the JSON summary (inputs,
mismatches, the first ones, seconds, throughput, engine and reference used) is written
atomically to ``--out`` (default ``build/exhaustive/<unit>_<rm>.json``) and printed; the
exit status is 1 if any input mismatched, else 0.

The acceptance campaign (issue 14), once per function, static RNE:
``python benchmarks/exhaustive_fp32.py exp`` and ``python benchmarks/exhaustive_fp32.py log2``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Callable, NamedTuple

import numpy as np

import spikefp
from spikefp import pysim
from spikefp.hdl.progress import phase
from spikefp.verify import check, elementary, elementary_fast, fastref


class Reference(NamedTuple):
    """The reference of a campaign: ``fn(a uint64 array) -> (y, flags) arrays``."""
    fn: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    name: str
    split: bool        # fn pickles: worker processes share each chunk (else it runs here)


def reference(unit, jobs: int) -> Reference:
    """The fastest reference for ``unit``: the one seam to the references.

    fp32 elementary functions: the vectorized `spikefp.verify.elementary_fast` (float64
    enclosures, MPFR for the few it cannot decide; ~1-3 million a second per process);
    everything else through `spikefp.verify.check.expected`, which takes the exhaustive
    tables of the 16-bit elementary functions, the vectorized `spikefp.verify.fastref`,
    or the scalar references (~25 us a call for MPFR) on ``jobs`` processes.
    """
    name, f = unit.operation.reference, unit.fmt
    if name in elementary_fast.OPS and elementary_fast.supported(f) and f.width > elementary.TABLE_MAX_WIDTH:
        return Reference(partial(elementary_fast.evaluate, name, f, rm=unit.rm, **unit.reference_params),
                         "elementary_fast", True)
    label = ("elementary.table" if name in elementary.OPS and f.width <= elementary.TABLE_MAX_WIDTH else
             "fastref" if name in fastref.OPS and fastref.supported(f, **unit.reference_params) else "scalar")
    return Reference(lambda a: check.expected(unit, {"a": a}, None, jobs), label, False)


def _reference_start(ref: Reference, a: np.ndarray, pool, jobs: int):
    """Start the reference on ``a`` (in the pool's processes when it can); `_reference_end` collects it."""
    if pool is None or not ref.split:
        return None
    return [pool.submit(ref.fn, part) for part in np.array_split(a, jobs)]


def _reference_end(ref: Reference, a: np.ndarray, started):
    if started is None:
        return ref.fn(a)
    parts = [f.result() for f in started]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


class State(NamedTuple):
    """Where a campaign stands: saved after every chunk, so an interrupted run resumes."""
    unit: str
    rm: str
    netlist: str               # the netlist's content hash: a changed circuit does not resume
    start: int
    end: int
    next: int                  # the first input not yet checked
    mismatches: int
    first: list                # the first mismatches: {"a", "expected": [y, flags], "got": [y, flags]} in hex
    seconds: float             # spent checking, over every run

    def to_json(self) -> dict:
        return dict(self._asdict(), start=hex(self.start), end=hex(self.end), next=hex(self.next))

    @classmethod
    def from_json(cls, d: dict) -> "State":
        return cls(**dict(d, start=int(d["start"], 16), end=int(d["end"], 16), next=int(d["next"], 16)))


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` atomically (a reader sees the old file or the new, never half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    os.replace(tmp, path)


def mismatches(a, got_y, got_f, exp_y, exp_f, keep: int, hexw: int) -> tuple[int, list]:
    """How many of the inputs ``a`` differ in result or flags, and the first ``keep`` as records."""
    bad = np.nonzero((got_y != exp_y) | (got_f != exp_f))[0]
    first = [{"a": f"{int(a[i]):0{hexw}x}", "expected": [f"{int(exp_y[i]):x}", f"{int(exp_f[i]):02x}"],
              "got": [f"{int(got_y[i]):x}", f"{int(got_f[i]):02x}"]} for i in bad[:keep]]
    return len(bad), first


def parse_range(text: str | None, width: int) -> tuple[int, int]:
    """``START:END`` (hex with 0x, or decimal; END exclusive; either may be empty) within the format."""
    top = 1 << width
    if text is None:
        return 0, top
    try:
        lo, hi = text.split(":")
        start, end = int(lo, 0) if lo else 0, int(hi, 0) if hi else top
    except ValueError:
        raise ValueError(f"--range {text!r}: expected START:END, e.g. 0x3f800000:0x3f900000") from None
    if not 0 <= start < end <= top:
        raise ValueError(f"--range {text!r}: need 0 <= START < END <= {top:#x}")
    return start, end


def load_state(path: Path, fresh: State) -> State:
    """The saved state at ``path`` when there is one (it must be the same campaign), else ``fresh``."""
    if not path.exists():
        return fresh
    st = State.from_json(json.loads(path.read_text()))
    if (st.unit, st.rm, st.start, st.end) != (fresh.unit, fresh.rm, fresh.start, fresh.end):
        raise ValueError(f"state {path} is for {st.unit} {st.rm} [{st.start:#x}, {st.end:#x}), not "
                         f"{fresh.unit} {fresh.rm} [{fresh.start:#x}, {fresh.end:#x})")
    if st.netlist != fresh.netlist:
        raise ValueError(f"state {path} is for another netlist of {st.unit} (the generator changed); "
                         f"delete it to start over")
    return st


class _Stop(Exception):
    pass


def _on_term(signum, frame):
    raise _Stop


def campaign(unit, start: int, end: int, chunk: int, jobs: int, state_path: Path, keep: int) -> tuple[State, dict]:
    """Check inputs [start, end) of ``unit`` chunk by chunk, saving the state after each.

    Returns the final state and the run's facts; raises KeyboardInterrupt (state saved) on an
    interrupt.
    """
    st = load_state(state_path, State(unit.name, unit.rm, unit.netlist.content_hash(), start, end, start, 0, [], 0.0))
    ref = reference(unit, jobs)
    sim = pysim.compile(unit.netlist, threads=jobs).prepare()
    hexw = -(-unit.operand_bits // 4)
    facts = {"engine": sim.backend, "reference": ref.name, "resumed_at": hex(st.next)}
    print(f"{unit.name} {unit.rm}: inputs [{st.next:#x}, {end:#x}) of [{start:#x}, {end:#x}), engine {sim.backend} "
          f"({jobs} threads), reference {ref.name}", file=sys.stderr)
    # The reference runs in worker processes while the engine runs here: both keep the cores busy.
    pool = ProcessPoolExecutor(jobs) if jobs > 1 and ref.split else None
    old = signal.signal(signal.SIGTERM, _on_term)
    try:
        with phase(f"{unit.name} {unit.rm}", total=end - start, unit="in") as bar:
            bar.update(st.next - start)
            while st.next < end:
                t = time.perf_counter()
                a = np.arange(st.next, min(st.next + chunk, end), dtype=np.uint64)
                started = _reference_start(ref, a, pool, jobs)
                got = sim.run(a=a)
                ey, ef = _reference_end(ref, a, started)
                k, first = mismatches(a, got["y"], got["flags"], ey, ef, max(0, keep - len(st.first)), hexw)
                if ref.split:                 # a fast reference's verdict, confirmed by MPFR for the listed ones
                    for m in first:
                        y, fl = check.reference_fn(unit)(int(m["a"], 16), unit.rm)
                        m["mpfr"] = [f"{y:x}", f"{fl:02x}"]
                st = st._replace(next=st.next + len(a), mismatches=st.mismatches + k, first=st.first + first,
                                 seconds=st.seconds + time.perf_counter() - t)
                write_json(state_path, st.to_json())
                bar.update(len(a))
                bar.set_postfix(mismatches=st.mismatches, refresh=False)
    except _Stop:
        raise KeyboardInterrupt from None
    finally:
        signal.signal(signal.SIGTERM, old)
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return st, facts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fn", help="function (exp, log2...) or unit name (fp16.sqrt)")
    ap.add_argument("--format", default="fp32", help="operand format when FN is a function (default fp32)")
    ap.add_argument("--rm", default="rne", help="static rounding mode (default rne)")
    ap.add_argument("--range", help="START:END, END exclusive (default: every bit pattern)")
    ap.add_argument("--chunk", type=int, default=1 << 21, help="inputs per batch (default 2^21)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="engine threads and reference processes")
    ap.add_argument("--resume", type=Path, help="state file (default build/exhaustive/<unit>_<rm>.state.json)")
    ap.add_argument("--out", type=Path, help="summary file (default build/exhaustive/<unit>_<rm>.json)")
    ap.add_argument("--keep", type=int, default=10, help="mismatches listed in the summary (default 10)")
    args = ap.parse_args(argv)
    name = args.fn if "." in args.fn else f"{args.format}.{args.fn}"
    try:
        unit = spikefp.unit(name, rm=args.rm)
        if unit.arity != 1:
            raise ValueError(f"{name} takes {unit.arity} operands; this campaign runs one-operand units")
        start, end = parse_range(args.range, unit.operand_bits)
        if args.chunk < 1 or args.jobs < 1:
            raise ValueError("--chunk and --jobs must be positive")
    except ValueError as e:
        ap.error(str(e))
    stem = f"build/exhaustive/{unit.name}_{unit.rm}"       # not Path.with_suffix: "fp32.exp" has a dot
    state_path = args.resume or Path(stem + ".state.json")
    out = args.out or Path(stem + ".json")
    try:
        st, facts = campaign(unit, start, end, args.chunk, args.jobs, state_path, args.keep)
    except ValueError as e:            # a state file of another campaign
        ap.error(str(e))
    except KeyboardInterrupt:
        print(f"\ninterrupted: state saved in {state_path}; run again with --resume {state_path}", file=sys.stderr)
        return 130
    n = st.end - st.start
    s = unit.stats()
    summary = {"unit": unit.name, "mode": unit.rm, "range": [hex(st.start), hex(st.end)], "inputs": n,
               "mismatches": st.mismatches, "first": st.first, "seconds": round(st.seconds, 3),
               "throughput": round(n / st.seconds) if st.seconds else None,
               "neurons": s["neurons"], "depth": s["depth"], "netlist": unit.netlist.content_hash(),
               "jobs": args.jobs, **facts}
    write_json(out, summary)
    state_path.unlink(missing_ok=True)     # done: a later run starts afresh (the summary holds the result)
    print(json.dumps(summary))
    print(f"{unit.name} {unit.rm}: {n:,} inputs, {st.mismatches:,} mismatches, {st.seconds:.1f} s "
          f"({summary['throughput'] or 0:,} inputs/s); summary in {out}", file=sys.stderr)
    return 1 if st.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
