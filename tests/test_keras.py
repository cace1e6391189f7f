"""keras-lmu models as nengo-lmu stacks (`from_keras`) and back (`to_keras`).

In the style of keras-lmu's own suite: every option of its ``LMUCell``
checked against ``model.predict`` (random weights, 100-step sequences), the
cell against the layer, one multivariate memory against univariate ones, the
zero-order hold against scipy's.

The Keras reference models are built in float64
(``tf.keras.backend.set_floatx("float64")``, restored afterwards): keras-lmu
in float32 is itself 1e-5 to 1e-4 away from its own equations (its float32
matrix exponential and sums), so only a float64 reference makes the 1e-5
relative bound a test of the mapping rather than of Keras's rounding.  The
nengo network is exact to about 1e-14 against it; NengoDL (float32) to about
1e-6.
"""

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

import nengo_lmu
from nengo_lmu import LMUStack, training

from .conftest import requires_dl, requires_keras_lmu

pytestmark = requires_keras_lmu

#: keras-lmu's options, one model each (``hidden``: the hidden cell).
OPTIONS = {
    "dense": {},
    "multivariate": {"memory_d": 3},
    "order 1": {"order": 1},
    "theta 37.5": {"theta": 37.5},
    "hidden_to_memory": {"hidden_to_memory": True},
    "memory_to_memory": {"memory_to_memory": True},
    "input_to_hidden": {"input_to_hidden": True},
    "use_bias": {"use_bias": True},
    "euler": {"discretizer": "euler", "theta": 30},
    "trainable_theta zoh": {"trainable_theta": True},
    "trainable_theta euler": {"trainable_theta": True, "discretizer": "euler"},
    "no kernel": {"kernel_initializer": None, "memory_d": 2},
    "simple_rnn": {"hidden": "rnn"},
    "simple_rnn all": {
        "hidden": "rnn",
        "hidden_to_memory": True,
        "memory_to_memory": True,
        "input_to_hidden": True,
        "use_bias": True,
        "memory_d": 2,
    },
    "no hidden cell": {"hidden": None},
    "no hidden cell, input_to_hidden": {"hidden": None, "input_to_hidden": True},
    "lif_rate": {"hidden": "rnn", "activation": "lif_rate"},
    "tanh": {"hidden": "rnn", "activation": "tanh"},
}


@pytest.fixture
def tf():
    """TensorFlow with Keras in float64 (restored afterwards)."""
    tf = pytest.importorskip("tensorflow")
    floatx = tf.keras.backend.floatx()
    tf.keras.backend.set_floatx("float64")
    yield tf
    tf.keras.backend.set_floatx(floatx)


def hidden_cell(tf, kind, units, activation):
    if activation == "lif_rate":
        activation = nengo_lmu.keras.lif_rate(tau_rc=0.05, tau_ref=0.002, gain=3.0)
    if kind is None:
        return None
    if kind == "rnn":
        return tf.keras.layers.SimpleRNNCell(units, activation=activation)
    return tf.keras.layers.Dense(units, activation=activation)


def lmu_layer(tf, options, layer="LMU", return_sequences=True, units=7):
    """A keras-lmu layer with ``options`` (see `OPTIONS`)."""
    import keras_lmu

    options = dict(options)
    cell = hidden_cell(
        tf, options.pop("hidden", "dense"), units, options.pop("activation", "relu")
    )
    args = dict(
        memory_d=options.pop("memory_d", 1),
        order=options.pop("order", 5),
        theta=options.pop("theta", 12),
        hidden_cell=cell,
        **options,
    )
    if layer == "LMU":
        return keras_lmu.LMU(return_sequences=return_sequences, **args)
    return tf.keras.layers.RNN(
        keras_lmu.LMUCell(**args), return_sequences=return_sequences
    )


