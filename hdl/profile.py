"""Gate profiles: the limits a target puts on every neuron.

A profile bounds a neuron's fan-in (number of non-zero weights), the magnitude of each
integer weight and the magnitude of its threshold. Generators read the profile and pick
constructions that respect it (for example smaller carry-lookahead blocks when weights
are narrow); `Netlist.validate(profile)` checks the result.

>>> from spikefp.hdl import get_profile
>>> get_profile("loihi").max_weight
127
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Profile", "PROFILES", "get_profile"]


@dataclass(frozen=True)
class Profile:
    """Limits on one neuron; ``None`` means unbounded."""

    name: str
    max_fanin: int | None = None
    max_weight: int | None = None
    max_threshold: int | None = None
    description: str = ""

    def weight_ok(self, w: int) -> bool:
        return self.max_weight is None or abs(w) <= self.max_weight

    def max_block_bits(self) -> int:
        """Largest k such that weights 2**0 .. 2**(k-1) fit the profile (binary-weighted gates)."""
        if self.max_weight is None:
            return 1 << 16
        return max(1, self.max_weight.bit_length())


PROFILES = {
    "default": Profile(
        "default", max_fanin=64, max_weight=1024, max_threshold=None,
        description="generic threshold hardware: fan-in <= 64, |weight| <= 1024",
    ),
    # Loihi: signed 8-bit synaptic weights (Davies et al., IEEE Micro 2018); we use the
    # symmetric range |w| <= 127. Thresholds are 17-bit; one core takes <= 4,096 input axons.
    "loihi": Profile(
        "loihi", max_fanin=4096, max_weight=127, max_threshold=(1 << 17) - 1,
        description="Loihi-style core: signed 8-bit weights (|w| <= 127), 17-bit threshold",
    ),
}


def get_profile(profile: str | Profile) -> Profile:
    """Return a `Profile` given one or its name; unknown names raise `ValueError`."""
    if isinstance(profile, Profile):
        return profile
    try:
        return PROFILES[profile]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown gate profile {profile!r}; known profiles: {', '.join(PROFILES)}"
        ) from None
