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

from .chips import LOIHI1, max_threshold, max_weight

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
    # Loihi: the per-neuron limits of the loihi1 mapping target (`spikefp.hdl.chips`, where
    # the weight width is settled with its sources): a unit built for this profile maps onto
    # Loihi cores without splitting a weight.
    "loihi": Profile(
        "loihi", max_fanin=LOIHI1["fanin_axons_per_core"], max_weight=max_weight(LOIHI1),
        max_threshold=max_threshold(LOIHI1),
        description=f"Loihi-style core: signed {LOIHI1['weight_bits']}-bit weights (|w| <= {max_weight(LOIHI1)}), "
                    f"{LOIHI1['threshold_bits']}-bit threshold",
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