def randomize(model, rng, scale=0.5):
    """Random weights everywhere (a trained window 10 % off its start)."""
    for weight in model.weights:
        if "theta_inv" in weight.name:
            weight.assign(weight.numpy() / 1.1)
        else:
            fan_in = weight.shape[0] if len(weight.shape) > 1 else 1
            weight.assign(rng.randn(*weight.shape) * scale / np.sqrt(fan_in))
    return model


def one_layer_model(tf, options, rng, steps=100, input_d=2, **kwargs):
    inputs = tf.keras.Input((steps, input_d))
    x = lmu_layer(tf, options, **kwargs)(inputs)
    x = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(3))(x)
    return randomize(tf.keras.Model(inputs, x), rng)


def relative_error(actual, expected):
    return np.max(np.abs(actual - expected)) / np.max(np.abs(expected))


@pytest.mark.parametrize("name", list(OPTIONS))
def test_rate_outputs_equal_keras(tf, name, rng):
    """Every keras-lmu option: the converted stack on nengo.Simulator gives
    what ``model.predict`` gives (random weights, 100 steps)."""
    model = one_layer_model(tf, OPTIONS[name], rng)
    x = rng.uniform(-1, 1, size=(3, 100, 2))
    expected = model.predict(x, verbose=0)
    stack = nengo_lmu.from_keras(model)
    outputs = stack.predict(x, backend="nengo")
    assert outputs.shape == expected.shape
    assert np.max(np.abs(expected)) > 0.05  # the outputs are not trivially zero
    assert relative_error(outputs, expected) < 1e-5


def stacked_model(tf, rng, steps=100, return_sequences=False):
    """LMU (FFT path) -> TimeDistributed(Dense relu) -> RNN(LMUCell with every
    recurrence and a trainable window) -> Dense."""
    inputs = tf.keras.Input((steps, 2))
    x = lmu_layer(tf, {"input_to_hidden": True, "use_bias": True}, units=8)(inputs)
    x = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(5, activation="relu"))(x)
    x = lmu_layer(
        tf,
        OPTIONS["simple_rnn all"] | {"trainable_theta": True},
        layer="RNN",
        return_sequences=return_sequences,
        units=6,
    )(x)
    x = tf.keras.layers.Dense(4)(x)
    return randomize(tf.keras.Model(inputs, x), rng)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_stacked_layers_equal_keras(tf, rng, return_sequences):
    """LMU and Dense layers in series, the last element or every element, as
    ``model.predict`` shapes them."""
    model = stacked_model(tf, rng, return_sequences=return_sequences)
    x = rng.uniform(-1, 1, size=(3, 100, 2))
    expected = model.predict(x, verbose=0)
    stack = nengo_lmu.from_keras(model)
    assert [layer.get("kind", "lmu") for layer in stack.layer_configs] == [
        "lmu",
        "dense",
        "lmu",
        "dense",
    ]
    outputs = stack.predict(x)
    assert (
        outputs.shape
        == expected.shape
        == ((3, 4) if not return_sequences else (3, 100, 4))
    )
    assert relative_error(outputs, expected) < 1e-5


@requires_dl
@pytest.mark.parametrize("backend", ["nengo", "dl"])
def test_stack_on_nengo_dl_equals_keras(tf, rng, backend):
    """The same stack mapped for either simulator, run on NengoDL."""
    model = stacked_model(tf, rng, return_sequences=True)
    x = rng.uniform(-1, 1, size=(4, 100, 2))
    expected = model.predict(x, verbose=0)
    stack = nengo_lmu.from_keras(model, backend=backend)
    assert relative_error(stack.predict(x, backend="dl"), expected) < 1e-5


@requires_dl
@pytest.mark.slow
@pytest.mark.parametrize("name", list(OPTIONS))
def test_rate_outputs_equal_keras_on_nengo_dl(tf, name, rng):
    options = OPTIONS[name]
    model = one_layer_model(tf, options, rng)
    x = rng.uniform(-1, 1, size=(3, 100, 2))
    expected = model.predict(x, verbose=0)
    stack = nengo_lmu.from_keras(model, backend="dl")
    assert relative_error(stack.predict(x), expected) < 1e-5


