"""Verification campaigns: a unit's operand space in shards, through the exact engine, against the reference.

    spikefp campaign UNIT... [--exhaustive | --n N] [--modes LIST|all] [--dynamic]
                     [--engine local|dask] [--scheduler ADDRESS] [--workers N] [--shard SIZE]
                     [--resume DIR] [--failures FILE] [--json] [--seed S]

`plan` splits every (unit, mode) into `Shard` records: an index range of the unit's whole
operand space (`spikefp.verify.vectors.tuples`: exhaustive) or a seeded draw of
`spikefp.verify.vectors.for_unit` (random; each shard has its own seed, and its own copy of
the special values). `run_shard` runs one shard through the exact engine and
`spikefp.verify.check.expected` (the vectorized reference where there is one) and returns a
`ShardResult`; it is the one function every engine calls, so counts never depend on the
engine: ``local`` (this process, or a pool of ``workers`` processes) or ``dask`` (a
`distributed.LocalCluster` of ``workers`` single-threaded processes, or the scheduler at
``--scheduler``, one task per shard).

With a directory (``--resume DIR``) each finished shard's record (vectors, mismatches,
seconds, first failure lines) is appended to the manifest (`load_manifest`), so a rerun skips
finished shards; the manifest names its plan and the units' netlist hashes, and another
campaign's directory is refused. Mismatches are written as ``spikefp eval`` lines
(operands, expected result, expected flags, upper-case hex), at most ``keep`` per shard, one
file per unit and mode (``spikefp eval UNIT --rm MODE`` carries one mode per run; a dynamic
unit's invalid codes 5-7 have files of their own that eval cannot replay).

>>> s = run(plan(["fp8e5m2.mul"], modes=["rtz"]))
>>> s.vectors, s.mismatches, s.rows[0].mode
(65536, 0, 'rtz')
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import pysim
from ..generators.fpformat import ROUNDING_MODES, rm_code
from ..generators.units import unit as _unit
from ..hdl.netlist import atomic_write
from ..hdl.progress import phase
from . import check, mpfr_ref, vectors

__all__ = ["Projection", "project", "Shard", "ShardResult", "Row", "Summary", "plan", "run_shard", "run", "failure_paths", "load_manifest",
           "DEFAULT_SHARD", "MIN_SHARD", "MAX_SHARD"]

DEFAULT_SHARD = 1 << 20
MIN_SHARD, MAX_SHARD = 10 ** 5, 10 ** 7
INVALID_CODES = (5, 6, 7)
LOG_EVERY = 60.0             # seconds between progress lines where stderr is no terminal
MANIFEST, JOURNAL = "manifest.json", "shards.jsonl"
_INVALID = tuple(f"rm{c}" for c in INVALID_CODES)


class Shard(NamedTuple):
    """One task: vectors ``start`` <= i < ``stop`` of a unit in one mode (picklable, no netlist)."""
    unit: str
    dynamic: bool
    mode: str              # a rounding mode; for a dynamic unit also rm5..rm7 (invalid codes)
    start: int
    stop: int
    seed: int | None       # None: indices into the exhaustive operand space; else the draw's seed
    keep: int = 100        # failure lines kept
    options: tuple = ()    # (name, value) pairs for `spikefp.unit`: profile and generator parameters

    @property
    def name(self) -> str:
        """The unit with its options, e.g. ``fp8e4m3.add[profile=loihi,saturate=true]``."""
        if not self.options:
            return self.unit
        return f"{self.unit}[{','.join(f'{k}={str(v).lower() if isinstance(v, bool) else v}' for k, v in self.options)}]"

    @property
    def key(self) -> str:
        kind = "exhaustive" if self.seed is None else f"seed{self.seed}"
        return f"{self.name}/{'dynamic-' if self.dynamic else ''}{self.mode}/{kind}/{self.start}-{self.stop}"

    @property
    def label(self) -> str:
        """The unit and mode, as the summary and the failure files name them."""
        return f"{self.name} {'dynamic-' if self.dynamic else ''}{self.mode}"


class ShardResult(NamedTuple):
    key: str
    vectors: int
    mismatches: int
    seconds: float
    failures: list         # eval lines: operands, expected result, expected flags


@dataclass
class Row:
    unit: str
    mode: str
    vectors: int = 0
    mismatches: int = 0
    seconds: float = 0.0             # spent in shards (summed over workers)
    failures: list = field(default_factory=list)
    reference: str = ""              # the module the expected results came from


@dataclass
class Summary:
    rows: list
    engine: str
    workers: int
    seconds: float                   # wall time of this run
    computed: int                    # shards computed by this run (the others came from the manifest)
    computed_vectors: int = 0        # their vectors: the throughput's numerator
    interrupted: bool = False
    first_mpfr: bool | None = None   # does MPFR give the first failure's expected result (None: not asked)

    @property
    def vectors(self) -> int:
        return sum(r.vectors for r in self.rows)

    @property
    def mismatches(self) -> int:
        return sum(r.mismatches for r in self.rows)

    @property
    def first(self) -> str | None:
        """The first failure line, prefixed with its unit and mode."""
        return next((f"{r.unit} {r.mode}: {r.failures[0]}" for r in self.rows if r.failures), None)

    def as_dict(self) -> dict:
        busy = sum(r.seconds for r in self.rows)
        return {"vectors": self.vectors, "mismatches": self.mismatches, "first": self.first,
                "first_mpfr_agrees": self.first_mpfr,
                "seconds": round(self.seconds, 3),
                "vectors_per_second": round(self.computed_vectors / self.seconds) if self.seconds else None,
                "vectors_per_second_per_worker": round(self.vectors / busy) if busy else None,
                "engine": self.engine, "workers": self.workers, "shards_computed": self.computed,
                "interrupted": self.interrupted,
                "rows": [{"unit": r.unit, "mode": r.mode, "vectors": r.vectors, "mismatches": r.mismatches,
                          "seconds": round(r.seconds, 3), "first": r.failures[0] if r.failures else None,
                          "reference": r.reference}
                         for r in self.rows]}


def _modes(u, modes, dynamic: bool) -> list[str]:
    if not u.rounds:                 # one run: the mode does not change the result
        return ["rne"]
    if isinstance(modes, str):
        modes = modes.split(",")
    if modes in (None, ["all"]):
        return list(ROUNDING_MODES) + (list(_INVALID) if dynamic and modes else [])
    allowed = list(ROUNDING_MODES) + (list(_INVALID) if dynamic else [])
    for m in modes:
        if m not in allowed:
            raise ValueError(f"unknown mode {m!r} (modes: {', '.join(allowed)}, or all)")
    return list(dict.fromkeys(modes))


def plan(units, exhaustive: bool = True, n: int = 0, modes=("rne",), dynamic: bool = False,
         shard: int = DEFAULT_SHARD, seed: int = 0, keep: int = 100, options: dict | None = None) -> list[Shard]:
    """The shards of a campaign: every operand tuple (``exhaustive``) or ``n`` random vectors
    (plus each shard's specials) of every unit in every mode; ``options``: `spikefp.unit`'s
    keyword arguments for every unit (``profile``, generator parameters).

    ``modes``: rounding-mode names, or None / "all" for the five; a ``dynamic`` unit runs each
    mode as its rm code, and "all" also adds the invalid codes rm5..rm7.

    >>> [s.key for s in plan(["fp8e5m2.add"], modes=["rne", "rdn"], shard=40_000)]
    ['fp8e5m2.add/rne/exhaustive/0-40000', 'fp8e5m2.add/rne/exhaustive/40000-65536', \
'fp8e5m2.add/rdn/exhaustive/0-40000', 'fp8e5m2.add/rdn/exhaustive/40000-65536']
    """
    if shard < 1 or keep < 0 or (not exhaustive and n < 1):
        raise ValueError("the shard size and --n must be positive")
    shards = []
    options = tuple(sorted((options or {}).items()))
    for name in dict.fromkeys(units):
        u = _unit(name, dynamic=dynamic, **dict(options))
        total = 1 << (u.operand_bits * u.arity) if exhaustive else n
        for mode in _modes(u, modes if modes is None or isinstance(modes, str) else list(modes), dynamic):
            for i, start in enumerate(range(0, total, shard)):
                shards.append(Shard(u.name, dynamic, mode, start, min(start + shard, total),
                                    None if exhaustive else seed * 1_000_003 + i, keep, options))
    return shards


def build_unit(shard: Shard):
    """The unit a shard runs (a seam: tests swap in a mutated one)."""
    if shard.dynamic:
        return _unit(shard.unit, dynamic=True, **dict(shard.options))
    return _unit(shard.unit, rm=shard.mode, **dict(shard.options))


_engines: dict = {}      # id(unit) -> (unit, compiled engine): one compile per unit per process


def _engine(u):
    if id(u) not in _engines:
        _engines[id(u)] = (u, pysim.compile(u.netlist, threads=1))
    return _engines[id(u)][1]


def eval_line(u, ops: dict, i: int, y: int, flags: int) -> str:
    """Vector ``i`` as a ``spikefp eval`` line (the format eval writes)."""
    hexw, yhexw = -(-u.operand_bits // 4), -(-u.result_bits // 4)
    return " ".join([f"{int(ops[k][i]):0{hexw}X}" for k in u.operands] + [f"{y:0{yhexw}X}", f"{flags:02X}"])


def run_shard(shard: Shard) -> ShardResult:
    """Run one shard through the exact engine and compare with the reference."""
    t = time.perf_counter()
    u = build_unit(shard)
    if shard.seed is None:
        ops = vectors.tuples(u, shard.start, shard.stop)
    else:
        ops = {k: v for k, v in vectors.for_unit(u, shard.stop - shard.start, shard.seed).items() if k in u.operands}
    count = len(ops[u.operands[0]])
    codes = None
    if shard.dynamic:
        code = int(shard.mode[2:]) if shard.mode in _INVALID else rm_code(shard.mode)
        codes = np.full(count, code, np.uint64)
    got = _engine(u).run(**ops, **({"rm": codes} if codes is not None else {}))
    ey, ef = check.expected(u, ops, codes, jobs=1)
    bad = np.flatnonzero((got["y"] != ey) | (got["flags"] != ef))
    lines = [eval_line(u, ops, i, int(ey[i]), int(ef[i])) for i in bad[:shard.keep]]
    return ShardResult(shard.key, count, int(len(bad)), time.perf_counter() - t, lines)


def _fingerprint(shards) -> tuple[str, dict]:
    """The plan's hash and every unit's netlist hash."""
    # A shard without options hashes as it did before shards had them (manifests stay valid).
    plan_hash = hashlib.sha256(json.dumps([list(s._replace(keep=0))[:-1] if not s.options else s._replace(keep=0)
                                           for s in shards]).encode()).hexdigest()[:16]
    nets = {}
    for s in shards:
        if s.label not in nets:
            nets[s.label] = build_unit(s).netlist.content_hash()
    return plan_hash, nets


def load_manifest(directory) -> dict:
    """A campaign directory's manifest: ``plan``, ``netlists`` and ``shards`` (key -> record).

    The header (``manifest.json``) is written once; each finished shard is one line appended
    to ``shards.jsonl`` and synced, so saving costs the same on the 100,000th shard as on the
    first (rewriting one growing file per shard would be quadratic). A line cut short by a
    crash is dropped, and its shard runs again.
    """
    directory = Path(directory)
    try:
        m = json.loads((directory / MANIFEST).read_text())
        m = {"plan": m["plan"], "netlists": dict(m["netlists"]), "shards": {}}
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"--resume {directory}: {MANIFEST} is not a campaign manifest") from None
    journal = directory / JOURNAL
    if journal.exists():
        text = journal.read_text()
        complete = text[:text.rfind("\n") + 1]
        if complete != text:                   # a crash mid-line: cut it, so the next append starts clean
            journal.write_text(complete)
        for i, line in enumerate(complete.splitlines(), 1):
            try:
                rec = json.loads(line)
                m["shards"][rec.pop("key")] = rec
            except (ValueError, KeyError, TypeError, AttributeError):
                raise ValueError(f"--resume {directory}: {JOURNAL} line {i} is not a shard record") from None
    return m


def _open_manifest(directory: Path, plan_hash: str, nets: dict) -> dict:
    """The manifest of ``directory``, which must be this plan's on these netlists; a new one if none."""
    if not (directory / MANIFEST).exists():
        directory.mkdir(parents=True, exist_ok=True)
        atomic_write(directory / MANIFEST, json.dumps({"plan": plan_hash, "netlists": nets}) + "\n")
        (directory / JOURNAL).unlink(missing_ok=True)
    m = load_manifest(directory)
    if m["plan"] != plan_hash:
        raise ValueError(f"--resume {directory} holds another campaign (other units, modes, shards or seed)")
    if m["netlists"] != nets:
        changed = sorted(k for k in nets if m["netlists"].get(k) != nets[k])
        raise ValueError(f"--resume {directory} was run on other netlists of {', '.join(changed)} (the generator "
                         f"changed); use a new directory")
    return m


def failure_paths(shards, failures: str | os.PathLike | None, directory=None) -> dict[str, Path]:
    """Unit-and-mode label -> failure file: ``failures`` itself for a single one, else
    ``<stem>-<unit>-<mode><suffix>``; with no ``failures``, ``directory/failures-<unit>-<mode>.txt``."""
    labels = list(dict.fromkeys(s.label for s in shards))
    if failures is None and directory is None:
        return {}
    out = {}
    for label in labels:
        tag = label.replace(" ", "-")
        if failures is None:
            out[label] = Path(directory) / f"failures-{tag}.txt"
        else:
            p = Path(failures)
            out[label] = p if len(labels) == 1 else p.with_name(f"{p.stem}-{tag}{p.suffix}")
    return out


@contextlib.contextmanager
def _sigint_ignored():
    """SIGINT ignored while processes are started (in the main thread; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def _results(todo, engine: str, workers: int, scheduler: str | None):
    """(shard, result) as the shards finish, on the engine; cleans up on exit."""
    if engine == "local" and workers == 1:
        for s in todo:
            yield s, run_shard(s)
        return
    if engine == "local":
        with ProcessPoolExecutor(workers) as pool:
            futures = {pool.submit(run_shard, s): s for s in todo}
            try:
                for fut in as_completed(futures):
                    yield futures[fut], fut.result()
            finally:
                for fut in futures:
                    fut.cancel()
        return
    if engine != "dask":
        raise ValueError(f"unknown engine {engine!r} (engines: local, dask)")
    import logging

    import dask
    import distributed
    cluster = None
    if scheduler is None:
        # No dashboard; its HTTP routes on a free local port (the default 8787 may be taken by
        # another cluster, which costs a warning). Without Dask's MALLOC_TRIM_THRESHOLD_ for the
        # workers: setting it fixes glibc's mmap threshold, so every shard's arrays would be
        # fresh pages (page faults made the workers 4x slower than this process).
        environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()
                   if k != "MALLOC_TRIM_THRESHOLD_"}
        # The workers ignore SIGINT (inherited from here): on Ctrl-C this process closes them,
        # rather than each printing its own KeyboardInterrupt traceback.
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}), _sigint_ignored():
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                               scheduler_kwargs={"dashboard": False}, silence_logs=logging.ERROR)
    try:
        with distributed.Client(cluster or scheduler) as client:
            # A window of shards in flight, refilled as they finish: the scheduler holds a few
            # dozen tasks rather than the whole plan (164k shards made a 13 MiB graph and a
            # 1.8 GB client), and an interrupted run has little to cancel.
            window = max(8, 4 * sum(client.nthreads().values()))
            pending = iter(todo)
            flying = {}

            def submit(s):
                fut = client.submit(run_shard, s, key=f"campaign-{s.key}", pure=False)
                flying[fut.key] = s, fut
                return fut

            ready = distributed.as_completed([submit(s) for s in itertools.islice(pending, window)])
            try:
                for fut in ready:
                    s, _ = flying.pop(fut.key)
                    result = fut.result()
                    for nxt in itertools.islice(pending, 1):
                        ready.add(submit(nxt))
                    yield s, result
            finally:
                client.cancel([fut for _, fut in flying.values()])
                # Closing on an interrupt, the client's event loop may log the cancelled tasks'
                # callbacks as tracebacks: the run's end is one line (DESIGN's contract).
                for name in ("tornado.application", "distributed"):
                    logging.getLogger(name).setLevel(logging.CRITICAL)
    finally:
        if cluster is not None:
            cluster.close()


def run(shards: list[Shard], engine: str = "local", workers: int = 1, scheduler: str | None = None,
        resume: str | os.PathLike | None = None, failures=None, max_shards: int | None = None) -> Summary:
    """Run the shards on ``engine`` and aggregate them per unit and mode.

    ``resume``: a directory whose manifest keeps finished shards (they are not run again);
    ``failures``: see `failure_paths`; ``max_shards``: stop after computing that many (the
    summary says ``interrupted``), as an interruption would. KeyboardInterrupt propagates once
    the manifest is saved.
    """
    if workers < 1:
        raise ValueError("--workers must be positive")
    directory = Path(resume) if resume is not None else None
    done, journal = {}, None
    if directory is not None:
        if directory.exists() and not directory.is_dir():
            raise ValueError(f"--resume {directory}: not a directory")
        done = _open_manifest(directory, *_fingerprint(shards))["shards"]
        journal = open(directory / JOURNAL, "a")
    todo = [s for s in shards if s.key not in done]
    t0 = time.perf_counter()
    computed = computed_vectors = 0
    interrupted = False
    total = sum(s.stop - s.start for s in todo)
    with phase(f"campaign on {engine} ({workers} worker{'s' * (workers > 1)})", total=total,
               unit=" vectors", log_every=LOG_EVERY) as bar:
        results = _results(todo, engine, workers, scheduler)
        try:
            for s, r in results:
                done[s.key] = {"vectors": r.vectors, "mismatches": r.mismatches, "seconds": round(r.seconds, 4),
                               "failures": r.failures}
                computed += 1
                computed_vectors += r.vectors
                if journal is not None:
                    journal.write(json.dumps({"key": s.key, **done[s.key]}) + "\n")
                    journal.flush()
                    os.fsync(journal.fileno())
                bar.update(s.stop - s.start)
                if max_shards is not None and computed >= max_shards and computed < len(todo):
                    interrupted = True
                    break
        finally:
            results.close()
            if journal is not None:
                journal.close()
    rows: dict[str, Row] = {}
    for s in shards:
        if s.label not in rows:
            rows[s.label] = Row(s.name, s.label.rsplit(" ", 1)[1], reference=check.reference_of(build_unit(s)))
        row = rows[s.label]
        rec = done.get(s.key)
        if rec is not None:
            row.vectors += rec["vectors"]
            row.mismatches += rec["mismatches"]
            row.seconds += rec["seconds"]
            row.failures += rec["failures"]
    for label, path in failure_paths(shards, failures, directory).items():
        if rows[label].failures:
            atomic_write(path, "".join(line + "\n" for line in rows[label].failures))
    first = next((s for s in shards if rows[s.label].failures), None)
    verdict = None if first is None else second_opinion(build_unit(first), rows[first.label].failures[0], first.mode)
    return Summary(list(rows.values()), engine, workers, time.perf_counter() - t0, computed, computed_vectors,
                   interrupted, verdict)


class Projection(NamedTuple):
    """A campaign's size and its time, from each unit's throughput measured on one worker."""
    vectors: int
    shards: int
    rates: dict            # unit (and "dyn" when dynamic) -> vectors per second on one worker
    seconds: float         # on one worker

    def __str__(self) -> str:
        rates = ", ".join(f"{k} {v / 1e6:.1f} M/s" for k, v in self.rates.items())
        hours = [f"{self.seconds / w / 3600:,.2f} h on {w}" for w in (1, 2, 8, 64)]
        return (f"{self.vectors:,} vectors in {self.shards:,} shards; measured per worker: {rates}; "
                f"projected: {', '.join(hours)} workers")


def project(shards: list[Shard], sample: int = 1 << 18) -> Projection:
    """Time ``sample`` vectors of each unit of the plan (after one untimed run that builds
    and compiles it) and project the whole plan's time on one worker."""
    rates: dict = {}
    for sh in shards:
        name = sh.name + (" dyn" if sh.dynamic else "")
        if name not in rates:
            probe = sh._replace(stop=sh.start + min(sample, sh.stop - sh.start))
            run_shard(probe)                         # build and compile: not part of the rate
            r = run_shard(probe)
            rates[name] = r.vectors / max(r.seconds, 1e-9)
    seconds = sum((sh.stop - sh.start) / rates[sh.name + (" dyn" if sh.dynamic else "")] for sh in shards)
    return Projection(sum(sh.stop - sh.start for sh in shards), len(shards), rates, seconds)


def format_summary(s: Summary) -> str:
    """The human-readable table of a summary."""
    lines = [f"{'unit':16s} {'mode':14s} {'vectors':>15s} {'mismatches':>10s} {'s':>9s}"]
    lines += [f"{r.unit:16s} {r.mode:14s} {r.vectors:15,d} {r.mismatches:10d} {r.seconds:9.1f}" for r in s.rows]
    rate = s.computed_vectors / s.seconds if s.seconds else 0
    lines.append(f"{s.vectors:,} vectors, {s.mismatches:,} mismatches, {s.seconds:.1f} s wall "
                 f"({rate:,.0f} vectors/s on {s.workers} {s.engine} worker{'s' * (s.workers > 1)}; "
                 f"{s.computed} shards computed)")
    if s.first:
        verdict = {True: "MPFR gives the same expected result and flags",
                   False: "MPFR DISAGREES with the expected result: suspect the reference", None: ""}[s.first_mpfr]
        lines.append(f"first mismatch: {s.first}" + (f" ({verdict})" if verdict else ""))
    return "\n".join(lines)


def second_opinion(unit, line: str, mode: str) -> bool | None:
    """Does MPFR (`spikefp.verify.mpfr_ref`, which shares no code with the vectorized references)
    give a failure line's expected result and flags? None where it has no such operation or mode.

    >>> import spikefp
    >>> second_opinion(spikefp.unit("fp16.add"), "3C00 0001 3C01 01", "rup")
    True
    """
    fn = mpfr_ref.OPS.get(unit.operation.reference)
    if fn is None or mode not in ROUNDING_MODES:
        return None
    *ops, y, flags = (int(t, 16) for t in line.split())
    try:
        return fn(unit.fmt, *ops, mode, **unit.reference_params) == (y, flags)
    except (ValueError, TypeError, KeyError):      # a format or parameter MPFR's binding does not take
        return None


def add_arguments(ap) -> None:
    """The campaign's options, on ``spikefp campaign``."""
    import argparse
    ap.add_argument("units", nargs="+", metavar="UNIT", help="<format>.<operation>, e.g. fp16.add")
    how = ap.add_mutually_exclusive_group()
    how.add_argument("--exhaustive", action="store_true", help="every operand tuple (the default)")
    how.add_argument("--n", type=int, metavar="N", help="N random vectors (plus specials per shard) per unit and mode")
    ap.add_argument("--modes", default=None, metavar="LIST",
                    help="comma-separated rounding modes, or all (default: rne; with --dynamic, the five codes, and "
                         "all adds the invalid codes rm5,rm6,rm7)")
    ap.add_argument("--dynamic", action="store_true", help="the unit with an rm port, run with each mode's code")
    ap.add_argument("--profile", default="default", help="gate profile of every unit (default, loihi)")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="generator parameter of every unit, e.g. saturate=true")
    ap.add_argument("--engine", choices=("local", "dask"), default="local",
                    help="local: this process or a pool of --workers; dask: a LocalCluster or --scheduler")
    ap.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler (tcp://host:8786); implies --engine dask")
    ap.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    ap.add_argument("--shard", type=int, default=DEFAULT_SHARD,
                    help=f"vectors per shard, {MIN_SHARD:,} to {MAX_SHARD:,} (default 2^20)")
    ap.add_argument("--project", action="store_true", help="first measure each unit's throughput on one worker "
                    "and print the campaign's size and projected time on 1, 2, 8 and 64 workers (stderr)")
    ap.add_argument("--project-only", action="store_true", help="print the projection and stop (implies --project)")
    ap.add_argument("--resume", metavar="DIR", help="manifest directory: finished shards are kept and skipped")
    ap.add_argument("--failures", metavar="FILE", help="mismatches as `spikefp eval` lines (one file per unit and "
                    "mode; default DIR/failures-<unit>-<mode>.txt with --resume)")
    ap.add_argument("--keep", type=int, default=100, help="failure lines kept per shard (default 100)")
    ap.add_argument("--seed", type=int, default=0, help="random campaigns' seed (default 0)")
    ap.add_argument("--json", action="store_true", help="one JSON object: vectors, mismatches, rows, seconds, "
                    "vectors_per_second, engine, workers")
    ap.add_argument("--max-shards", type=int, help=argparse.SUPPRESS)     # tests: stop as an interruption would


def run_args(args) -> int:
    """Run the campaign ``add_arguments`` describes: exit status 0, 1 (mismatches) or 130
    (interrupted); ValueError for bad input."""
    if not MIN_SHARD <= args.shard <= MAX_SHARD:
        raise ValueError(f"--shard must be {MIN_SHARD:,} to {MAX_SHARD:,}, got {args.shard}")
    args.project = args.project or args.project_only
    if args.workers < 1 or args.keep < 0 or (args.n is not None and args.n < 1):
        raise ValueError("--workers and --n must be positive, --keep non-negative")
    engine = "dask" if args.scheduler else args.engine
    options = dict(getattr(args, "params", {}))
    if args.profile != "default":
        options["profile"] = args.profile
    shards = plan(args.units, args.n is None, args.n or 0, args.modes or (None if args.dynamic else "rne"),
                  args.dynamic, args.shard, args.seed, args.keep, options)
    if args.project:
        print(f"spikefp campaign: {project(shards)}", file=sys.stderr, flush=True)
        if args.project_only:
            return 0
    try:
        s = run(shards, engine, args.workers, args.scheduler, args.resume, args.failures, args.max_shards)
    except KeyboardInterrupt:
        where = f"; finished shards are in {args.resume}/{JOURNAL}: rerun with --resume {args.resume}" \
            if args.resume else ""
        print(f"spikefp: interrupted{where}", file=sys.stderr)
        return 130
    print(json.dumps(s.as_dict()) if args.json else format_summary(s))
    if s.interrupted:
        return 130
    return 1 if s.mismatches else 0
