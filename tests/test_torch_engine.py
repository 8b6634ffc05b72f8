"""The torch engine (`spikefp.pysim.torch_engine`) is bit-identical to the exact engine.

10,000 specials, boundary cases and random vectors per unit of a representative slice (every
operation of fp16 and fp8e5m2, wide arithmetic, conversions, a dynamic unit with its rm port),
spike counts included; the port conventions (numpy and torch in, two's complement for
64-bit ports, broadcasting) and the errors. The slow campaign covers every unit `spikefp list` names.
"""

import functools
import subprocess
import sys

import numpy as np
import pytest
import torch

import spikefp
from spikefp import pysim
from spikefp.generators.fpformat import INT_FORMATS
from spikefp.generators.registry import catalog
from spikefp.pysim.torch_engine import TorchSim
from spikefp.verify import vectors

# An out= buffer of the wrong shape is resized with a UserWarning (and the results go wrong): fail on it.
pytestmark = pytest.mark.filterwarnings("error::UserWarning")
N = 10_000
OPS = [op["name"] for op in catalog()["operations"] if not op["name"].startswith("to_")]
SLICE = ([f"{f}.{op}" for f in ("fp16", "fp8e5m2") for op in OPS]
         + ["fp32.add", "fp32.mul", "fp32.fma", "fp64.add", "fp64.div",
            "fp32.to_fp16", "fp64.to_i64", "u64.to_fp64", "fp32.add dynamic"])


@functools.cache
def sims(name):
    """(unit, exact engine, torch engine) built once per test session."""
    name, _, mode = name.partition(" ")
    u = spikefp.unit(name, dynamic=mode == "dynamic")
    exact = pysim.compile(u.netlist)
    return u, exact, TorchSim(u.netlist, exact=exact)


def inputs(u, n, seed=7):
    v = {k: c[:n] for k, c in vectors.for_unit(u, n, seed).items()}
    if u.dynamic:              # every rm code, 5-7 included (invalid: NV)
        v["rm"] = np.arange(len(v[u.operands[0]]), dtype=np.uint64) % np.uint64(8)
    return v


def same(u, exact, torch_sim, n=N):
    v = inputs(u, n)
    want = exact.run(spikes=True, **v)
    got = torch_sim.run(spikes=True, **v)
    assert len(v[u.operands[0]]) >= min(n, N) and got.keys() == want.keys()
    for k in want:
        assert got[k].dtype == want[k].dtype and np.array_equal(got[k], want[k]), (u.name, k)


@pytest.mark.parametrize("name", SLICE)
def test_bit_identical(name):
    same(*sims(name))


@pytest.mark.parametrize("n", [1, 5, 64, 65, 4095])
def test_small_batches(n):
    """Small batches pack with broadcasts, large ones with a bit transpose: both are exact."""
    same(*sims("fp32.add"), n=n)


def test_chunks():
    """Many chunks (the last one partly padding) give the same results and spike counts."""
    u, exact, _ = sims("fp16.add")
    same(u, exact, pysim.compile(u.netlist, engine="torch", chunk_words=3), n=1000)


def test_torch_tensors_in_and_out():
    """torch in, torch out: uint8 for narrow ports, signed bit patterns for wider ones."""
    u, exact, sim = sims("fp32.add")
    v = inputs(u, 1000)
    want = exact.run(**v)
    a = torch.from_numpy(v["a"].astype(np.uint32).view(np.int32))   # float32 bits as int32
    got = sim.run(a=a, b=torch.from_numpy(v["b"].astype(np.int64)))
    assert got["y"].dtype == torch.int32 and got["flags"].dtype == torch.uint8
    assert np.array_equal(got["y"].numpy().view(np.uint32), want["y"])
    assert np.array_equal(got["flags"].numpy(), want["flags"])
    # The floats themselves, through a bit-cast view.
    x = torch.tensor([1.5, -2.0, 3.0e38], dtype=torch.float32)
    y = sim.run(a=x.view(torch.int32), b=x.view(torch.int32))["y"].view(torch.float32)
    assert y.tolist() == [3.0, -4.0, float("inf")]


def test_bf16_and_fp16_views():
    u, exact, sim = sims("fp16.mul")
    x = torch.tensor([1.5, -2.0, 0.25, 65504.0], dtype=torch.float16)
    y = sim.run(a=x.view(torch.int16), b=x.view(torch.int16))["y"]
    assert y.dtype == torch.int16 and y.view(torch.float16).tolist() == [2.25, 4.0, 0.0625, float("inf")]


def test_64_bit_ports_twos_complement():
    """Values with bit 63 set go in as negative int64 and come back the same, both ways."""
    u, exact, sim = sims("fp64.add")
    bits = np.array([0x8000000000000000, 0xC000000000000000, 0xFFF0000000000000, 0x3FF0000000000000,
                     0xFFFFFFFFFFFFFFFF, 1], np.uint64)
    zero = np.zeros(1, np.uint64)
    want = exact.run(a=bits, b=zero)
    got = sim.run(a=torch.from_numpy(bits.view(np.int64)), b=torch.from_numpy(zero.view(np.int64)))
    assert got["y"].dtype == torch.int64
    assert np.array_equal(got["y"].numpy().view(np.uint64), want["y"])
    assert np.array_equal(sim.run(a=bits, b=zero)["y"], want["y"])
    x = torch.tensor([-0.0, -2.5, 1e308], dtype=torch.float64)
    assert sim.run(a=x.view(torch.int64), b=x.view(torch.int64))["y"].view(torch.float64).tolist() \
        == [-0.0, -5.0, float("inf")]
    # An integer source of 64 bits: -1 as int64 is u64 0xFFFF_FFFF_FFFF_FFFF.
    u, exact, sim = sims("u64.to_fp64")
    y = sim.run(a=torch.tensor([-1, 3]))["y"].view(torch.float64)
    assert y.tolist() == [2.0 ** 64, 3.0]


