"""The ready-made task networks, their committed parameters and the
``train``/``evaluate`` commands."""

import json

import numpy as np
import pytest
from nengo.exceptions import BuildError, ValidationError

from nengo_lmu import cli, tasks, training
from nengo_lmu.experiments import tasks as task_runs

from .conftest import requires_dl


def test_registry():
    assert tasks.NAMES == ("mnist1d", "psdigits", "psmnist", "mackey_glass")
    assert tasks.get("mnist1d").metric == "accuracy"
    with pytest.raises(Exception, match="unknown task 'mnist2d'"):
        tasks.get("mnist2d")


def test_parameters_for_a_backend_where_they_exist():
    task = tasks.get("mnist1d")
    assert task.params_path("loihi").endswith("mnist1d_loihi.npz")
    assert task.params_path("nengo").endswith("mnist1d.npz")
    assert task.params_path(suffix="loihi").endswith("mnist1d_loihi.npz")


def last_json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_evaluate_command_passes_its_options_on(monkeypatch, capsys):
    """What ``nengo-lmu evaluate`` hands the evaluation: the backend's
    parameters, its steps per element, the task's deployment settings and
    ``--dt``; its JSON is the evaluation's."""
    calls = []

    def evaluate(path, data, mode, **kwargs):
        calls.append(dict(kwargs, path=path, mode=mode))
        return {"mode": mode, "accuracy": 0.5}

    monkeypatch.setattr(training, "evaluate", evaluate)
    monkeypatch.setattr(tasks.get("mnist1d"), "load_data", lambda: {})
    argv = ["evaluate", "mnist1d", "--backend", "loihi", "--n", "5", "--dt", "0.002",
            "--memory", "exact"]
    assert cli.main(argv) == 0
    assert last_json(capsys) == {
        "task": "mnist1d", "memory": "exact", "mode": "loihi", "accuracy": 0.5
    }
    (call,) = calls
    assert call["path"].path.endswith("mnist1d_loihi.npz")
    assert (call["mode"], call["n"], call["dt"]) == ("loihi", 5, 0.002)
    assert call["steps_per_element"] == 20
    assert call["host_scale"] == tasks.get("mnist1d").deploy["host_scale"]
    with pytest.raises(SystemExit) as exit:
        cli.main(["evaluate", "mnist1d", "--backend", "gpu"])
    assert exit.value.code == 2
    assert "invalid choice: 'gpu'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["evaluate", "mnist1d", "--memory", "chip"])
    assert "invalid choice: 'chip'" in capsys.readouterr().err


def test_train_command_passes_its_options_on(monkeypatch, capsys):
    """``--loihi-aware`` trains through Loihi's neurons; ``--dt`` builds the
    stack for that step; the trained file is then evaluated with rates."""
    from nengo_lmu.commands import tasks as commands

    calls = {}

    def train_task(task, **kwargs):
        calls["train"] = kwargs
        return {"wall_s": 1.0, "path": "p.npz", "dt": kwargs["dt"]}

    def evaluate_task(task, mode, **kwargs):
        calls["evaluate"] = dict(kwargs, mode=mode)
        return {"mode": mode, "n": 497, "accuracy": 0.9}

    monkeypatch.setattr(commands, "train_task", train_task)
    monkeypatch.setattr(commands, "evaluate_task", evaluate_task)
    argv = ["train", "psdigits", "--epochs", "2", "--loihi-aware", "--dt", "0.002"]
    assert cli.main(argv) == 0
    figures = last_json(capsys)
    assert calls["train"]["train_through"] == "loihi"
    assert (calls["train"]["epochs"], calls["train"]["dt"]) == (2, 0.002)
    assert calls["evaluate"]["mode"] == "dl-rate"
    assert calls["evaluate"]["path"] == "p.npz"
    assert calls["evaluate"]["memory"] == "exact"  # the network as trained
    assert (figures["accuracy"], figures["dt"], figures["epochs"]) == (0.9, 0.002, 2)


def test_tasks_deploy_with_their_steps_per_element(monkeypatch):
    """mnist1d holds each element for 20 steps spiking unless told otherwise."""
    calls = []
    monkeypatch.setattr(
        training, "evaluate", lambda *args, **kwargs: calls.append(kwargs) or {}
    )
    task = tasks.get("mnist1d")
    data = {"x_test": np.zeros((1, 40, 1)), "y_test": np.zeros(1, dtype=int)}
    monkeypatch.setattr(task, "load_data", lambda: data)
    for mode, steps in [("loihi", None), ("nengo", None), ("loihi", 5),
                        ("dl-rate", None)]:
        task_runs.evaluate_task(task, mode, steps_per_element=steps, memory="exact")
    assert [c["steps_per_element"] for c in calls] == [20, 20, 5, None]
    assert calls[0]["host_scale"] == task.deploy["host_scale"]
    assert "rate_scale" not in calls[3]  # rates: the trained network as it is