def test_cell_and_layer_give_the_same_network(tf, rng):
    """``LMU(...)`` lists its hidden cell's weights first, ``RNN(LMUCell)``
    last: read by attribute, both give the same parameters and outputs."""
    options = OPTIONS["simple_rnn all"]
    layer_model = one_layer_model(tf, options, rng, layer="LMU")
    cell_model = one_layer_model(tf, options, rng, layer="RNN")

    def names(model):
        return [w.name.split("/")[-1] for w in model.weights]

    assert names(layer_model) != names(cell_model)  # the order differs
    lmu_cell, cell = layer_model.layers[1].layer.cell, cell_model.layers[1].cell
    for attr in ("kernel", "bias", "recurrent_kernel"):
        getattr(cell, attr).assign(getattr(lmu_cell, attr))
        if attr != "bias" or cell.hidden_cell.use_bias:
            getattr(cell.hidden_cell, attr).assign(getattr(lmu_cell.hidden_cell, attr))
    cell_model.layers[2].set_weights(layer_model.layers[2].get_weights())
    from_layer = nengo_lmu.from_keras(layer_model)
    from_cell = nengo_lmu.from_keras(cell_model)
    assert from_layer.get_config() == from_cell.get_config()
    parameters = from_cell.get_parameters()
    for name, value in from_layer.get_parameters().items():
        assert np.array_equal(value, parameters[name]), name
    x = rng.uniform(-1, 1, size=(2, 100, 2))
    assert relative_error(from_cell.predict(x), cell_model.predict(x, verbose=0)) < 1e-5


def test_multivariate_memory_is_univariate_memories(tf, rng):
    """A memory of ``memory_d`` dimensions holds one Legendre memory of each
    dimension of ``u`` (keras-lmu's layout: dimension major)."""
    from nengo_lmu.system import ideal_memory

    model = one_layer_model(tf, {"memory_d": 3, "hidden": None}, rng, input_d=3)
    stack = nengo_lmu.from_keras(model)
    x = rng.uniform(-1, 1, size=(1, 100, 3))
    with nengo.Network() as net:
        net.add(stack)
        u = nengo.Probe(stack.layers[0].memory.input, synapse=None)
        m = nengo.Probe(stack.layers[0].memory.state, synapse=None)
    with stack.feeding(x), nengo.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(100)
    for d in range(3):
        ideal = ideal_memory(sim.data[u][:, d : d + 1], 5, 12 * sim.dt, sim.dt)[:, 0]
        state = sim.data[m][:, d * 5 : (d + 1) * 5]
        assert relative_error(state, ideal) < 1e-12


@pytest.mark.parametrize("discretizer", ["zoh", "euler"])
def test_memory_matrices_equal_scipy_and_keras(tf, rng, discretizer):
    """The memory's (Ad, Bd) are scipy's discretization of keras-lmu's (A, B)
    and keras-lmu's own float64 matrices."""
    from scipy.signal import cont2discrete

    model = one_layer_model(tf, {"discretizer": discretizer, "theta": 30}, rng)
    cell = model.layers[1].layer  # the FFT path's LMUFeedforward
    keras_A, keras_B = (
        cell.delay_layer.cell.A.numpy().T,
        cell.delay_layer.cell.B.numpy().T,
    )
    memory = nengo_lmu.from_keras(model).layers[0].memory
    if discretizer == "zoh":
        A = np.asarray(cell.delay_layer.cell._base_A).T
        B = np.asarray(cell.delay_layer.cell._base_B).T
        Ad, Bd, *_ = cont2discrete((A / 30, B / 30, None, None), dt=1.0, method="zoh")
        assert np.allclose(memory.mapped_A, Ad, atol=1e-12)
        assert np.allclose(memory.mapped_B, Bd, atol=1e-12)
    assert np.allclose(memory.mapped_A, keras_A, atol=1e-12)
    assert np.allclose(memory.mapped_B, keras_B, atol=1e-12)


