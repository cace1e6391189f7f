"""One memory, mapped for each simulator, on nengo, NengoDL and the emulator;
the backends' protocol; refusals across backends."""

import json

import nengo
import numpy as np
import pytest
from nengo.exceptions import BuildError, ValidationError

import nengo_lmu
from nengo_lmu import backends, cli
from nengo_lmu.experiments.memory import white_noise
from nengo_lmu.experiments.metrics import window_errors

from .conftest import requires_dl, requires_loihi


def window_error_on(backend):
    with nengo.Network(seed=0) as model:
        stim = nengo.Node(white_noise(3.0, 2.0, 0.3, seed=1))
        memory = nengo_lmu.LMUMemory(
            6, 0.5, process=white_noise(3.0, 2.0, 0.3), backend=backend
        )
        nengo.Connection(stim, memory.input, synapse=None)
        window = memory.add_window_output(0.5)
        probes = (nengo.Probe(stim, synapse=None), nengo.Probe(window, synapse=None))
    with nengo_lmu.Simulator(model, backend=backend, progress_bar=False) as sim:
        sim.run(3.0)
    u, decoded = (sim.data[p] for p in probes)
    return window_errors(u, decoded, 0.5, sim.dt, [0.5])[0]


# Tolerances: the public nengo-loihi example holds its window to NRMSE 0.074
# (nengo) and 0.27 (emulator) on DESIGN.md's configuration; this shorter run
# (1 s scored) of the same memory must do at least as well.  We measure 0.023
# on nengo and NengoDL and 0.087 on the emulator.


def test_window_on_nengo():
    assert window_error_on("nengo") < 0.05


@requires_dl
def test_window_on_dl_matches_nengo():
    dl = window_error_on("dl")
    assert dl < 0.05
    # same spikes up to float32 rounding
    assert abs(dl - window_error_on("nengo")) < 0.002


@requires_loihi
def test_window_on_loihi():
    assert window_error_on("loihi") < 0.15


def test_registry_names_and_refusal():
    assert backends.NAMES == ("nengo", "dl", "loihi")
    assert backends.get("dl") is backends.get(backends.get("dl"))
    with pytest.raises(ValidationError, match="backend.*nengo, dl, loihi"):
        backends.get("spinnaker")


@pytest.mark.parametrize("tau", [0.01, 0.1, 0.5, 2.0])
def test_loihi_decay_against_an_independent_computation(tau):
    # nengo-loihi's builder (discretize.py) programs decay_u =
    # round((2**12 - 1) * (1 - exp(-dt / tau)) - 1); the chip keeps
    # (4095 - decay_u) / 4096 of the current: computed here from the formula
    dt = 0.001
    programmed = round(4095 * (1 - np.exp(-dt / tau)) - 1)
    expected = (4095 - programmed) / 4096
    assert backends.get("loihi").synapse_decay(tau, dt) == expected
    assert backends.get("nengo").synapse_decay(tau, dt) == pytest.approx(
        np.exp(-dt / tau), rel=1e-15
    )


@requires_loihi
@pytest.mark.parametrize("tau", [0.01, 0.1, 0.5])
def test_loihi_decay_is_what_nengo_loihi_programs(tau):
    """The decay nengo-loihi really puts on the chip, read from its model."""
    import nengo_loihi

    relu = nengo.SpikingRectifiedLinear()
    with nengo.Network(seed=0) as model:
        a = nengo.Ensemble(10, 1, neuron_type=relu)
        b = nengo.Ensemble(10, 1, neuron_type=relu)
        # neuron-to-neuron weights: the post block filters with this synapse
        nengo.Connection(a, b, synapse=tau, solver=nengo.solvers.LstsqL2(weights=True))
    with nengo_loihi.Simulator(model, progress_bar=False) as sim:
        block = sim.model.objs[b]["out"][0]
        decay_u = block.compartment.decay_u[0]
    kept = (4095 - decay_u) / 4096
    assert kept == backends.get("loihi").synapse_decay(tau, 0.001)


def test_spiking_counterparts():
    nengo_backend = backends.get("nengo")
    spiking = nengo_backend.spiking_type(nengo.LIFRate(tau_rc=0.05), amplitude=0.1)
    assert type(spiking) is nengo.LIF and spiking.tau_rc == 0.05
    assert spiking.amplitude == pytest.approx(0.1)
    assert type(nengo_backend.spiking_type(nengo.RectifiedLinear())) is (
        nengo.SpikingRectifiedLinear
    )
    with pytest.raises(ValidationError, match="no spiking counterpart"):
        nengo_backend.spiking_type(nengo.Sigmoid())


@requires_loihi
def test_loihi_counterparts():
    import nengo_loihi

    loihi = backends.get("loihi")
    assert type(loihi.spiking_type(nengo.RectifiedLinear())) is (
        nengo_loihi.neurons.LoihiSpikingRectifiedLinear
    )
    assert type(loihi.spiking_type(nengo.LIF())) is nengo_loihi.neurons.LoihiLIF


