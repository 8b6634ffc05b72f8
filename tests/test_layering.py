"""Layering: the library folders never import the top-level `spikefp/` modules, and no files import each other in a loop.

Every ``.py`` file of the packages that pyproject.toml maps (``package-dir``) is parsed with
`ast`; each import (module level and inside functions, relative ones resolved against the
mapping) is resolved to the most specific project module it names. The CLI, the demo and the
facade sit on top; ``hdl/ generators/ pysim/ verify/ neuro/ fpga/`` sit below and must not
reach up, not even to the `spikefp` package itself (its lazy ``unit`` lives in
`spikefp.generators.units`). Module-level imports (those that run at import time) form a
graph whose strongly connected components must all be single files.
"""

import ast
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ("spikefp.hdl", "spikefp.generators", "spikefp.pysim", "spikefp.verify", "spikefp.neuro", "spikefp.fpga", "spikefp.nn")


def package_dirs(root: Path) -> dict[str, Path]:
    """Package name -> folder, from pyproject.toml's ``[tool.setuptools] package-dir``."""
    conf = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    return {pkg: root / folder for pkg, folder in conf["package-dir"].items()}


def modules(dirs: dict[str, Path]) -> dict[str, Path]:
    """Module name -> file of every module of the packages (``pkg`` for ``__init__.py``)."""
    out = {}
    for pkg, folder in dirs.items():
        for f in sorted(folder.glob("*.py")):
            out[pkg if f.stem == "__init__" else f"{pkg}.{f.stem}"] = f
    return out


def imports(name: str, path: Path, known) -> list[tuple[str, int, bool]]:
    """(imported project module, line, at module level) for every import in the file."""
    is_pkg = path.name == "__init__.py"
    found = []

    def add(target: str, line: int, top: bool):
        if target.split(".")[0] == "spikefp":
            found.append((target, line, top))

    def visit(node, top: bool):
        for child in ast.iter_child_nodes(node):
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    add(alias.name, child.lineno, top)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    parts = name.split(".") if is_pkg else name.split(".")[:-1]
                    parts = parts[:len(parts) - (child.level - 1)]
                    base = ".".join(parts + ([child.module] if child.module else []))
                else:
                    base = child.module
                for alias in child.names:
                    sub = f"{base}.{alias.name}"
                    add(sub if sub in known else base, child.lineno, top)
            visit(child, inner)

    visit(ast.parse(path.read_text(), str(path)), True)
    return found


def graph(root: Path):
    dirs = package_dirs(root)
    mods = modules(dirs)
    return dirs, mods, {m: imports(m, p, mods) for m, p in mods.items()}


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the strongly connected components of ``edges``."""
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    comps.append(sorted(comp))
    return comps


def top_level_violations(root: Path) -> list[str]:
    dirs, mods, imps = graph(root)
    top = {m for m in mods if m == "spikefp" or (m.count(".") == 1 and m not in dirs)}
    bad = []
    for m, found in imps.items():
        if not m.startswith(LIBRARY):
            continue
        for target, line, _ in found:
            if target in top:
                bad.append(f"{mods[m].relative_to(root)}:{line} imports {target}")
    return bad


def import_cycles(root: Path) -> list[list[str]]:
    _, mods, imps = graph(root)
    edges = {m: {t for t, _, top in found if top and t in mods} for m, found in imps.items()}
    return [c for c in strongly_connected(edges) if len(c) > 1 or c[0] in edges[c[0]]]


def test_the_graph_covers_every_package_and_resolves_relative_imports():
    dirs, mods, imps = graph(ROOT)
    assert set(LIBRARY) | {"spikefp"} == set(dirs)
    assert {"spikefp.cli", "spikefp.hdl.rtl", "spikefp.verify.tools", "spikefp.hdl.chips"} <= set(mods)
    targets = {t for t, _, _ in imps["spikefp.verify.rtl_sim"]}
    assert {"spikefp.pysim", "spikefp.hdl.rtl", "spikefp.verify.check", "spikefp.verify.tools"} <= targets
    assert "spikefp.hdl.chips" in {t for t, _, _ in imps["spikefp.hdl.profile"]}


def test_library_never_imports_a_top_level_spikefp_module():
    assert top_level_violations(ROOT) == []


def test_no_import_cycle_between_files():
    assert import_cycles(ROOT) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.setuptools]\npackage-dir = { "spikefp" = "spikefp", "spikefp.hdl" = "hdl" }\n')
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_the_checks_find_what_they_look_for(tmp_path):
    """A planted upward import (inside a function too) and a planted loop are reported."""
    root = _tree(tmp_path, {
        "spikefp/__init__.py": "", "spikefp/rtl.py": "from .hdl import a\n", "hdl/__init__.py": "",
        "hdl/a.py": "from . import b\n\ndef f():\n    from .. import rtl\n",
        "hdl/b.py": "import spikefp.hdl.a\nfrom .. import __version__\n",
    })
    assert top_level_violations(root) == ["hdl/a.py:4 imports spikefp.rtl", "hdl/b.py:2 imports spikefp"]
    assert import_cycles(root) == [["spikefp.hdl.a", "spikefp.hdl.b"]]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))
