"""spikefp.nn: torch modules and functions whose forward runs spiking units, bit for bit.

Forward passes run the exact threshold-gate units (`spikefp.nn.units.run`); backward passes are
the float gradient of the same computation (straight-through, `spikefp.nn.autograd.ste`). Every
call is recorded for the cost report of the last forward (`spikefp.nn.costs`).

>>> import torch, spikefp.nn as snn
>>> with snn.record() as rec:
...     y = snn.units.run("add", "fp16", torch.tensor([1.0], dtype=torch.float16), torch.tensor([2.0], dtype=torch.float16))
>>> y.tolist(), rec.costs().evaluations
([3.0], 1)
"""

from . import autograd, costs, emulate, functional, module, norms, norms_emulate, units
from .autograd import ste
from .costs import Costs, Recorder, record
from .linear import GELU, Linear, ReLU
from .module import SpikingModule
from .norms import LayerNorm, RMSNorm, Softmax

__all__ = ["Costs", "Recorder", "record", "ste", "autograd", "costs", "units", "functional", "emulate",
           "SpikingModule", "Linear", "ReLU", "GELU", "norms", "norms_emulate", "LayerNorm", "RMSNorm", "Softmax"]