def test_lif_rate_activation_is_nengo_lif_rate(tf, rng):
    stack = nengo_lmu.from_keras(one_layer_model(tf, OPTIONS["lif_rate"], rng))
    hidden = stack.layers[0].hidden
    assert type(hidden.neuron_type) is nengo.LIFRate
    assert hidden.neuron_type.tau_rc == 0.05
    assert stack.layers[0].rate_scale == 3.0
    stack.layers[0].spiking = True
    assert type(stack.layers[0].hidden.neuron_type) is nengo.LIF


# --- refusals -------------------------------------------------------------------------


def test_refuses_what_it_cannot_map(tf, rng):
    import keras_lmu

    inputs = tf.keras.Input((10, 1))
    lstm = keras_lmu.LMU(1, 4, 5, tf.keras.layers.LSTMCell(3), return_sequences=True)
    with pytest.raises(ValidationError, match=r"'lmu.*hidden_cell LSTMCell"):
        nengo_lmu.from_keras(tf.keras.Model(inputs, lstm(inputs)))
    conv = tf.keras.layers.Conv1D(2, 3, name="conv")
    with pytest.raises(ValidationError, match="'conv' \\(Conv1D\\): has no nengo-lmu"):
        nengo_lmu.from_keras(tf.keras.Model(inputs, conv(inputs)))
    backwards = tf.keras.layers.RNN(
        keras_lmu.LMUCell(1, 4, 5, None), go_backwards=True, name="back"
    )
    with pytest.raises(ValidationError, match="'back'.*go_backwards"):
        nengo_lmu.from_keras(tf.keras.Model(inputs, backwards(inputs)))
    softmax = tf.keras.layers.Dense(3, activation="softmax", name="probs")
    with pytest.raises(ValidationError, match="'probs'.*activation 'softmax'"):
        nengo_lmu.from_keras(tf.keras.Model(inputs, softmax(inputs)))
    open_length = tf.keras.Input((None, 1))
    layer = keras_lmu.LMU(1, 4, 5, None, return_sequences=True, memory_to_memory=True)
    with pytest.raises(ValidationError, match="pass seq_len"):
        nengo_lmu.from_keras(tf.keras.Model(open_length, layer(open_length)))
    model = tf.keras.Model(open_length, layer(open_length))
    assert nengo_lmu.from_keras(model, seq_len=7).seq_len == 7


def test_tanh_is_refused_spiking_with_the_closest_mapping(tf, rng):
    """keras-lmu's default SimpleRNNCell activation: exact with rates, refused
    spiking, with the closest spiking mapping named."""
    model = one_layer_model(tf, OPTIONS["tanh"], rng)
    with pytest.raises(ValidationError, match="runs only with rate.*closest spiking"):
        nengo_lmu.from_keras(model, spiking=True)
    stack = nengo_lmu.from_keras(model)
    with pytest.raises(ValidationError, match="Tanh"):
        stack.layers[0].spiking = True
    relu = nengo_lmu.from_keras(
        model, activations={"tanh": nengo.RectifiedLinear()}, spiking=True
    )
    assert type(relu.layers[0].hidden.neuron_type) is nengo.SpikingRectifiedLinear


def test_to_keras_refuses_what_keras_lmu_does_not_compute():
    layers = [dict(memory_d=1, order=4, theta=5, hidden_units=3, lagged_memory=True)]
    with pytest.raises(ValidationError, match="lagged_memory"):
        nengo_lmu.to_keras(LMUStack(input_d=1, seq_len=10, layers=layers))
    layers = [dict(memory_d=1, order=2, theta=5, hidden_units=3)]
    layers[0]["memory_neuron_type"] = nengo.RectifiedLinear()
    with pytest.raises(ValidationError, match="neural memory"):
        nengo_lmu.to_keras(LMUStack(input_d=1, seq_len=10, layers=layers))


