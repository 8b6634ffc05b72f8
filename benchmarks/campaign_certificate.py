"""A finished campaign's certificate: one Markdown table from its ``--resume`` directory.

Per unit and mode: vectors, mismatches, shards, worker-seconds and vectors per second per
worker (from the shard records), whether every operand tuple was covered, the reference the
shards were checked against (`check.reference_of`), and the netlist hash the campaign ran on
beside whether today's generator still builds that netlist (a certificate holds for the
netlists it names). Totals and provenance (spikefp version, git commit, date) at the end.

    python benchmarks/campaign_certificate.py build/exhaustive16 [--out docs/exhaustive16.md] [--title T]

Exit status 1 if a row has mismatches or today's netlist differs, else 0.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import spikefp
from spikefp.verify import campaign, check


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("directory")
    ap.add_argument("--out", help="write the Markdown here (default: print it)")
    ap.add_argument("--title", default=None)
    args = ap.parse_args(argv)
    m = campaign.load_manifest(args.directory)
    rows = defaultdict(lambda: {"vectors": 0, "mismatches": 0, "shards": 0, "seconds": 0.0})
    for key, rec in m["shards"].items():
        name, mode = key.split("/")[:2]
        r = rows[(name, mode)]
        r["vectors"] += rec["vectors"]
        r["mismatches"] += rec["mismatches"]
        r["shards"] += 1
        r["seconds"] += rec["seconds"]
    lines = [f"# {args.title or 'Campaign certificate: ' + args.directory}", "",
             "| unit | mode | vectors | every tuple | mismatches | shards | worker-s | M/s per worker | reference "
             "| netlist (sha256) | today's netlist |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    bad = False
    totals = {"vectors": 0, "mismatches": 0, "shards": 0, "seconds": 0.0}
    for (name, mode), r in rows.items():
        unit_name = name.split("[")[0]
        dynamic = mode.startswith("dynamic-")
        u = spikefp.unit(unit_name, dynamic=True) if dynamic else spikefp.unit(unit_name, rm=mode)
        label = f"{name} {mode}"
        recorded = m["netlists"].get(label, "")
        same = u.netlist.content_hash() == recorded if "[" not in name else None
        full = r["vectors"] == 1 << (u.operand_bits * u.arity)
        bad |= bool(r["mismatches"]) or same is False
        for k in totals:
            totals[k] += r[k]
        lines.append(f"| `{name}` | {mode} | {r['vectors']:,} | {'yes' if full else 'no'} | {r['mismatches']:,} | "
                     f"{r['shards']:,} | {r['seconds']:,.0f} | {r['vectors'] / max(r['seconds'], 1e-9) / 1e6:.1f} | "
                     f"`{check.reference_of(u).rsplit('.', 1)[1]}` | `{recorded[:12]}` | "
                     f"{ {True: 'same', False: 'DIFFERS', None: 'not checked'}[same]} |")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).parent).stdout.strip() or "?"
    lines += ["", f"**{totals['vectors']:,} vectors in {totals['shards']:,} shards, {totals['mismatches']:,} "
              f"mismatches** (results and all five flags, bit for bit); {totals['seconds'] / 3600:,.2f} worker-hours, "
              f"{totals['vectors'] / max(totals['seconds'], 1e-9) / 1e6:.1f} M vectors/s per worker on average.", "",
              f"Plan `{m['plan']}`; spikefp {spikefp.__version__}, commit {commit}, "
              f"{datetime.date.today().isoformat()}; written by `python benchmarks/campaign_certificate.py "
              f"{args.directory}`.", ""]
    text = "\n".join(lines)
    if args.out:
        Path(args.out).write_text(text)
    else:
        print(text)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
