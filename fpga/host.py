"""The host side of a unit on an FPGA board behind a UART (`spikefp.fpga.board`).

The protocol (`Frame`): the host sends one request, the value of every input port of the
unit's netlist in port order (``a``, ``b``, ..., then ``rm`` for a dynamic unit), each in
ceil(width / 8) bytes, most significant byte first; the board answers with every output
port (``y``, then ``flags``) the same way. One request at a time: send the next after the
answer. A request left unfinished for `TIMEOUT_BYTES` byte times is discarded by the board,
so after a lost byte the host waits that long and starts afresh (`Board.resync`).

`Board` drives any byte stream with ``read(n)`` and ``write(data)``: a serial port opened
with `open_serial` (the standard library's ``termios``; no pyserial needed), or a test's
stand-in. ``Board.run`` has the exact engine's interface (port arrays in, ``y`` and
``flags`` arrays out), so `spikefp eval`'s line reader and writer take a board as their engine:
``spikefp.evaluate.evaluate_lines(unit, sys.stdin, sys.stdout, engine=board)``.

>>> import spikefp
>>> f = Frame.of(spikefp.unit("fp16.add").netlist)
>>> f.encode({"a": 0x3C00, "b": 0x4000}).hex(), f.request_bytes, f.response_bytes
('3c004000', 4, 3)
>>> f.decode(bytes.fromhex("420001"))
{'y': 16896, 'flags': 1}
>>> class Loopback:                 # a stand-in board: answers 1.0 + 2.0 = 3.0, no flags
...     def write(self, data): self.pending = bytes.fromhex("420000")
...     def read(self, n): out, self.pending = self.pending[:n], self.pending[n:]; return out
>>> board = Board(Loopback(), spikefp.unit("fp16.add"))
>>> board.evaluate(0x3C00, 0x4000)
(16896, 0)
>>> from spikefp.evaluate import evaluate_lines
>>> import io, sys
>>> evaluate_lines(board.unit, io.StringIO("3C00 4000\\n"), sys.stdout, engine=board)
3C00 4000 4200 00
"""

from __future__ import annotations

import os
import time
from typing import NamedTuple

import numpy as np

from ..generators.fpformat import rm_code

__all__ = ["TIMEOUT_BYTES", "Frame", "Board", "BoardTimeout", "open_serial"]

TIMEOUT_BYTES = 100      # the board drops a request unfinished this long (8.7 ms at 115200 baud)


