"""nengo-lmu: the Legendre Memory Unit as a spiking network on Nengo.

``import nengo_lmu`` needs only nengo; NengoDL and nengo-loihi are imported
when a backend that needs them is used, TensorFlow and keras-lmu when
`from_keras` or `to_keras` runs.
"""

from nengo_lmu.version import version as __version__
from nengo_lmu.system import discretize, legendre_readout, lmu_matrices
from nengo_lmu.mapping import principle3
from nengo_lmu.backends import Simulator
from nengo_lmu.memory import InputStatistics, LMUMemory
from nengo_lmu.learning import (
    Delay,
    PESReadout,
    WindowEnergy,
    WindowFunction,
    WindowMax,
    WindowMean,
)
from nengo_lmu.network import LMUNetwork
from nengo_lmu.stack import LMUStack

# nengo's builder (nengo.Simulator, NengoDL) checks nengo-lmu's networks from
# the start; nengo-loihi's as soon as it is imported and a network is made
from nengo_lmu import backends as _backends

_backends.register_imported()

#: Names this package gives from modules it imports on first use.
_LAZY = {"from_keras": "nengo_lmu.keras", "to_keras": "nengo_lmu.keras"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nengo_lmu' has no attribute {name!r}")


__all__ = [
    "Delay",
    "PESReadout",
    "WindowEnergy",
    "WindowFunction",
    "WindowMax",
    "WindowMean",
    "InputStatistics",
    "LMUMemory",
    "LMUNetwork",
    "LMUStack",
    "Simulator",
    "discretize",
    "from_keras",
    "legendre_readout",
    "lmu_matrices",
    "principle3",
    "to_keras",
]
