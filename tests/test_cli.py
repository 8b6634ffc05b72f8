"""The command line, run as a user would run it (a subprocess through the console script)."""

import json
import os
import subprocess
import sys

import pytest

from spikefp.generators import BLOCKS

SPIKEFP = [os.path.join(os.path.dirname(sys.executable), "spikefp")]


def run(*args):
    return subprocess.run(SPIKEFP + list(args), capture_output=True, text=True, timeout=300)


def test_demo_prints_counts_table_and_passes():
    r = run("demo", "--vectors", "2000")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "full adder 2 neurons, XOR 2, MUX 2; ripple adder 2 neurons/bit" in out
    mul = BLOCKS["mul"].build(24).stats()
    assert f"24x24 multiplier: {mul['neurons']} neurons, depth {mul['depth']}" in out
    la = BLOCKS["add"].build(24, "loihi").stats()
    assert f"24-bit lookahead adder on the loihi profile: depth {la['depth']}" in out
    assert "all checks passed" in out and "WRONG" not in out


def test_block_json_stats_match_the_library():
    r = run("block", "mul", "--width", "24", "--profile", "loihi", "--param", "counter=parallel", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == BLOCKS["mul"].build(24, "loihi", counter="parallel").stats()


@pytest.mark.parametrize("args, message", [
    (("block", "div", "--width", "8"), "unknown block 'div'; blocks: add, sub"),
    (("block", "add", "--width", "99"), "add: width 99 is out of range 1..64"),
    (("block", "add", "--width", "8", "--profile", "tpu"), "unknown gate profile 'tpu'"),
    (("block", "add", "--width", "8", "--param", "arch"), "--param expects NAME=VALUE, got 'arch'"),
    (("block", "add", "--width", "8", "--param", "arch=fast"), "add: arch='fast' is not one of"),
])
def test_bad_input_gives_clear_error_and_nonzero_exit(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert r.stdout == ""


def test_listings():
    r = run("blocks")
    assert r.returncode == 0 and all(name in r.stdout for name in BLOCKS)
    r = run("profiles")
    assert r.returncode == 0 and "loihi" in r.stdout and "default" in r.stdout


# -- floating-point units ------------------------------------------------------------------

def run_stdin(args, text):
    return subprocess.run(SPIKEFP + list(args), input=text, capture_output=True, text=True, timeout=300)


def test_stats_json_keys_and_values():
    import spikefp
    r = run("stats", "fp32.mul", "--rm", "rtz", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert set(d) == {"neurons", "synapses", "depth", "max_fanin", "max_weight"}
    assert d == spikefp.unit("fp32.mul", rm="rtz").stats()
    r = run("stats", "fp16.fma", "--dynamic", "--profile", "loihi", "--json")
    assert json.loads(r.stdout) == spikefp.unit("fp16.fma", dynamic=True, profile="loihi").stats()


def test_list_names_everything():
    r = run("list")
    assert r.returncode == 0
    for word in ("add", "sub", "mul", "fma", "fp8e4m3", "fp8e5m2", "fp16", "bf16", "fp32", "fp64",
                 "rne", "rtz", "rdn", "rup", "rmm", "default", "loihi"):
        assert word in r.stdout


def test_eval_matches_reference_line_by_line():
    from spikefp.verify import reference, vectors
    from spikefp.generators.fpformat import get_format
    f = get_format("fp32")
    v = vectors.mixed(f, "fma", 300, seed=4)
    text = "".join(f"{int(a):08x} {int(b):08X} {int(c):08x} extra columns\n" for a, b, c in zip(v["a"], v["b"], v["c"]))
    for args, rm in ((["--rm", "rdn"], "rdn"), (["--rm", "rup", "--dynamic"], "rup")):
        r = run_stdin(["eval", "fp32.fma", *args], text)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert len(lines) == len(v["a"])
        for line, a, b, c in zip(lines, v["a"], v["b"], v["c"]):
            y, fl = reference.fma(f, int(a), int(b), int(c), rm)
            assert line == f"{int(a):08X} {int(b):08X} {int(c):08X} {y:08X} {fl:02X}"


@pytest.mark.parametrize("args, text, message", [
    (["eval", "fp16.add"], "3C00 3C00\n3C00\n", "line 2: fp16.add takes 2 operands, got 1"),
    (["eval", "fp16.add"], "3C00 3C0G\n", "line 1: malformed hex operand '3C0G'"),
    (["eval", "fp16.add"], "3C00 0x3C00\n", "line 1: malformed hex operand '0x3C00'"),
    (["eval", "fp16.add"], "3C00 13C00\n", "line 1: operand '13C00' is wider than fp16's 16 bits"),
    (["eval", "fp16.add", "--rm", "near"], "3C00 3C00\n", "unknown rounding mode 'near'"),
    (["eval", "fp17.add"], "3C00 3C00\n", "unknown format 'fp17'"),
    (["eval", "fp16.pow"], "3C00 3C00\n", "unknown operation 'pow'"),
    (["stats", "e2m60.add"], "", "fraction width 60 is out of range 1..52"),
    (["stats", "fp16.mul", "--param", "counter=direct"], "", "direct multiplication of 11 x 11 bits does not fit"),
    (["stats", "fp16.add", "--param", "align=fast"], "", "fp16.add: align='fast' is not one of"),
])
def test_eval_bad_input_one_line_error_exit_2_no_output(args, text, message):
    r = run_stdin(args, text)
    assert r.returncode == 2
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert r.stdout == ""


def test_gen_writes_identical_verilog_and_manifest(tmp_path):
    outs = []
    for d in ("one", "two"):
        r = run("gen", "fp8e4m3.mul", "--dynamic", "--pipeline", "2", "-o", str(tmp_path / d))
        assert r.returncode == 0, r.stderr
        outs.append({p.name: p.read_bytes() for p in (tmp_path / d).iterdir()})
    assert outs[0] == outs[1]
    assert set(outs[0]) == {"fp8e4m3_mul_dyn_p2.v", "fp8e4m3_mul_dyn_p2.json"}
    man = json.loads(outs[0]["fp8e4m3_mul_dyn_p2.json"])
    assert man["latency"] == 2 and man["rounding"] == "dynamic"


def test_gen_bad_input_leaves_nothing(tmp_path):
    r = run("gen", "fp8e4m3.pow", "-o", str(tmp_path / "x"))
    assert r.returncode == 2 and "unknown operation 'pow'" in r.stderr
    r = run("gen", "fp16.add", "--pipeline", "-2", "-o", str(tmp_path / "y"))
    assert r.returncode == 2 and "argument --pipeline: must be a non-negative integer, got -2" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_list_json_is_the_registry():
    from spikefp.generators.registry import catalog
    r = run("list", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d == json.loads(json.dumps(catalog()))
    assert set(d) == {"operations", "formats", "integer_formats", "rounding_modes", "profiles"}
    ops = {o["name"]: o for o in d["operations"]}
    assert ops["fma"]["arity"] == 3 and ops["fma"]["rounds"] is True and ops["fma"]["result_width"] == "format"
    assert ops["lt"]["rounds"] is False and ops["lt"]["result_width"] == 1
    assert ops["classify"]["result_width"] == 10
    assert ops["to_<format>"]["rounds"] == "unless exact" and ops["to_<format>"]["result_width"] == "target"
    div = {p["name"]: p for p in ops["div"]["params"]}
    assert div["arch"]["choices"] == ["restoring", "select", "srt"] and div["arch"]["default"] == "restoring"
    assert div["saturate"]["choices"] == [False, True] and div["saturate"]["default"] is False
    assert d["formats"]["fp8e4m3"] == {"width": 8, "exponent_bits": 4, "fraction_bits": 3, "ieee": False}
    assert d["integer_formats"]["u64"] == {"width": 64, "signed": False}
    assert d["rounding_modes"] == ["rne", "rtz", "rdn", "rup", "rmm"] and "loihi" in d["profiles"]


def test_list_text_prints_the_same_data():
    d = json.loads(run("list", "--json").stdout)
    lines = run("list").stdout.splitlines()
    for o in d["operations"]:
        line = next(x for x in lines if x.split()[:1] == [o["name"]])
        assert f"{o['arity']} in," in line and o["doc"] in line
        for p in o["params"]:            # the default first, booleans as the command line spells them
            values = sorted(p["choices"], key=lambda v: v != p["default"])
            if p["name"] == "n":            # dot's 1..256, abbreviated
                values = [p["default"], f"{values[1]}..{values[-1]}"]
            assert p["name"] + "=" + "|".join(json.dumps(v).strip('"') for v in values) in line
    for key in ("formats", "integer_formats", "rounding_modes", "profiles"):
        assert any(" ".join(d[key]) in x for x in lines), key


def test_equal_parameters_give_one_module():
    for v in ("1", "true", "True"):
        r = run("stats", "fp8e4m3.add", "--param", f"saturate={v}")
        assert r.returncode == 0 and "module fp8e4m3_add_rne_saturate\n" in r.stdout, (v, r.stdout, r.stderr)


# -- the front door: files, progress, vocabulary -------------------------------------------

def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def test_files_get_the_umask_permissions(tmp_path):
    """gen, map -o, export and Netlist.save write 0644 under umask 022 (mkstemp alone gives 0600)."""
    import spikefp
    old = os.umask(0o022)
    try:
        env = {**os.environ, "SPIKEFP_CACHE": str(tmp_path / "cache")}
        for args in (["gen", "fp8e5m2.add", "-o", str(tmp_path / "rtl")],
                     ["map", "fp8e5m2.add", "--target", "loihi1", "--vectors", "64", "-o", str(tmp_path / "m.json")],
                     ["export", "fp8e5m2.add", "--nir", str(tmp_path / "u.nir")]):
            r = subprocess.run(SPIKEFP + args, capture_output=True, text=True, timeout=300, env=env)
            assert r.returncode == 0, r.stderr
        spikefp.unit("fp8e5m2.add").netlist.save(tmp_path / "n.json")
    finally:
        os.umask(old)
    files = [tmp_path / "rtl" / "fp8e5m2_add_rne.v", tmp_path / "rtl" / "fp8e5m2_add_rne.json",
             tmp_path / "m.json", tmp_path / "u.nir", tmp_path / "n.json"]
    assert {f.name: oct(_mode(f)) for f in files} == {f.name: "0o644" for f in files}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["m.json", "n.json", "rtl", "u.nir"]


def _on_a_terminal(args, timeout=300):
    """Run spikefp with stderr (and stdout) on a pseudo-terminal of 100 columns; all it printed."""
    import fcntl
    import pty
    import struct
    import termios
    pid, fd = pty.fork()
    if pid == 0:                                        # the child: spikefp on the terminal
        os.execv(SPIKEFP[0], SPIKEFP + args)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    chunks = []
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:                                 # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode(errors="replace")


def test_map_shows_its_phases_on_a_terminal():
    """`spikefp map fp64.div --target loihi2 --mode wavefront` takes about 13 minutes; the same
    phases, with progress bars, on a smaller unit."""
    status, text = _on_a_terminal(["map", "fp16.div", "--target", "loihi2", "--mode", "wavefront",
                                   "--vectors", "20000", "--json"])
    assert status == 0, text[-2000:]
    for name in ("legalize:", "partition:", "place:", "simulate:"):
        assert name in text, name
    assert "timesteps" in text                          # the simulation bar counts timesteps
    status, quiet = _on_a_terminal(["map", "fp16.add", "--target", "loihi2", "--quiet", "--json"])
    assert status == 0 and "legalize:" not in quiet and '"mismatches": 0' in quiet


def test_stats_of_several_units_json_keyed_by_unit():
    import spikefp
    r = run("stats", "fp16.add", "fp8e4m3.mul", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"fp16.add": spikefp.unit("fp16.add").stats(),
                                    "fp8e4m3.mul": spikefp.unit("fp8e4m3.mul").stats()}
    r = run("stats", "fp16.add", "fp8e4m3.mul")
    assert r.stdout.count("neurons") == 2 and "fp8e4m3.mul (rne" in r.stdout


def test_target_template_round_trips(tmp_path):
    from spikefp.neuro.targets import PRESETS, load_target
    r = run("map", "--target-template")
    assert r.returncode == 0 and r.stderr == ""
    (tmp_path / "chip.json").write_text(r.stdout.replace('"loihi2"', '"my_chip"'))
    t = load_target(str(tmp_path / "chip.json"))
    assert t.name == "my_chip" and t.neurons_per_core == PRESETS["loihi2"].neurons_per_core
    r = run("map", "fp8e5m2.add", "--target", str(tmp_path / "chip.json"), "--vectors", "64", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["target"] == "my_chip"


def test_help_states_the_exit_status_and_one_vocabulary():
    r = run("--help")
    assert r.returncode == 0
    for line in ("0    done, and every check passed", "1    a check found mismatches",
                 "2    bad input or usage", "130  interrupted (Ctrl-C)"):
        assert line in r.stdout
    r = run("verify", "--help")
    assert "--engine {icarus,verilator}" in r.stdout and "--vectors" in r.stdout and "--sim " not in r.stdout
    assert "--quiet" in r.stdout and "--n " not in r.stdout
    r = run("regress", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: spikefp regress") and "--vectors" in r.stdout
