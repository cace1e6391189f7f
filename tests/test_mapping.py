import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

import nengo_lmu
from nengo_lmu import backends, lmu_matrices, principle3
from nengo_lmu.experiments.metrics import delay_steps
from nengo_lmu.system import discretize, ideal_memory

from .conftest import on_chip_neurons


def test_continuous_principle3(allclose):
    A, B = lmu_matrices(5, 1.0)
    A_mapped, B_mapped = principle3(A, B, nengo.Lowpass(0.05))
    assert allclose(A_mapped, 0.05 * A + np.eye(5))
    assert allclose(B_mapped, 0.05 * B)


# the per-step decays of the digital lowpass each simulator runs, computed
# here independently: exp(-dt/tau) on nengo and NengoDL; on Loihi the 12-bit
# integer nengo-loihi programs, round(4095 (1 - exp(-dt/tau)) - 1), of which
# the chip keeps (4095 - decay) / 4096 per step
DT, TAU = 0.001, 0.02
DECAYS = {
    "nengo": np.exp(-DT / TAU),
    "dl": np.exp(-DT / TAU),
    "loihi": (4095 - round(4095 * (1 - np.exp(-DT / TAU)) - 1)) / 4096,
}


@pytest.mark.parametrize("name", backends.NAMES)
def test_discrete_principle3_closes_the_loop(name, allclose):
    # x[k+1] = a x[k] + (1 - a)(A' x[k] + B' u[k]) must equal (Ad, Bd)
    A, B = lmu_matrices(6, 0.5)
    decay = backends.get(name).synapse_decay(TAU, DT)
    assert decay == pytest.approx(DECAYS[name], rel=1e-12)
    A_mapped, B_mapped = principle3(A, B, TAU, dt=DT, decay=decay)
    Ad, Bd = discretize(A, B, DT)
    assert allclose(DECAYS[name] * np.eye(6) + (1 - DECAYS[name]) * A_mapped, Ad)
    assert allclose((1 - DECAYS[name]) * B_mapped, Bd)


def test_default_decay_is_nengos(allclose):
    A, B = lmu_matrices(3, 1.0)
    mapped = principle3(A, B, 0.1, dt=0.001)
    given = principle3(A, B, 0.1, dt=0.001, decay=np.exp(-0.01))
    assert allclose(mapped[0], given[0]) and allclose(mapped[1], given[1])


def test_target_keyword_is_deprecated(allclose):
    A, B = lmu_matrices(3, 1.0)
    with pytest.warns(DeprecationWarning, match="decay"):
        old = principle3(A, B, 0.1, dt=0.001, target="loihi")
    new = principle3(A, B, 0.1, dt=0.001, decay=DECAYS_LOIHI_01)
    assert allclose(old[0], new[0])


DECAYS_LOIHI_01 = (4095 - 40) / 4096


@pytest.mark.parametrize(
    "synapse", [nengo.Alpha(0.1), nengo.LinearFilter([1], [0.1, 0.2, 1]), "fast"]
)
def test_unmappable_synapse(synapse):
    A, B = lmu_matrices(3, 1.0)
    with pytest.raises(ValidationError, match="synapse"):
        principle3(A, B, synapse, dt=0.001)


@pytest.mark.parametrize(
    "kwargs, attr",
    [
        ({"dt": float("nan")}, "dt"),
        ({"dt": -0.001}, "dt"),
        ({"decay": 1.0}, "decay"),
    ],
)
def test_bad_discrete_arguments(kwargs, attr):
    A, B = lmu_matrices(3, 1.0)
    with pytest.raises(ValidationError, match=attr):
        principle3(A, B, 0.1, **dict({"dt": 0.001}, **kwargs))


def exact_memory_error(Simulator, tau, dt, configure=None):
    with nengo.Network(seed=0) as model:
        if configure is not None:
            configure()
        stim = nengo.Node(nengo.processes.WhiteSignal(1.0, high=2, rms=0.3, seed=3))
        memory = nengo_lmu.LMUMemory(6, 0.5, neuron_type=None, synapse=tau, dt=dt)
        nengo.Connection(stim, memory.input, synapse=None)
        probe_u = nengo.Probe(stim, synapse=None)
        probe_state = nengo.Probe(memory.state, synapse=None)
        on_chip_neurons()
    with Simulator(model, dt=dt, progress_bar=False) as sim:
        sim.run(1.0)
    # a simulator's recurrence sees the input one step later
    ideal = ideal_memory(delay_steps(sim.data[probe_u], 1), 6, 0.5, dt)[:, 0]
    error = np.abs(sim.data[probe_state] - ideal)
    return np.max(error) / np.max(np.abs(ideal))


@pytest.mark.parametrize("tau", [0.005, 0.1])
@pytest.mark.parametrize("dt", [0.001, 0.0005])
def test_exact_memory(Simulator, backend, tau, dt):
    configure = None
    if backend.name == "dl":
        import nengo_dl

        # float64: the mapping is exact; float32 rounding alone accumulates ~5e-6
        configure = lambda: nengo_dl.configure_settings(dtype="float64")  # noqa: E731
    assert exact_memory_error(Simulator, tau, dt, configure) < 1e-6


@pytest.mark.parametrize("tau", [0.005, 0.1])
@pytest.mark.parametrize("dt", [0.001, 0.0005])
def test_exact_memory_dl(tau, dt):
    nengo_dl = pytest.importorskip("nengo_dl")
    error = exact_memory_error(
        nengo_dl.Simulator,
        tau,
        dt,
        configure=lambda: nengo_dl.configure_settings(dtype="float64"),
    )
    assert error < 1e-6


@pytest.mark.parametrize("method", ["zoh", "euler"])
def test_digital_memory_takes_this_steps_input(Simulator, method):
    """With synapse 0 the memory is keras-lmu's: m_t = Ad m_{t-1} + Bd u_t."""
    with nengo.Network(seed=0) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(0.5, high=5, rms=0.3, seed=3))
        memory = nengo_lmu.LMUMemory(
            6, 0.05, neuron_type=None, synapse=0, discretizer=method
        )
        nengo.Connection(stim, memory.input, synapse=None)
        probe_u = nengo.Probe(stim, synapse=None)
        probe_state = nengo.Probe(memory.state, synapse=None)
        on_chip_neurons()
    with Simulator(model, progress_bar=False) as sim:
        sim.run(0.5)
    ideal = ideal_memory(sim.data[probe_u], 6, 0.05, sim.dt, method=method)[:, 0]
    error = np.max(np.abs(sim.data[probe_state] - ideal)) / np.max(np.abs(ideal))
    assert error < 1e-5