@requires_dl
@pytest.mark.slow
def test_committed_mnist1d_params_on_dl_rate(capsys):
    """The committed parameters, evaluated through the CLI (all 1000 tests)
    as the task deploys them, with its memories on rate neurons: 92.8 %
    (93.0 % with the exact memories)."""
    assert cli.main(["evaluate", "mnist1d", "--backend", "dl-rate"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["task"] == "mnist1d" and figures["n"] == 1000
    assert figures["memory"] == "neurons" and figures["memory_neurons"] == 4640
    assert figures["accuracy"] >= 0.92


@requires_dl
def test_committed_loihi_aware_params(capsys):
    """The Loihi backend's parameters keep the rate network's accuracy (94.4 %
    with the exact memories, as trained)."""
    path = tasks.get("mnist1d").params_path("loihi")
    argv = ["evaluate", "mnist1d", "--backend", "dl-rate", "--params", path]
    assert cli.main(argv + ["--memory", "exact"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["accuracy"] >= 0.92


@requires_dl
@pytest.mark.parametrize(
    "task, memory, metric, bound",
    [
        ("psdigits", "exact", "accuracy", 0.89),
        ("psdigits", "neurons", "accuracy", 0.88),
        ("mackey_glass", "exact", "nrmse", 0.08),
    ],
)
def test_committed_task_params_on_dl_rate(task, memory, metric, bound, capsys):
    """The committed psdigits (89.5 %; with the memory on 200 rate neurons
    per dimension, 89.3 %) and Mackey-Glass (0.071) parameters."""
    argv = ["evaluate", task, "--backend", "dl-rate", "--memory", memory]
    assert cli.main(argv) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["task"] == task and figures["memory"] == memory
    assert (figures["memory_neurons"] > 0) == (memory == "neurons")
    if metric == "accuracy":
        assert figures["accuracy"] >= bound
    else:
        assert figures["nrmse"] <= bound


def test_spiking_evaluation_beats_chance_on_nengo(capsys):
    """The committed MNIST-1D network, spiking on nengo.Simulator, by default
    with its memories on neurons (100 and 30 per dimension), on 30 test
    sequences: chance is 10 %; the full set scores 91.0 % (83.3 % here)."""
    pytest.importorskip("mnist1d")
    assert cli.main(["evaluate", "mnist1d", "--backend", "nengo", "--n", "30"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["memory"] == "neurons" and figures["steps_per_element"] == 20
    assert figures["memory_neurons"] == 8 * 100 + 16 * 8 * 30
    assert figures["accuracy"] >= 0.75


def small_task_data(task, n_train=3, n_test=1):
    """The task's first ``n_train`` training and ``n_test`` test sequences."""
    data = task.load_data()
    return {"x": data["x"][:n_train], "y": data["y"][:n_train],
            "x_test": data["x_test"][:n_test], "y_test": data["y_test"][:n_test]}


def test_evaluate_deploys_the_tasks_memories(monkeypatch):
    """What the tasks' memories say reaches the evaluated network: mnist1d's
    on neurons by default, scaled for training sequences, with the
    recurrent synapses a fraction of each window at the run's steps and
    step (on Loihi a quarter, with the positive tuning); Mackey-Glass's
    exact by default, and on neurons without element_sync; a bad choice is
    refused by name."""
    pytest.importorskip("mnist1d")
    calls = []
    monkeypatch.setattr(
        training, "evaluate",
        lambda saved, data, mode, **kw: calls.append(dict(kw, saved=saved)) or {},
    )
    mnist1d = tasks.get("mnist1d")
    small = small_task_data(mnist1d)
    monkeypatch.setattr(mnist1d, "load_data", lambda: small)
    task_runs.evaluate_task(mnist1d, "nengo")
    task_runs.evaluate_task(mnist1d, "loihi", dt=0.002)
    nengo_run, loihi_run = calls
    assert nengo_run["memory_synapse"] == pytest.approx([0.02, 0.06])
    assert loihi_run["memory_synapse"] == pytest.approx([0.08, 0.24])
    for run, tuning in ((nengo_run, None), (loihi_run, tasks.POSITIVE_TUNING)):
        layers = run["saved"].config["layers"]
        assert [layer["memory_n_neurons"] for layer in layers] == [100, 30]
        assert all(layer["memory_neuron_type"] == "relu" for layer in layers)
        assert all("memory_statistics" in layer for layer in layers)
        assert [layer.get("memory_tuning") for layer in layers] == [tuning] * 2
    assert loihi_run["saved"].path.endswith("mnist1d_loihi.npz")

    mackey_glass = tasks.get("mackey_glass")
    series = small_task_data(mackey_glass)
    monkeypatch.setattr(mackey_glass, "load_data", lambda: series)
    assert task_runs.evaluate_task(mackey_glass, "nengo")["memory"] == "exact"
    assert calls[-1]["element_sync"] is True and "memory_synapse" not in calls[-1]
    (layer,) = calls[-1]["saved"].config["layers"]
    assert layer.get("memory_neuron_type") is None
    task_runs.evaluate_task(mackey_glass, "nengo", memory="neurons")
    assert calls[-1]["element_sync"] is False
    assert calls[-1]["memory_synapse"] == pytest.approx([16 * 0.02 / 4])
    with pytest.raises(ValidationError, match="memory.*'chip' is not a memory"):
        task_runs.evaluate_task(mackey_glass, "nengo", memory="chip")
    # the user's settings win; Loihi's neurons on nengo get Loihi's settings
    task_runs.evaluate_task(mackey_glass, "nengo", memory="neurons",
                            memory_synapse=0.5, element_sync=True)
    assert calls[-1]["memory_synapse"] == 0.5 and calls[-1]["element_sync"] is True
    task_runs.evaluate_task(mnist1d, "nengo", spiking_backend="loihi")
    layers = calls[-1]["saved"].config["layers"]
    assert [layer["memory_tuning"] for layer in layers] == [tasks.POSITIVE_TUNING] * 2
    # a file that does not fit the task's memories, before any calibration
    with pytest.raises(ValidationError, match="has 1 layers.*memory='exact'"):
        task_runs.evaluate_task(
            mnist1d, "nengo", path=tasks.get("psdigits").params_path()
        )
    monkeypatch.setattr(
        mackey_glass, "memories", tasks.Memories(None, "exact", "too big")
    )
    with pytest.raises(ValidationError, match="no memory on neurons \\(too big"):
        task_runs.evaluate_task(mackey_glass, "nengo", memory="neurons")


def test_data_options_a_task_does_not_take_are_refused(capsys):
    """``--mnist-path`` is psMNIST's: any other task names it and says why."""
    with pytest.raises(ValidationError, match="mnist1d's data takes no mnist_path"):
        task_runs.evaluate_task("mnist1d", data_options={"mnist_path": "m.npz"})
    assert cli.main(["evaluate", "psdigits", "--mnist-path", "m.npz"]) != 0
    assert "psdigits's data takes no mnist_path" in capsys.readouterr().err


def test_memories_refuse_bad_settings():
    """`Memories` names the setting that is wrong, and where."""
    for bad, match in [
        ({"backends": {"gpu": {}}}, "backends: 'gpu' is not a backend"),
        ({"backends": {"loihi": {"window_fractoin": 1}}},
         "unknown settings \\['window_fractoin'\\] \\(backends\\['loihi'\\]\\)"),
        ({"calibrate": -1}, "calibrate: must be a number"),
        ({"window_fraction": 0}, "window_fraction: must be a positive"),
        ({"default": "chip"}, "default: 'chip' is not a memory"),
    ]:
        kwargs = dict({"default": "neurons"}, **bad)
        with pytest.raises(ValidationError, match=match):
            tasks.Memories([100], why="test", **kwargs)


def small_mackey_glass(monkeypatch):
    """The Mackey-Glass task on 32 training and 16 test segments, one epoch."""
    task = tasks.get("mackey_glass")
    data = task.load_data()
    small = {"x": data["x"][:32], "y": data["y"][:32]}
    small.update(x_test=data["x_test"][:16], y_test=data["y_test"][:16])
    monkeypatch.setattr(task, "load_data", lambda: small)
    monkeypatch.setattr(
        task, "training", {"epochs": 1, "batch_size": 16, "learning_rate": 3e-3}
    )
    return task


@requires_dl
def test_train_and_evaluate_commands_at_any_dt(monkeypatch, capsys, tmp_path):
    """``train --dt`` and ``evaluate --dt``: windows are in elements, so the
    network trained and evaluated at 2 ms computes what it does at 1 ms, to
    float32 rounding."""
    from nengo_lmu.stack import read_file

    small_mackey_glass(monkeypatch)
    paths = {dt: str(tmp_path / f"mg_{dt}.npz") for dt in (0.001, 0.002)}
    trained = {}
    for dt, path in paths.items():
        assert cli.main(["train", "mackey_glass", "--dt", str(dt), "--out", path]) == 0
        trained[dt] = last_json(capsys)
    assert trained[0.002]["dt"] == 0.002
    assert 0 < trained[0.001]["nrmse"] < 1
    assert trained[0.002]["nrmse"] == pytest.approx(trained[0.001]["nrmse"], rel=1e-4)
    saved = read_file(paths[0.002])
    assert saved.config["dt"] == 0.002 and "--dt 0.002" in saved.made_by
    for dt in (None, 0.0005):
        argv = ["evaluate", "mackey_glass", "--backend", "dl-rate"]
        argv += ["--params", paths[0.002]] + ([] if dt is None else ["--dt", str(dt)])
        assert cli.main(argv) == 0
        figures = last_json(capsys)
        assert figures["nrmse"] == pytest.approx(trained[0.002]["nrmse"], rel=1e-4)


@pytest.mark.parametrize("dt", [0.0005, 0.002])
def test_spiking_evaluation_at_any_dt(dt, capsys):
    """The committed MNIST-1D network (the hybrid) spiking on nengo at 0.5 and
    2 ms (10 steps per element: at 0.5 ms an element lasts 5 ms and gets
    half the spikes): 80 % and 83 % on these 30 sequences (83 % at 1 ms;
    chance 10 %)."""
    pytest.importorskip("mnist1d")
    argv = ["evaluate", "mnist1d", "--backend", "nengo", "--n", "30", "--dt", str(dt),
            "--memory", "exact", "--steps-per-element", "10"]
    assert cli.main(argv) == 0
    figures = last_json(capsys)
    assert figures["dt"] == dt and figures["steps_per_element"] == 10
    assert figures["accuracy"] >= 0.7


def test_spike_noise_for_is_the_count_error_of_spiking_units(rng):
    """`spike_noise_for` against spiking rectified-linear units in nengo:
    the rms error of the output read from each held element's spike count
    (1000 Hz per unit activation, 20 steps) matches it within 10 % (it is
    within 3 % over three seeds)."""
    import nengo

    rate_scale, steps, elements = 1000.0, 20, 30
    activation = rng.uniform(0.2, 1.0, size=200)
    with nengo.Network(seed=0) as net:
        units = nengo.Ensemble(
            200, 1, neuron_type=nengo.SpikingRectifiedLinear(1 / rate_scale),
            gain=np.ones(200), bias=rate_scale * activation,
        )
        probe = nengo.Probe(units.neurons)
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(steps * elements)
    per_element = sim.data[probe].reshape(elements, steps, 200).mean(axis=1)
    errors = per_element[1:] - activation  # the first starts from rest
    sigma = training.spike_noise_for(rate_scale, steps, sim.dt)
    assert np.sqrt(np.mean(errors**2)) == pytest.approx(sigma, rel=0.1)


def test_hidden_noise_is_on_in_training_only():
    """The noise reaches every hidden unit's input at the rms asked for, in
    the units' output, and the units' own noise is back afterwards; bad
    values are refused by name."""
    from nengo_lmu import LMUStack

    stack = LMUStack(input_d=1, seq_len=4, rate_scale=50.0, layers=[
        dict(memory_d=1, order=3, theta=4, hidden_units=10, output_d=2),
        dict(memory_d=2, order=3, theta=4, hidden_units=5, output_d=2),
    ])
    units = [layer.units for layer in stack.layers]
    with training.hidden_noise(stack, 0.02):
        for ens in units:
            output_noise = ens.noise.dist.std * ens.neuron_type.amplitude
            assert output_noise == pytest.approx(0.02)
            assert ens.noise.scale is False
    assert [ens.noise for ens in units] == [None, None]
    x = np.ones((1, 4, 1))
    quiet = stack.predict(x)
    with training.hidden_noise(stack, 0.02):
        noisy = stack.predict(x)
    assert not np.allclose(noisy, quiet)  # the simulator adds it
    assert np.array_equal(stack.predict(x), quiet)
    for bad in (-0.1, np.nan, "auto", True, [0.1, 0.2]):
        with pytest.raises(ValidationError, match="spike_noise"):
            training.fit(stack, {"x": np.zeros((2, 4, 1))}, spike_noise=bad)


def test_spiking_parameters_where_they_exist():
    """Spiking evaluations deploy a task's spike-noise-trained parameters
    (``{task}_spiking.npz``), a backend's own first; rates the rate ones."""
    mackey_glass, mnist1d = tasks.get("mackey_glass"), tasks.get("mnist1d")
    assert mackey_glass.params_path("dl", spiking=True).endswith(
        "mackey_glass_spiking.npz"
    )
    assert mackey_glass.params_path("dl").endswith("mackey_glass.npz")
    assert mnist1d.params_path("nengo", spiking=True).endswith("mnist1d.npz")
    assert mnist1d.params_path("loihi", spiking=True).endswith("mnist1d_loihi.npz")


@requires_dl
def test_train_with_spike_noise(monkeypatch, capsys, tmp_path):
    """``train --spike-noise auto``: the task's spiking deployment's noise
    (1000 Hz, 20 steps: 0.0204), said in the file; a number is taken as it
    is, and anything else refused by name."""
    from nengo_lmu.stack import read_file

    task = small_mackey_glass(monkeypatch)
    noises = []
    fit = training.fit
    monkeypatch.setattr(
        training, "fit",
        lambda *args, **kw: noises.append(kw["spike_noise"]) or fit(*args, **kw),
    )
    path = str(tmp_path / "mg.npz")
    argv = ["train", "mackey_glass", "--spike-noise", "auto", "--out", path]
    assert cli.main(argv) == 0
    assert noises == [pytest.approx(0.0204, abs=1e-4)]
    assert "--spike-noise auto" in read_file(path).made_by
    assert 0 < last_json(capsys)["nrmse"] < 1
    with pytest.raises(SystemExit):
        cli.main(["train", "mackey_glass", "--spike-noise", "lots"])
    assert "neither 'auto' nor a number" in capsys.readouterr().err
    # by default beside the task's files, as TASK_spiking.npz
    monkeypatch.setattr(tasks, "PARAMS_DIR", str(tmp_path))
    assert cli.main(["train", "mackey_glass", "--spike-noise", "0.01"]) == 0
    assert noises[-1] == 0.01
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "mackey_glass_spiking.npz", "mg.npz"
    ]
    assert task.params_path("dl", spiking=True) == str(
        tmp_path / "mackey_glass_spiking.npz"
    )
    # auto is refused where it does not apply: a pooled output
    with pytest.raises(ValidationError, match="spike_noise.*pools its output"):
        task_runs.train_task("psdigits", spike_noise="auto")


@requires_dl
def test_committed_mackey_glass_spiking(capsys):
    """The spike-noise-trained Mackey-Glass parameters, spiking in NengoDL
    with the memory updated once per element, on the first 32 test
    segments (all 320: see the README)."""
    argv = ["evaluate", "mackey_glass", "--backend", "dl", "--n", "32"]
    assert cli.main(argv) == 0
    figures = last_json(capsys)
    assert figures["steps_per_element"] == 20 and figures["element_sync"] is True
    assert figures["nrmse"] <= 0.2


@pytest.mark.parametrize(
    "name, n_neurons, fits",
    [("mnist1d", None, True), ("psdigits", None, True), ("psdigits", [200], False)],
)
def test_task_memories_fit_loihi_cores(name, n_neurons, fits):
    """The tasks' memories on neurons, at their Loihi settings, fit a core's
    input axons; psdigits' 200 neurons per dimension (its setting elsewhere)
    would need 6402 of 4096, hence 100 on Loihi."""
    from nengo_lmu import LMUStack, backends
    from nengo_lmu.stack import with_neural_memories

    task = tasks.get(name)
    settings = task.memories.settings("loihi")
    config = with_neural_memories(
        task.config(), n_neurons or settings["n_neurons"], tuning=settings["tuning"]
    )
    stack = LMUStack.from_config(config, backend="loihi", spiking=True,
                                 add_to_container=False)
    if fits:
        backends.get("loihi").check_network(stack)
    else:
        with pytest.raises(BuildError, match="needs 6402 input axons"):
            backends.get("loihi").check_network(stack)