# --- back to Keras -------------------------------------------------------------------


def random_stack(rng, **options):
    stack = LMUStack(
        input_d=2,
        seq_len=50,
        pooling="last",
        predict_shape="last",
        layers=[
            dict(
                memory_d=2,
                order=4,
                theta=10,
                hidden_units=6,
                hidden_to_hidden=True,
                hidden_to_memory=True,
                memory_to_memory=True,
                input_to_hidden=True,
                memory_bias=True,
                output_d=5,
            ),
            {"kind": "dense", "units": 4, "neuron_type": "relu"},
            dict(memory_d=1, order=3, theta=20, hidden_units=5, discretizer="euler"),
            {"kind": "dense", "units": 3},
        ],
        **options,
    )
    stack.set_parameters(
        {
            name: rng.randn(*value.shape) * 0.5 / np.sqrt(max(value.shape[-1], 1))
            for name, value in stack.get_parameters().items()
        }
    )
    return stack


def test_to_keras_round_trip(tf, rng):
    stack = random_stack(rng)
    x = rng.uniform(-1, 1, size=(3, 50, 2))
    model = nengo_lmu.to_keras(stack)
    expected = stack.predict(x)
    assert relative_error(model.predict(x, verbose=0), expected) < 1e-5
    again = nengo_lmu.from_keras(model)
    assert relative_error(again.predict(x), expected) < 1e-12


@requires_dl
def test_fine_tuned_in_nengo_dl_returns_to_keras(tf, rng):
    """from_keras, a NengoDL epoch (the window trains too), to_keras: Keras
    computes what the fine-tuned stack computes."""
    model = one_layer_model(
        tf, OPTIONS["simple_rnn all"] | {"trainable_theta": True}, rng, steps=30
    )
    stack = nengo_lmu.from_keras(model, backend="dl")
    x = rng.uniform(-1, 1, size=(20, 30, 2))
    y = rng.uniform(-1, 1, size=(20, 30, 3))
    before = stack.get_parameters()
    theta = stack.get_config()["layers"][0]["theta"]
    training.fit(stack, {"x": x, "y": y}, epochs=2, batch_size=10, verbose=0)
    assert not np.allclose(before["layer0/W_h"], stack.get_parameters()["layer0/W_h"])
    assert stack.get_config()["layers"][0]["theta"] != pytest.approx(theta, abs=1e-6)
    tuned = nengo_lmu.to_keras(stack)
    assert relative_error(tuned.predict(x, verbose=0), stack.predict(x)) < 1e-5


@requires_dl
@pytest.mark.parametrize("discretizer", ["euler", "zoh"])
def test_trainable_theta_trains_as_in_keras(tf, rng, discretizer):
    """One SGD step on the same data and loss moves theta_inv (and every
    weight) as keras-lmu's does."""
    import nengo_dl

    options = {"trainable_theta": True, "discretizer": discretizer, "theta": 12}
    inputs = tf.keras.Input((30, 1))
    outputs = lmu_layer(tf, options, units=5)(inputs)
    model = randomize(tf.keras.Model(inputs, outputs), rng, scale=1.0)
    x = rng.uniform(-1, 1, size=(8, 30, 1))
    y = rng.uniform(0, 1, size=(8, 30, 5))
    stack = nengo_lmu.from_keras(model, backend="dl")
    model.compile(tf.keras.optimizers.SGD(0.01), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    dl = nengo_lmu.backends.get("dl")
    dl.configure(stack)
    with stack:
        nengo_dl.configure_settings(dtype="float64")
    with nengo_dl.Simulator(stack, minibatch_size=8, progress_bar=False) as sim:
        sim.compile(tf.keras.optimizers.SGD(0.01), loss={stack.probe: "mse"})
        sim.fit({stack.input: x}, {stack.probe: y}, epochs=1, verbose=0)
        sim.freeze_params(stack)
    trained = nengo_lmu.from_keras(model)
    keras_theta = trained.get_config()["layers"][0]["theta"]
    assert keras_theta != pytest.approx(12 * 1.1, abs=1e-4)  # theta trained
    assert stack.get_config()["layers"][0]["theta"] == pytest.approx(
        keras_theta, rel=1e-9
    )
    for name, value in trained.get_parameters().items():
        assert np.allclose(stack.get_parameters()[name], value, atol=1e-9), name


# --- held elements --------------------------------------------------------------------


def recurrent_model(tf, rng, steps=40):
    """keras-lmu's default architecture (a SimpleRNNCell hidden state, with
    ReLU units), with every recurrence."""
    inputs = tf.keras.Input((steps, 2))
    x = lmu_layer(tf, OPTIONS["simple_rnn all"] | {"theta": 20, "order": 8}, units=24)(
        inputs
    )
    x = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(5))(x)
    model = randomize(tf.keras.Model(inputs, x), rng, scale=1.0)
    hidden = model.layers[1].layer.cell.hidden_cell
    hidden.recurrent_kernel.assign(0.9 * np.linalg.qr(rng.randn(24, 24))[0])
    return model


