"""Published per-neuron and per-core limits of neuromorphic chips: the one place they are written.

Both the gate profiles (`spikefp.hdl.profile`, which bound every neuron a generator builds)
and the mapping targets (`spikefp.neuro.targets`, which bound every core a mapping fills)
read these figures, so a unit built for the ``loihi`` profile fits the ``loihi1`` target
without legalization by construction. The module sits in `spikefp.hdl`, the lowest layer,
and imports nothing, so neither reader imports the other.

Loihi's synaptic weight width, settled. Davies et al. (2018) give Loihi synapses a
configurable weight precision of up to 9 bits, sign included. That 9th bit is only a
magnitude bit for synapse groups of one sign: the weight mantissa holds at most 8 bits
(NxSDK's ``numWeightBits`` <= 8), and in the *mixed* sign mode one of them is the sign, so a
group with weights of both signs has the values -256, -254, ..., 254 (steps of 2), that is
2·k for a signed 8-bit k. Brian2Loihi, an emulator that reproduces Loihi's neuron and synapse
arithmetic exactly (Michaelis et al. 2022), tabulates exactly those ranges (excitatory 0..255,
inhibitory -255..0, mixed -256..254 step 2). A threshold gate needs weights of both signs
(a NOT folded into a weight is a negative weight), and a common factor of 2 on weights and
threshold changes nothing, so its usable weights are the signed 8-bit integers; we keep
the symmetric range |w| <= 127. Hence ``weight_bits = 8``.

>>> LOIHI1["weight_bits"], max_weight(LOIHI1), max_threshold(LOIHI1)
(8, 127, 131071)
"""

__all__ = ["DAVIES_2018", "MICHAELIS_2022", "LOIHI1", "LOIHI1_SOURCES", "max_weight", "max_threshold"]

DAVIES_2018 = ("Davies et al., \"Loihi: A Neuromorphic Manycore Processor with On-Chip Learning\", "
               "IEEE Micro 38(1), 2018")
MICHAELIS_2022 = ("Michaelis et al., \"Brian2Loihi: An emulator for the neuromorphic chip Loihi\", "
                  "Front. Neuroinform. 16, 2022, doi:10.3389/fninf.2022.1015624")

# The limits of one Loihi 1 chip and core (fields of `spikefp.neuro.targets.Target`).
LOIHI1 = {
    "cores_per_chip": 128,
    "neurons_per_core": 1024,
    "synapses_per_core": 65536,
    "fanin_axons_per_core": 4096,
    "fanout_edges_per_core": 4096,
    "weight_bits": 8,            # signed, symmetric: |w| <= 2^7 - 1 (see the module docstring)
    "threshold_bits": 17,
    "membrane_bits": 23,
}

LOIHI1_SOURCES = {
    "cores_per_chip": DAVIES_2018,
    "neurons_per_core": DAVIES_2018 + " (1,024 compartments per core)",
    "synapses_per_core": DAVIES_2018 + ": 128 KB synaptic memory per core; assumed 16 bits per synapse "
                         "(weight plus index/format overhead)",
    "fanin_axons_per_core": DAVIES_2018,
    "fanout_edges_per_core": DAVIES_2018,
    "weight_bits": DAVIES_2018 + " (weights of up to 9 bits, sign included); a synapse group with weights of "
                   "both signs keeps 8 of them, -256..254 in steps of 2 (" + MICHAELIS_2022 + "), so signed "
                   "8-bit weights, |w| <= 127, for a threshold gate",
    "threshold_bits": DAVIES_2018,
    "membrane_bits": DAVIES_2018 + " (+-23-bit membrane)",
}


def max_weight(chip: dict) -> int:
    """Largest weight magnitude of a chip's signed ``weight_bits`` (symmetric range)."""
    return (1 << (chip["weight_bits"] - 1)) - 1


def max_threshold(chip: dict) -> int:
    """Largest threshold of a chip's unsigned ``threshold_bits``."""
    return (1 << chip["threshold_bits"]) - 1
