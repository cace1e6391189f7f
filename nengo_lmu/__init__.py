"""nengo-lmu: the Legendre Memory Unit as a spiking network on Nengo.

``import nengo_lmu`` needs only nengo; NengoDL and nengo-loihi are imported
when a backend that needs them is used.
"""

from nengo_lmu.version import version as __version__
from nengo_lmu.system import discretize, legendre_readout, lmu_matrices
from nengo_lmu.mapping import principle3
from nengo_lmu.memory import LMUMemory
from nengo_lmu.learning import (
    Delay,
    PESReadout,
    WindowEnergy,
    WindowFunction,
    WindowMax,
    WindowMean,
)
from nengo_lmu.network import LMUNetwork
from nengo_lmu.simulators import Simulator

__all__ = [
    "Delay",
    "PESReadout",
    "WindowEnergy",
    "WindowFunction",
    "WindowMax",
    "WindowMean",
    "LMUMemory",
    "LMUNetwork",
    "Simulator",
    "discretize",
    "legendre_readout",
    "lmu_matrices",
    "principle3",
]
