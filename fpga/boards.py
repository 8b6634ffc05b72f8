"""FPGA boards a unit can be put on: the device, the clock and the UART pins.

>>> b = BOARDS["icebreaker"]
>>> b.device, b.clock_hz
('ice40-up5k', 12000000)
>>> print(b.pcf(), end="")
set_io clk 35
set_io rx 6
set_io tx 9
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Pinout", "BOARDS", "get_board"]


class Pinout(NamedTuple):
    """A board: its FPGA (a key of `spikefp.fpga.devices.DEVICES`), clock and UART pins."""

    name: str
    device: str
    clock_hz: int
    clk: str          # package pin of the oscillator
    rx: str           # into the FPGA (the host's TX)
    tx: str           # out of the FPGA (the host's RX)

    def pcf(self) -> str:
        """The nextpnr-ice40 pin constraints of the board top's ports ``clk``, ``rx``, ``tx``."""
        return "".join(f"set_io {port} {pin}\n" for port, pin in (("clk", self.clk), ("rx", self.rx), ("tx", self.tx)))


BOARDS = {
    # iCEBreaker v1.0: UP5K in the SG48 package, 12 MHz oscillator on pin 35, the FTDI
    # FT2232H's second channel wired as a UART to pins 6 (RX) and 9 (TX).
    "icebreaker": Pinout("icebreaker", "ice40-up5k", 12_000_000, "35", "6", "9"),
}


def get_board(name: str) -> Pinout:
    """The board called ``name``; `ValueError` naming the choices otherwise."""
    try:
        return BOARDS[name]
    except KeyError:
        raise ValueError(f"unknown board {name!r}; choose from {', '.join(BOARDS)}") from None
