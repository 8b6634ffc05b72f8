"""Progress on stderr for work longer than a couple of seconds (tqdm).

It lives in `spikefp.hdl`, the lowest layer, because every back-end (Verilog emission,
simulator builds, native compiles, mapping, regressions) reports through it. Bars appear
only when stderr is a terminal; `set_quiet` (the CLI's ``--quiet``) or ``SPIKEFP_QUIET=1``
silences them. A phase without a known total (a compiler run, a simulator build) still
shows its elapsed time: a ticker thread refreshes it while the caller blocks.

>>> with phase("counting", total=3) as bar:
...     for _ in range(3):
...         bar.update(1)
>>> enabled()            # doctest output is not a terminal
False
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time

__all__ = ["enabled", "phase", "set_quiet"]

_quiet = False


def set_quiet(quiet: bool = True) -> None:
    """Silence (or re-enable) every progress bar of this process."""
    global _quiet
    _quiet = bool(quiet)


def _silenced() -> bool:
    return _quiet or os.environ.get("SPIKEFP_QUIET", "") not in ("", "0")


def enabled() -> bool:
    """Whether progress is shown: stderr is a terminal and nobody asked for quiet."""
    if _silenced():
        return False
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):      # stderr replaced or closed
        return False


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return 0


@contextlib.contextmanager
def phase(desc: str, total: int | None = None, unit: str = "it", log_every: float | None = None):
    """A tqdm bar for one phase of work; ``bar.update(n)`` as it advances.

    With ``total=None`` the bar shows elapsed time, refreshed twice a second even while
    the caller waits on a subprocess. ``log_every`` (seconds): where stderr is no terminal
    (a log file, a batch job) and nobody asked for quiet, write one plain line that often
    instead — count, rate and time left — for work that runs for hours.
    """
    from tqdm import tqdm
    show = enabled()
    if not show and log_every and total and not _silenced():
        with _lines(desc, total, unit, log_every) as bar:
            yield bar
        return
    # Follow the terminal's width, except on one that reports 0 columns (a bare pty), where
    # tqdm would draw nothing at all.
    width = _columns() if show else 80
    # Without a total there is nothing to count: show the phase and its elapsed time only.
    fmt = "{desc}: {elapsed}" if total is None else None
    bar = tqdm(total=total, desc=desc, unit=unit, disable=not show, file=sys.stderr, leave=False,
               dynamic_ncols=width > 0, ncols=None if width > 0 else 80, mininterval=0.5, bar_format=fmt)
    try:
        with _every(0.5, bar.refresh) if not bar.disable else contextlib.nullcontext():
            yield bar
    finally:
        bar.close()


@contextlib.contextmanager
def _every(seconds: float, fn):
    """Call ``fn`` every ``seconds`` from a thread while the block runs (the caller may block)."""
    stop = threading.Event()

    def tick():
        while not stop.wait(seconds):
            fn()
    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()


class _Counter:
    def __init__(self):
        self.n = 0

    def update(self, n: int = 1) -> None:
        self.n += n


@contextlib.contextmanager
def _lines(desc: str, total: int, unit: str, every: float):
    """`phase` as a line on stderr every ``every`` seconds (and none for work shorter than that)."""
    from tqdm import tqdm
    counter, t0 = _Counter(), time.monotonic()

    def write():
        n, dt = counter.n, time.monotonic() - t0
        rate = n / dt if dt > 0 else 0.0
        left = tqdm.format_interval((total - n) / rate) if rate > 0 else "?"
        print(f"{desc}: {tqdm.format_sizeof(n)}/{tqdm.format_sizeof(total)}{unit} ({100 * n / total:.1f}%), "
              f"{tqdm.format_sizeof(rate)}{unit}/s, {tqdm.format_interval(dt)} elapsed, {left} left",
              file=sys.stderr, flush=True)

    with _every(every, write):
        yield counter