def test_broadcasting_and_shapes():
    u, exact, sim = sims("fp16.add")
    a = np.arange(0x3C00, 0x3C00 + 6, dtype=np.uint16).reshape(2, 3)
    b = np.array([0x3C00, 0xBC00, 0], np.uint16)
    want = exact.run(a=a, b=b)
    got = sim.run(a=a, b=b)
    assert got["y"].shape == (2, 3) and np.array_equal(got["y"], want["y"])
    t = sim.run(a=torch.from_numpy(a.view(np.int16)), b=0x3C00)
    assert t["y"].shape == (2, 3) and np.array_equal(t["y"].numpy().view(np.uint16), exact.run(a=a, b=0x3C00)["y"])
    assert sim.run(a=0x3C00, b=0x3C00)["y"].shape == ()
    empty = sim.run(a=np.zeros(0, np.uint16), b=1, spikes=True)
    assert empty["y"].shape == (0,) and not empty["spikes"].any()


def test_spike_counts_match_on_torch_inputs():
    u, exact, sim = sims("fp8e5m2.mul")
    v = inputs(u, 3000)
    got = sim.run(spikes=True, a=torch.from_numpy(v["a"].astype(np.uint8)), b=torch.from_numpy(v["b"].astype(np.uint8)))
    assert torch.equal(got["spikes"], torch.from_numpy(exact.run(spikes=True, **v)["spikes"]))


def test_errors():
    u, exact, sim = sims("fp16.add")
    one = np.uint16(0x3C00)
    with pytest.raises(ValueError, match="missing input b"):
        sim.run(a=one)
    with pytest.raises(ValueError, match="unknown input c"):
        sim.run(a=one, b=one, c=one)
    with pytest.raises(ValueError, match="does not fit its 16 bits"):
        sim.run(a=0x10000, b=one)
    with pytest.raises(ValueError, match="does not fit its 16 bits"):
        sim.run(a=torch.tensor([0x10000]), b=torch.tensor([1]))
    with pytest.raises(ValueError, match="negative value -1"):
        sim.run(a=torch.tensor([-1]), b=torch.tensor([1]))           # int64 into a 16-bit port
    with pytest.raises(ValueError, match="negative value -1"):
        sim.run(a=np.array([-1]), b=one)
    with pytest.raises(ValueError, match="unsigned integers"):
        sim.run(a=torch.tensor([1.0]), b=one)
    with pytest.raises(ValueError, match="do not broadcast"):
        sim.run(a=np.zeros(3, np.uint16), b=np.zeros(2, np.uint16))
    with pytest.raises(ValueError, match="unknown engine 'gpu' .engines: exact, torch"):
        pysim.compile(u.netlist, engine="gpu")
    with pytest.raises(ValueError, match="need engine='torch'"):
        pysim.compile(u.netlist, device="cpu")
    with pytest.raises(ValueError, match="unknown torch device"):
        pysim.compile(u.netlist, engine="torch", device="abacus")
    with pytest.raises(ValueError, match="same netlist"):
        TorchSim(sims("fp16.mul")[0].netlist, exact=exact)


def test_cuda():
    """On a CUDA machine, bit-identical there too (torch tensors stay on the device); elsewhere a clear error."""
    u, exact, _ = sims("fp32.add")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            pysim.compile(u.netlist, engine="torch", device="cuda")
        return
    for name in ("fp32.add", "fp64.div", "fp32.add dynamic"):
        u, exact, _ = sims(name)
        same(u, exact, pysim.compile(u.netlist, engine="torch", device="cuda"))
    x = torch.tensor([1.5, -2.0], dtype=torch.float32, device="cuda")
    y = pysim.compile(sims("fp32.add")[0].netlist, engine="torch", device="cuda").run(
        a=x.view(torch.int32), b=x.view(torch.int32))["y"]
    assert y.device.type == "cuda" and y.view(torch.float32).tolist() == [3.0, -4.0]


def test_import_does_not_load_torch():
    code = "import sys, spikefp.pysim; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "False\n"


def every_unit() -> list[str]:
    """Every unit `spikefp list --json` names: each operation of each named format, each conversion
    between named float and integer formats, in RNE and (where it rounds) with a dynamic rm port."""
    c = catalog()
    names = [f"{f}.{op['name']}" for f in c["formats"] for op in c["operations"] if not op["name"].startswith("to_")]
    every = list(c["formats"]) + list(c["integer_formats"])
    names += [f"{s}.to_{d}" for s in every for d in every if s != d and not (s in INT_FORMATS and d in INT_FORMATS)]
    return [n + mode for n in names for mode in ("", " dynamic") if mode == "" or spikefp.unit(n).rounds]


@pytest.mark.slow
@pytest.mark.parametrize("name", every_unit())
def test_campaign_every_unit(name):
    same(*sims(name))
