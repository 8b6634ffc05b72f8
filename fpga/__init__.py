"""FPGA back-end: iCE40 devices (`devices`), the Yosys / nextpnr / icepack flow (`flow`),
`spikefp synth` (`synth`), and board wrappers."""
