"""The ready-made task networks, their committed parameters and the
``train``/``evaluate`` commands."""

import json

import numpy as np
import pytest

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


def test_cli_parses_train_and_evaluate():
    parser = cli.build_parser()
    args = parser.parse_args(["evaluate", "mnist1d", "--backend", "loihi", "--n", "5"])
    assert (args.task, args.backend, args.n) == ("mnist1d", "loihi", 5)
    with pytest.raises(SystemExit):
        parser.parse_args(["evaluate", "mnist1d", "--backend", "gpu"])
    args = parser.parse_args(["train", "psdigits", "--epochs", "2", "--loihi-aware"])
    assert (args.task, args.epochs, args.train_through) == ("psdigits", 2, "loihi")


def test_tasks_deploy_with_their_steps_per_element(monkeypatch):
    """mnist1d holds each element for 20 steps on Loihi unless told otherwise."""
    calls = []
    monkeypatch.setattr(
        training, "evaluate", lambda *args, **kwargs: calls.append(kwargs) or {}
    )
    task = tasks.get("mnist1d")
    data = {"x_test": np.zeros((1, 40, 1)), "y_test": np.zeros(1, dtype=int)}
    monkeypatch.setattr(task, "load_data", lambda: data)
    task_runs.evaluate_task(task, "loihi")
    task_runs.evaluate_task(task, "nengo")
    task_runs.evaluate_task(task, "loihi", steps_per_element=5)
    task_runs.evaluate_task(task, "dl-rate")
    assert [c["steps_per_element"] for c in calls] == [20, None, 5, None]
    assert calls[0]["host_scale"] == task.deploy["host_scale"]
    assert "rate_scale" not in calls[3]  # rates: the trained network as it is


@requires_dl
@pytest.mark.slow
def test_committed_mnist1d_params_on_dl_rate(capsys):
    """The committed parameters, evaluated through the CLI (all 1000 tests)."""
    assert cli.main(["evaluate", "mnist1d", "--backend", "dl-rate"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["task"] == "mnist1d" and figures["n"] == 1000
    assert figures["accuracy"] >= 0.92


@requires_dl
def test_committed_loihi_aware_params(capsys):
    """The Loihi backend's parameters keep the rate network's accuracy."""
    path = tasks.get("mnist1d").params_path("loihi")
    assert (
        cli.main(["evaluate", "mnist1d", "--backend", "dl-rate", "--params", path]) == 0
    )
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["accuracy"] >= 0.92


@requires_dl
@pytest.mark.parametrize(
    "task, metric, bound",
    [("psdigits", "accuracy", 0.89), ("mackey_glass", "nrmse", 0.08)],
)
def test_committed_task_params_on_dl_rate(task, metric, bound, capsys):
    """The committed psdigits (89.5 %) and Mackey-Glass (0.074) parameters."""
    assert cli.main(["evaluate", task, "--backend", "dl-rate"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["task"] == task
    if metric == "accuracy":
        assert figures["accuracy"] >= bound
    else:
        assert figures["nrmse"] <= bound


def test_spiking_evaluation_beats_chance_on_nengo(capsys):
    """The committed MNIST-1D network, spiking on nengo.Simulator, on 30 test
    sequences: chance is 10 %; the full set scores 91.7 %."""
    pytest.importorskip("mnist1d")
    assert cli.main(["evaluate", "mnist1d", "--backend", "nengo", "--n", "30"]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["steps_per_element"] == 10
    assert figures["accuracy"] >= 0.75
