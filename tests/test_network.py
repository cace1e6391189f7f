import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_lmu import LMUNetwork, neurons
from nengo_lmu.system import discretize, lmu_matrices

from .conftest import requires_loihi


def make(**kwargs):
    options = dict(input_d=1, memory_d=1, order=4, theta=0.01, hidden_units=8)
    options.update(kwargs)
    return LMUNetwork(**options, seed=0)


def test_options_create_their_connections():
    lmu = make(
        output_d=2,
        hidden_to_memory=True,
        memory_to_memory=True,
        input_to_hidden=True,
        hidden_to_hidden=True,
    )
    assert lmu.parameter_shapes() == {
        "e_x": (1, 1),
        "e_h": (1, 8),
        "e_m": (1, 4),
        "W_m": (8, 4),
        "W_x": (8, 1),
        "W_h": (8, 8),
        "W_o": (2, 8),
        "b_o": (2, 1),
        "b_h": (8,),
    }
    assert set(make().parameter_shapes()) == {"e_x", "W_m", "b_h"}


def test_no_readout_means_the_hidden_state_is_the_output():
    lmu = make()
    assert lmu.output == lmu.hidden.neurons
    assert "W_o" not in lmu.parameter_connections


def test_spiking_switch_swaps_neuron_types():
    lmu = make(hidden_neuron_type=nengo.LIFRate(tau_rc=0.03), rate_scale=10)
    assert isinstance(lmu.hidden.neuron_type, nengo.LIFRate)
    lmu.spiking = True
    assert type(lmu.hidden.neuron_type) is nengo.LIF
    assert lmu.hidden.neuron_type.tau_rc == 0.03
    assert lmu.hidden.neuron_type.amplitude == pytest.approx(0.1)
    lmu.spiking = False
    assert type(lmu.hidden.neuron_type) is nengo.LIFRate
    assert type(make(spiking=True).hidden.neuron_type) is nengo.SpikingRectifiedLinear


def test_spiking_switch_covers_a_neural_memory():
    lmu = make(memory_neuron_type=nengo.RectifiedLinear(), memory_n_neurons=10)
    types = {type(ens.neuron_type) for ens in lmu.memory.all_ensembles}
    assert types == {nengo.RectifiedLinear}
    lmu.spiking = True
    types = {type(ens.neuron_type) for ens in lmu.memory.all_ensembles}
    assert types == {nengo.SpikingRectifiedLinear}


@requires_loihi
def test_loihi_backend_uses_loihi_neurons_and_relays():
    import nengo_loihi

    lmu = make(backend="loihi", spiking=True)
    assert isinstance(
        lmu.hidden.neuron_type, nengo_loihi.neurons.LoihiSpikingRectifiedLinear
    )
    # host values are scaled down before going to the chip; parameters are not
    on_loihi = make(backend="loihi", input_to_hidden=True, host_scale=8.0)
    on_nengo = make(input_to_hidden=True)
    for name, value in on_nengo.get_parameters().items():
        assert np.allclose(on_loihi.get_parameters()[name], value), name
    assert np.allclose(
        on_loihi.parameter_connections["W_m"].transform.init,
        8 * on_nengo.get_parameters()["W_m"],
    )


def test_rate_counterparts():
    assert type(neurons.rate_type(nengo.LIF())) is nengo.LIFRate
    assert (
        type(neurons.rate_type(nengo.SpikingRectifiedLinear())) is nengo.RectifiedLinear
    )
    with pytest.raises(ValidationError, match="neuron_type"):
        make(hidden_neuron_type=nengo.Sigmoid())
    with pytest.raises(ValidationError, match="hidden_neuron_type"):
        make(hidden_neuron_type="relu")


def test_neuron_type_config_round_trip():
    for neuron_type in (
        nengo.LIF(tau_rc=0.05, amplitude=0.5),
        nengo.RectifiedLinear(),
        nengo.PoissonSpiking(nengo.LIFRate(tau_ref=0.003)),
    ):
        assert neurons.from_config(neurons.to_config(neuron_type)) == neuron_type


def test_config_round_trip():
    lmu = make(output_d=3, input_to_hidden=True, rate_scale=5.0)
    again = LMUNetwork.from_config(lmu.get_config())
    assert again.get_config() == lmu.get_config()
    for name, value in lmu.get_parameters().items():
        assert np.array_equal(again.get_parameters()[name], value), name


@pytest.mark.parametrize("name", ["order", "hidden_units", "memory_d", "theta"])
def test_bad_sizes_name_the_parameter(name):
    with pytest.raises(ValidationError, match=name):
        make(**{name: 0})


def test_matches_numpy_recurrence(Simulator, backend, rng, allclose):
    """The rate network computes the documented equations step by step."""
    reason = backend.unsupported(nengo.RectifiedLinear())
    if reason is not None:
        pytest.skip(reason)
    lmu = make(output_d=3, input_to_hidden=True, hidden_to_hidden=True)
    params = {
        name: rng.uniform(-0.5, 0.5, size=shape)
        for name, shape in lmu.parameter_shapes().items()
    }
    lmu.set_parameters(params)
    x = rng.uniform(-1, 1, size=(20, 1))
    with nengo.Network() as model:
        model.add(lmu)
        stim = nengo.Node(nengo.processes.PresentInput(x, 0.001))
        nengo.Connection(stim, lmu.input, synapse=None)
        probe = nengo.Probe(lmu.output)
    with Simulator(model, progress_bar=False) as sim:
        sim.run_steps(len(x))

    Ad, Bd = discretize(*lmu_matrices(4, 0.01), 0.001)
    m, h = np.zeros(4), np.zeros(8)
    expected = []
    for xt in x:
        # the memory and hidden recurrences each take one step (synapse 0)
        current = params["W_m"] @ m + params["W_x"] @ xt + params["W_h"] @ h
        h = np.maximum(0, current + params["b_h"])
        expected.append(params["W_o"] @ h + params["b_o"][:, 0])
        m = Ad @ m + Bd[:, 0] * (params["e_x"] @ xt)
    assert allclose(sim.data[probe], np.array(expected), atol=1e-5)


def test_set_parameters_refuses_other_shapes_and_nan():
    lmu = make(output_d=2)
    params = make(order=5, output_d=2).get_parameters()
    with pytest.raises(ValidationError, match=r"W_m has shape \(8, 5\).*\(8, 4\)"):
        lmu.set_parameters(params)
    params = make(output_d=2).get_parameters()
    params["W_o"][0, 0] = np.nan
    with pytest.raises(ValidationError, match="W_o holds NaN"):
        lmu.set_parameters(params)


def test_deprecated_names():
    with pytest.warns(DeprecationWarning, match="backend"):
        lmu = make(target="dl")
    assert lmu.backend.name == "dl"
    with pytest.warns(DeprecationWarning, match="parameter_connections"):
        assert lmu.weights is lmu.parameter_connections
