"""`SpikingModule`: the base of every spiking torch module; records each forward, reports its costs.

>>> import torch, spikefp.nn as snn
>>> class Double(SpikingModule):
...     def forward(self, x):
...         return snn.units.run("add", "fp32", x, x)
>>> m = Double(); y = m(torch.ones(3, 2))
>>> y[0].tolist(), m.costs().samples, m.costs().evaluations
([2.0, 2.0], 3, 6)
"""

from __future__ import annotations

import math

import torch

from .costs import Costs, record

__all__ = ["SpikingModule"]


class SpikingModule(torch.nn.Module):
    """A torch module whose every forward is recorded; ``costs()`` reports the last one.

    A sample is a row of the input: all dimensions but the last (tokens of a sequence, rows
    of a batch); subclasses whose sample is something else override `samples`.
    """

    _last_forward = _last_costs = None

    def samples(self, x: torch.Tensor) -> int:
        """How many samples ``x`` holds (the cost report's per-sample divisor)."""
        return math.prod(x.shape[:-1])

    def __call__(self, x, *args, **kwargs):
        with record(samples=self.samples(x)) as rec:
            out = super().__call__(x, *args, **kwargs)
        self._last_forward, self._last_costs = rec, None
        return out

    def costs(self) -> Costs:
        """Neurons, spikes, synaptic operations and energy of the last forward (`spikefp.nn.costs`)."""
        if self._last_forward is None:
            raise ValueError(f"{type(self).__name__}.costs(): no forward pass has run yet")
        if self._last_costs is None:
            self._last_costs = self._last_forward.costs()
        return self._last_costs

    def __getstate__(self):
        # copies and pickles carry the parameters, not the record of a past forward (unit references)
        state = super().__getstate__()
        state.pop("_last_forward", None)
        state.pop("_last_costs", None)
        return state
