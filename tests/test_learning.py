import json

import nengo
import numpy as np
import pytest
from nengo.exceptions import ValidationError

import nengo_lmu
from nengo_lmu import cli
from nengo_lmu.experiments.metrics import nrmse
from nengo_lmu.learning import (
    Delay,
    PESReadout,
    WindowEnergy,
    WindowFunction,
    WindowMax,
    WindowMean,
    WindowTarget,
)

from .conftest import requires_dl, requires_loihi


def small_memory(**kwargs):
    options = dict(
        order=4,
        theta=0.5,
        n_neurons=50,
        neuron_type=nengo.SpikingRectifiedLinear(),
        synapse=nengo.Lowpass(0.1),
        process=nengo.processes.WhiteSignal(10, high=2, rms=0.3),
        max_rates=nengo.dists.Uniform(100, 120),
        intercepts=nengo.dists.Uniform(-0.5, 0.5),
        seed=1,
    )
    options.update(kwargs)
    return nengo_lmu.LMUMemory(**options)


@pytest.mark.parametrize(
    "target, reference",
    [
        (Delay(0.0), lambda w: w[-1]),
        (Delay(0.01), lambda w: w[-11]),
        (Delay(0.05), lambda w: w[0]),
        (WindowMean(), lambda w: w.mean(axis=0)),
        (WindowEnergy(), lambda w: np.mean(w**2, axis=0)),
        (WindowMax(), lambda w: w.max(axis=0)),
        (WindowFunction(lambda w: w[::2].sum(axis=0)), lambda w: w[::2].sum(axis=0)),
    ],
)
def test_window_targets_match_their_definition(target, reference, rng, allclose):
    dt, theta, steps = 0.001, 0.05, 300
    u = rng.uniform(-1, 1, size=(steps, 2))
    process = WindowTarget(target, theta=theta, size_in=2, dt=dt)
    online = process.apply(u, dt=dt)
    # the window of step k holds steps k - 50 .. k (zeros before the start)
    padded = np.vstack([np.zeros((50, 2)), u])
    expected = np.array([reference(padded[k : k + 51]) for k in range(steps)])
    assert online.shape == (steps, 2)
    assert allclose(online, expected)


def test_named_targets():
    process = WindowTarget("energy", theta=0.1)
    assert isinstance(process.target, WindowEnergy)
    with pytest.raises(ValidationError, match="target"):
        WindowTarget("median", theta=0.1)
    with pytest.raises(ValidationError, match="target"):
        WindowTarget(3.0, theta=0.1)


@pytest.mark.parametrize(
    "kwargs, attr",
    [
        (dict(target=Delay(0.6)), "delay"),
        (dict(target=Delay(0.1), learning_rate=-1.0), "learning_rate"),
        (dict(target=Delay(0.1), learning_rate=float("nan")), "learning_rate"),
        (dict(target=Delay(0.1), learn_start=2.0, learn_stop=1.0), "learn_stop"),
        (dict(target=Delay(0.1), learn_stop=0.0), "learn_stop"),
        (dict(target=lambda w: w[-3:, 0], size_out=1), "target"),
        (dict(target=Delay(0.1), size_out=2), "target"),
        (dict(target=Delay(0.1), decoders=np.zeros((1, 3))), "decoders"),
    ],
)
def test_bad_input_names_the_parameter(kwargs, attr):
    with nengo.Network():
        memory = small_memory()
        with pytest.raises(ValidationError) as error:
            PESReadout(memory, **kwargs)
    assert error.value.attr == attr


def test_negative_delay_names_delay():
    with pytest.raises(ValidationError) as error:
        Delay(-0.1)
    assert error.value.attr == "delay"


def test_learning_rate_units_are_normalized():
    with nengo.Network():
        memory = small_memory()
        slow = PESReadout(memory, Delay(0.25), learning_rate=1.0)
        fast = PESReadout(memory, Delay(0.25), learning_rate=2.0)
        # twice the target, twice the error range: the same speed
        loud = PESReadout(
            memory, WindowFunction(lambda w: 2 * w[-1]), learning_rate=1.0
        )
        doubled_rates = PESReadout(
            small_memory(max_rates=nengo.dists.Uniform(200, 240)),
            Delay(0.25),
            learning_rate=1.0,
        )
    assert np.allclose(fast.pes_rates(), 2 * np.array(slow.pes_rates()))
    assert np.isclose(loud.error_range, 2 * slow.error_range)
    kappa = lambda r: np.array(
        [c.learning_rule_type.learning_rate for c in r.learned_connections]
    )
    assert np.allclose(kappa(loud), 2 * kappa(slow))
    # PES's step is rate * activity**2: twice the rates, a quarter of the rate
    assert np.allclose(
        np.array(doubled_rates.pes_rates()) * 4, slow.pes_rates(), rtol=0.1
    )


