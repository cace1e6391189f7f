import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

import nengo_lmu
from nengo_lmu import lmu_matrices, principle3
from nengo_lmu.evaluation import delay_steps
from nengo_lmu.simulators import synapse_decay
from nengo_lmu.system import discretize, ideal_memory

from .conftest import requires_dl


def test_continuous_principle3(allclose):
    A, B = lmu_matrices(5, 1.0)
    A_mapped, B_mapped = principle3(A, B, nengo.Lowpass(0.05))
    assert allclose(A_mapped, 0.05 * A + np.eye(5))
    assert allclose(B_mapped, 0.05 * B)


@pytest.mark.parametrize("target", ["nengo", "dl", "loihi"])
def test_discrete_principle3_closes_the_loop(target, allclose):
    # x[k+1] = a x[k] + (1 - a)(A' x[k] + B' u[k]) must equal (Ad, Bd)
    A, B = lmu_matrices(6, 0.5)
    dt, tau = 0.001, 0.02
    A_mapped, B_mapped = principle3(A, B, tau, dt=dt, target=target)
    decay = synapse_decay(tau, dt, target)
    Ad, Bd = discretize(A, B, dt)
    assert allclose(decay * np.eye(6) + (1 - decay) * A_mapped, Ad)
    assert allclose((1 - decay) * B_mapped, Bd)


def test_loihi_decay_is_quantized():
    # nengo-loihi stores round(4095 (1 - exp(-dt/tau)) - 1) = 40 for tau 0.1
    assert synapse_decay(0.1, 0.001, "loihi") == (4095 - 40) / 4096
    assert synapse_decay(0.1, 0.001, "nengo") == pytest.approx(np.exp(-0.01))


@pytest.mark.parametrize(
    "synapse", [nengo.Alpha(0.1), nengo.LinearFilter([1], [0.1, 0.2, 1]), "fast"]
)
def test_unmappable_synapse(synapse):
    A, B = lmu_matrices(3, 1.0)
    with pytest.raises(ValidationError, match="synapse"):
        principle3(A, B, synapse, dt=0.001)


def test_unknown_target():
    A, B = lmu_matrices(3, 1.0)
    with pytest.raises(ValidationError, match="target.*nengo, dl, loihi"):
        principle3(A, B, 0.1, dt=0.001, target="spinnaker")


def exact_memory_error(simulator, tau, dt, configure=None):
    with nengo.Network(seed=0) as model:
        if configure is not None:
            configure()
        stim = nengo.Node(nengo.processes.WhiteSignal(1.0, high=2, rms=0.3, seed=3))
        memory = nengo_lmu.LMUMemory(6, 0.5, neuron_type=None, synapse=tau, dt=dt)
        nengo.Connection(stim, memory.input, synapse=None)
        probe_u = nengo.Probe(stim, synapse=None)
        probe_state = nengo.Probe(memory.state, synapse=None)
    with simulator(model, dt=dt, progress_bar=False) as sim:
        sim.run(1.0)
    # a simulator's recurrence sees the input one step later
    ideal = ideal_memory(delay_steps(sim.data[probe_u], 1), 6, 0.5, dt)[:, 0]
    error = np.abs(sim.data[probe_state] - ideal)
    return np.max(error) / np.max(np.abs(ideal))


@pytest.mark.parametrize("tau", [0.005, 0.1])
@pytest.mark.parametrize("dt", [0.001, 0.0005])
def test_exact_memory_nengo(tau, dt):
    assert exact_memory_error(nengo.Simulator, tau, dt) < 1e-6


@requires_dl
@pytest.mark.parametrize("tau", [0.005, 0.1])
@pytest.mark.parametrize("dt", [0.001, 0.0005])
def test_exact_memory_dl(tau, dt):
    import nengo_dl

    # float64: the mapping is exact; float32 rounding alone accumulates ~5e-6
    error = exact_memory_error(
        nengo_dl.Simulator,
        tau,
        dt,
        configure=lambda: nengo_dl.configure_settings(dtype="float64"),
    )
    assert error < 1e-6
