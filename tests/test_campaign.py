"""`spikefp campaign`: identical counts on every engine, mutations caught and replayable, resume without recomputing."""

import dataclasses
import io
import json
import sys

import numpy as np
import pytest

import spikefp
from spikefp import pysim
from spikefp.cli import main
from spikefp.evaluate import evaluate_lines, parse_lines
from spikefp.hdl.netlist import Neuron
from spikefp.verify import campaign, check, vectors

UNIT = "fp8e5m2.add"


def counts(summary):
    return [(r.unit, r.mode, r.vectors, r.mismatches) for r in summary.rows]


def test_local_and_dask_give_identical_counts():
    shards = campaign.plan([UNIT], modes="all")
    assert len(shards) == 5 and {s.stop - s.start for s in shards} == {65_536}
    local = campaign.run(shards)
    pool = campaign.run(shards, workers=2)
    dask = campaign.run(shards, engine="dask", workers=2)
    expected = [(UNIT, m, 65_536, 0) for m in ("rne", "rtz", "rdn", "rup", "rmm")]
    assert counts(local) == counts(pool) == counts(dask) == expected
    assert (dask.engine, dask.workers, dask.computed, dask.vectors) == ("dask", 2, 5, 5 * 65_536)


def test_dynamic_and_random_campaigns():
    s = campaign.run(campaign.plan([UNIT], modes="all", dynamic=True))
    assert [r.mode for r in s.rows] == [f"dynamic-{m}" for m in ("rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "rm7")]
    assert (s.vectors, s.mismatches) == (8 * 65_536, 0)
    shards = campaign.plan(["fp16.mul"], exhaustive=False, n=30_000, modes="rup", shard=10_000, seed=3)
    assert [(s.start, s.stop, s.seed) for s in shards] == [(0, 10_000, 3_000_009), (10_000, 20_000, 3_000_010),
                                                           (20_000, 30_000, 3_000_011)]
    r = campaign.run(shards)
    specials = len(vectors.for_unit(spikefp.unit("fp16.mul"), 0, 0)["a"])
    assert (r.vectors, r.mismatches) == (30_000 + 3 * specials, 0)


@pytest.fixture(scope="module")
def broken():
    """fp8e5m2.add in rtz with one neuron's threshold raised: the first such mutation that matters."""
    u = spikefp.unit(UNIT, rm="rtz")
    net = u.netlist
    v = vectors.exhaustive_for(u)
    for k in range(len(net.neurons) // 2, len(net.neurons)):
        neu = net.neurons[k]
        bad = type(net)(net.inputs, net.outputs,
                        net.neurons[:k] + [Neuron(neu.inputs, neu.weights, neu.threshold + 1)] + net.neurons[k + 1:])
        b = dataclasses.replace(u)          # a copy: the cached unit is shared by every test
        b.__dict__["netlist"] = bad
        report = check.check(b, v)
        if report.mismatches:
            return b, report.mismatches
    raise AssertionError("no single-threshold mutation changed fp8e5m2.add")


def test_a_mutated_neuron_is_caught_and_its_failure_lines_replay(broken, monkeypatch, tmp_path, capsys):
    b, mismatches = broken
    monkeypatch.setattr(campaign, "build_unit", lambda shard: b)
    path = tmp_path / "fails.txt"
    s = campaign.run(campaign.plan([UNIT], modes="rtz", keep=50), failures=path)
    assert (s.vectors, s.mismatches) == (65_536, mismatches)
    lines = path.read_text().splitlines()
    assert len(lines) == min(50, mismatches) and s.first == f"{UNIT} rtz: {lines[0]}"
    assert f"first mismatch: {s.first} (MPFR gives the same expected result and flags)" in campaign.format_summary(s)
    assert s.first_mpfr is True and s.as_dict()["first_mpfr_agrees"] is True
    # a line whose expected value is wrong (a reference error) is called out
    a, c, y, f = lines[0].split()
    assert campaign.second_opinion(b, f"{a} {c} {int(y, 16) ^ 1:02X} {f}", "rtz") is False
    # The lines are eval's format: the reference's result and flags follow the operands...
    ops = parse_lines(b, lines)
    ey, ef = check.expected(b, ops)
    assert [f"{a:02X} {c:02X} {y:02X} {f:02X}" for a, c, y, f in zip(ops["a"], ops["b"], ey, ef)] == lines
    # ... the mutated unit's engine, through eval, gives another result on every line ...
    out = io.StringIO()
    evaluate_lines(b, io.StringIO(path.read_text()), out, engine=pysim.compile(b.netlist))
    assert all(got != want for got, want in zip(out.getvalue().splitlines(), lines))
    # The command line says the same, with exit status 1.
    capsys.readouterr()
    assert main(["campaign", UNIT, "--modes", "rtz", "--keep", "50", "--failures", str(tmp_path / "cli.txt")]) == 1
    assert f"first mismatch: {s.first}" in capsys.readouterr().out
    assert (tmp_path / "cli.txt").read_text() == path.read_text()
    # ... and `spikefp eval --rm rtz` on the real unit reproduces the expected lines exactly.
    monkeypatch.setattr(sys, "stdin", io.StringIO(path.read_text()))
    capsys.readouterr()
    assert main(["eval", UNIT, "--rm", "rtz"]) == 0
    assert capsys.readouterr().out.splitlines() == lines


def test_an_interrupted_campaign_resumes_without_recomputing(monkeypatch, tmp_path):
    ran = []
    real = campaign.run_shard
    monkeypatch.setattr(campaign, "run_shard", lambda s: ran.append(s.key) or real(s))
    shards = campaign.plan([UNIT], modes="all")
    first = campaign.run(shards, resume=tmp_path / "m", max_shards=2)
    assert first.interrupted and first.computed == 2 and first.vectors == 2 * 65_536
    manifest = campaign.load_manifest(tmp_path / "m")
    assert sorted(manifest["shards"]) == sorted(ran) and len(ran) == 2
    assert manifest["shards"][ran[0]] == {"vectors": 65_536, "mismatches": 0, "failures": [],
                                          "seconds": manifest["shards"][ran[0]]["seconds"]}
    with open(tmp_path / "m" / "shards.jsonl", "a") as f:      # a crash in the middle of a record
        f.write('{"key": "fp8e5m2.add/rdn/exha')
    second = campaign.run(shards, resume=tmp_path / "m")
    assert not second.interrupted and second.computed == 3 and len(set(ran)) == len(ran) == 5
    assert counts(second) == [(UNIT, m, 65_536, 0) for m in ("rne", "rtz", "rdn", "rup", "rmm")]
    third = campaign.run(shards, resume=tmp_path / "m")
    assert third.computed == 0 and len(ran) == 5 and counts(third) == counts(second)


def test_a_manifest_of_another_netlist_or_plan_is_refused(broken, monkeypatch, tmp_path):
    shards = campaign.plan([UNIT], modes="rtz")
    campaign.run(shards, resume=tmp_path)
    with pytest.raises(ValueError, match="holds another campaign"):
        campaign.run(campaign.plan([UNIT], modes="rne"), resume=tmp_path)
    monkeypatch.setattr(campaign, "build_unit", lambda shard: broken[0])
    with pytest.raises(ValueError, match="other netlists of fp8e5m2.add rtz"):
        campaign.run(shards, resume=tmp_path)


def test_cli_exit_status_json_and_resume(tmp_path, capsys):
    d = str(tmp_path / "c")
    assert main(["campaign", UNIT, "--modes", "rne,rdn", "--resume", d, "--max-shards", "1", "--json"]) == 130
    assert json.loads(capsys.readouterr().out)["vectors"] == 65_536
    assert main(["campaign", UNIT, "--modes", "rne,rdn", "--resume", d, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["vectors"], out["mismatches"], out["shards_computed"], out["engine"]) == (2 * 65_536, 0, 1, "local")
    assert [(r["mode"], r["vectors"], r["mismatches"]) for r in out["rows"]] == [("rne", 65_536, 0), ("rdn", 65_536, 0)]
    for bad in (["fp9.add"], [UNIT, "--modes", "xyz"], [UNIT, "--shard", "10"], [UNIT, "--workers", "0"],
                [UNIT, "--resume", d], [UNIT, "--exhaustive", "--n", "5"]):
        assert main(["campaign", *bad]) == 2
        assert capsys.readouterr().err.count("\n") == 1


def test_projection_counts_the_plan_and_prints_before_the_run(capsys):
    from spikefp.verify.campaign import plan, project
    shards = plan(["fp8e5m2.add", "fp8e5m2.mul"], modes="all", shard=100_000)
    p = project(shards, sample=4096)
    assert p.vectors == 2 * 5 * 65536 and p.shards == len(shards) == 10
    assert set(p.rates) == {"fp8e5m2.add", "fp8e5m2.mul"} and all(r > 0 for r in p.rates.values())
    assert p.seconds == pytest.approx(5 * 65536 / p.rates["fp8e5m2.add"] + 5 * 65536 / p.rates["fp8e5m2.mul"])
    assert main(["campaign", "fp8e5m2.add", "--exhaustive", "--project-only"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("spikefp campaign: 65,536 vectors in 1 shards; measured")
    assert "h on 64 workers" in captured.err


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_sigterm_stops_a_campaign_that_then_resumes(engine, tmp_path):
    """``kill`` (a batch system's time limit) ends a long campaign like Ctrl-C: exit 130, one
    line, the journal whole; the rerun computes only what is missing."""
    import subprocess
    import time
    d = tmp_path / "c"
    cmd = [sys.executable, "-m", "spikefp", "campaign", "fp16.mul", "--exhaustive", "--resume", str(d),
           "--engine", engine, "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = d / "shards.jsonl"
    deadline = time.monotonic() + 120
    while not (journal.exists() and journal.read_text().count("\n") >= 3) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.terminate()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("spikefp: interrupted") and "Traceback" not in err
    before = campaign.load_manifest(d)["shards"]
    assert len(before) >= 3 and all(r["mismatches"] == 0 for r in before.values())
    again = subprocess.run(cmd[:-4] + ["--max-shards", "2", "--json"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 130                       # stopped by --max-shards, not finished
    summary = json.loads(again.stdout)
    assert summary["shards_computed"] == 2 and summary["vectors"] == (len(before) + 2) << 20
    after = campaign.load_manifest(d)["shards"]
    assert len(after) == len(before) + 2 and all(after[k] == v for k, v in before.items())


def test_progress_lines_where_stderr_is_no_terminal(monkeypatch, capsys):
    """Hours of work under ``make | tee`` or a batch job: a plain line every ``log_every``
    seconds with the count, the rate and the time left; none with --quiet."""
    import time
    from spikefp.hdl import progress
    monkeypatch.delenv("SPIKEFP_QUIET", raising=False)         # make test sets it
    monkeypatch.setattr(progress, "_quiet", False)
    with progress.phase("campaign", total=1000, unit=" vectors", log_every=0.05) as bar:
        for _ in range(4):
            bar.update(100)
            time.sleep(0.06)
        time.sleep(0.4)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) >= 2 and any(line.startswith("campaign: 400/1.00k vectors (40.0%), ") for line in lines)
    assert all("vectors/s" in line and line.endswith(" left") for line in lines)
    monkeypatch.setenv("SPIKEFP_QUIET", "1")
    with progress.phase("campaign", total=1000, log_every=0.05) as bar:
        time.sleep(0.12)
    assert capsys.readouterr().err == ""


def test_a_running_dask_cluster_through_scheduler(capsys):
    """--scheduler ADDRESS: the campaign runs on a cluster someone else started (here a
    LocalCluster standing in for `dask scheduler` + `dask worker` on other machines)."""
    import distributed
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        assert main(["campaign", UNIT, "--modes", "rtz,rmm", "--scheduler", cluster.scheduler_address, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["vectors"], out["mismatches"], out["engine"]) == (2 * 65_536, 0, "dask")
    assert [(r["mode"], r["vectors"], r["reference"]) for r in out["rows"]] == [
        ("rtz", 65_536, "spikefp.verify.hostref"), ("rmm", 65_536, "spikefp.verify.hostref")]


def test_profile_and_parameters_reach_every_shard(tmp_path, capsys):
    """--profile and --param build every shard's unit with them (another netlist, its own name)."""
    d = str(tmp_path / "o")
    assert main(["campaign", "fp8e4m3.mul", "--modes", "rtz", "--profile", "loihi", "--param", "saturate=true",
                 "--resume", d, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(r["unit"], r["mode"], r["vectors"], r["mismatches"]) for r in out["rows"]] == [
        ("fp8e4m3.mul[profile=loihi,saturate=true]", "rtz", 65_536, 0)]
    shard, = campaign.plan(["fp8e4m3.mul"], modes="rtz", options={"saturate": True, "profile": "loihi"})
    built = campaign.build_unit(shard)
    assert built is spikefp.unit("fp8e4m3.mul", rm="rtz", profile="loihi", saturate=True)
    assert built.netlist.content_hash() != spikefp.unit("fp8e4m3.mul", rm="rtz").netlist.content_hash()
    assert campaign.load_manifest(d)["netlists"] == {shard.label: built.netlist.content_hash()}
    assert main(["campaign", "fp8e4m3.mul", "--param", "saturate"]) == 2
    assert main(["campaign", "fp8e4m3.mul", "--param", "bogus=1"]) == 2
    assert capsys.readouterr().err.count("\n") == 2