def run_readout(sim_time=6.0, learn_stop=4.0, stop_signal=None, **kwargs):
    with nengo.Network(seed=3) as model:
        stim = nengo.Node(
            nengo.processes.WhiteSignal(sim_time, high=2, rms=0.3, seed=4)
        )
        memory = small_memory()
        nengo.Connection(stim, memory.input, synapse=None)
        readout = PESReadout(memory, Delay(0.25), learn_stop=learn_stop, **kwargs)
        if stop_signal is not None:
            nengo.Connection(
                nengo.Node(stop_signal), readout.stop_learning, synapse=None
            )
        probes = {
            "out": nengo.Probe(readout.output, synapse=0.01),
            "ideal": nengo.Probe(readout.ideal, synapse=0.01),
            "error": nengo.Probe(readout.error, synapse=None),
        }
    with nengo.Simulator(model, progress_bar=False) as sim:
        sim.run(sim_time)
    return readout, {k: sim.data[p] for k, p in probes.items()}, sim


def test_pes_learns_a_delay_from_zero_on_nengo():
    readout, data, sim = run_readout(learning_rate=10.0)
    first, held = slice(0, 1000), slice(4000, None)
    error = lambda s: nrmse(data["out"][s], data["ideal"][s])
    assert error(first) > 0.5  # starts from zero decoders
    assert error(held) < 0.5 * error(first)  # learned in 4 s, 200 neurons
    assert error(held) < 0.3
    # learning is off after learn_stop: no error reaches PES
    assert np.all(data["error"][4001:] == 0)
    assert np.any(data["error"][:4000] != 0)


def test_stop_learning_signal_freezes_the_readout():
    _, data, _ = run_readout(sim_time=1.0, learn_stop=None, stop_signal=[1.0])
    assert np.all(data["error"] == 0)
    assert np.all(data["out"] == 0)  # zero decoders, never learned


def test_given_decoders_are_used():
    with nengo.Network():
        memory = small_memory()
        readout = PESReadout(memory, Delay(0.25), decoders=np.ones((1, 200)))
    for conn in readout.learned_connections:
        assert np.all(conn.solver.values == 1)


def test_readout_ensemble_option():
    with nengo.Network():
        memory = small_memory()
        readout = PESReadout(memory, WindowMax(), n_neurons=100)
    assert readout.ensemble.dimensions == 4
    assert readout.pre_ensembles == [readout.ensemble]
    assert len(readout.learned_connections) == 1


#: The short nengo run of the delay command: 6 s (4.8 s learning, 1.2 s held
#: out), order 4, 120 neurons, a 0.25 s delay.  Over seeds 0-4 it scores a
#: held-out NRMSE of 0.11-0.26 (0.19 with seed 0); learning nothing scores
#: 1.0, and a memory mapped for the wrong synapse 1.2.  (At 2 s, 0.4 s held
#: out, it learned nothing: 0.9-1.3.)
DELAY_RUN = [
    "delay",
    "--backend=nengo",
    "--sim-time=6",
    "--order=4",
    "--n-neurons=120",
    "--delay=0.25",
]
DELAY_BOUND = 0.35


def test_delay_command_on_nengo(capsys, tmp_path):
    plot = tmp_path / "delay.png"
    assert cli.main(DELAY_RUN + [f"--plot={plot}"]) == 0
    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["backend"] == "nengo" and figures["n_neurons"] == 120
    assert figures["heldout_nrmse"] < DELAY_BOUND
    # the memory under the readout holds its window (0.04-0.07 at this size)
    assert figures["window_nrmse"] < 0.1
    progress = [line for line in out.splitlines() if "learning o" in line]
    assert len(progress) == 10
    assert any("learning off" in line for line in progress)
    assert not any("nan" in line.lower() for line in progress)
    assert plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("dt", [0.0005, 0.002])
def test_delay_command_at_any_dt(dt, capsys):
    """``--dt``: the same learning in seconds (PES steps scale with dt).  The
    input realization differs with the step, and with it the 1.2 s held-out
    NRMSE (measured 0.09-0.37 over 3 seeds at 0.5 and 2 ms), so the bound is
    looser than at 1 ms, still far below 1.0 (learning nothing)."""
    assert cli.main(DELAY_RUN + [f"--dt={dt}"]) == 0
    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["dt"] == dt
    assert figures["heldout_nrmse"] < 0.5
    assert figures["window_nrmse"] < 0.1
    assert "nan" not in out.lower()


def test_delay_command_rejects_delay_outside_window(capsys):
    code = cli.main(["delay", "--backend=nengo", "--delay=0.8", "--theta=0.5"])
    assert code == 2
    assert "delay" in capsys.readouterr().err


@requires_loihi
def test_pes_learns_on_loihi_emulator():
    """The main job on the emulator, short (6 s, about 10 s of wall time):
    held-out NRMSE 0.16-0.20 over seeds 0-2; learning nothing scores 1.0."""
    from nengo_lmu.experiments.pes import run_learning

    result = run_learning(
        backend="loihi",
        order=4,
        delay=0.25,
        n_neurons=120,
        sim_time=6.0,
        learning_rate=10.0,
        probe_memory=False,
    )
    assert result["heldout_nrmse"] < DELAY_BOUND
    assert result["learning_nrmse"] < 0.5


@requires_dl
@pytest.mark.slow
def test_pes_learns_on_nengo_dl():
    from nengo_lmu.experiments.pes import run_learning

    result = run_learning(
        backend="dl",
        order=4,
        theta=0.25,
        delay=0.25,
        n_neurons=200,
        sim_time=6.0,
        learning_rate=10.0,
    )
    assert result["heldout_nrmse"] < 0.4
