"""The ``spikefp`` command line.

    spikefp list                       operations, formats, rounding modes, profiles
    spikefp stats UNIT                 neurons, synapses, depth, max fan-in, max |weight| of a unit
    spikefp eval UNIT                  TestFloat-style lines on stdin -> operands, result, flags
    spikefp gen UNIT -o DIR            Verilog module and JSON manifest (--pipeline N, --backend)
    spikefp export UNIT --nir FILE     the unit's network in NIR (read back with nir.read)
    spikefp map UNIT --target T        place a unit on Loihi-style cores: cores, latency, energy
    spikefp demo                       build, simulate and check the gate library and integer blocks
    spikefp blocks                     list the integer blocks and their parameters
    spikefp block NAME --width N       counts of one block (--profile P, --param k=v, --json)
    spikefp profiles                   list the gate profiles

UNIT is ``<format>.<operation>``, e.g. ``fp32.add``; ``--rm`` picks the rounding mode
(rne rtz rdn rup rmm), ``--dynamic`` builds the unit with an ``rm`` input port instead.
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
    if v.lower() in ("true", "false"):
        return k, v.lower() == "true"
    return k, int(v) if v.lstrip("-").isdigit() else v


def _unit(args):
    from .generators.units import unit
    try:
        u = unit(args.unit, rm=args.rm, dynamic=args.dynamic, profile=args.profile,
                 **dict(_parse_param(p) for p in args.param))
        u.netlist                  # build now: impossible parameter sets fail here, cleanly
        return u
    except ValueError as e:
        raise CLIError(str(e)) from None


def cmd_list(args) -> int:
    from .generators.fpformat import FORMATS, INT_FORMATS, ROUNDING_MODES
    from .hdl import PROFILES
    from .generators.units import OPERATIONS, PARAMS
    print("operations: " + " ".join(OPERATIONS) + " to_<format> (conversions)")
    print("formats:    " + " ".join(FORMATS) + "  (and any e<E>m<M>, E 2..11, M 1..52)")
    print("rounding:   " + " ".join(ROUNDING_MODES) + "  (static, or --dynamic: rm port, codes 0-4; 5-7 give NV)")
    print("profiles:   " + " ".join(PROFILES))
    print("integers:   " + " ".join(INT_FORMATS) + "  (conversion operands and results, two's-complement hex)")
    print("units:      <format>.<operation>, e.g. fp32.add, fp8e4m3.mul, e6m9.fma, fp16.lt, fp32.to_fp16, i32.to_fp64")
    print("            eq lt le min max classify and exact conversions never round: no --rm/--dynamic")
    for op, params in PARAMS.items():
        print(f"  {op:4s} parameters: " + ", ".join(f"{k}={'|'.join(map(str, v))}" for k, v in params.items()))
    return 0


def cmd_stats(args) -> int:
    u = _unit(args)
    stats = u.stats()
    if args.json:
        print(json.dumps(stats, sort_keys=True))
    else:
        print(f"{u.name} ({u.mode}, profile {u.profile.name}): module {u.module_name}")
        for k, v in stats.items():
            print(f"  {k:11s} {v}")
    return 0


def cmd_gen(args) -> int:
    from .hdl.rtl import write
    u = _unit(args)
    try:
        v, j = write(u, args.output, args.pipeline, args.backend)
    except (ValueError, OSError) as e:
        raise CLIError(str(e)) from None
    print(v)
    print(j)
    return 0


def cmd_export(args) -> int:
    from .neuro.nir_export import write_nir
    u = _unit(args)
    try:
        write_nir(u.netlist, args.nir)
    except OSError as e:
        raise CLIError(f"cannot write {args.nir}: {e}") from None
    s = u.stats()
    print(f"{args.nir}: {u.name} ({u.mode}) as NIR, {s['neurons']} neurons in {s['depth']} levels "
          f"(settle semantics: outputs valid after {s['depth']} timesteps)")
    return 0


def cmd_map(args) -> int:
    from .neuro.mapping import MappingError, map_netlist
    from .neuro.targets import TargetError, get_target
    try:
        target = get_target(args.target)
    except TargetError as e:
        raise CLIError(str(e)) from None
    u = _unit(args)
    try:
        m = map_netlist(u.netlist, target, args.mode, vectors=args.vectors, seed=args.seed, name=u.name)
    except MappingError as e:
        raise CLIError(str(e)) from None
    s = m.summary()
    if args.output and s["mismatches"] == 0:       # a mapping that fails its check is not written
        try:
            m.save(args.output, s)
        except OSError as e:
            raise CLIError(f"cannot write {args.output}: {e}") from None
    print(json.dumps(s, sort_keys=True) if args.json else m.report(s))
    return 0 if s["mismatches"] == 0 else 1


def cmd_verify(args) -> int:
    from .verify import rtl_sim, vectors
    u = _unit(args)
    if args.n < 1:
        raise CLIError(f"--n must be >= 1, got {args.n}")
    every = u.operand_bits * u.arity <= 16 and args.n >= 1 << (u.operand_bits * u.arity)
    v = vectors.exhaustive_for(u) if every else vectors.for_unit(u, args.n, seed=args.seed)
    n = len(v["a"])
    kind = "every operand tuple" if every else "specials, boundary, random"
    print(f"{u.name} ({u.mode}), pipeline {args.pipeline}, {args.sim}: "
          f"{n:,} vectors ({kind}); building and simulating...", file=sys.stderr, flush=True)
    try:
        r = rtl_sim.run(u, args.sim, v, pipeline=args.pipeline)
    except (ValueError, rtl_sim.SimulatorMissing) as e:
        raise CLIError(str(e)) from None
    print(r)
    print(f"JUnit XML: {r.results_xml}")
    return 0 if r.mismatches == 0 else 1


def cmd_eval(args) -> int:
    from .evaluate import EvalError, evaluate_lines
    u = _unit(args)
    try:
        evaluate_lines(u, sys.stdin, sys.stdout, rm=args.rm, engine=args.engine)
    except EvalError as e:
        raise CLIError(str(e)) from None
    return 0


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
    sub.add_parser("list", help="operations, formats, rounding modes, profiles").set_defaults(func=cmd_list)

    def unit_args(q):
        q.add_argument("unit", help="<format>.<operation>, e.g. fp32.add")
        q.add_argument("--rm", default="rne", help="rounding mode: rne rtz rdn rup rmm (default rne)")
        q.add_argument("--dynamic", action="store_true", help="build the unit with an rm input port")
        q.add_argument("--profile", default="default", help="gate profile (default, loihi)")
        q.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="generator parameter, e.g. saturate=true, counter=parallel")

    st = sub.add_parser("stats", help="neuron, synapse, depth, fan-in and weight counts of a unit")
    unit_args(st)
    st.add_argument("--json", action="store_true", help="JSON with keys neurons synapses depth max_fanin max_weight")
    st.set_defaults(func=cmd_stats)
    gn = sub.add_parser("gen", help="write a unit's Verilog module and JSON manifest")
    unit_args(gn)
    gn.add_argument("--pipeline", type=int, default=0, help="register stages (latency in cycles, default 0)")
    gn.add_argument("--backend", choices=("netlist", "amaranth"), default="netlist",
                    help="Verilog writer: netlist (default; one statement per neuron, fastest to simulate) "
                         "or amaranth (the Amaranth component through Yosys); proved equivalent")
    gn.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    gn.set_defaults(func=cmd_gen)
    ex = sub.add_parser("export", help="write a unit's network as NIR (Neuromorphic Intermediate Representation)")
    unit_args(ex)
    ex.add_argument("--nir", required=True, metavar="FILE", help="output NIR (HDF5) file")
    ex.set_defaults(func=cmd_export)
    mp = sub.add_parser("map", help="map a unit onto Loihi-style cores; check it time-stepped; latency and energy")
    unit_args(mp)
    mp.add_argument("--target", required=True, metavar="T", help="loihi1, loihi2 or a target .json file")
    mp.add_argument("--mode", choices=("settle", "wavefront"), default="settle",
                    help="settle: inputs held, one operation per depth timesteps (default); "
                         "wavefront: paths balanced with relays, one operation per timestep")
    mp.add_argument("--json", action="store_true", help="print the summary as JSON")
    mp.add_argument("-o", "--output", metavar="FILE", help="write the mapping (neuron -> core, core -> tile, summary) as JSON")
    mp.add_argument("--vectors", type=int, default=10_000, help="random operations simulated and checked (default 10000)")
    mp.add_argument("--seed", type=int, default=0, help="seed of the random operations (default 0)")
    mp.set_defaults(func=cmd_map)
    ev = sub.add_parser("eval", help="evaluate TestFloat-style hex lines from stdin")
    unit_args(ev)
    ev.add_argument("--engine", default="pysim", choices=["pysim", "icarus", "verilator"],
                    help="exact engine (default) or RTL simulation through cocotb")
    vf = sub.add_parser("verify", help="cocotb regression of one unit's RTL against the reference and the exact engine")
    unit_args(vf)
    vf.add_argument("--sim", default="verilator", choices=["icarus", "verilator"])
    vf.add_argument("--n", type=int, default=20_000, help="vectors beyond the specials (a unit with at most 2^16 operand tuples, "
                    "e.g. fp8 div or fp16 sqrt: N >= their number runs them all)")
    vf.add_argument("--pipeline", type=int, default=0)
    vf.add_argument("--seed", type=int, default=0)
    vf.set_defaults(func=cmd_verify)
    ev.set_defaults(func=cmd_eval)
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