def memory_model(backend, dt=0.001, neuron_type=nengo.SpikingRectifiedLinear()):
    with nengo.Network() as model:
        nengo_lmu.LMUMemory(
            4, 0.5, n_neurons=10, dt=dt, backend=backend, neuron_type=neuron_type
        )
    return model


@requires_loihi
def test_memory_mapped_for_nengo_refused_by_the_emulator():
    import nengo_loihi

    with pytest.raises(
        BuildError, match=r"mapped for backend='nengo'.*backend='loihi'"
    ):
        nengo_lmu.Simulator(memory_model("nengo"), backend="loihi")
    with pytest.raises(
        BuildError, match=r"mapped for backend='nengo'.*backend='loihi'"
    ):
        nengo_loihi.Simulator(memory_model("nengo"))


@requires_loihi
def test_memory_mapped_for_loihi_refused_by_nengo():
    with pytest.raises(BuildError, match=r"mapped for backend='loihi'.*keeps"):
        nengo.Simulator(memory_model("loihi"))


@requires_dl
def test_memory_mapped_for_nengo_runs_on_dl_and_back():
    # nengo and NengoDL run the same synapses: no refusal either way
    import nengo_dl

    for backend, simulator in (("nengo", nengo_dl.Simulator), ("dl", nengo.Simulator)):
        with simulator(memory_model(backend), progress_bar=False) as sim:
            sim.run_steps(3)
        assert sim.n_steps == 3


@requires_loihi
def test_exact_memory_runs_everywhere():
    import nengo_loihi

    model = memory_model("nengo", neuron_type=None)
    with model:  # nengo-loihi needs something on the chip
        nengo.Ensemble(10, 1, neuron_type=nengo.SpikingRectifiedLinear())
    with nengo_loihi.Simulator(model, progress_bar=False) as sim:
        sim.run_steps(3)
    assert sim.n_steps == 3


def test_builder_does_not_change_the_network():
    model = memory_model("nengo")
    before = [
        (repr(c.transform), repr(c.synapse), repr(c.solver))
        for c in model.all_connections
    ]
    with nengo.Simulator(model, progress_bar=False):
        pass
    after = [
        (repr(c.transform), repr(c.synapse), repr(c.solver))
        for c in model.all_connections
    ]
    assert before == after


def test_memory_command(capsys):
    cli.main(["memory", "--sim-time", "3", "--theta", "0.5", "--freq", "2",
              "--dt", "0.002"])
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["backend"] == "nengo"
    assert figures["n_neurons"] == 600
    assert 0 < figures["window_nrmse"] < 0.1
    assert 0 < figures["mean_rate_hz"] < 40
    assert set(figures) >= {"state_nrmse", "wall_s", "window_nrmse_by_r"}
    assert figures["dt"] == 0.002  # the step the figures were measured at


def test_memory_command_plot(tmp_path, capsys):
    png = tmp_path / "window.png"
    cli.main(["memory", "--sim-time", "2", "--theta", "0.5", "--plot", str(png)])
    assert png.read_bytes()[:4] == b"\x89PNG"
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 0 < figures["window_nrmse"] < 0.15


def test_run_loops_step_with_one_blas_thread():
    """The run loops limit BLAS to one thread (its workers only spin on
    nengo's small products) and give the process its threads back after."""
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info()
                if pool["user_api"] == "blas"]

    before = blas_threads()
    with backends.get("nengo").running():
        assert blas_threads() == [1] * len(before)
    assert blas_threads() == before


@requires_loihi
def test_decoded_memory_on_loihi_says_why_it_cannot_build():
    """A memory given decoders (not neuron-to-neuron weights) on Loihi fails
    for the chip's reason, named, not inside nengo-loihi's passthrough
    removal (its state readout once had a vector transform)."""
    with nengo.Network(seed=0) as model:
        stim = nengo.Node(white_noise(1.0, 1.0, 0.3, seed=0))
        memory = nengo_lmu.LMUMemory(
            6, 1.0, backend="loihi", solver=nengo.solvers.LstsqL2(weights=False)
        )
        nengo.Connection(stim, memory.input, synapse=None)
        nengo.Probe(memory.state)
    with pytest.raises(BuildError, match="cannot represent the weights"):
        nengo_lmu.Simulator(model, backend="loihi", progress_bar=False)


@pytest.mark.parametrize("pairs", [1, 4])
def test_host_spikes_know_a_held_value_to_one_spike_in_pairs_times_steps(pairs, rng):
    from nengo_lmu.backends.loihi import HostSpikes

    dt, steps, elements = 0.001, 20, 30
    values = rng.uniform(-1, 1, size=(elements, 3))
    with nengo.Network(seed=0) as model:
        stim = nengo.Node(nengo.processes.PresentInput(values, steps * dt))
        relay = HostSpikes(3, pairs, dt)
        nengo.Connection(stim, relay, synapse=None)
        probe = nengo.Probe(relay.neurons, synapse=None)
    with nengo.Simulator(model, dt=dt, progress_bar=False) as sim:
        sim.run_steps(elements * steps)
    spikes = sim.data[probe] * dt  # spike counts per step
    assert spikes.max() == 1  # at most one spike per axon and step
    per_element = spikes.reshape(elements, steps, -1).sum(axis=1)
    decoded = per_element @ relay.decoders.T / (steps * dt)
    # the pairs' phases interleave: within one spike of pairs * steps
    assert np.all(np.abs(decoded - values) < 1 / (pairs * steps))


