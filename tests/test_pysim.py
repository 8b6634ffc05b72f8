"""The exact engine against the neuron-by-neuron reference, and its error handling."""

import os
import platform
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spikefp
from spikefp import pysim
from spikefp.generators import BLOCKS
from spikefp.hdl import Netlist, Neuron
from spikefp.pysim.program import popcount_program, run_program, threshold_program


def all_assignments(n):
    """Word i holds input i's column of the truth table over 2**n rows (n <= 6 -> one word)."""
    rows = 1 << n
    return [sum(((r >> i) & 1) << r for r in range(rows)) for i in range(n)], (1 << rows) - 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-40, 40), min_size=1, max_size=6), st.integers(-100, 100))
def test_threshold_program_matches_weighted_sum(weights, theta):
    words, ones = all_assignments(len(weights))
    ops, result = threshold_program(tuple(weights), theta)
    got = run_program(ops, result, words, ones)
    want = sum(1 << r for r in range(1 << len(weights))
               if sum(w * ((r >> i) & 1) for i, w in enumerate(weights)) >= theta)
    assert got == want


@pytest.mark.parametrize("m", range(1, 20))
def test_popcount_program(m):
    rng = np.random.default_rng(m)
    words = [int(x) for x in rng.integers(0, 1 << 62, m)]
    ops, bits = popcount_program(m)
    ones = (1 << 62) - 1
    outs = [run_program(ops, b, words, ones) for b in bits]
    for pos in range(62):
        count = sum((w >> pos) & 1 for w in words)
        assert sum(((o >> pos) & 1) << j for j, o in enumerate(outs)) == count


def random_netlist(rng, n_in=10, n_neurons=300, max_fanin=12):
    """Random DAG of neurons: big and negative weights, constants as inputs, long equal runs."""
    neurons = []
    first = 2 + n_in
    for k in range(n_neurons):
        avail = first + k
        fan = int(rng.integers(1, max_fanin + 1))
        ins = rng.choice(avail, size=min(fan, avail), replace=False)
        if rng.random() < 0.3:     # a run of equal weights (exercises shared popcount units)
            w = [int(rng.choice([-3, -1, 1, 2, 5]))] * len(ins)
        else:
            w = [int(x) for x in rng.integers(-(1 << int(rng.integers(1, 12))), 1 << 10, len(ins))]
        lo = sum(x for x in w if x < 0)
        hi = sum(x for x in w if x > 0)
        theta = int(rng.integers(lo - 1, hi + 2))
        neurons.append(Neuron(tuple(int(i) for i in ins), tuple(w), theta))
    outs = [int(x) for x in rng.choice(first + n_neurons, 40, replace=False)]
    return Netlist({"a": 6, "b": 4}, {"y": outs[:20], "z": outs[20:]}, neurons)


@pytest.mark.parametrize("seed", range(6))
def test_random_netlists_match_reference_evaluator(seed):
    rng = np.random.default_rng(seed)
    net = random_netlist(rng)
    sim = pysim.compile(net, chunk_words=1, threads=2)      # many chunks, two threads
    a = rng.integers(0, 64, 200, dtype=np.uint64)
    b = rng.integers(0, 16, 200, dtype=np.uint64)
    got = sim.run(a=a, b=b, spikes=True)
    fired = np.zeros(len(net.neurons), np.int64)
    for i in range(200):
        ref = net.evaluate(a=int(a[i]), b=int(b[i]))
        assert int(got["y"][i]) == ref["y"] and int(got["z"][i]) == ref["z"], i
    # Spike counts from an independent per-vector pass.
    for i in range(200):
        vals = [0, 1] + [(int(a[i]) >> j) & 1 for j in range(6)] + [(int(b[i]) >> j) & 1 for j in range(4)]
        vals += [0] * len(net.neurons)
        for k in sorted(range(len(net.neurons)), key=lambda k: net.levels[net.first_neuron + k]):
            vals[net.first_neuron + k] = net.neurons[k].fires(vals)
        fired += vals[net.first_neuron:]
    assert got["spikes"].tolist() == fired.tolist()


def test_chunking_and_threads_do_not_change_results():
    net = BLOCKS["mul"].build(16)
    rng = np.random.default_rng(1)
    a = rng.integers(0, 1 << 16, 5000, dtype=np.uint64)
    b = rng.integers(0, 1 << 16, 5000, dtype=np.uint64)
    ref = pysim.compile(net, threads=1).run(a=a, b=b, spikes=True)
    alt = pysim.compile(net, chunk_words=3, threads=2).run(a=a, b=b, spikes=True)
    for k in ref:
        assert np.array_equal(ref[k], alt[k])
    prod = ref["lo"] | (ref["hi"] << np.uint64(16))
    assert np.array_equal(prod, a * b)


