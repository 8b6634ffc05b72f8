"""The ``spikefp`` command line.

    spikefp list                       operations, formats, rounding modes, profiles (--json)
    spikefp stats UNIT...              neurons, synapses, depth, max fan-in, max |weight| of units
    spikefp eval UNIT                  TestFloat-style lines on stdin -> operands, result, flags
    spikefp gen UNIT -o DIR            Verilog module and JSON manifest (--pipeline N, --backend)
    spikefp export UNIT --nir FILE     the unit's network in NIR (read back with nir.read)
    spikefp map UNIT --target T        place a unit on Loihi-style cores: cores, latency, energy
    spikefp verify UNIT                cocotb regression of one unit's RTL (--engine, --vectors)
    spikefp regress ...                the RTL regression (`spikefp regress --help`)
    spikefp campaign UNIT...           exhaustive or random campaigns in shards, local or on Dask (--resume DIR)
    spikefp synth UNIT...              iCE40 LUT4/carry/FF/RAM/DSP counts, fit and Fmax (Yosys, nextpnr)
    spikefp board UNIT -o DIR          the unit behind a UART on an FPGA board: Verilog, pins, bitstream
    spikefp report [UNIT...]           a paper's table (--format md|csv|latex|json, --plot DIR, --energy, --fpga)
    spikefp robustness UNIT            unit and gate error rates under neuron dynamics, measured and predicted
    spikefp demo                       build, simulate and check the gate library and integer blocks
    spikefp blocks                     list the integer blocks and their parameters
    spikefp block NAME --width N       counts of one block (--profile P, --param k=v, --json)
    spikefp profiles                   list the gate profiles

UNIT is ``<format>.<operation>``, e.g. ``fp32.add``; ``--rm`` picks the rounding mode
(rne rtz rdn rup rmm), ``--dynamic`` builds the unit with an ``rm`` input port instead.

Every argument is checked before any work starts, and every failure a user can cause ends
in one line ``spikefp: error: ...`` and exit status 2, never a traceback (`EXIT_STATUS`).

>>> main(["stats", "fp16.add", "--json"])
{"depth": 21, "max_fanin": 17, "max_weight": 128, "neurons": 524, "synapses": 2756}
0
>>> main(["demo", "--vectors", "0"])
2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading

from . import __version__
from .evaluate import excerpt as _excerpt

__all__ = ["main", "EXIT_STATUS"]

EXIT_STATUS = """exit status:
  0    done, and every check passed
  1    a check found mismatches (or, for synth, a unit does not fit the device)
  2    bad input or usage: one line `spikefp: error: ...` on stderr
  130  interrupted (Ctrl-C)
  141  the reader of stdout went away (e.g. `| head`): stops quietly
