"""LMUStack: config round trip, parameters, files, training and running."""

import os
import warnings

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_lmu import LMUStack, backends, training
from nengo_lmu.data import hold
from nengo_lmu.system import ideal_memory
from nengo_lmu.stack import read_file

from .conftest import requires_dl, requires_loihi


def tiny_config(order=3, seq_len=6, **options):
    return dict(
        {
            "input_d": 1,
            "seq_len": seq_len,
            "pooling": "mean",
            "seed": 0,
            "layers": [
                dict(
                    memory_d=1,
                    order=order,
                    theta=4,
                    hidden_units=6,
                    output_d=3,
                    input_to_hidden=True,
                ),
            ],
        },
        **options,
    )


def tiny_data(rng, n=20, seq_len=6):
    x = rng.uniform(-1, 1, size=(n, seq_len, 1)).astype(np.float32)
    y = (x[:, :3, 0].sum(axis=1) > 0).astype(np.int64) + (x[:, -1, 0] > 0.5)
    return {"x": x, "y": y, "x_test": x, "y_test": y}


def test_config_round_trip():
    stack = LMUStack(**tiny_config(rate_scale=[3.0], host_scale=2.0))
    again = LMUStack.from_config(stack.get_config())
    assert again.get_config() == stack.get_config()
    for name, value in stack.get_parameters().items():
        assert np.array_equal(again.get_parameters()[name], value)
    assert stack.layers[0].memory.theta == pytest.approx(0.004)
    assert LMUStack(**tiny_config(steps_per_element=5)).layers[0].memory.theta == (
        pytest.approx(0.02)
    )


def test_save_then_load_reproduces_parameters_exactly(rng, tmp_path):
    stack = LMUStack(**tiny_config())
    params = {
        k: rng.uniform(-1, 1, size=v.shape) for k, v in stack.get_parameters().items()
    }
    stack.set_parameters(params)
    path = str(tmp_path / "tiny.npz")
    stack.save(path, made_by="pytest")
    loaded = LMUStack.load(path)
    for name, value in loaded.get_parameters().items():
        assert np.allclose(value, params[name], atol=1e-6), name
    saved = read_file(path)
    assert saved.made_by == "pytest" and saved.format == 3
    # deployment options come at load time
    assert LMUStack.load(path, spiking=True, steps_per_element=3).spiking


@requires_dl
def test_trained_rate_outputs_reproduced_after_loading(rng, tmp_path):
    data = tiny_data(rng)
    stack = LMUStack(**tiny_config(), backend="dl")
    fresh = stack.get_parameters()
    training.fit(stack, data, epochs=1, batch_size=10, verbose=0)
    before = stack.predict(data["x_test"], batch_size=10)
    path = str(tmp_path / "tiny.npz")
    stack.save(path)
    after = LMUStack.load(path).predict(data["x_test"], backend="dl", batch_size=10)
    assert np.allclose(before, after, atol=1e-5)
    # training changed every parameter (NengoDL trains only the connections
    # that it does not take for a probe's)
    trained = stack.get_parameters()
    for name in ("e_x", "W_m", "W_x", "W_o", "b_o", "b_h"):
        assert not np.allclose(fresh[f"layer0/{name}"], trained[f"layer0/{name}"]), name


@requires_dl
@requires_loihi
def test_training_through_loihi_neurons_uses_loihi_rates(rng, allclose):
    """With Loihi neurons, NengoDL trains through Loihi's quantized rates."""
    import nengo_loihi

    data = tiny_data(rng)
    loihi = LMUStack(
        **tiny_config(),
        backend="dl",
        spiking=True,
        spiking_backend="loihi",
        rate_scale=300.0,
    )
    hidden = loihi.layers[0].hidden
    assert isinstance(
        hidden.neuron_type, nengo_loihi.neurons.LoihiSpikingRectifiedLinear
    )
    params = loihi.get_parameters()
    training.fit(loihi, data, epochs=1, batch_size=10, verbose=0)
    assert not np.allclose(params["layer0/W_o"], loihi.get_parameters()["layer0/W_o"])
    # the Loihi rate curve J -> 1 / ceil(1 / (J dt)) lies below the ideal one
    rates = hidden.neuron_type.rates(np.linspace(0.1, 1, 10), 300.0, 0.0)
    ideal = nengo.RectifiedLinear(amplitude=1 / 300).rates(
        np.linspace(0.1, 1, 10), 300.0, 0.0
    )
    assert np.all(rates <= ideal + 1e-9) and not allclose(rates, ideal)