def _bytes(width: int) -> int:
    return -(-width // 8)


class Frame(NamedTuple):
    """The byte layout of one request and its answer: port -> width, in netlist order."""

    inputs: dict
    outputs: dict

    @classmethod
    def of(cls, netlist) -> "Frame":
        return cls(dict(netlist.inputs), {k: len(bits) for k, bits in netlist.outputs.items()})

    @property
    def request_bytes(self) -> int:
        return sum(_bytes(w) for w in self.inputs.values())

    @property
    def response_bytes(self) -> int:
        return sum(_bytes(w) for w in self.outputs.values())

    def encode(self, values: dict) -> bytes:
        """A request: every input port's value, MS byte first; `ValueError` for a missing or too wide one."""
        out = b""
        for name, width in self.inputs.items():
            if name not in values:
                raise ValueError(f"no value for input port {name!r}")
            v = int(values[name])
            if not 0 <= v < 1 << width:
                raise ValueError(f"input {name}={v:#x} does not fit in {width} bits")
            out += v.to_bytes(_bytes(width), "big")
        return out

    def decode(self, data: bytes) -> dict:
        """An answer's output port values; `ValueError` unless it is exactly one answer long."""
        if len(data) != self.response_bytes:
            raise ValueError(f"an answer is {self.response_bytes} bytes, got {len(data)}")
        out, at = {}, 0
        for name, width in self.outputs.items():
            n = _bytes(width)
            out[name] = int.from_bytes(data[at:at + n], "big")
            at += n
        return out


class BoardTimeout(RuntimeError):
    """The board did not answer in time (not connected, wrong bitstream or baud rate)."""


class Board:
    """A unit on a board, through ``stream`` (``read(n)``, ``write(data)``; ``read`` may return
    fewer bytes, and returns none once its timeout passes).

    ``baud`` only sizes the wait of `resync` (the board's idle timeout in byte times).
    """

    def __init__(self, stream, unit, baud: int = 115_200, retries: int = 1):
        self.stream, self.unit, self.baud, self.retries = stream, unit, baud, retries
        self.frame = Frame.of(unit.netlist)

    def request(self, values: dict) -> dict:
        """Send one request (port -> value); the answer's output port values."""
        data = self.frame.encode(values)
        for attempt in range(self.retries + 1):
            self.stream.write(data)
            if hasattr(self.stream, "flush"):
                self.stream.flush()
            answer = self._read(self.frame.response_bytes)
            if len(answer) == self.frame.response_bytes:
                return self.frame.decode(answer)
            if attempt < self.retries:
                self.resync()
        raise BoardTimeout(f"no answer from the board for {self.unit.name} (got {len(answer)} of "
                           f"{self.frame.response_bytes} bytes): is the bitstream of this unit loaded, "
                           f"at {self.baud} baud?")

    def evaluate(self, *operands: int, rm: str | None = None) -> tuple[int, int]:
        """(result, flags) of one operation on operand bit patterns (``rm`` for a dynamic unit)."""
        if len(operands) != len(self.unit.operands):
            raise ValueError(f"{self.unit.name} takes {len(self.unit.operands)} operands, got {len(operands)}")
        values = dict(zip(self.unit.operands, operands))
        if "rm" in self.frame.inputs:
            values["rm"] = rm_code(rm or self.unit.rm)
        out = self.request(values)
        return out["y"], out["flags"]

    def run(self, **inputs) -> dict:
        """Input port arrays in, output port arrays (uint64) out, one request per element:
        the interface of a compiled netlist (`spikefp.pysim`)."""
        n = len(next(iter(inputs.values())))
        rows = [self.request({k: int(v[i]) for k, v in inputs.items()}) for i in range(n)]
        return {k: np.array([r[k] for r in rows], dtype=np.uint64) for k in self.frame.outputs}

    def __str__(self) -> str:
        return "board"

    def resync(self) -> None:
        """Let the board drop a half-received request (it waits `TIMEOUT_BYTES` byte times),
        and throw away whatever half answer arrived."""
        time.sleep(2 * TIMEOUT_BYTES * 10 / self.baud)
        while self._read(64):
            pass

    def _read(self, n: int) -> bytes:
        got = b""
        while len(got) < n:
            chunk = self.stream.read(n - len(got))
            if not chunk:
                break
            got += chunk
        return got


def open_serial(port: str, baud: int = 115_200, timeout: float = 1.0):
    """A serial port as a raw binary file (``read`` gives up after ``timeout`` seconds of silence).

    Standard library only (``termios``): raw mode, 8N1, no flow control.
    """
    import io
    import termios
    speed = getattr(termios, f"B{baud}", None)
    if speed is None:
        raise ValueError(f"{baud} baud is not a standard rate of this system's termios")
    fd = os.open(port, os.O_RDWR | os.O_NOCTTY)
    try:
        iflag, oflag, cflag, lflag, _, _, cc = termios.tcgetattr(fd)
        iflag = 0                                   # no break, parity, CR/NL or XON/XOFF handling
        oflag = 0                                   # no output processing
        cflag = (cflag & ~(termios.CSIZE | termios.PARENB | termios.CSTOPB | getattr(termios, "CRTSCTS", 0))) \
            | termios.CS8 | termios.CREAD | termios.CLOCAL
        lflag = 0                                   # no echo, no line editing, no signals
        cc[termios.VMIN] = 0                        # read returns what came within VTIME
        cc[termios.VTIME] = max(1, min(255, round(timeout * 10)))
        termios.tcsetattr(fd, termios.TCSANOW, [iflag, oflag, cflag, lflag, speed, speed, cc])
        termios.tcflush(fd, termios.TCIOFLUSH)
    except BaseException:
        os.close(fd)
        raise
    return io.FileIO(fd, "r+b", closefd=True)
