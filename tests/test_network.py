import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_lmu import LMUNetwork, neurons
from nengo_lmu.network import ElementHold
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
        memory_bias=True,
    )
    assert lmu.parameter_shapes() == {
        "e_x": (1, 1),
        "b_u": (1, 1),
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
    """With a recurrent synapse: spikes fed straight back would lose the
    window (`tests/test_user_errors.py`)."""
    lmu = make(memory_neuron_type=nengo.RectifiedLinear(), memory_n_neurons=10,
               memory_synapse=0.05)
    types = {type(ens.neuron_type) for ens in lmu.memory.all_ensembles}
    assert types == {nengo.RectifiedLinear}
    lmu.spiking = True
    types = {type(ens.neuron_type) for ens in lmu.memory.all_ensembles}
    assert types == {nengo.SpikingRectifiedLinear}


@requires_loihi
def test_loihi_backend_uses_loihi_neurons_and_relays():
    import nengo_loihi

    from nengo_lmu.backends.loihi import HostSpikes

    lmu = make(backend="loihi", spiking=True)
    assert isinstance(
        lmu.hidden.neuron_type, nengo_loihi.neurons.LoihiSpikingRectifiedLinear
    )
    # host values are scaled down before going to the chip; parameters are not
    on_loihi = make(backend="loihi", input_to_hidden=True, host_scale=8.0)
    on_nengo = make(input_to_hidden=True)
    for name, value in on_nengo.get_parameters().items():
        assert np.allclose(on_loihi.get_parameters()[name], value), name
    # ... and sent as spikes of host neurons, which the weights decode
    conn = on_loihi.parameter_connections["W_m"]
    relay = conn.pre_obj.ensemble
    assert isinstance(relay, HostSpikes)
    assert np.allclose(
        conn.transform.init, 8 * on_nengo.get_parameters()["W_m"] @ relay.decoders
    )


def test_rate_counterparts():
    assert type(neurons.rate_type(nengo.LIF())) is nengo.LIFRate
    assert (
        type(neurons.rate_type(nengo.SpikingRectifiedLinear())) is nengo.RectifiedLinear
    )
    with pytest.raises(ValidationError, match="cannot spike"):
        make(hidden_neuron_type=nengo.Sigmoid(), spiking=True)
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
        make(**{name: -1 if name == "hidden_units" else 0})


def keras_lmu_cell(params, x, order, theta_steps, discretizer="zoh", lagged=False):
    """keras-lmu's LMUCell (0.9.0) in numpy, rectified-linear hidden units:
    u_t = e_x x_t + e_h h_{t-1} + e_m m_{t-1} + b_u; m_t = Ad m_{t-1} + Bd u_t;
    h_t = relu(W_m m_t + W_x x_t + W_h h_{t-1} + b_h); y_t = W_o h_t + b_o.
    ``lagged``: nengo-lmu's timing before 0.3 (the memory takes u_{t-1})."""
    Ad, Bd = discretize(*lmu_matrices(order, theta_steps), 1.0, method=discretizer)
    memory_d = params["e_x"].shape[0]
    Ad, Bd = np.kron(np.eye(memory_d), Ad), np.kron(np.eye(memory_d), Bd)
    m = np.zeros(memory_d * order)
    h = np.zeros(len(params["b_h"]))
    u_previous = np.zeros(memory_d)
    outputs = []
    for xt in x:
        if lagged:  # the memory first, from the previous step's input
            m = Ad @ m + Bd @ u_previous
        u = params["e_x"] @ xt
        for name, value in (("e_h", h), ("e_m", m)):
            if name in params:
                u = u + params[name] @ value
        if "b_u" in params:
            u = u + params["b_u"][:, 0]
        if not lagged:
            m = Ad @ m + Bd @ u
        u_previous = u
        current = params["W_m"] @ m + params["b_h"]
        if "W_x" in params:
            current = current + params["W_x"] @ xt
        if "W_h" in params:
            current = current + params["W_h"] @ h
        h = np.maximum(0, current)
        outputs.append(params["W_o"] @ h + params["b_o"][:, 0])
    return np.array(outputs)


def random_parameters(lmu, rng):
    return {
        name: rng.uniform(-0.5, 0.5, size=shape)
        for name, shape in lmu.parameter_shapes().items()
    }


def run_network(Simulator, lmu, x, dt=0.001):
    with nengo.Network() as model:
        model.add(lmu)
        stim = nengo.Node(nengo.processes.PresentInput(x, dt))
        nengo.Connection(stim, lmu.input, synapse=None)
        probe = nengo.Probe(lmu.output)
    with Simulator(model, progress_bar=False) as sim:
        sim.run_steps(len(x))
    return sim.data[probe]


ALL_OPTIONS = dict(
    hidden_to_memory=True,
    memory_to_memory=True,
    input_to_hidden=True,
    hidden_to_hidden=True,
    memory_bias=True,
)


@pytest.mark.parametrize("discretizer", ["zoh", "euler"])
@pytest.mark.parametrize(
    "options", [{}, ALL_OPTIONS], ids=["no options", "every option"]
)
def test_matches_keras_lmu_cell(
    Simulator, backend, rng, allclose, options, discretizer
):
    """The rate network computes keras-lmu's LMUCell, one element per step:
    the hidden state sees this step's memory m_t."""
    reason = backend.unsupported(nengo.RectifiedLinear())
    if reason is not None:
        pytest.skip(reason)
    lmu = make(
        input_d=2,
        memory_d=2,
        output_d=3,
        theta=0.02,
        discretizer=discretizer,
        **options
    )
    params = random_parameters(lmu, rng)
    lmu.set_parameters(params)
    x = rng.uniform(-1, 1, size=(40, 2))
    expected = keras_lmu_cell(
        params, x, order=4, theta_steps=20, discretizer=discretizer
    )
    assert np.max(np.abs(expected)) > 0.1
    assert allclose(run_network(Simulator, lmu, x), expected, atol=1e-5)


def test_last_input_reaches_the_output_through_the_memory(Simulator, backend, rng):
    """An impulse at the last step reaches the output that same step, through
    the memory alone (with the one-step lag of nengo-lmu 0.2 it did not)."""
    if backend.unsupported(nengo.RectifiedLinear()) is not None:
        pytest.skip("rate neurons do not run on this backend")
    x = np.zeros((10, 1))
    x[-1] = 1.0
    outputs = {}
    for lagged in (False, True):
        lmu = make(output_d=1, lagged_memory=lagged)
        params = random_parameters(lmu, rng) if not outputs else params
        params["W_m"] = np.abs(params["W_m"])
        params["b_h"][:] = 0.0
        lmu.set_parameters(params)
        outputs[lagged] = run_network(Simulator, lmu, x)[:, 0] - params["b_o"][0, 0]
    assert abs(outputs[False][-1]) > 0.01 and np.allclose(outputs[False][:-1], 0)
    assert np.allclose(outputs[True], 0)


def test_lagged_memory_keeps_the_timing_of_older_parameters(
    Simulator, backend, rng, allclose
):
    """``lagged_memory=True``: the memory takes u one step late, as the
    parameter files trained before nengo-lmu 0.3 expect."""
    if backend.unsupported(nengo.RectifiedLinear()) is not None:
        pytest.skip("rate neurons do not run on this backend")
    options = dict(ALL_OPTIONS, memory_bias=False)
    lmu = make(output_d=3, lagged_memory=True, **options)
    params = random_parameters(lmu, rng)
    lmu.set_parameters(params)
    x = rng.uniform(-1, 1, size=(30, 1))
    expected = keras_lmu_cell(params, x, order=4, theta_steps=10, lagged=True)
    assert allclose(run_network(Simulator, lmu, x), expected, atol=1e-5)


def test_no_hidden_cell_outputs_memory_and_input(rng, allclose):
    """``hidden_units=0`` is keras-lmu's ``hidden_cell=None``: [m_t, x_t]."""
    lmu = make(input_d=2, memory_d=2, hidden_units=0, input_to_hidden=True)
    assert lmu.hidden is None and lmu.size_out == 2 * 4 + 2
    assert set(lmu.parameter_shapes()) == {"e_x"}
    x = rng.uniform(-1, 1, size=(20, 2))
    out = run_network(nengo.Simulator, lmu, x)
    e_x = lmu.get_parameters()["e_x"]
    Ad, Bd = discretize(*lmu_matrices(4, 10), 1.0)
    m = np.zeros((2, 4))
    for t, xt in enumerate(x):
        m = m @ Ad.T + (e_x @ xt)[:, None] * Bd[:, 0]
        assert allclose(out[t], np.concatenate([m.ravel(), xt]))
    with pytest.raises(ValidationError, match="hidden_to_hidden.*hidden units"):
        make(hidden_units=0, hidden_to_hidden=True)


def test_tanh_and_linear_hidden_units_run_with_rates_only(rng):
    tanh = make(hidden_neuron_type=nengo.Tanh(tau_ref=1.0), rate_scale=10.0)
    assert tanh.unit_scale == 1.0  # no amplitude: rate_scale does not apply
    with pytest.raises(
        ValidationError, match="Tanh.*runs only with rate.*RectifiedLinear"
    ):
        tanh.spiking = True
    with pytest.raises(ValidationError, match="cannot spike"):
        make(hidden_neuron_type=nengo.Tanh(tau_ref=1.0), spiking=True)
    linear = make(hidden_neuron_type=None, output_d=2)
    assert isinstance(linear.hidden, nengo.Node)
    params = random_parameters(linear, rng)
    linear.set_parameters(params)
    assert np.array_equal(linear.get_parameters()["b_h"], params["b_h"])
    linear.spiking = True  # a node: nothing to swap


def test_trainable_euler_window_is_one_scalar_connection():
    """With ``trainable_theta`` and Euler's discretization the window is
    ``dt / theta``, one trainable scalar; the config reports its value."""
    lmu = make(discretizer="euler", trainable_theta=True)
    connection = lmu.memory.theta_connection
    assert connection.transform.init == pytest.approx(0.001 / 0.01)
    assert connection not in lmu.frozen_objects()
    connection.transform = 0.001 / 0.02  # as NengoDL's freeze_params writes it
    assert lmu.get_config()["theta"] == pytest.approx(0.02)
    connection.transform = -0.1
    with pytest.raises(ValidationError, match="theta_inv >= 0"):
        lmu.get_config()


def test_element_sync_runs_the_recurrence_once_per_element(
    Simulator, backend, rng, allclose
):
    """Each element held for 4 steps: with ``element_sync`` the rate network
    is keras-lmu's cell at every step of every element."""
    if backend.unsupported(nengo.RectifiedLinear()) is not None:
        pytest.skip("rate neurons do not run on this backend")
    steps = 4
    options = dict(
        output_d=3, theta=0.01 * steps, steps_per_element=steps, **ALL_OPTIONS
    )
    lmu = make(element_sync=True, **options)
    params = random_parameters(lmu, rng)
    lmu.set_parameters(params)
    x = rng.uniform(-1, 1, size=(25, 1))
    expected = np.repeat(keras_lmu_cell(params, x, order=4, theta_steps=10), steps, 0)
    held = np.repeat(x, steps, axis=0)
    assert allclose(run_network(Simulator, lmu, held), expected, atol=1e-5)
    per_step = make(**options)
    per_step.set_parameters(params)
    assert not allclose(run_network(Simulator, per_step, held), expected, atol=0.05)


def test_element_hold_holds_the_previous_elements_mean():
    hold = ElementHold(1, steps=4, settle=1, start=1)
    step = hold.make_step((1,), (1,), 0.001, None, hold.make_state((1,), (1,), 0.001))
    values = np.arange(1.0, 17.0)  # what arrives (one step late)
    out = [step((i + 1) * 0.001, np.array([v]))[0] for i, v in enumerate(values)]
    # element 0 precedes the start; element 1 is held during element 2: the
    # source's steps 1..3 of element 1 arrive as 7, 8, 9 (step 0, 6, settles)
    assert out[:8] == [0.0] * 8
    assert out[8:12] == [np.mean([7.0, 8.0, 9.0])] * 4
    with pytest.raises(ValidationError, match="settle"):
        ElementHold(1, steps=4, settle=4)


def test_options_are_refused_where_they_mean_nothing():
    with pytest.raises(ValidationError, match="element_sync.*exact memory"):
        make(
            memory_neuron_type=nengo.RectifiedLinear(),
            element_sync=True,
            steps_per_element=2,
        )
    with pytest.raises(ValidationError, match="lagged_memory"):
        make(lagged_memory=True, element_sync=True, steps_per_element=2)
    with pytest.raises(ValidationError, match="hold_input needs element_sync"):
        make(hold_input=True)
    with pytest.raises(ValidationError, match="discretizer"):
        make(discretizer="bilinear")


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


def test_summed_drive_scale_where_no_relay_or_no_spiking_type():
    """`drive_scale` is the neurons' ceiling only where host values reach
    them as spikes that saturate: on nengo (no ceiling) it is
    ``host_scale``, and a rate type with no spiking counterpart still
    builds synchronously, as it did before."""
    options = dict(element_sync=True, steps_per_element=2, hidden_to_hidden=True)
    assert make(**options).drive_scale == 4.0
    adaptive = make(hidden_neuron_type=nengo.AdaptiveLIFRate(), **options)
    assert adaptive.drive_scale == 4.0