def test_load_refuses_a_differently_shaped_network(tmp_path):
    path = str(tmp_path / "order3.npz")
    LMUStack(**tiny_config(order=3)).save(path, made_by="nengo-lmu train tiny")
    other = LMUStack(**tiny_config(order=4))
    with pytest.raises(
        ValidationError,
        match=r"order3.npz.*layer 0 order is 3 in the file but 4.*"
        "re-make it with: nengo-lmu train tiny",
    ):
        other.load_parameters(path)
    # arrays alone are checked too
    with pytest.raises(ValidationError, match=r"W_m has shape \(6, 3\)"):
        other.set_parameters(LMUStack(**tiny_config(order=3)).get_parameters())


def test_rate_outputs_on_nengo_match_held_elements(Simulator, backend, rng, allclose):
    """Holding each element for k steps (theta scaled), the zero-order hold
    ends every element with the same memory, so the outputs of held and unheld
    runs agree at each element's last step."""
    if backend.unsupported(nengo.RectifiedLinear()) is not None:
        pytest.skip("rate neurons do not run on this backend")
    x = rng.uniform(-1, 1, size=(2, 6, 1))
    one = LMUStack(**tiny_config(), backend=backend).predict(x)
    held = LMUStack(**tiny_config(), backend=backend, steps_per_element=3).predict(x)
    assert one.shape == (2, 6, 3) and held.shape == (2, 18, 3)
    assert allclose(held[:, 2::3], one, atol=1e-5)
    assert not allclose(held[:, ::3], one, atol=1e-3)


def test_spiking_runs_start_from_rest_and_follow_the_rate_network(rng):
    stack = LMUStack(**tiny_config(), rate_scale=200.0)
    x = rng.uniform(-1, 1, size=(1, 6, 1))
    spiking = LMUStack(
        **tiny_config(), rate_scale=200.0, spiking=True, steps_per_element=20
    )
    spiking.set_parameters(stack.get_parameters())
    out = spiking.predict(np.concatenate([x, x]))
    assert np.array_equal(out[0], out[1])  # each sequence starts from rest
    # the mean spiking output follows the rate network's (not zeros)
    rate = LMUStack(**tiny_config(), rate_scale=200.0, steps_per_element=20)
    rate.set_parameters(stack.get_parameters())
    expected = rate.predict(x)[0]
    assert np.abs(expected.mean(axis=0)).max() > 0.05
    assert np.allclose(out[0].mean(axis=0), expected.mean(axis=0), atol=0.1)


@pytest.mark.parametrize(
    "x, message",
    [
        (np.zeros((2, 7, 1)), "7 elements but the model was built for 6"),
        (np.zeros((2, 6, 2)), "input_d=1"),
        (np.zeros((6, 1)), r"shape \(sequences, 6, 1\)"),
        (
            np.where(np.arange(12).reshape(2, 6, 1) == 8, np.nan, 0.0),
            "1 NaN or infinite values .*sequence 1, element 2",
        ),
    ],
)
def test_bad_inputs_are_refused(x, message):
    stack = LMUStack(**tiny_config())
    with pytest.raises(ValidationError, match=message):
        stack.predict(x)


def test_unknown_mode_names_the_modes():
    with pytest.raises(ValidationError, match="unknown mode 'gpu'.*dl-rate"):
        training.parse_mode("gpu")


def test_too_few_spiking_steps_warns_with_the_figure():
    with pytest.warns(UserWarning, match="with 2 steps per element"):
        training.check_spiking_steps(2, spiking=True)


