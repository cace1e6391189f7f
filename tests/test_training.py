import warnings

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

from nengo_lmu import training
from tests.conftest import requires_dl, requires_loihi


def tiny_config(order=3, seq_len=6):
    return {
        "input_d": 1,
        "seq_len": seq_len,
        "pooling": "mean",
        "seed": 0,
        "layers": [
            dict(memory_d=1, order=order, theta=4, hidden_units=6, output_d=3,
                 input_to_hidden=True),
        ],
    }


def tiny_data(rng, n=20, seq_len=6):
    x = rng.uniform(-1, 1, size=(n, seq_len, 1)).astype(np.float32)
    y = (x[:, :3, 0].sum(axis=1) > 0).astype(np.int64) + (x[:, -1, 0] > 0.5)
    return {"x": x, "y": y, "x_test": x, "y_test": y}


@requires_dl
def test_save_then_load_reproduces_rate_outputs_exactly(rng, tmp_path):
    data = tiny_data(rng)
    model = training.build_model(tiny_config())
    training.fit(model, data, epochs=1, batch_size=10, verbose=0)
    before = training.predict(model, data["x_test"], "dl-rate", batch_size=10)
    path = str(tmp_path / "tiny.npz")
    training.save_params(model, path)
    loaded = training.load_model(path)
    after = training.predict(loaded, data["x_test"], "dl-rate", batch_size=10)
    assert np.array_equal(before, after)
    # training changed every parameter (NengoDL trains only the connections
    # that it does not take for a probe's)
    fresh = training.get_params(training.build_model(tiny_config()))
    trained = training.get_params(model)
    for name in ("e_x", "W_m", "W_x", "W_o", "b_o", "b_h"):
        assert not np.allclose(fresh[f"layer0/{name}"], trained[f"layer0/{name}"]), name


@requires_dl
@requires_loihi
def test_loihi_aware_training_uses_loihi_rates(rng, allclose):
    """With Loihi neurons, NengoDL trains through Loihi's quantized rates:
    the outputs differ from the rate network's with the same parameters, and
    training from those parameters moves them."""
    import nengo_loihi

    data = tiny_data(rng)
    rate = training.build_model(tiny_config(), rate_scale=300.0)
    params = training.get_params(rate)
    loihi = training.build_model(tiny_config(), rate_scale=300.0, loihi_neurons=True)
    assert isinstance(
        loihi.layers[0].hidden.neuron_type,
        nengo_loihi.neurons.LoihiSpikingRectifiedLinear,
    )
    training.load_params(loihi, params)
    training.fit(loihi, data, epochs=1, batch_size=10, verbose=0)
    trained = training.get_params(loihi)
    assert not np.allclose(params["layer0/W_o"], trained["layer0/W_o"])
    # same parameters, but the Loihi rate curve J -> 1 / ceil(1 / (J dt))
    hidden = loihi.layers[0].hidden
    rates = hidden.neuron_type.rates(np.linspace(0.1, 1, 10), 300.0, 0.0)
    ideal = nengo.RectifiedLinear(amplitude=1 / 300).rates(
        np.linspace(0.1, 1, 10), 300.0, 0.0
    )
    assert np.all(rates <= ideal + 1e-9) and not allclose(rates, ideal)


def test_load_refuses_a_differently_shaped_network(tmp_path):
    path = str(tmp_path / "order3.npz")
    training.save_params(training.build_model(tiny_config(order=3)), path)
    other = training.build_model(tiny_config(order=4))
    with pytest.raises(ValidationError, match="layer 0 order is 3 in the file but 4"):
        training.load_params(other, path)
    # arrays alone are checked too
    params = training.get_params(training.build_model(tiny_config(order=3)))
    with pytest.raises(ValidationError, match=r"W_m has shape \(6, 3\)"):
        training.load_params(other, params)


def test_rate_outputs_on_nengo_match_held_elements(rng, allclose, tmp_path):
    """Holding each element for k steps (theta scaled) starts every element
    with the same memory, so the outputs of held and unheld runs agree there."""
    config = tiny_config()
    path = str(tmp_path / "p.npz")
    training.save_params(training.build_model(config), path)
    x = rng.uniform(-1, 1, size=(2, 6, 1))
    one = training.predict(training.load_model(path), x, "nengo")
    held = training.predict(training.load_model(path, steps_per_element=3), x, "nengo")
    assert one.shape == (2, 6, 3) and held.shape == (2, 18, 3)
    assert allclose(held[:, ::3], one, atol=1e-6)


def test_spiking_nengo_runs_and_resets(rng, tmp_path):
    path = str(tmp_path / "p.npz")
    training.save_params(training.build_model(tiny_config()), path)
    model = training.load_model(path, steps_per_element=5, spiking=True)
    x = rng.uniform(-1, 1, size=(1, 6, 1))
    out = training.predict(model, np.concatenate([x, x]), "nengo")
    assert np.array_equal(out[0], out[1])  # each sequence starts from rest