def test_held_elements_exact_at_element_boundaries(tf, rng):
    """Each element held for 5 steps: the recurrence runs once per element
    (chosen automatically), and the rate network is exact at every element;
    run once per step, it is not."""
    model = recurrent_model(tf, rng)
    x = rng.uniform(-1, 1, size=(3, 40, 2))
    expected = model.predict(x, verbose=0)
    held = nengo_lmu.from_keras(model, steps_per_element=5)
    assert held.synchronous
    assert relative_error(held.predict(x), expected) < 1e-12
    with pytest.warns(UserWarning, match="runs 5 times per element"):
        per_step = nengo_lmu.from_keras(model, steps_per_element=5, element_sync=False)
    assert relative_error(per_step.predict(x), expected) > 0.1


@pytest.mark.parametrize(
    "backend, tolerance",
    [("nengo", 1e-12), pytest.param("dl", 1e-5, marks=requires_dl)],
)
def test_held_stacked_layers_run_one_element_behind_and_predict_aligns(
    tf, rng, backend, tolerance
):
    """Each layer after the first reads its input's element mean one element
    later; `predict` runs the extra element and aligns the outputs."""
    model = stacked_model(tf, rng, steps=30, return_sequences=True)
    x = rng.uniform(-1, 1, size=(2, 30, 2))
    expected = model.predict(x, verbose=0)
    stack = nengo_lmu.from_keras(model, steps_per_element=4)
    assert stack.latency == 1
    assert relative_error(stack.predict(x, backend=backend), expected) < tolerance


def test_spiking_held_mapping_follows_the_rate_network(tf, rng):
    """Spiking, each element held for 20 steps: the element means follow
    keras-lmu's outputs, and more spikes per element bring them closer."""
    model = recurrent_model(tf, rng)
    x = rng.uniform(-1, 1, size=(4, 40, 2))
    expected = model.predict(x, verbose=0)
    errors = []
    for rate_scale in (1000.0, 10000.0):
        stack = nengo_lmu.from_keras(
            model, steps_per_element=20, spiking=True, rate_scale=rate_scale
        )
        errors.append(relative_error(stack.predict(x), expected))
    assert errors[1] < 0.05 and errors[1] < errors[0] / 3
    with pytest.warns(UserWarning, match="runs 20 times"):
        per_step = nengo_lmu.from_keras(
            model,
            steps_per_element=20,
            spiking=True,
            rate_scale=10000.0,
            element_sync=False,
        )
    assert relative_error(per_step.predict(x), expected) > 5 * errors[1]


def test_import_is_lazy():
    from nengo_lmu import keras

    assert nengo_lmu.from_keras is keras.from_keras
    assert nengo_lmu.to_keras is keras.to_keras
