"""NIR export: the network read back with ``nir.read`` and run in discrete time is bit-exact."""

import os
import subprocess
import sys

import nir
import numpy as np

import spikefp
from spikefp import pysim
from spikefp.neuro.nir_export import run_nir, to_nir, write_nir
from spikefp.verify import check, vectors


def test_fp32_add_round_trips_bit_exactly(tmp_path):
    u = spikefp.unit("fp32.add")
    path = tmp_path / "fp32_add.nir"
    write_nir(u.netlist, str(path))
    graph = nir.read(str(path))
    assert sum(isinstance(n, nir.Threshold) for n in graph.nodes.values()) == u.stats()["depth"]
    assert sum(len(n.threshold) for n in graph.nodes.values() if isinstance(n, nir.Threshold)) == \
        u.stats()["neurons"]
    v = vectors.for_unit(u, 10_000, seed=7)
    got = run_nir(graph, v)
    eng = pysim.compile(u.netlist).run(**v)
    ey, ef = check.expected(u, v)
    assert np.array_equal(np.array(got["y"], np.uint64), eng["y"]) and np.array_equal(eng["y"], ey)
    assert np.array_equal(np.array(got["flags"], np.uint64), eng["flags"]) and np.array_equal(eng["flags"], ef)


def test_dynamic_fp8_unit_through_nir_matches_the_reference_exhaustively():
    u = spikefp.unit("fp8e4m3.mul", dynamic=True)
    v = vectors.exhaustive_for(u)
    v["rm"] = np.arange(len(v["a"]), dtype=np.uint64) % np.uint64(8)
    got = run_nir(to_nir(u.netlist), v)
    ey, ef = check.expected(u, {k: v[k] for k in u.operands}, v["rm"])
    assert np.array_equal(np.array(got["y"], np.uint64), ey) and np.array_equal(np.array(got["flags"], np.uint64), ef)


def test_constant_output_bits_survive():
    # classify's flags are all constant 0; fma's DZ flag bit is the constant 0
    u = spikefp.unit("fp16.classify")
    got = run_nir(to_nir(u.netlist), {"a": [0xFC00, 0x7E00]})
    assert got == {"flags": [0, 0], "y": [1, 1 << 9]}


def test_cli_export_and_bad_path(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "spikefp")
    out = tmp_path / "u.nir"
    r = subprocess.run([exe, "export", "fp8e5m2.add", "--nir", str(out)], capture_output=True, text=True)
    assert r.returncode == 0 and out.exists() and "levels" in r.stdout
    assert run_nir(nir.read(str(out)), {"a": [0x3C], "b": [0x3C]}) == {"flags": [0], "y": [0x40]}
    r = subprocess.run([exe, "export", "fp8e5m2.add", "--nir", str(tmp_path / "no" / "u.nir")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no directory" in r.stderr and not (tmp_path / "no").exists()
    r = subprocess.run([exe, "export", "fp8e5m2.pow", "--nir", str(out)], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown operation" in r.stderr
    assert list(tmp_path.iterdir()) == [out]
