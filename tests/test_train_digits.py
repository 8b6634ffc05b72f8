"""examples/train_digits.py: a spiking MLP trained on digits, its forward checked bit for bit every step.

Run in subprocesses as a user runs it: a short training (the first 256 training samples, one
epoch) whose every step must be bit-exact, a usage error (exit 2, one line; the other usage
errors in-process through `main`), the progress bar on a terminal and Ctrl-C (a real SIGINT:
exit 130, no traceback), and, slow, the full default run that must reach 95 % test accuracy
with the float model's accuracy.
"""

import importlib.util
import json
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "train_digits.py"
KEYS = {"steps", "bit_exact_steps", "first_mismatch_step", "test_bit_exact", "weights_bit_exact", "spiking_accuracy",
        "float_accuracy", "final_loss", "epochs", "batch_size", "lr", "seed", "activation", "format",
        "accumulate", "train_samples", "test_samples", "seconds", "forward_costs"}


def _run(*args, timeout=600):
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_short_training_every_step_bit_exact():
    r = _run("--limit", "256", "--epochs", "1", "--batch-size", "64", "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""                       # no progress bar when stderr is not a terminal
    lines = r.stdout.splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) == KEYS
    assert (out["steps"], out["bit_exact_steps"], out["first_mismatch_step"]) == (4, 4, None)
    assert out["test_bit_exact"] and out["weights_bit_exact"]
    assert (out["train_samples"], out["test_samples"], out["epochs"], out["batch_size"]) == (256, 360, 1, 64)
    assert out["spiking_accuracy"] == out["float_accuracy"]
    assert out["spiking_accuracy"] * 360 == round(out["spiking_accuracy"] * 360)
    assert out["spiking_accuracy"] > 0.3        # 4 Adam steps already learn something (chance: 0.1)
    c = out["forward_costs"]
    # per sample: 64·32 + 32·10 products, as many adds plus 32 + 10 bias adds, 32 relus
    assert (c["samples"], c["evaluations"]) == (360, 4810)
    assert c["units"] == {"fp32.mul": 2368, "fp32.add": 2410, "fp32.max": 32}
    assert c["spikes"] > 0 and c["synops"] > c["spikes"] and c["energy_pj"] > 0
    assert c["neurons"] > c["distinct_neurons"] > 0


def test_human_report():
    r = _run("--limit", "64", "--epochs", "1", "--batch-size", "64", "--seed", "3")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("digits, 64-32-10 MLP, fp32 sequential spiking Linear + spiking relu: "
                               "64 train / 360 test samples, 1 epochs, 1 steps, ")
    assert lines[1] == "bit-exact steps (spiking logits == float model's, every bit): 1 / 1"
    assert lines[-1] == "PASS"


def _load():
    spec = importlib.util.spec_from_file_location("train_digits", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


train_digits = _load()


def test_bad_argument_run_exits_2_with_one_line():
    r = _run("--epochs", "0")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "train_digits.py: error: argument --epochs: must be > 0 (got 0) (see --help)\n"


@pytest.mark.parametrize("args, message", [
    (["--batch-size", "-3"], "argument --batch-size: must be > 0 (got -3)"),
    (["--lr", "x"], "argument --lr: not a number: 'x'"),
    (["--limit", "1.5"], "argument --limit: not a number: '1.5'"),
    (["--activation", "tanh"], "argument --activation: invalid choice: 'tanh' (choose from "),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_arguments(capsys, args, message):
    assert train_digits.main(args) == 2
    out, err = capsys.readouterr()
    line = f"train_digits.py: error: {message}"
    assert out == ""
    if message.endswith("(choose from "):       # the choices' quoting depends on the Python version
        assert err.startswith(line) and err.endswith(" (see --help)\n") and err.count("\n") == 1
    else:
        assert err == f"{line} (see --help)\n"


@pytest.mark.slow
def test_default_training_reaches_95_percent_bit_exact():
    r = _run("--json", "--quiet")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["steps"] == out["bit_exact_steps"] == 450
    assert out["test_bit_exact"] and out["weights_bit_exact"]
    assert out["spiking_accuracy"] == out["float_accuracy"] >= 0.95


def test_progress_on_a_terminal_and_ctrl_c_exits_130():
    # stderr on a pseudo-terminal: the progress bar shows; SIGINT once it has shown stops the run
    master, slave = pty.openpty()
    termios.tcsetwinsize(slave, (24, 80))          # a new pty is 0 columns wide: tqdm would draw nothing
    p = subprocess.Popen([sys.executable, str(SCRIPT), "--epochs", "1000"], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=slave, text=True)
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 120
        while b"step/s]" not in seen and b"s/step]" not in seen:      # a step done: the rate shows
            assert time.monotonic() < deadline and p.poll() is None, seen
            if select.select([master], [], [], 1)[0]:
                seen += os.read(master, 4096)
        p.send_signal(signal.SIGINT)
        out, _ = p.communicate(timeout=60)
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:                     # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        p.kill() if p.poll() is None else None
        os.close(master)
    assert p.returncode == 130
    assert out == ""
    text = seen.decode()
    assert "training:" in text and "/45000 [" in text       # 1000 epochs x 45 steps
    assert text.rstrip().endswith("train_digits.py: interrupted") and "Traceback" not in text