progress bars go to stderr when it is a terminal; --quiet silences them"""


class CLIError(Exception):
    """A user error: printed as ``spikefp: error: ...`` with exit status 2."""


def _parse_param(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise CLIError(f"--param expects NAME=VALUE, got {_excerpt(text)!r}")
    k, v = text.split("=", 1)
    if v.lower() in ("true", "false"):
        return k, v.lower() == "true"
    return k, int(v) if v.lstrip("-").isdigit() else v


def _at_least(low: int, what: str):
    """An argparse type: a decimal integer >= ``low`` (refused while parsing, before any work)."""
    def parse(text: str) -> int:
        try:
            if not text.strip().lstrip("+-").isascii():
                raise ValueError
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {_excerpt(text)!r}") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"must be {what}, got {v}")
        return v
    parse.__name__ = what          # argparse names the type in some messages
    return parse


_count = _at_least(1, "a positive integer")


def _odd(text: str) -> int:
    """An argparse type: an odd positive integer (the robust build's scale and replicas)."""
    v = _count(text)
    if v % 2 == 0:
        raise argparse.ArgumentTypeError(f"must be odd (a vote or a boundary needs no ties), got {v}")
    return v


_seed = _at_least(0, "a non-negative integer")
_stages = _at_least(0, "a non-negative integer")


def _unit(args, name: str | None = None):
    from .generators.units import unit
    try:
        u = unit(name or args.unit, rm=args.rm, dynamic=args.dynamic, profile=args.profile,
                 scale=args.scale, replicas=args.replicas, **dict(_parse_param(p) for p in args.param))
        u.netlist                  # build now: impossible parameter sets fail here, cleanly
        return u
    except ValueError as e:
        raise CLIError(str(e)) from None


def _default_first(param: dict) -> list:
    """The choices, the default first; a long run of integers as ``lo..hi`` (dot's n=4|1..256)."""
    c = param["choices"]
    if len(c) > 8 and all(type(v) is int for v in c) and c == list(range(c[0], c[-1] + 1)):
        return [param["default"], f"{c[0]}..{c[-1]}"]
    return [param["default"]] + [v for v in c if v != param["default"]]


def _check_pipeline(u, stages: int) -> None:
    """Register stages beyond the unit's depth only add empty stages (and megabytes of Verilog)."""
    depth = u.stats()["depth"]
    if stages > depth:
        raise CLIError(f"--pipeline {stages} is more than {u.name}'s depth {depth} (allowed: 0..{depth})")


def _check_output_file(path: str, option: str) -> None:
    """Refuse an output file that cannot be written, before the work that produces it."""
    if os.path.isdir(path):
        raise CLIError(f"{option} {_excerpt(path, 60)}: is a directory")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CLIError(f"{option} {_excerpt(path, 60)}: no directory {_excerpt(folder, 60)}")
    if not os.access(folder, os.W_OK):
        raise CLIError(f"{option} {_excerpt(path, 60)}: directory {_excerpt(folder, 60)} is not writable")


def _check_output_dir(path: str, option: str) -> None:
    """An output folder: an existing writable folder, or one that can be created."""
    here = os.path.abspath(path)
    while not os.path.exists(here):
        here = os.path.dirname(here)
    if not os.path.isdir(here):
        raise CLIError(f"{option} {_excerpt(path, 60)}: {_excerpt(here, 60)} is not a directory")
    if not os.access(here, os.W_OK):
        raise CLIError(f"{option} {_excerpt(path, 60)}: directory {_excerpt(here, 60)} is not writable")


def _rtl_failed(e: BaseException, engine: str) -> CLIError:
    """A simulator build or run that failed: one line naming the simulator and the reason."""
    import subprocess
    if isinstance(e, subprocess.CalledProcessError):
        return CLIError(f"{engine} failed (exit {e.returncode}) running {os.path.basename(str(e.cmd[0]))}; "
                        "its log is in the build folder under the spikefp cache")
    return CLIError(f"{engine}: {str(e).splitlines()[0] if str(e) else type(e).__name__}")


def cmd_list(args) -> int:
    from .generators.registry import catalog, show
    c = catalog()
    if args.json:
        print(json.dumps(c, indent=1))
        return 0
    print("units: <format>.<operation>, e.g. fp32.add, fp8e4m3.mul, e6m9.fma, fp16.lt, fp32.to_fp16, i32.to_fp64")
    print("operations (parameters: --param NAME=VALUE, the default first; exact: no --rm/--dynamic):")
    for op in c["operations"]:
        w = op["result_width"]
        result = f"{w} bit{'s' * (w != 1)}" if isinstance(w, int) else w
        rounds = {True: "rounds", False: "exact"}.get(op["rounds"], op["rounds"])
        params = "  ".join(p["name"] + "=" + "|".join(show(v) for v in _default_first(p))
                           + (f" ({p['applies_to']})" if "applies_to" in p else "") for p in op["params"])
        params = f"  [{params}]" if params else ""
        print(f"  {op['name']:12s} {op['arity']} in, {result:7s} {rounds:7s} {op['doc']}{params}")
    print("formats:    " + " ".join(c["formats"]) + "  (and any e<E>m<M>, E 2..11, M 1..52)")
    print("integers:   " + " ".join(c["integer_formats"]) + "  (conversion operands and results, two's-complement hex)")
    print("rounding:   " + " ".join(c["rounding_modes"]) + "  (static, or --dynamic: rm port, codes 0-4; 5-7 give NV)")
    print("profiles:   " + " ".join(c["profiles"]))
    return 0


def cmd_stats(args) -> int:
    units = [_unit(args, name) for name in args.unit]
    if args.json:
        stats = {u.name: u.stats() for u in units}
        print(json.dumps(stats[units[0].name] if len(units) == 1 else stats, sort_keys=True))
        return 0
    for u in units:
        print(f"{u.name} ({u.mode}, profile {u.profile.name}): module {u.module_name}")
        for k, v in u.stats().items():
            print(f"  {k:11s} {v}")
    return 0


def cmd_gen(args) -> int:
    from .hdl.rtl import write
    _check_output_dir(args.output, "-o")
    u = _unit(args)
    _check_pipeline(u, args.pipeline)
    try:
        v, j = write(u, args.output, args.pipeline, args.backend)
    except ValueError as e:
        raise CLIError(str(e)) from None
    print(v)
    print(j)
    return 0


def cmd_export(args) -> int:
    from .neuro.nir_export import write_nir
    _check_output_file(args.nir, "--nir")
    u = _unit(args)
    write_nir(u.netlist, args.nir)
    s = u.stats()
    print(f"{args.nir}: {u.name} ({u.mode}) as NIR, {s['neurons']} neurons in {s['depth']} levels "
          f"(settle semantics: outputs valid after {s['depth']} timesteps)")
    return 0


def cmd_map(args) -> int:
    from .neuro.mapping import MappingError, map_netlist
    from .neuro.targets import PRESETS, TargetError, get_target
    if args.target_template:
        print(PRESETS["loihi2"].to_json())
        return 0
    if args.unit is None or args.target is None:
        raise CLIError("map needs a UNIT and --target (or --target-template alone)")
    try:
        target = get_target(args.target)
    except TargetError as e:
        raise CLIError(str(e)) from None
    if args.output:
        _check_output_file(args.output, "-o")
    u = _unit(args)
    try:
        m = map_netlist(u.netlist, target, args.mode, vectors=args.vectors, seed=args.seed, name=u.name)
    except MappingError as e:
        raise CLIError(str(e)) from None
    s = m.summary()
    if args.output and s["mismatches"] == 0:       # a mapping that fails its check is not written
        m.save(args.output, s)
    print(json.dumps(s, sort_keys=True) if args.json else m.report(s))
    return 0 if s["mismatches"] == 0 else 1


def cmd_verify(args) -> int:
    import subprocess

    from .verify import rtl_sim, vectors
    u = _unit(args)
    _check_pipeline(u, args.pipeline)
    every = u.operand_bits * u.arity <= 16 and args.vectors >= 1 << (u.operand_bits * u.arity)
    v = vectors.exhaustive_for(u) if every else vectors.for_unit(u, args.vectors, seed=args.seed)
    n = len(v[u.operands[0]])
    kind = "every operand tuple" if every else "specials, boundary, random"
    print(f"{u.name} ({u.mode}), pipeline {args.pipeline}, {args.engine}: "
          f"{n:,} vectors ({kind}); building and simulating...", file=sys.stderr, flush=True)
    try:
        r = rtl_sim.run(u, args.engine, v, pipeline=args.pipeline, backend=args.backend)
    except (ValueError, rtl_sim.ToolMissing) as e:
        raise CLIError(str(e)) from None
    except (RuntimeError, subprocess.CalledProcessError, SystemExit) as e:
        raise _rtl_failed(e, args.engine) from None
    print(r)
    print(f"JUnit XML: {r.results_xml}")
    return 0 if r.mismatches == 0 else 1


def cmd_synth(args) -> int:
    from .fpga.synth import synth
    from .verify.tools import ToolError
    if not 0 < args.freq <= 1000:
        raise CLIError(f"--freq {args.freq:g}: a clock in MHz, above 0 and at most 1000")
    units = [_unit(args, name) for name in args.unit]
    for u in units:
        _check_pipeline(u, args.pipeline)
    reports = []
    for u in units:
        try:
            r = synth(u, args.target, args.pipeline, args.backend, freq_mhz=args.freq)
        except (ValueError, ToolError) as e:
            raise CLIError(str(e)) from None
        reports.append(r)
        if not args.json:
            print(r, flush=True)
        elif not r.fits:
            print(f"{u.name} does not fit {args.target}: {r.reason}", file=sys.stderr)
    if args.json:
        rows = [r.as_dict() for r in reports]
        print(json.dumps(rows[0] if len(rows) == 1 else rows, sort_keys=True))
    return 0 if all(r.fits for r in reports) else 1


def cmd_board(args) -> int:
    from .fpga.board import SETTLE, build
    from .fpga.boards import get_board
    from .verify.tools import ToolError
    _check_output_dir(args.output, "-o")
    u = _unit(args)
    _check_pipeline(u, args.pipeline)
    try:
        b = build(u, get_board(args.board), args.output, args.baud, args.pipeline, args.backend)
    except (ValueError, ToolError) as e:
        raise CLIError(str(e)) from None
    print(b)
    if b.fmax_mhz is not None and b.fmax_mhz < b.clock_mhz:
        if args.pipeline == 0 and (SETTLE + 2) * b.fmax_mhz >= b.clock_mhz:
            # The slow paths run through the unit, whose inputs are held SETTLE + 2 cycles before
            # its outputs are read (spikefp.fpga.board): multicycle paths nextpnr times as one cycle.
            print(f"spikefp: note: Fmax {b.fmax_mhz:.1f} MHz is below the {b.clock_mhz:g} MHz clock on the unit's "
                  f"paths, which the wrapper gives {SETTLE + 2} cycles; --pipeline N meets it in one cycle",
                  file=sys.stderr)
        else:
            print(f"spikefp: warning: Fmax {b.fmax_mhz:.1f} MHz is below the {b.clock_mhz:g} MHz clock: results "
                  f"may be wrong; try more --pipeline stages", file=sys.stderr)
    for f in b.files:
        print(f)
    return 0


def cmd_regress(args) -> int:
    from .verify import regress
    try:
        return regress.run(args)
    except (ValueError, regress.rtl_sim.ToolMissing) as e:
        raise CLIError(str(e)) from None


def cmd_campaign(args) -> int:
    from .verify import campaign
    args.params = dict(_parse_param(p) for p in args.param)
    try:
        return campaign.run_args(args)
    except ValueError as e:
        raise CLIError(str(e)) from None


def cmd_eval(args) -> int:
    import subprocess

    from .evaluate import EvalError, evaluate_lines
    from .fpga.host import Board, BoardTimeout, open_serial
    if (args.engine == "board") != (args.port is not None):
        raise CLIError("--engine board needs --port DEVICE (the board's serial port), and --port needs --engine board")
    u = _unit(args)
    engine = args.engine
    if engine == "board":               # a board programmed by `spikefp board` with this unit
        import termios
        try:
            engine = Board(open_serial(args.port, args.baud), u, args.baud)
        except (ValueError, termios.error) as e:
            raise CLIError(f"--port {_excerpt(args.port, 60)}: {e.args[-1] if e.args else e}") from None
    try:
        evaluate_lines(u, sys.stdin, sys.stdout, rm=args.rm, engine=engine)
    except EvalError as e:
        raise CLIError(str(e)) from None
    except BoardTimeout as e:
        raise CLIError(f"board on {args.port}: {e}") from None
    except UnicodeDecodeError as e:
        raise CLIError(f"stdin is not text (byte {e.start}: {e.reason}); eval reads ASCII hex lines") from None
    except (RuntimeError, subprocess.CalledProcessError, SystemExit) as e:
        raise _rtl_failed(e, args.engine) from None
    return 0


def _floats(low: float, high: float | None, what: str):
    """An argparse type: a comma-separated list of numbers in ``[low, high]``."""
    def parse(text: str) -> list[float]:
        values = []
        for item in text.split(","):
            try:
                v = float(item)
                if not item.strip().isascii() or v != v or v in (float("inf"), float("-inf")):
                    raise ValueError
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {_excerpt(text)!r}") from None
            if v < low or high is not None and v > high:
                raise argparse.ArgumentTypeError(f"each value must be {what}, got {item.strip()}")
            values.append(v)
        return values
    parse.__name__ = what
    return parse


def _plot(path: str, unit: str, model: dict, points: list[dict]) -> None:
    """Unit error rate (measured and predicted) against the first swept variable; atomic write."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = ("sigma", "delta", "beta")
    x = next((k for k in names if len({p[k] for p in points}) > 1), "sigma")
    others = [k for k in names if k != x]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key in dict.fromkeys(tuple(p[k] for k in others) for p in points):
        pts = [p for p in points if tuple(p[k] for k in others) == key]
        label = ", ".join(f"{k}={v:g}" for k, v in zip(others, key))
        line, = ax.plot([p[x] for p in pts], [p["unit_error_rate"] for p in pts], "o-", label=f"measured ({label})")
        ax.plot([p[x] for p in pts], [p["predicted_unit_error_rate"] for p in pts], "--",
                color=line.get_color(), label=f"predicted ({label})")
    ax.set_xlabel(x)
    ax.set_ylabel("unit error rate")
    ax.set_yscale("symlog", linthresh=1e-4)
    ax.set_title(f"{unit}: {model['noise']} noise, {model['timing']} timing, {points[0]['trials']:,} trials/point",
                 fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    from .hdl.netlist import atomic_write
    try:
        atomic_write(path, lambda f: fig.savefig(f, format=os.path.splitext(path)[1][1:].lower()))
    finally:
        plt.close(fig)


def cmd_robustness(args) -> int:
    from .pysim.robustness import study
    if args.plot:
        _check_output_file(args.plot, "--plot")
        if os.path.splitext(args.plot)[1].lower() not in (".png", ".svg", ".pdf"):
            raise CLIError(f"--plot {_excerpt(args.plot, 60)}: the name must end in .png, .svg or .pdf")
    from .hdl.harden import bits
    u = _unit(args)
    net = u.netlist
    try:
        points = study(net, sigmas=args.sigma, deltas=args.delta, betas=args.beta, noise=args.noise,
                       timing=args.timing, trials=args.trials, seed=args.seed, vectors=args.vectors)
    except ValueError as e:
        raise CLIError(str(e)) from None
    keys = ("sigma", "delta", "beta", "trials", "unit_error_rate", "gate_error_rate", "predicted_unit_error_rate")
    rows = [{k: p._asdict()[k] for k in keys} for p in points]
    model = {"noise": args.noise, "timing": args.timing, "neurons": points[0].neurons, "seed": args.seed,
             "scale": args.scale, "replicas": args.replicas, "weight_bits": bits(net).weight_bits,
             "inputs": "uniform random bit patterns per operand port" + (", rm uniform 0..4" if u.dynamic else ""),
             "prediction": f"analytic, single-fault observability on the first {-(-args.vectors // 64) * 64} "
                           "input vectors"}
    if args.plot:
        _plot(args.plot, u.name, model, rows)
    if args.json:
        print(json.dumps({"unit": u.name, "model": model, "points": rows}))
        return 0
    robust = f", scale {args.scale}, replicas {args.replicas}" if args.scale > 1 or args.replicas > 1 else ""
    print(f"{u.name} ({u.mode}{robust}): {model['noise']} noise, {model['timing']} timing, {model['neurons']} neurons "
          f"simulated, {model['weight_bits']}-bit weights; inputs: {model['inputs']} (seed {args.seed}); prediction: {model['prediction']}")
    print(f"{'sigma':>7s} {'delta':>7s} {'beta':>6s} {'trials':>9s} {'unit err':>10s} {'predicted':>10s} {'gate err':>10s}")
    for r in rows:
        print(f"{r['sigma']:7.4g} {r['delta']:7.4g} {r['beta']:6.4g} {r['trials']:9d} {r['unit_error_rate']:10.4g} "
              f"{r['predicted_unit_error_rate']:10.4g} {r['gate_error_rate']:10.3g}")
    return 0


def cmd_report(args) -> int:
    from .hdl.netlist import atomic_write
    from .report import Settings, column_keys, comma_list, measure, plot, render, unit_names
    from .verify.tools import ToolError
    if args.output:
        _check_output_file(args.output, "-o")
    if args.plot:
        _check_output_dir(args.plot, "--plot")
    settings = Settings(seed=args.seed, vectors=args.vectors, target=args.target, energy=args.energy,
                        mode=args.mode, fpga=args.fpga, device=args.device)
    try:
        keys = column_keys(settings)             # a bad target fails before any unit is built
        wanted = comma_list(args.columns, "--columns") if args.columns else keys
        unknown = [k for k in wanted if k not in keys]
        if unknown:
            from dataclasses import replace
            needs = next((f" (it needs {o})" for o, kw in (("--energy", {"energy": True}), ("--fpga", {"fpga": True}))
                          if unknown[0] in column_keys(replace(settings, **kw))), "")
            raise CLIError(f"--columns: no column {_excerpt(unknown[0])!r}{needs}; columns: {' '.join(keys)}")
        units = [_unit(args, name) for name in unit_names(args.unit, args.formats, args.ops)]
        report = measure(units, settings)
    except (ValueError, ToolError) as e:
        raise CLIError(str(e)) from None
    if report.meta.get("mapping_mismatches"):
        print(f"spikefp: {report.meta['mapping_mismatches']} mismatches in the mappings' checks; "
              "nothing written (`spikefp map UNIT` names the unit)", file=sys.stderr)
        return 1
    text = render(report.select(wanted), args.format)
    if args.plot:
        for path in plot(report, args.plot):
            print(f"wrote {path}", file=sys.stderr)
    if args.output:
        atomic_write(args.output, text)
    else:
        sys.stdout.write(text)
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
        raise CLIError(f"unknown block {_excerpt(args.name)!r}; blocks: {', '.join(BLOCKS)}")
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


class _Parser(argparse.ArgumentParser):
    """argparse with the one-line error of every other spikefp failure (exit status 2)."""

    def error(self, message):
        if len(message) > 160 and " (choose from " in message:      # a long list: --help shows the choices
            message = message.split(" (choose from ")[0]
        self.exit(2, f"spikefp: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="spikefp", description="IEEE-754 units as threshold-gate (spiking) networks",
                epilog=EXIT_STATUS, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"spikefp {__version__}")
    # --quiet is accepted before the command and after it (SUPPRESS: the subcommand's
    # default must not overwrite a --quiet given before it).
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars on stderr")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no progress bars on stderr")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name, **kw):
        return sub.add_parser(name, parents=[common], epilog=EXIT_STATUS,
                              formatter_class=argparse.RawDescriptionHelpFormatter, **kw)

    ls = command("list", help="operations, formats, rounding modes, profiles")
    ls.add_argument("--json", action="store_true", help="one JSON object: operations (arity, rounding, result "
                    "width, parameters with choices and defaults), formats, integer formats, rounding modes, profiles")
    ls.set_defaults(func=cmd_list)

    def unit_args(q, nargs=None):
        q.add_argument("unit", nargs=nargs, help="<format>.<operation>, e.g. fp32.add")
        q.add_argument("--rm", default="rne", help="rounding mode: rne rtz rdn rup rmm (default rne)")
        q.add_argument("--dynamic", action="store_true", help="build the unit with an rm input port")
        q.add_argument("--profile", default="default", help="gate profile (default, loihi)")
        q.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="generator parameter, e.g. saturate=true, counter=parallel")
        q.add_argument("--scale", type=_odd, default=1, metavar="K",
                       help="robust build: weights x K, every boundary K/2 from the sums (odd K; no extra neuron)")
        q.add_argument("--replicas", type=_odd, default=1, metavar="R",
                       help="robust build: R copies of every neuron, read as a vote (odd R)")

    st = command("stats", help="neuron, synapse, depth, fan-in and weight counts of units")
    unit_args(st, nargs="+")
    st.add_argument("--json", action="store_true", help="JSON with keys neurons synapses depth max_fanin "
                    "max_weight (an object keyed by unit when several are given)")
    st.set_defaults(func=cmd_stats)
    gn = command("gen", help="write a unit's Verilog module and JSON manifest")
    unit_args(gn)
    gn.add_argument("--pipeline", type=_stages, default=0, help="register stages (latency in cycles, 0 up to "
                    "the unit's depth; default 0)")
    gn.add_argument("--backend", choices=("netlist", "lut", "amaranth"), default="netlist",
                    help="Verilog writer: netlist (default; one statement per neuron, fastest to simulate), "
                         "lut (each neuron as its decision diagram: small after FPGA synthesis) "
                         "or amaranth (the Amaranth component through Yosys); proved equivalent")
    gn.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    gn.set_defaults(func=cmd_gen)
    ex = command("export", help="write a unit's network as NIR (Neuromorphic Intermediate Representation)")
    unit_args(ex)
    ex.add_argument("--nir", required=True, metavar="FILE", help="output NIR (HDF5) file")
    ex.set_defaults(func=cmd_export)
    mp = command("map", help="map a unit onto Loihi-style cores; check it time-stepped; latency and energy")
    unit_args(mp, nargs="?")
    mp.add_argument("--target", metavar="T", help="loihi1, loihi2 or a target .json file")
    mp.add_argument("--target-template", action="store_true",
                    help="print a target .json file to start from (the loihi2 preset) and exit")
    mp.add_argument("--mode", choices=("settle", "wavefront"), default="settle",
                    help="settle: inputs held, one operation per depth timesteps (default); "
                         "wavefront: paths balanced with relays, one operation per timestep")
    mp.add_argument("--json", action="store_true", help="print the summary as JSON")
    mp.add_argument("-o", "--output", metavar="FILE", help="write the mapping (neuron -> core, core -> tile, summary) as JSON")
    mp.add_argument("--vectors", type=_count, default=10_000, help="random operations simulated and checked (default 10000)")
    mp.add_argument("--seed", type=_seed, default=0, help="seed of the random operations (default 0)")
    mp.set_defaults(func=cmd_map)
    ev = command("eval", help="evaluate TestFloat-style hex lines from stdin")
    unit_args(ev)
    ev.add_argument("--engine", default="pysim", choices=["pysim", "icarus", "verilator", "board"],
                    help="exact engine (default), RTL simulation through cocotb, or an FPGA board over its "
                         "serial port (programmed by `spikefp board`; with --port)")
    ev.add_argument("--port", metavar="DEVICE", help="the board's serial port, e.g. /dev/ttyUSB1 (--engine board)")
    ev.add_argument("--baud", type=int, default=115_200, help="the board's UART rate (default 115200)")
    ev.set_defaults(func=cmd_eval)
    vf = command("verify", help="cocotb regression of one unit's RTL against the reference and the exact engine")
    unit_args(vf)
    vf.add_argument("--engine", default="verilator", choices=["icarus", "verilator"],
                    help="RTL simulator (default verilator)")
    vf.add_argument("--vectors", type=_count, default=20_000, help="vectors beyond the specials (a unit with at "
                    "most 2^16 operand tuples, e.g. fp8 div or fp16 sqrt: N >= their number runs them all)")
    vf.add_argument("--pipeline", type=_stages, default=0, help="register stages (0 up to the unit's depth)")
    vf.add_argument("--seed", type=_seed, default=0)
    vf.add_argument("--backend", choices=("netlist", "lut", "amaranth"), default="netlist",
                    help="Verilog writer under test (as in spikefp gen; default netlist)")
    vf.set_defaults(func=cmd_verify)
    def fpga_args(q):
        """The unit's Verilog on an FPGA: register stages and the writer (LUT style by default)."""
        q.add_argument("--pipeline", type=_stages, default=0, help="register stages (0 up to the unit's depth)")
        q.add_argument("--backend", choices=("lut", "netlist", "amaranth"), default="lut",
                       help="Verilog writer of the unit (default lut: each neuron as its decision diagram)")

    sy = command("synth", help="iCE40 synthesis (Yosys) and place-and-route (nextpnr): cells, fit, Fmax")
    unit_args(sy, nargs="+")
    sy.add_argument("--target", default="ice40-hx8k", choices=("ice40-up5k", "ice40-hx8k"),
                    help="device (default ice40-hx8k)")
    fpga_args(sy)
    sy.add_argument("--freq", type=float, default=12.0, help="target clock for placement in MHz (default 12, "
                    "the boards' oscillator); the achieved Fmax is reported either way")
    sy.add_argument("--json", action="store_true", help="JSON with keys luts carries ffs brams dsps fmax_mhz fits "
                    "device placed_cells luts_per_neuron ... (a list when several units are given)")
    sy.set_defaults(func=cmd_synth)
    bd = command("board", help="the unit behind a UART on an FPGA board: Verilog, pin constraints, bitstream "
                 "(Yosys, nextpnr, icepack)")
    unit_args(bd)
    bd.add_argument("--board", default="icebreaker", choices=("icebreaker",), help="board (default icebreaker: "
                    "iCE40 UP5K, 12 MHz, UART on the FTDI's second channel)")
    bd.add_argument("--baud", type=_count, default=115_200, help="UART baud rate (default 115200)")
    fpga_args(bd)
    bd.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    bd.set_defaults(func=cmd_board)
    from .verify.regress import add_arguments as regress_arguments
    rg = command("regress", help="the RTL regression over operations, formats, modes and simulators")
    regress_arguments(rg)
    rg.set_defaults(func=cmd_regress)
    from .verify.campaign import add_arguments as campaign_arguments
    cp = command("campaign", help="a unit's operand space in shards through the exact engine against the reference")
    campaign_arguments(cp)
    cp.set_defaults(func=cmd_campaign)
    rb = command("robustness", help="unit and gate error rates of a unit run as leaky, noisy spiking neurons, "
                 "measured (Monte Carlo) and predicted (analytic)")
    unit_args(rb)
    rb.add_argument("--sigma", type=_floats(0, None, "a number >= 0"), default=[0.0], metavar="LIST",
                    help="noise levels, comma-separated (default 0): additive std in weight units, or the relative "
                         "std of each synaptic weight")
    rb.add_argument("--delta", type=_floats(0, None, "a number >= 0"), default=[0.0], metavar="LIST",
                    help="relative std of each neuron's threshold, fixed per trial (default 0)")
    rb.add_argument("--beta", type=_floats(0, 1, "in [0, 1]"), default=[1.0], metavar="LIST",
                    help="membrane leak factor per timestep (default 1: no leak)")
    rb.add_argument("--noise", choices=("additive", "multiplicative"), default="additive",
                    help="additive membrane noise (default) or multiplicative synaptic noise")
    rb.add_argument("--timing", choices=("settle", "wavefront"), default="settle",
                    help="settle: the netlist as built (default); wavefront: paths balanced with relays")
    rb.add_argument("--trials", type=_count, default=10_000, help="trials per point (default 10000)")
    rb.add_argument("--vectors", type=_count, default=2048, help="input vectors of the analytic prediction "
                    "(default 2048)")
    rb.add_argument("--seed", type=_seed, default=0, help="seed of inputs and noise (default 0)")
    rb.add_argument("--json", action="store_true", help="print {unit, model, points: [{sigma, delta, beta, trials, "
                    "unit_error_rate, gate_error_rate, predicted_unit_error_rate}]}")
    rb.add_argument("--plot", metavar="FILE", help="plot unit error rate (measured, predicted) against the swept "
                    "variable (.png, .svg or .pdf)")
    rb.set_defaults(func=cmd_robustness)
    rp = command("report", help="a paper's table of units: counts, Loihi limits, spikes and energy per operation, "
                 "FPGA resources, NEXUS beside; Markdown, CSV, LaTeX or JSON, and plots")
    unit_args(rp, nargs="*")
    from .report import DEFAULT_FORMATS, DEFAULT_OPS
    rp.add_argument("--formats", metavar="LIST", help="formats, comma-separated: the units are these x --ops "
                    f"(default {','.join(DEFAULT_FORMATS)})")
    rp.add_argument("--ops", metavar="LIST", help=f"operations, comma-separated (default {','.join(DEFAULT_OPS)}); "
                    "no UNIT, --formats or --ops: every default format x every default operation")
    rp.add_argument("--format", choices=("md", "csv", "latex", "json"), default="md",
                    help="Markdown (default), CSV, booktabs LaTeX or JSON")
    rp.add_argument("--columns", metavar="LIST", help="the columns to print, comma-separated, in that order "
                    "(default all: unit neurons synapses depth max_fanin max_weight weight_bits threshold_bits "
                    "loihi_weights loihi_thresholds spikes_per_op, energy_nj with --energy, luts carries ffs fmax_mhz "
                    "fits with --fpga, nexus_* where NEXUS has a unit)")
    rp.add_argument("-o", "--output", metavar="FILE", help="write the table to FILE (whole or not at all), "
                    "not stdout")
    rp.add_argument("--plot", metavar="DIR", help="write report_neurons_depth.png/.pdf (and report_energy "
                    "with --energy) into DIR")
    rp.add_argument("--energy", action="store_true", help="map every unit as `spikefp map` does and add its "
                    "energy per operation")
    rp.add_argument("--target", default="loihi2", metavar="T", help="Loihi target of the limits and the energy: "
                    "loihi1, loihi2 (default) or a target .json file")
    rp.add_argument("--mode", choices=("settle", "wavefront"), default="settle",
                    help="timing mode of the --energy mapping (default settle, as `spikefp map`)")
    rp.add_argument("--fpga", action="store_true", help="synthesize, place and route every unit as `spikefp synth` "
                    "(lut Verilog, pipeline 0): LUT4, carry, FF, Fmax, fits")
    rp.add_argument("--device", default="ice40-hx8k", choices=("ice40-up5k", "ice40-hx8k"),
                    help="the FPGA of --fpga (default ice40-hx8k)")
    rp.add_argument("--vectors", type=_count, default=10_000, help="random operations per unit for the spike "
                    "count and the mapping's check (default 10000)")
    rp.add_argument("--seed", type=_seed, default=0, help="seed of the random operations (default 0)")
    rp.set_defaults(func=cmd_report)
    d = command("demo", help="build, simulate and check the gates and integer blocks; print counts")
    d.add_argument("--vectors", type=_count, default=10_000, help="random vectors per block (default 10000)")
    d.set_defaults(func=cmd_demo)
    command("blocks", help="list the integer blocks").set_defaults(func=cmd_blocks)
    command("profiles", help="list the gate profiles").set_defaults(func=cmd_profiles)
    b = command("block", help="neuron/synapse/depth counts of one integer block")
    b.add_argument("name")
    b.add_argument("--width", type=_count, required=True)
    b.add_argument("--profile", default="default")
    b.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    b.add_argument("--json", action="store_true", help="print JSON (keys neurons synapses depth max_fanin max_weight)")
    b.set_defaults(func=cmd_block)
    return p


def _fail(message: str) -> int:
    # One short line whatever a lower layer put in the message (it may quote user input).
    message = " ".join(message.split())
    print(f"spikefp: error: {message if len(message) <= 220 else message[:217] + '...'}", file=sys.stderr)
    return 2


def _terminate_as_interrupt() -> None:
    """SIGTERM (``kill``, a batch system's time limit) ends a command like Ctrl-C: its cleanup
    runs (a campaign's journal is closed, its workers stopped) and the exit status is 130. A
    process forked from this one dies of it as usual."""
    import signal
    if threading.current_thread() is not threading.main_thread():
        return
    pid = os.getpid()

    def handler(signum, frame):
        if os.getpid() != pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def main(argv=None) -> int:
    """Run one command; returns the exit status (`EXIT_STATUS`)."""
    import warnings

    from .hdl.progress import set_quiet
    # A warning (e.g. no C compiler: the numpy engine runs) is one line, like an error.
    warnings.formatwarning = lambda message, *args, **kw: f"spikefp: warning: {message}\n"
    _terminate_as_interrupt()
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as e:       # --help, --version, or a usage error already printed
            return e.code
        if args.quiet:
            set_quiet()
        status = args.func(args)
        sys.stdout.flush()          # a closed pipe shows here, inside the handlers below
        return status
    except CLIError as e:
        return _fail(str(e))
    except KeyboardInterrupt:
        print("spikefp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader left (`| head`): send what is still buffered to /dev/null, so the
        # interpreter's final flush cannot fail again (the Python documentation's recipe).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except MemoryError:
        return _fail("out of memory (an argument or a target figure is too large for this machine)")
    except OSError as e:      # a file the user named: missing, unwritable, disk full, ...
        where = f": {_excerpt(str(e.filename), 60)}" if e.filename else ""
        return _fail(f"{e.strerror or e}{where}")


if __name__ == "__main__":
    sys.exit(main())
