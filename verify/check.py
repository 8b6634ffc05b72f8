"""Check a floating-point unit against the IEEE reference, through the exact engine.

>>> import spikefp
>>> from spikefp.verify import vectors
>>> u = spikefp.unit("fp8e5m2.mul")
>>> r = check(u, vectors.specials(u.fmt, 2))
>>> r.vectors, r.mismatches
(256, 0)
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from .. import pysim
from ..generators.fpformat import FLAG_NV, ROUNDING_MODES, rm_code as reference_code
from . import elementary, elementary_fast, fastref, hostref, reference

__all__ = ["CheckReport", "check", "expected", "mode_names", "operations", "reference_fn"]


@dataclass
class CheckReport:
    unit: str
    vectors: int
    mismatches: int
    first: list = field(default_factory=list)     # (operands hex, expected (y, flags), got (y, flags))

    def __str__(self) -> str:
        head = f"{self.unit}: {self.vectors:,} vectors, {self.mismatches} mismatches"
        rows = [f"  {' '.join(ops)}: expected {ey:x} flags {ef:02x}, got {gy:x} flags {gf:02x}"
                for ops, (ey, ef), (gy, gf) in self.first]
        return "\n".join([head] + rows)


def mode_names(rm_codes) -> list[str]:
    """RISC-V rm codes -> mode names (codes 5-7 -> the reference's invalid mode)."""
    return [ROUNDING_MODES[c] if c < 5 else reference.INVALID_RM for c in rm_codes]


def operations(module=reference) -> dict:
    """A reference module's functions by operation name, with the elementary functions
    (`spikefp.verify.elementary`, MPFR enclosures: one reference serves both modules)."""
    return {**module.OPS, **elementary.OPS}


def reference_fn(unit, module=reference):
    """``fn(*operand bits, rm) -> (y, flags)``: the unit's operation by a reference ``module``.

    ``module`` is `spikefp.verify.reference` or the independent `spikefp.verify.mpfr_ref`;
    the function is the one the operator registry names (``unit.operation.reference``), given
    the unit's format and the parameters that change results; operations that never round
    ignore ``rm``.

    >>> import spikefp
    >>> reference_fn(spikefp.unit("fp32.to_fp16"))(0x3f800000, "rne")      # 1.0
    (15360, 0)
    """
    return partial(operations(module)[unit.operation.reference], unit.fmt, **unit.reference_params)


def _expected_chunk(args):
    name, fmt, params, modes, cols = args         # picklable: no netlist crosses to the workers
    fn = partial(operations(reference)[name], fmt, **params)
    ys, fl = [], []
    for i, rm in enumerate(modes):
        y, f = fn(*(int(c[i]) for c in cols), rm)
        ys.append(y)
        fl.append(f)
    return ys, fl


def _elementary(unit, a: np.ndarray, rm_codes):
    """An elementary function: lookups in `elementary.table` for formats of <= 16 bits, else
    the vectorized `elementary_fast`."""
    codes = np.full(len(a), reference_code(unit.rm), np.uint64) if rm_codes is None else np.asarray(rm_codes)
    y = np.empty(len(a), np.uint64)
    f = np.empty(len(a), np.uint64)
    for code in np.unique(codes):
        sel = codes == code
        if code >= 5:                        # invalid dynamic mode: canonical NaN, NV
            y[sel], f[sel] = unit.fmt.canonical_nan, FLAG_NV
        else:
            rm = ROUNDING_MODES[int(code)]
            if unit.fmt.width <= elementary.TABLE_MAX_WIDTH:
                bits, flags = elementary.table(unit.operation.reference, unit.fmt, rm, **unit.reference_params)
                y[sel], f[sel] = bits[a[sel]], flags[a[sel]]
            else:
                y[sel], f[sel] = elementary_fast.evaluate(unit.operation.reference, unit.fmt, a[sel], rm,
                                                          **unit.reference_params)
    return y, f


def _elementary_covers(unit) -> bool:
    """Is the unit an elementary function of a format its tables or fast evaluation cover?"""
    return unit.operation.reference in elementary.OPS and (unit.fmt.width <= elementary.TABLE_MAX_WIDTH
                                                           or elementary_fast.supported(unit.fmt))


def _vectorized(name: str, unit):
    """The fastest vectorized reference for the unit's operation and format, or None: the
    float64-hardware one (`spikefp.verify.hostref`: + - x / sqrt), else `spikefp.verify.fastref`."""
    for module in (hostref, fastref):
        fn = module.OPS.get(name)
        if fn is not None and module.supported(unit.fmt, **unit.reference_params):
            return fn
    return None


def reference_of(unit) -> str:
    """Which reference `expected` takes the unit's results from (a campaign's provenance).

    >>> import spikefp
    >>> reference_of(spikefp.unit("fp16.div")), reference_of(spikefp.unit("fp64.div"))
    ('spikefp.verify.hostref', 'spikefp.verify.reference')
    """
    name = unit.operation.reference
    if _elementary_covers(unit):
        return elementary.__name__ if unit.fmt.width <= elementary.TABLE_MAX_WIDTH else elementary_fast.__name__
    fast = _vectorized(name, unit)
    return fast.__module__ if fast is not None else reference.__name__


def expected(unit, ops: dict[str, np.ndarray], rm_codes=None, jobs: int = 1):
    """Reference results (y, flags) as uint64 arrays.

    Elementary functions come from exhaustive tables for formats of at most 16 bits
    (`spikefp.verify.elementary.table`, built once and cached on disk) and from
    `spikefp.verify.elementary_fast` for the others of up to 24-bit significands; the vectorized references
    (`_vectorized`) serve the formats they cover; others go through the integer
    reference, on ``jobs`` worker processes for large runs.
    """
    n = len(ops[unit.operands[0]])
    name = unit.operation.reference
    if _elementary_covers(unit):
        return _elementary(unit, np.asarray(ops["a"], dtype=np.uint64), rm_codes)
    fast = _vectorized(name, unit)
    if fast is not None:
        cols = [np.asarray(ops[k], dtype=np.uint64) for k in unit.operands]

        def one_mode(code, cols):
            if code >= 5:                    # invalid dynamic mode: NV, the value the reference gives
                y, f = reference.OPS[name](unit.fmt, *(0,) * len(cols), reference.INVALID_RM, **unit.reference_params)
                return np.full(len(cols[0]), y, np.uint64), np.full(len(cols[0]), f, np.uint64)
            return fast(unit.fmt, *cols, ROUNDING_MODES[int(code)], **unit.reference_params)

        codes = np.full(n, reference_code(unit.rm), np.uint64) if rm_codes is None else np.asarray(rm_codes)
        if n and (codes == codes[0]).all():  # one mode (static units, campaign shards): no selections
            return one_mode(int(codes[0]), cols)
        y = np.empty(n, np.uint64)
        f = np.empty(n, np.uint64)
        for code in np.unique(codes):
            sel = codes == code
            y[sel], f[sel] = one_mode(int(code), [c[sel] for c in cols])
        return y, f
    modes = mode_names(rm_codes) if rm_codes is not None else [unit.rm] * n
    cols = [ops[k] for k in unit.operands]
    step = max(1, -(-n // max(1, jobs * 4)))
    tasks = [(unit.operation.reference, unit.fmt, unit.reference_params, modes[i:i + step],
              [c[i:i + step] for c in cols])
             for i in range(0, n, step)]
    if jobs > 1 and n > 20_000:
        with ProcessPoolExecutor(jobs) as pool:
            parts = list(pool.map(_expected_chunk, tasks))
    else:
        parts = [_expected_chunk(t) for t in tasks]
    y = np.array([v for p in parts for v in p[0]], dtype=np.uint64)
    f = np.array([v for p in parts for v in p[1]], dtype=np.uint64)
    return y, f


def check(unit, ops: dict[str, np.ndarray], rm_codes=None, jobs: int | None = None,
          sim=None, keep: int = 5) -> CheckReport:
    """Run ``ops`` through the unit in the exact engine and compare with the reference.

    A dynamic unit needs ``rm_codes`` (array of 0..7); a static one ignores them.
    """
    jobs = jobs or (os.cpu_count() or 1)
    ops = {k: np.asarray(v, dtype=np.uint64) for k, v in ops.items() if k in unit.operands}
    if unit.dynamic:
        if rm_codes is None:
            rm_codes = np.arange(len(ops[unit.operands[0]]), dtype=np.uint64) % np.uint64(8)
        rm_codes = np.asarray(rm_codes, dtype=np.uint64)
    sim = sim or pysim.compile(unit.netlist)
    inputs = dict(ops, rm=rm_codes) if unit.dynamic else ops
    got = sim.run(**inputs)
    ey, ef = expected(unit, ops, rm_codes if unit.dynamic else None, jobs)
    bad = np.nonzero((got["y"] != ey) | (got["flags"] != ef))[0]
    hexw = -(-unit.operand_bits // 4)
    first = []
    for i in bad[:keep]:
        names = [f"{int(ops[k][i]):0{hexw}x}" for k in unit.operands]
        if unit.dynamic:
            names.append(f"rm={int(rm_codes[i])}")
        first.append((names, (int(ey[i]), int(ef[i])), (int(got["y"][i]), int(got["flags"][i]))))
    label = f"{unit.name} {unit.mode}"
    return CheckReport(label, len(ops[unit.operands[0]]), int(len(bad)), first)