def test_held_recurrence_runs_once_per_element(rng, allclose):
    """A recurrence trained once per element runs once per element when
    elements are held (chosen automatically); without, a warning says what
    changes."""
    config = tiny_config()
    config["layers"][0]["hidden_to_hidden"] = True
    x = rng.uniform(-1, 1, size=(2, 6, 1))
    one = LMUStack(**config).predict(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        held = LMUStack(**config, steps_per_element=10)
        LMUStack(**config, steps_per_element=1)
        LMUStack(**tiny_config(), steps_per_element=10)
    assert (
        held.synchronous
        and not LMUStack(**tiny_config(), steps_per_element=10).synchronous
    )
    assert allclose(held.predict(x)[:, ::10], one, atol=1e-12)
    with pytest.warns(UserWarning, match="runs 10 times per element"):
        LMUStack(**config, steps_per_element=10, element_sync=False)


def dense_config(**options):
    config = tiny_config(**options)
    config["layers"] = [
        {"kind": "dense", "units": 4, "neuron_type": "relu"},
        dict(config["layers"][0], output_d=0, memory_bias=True, discretizer="euler"),
        {"kind": "dense", "units": 2},
    ]
    return config


def test_dense_layers_between_and_after(rng, allclose):
    """Dense layers compute f(W x + b), relu or linear, between LMU layers."""
    stack = LMUStack(**dense_config())
    assert set(stack.get_parameters()) >= {
        "layer0/W",
        "layer0/b",
        "layer2/W",
        "layer2/b",
    }
    params = {
        k: rng.uniform(-1, 1, size=v.shape) for k, v in stack.get_parameters().items()
    }
    stack.set_parameters(params)
    x = rng.uniform(-1, 1, size=(1, 6, 1))
    with nengo.Network() as net:
        net.add(stack)
        hidden = nengo.Probe(stack.layers[1].output, synapse=None)
        first = nengo.Probe(stack.layers[0].output, synapse=None)
    with stack.feeding(x), nengo.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(6)
    expected_first = np.maximum(0, x[0] @ params["layer0/W"].T + params["layer0/b"])
    assert allclose(sim.data[first], expected_first)
    expected_last = sim.data[hidden] @ params["layer2/W"].T + params["layer2/b"]
    assert allclose(stack.predict(x)[0], expected_last)
    again = LMUStack.from_config(stack.get_config(), stack.get_parameters())
    assert again.get_config() == stack.get_config()
    assert allclose(again.predict(x), stack.predict(x))


def test_predict_shapes_as_keras(rng):
    x = rng.uniform(-1, 1, size=(2, 6, 1))
    steps = LMUStack(**tiny_config(), steps_per_element=3).predict(x)
    elements = LMUStack(
        **tiny_config(), steps_per_element=3, predict_shape="elements"
    ).predict(x)
    last = LMUStack(**tiny_config(), steps_per_element=3, predict_shape="last").predict(
        x
    )
    assert steps.shape == (2, 18, 3) and elements.shape == (2, 6, 3)
    assert np.array_equal(elements, steps[:, 2::3])  # rates: each element's last step
    assert np.array_equal(last, elements[:, -1])
    with pytest.raises(ValidationError, match="predict_shape"):
        LMUStack(**tiny_config(), predict_shape="sequences")


def test_files_before_format_3_keep_their_timing(tmp_path, rng):
    """A file trained before the cell took keras-lmu's timing loads with
    ``lagged_memory=True``: what it was trained to compute."""
    stack = LMUStack(**tiny_config())
    path = str(tmp_path / "old.npz")
    stack.save(path)
    with np.load(path) as f:
        contents = dict(f)
    contents["format"] = np.array("2")
    np.savez(path, **contents)
    loaded = LMUStack.load(path)
    assert loaded.get_config()["layers"][0]["lagged_memory"]
    assert loaded.layers[0].lagged_memory
    assert "lagged_memory is True in the file but False here" in " ".join(
        stack.shape_mismatches(read_file(path).config)
    )


def test_regression_scores_the_mean_of_each_held_element():
    """A spiking output is scored by its mean over each element's steps."""
    stack = LMUStack(
        **dict(tiny_config(seq_len=2), pooling="none"), steps_per_element=4
    )
    y = np.array([[[1.0], [-2.0]]])
    outputs = np.zeros((1, 8, 1))
    outputs[0, 1], outputs[0, 6] = 4.0, -8.0
    assert stack.score(outputs, y) == {"nrmse": 0.0}
    outputs[0, 6] = -4.0  # predicts -1 for -2
    assert np.isclose(stack.score(outputs, y)["nrmse"], np.sqrt(0.5 / 2.5))


def test_deprecated_training_functions(tmp_path):
    with pytest.warns(DeprecationWarning, match="LMUStack.from_config"):
        stack = training.build_model(tiny_config(), target="dl")
    assert stack.backend.name == "dl"
    path = str(tmp_path / "p.npz")
    with pytest.warns(DeprecationWarning, match="LMUStack.save"):
        training.save_params(stack, path)
    with pytest.warns(DeprecationWarning, match="LMUStack.load"):
        assert training.load_model(path).seq_len == 6
    assert os.path.exists(path)


def test_memory_statistics_are_those_of_what_the_memory_receives(rng, allclose):
    """With as many memory dimensions as inputs the encoder starts as the
    identity, so each memory receives its held input itself: the statistics
    equal those of the ideal memory run on each sequence from rest, computed
    here without a simulator, one sequence and one dimension at a time."""
    config = tiny_config(steps_per_element=3)
    config["input_d"] = config["layers"][0]["memory_d"] = 2
    stack = LMUStack(**config)
    x = rng.uniform(-2, 2, size=(5, 6, 2)) + [0.0, 1.0]
    [stats] = stack.memory_statistics(x)
    theta = stack.layers[0].memory.theta
    states = np.array(
        [
            [ideal_memory(sequence[:, i], 3, theta, stack.dt)[:, 0] for i in range(2)]
            for sequence in hold(x, 3)
        ]
    )  # (sequences, inputs, steps, order)
    assert allclose(stats.input_peak, np.abs(x).max(axis=(0, 1)))
    assert allclose(stats.std, states.std(axis=(0, 2)), atol=1e-6)
    # the mean where it is 3 standard errors of the sequences' own means
    sequence_means = states.mean(axis=2)
    mean = sequence_means.mean(axis=0)
    significant = np.abs(mean) > 3 * sequence_means.std(axis=0) / np.sqrt(5)
    assert significant[1, 0] and not significant.all()
    assert allclose(stats.mean, np.where(significant, mean, 0), atol=1e-6)
    with pytest.raises(ValidationError, match="at least one sequence"):
        stack.memory_statistics(x[:0])


def test_calibrated_stack_scales_its_neural_memory_and_keeps_its_rates(
    rng, allclose, tmp_path
):
    """A memory input 20 times what the default expects: calibrated, the
    neural memory's scale follows (20x), the rate outputs stay within a few
    percent, and the statistics survive a save and load."""
    config = tiny_config(seq_len=8)
    config["layers"][0].update(memory_neuron_type="relu", memory_n_neurons=60)
    stack = LMUStack(**config)
    x = 6.0 * rng.uniform(-1, 1, size=(10, 8, 1))
    calibrated = stack.calibrated(x)
    before = stack.layers[0].memory.scale
    after = calibrated.layers[0].memory.scale
    assert np.all(after > 5 * before)
    memory = calibrated.layers[0].memory
    assert allclose(memory.scale, memory.statistics.scale)
    assert "recorded sequences" in memory.summary()
    # the rate memory follows its input at any scale: the outputs agree
    rates = stack.predict(x, backend="nengo")
    assert np.abs(calibrated.predict(x, backend="nengo") - rates).max() < 0.05 * (
        np.abs(rates).max()
    )
    path = str(tmp_path / "calibrated.npz")
    calibrated.save(path)
    assert allclose(LMUStack.load(path).layers[0].memory.scale, after)
    assert LMUStack.from_config(calibrated.get_config()).get_config() == (
        calibrated.get_config()
    )
    # spiking, the memory scaled for the default input overdrives its neurons
    sequence = hold(x[:1], 10)[0]
    spikes = [
        backends.get("nengo").resources(
            net.replica(spiking=True, steps_per_element=10, add_to_container=False),
            sequence,
        )["spikes_per_inference"]
        for net in (stack, calibrated)
    ]
    assert spikes[1] < 0.5 * spikes[0]


def test_memory_statistics_in_a_layer_config_are_checked_and_saved(tmp_path):
    """Moments given as arrays save as JSON; a wrong shape is refused with
    the option named."""
    config = tiny_config()
    moments = {"mean": np.zeros((1, 3)), "std": np.ones((1, 3)), "input_peak": [2.0]}
    config["layers"][0].update(
        memory_neuron_type="relu", memory_n_neurons=20, memory_statistics=moments
    )
    stack = LMUStack(**config)
    path = str(tmp_path / "moments.npz")
    stack.save(path)
    assert np.allclose(LMUStack.load(path).layers[0].memory.scale, 3.0)
    config["layers"][0]["memory_statistics"] = dict(moments, std=[[1.0, 1.0], [1.0]])
    with pytest.raises(ValidationError, match="memory_statistics"):
        LMUStack(**config)


def test_nengo_counts_each_spike_once_whatever_the_amplitude(rng):
    """Hidden neurons with rate_scale 300 have amplitude 1/300: the count is
    of spikes, as an independent count of the neurons' spike trains gives."""
    config = tiny_config()
    config["layers"][0].update(memory_neuron_type="relu", memory_n_neurons=20)
    stack = LMUStack(**config, spiking=True, steps_per_element=10, rate_scale=300.0)
    sequence = hold(rng.uniform(-1, 1, size=(1, 6, 1)), 10)[0]
    counted = backends.get("nengo").resources(stack, sequence)["spikes_per_inference"]
    replica = stack.replica(sequence, add_to_container=False)
    ensembles = [e for e in replica.all_ensembles if e.neuron_type.spiking]
    with replica:
        probes = [nengo.Probe(e.neurons, synapse=None) for e in ensembles]
    with nengo.Simulator(replica, progress_bar=False) as sim:
        sim.run_steps(len(sequence))
    # one spike is the smallest value a spike train takes (amplitude / dt)
    trains = [sim.data[p] for p in probes if np.any(sim.data[p])]
    expected = sum(np.rint(t.sum() / t[t > 0].min()) for t in trains)
    assert counted == expected > 0


def counted_by_stepping(neuron_type, currents, steps, dt):
    """Spikes that ``neuron_type`` fires over ``steps`` steps of each constant
    current, from rest, by running its own ``step``."""
    voltage = np.zeros_like(currents)
    output = np.zeros_like(currents)
    count = np.zeros_like(currents)
    for _ in range(steps):
        neuron_type.step(dt, currents, output, voltage)
        count += output > 0
    return count


@requires_loihi
def test_count_errors_match_loihi_neurons_stepped():
    """`NeuronLayer.count_errors` (the backend's rate curve, whole spikes)
    against Loihi's neurons stepped one by one: the same counts."""
    stack = LMUStack(**tiny_config(rate_scale=100.0))
    layer = stack.layers[0]
    loihi = backends.get("loihi")
    # off the currents at which J dt k is exactly 1 (the curve counts a spike
    # there that the neuron, spiking above 1, fires a step later)
    currents = np.linspace(0.0, 1500.0, 301) + 0.37
    for scale, steps in [(100.0, 48), (200.0, 18)]:
        spiking = loihi.spiking_type(nengo.RectifiedLinear(), amplitude=1.0)
        scaled = currents * scale / layer.rate_scale
        counted = counted_by_stepping(spiking, scaled, steps, stack.dt)
        estimate = counted / (steps * stack.dt * scale)
        exact = scaled / scale
        expected = (estimate - exact) ** 2
        assert np.allclose(layer.count_errors(currents, scale, steps, loihi), expected)


@requires_loihi
def test_rate_scale_for_balances_count_and_loihi_rate_steps(rng):
    """On nengo a unit's count only gets finer as it fires faster: the
    highest candidate.  On Loihi the steps of its rate curve grow with the
    rate: a lower scale, and lower still for larger activations."""
    stack = LMUStack(**tiny_config())
    x = rng.uniform(-1, 1, size=(6, 6, 1))
    candidates = (25.0, 50.0, 100.0, 200.0, 400.0, 800.0)
    assert stack.rate_scale_for(x, "nengo", 50, candidates) == 800.0
    small = stack.rate_scale_for(x, "loihi", 50, candidates)
    assert small < 800.0
    params = stack.get_parameters()
    stack.set_parameters(
        {k: v * 4 if k.endswith("W_x") else v for k, v in params.items()}
    )
    assert stack.rate_scale_for(x, "loihi", 50, candidates) < small
    with pytest.raises(ValidationError, match="at least one sequence"):
        stack.rate_scale_for(x[:0], "loihi", 50)
    with pytest.raises(ValidationError, match="candidates.*positive finite"):
        stack.rate_scale_for(x, "loihi", 50, candidates=(100.0, float("nan")))
    with pytest.raises(ValidationError, match="steps_per_element"):
        stack.rate_scale_for(x, "loihi", 0)
    settled = LMUStack(**tiny_config(steps_per_element=20, settle_steps=3))
    assert settled.rate_scale_for(x, "loihi", 50, candidates) < 800.0
    lif = LMUStack(**tiny_config(hidden_neuron_type="lif"))
    with pytest.raises(ValidationError, match="rectified-linear units"):
        lif.rate_scale_for(x, "loihi", 50)
