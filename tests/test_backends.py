"""The same LMUMemory object on nengo, NengoDL and the nengo-loihi emulator."""

import json

import nengo
import numpy as np
import pytest

import nengo_lmu
from nengo_lmu import cli
from nengo_lmu.evaluation import white_noise, window_errors

from .conftest import requires_dl, requires_loihi


@pytest.fixture(scope="module")
def shared_model():
    with nengo.Network(seed=0) as model:
        stim = nengo.Node(white_noise(3.0, 2.0, 0.3, seed=1))
        memory = nengo_lmu.LMUMemory(6, 0.5, process=white_noise(3.0, 2.0, 0.3))
        nengo.Connection(stim, memory.input, synapse=None)
        window = memory.add_window_output(0.5)
        probes = (nengo.Probe(stim, synapse=None), nengo.Probe(window, synapse=None))
    return model, probes


def window_error_on(backend, shared_model):
    model, (probe_u, probe_window) = shared_model
    with nengo_lmu.Simulator(model, backend=backend, progress_bar=False) as sim:
        sim.run(3.0)
    errors = window_errors(sim.data[probe_u], sim.data[probe_window], 0.5, sim.dt, [0.5])
    return errors[0]


# Tolerances: the public nengo-loihi example holds its window to NRMSE 0.074
# (nengo) and 0.27 (emulator) on DESIGN.md's configuration; this shorter run
# (1 s scored) of the same memory must do at least as well.  We measure 0.023
# on nengo and NengoDL and 0.087 on the emulator.


def test_window_on_nengo(shared_model):
    assert window_error_on("nengo", shared_model) < 0.05


@requires_dl
def test_window_on_dl_matches_nengo(shared_model):
    dl = window_error_on("dl", shared_model)
    assert dl < 0.05
    # same spikes up to float32 rounding
    assert abs(dl - window_error_on("nengo", shared_model)) < 0.002


@requires_loihi
def test_window_on_loihi(shared_model):
    assert window_error_on("loihi", shared_model) < 0.15


def test_long_run_does_not_drift():
    # 30 s of input: the window error over the last 8 s must be no worse than
    # over the first 8 s scored (a drifting or growing state would be)
    with nengo.Network(seed=3) as model:
        stim = nengo.Node(white_noise(30.0, 1.0, 0.3, seed=2))
        memory = nengo_lmu.LMUMemory(6, 1.0)
        nengo.Connection(stim, memory.input, synapse=None)
        probe_u = nengo.Probe(stim, synapse=None)
        probe_window = nengo.Probe(memory.add_window_output([0.5, 1.0]), synapse=None)
        probe_state = nengo.Probe(memory.state, synapse=0.1)
    with nengo.Simulator(model, progress_bar=False) as sim:
        sim.run(30.0)
    u, window = sim.data[probe_u], sim.data[probe_window]
    early = window_errors(u[:10000], window[:10000], 1.0, sim.dt, [0.5, 1.0])
    late = window_errors(u[-10000:], window[-10000:], 1.0, sim.dt, [0.5, 1.0])
    assert np.all(late < 0.05)
    assert np.all(late < 1.5 * early)
    # and the state never leaves twice its ensembles' radius
    assert np.all(np.abs(sim.data[probe_state]) < 2 * memory.scale.ravel())


def test_memory_command(capsys):
    cli.main(["memory", "--sim-time", "3", "--theta", "0.5", "--freq", "2"])
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["backend"] == "nengo"
    assert figures["n_neurons"] == 600
    assert 0 < figures["window_nrmse"] < 0.1
    assert 0 < figures["mean_rate_hz"] < 40
    assert set(figures) >= {"state_nrmse", "wall_s", "window_nrmse_by_r"}


def test_memory_command_plot(tmp_path, capsys):
    png = tmp_path / "window.png"
    cli.main(["memory", "--sim-time", "2", "--theta", "0.5", "--plot", str(png)])
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["wall_s"] > 0
