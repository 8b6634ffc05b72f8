"""The README is true: its examples run and print what it shows, and it links only inside the repository.

``pycon`` blocks run as doctests; in ``console`` blocks every ``$ `` line runs in bash with
``spikefp`` and ``python`` on the PATH (this interpreter) and its output is compared with the
lines below it, ``...`` standing for lines left out (doctest's ELLIPSIS). All examples share
one scratch folder, in README order, so a file one example writes is there for the next.
"""

import doctest
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import spikefp

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)

# Commands shown but not run here, and why (a prefix of the command names it).
NOT_RUN = {
    "make ": "make targets install tools and run whole suites (`make test` runs this file)",
    "spikefp verify fp16.add --dynamic --engine verilator": "a Verilator build (20-45 s)",
    "printf '3C00 3C00\\n' | spikefp eval fp16.add --engine verilator": "a Verilator build (20-45 s)",
}


def _blocks() -> list[tuple[int, str, str]]:
    """(line number, language, text) of every fenced block."""
    return [(README[:m.start()].count("\n") + 1, m.group(1), m.group(2)) for m in FENCE.finditer(README)]


def _commands() -> list[tuple[int, str, str]]:
    """(line number, command, expected output) of every ``$ `` line of the console blocks."""
    out = []
    for line, lang, text in _blocks():
        if lang != "console":
            continue
        for k, row in enumerate(text.splitlines()):
            if row.startswith("$ "):
                out.append([line + 1 + k, row[2:], ""])
            else:
                out[-1][2] += row + "\n"
    return [tuple(c) for c in out]


def _skipped(command: str) -> bool:
    return any(command.startswith(prefix) for prefix in NOT_RUN)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """A working folder, and a PATH whose ``spikefp`` and ``python`` are this interpreter's."""
    d = tmp_path_factory.mktemp("readme")
    bin_dir = d / "bin"
    bin_dir.mkdir()
    for name, run in (("spikefp", f'"{sys.executable}" -m spikefp'), ("python", f'"{sys.executable}"')):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {run} "$@"\n')
        (bin_dir / name).chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    work = d / "work"
    work.mkdir()
    return work, env


def test_every_block_is_an_example_that_runs():
    """No fenced block escapes the checks below: Python is pycon (>>>), shell is console ($)."""
    assert {lang for _, lang, _ in _blocks()} == {"pycon", "console"}
    for line, lang, text in _blocks():
        first = text.splitlines()[0]
        assert first.startswith(">>> " if lang == "pycon" else "$ "), f"README.md:{line}: {first!r}"


def test_not_run_list_names_commands_the_readme_shows():
    commands = [c for _, c, _ in _commands()]
    for prefix in NOT_RUN:
        assert any(c.startswith(prefix) for c in commands), prefix
    assert sum(map(_skipped, commands)) <= 6       # the exceptions stay few
    assert all(not out for _, c, out in _commands() if c.startswith("make "))


EXAMPLES = [(line, lang, text) for line, lang, text in _blocks() if lang == "pycon"] + \
           [(line, "console", (cmd, out)) for line, cmd, out in _commands() if not _skipped(cmd)]
EXAMPLES.sort(key=lambda e: e[0])


@pytest.mark.parametrize("line, lang, example", EXAMPLES, ids=[f"line{e[0]}" for e in EXAMPLES])
def test_example(line, lang, example, scratch, monkeypatch):
    work, env = scratch
    monkeypatch.chdir(work)
    if lang == "pycon":
        test = doctest.DocTestParser().get_doctest(example, {}, f"README.md:{line}", "README.md", line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert runner.failures == 0, f"README.md:{line}: a doctest failed (output above)"
        return
    command, want = example
    r = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=work, env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"README.md:{line}: {command}\n{r.stderr}"
    checker = doctest.OutputChecker()
    assert checker.check_output(want, r.stdout, doctest.ELLIPSIS), \
        f"README.md:{line}: {command}\nwant:\n{want}got:\n{r.stdout}"


def test_size_table_matches_the_units():
    """The neurons and depth in 'Size against NEXUS' are what the units measure."""
    rows = re.findall(r"^\| (\w+\.\w+) \| ([\d,]+) \| (\d+) \|", README, re.M)
    assert len(rows) >= 10
    for name, neurons, depth in rows:
        s = spikefp.unit(name).stats()
        assert (s["neurons"], s["depth"]) == (int(neurons.replace(",", "")), int(depth)), name


def test_links_stay_inside_the_repository():
    targets = re.findall(r"\]\(([^)\s]+)\)", README) + re.findall(r"<(\w+://[^>]+)>", README)
    assert targets, "no links found: the pattern is wrong"
    for t in targets:
        path = t.split("#")[0]
        assert path and not re.match(r"\w+:", t) and not path.startswith("/"), t
        assert (ROOT / path).resolve().is_relative_to(ROOT) and (ROOT / path).exists(), t
    assert "../" not in README           # no path that leaves the repository, linked or not


def test_license_matches_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"] == {"text": "BSD-2-Clause"}
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 2-Clause License\n\nCopyright (c) 2026, the spikefp authors\n")
    assert "Redistributions in binary form must reproduce" in text