def test_bad_inputs_are_refused():
    model = training.build_model(tiny_config())
    with pytest.raises(ValidationError, match="7 elements but the model was built"):
        training.check_inputs(model, np.zeros((2, 7, 1)))
    with pytest.raises(ValidationError, match="input_d=1"):
        training.check_inputs(model, np.zeros((2, 6, 2)))
    with pytest.raises(ValidationError, match="backend"):
        training.predict(model, np.zeros((2, 6, 1)), "gpu")


def test_too_few_spiking_steps_warns_with_the_figure():
    with pytest.warns(UserWarning, match="with 2 steps per element"):
        training.check_spiking_steps(2, "nengo")


def test_held_hidden_recurrence_warns():
    """A hidden-to-hidden recurrence would run once per step, not per element."""
    config = tiny_config()
    config["layers"][0]["hidden_to_hidden"] = True
    with pytest.warns(UserWarning, match="runs 10 times per element"):
        training.check_held_recurrence(config, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        training.check_held_recurrence(config, 1)
        training.check_held_recurrence(tiny_config(), 10)


def test_cli_has_train_and_evaluate(capsys):
    from nengo_lmu import cli

    parser = cli.build_parser()
    args = parser.parse_args(["evaluate", "mnist1d", "--backend", "loihi", "--n", "5"])
    assert (args.task, args.backend, args.n) == ("mnist1d", "loihi", 5)
    with pytest.raises(SystemExit):
        parser.parse_args(["evaluate", "mnist1d", "--backend", "gpu"])
    args = parser.parse_args(["train", "psdigits", "--epochs", "2"])
    assert (args.task, args.epochs) == ("psdigits", 2)


@requires_dl
@pytest.mark.slow
def test_committed_mnist1d_params_on_dl_rate(capsys):
    """The committed parameters, evaluated through the CLI (all 1000 tests)."""
    import json

    from nengo_lmu import cli

    assert cli.main(["evaluate", "mnist1d", "--backend", "dl-rate"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["task"] == "mnist1d" and figures["n"] == 1000
    assert figures["accuracy"] >= 0.92


@requires_dl
def test_committed_loihi_aware_params(capsys):
    """The Loihi backend evaluates the Loihi-aware parameters, which keep the
    rate network's accuracy."""
    import json

    import networks
    from nengo_lmu import cli

    path = networks.params_path("mnist1d", "loihi")
    assert path.endswith("mnist1d_loihi.npz")
    assert networks.params_path("mnist1d", "nengo").endswith("mnist1d.npz")
    assert cli.main(["evaluate", "mnist1d", "--backend", "dl-rate", "--params", path]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["accuracy"] >= 0.92


@requires_dl
@pytest.mark.parametrize(
    "task, metric, bound", [("psdigits", "accuracy", 0.89), ("mackey_glass", "nrmse", 0.08)]
)
def test_committed_task_params_on_dl_rate(task, metric, bound, capsys):
    """The committed psdigits (89.5 %) and Mackey-Glass (0.074) parameters."""
    import json

    from nengo_lmu import cli

    assert cli.main(["evaluate", task, "--backend", "dl-rate"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["task"] == task
    if metric == "accuracy":
        assert figures["accuracy"] >= bound
    else:
        assert figures["nrmse"] <= bound


def test_tasks_deploy_with_their_steps_per_element(monkeypatch):
    """mnist1d holds each element for 20 steps on Loihi unless told otherwise."""
    import networks
    from networks import mnist1d

    calls = []
    monkeypatch.setattr(
        training, "evaluate", lambda *args, **kwargs: calls.append(kwargs)
    )
    data = {"x_test": np.zeros((1, 40, 1)), "y_test": np.zeros(1, dtype=int)}
    networks.evaluate_task(mnist1d, data, "loihi")
    networks.evaluate_task(mnist1d, data, "nengo")
    networks.evaluate_task(mnist1d, data, "loihi", steps_per_element=5)
    assert [c["steps_per_element"] for c in calls] == [20, None, 5]
    assert calls[0]["host_scale"] == mnist1d.DEPLOY["host_scale"]


def test_regression_scores_the_mean_of_each_held_element():
    """A spiking output is scored by its mean over each element's steps."""
    model = training.build_model(
        dict(tiny_config(), pooling="none"), steps_per_element=4
    )
    y = np.array([[[1.0], [-2.0]]])
    # spikes-like outputs: zeros with one large value per element
    outputs = np.zeros((1, 8, 1))
    outputs[0, 1], outputs[0, 6] = 4.0, -8.0
    assert training.score(model, outputs, y) == {"nrmse": 0.0}
    outputs[0, 6] = -4.0  # predicts -1 for -2
    assert np.isclose(training.score(model, outputs, y)["nrmse"], np.sqrt(0.5 / 2.5))