@requires_loihi
def test_host_spikes_stay_on_the_host_and_user_settings_are_kept():
    import nengo_loihi

    from nengo_lmu.backends.loihi import HostSpikes

    with nengo.Network(seed=0) as model:
        lmu = nengo_lmu.LMUNetwork(
            input_d=1, memory_d=1, order=4, theta=0.01, hidden_units=8,
            backend="loihi", spiking=True,
        )
        stim = nengo.Node(0.5)
        nengo.Connection(stim, lmu.input, synapse=None)
        mine = nengo.Ensemble(10, 1)
        nengo.Connection(stim, mine)
        nengo_loihi.add_params(model)
        model.config[mine].on_chip = False
    relays = [ens for ens in model.all_ensembles if isinstance(ens, HostSpikes)]
    assert relays
    with nengo_lmu.Simulator(model, backend="loihi", progress_bar=False) as sim:
        split = sim.model.split
        assert not any(split.on_chip(ens) for ens in relays)
        assert not split.on_chip(mine)  # the user's own setting
        assert split.on_chip(lmu.hidden)
    # the user's network is not rewritten
    assert model.config[lmu.hidden].on_chip is None
    assert all(model.config[ens].on_chip is None for ens in relays)


@requires_loihi
def test_round_trip_steps_is_the_emulators_delay_through_the_chip():
    from nengo_lmu.backends.loihi import HostSpikes

    def first_output(name):
        backend = backends.get(name)
        with nengo.Network(seed=0) as model:
            stim = nengo.Node(lambda t: 1.0 if t > 0.0095 else 0.0)
            relay = backend.host_relay(stim, 1.0, 0.001)
            source, carry = (stim, np.eye(1)) if relay is None else relay
            unit = nengo.Ensemble(
                1,
                1,
                neuron_type=backend.spiking_type(nengo.RectifiedLinear()),
                gain=nengo.dists.Choice([1.0]),
                bias=nengo.dists.Choice([0.0]),
            )
            nengo.Connection(source, unit.neurons, transform=1500 * carry, synapse=None)
            out = nengo.Node(size_in=1)
            nengo.Connection(unit.neurons, out, synapse=0)
            probe = nengo.Probe(out, synapse=None)
        with nengo_lmu.Simulator(model, backend=name, progress_bar=False) as sim:
            sim.run_steps(20)
            if relay is not None:
                assert isinstance(relay[0].ensemble, HostSpikes)
        return np.flatnonzero(sim.data[probe][:, 0])[0]

    delay = first_output("loihi") - first_output("nengo")
    assert delay == backends.get("loihi").round_trip_steps == 2
    assert backends.get("nengo").round_trip_steps == 0


@requires_loihi
def test_summed_drives_reach_loihi_neurons_up_to_their_ceiling():
    """With ``element_sync`` the host sums each hidden neuron's input and
    sends it as spikes, up to 10 % above the drive at which Loihi's neurons
    fire every step (5 at 200 Hz per unit).  A drive beyond ``host_scale``
    (4) and the ceiling must make them fire every step on the emulator, as
    Loihi's neurons do on nengo (clipped at 4, they fired every second step);
    a small one fires as nengo-loihi's rate curve says, to within the relay's
    spike noise."""
    from nengo_loihi.neurons import LoihiSpikingRectifiedLinear

    from nengo_lmu.network import LMUNetwork

    steps, elements, dt, rate_scale = 20, 6, 0.001, 200.0
    drives = np.array([8.0, 1.0])
    with nengo.Network(seed=0) as model:
        lmu = LMUNetwork(
            input_d=1, memory_d=1, order=2, theta=steps * dt * 4,
            hidden_units=len(drives), hidden_neuron_type=nengo.RectifiedLinear(),
            rate_scale=rate_scale, input_to_hidden=True, steps_per_element=steps,
            element_sync=True, spiking=True, backend="loihi", host_scale=4.0,
        )
        shapes = lmu.parameter_shapes()
        params = {name: np.zeros(shape) for name, shape in shapes.items()}
        lmu.set_parameters({**params, "W_x": drives[:, None]})
        nengo.Connection(nengo.Node(1.0), lmu.input, synapse=None)
        probe = nengo.Probe(lmu.hidden.neurons, synapse=None)
    assert lmu.drive_scale == pytest.approx(1.1 / (rate_scale * dt))
    with nengo_lmu.Simulator(model, backend="loihi", progress_bar=False) as sim:
        sim.run_steps(steps * elements)
    fired = (sim.data[probe][-3 * steps :] > 0).mean(axis=0)  # spikes per step
    curve = LoihiSpikingRectifiedLinear().rates(drives, rate_scale, 0.0, dt) * dt
    assert curve[0] == 1 and fired[0] == 1
    assert abs(fired[1] - curve[1]) < 0.15 * curve[1]
