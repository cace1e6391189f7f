"""Fixtures: nengo's habits (``Simulator``, ``seed``, ``rng``, ``allclose``,
``plt``), so the behavioural tests run on any backend::

    pytest                                             # nengo.Simulator
    pytest --simulator nengo_dl.Simulator tests        # the same assertions on NengoDL
    pytest --simulator nengo_loihi.Simulator tests     # and on the Loihi emulator

``backend`` is the `nengo_lmu.backends.Backend` of the simulator under test:
networks are built for it (``LMUMemory(..., backend=backend)``).  Tests that
compare backends with each other name them and do not take the fixture.
"""

import importlib
import importlib.util
import warnings

import pytest

from nengo_lmu import backends

HAVE_DL = importlib.util.find_spec("nengo_dl") is not None
HAVE_LOIHI = importlib.util.find_spec("nengo_loihi") is not None
HAVE_KERAS_LMU = importlib.util.find_spec("keras_lmu") is not None

requires_dl = pytest.mark.skipif(not HAVE_DL, reason="needs nengo-lmu[dl]")
requires_loihi = pytest.mark.skipif(not HAVE_LOIHI, reason="needs nengo-lmu[loihi]")
requires_keras_lmu = pytest.mark.skipif(
    not HAVE_KERAS_LMU, reason="needs nengo-lmu[keras]"
)


def pytest_addoption(parser):
    parser.addoption(
        "--simulator",
        default="nengo.Simulator",
        help="the simulator class the behavioural tests run on (e.g. "
        "nengo_dl.Simulator, nengo_loihi.Simulator)",
    )


def _load(name):
    module, _, cls = name.rpartition(".")
    return getattr(importlib.import_module(module), cls)


@pytest.fixture(scope="session")
def Simulator(request):
    """The simulator class under test (``--simulator``)."""
    name = request.config.getoption("--simulator")
    try:
        simulator = _load(name)
    except ImportError as error:
        pytest.skip(f"--simulator {name}: {error}")
    backends.get(backends.for_simulator(simulator)).import_module()
    return simulator


@pytest.fixture(scope="session")
def backend(Simulator):
    """The `Backend` of the simulator under test."""
    return backends.for_simulator(Simulator)


def on_chip_neurons():
    """A few neurons in the current network: nengo-loihi refuses a network
    that has none for its chip (the exact memory runs on the host)."""
    import nengo

    return nengo.Ensemble(4, 1, neuron_type=nengo.SpikingRectifiedLinear())


@pytest.fixture(autouse=True)
def quiet_backends():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*weight rounding.*")
        warnings.filterwarnings("ignore", message=".*native TensorFlow.*")
        yield
