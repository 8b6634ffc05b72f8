"""The ``spikefp`` command line.

    spikefp demo                       build, simulate and check the gate library and integer blocks
    spikefp blocks                     list the integer blocks and their parameters
    spikefp block NAME --width N       counts of one block (--profile P, --param k=v, --json)
    spikefp profiles                   list the gate profiles
"""

from __future__ import annotations

import argparse
import json
import sys

from . import __version__

__all__ = ["main"]


class CLIError(Exception):
    """A user error: printed as ``spikefp: error: ...`` with exit status 2."""


def _parse_param(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise CLIError(f"--param expects NAME=VALUE, got {text!r}")
    k, v = text.split("=", 1)
    return k, int(v) if v.lstrip("-").isdigit() else v


def cmd_demo(args) -> int:
    from .demo import main as demo_main
    return demo_main(vectors=args.vectors)


def cmd_blocks(args) -> int:
    from .generators import BLOCKS
    for name, blk in BLOCKS.items():
        params = "  ".join(f"{k}={'|'.join(map(str, v))}" for k, v in blk.params.items())
        print(f"{name:5s} {blk.doc}" + (f"  [{params}]" if params else ""))
    return 0


def cmd_profiles(args) -> int:
    from .hdl import PROFILES
    for p in PROFILES.values():
        print(f"{p.name:8s} {p.description}")
    return 0


def cmd_block(args) -> int:
    from .generators import BLOCKS
    from .hdl import get_profile
    if args.name not in BLOCKS:
        raise CLIError(f"unknown block {args.name!r}; blocks: {', '.join(BLOCKS)}")
    try:
        get_profile(args.profile)
        params = dict(_parse_param(p) for p in args.param)
        net = BLOCKS[args.name].build(args.width, args.profile, **params)
    except ValueError as e:
        raise CLIError(str(e)) from None
    stats = net.stats()
    if args.json:
        print(json.dumps(stats, sort_keys=True))
    else:
        for k, v in stats.items():
            print(f"{k:11s} {v}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spikefp", description="IEEE-754 units as threshold-gate (spiking) networks")
    p.add_argument("--version", action="version", version=f"spikefp {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="build, simulate and check the gates and integer blocks; print counts")
    d.add_argument("--vectors", type=int, default=10_000, help="random vectors per block (default 10000)")
    d.set_defaults(func=cmd_demo)
    sub.add_parser("blocks", help="list the integer blocks").set_defaults(func=cmd_blocks)
    sub.add_parser("profiles", help="list the gate profiles").set_defaults(func=cmd_profiles)
    b = sub.add_parser("block", help="neuron/synapse/depth counts of one integer block")
    b.add_argument("name")
    b.add_argument("--width", type=int, required=True)
    b.add_argument("--profile", default="default")
    b.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    b.add_argument("--json", action="store_true", help="print JSON (keys neurons synapses depth max_fanin max_weight)")
    b.set_defaults(func=cmd_block)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CLIError as e:
        print(f"spikefp: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
