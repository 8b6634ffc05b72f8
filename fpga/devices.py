"""The FPGA devices `spikefp synth` and `spikefp board` target, with their capacities.

Capacities are the devices' data-sheet figures (Lattice iCE40 UltraPlus and HX families);
``nextpnr_args`` select the device and package for nextpnr-ice40.

>>> d = device("ice40-up5k")
>>> d.luts, d.dsps, d.nextpnr_args
(5280, 8, ('--up5k', '--package', 'sg48'))
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Device", "DEVICES", "device"]


class Device(NamedTuple):
    name: str
    luts: int                  # logic cells (one LUT4, one carry and one flip-flop each)
    brams: int                 # 4 kbit embedded block RAMs
    dsps: int                  # SB_MAC16 multiply-accumulate blocks
    ios: int                   # user I/O pins of the package
    nextpnr_args: tuple[str, ...]


DEVICES = {
    "ice40-up5k": Device("ice40-up5k", 5280, 30, 8, 39, ("--up5k", "--package", "sg48")),
    "ice40-hx8k": Device("ice40-hx8k", 7680, 32, 0, 206, ("--hx8k", "--package", "ct256")),
}


def device(name: str) -> Device:
    """The device called ``name``; ValueError naming the choices otherwise."""
    if name not in DEVICES:
        raise ValueError(f"unknown FPGA target {name!r}; choose from {', '.join(DEVICES)}")
    return DEVICES[name]