def test_spike_counts_ignore_padding_vectors():
    from spikefp.hdl.gatespec import gate_netlist
    sim = pysim.compile(gate_netlist("NOT"))       # fires on every 0 input, padding included
    out = sim.run(x=np.zeros(3, np.uint64), spikes=True)
    assert out["spikes"].tolist() == [3]


@pytest.mark.parametrize("n", [1, 63, 64, 65, 1000])
@pytest.mark.parametrize("width", [1, 7, 8, 33, 64])
def test_pack_unpack_roundtrip(n, width):
    rng = np.random.default_rng(n * 100 + width)
    v = rng.integers(0, 1 << 63, n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, n, dtype=np.uint64)
    if width < 64:
        v &= np.uint64((1 << width) - 1)
    planes = pysim.pack(v, width)
    assert planes.shape == (width, -(-n // 64))
    for bit in (0, width - 1):
        for i in (0, n - 1):
            assert (int(planes[bit, i // 64]) >> (i % 64)) & 1 == (int(v[i]) >> bit) & 1
    assert np.array_equal(pysim.unpack(planes, n), v)


@pytest.mark.parametrize("prepared", [False, True])
def test_run_input_errors(prepared):
    sim = pysim.compile(BLOCKS["add"].build(8))
    if prepared:                                      # the native path checks as strictly
        sim.prepare()
    ok = np.arange(10, dtype=np.uint64)
    with pytest.raises(ValueError, match="run\\(\\): missing input b"):
        sim.run(a=ok)
    with pytest.raises(ValueError, match="unknown input c \\(inputs are a, b\\)"):
        sim.run(a=ok, b=ok, c=ok)
    with pytest.raises(ValueError, match="input a value 0x100 does not fit its 8 bits"):
        sim.run(a=np.array([1, 256]), b=np.array([1, 2]))
    with pytest.raises(ValueError, match="input b value 0x100 does not fit its 8 bits"):
        sim.run(a=np.array([1, 2], np.uint16), b=np.array([3, 256], np.uint16))
    with pytest.raises(ValueError, match="input a value 0x10000000000 does not fit its 8 bits"):
        sim.run(a=1 << 40, b=np.array([3, 4], np.uint8))
    with pytest.raises(ValueError, match="input b holds a negative value -1"):
        sim.run(a=np.array([1, 2]), b=np.array([1, -1]))
    with pytest.raises(ValueError, match="input shapes do not broadcast together: a \\(2,\\), b \\(3,\\)"):
        sim.run(a=np.array([1, 2]), b=np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="input a must hold unsigned integers \\(got float64\\)"):
        sim.run(a=np.array([0.5]), b=np.array([1]))
    with pytest.raises(ValueError, match="input a must hold unsigned integers \\(got float\\)"):
        sim.run(a=[1.0, 2], b=1)
    with pytest.raises(ValueError, match="input b must hold unsigned integers \\(got bool\\)"):
        sim.run(a=1, b=True)
    # Python ints up to 2**64-1 are accepted; a scalar broadcasts.
    big = pysim.compile(BLOCKS["inc"].build(64))
    assert big.run(a=[2**64 - 1, 5])["s"].tolist() == [0, 6]
    assert sim.run(a=3, b=np.array([1, 2]))["s"].tolist() == [4, 5]


def test_engine_rejects_invalid_netlist():
    bad = Netlist({"a": 1}, {"y": [3]}, [Neuron((2, 3), (1, 1), 1)])
    with pytest.raises(ValueError, match="on a cycle"):
        pysim.compile(bad)


@pytest.mark.parametrize("seed", range(3))
def test_native_backend_matches_numpy(seed):
    rng = np.random.default_rng(100 + seed)
    net = random_netlist(rng, n_neurons=400)
    nat = pysim.compile(net, native=True, threads=2)
    ref = pysim.compile(net, native=False)
    assert nat.backend == "native" and ref.backend == "numpy"
    # Partial words and lanes, and a run long enough to be split between threads.
    for n in (1, 63, 64, 65, 1000, 40_000):
        a = rng.integers(0, 64, n, dtype=np.uint64)
        b = rng.integers(0, 16, n, dtype=np.uint64)
        x, y = nat.run(a=a, b=b), ref.run(a=a, b=b)
        assert all(np.array_equal(x[k], y[k]) and x[k].dtype == y[k].dtype for k in ("y", "z")), n


def test_prepared_unit_runs_native_at_every_batch_size():
    """After prepare(), batch 1 on runs the kernel, from every input form, with numpy's results."""
    net = spikefp.unit("fp16.add").netlist
    sim = pysim.compile(net)
    assert sim.prepare() is sim and sim.backend == "native"
    ref = pysim.compile(net, native=False)
    assert ref.prepare() is ref and ref.backend == "numpy"        # native=False: numpy always
    rng = np.random.default_rng(7)
    for n in (1, 63, 64, 65, 1000):
        a = rng.integers(0, 1 << 16, n, dtype=np.uint64)
        b = rng.integers(0, 1 << 16, n, dtype=np.uint64)
        cases = [dict(a=a, b=b), dict(a=a.astype(np.uint16), b=b.astype(np.uint32)),
                 dict(a=a.astype(">u2"), b=b[::-1]),                          # foreign byte order, strides
                 dict(a=a[:1].astype(np.uint16), b=b), dict(a=int(a[0]), b=b),  # one value for all
                 dict(a=a.reshape(1, -1), b=b[:1].reshape(1, 1)),                # 2-D broadcast
                 dict(a=[int(v) for v in a], b=b)]
        for case in cases:
            x, y = sim.run(**case), ref.run(**case)
            assert x.keys() == y.keys() == {"y", "flags"}
            assert all(np.array_equal(x[k], y[k]) and x[k].dtype == y[k].dtype and x[k].shape == y[k].shape
                       for k in y), (n, case)
    assert sim.backend == "native" and ref.backend == "numpy"


def test_cached_kernel_is_picked_up_and_work_builds_it(tmp_path, monkeypatch):
    """A kernel in the on-disk cache is loaded by the first run; without one, numpy runs until
    the simulator has run NATIVE_MIN_WORDS * 64 vectors or NATIVE_MIN_RUNS times, then the
    kernel is compiled."""
    from spikefp.pysim import exact, native
    monkeypatch.setenv("SPIKEFP_CACHE", str(tmp_path))
    net = BLOCKS["add"].build(8)
    half = np.arange(exact.NATIVE_MIN_WORDS * 32, dtype=np.uint64) % 256
    sim = pysim.compile(net)
    sim.run(a=half, b=half)
    assert sim.backend == "numpy" and not native.cached(sim._native_source())
    sim.run(a=half, b=half)                             # 2^18 vectors in all: now it pays
    assert sim.backend == "native" and native.cached(sim._native_source())
    fresh = pysim.compile(net)
    assert fresh.backend == "numpy"
    out = fresh.run(a=200, b=100)
    assert fresh.backend == "native" and (int(out["s"]), int(out["cout"])) == (44, 1)
    many = pysim.compile(BLOCKS["add"].build(7))        # many small runs pay for it too
    for i in range(exact.NATIVE_MIN_RUNS):
        assert many.backend == "numpy"
        assert many.run(a=i % 128, b=5)["s"] == (i % 128 + 5) % 128
    assert many.backend == "native"


@pytest.mark.parametrize("n", [1, 64, 65, 70_000])
@pytest.mark.parametrize("width", [1, 13, 64])
def test_native_pack_unpack_match_numpy(n, width):
    from spikefp.pysim import native
    rng = np.random.default_rng(n + width)
    v = rng.integers(0, 1 << 63, n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, n, dtype=np.uint64)
    if width < 64:
        v &= np.uint64((1 << width) - 1)
    planes = native.pack(v, width)
    assert np.array_equal(planes, pysim.pack(v, width))
    assert np.array_equal(native.unpack(planes, n), v)


def test_large_runs_switch_to_native_and_agree():
    from spikefp.pysim import exact
    net = BLOCKS["add"].build(16)
    n = exact.NATIVE_MIN_WORDS * 64
    rng = np.random.default_rng(3)
    a = rng.integers(0, 1 << 16, n, dtype=np.uint64)
    b = rng.integers(0, 1 << 16, n, dtype=np.uint64)
    sim = pysim.compile(net)
    assert sim.backend == "numpy"
    out = sim.run(a=a, b=b)
    assert sim.backend == "native"
    assert np.array_equal(out["s"] | (out["cout"] << np.uint64(16)), a + b)


def test_run_outputs_narrowest_dtype_and_input_shape():
    """Outputs come in the port's narrowest unsigned dtype and the inputs' broadcast shape."""
    sim = pysim.compile(BLOCKS["add"].build(8))          # s: 8 bits, cout: 1 bit
    a = np.arange(6, dtype=np.uint64).reshape(2, 3)
    out = sim.run(a=a, b=np.array([10, 20, 30]))
    assert out["s"].dtype == np.uint8 and out["cout"].dtype == np.uint8
    assert out["s"].shape == (2, 3) and out["s"].tolist() == [[10, 21, 32], [13, 24, 35]]
    assert sim.run(a=3, b=4)["s"].shape == ()                  # scalars in, 0-d arrays out
    assert sim.run(a=np.zeros(0, np.uint8), b=1)["s"].shape == (0,)
    assert out["s"][0, 0] == 10 and out["s"].tolist()[1] == [13, 24, 35]     # compare as ints
    for width, dtype in ((16, np.uint16), (32, np.uint32), (33, np.uint64)):
        s = pysim.compile(BLOCKS["add"].build(width)).run(a=[1, 2], b=[3, 4])["s"]
        assert s.dtype == dtype and s.tolist() == [4, 6]
    f = pysim.compile(spikefp.unit("fp16.add").netlist).run(a=[[0x3C00]], b=0x3C00)
    assert f["y"].dtype == np.uint16 and f["flags"].dtype == np.uint8 and f["y"].tolist() == [[0x4000]]


def test_netlist_evaluate_validates_like_run():
    net = BLOCKS["add"].build(8)
    assert net.evaluate(a=np.uint8(200), b=100) == {"s": 44, "cout": 1}
    for bad, message in ((1.0, "input a must be an unsigned integer, got float 1.0"),
                         (True, "input a must be an unsigned integer, got bool True"),
                         ("3", "input a must be an unsigned integer, got str 3"),
                         (-1, "input a holds a negative value -1"),
                         (256, "input a=256 does not fit 8 bits")):
        with pytest.raises(ValueError, match=re.escape("evaluate(): " + message)):
            net.evaluate(a=bad, b=1)
        with pytest.raises(ValueError):                  # run() refuses the same values
            pysim.compile(net).run(a=bad, b=1)


NO_COMPILER = r"""
import sys, warnings, numpy as np
from spikefp import pysim
from spikefp.generators import BLOCKS
from spikefp.pysim import exact
net = BLOCKS["add"].build(16)
n = exact.NATIVE_MIN_WORDS * 64
a = np.arange(n, dtype=np.uint64) % 65536
sim = pysim.compile(net)
for _ in range(2):
    out = sim.run(a=a, b=a)
assert sim.backend == "numpy", sim.backend
assert np.array_equal(out["s"] | (out["cout"].astype(np.uint64) << np.uint64(16)), a + a)
pysim.compile(net).run(a=a, b=a)        # a second netlist: still no second warning
print("ok")
"""


@pytest.mark.parametrize("env", [{"CC": "/bin/false"}, {"CC": "", "PATH": "/nonexistent"}])
def test_native_falls_back_to_numpy_with_one_warning(env, tmp_path):
    """A C compiler that fails, or none on PATH: numpy computes, and says so once."""
    r = subprocess.run([sys.executable, "-c", NO_COMPILER], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "SPIKEFP_CACHE": str(tmp_path), **env})
    assert r.returncode == 0 and r.stdout == "ok\n", r.stderr
    assert r.stderr.count("RuntimeWarning") == 1 and "falls back to numpy" in r.stderr, r.stderr
    assert not (tmp_path / "native").exists() or not list((tmp_path / "native").glob("*.so"))


def test_native_cache_key_names_the_cpu(tmp_path, monkeypatch):
    """Kernels live under the configurable cache root, named by a key that includes the CPU."""
    from spikefp.pysim import native
    if not native.available():
        pytest.fail("no working C compiler: `make install` provides gcc")
    monkeypatch.setenv("SPIKEFP_CACHE", str(tmp_path))
    source = "int spikefp_probe(void) { return 7; }"
    assert native._build(source).spikefp_probe() == 7
    cc, flags = native._compiler(), ["-O1", "-march=native", "-shared", "-fPIC"]
    assert [p.name for p in (tmp_path / "native").iterdir()] == \
        [f"k{native.cache_key(source, cc, flags, native._cpu())}.so"]
    assert native._cpu().startswith(platform.machine() + "|") and "flags=" in native._cpu()
    assert native.cache_key(source, cc, flags, "x86_64|flags=avx2") != native.cache_key(source, cc, flags, "x86_64|flags=avx512f")


def test_spikefp_native_0_keeps_numpy_without_a_warning(tmp_path):
    """SPIKEFP_NATIVE=0: prepare() and many runs stay on numpy, silently, and compile nothing."""
    script = ("import numpy as np; from spikefp import pysim; from spikefp.pysim import exact\n"
              "from spikefp.generators import BLOCKS\n"
              "sim = pysim.compile(BLOCKS['add'].build(8)).prepare()\n"
              "for i in range(exact.NATIVE_MIN_RUNS + 1): out = sim.run(a=np.uint8(i % 256), b=1)\n"
              "print(sim.backend, int(out['s']))")
    r = subprocess.run([sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "SPIKEFP_CACHE": str(tmp_path), "SPIKEFP_NATIVE": "0"})
    assert r.returncode == 0 and r.stdout == "numpy 1\n" and not r.stderr, r.stderr
    assert not (tmp_path / "native").exists()
