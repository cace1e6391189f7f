"""Nothing runs silently wrong: any step, bad data, damaged files, long runs.

Every public path runs at dt 0.5, 1 and 2 ms, and each test states why its
tolerance is the discretization's own error (or, for spiking runs, the spike
noise that the same network shows at 1 ms).  Bad inputs and damaged files
raise a ValidationError that names the argument or the file.  The long runs
are the short versions of ``benchmarks/long_runs.py``.
"""

import json
import os
import warnings
import zipfile

import nengo
import numpy as np
import pytest
import scipy.signal
from nengo.exceptions import ValidationError

import nengo_lmu
from nengo_lmu import LMUStack, cli, training
from nengo_lmu.experiments import long_runs
from nengo_lmu.experiments.memory import white_noise
from nengo_lmu.experiments.metrics import nrmse, window_errors
from nengo_lmu.learning import (
    Delay,
    PESReadout,
    WindowEnergy,
    WindowMax,
    WindowMean,
    WindowTarget,
)
from nengo_lmu.stack import FILE_FORMAT, read_file
from nengo_lmu.system import legendre_readout, lmu_matrices

from .conftest import on_chip_neurons, requires_dl, requires_loihi

#: The steps every public path must run at.
STEPS = (0.0005, 0.001, 0.002)


def smooth_input(t):
    """The same input at every step: two sines (peak 0.35, slope below 2.1/s)."""
    return 0.2 * np.sin(2 * np.pi * 0.7 * t) + 0.15 * np.sin(2 * np.pi * 1.3 * t + 1)


def continuous_window(r, order, theta, t):
    """The continuous memory's readout ``u(t - r theta)`` at times ``t`` for
    `smooth_input` (scipy's ``lsim`` on a 0.05 ms grid: the reference no
    discretization at 0.5 ms or more comes close to)."""
    A, B = lmu_matrices(order, theta)
    C = legendre_readout(order, r)
    fine = np.arange(0, t[-1] + 1e-4, 5e-5)
    _, y, _ = scipy.signal.lsim(
        (A, B, C, np.zeros((len(r), 1))), smooth_input(fine), fine
    )
    y = y.reshape(len(fine), -1)
    return np.stack([np.interp(t, fine, y[:, j]) for j in range(len(r))], axis=1)


def slope(y, t):
    """The largest rate of change of each column of ``y`` (per second)."""
    return np.max(np.abs(np.diff(y, axis=0)) / np.diff(t)[:, None], axis=0)


# --- every path at dt 0.5, 1 and 2 ms ------------------------------------------


@pytest.mark.parametrize("dt", STEPS)
def test_exact_memory_at_any_dt(Simulator, dt):
    """The exact memory is the zero-order-hold memory of the input one step
    late: each step integrates the input held at the value it had at the
    step's start, a lag of half a step on average and of one step at most.
    Its readout may therefore differ from the continuous memory's by at most
    ``dt`` times the readout's largest slope."""
    r, order, theta, sim_time = [0.25, 0.5, 1.0], 6, 0.5, 2.0
    with nengo.Network(seed=0) as model:
        stim = nengo.Node(smooth_input)
        memory = nengo_lmu.LMUMemory(order, theta, neuron_type=None, dt=dt)
        nengo.Connection(stim, memory.input, synapse=None)
        probe = nengo.Probe(memory.add_window_output(r), synapse=None)
        on_chip_neurons()
    with Simulator(model, dt=dt, progress_bar=False) as sim:
        sim.run(sim_time)
    t = sim.trange()
    expected = continuous_window(r, order, theta, t)
    error = np.abs(sim.data[probe] - expected).max(axis=0)
    assert np.all(error <= dt * slope(expected, t)), error / slope(expected, t)
    # and not much better either: the step shows (a run ignoring dt would not)
    assert np.all(error > 0.1 * dt * slope(expected, t))


def spiking_and_exact_windows(Simulator, backend, dt, sim_time=4.0, seed=1):
    """Window NRMSE of the default spiking memory and of the exact memory, on
    the same input, at step ``dt``."""
    process = white_noise(sim_time, 1.0, 0.3)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(white_noise(sim_time, 1.0, 0.3, seed=seed))
        probes = {"u": nengo.Probe(stim, synapse=None)}
        for name, neuron_type in (
            ("spiking", nengo.SpikingRectifiedLinear()),
            ("exact", None),
        ):
            memory = nengo_lmu.LMUMemory(
                4,
                0.5,
                neuron_type=neuron_type,
                process=process,
                backend=backend,
                dt=dt,
                seed=seed,
            )
            nengo.Connection(stim, memory.input, synapse=None)
            window = memory.add_window_output([0.25, 0.5, 0.75, 1.0])
            probes[name] = nengo.Probe(window, synapse=None)
    with Simulator(model, dt=dt, progress_bar=False) as sim:
        sim.run(sim_time)
    u = sim.data[probes["u"]]
    return {
        name: float(np.mean(window_errors(u, sim.data[probes[name]], 0.5, dt)))
        for name in ("spiking", "exact")
    }


#: What 100 spiking neurons per dimension add to the exact memory's window
#: NRMSE (measured at 1 ms: 0.008 on nengo and NengoDL, 0.05 on the emulator),
#: doubled.  The exact memory at the same step carries the discretization's
#: own error, so a spiking memory within this margin of it at every step has
#: lost nothing to the step.
SPIKING_MARGIN = {"nengo": 0.02, "dl": 0.02, "loihi": 0.1}


@pytest.mark.parametrize("dt", STEPS)
def test_spiking_memory_at_any_dt(Simulator, backend, dt):
    errors = spiking_and_exact_windows(Simulator, backend, dt)
    # the exact memory: the ideal's truncation (order 4) and the step only
    assert errors["exact"] < 0.02
    bound = errors["exact"] + SPIKING_MARGIN[backend.name]
    if backend.name == "loihi" and dt < 0.001 and errors["spiking"] >= bound:
        pytest.xfail(
            "the emulator holds the window 2-3x worse at dt 0.5 ms than at 1 ms "
            f"(window NRMSE {errors['spiking']:.3f} here; 0.065 at 1 ms; the "
            "same with synapses of 0.1 to 0.5 s): see the report of issue 17"
        )
    assert errors["spiking"] < bound


@pytest.mark.parametrize("dt", STEPS)
def test_network_at_any_dt(Simulator, backend, dt):
    """A rate LMUNetwork (exact digital memory, input to hidden, readout) is
    the zero-order-hold discretization of one continuous system: at two steps
    its outputs differ by the hold's lag, at most half of each step, so by
    at most ``(dt + 0.5 ms) / 2`` times the output's largest slope (checked
    against twice that)."""
    if backend.unsupported(nengo.RectifiedLinear()) is not None:
        pytest.skip(f"rate neurons do not run on {backend.name}")

    def run(step):
        with nengo.Network(seed=0) as model:
            stim = nengo.Node(smooth_input)
            lmu = nengo_lmu.LMUNetwork(
                input_d=1,
                memory_d=1,
                order=4,
                theta=0.2,
                hidden_units=20,
                output_d=2,
                input_to_hidden=True,
                dt=step,
                backend=backend,
                seed=3,
            )
            nengo.Connection(stim, lmu.input, synapse=None)
            probe = nengo.Probe(lmu.output, synapse=None)
        with Simulator(model, dt=step, progress_bar=False) as sim:
            sim.run(1.0)
        return sim.trange(), sim.data[probe]

    t_ref, reference = run(STEPS[0])
    t, out = run(dt)
    expected = np.stack(
        [np.interp(t, t_ref, reference[:, j]) for j in range(reference.shape[1])],
        axis=1,
    )
    assert np.abs(expected).max() > 0.1  # the network does compute something
    error = np.abs(out - expected).max(axis=0)
    assert np.all(error <= (dt + STEPS[0]) * slope(reference, t_ref) + 1e-9)


def tiny_stack(**options):
    """One layer: order 3 over 4 elements, 6 hidden units, 3 outputs."""
    layer = dict(
        memory_d=1, order=3, theta=4, hidden_units=6, output_d=3, input_to_hidden=True
    )
    return LMUStack(
        input_d=1, seq_len=6, pooling="mean", seed=0, layers=[layer], **options
    )


def tiny_data(rng, n=20):
    x = rng.uniform(-1, 1, size=(n, 6, 1)).astype(np.float32)
    y = (x[:, :3, 0].sum(axis=1) > 0).astype(np.int64) + (x[:, -1, 0] > 0.5)
    return {"x": x, "y": y, "x_test": x, "y_test": y}


BACKENDS = [
    "nengo",
    pytest.param("dl", marks=requires_dl),
    pytest.param("loihi", marks=requires_loihi),
]
RATE_BACKENDS = BACKENDS[:2]


@pytest.mark.parametrize("steps_per_element", [1, 3])
@pytest.mark.parametrize("name", RATE_BACKENDS)
def test_stack_rate_predict_at_any_dt(name, steps_per_element, rng):
    """Windows are given in elements: at any step an element's memory update
    is the same zero-order-hold matrix (``expm(A / theta_elements)``), exact
    for held elements, so the outputs agree to float32 rounding."""
    x = rng.uniform(-1, 1, size=(4, 6, 1))
    outputs = {
        dt: tiny_stack(
            dt=dt, backend=name, steps_per_element=steps_per_element
        ).predict(x)
        for dt in STEPS
    }
    assert np.abs(outputs[0.001]).max() > 0.1
    for dt in STEPS:
        assert np.allclose(outputs[dt], outputs[0.001], atol=1e-5), dt


@pytest.mark.parametrize("dt", STEPS)
@pytest.mark.parametrize("name", BACKENDS)
def test_stack_spiking_predict_at_any_dt(name, dt):
    """A spiking rectified-linear neuron fires ``floor`` of its integrated
    rate: over a sequence of ``D`` seconds its mean output is its rate's to
    within one spike, ``1 / (rate_scale D)`` in activation units, so the mean
    output is the rate network's to within ``sum |W_o| / (rate_scale D)``: the
    spike count's own discretization, 4x larger at 0.5 ms than at 2 ms.  On
    Loihi, quantized rates (up to a sixth low at 2 ms), 8-bit weights and
    spike-encoded inputs add up to 0.1 more.  A network that output zeros
    would miss by 0.63."""
    x = np.random.RandomState(0).uniform(-1, 1, size=(3, 6, 1))
    options = dict(rate_scale=200.0, steps_per_element=40, dt=dt)
    rate = tiny_stack(**options)
    spiking = tiny_stack(**options, spiking=True, backend=name)
    spiking.set_parameters(rate.get_parameters())
    expected = rate.predict(x).mean(axis=1)
    out = spiking.predict(x).mean(axis=1)
    duration = 6 * 40 * dt
    w_o = rate.get_parameters()["layer0/W_o"]
    bound = np.abs(w_o).sum(axis=1) / (200.0 * duration)
    if name == "loihi":
        bound = bound + 0.1
    assert np.abs(expected).max() > 0.5
    assert np.all(np.abs(out - expected) <= bound), (np.abs(out - expected), bound)


def test_predict_modes_at_any_dt(rng):
    """`training.predict` runs every mode at the stack's own step (it ran
    1 ms whatever the model was built for)."""
    x = rng.uniform(-1, 1, size=(2, 6, 1))
    reference = tiny_stack().predict(x)
    for dt in STEPS:
        stack = tiny_stack(dt=dt)
        assert np.allclose(
            training.predict(stack, x, "nengo-rate"), reference, atol=1e-6
        )
        spiking = training.predict(
            tiny_stack(dt=dt, steps_per_element=10, rate_scale=200.0), x, "nengo"
        )
        assert spiking.shape == (2, 60, 3)


@requires_dl
def test_fit_at_any_dt(rng):
    """Training at another step trains the same network (windows in
    elements): the same losses and parameters, to float32 rounding."""
    data = tiny_data(rng)
    trained = {}
    for dt in STEPS:
        stack = tiny_stack(dt=dt, backend="dl")
        result = training.fit(stack, data, epochs=2, batch_size=10, verbose=0)
        trained[dt] = (result["history"]["loss"], stack.get_parameters())
    losses, params = trained[0.001]
    fresh = tiny_stack().get_parameters()
    assert not np.allclose(params["layer0/W_o"], fresh["layer0/W_o"])  # it trained
    for dt in STEPS:
        assert np.allclose(trained[dt][0], losses, rtol=1e-4), dt
        for name, value in trained[dt][1].items():
            assert np.allclose(value, params[name], atol=1e-4), (dt, name)


@pytest.mark.parametrize(
    "mode", ["nengo-rate", pytest.param("dl-rate", marks=requires_dl)]
)
def test_evaluate_at_any_dt(mode, rng, tmp_path):
    """A saved stack evaluated at another step (``dt=``): the same windows in
    elements, so the same score."""
    path = str(tmp_path / "tiny.npz")
    stack = tiny_stack()
    stack.set_parameters(
        {k: rng.uniform(-1, 1, v.shape) for k, v in stack.get_parameters().items()}
    )
    stack.save(path)
    data = tiny_data(rng, n=30)
    scores = {
        dt: training.evaluate(path, data, mode, dt=dt, batch_size=10) for dt in STEPS
    }
    assert 0 < scores[0.001]["accuracy"] < 1
    for dt in STEPS:
        assert scores[dt]["accuracy"] == scores[0.001]["accuracy"]
        assert scores[dt]["dt"] == dt


def rich_input(t):
    """Five sines up to 2 Hz (rms 0.19): the same input at every step."""
    freqs = (0.3, 0.7, 1.1, 1.6, 2.0)
    return sum(0.12 * np.sin(2 * np.pi * f * t + k) for k, f in enumerate(freqs))


@pytest.mark.parametrize(
    "target, continuous, tolerance",
    [
        # a delay that is a whole number of steps reads the sample exactly
        (Delay(0.1), lambda w: w[0], lambda dt, u, du: 1e-12),
        # the mean of the window's n + 1 samples against the integral: the
        # two end samples weigh 1/(n+1) instead of 1/(2n), at most
        # 2 dt / theta times the peak
        (WindowMean(), lambda w: w.mean(axis=0), lambda dt, u, du: 2 * dt / 0.1 * u),
        (
            WindowEnergy(),
            lambda w: np.mean(w**2, axis=0),
            lambda dt, u, du: 2 * dt / 0.1 * u**2,
        ),
        # the largest sample lies within half a step of the true maximum
        (WindowMax(), lambda w: w.max(axis=0), lambda dt, u, du: dt / 2 * du),
    ],
    ids=["delay", "mean", "energy", "max"],
)
@pytest.mark.parametrize("dt", STEPS)
def test_window_functions_at_any_dt(dt, target, continuous, tolerance):
    """Each target at step ``dt`` against its definition on the continuous
    input (a 0.01 ms grid), within the sampling's own error."""
    theta, sim_time, fine_dt = 0.1, 0.5, 1e-5
    t = dt * np.arange(int(round(sim_time / dt)))
    online = WindowTarget(target, theta=theta, dt=dt).apply(
        smooth_input(t)[:, None], dt=dt
    )
    full = t >= theta
    per_window = int(round(theta / fine_dt))
    fine = smooth_input(np.arange(0, sim_time + fine_dt, fine_dt))
    expected = np.array(
        [
            continuous(fine[k - per_window : k + 1, None])[0]
            for k in np.round(t[full] / fine_dt).astype(int)
        ]
    )
    error = np.abs(online[full, 0] - expected)
    assert error.max() <= tolerance(dt, 0.35, 2.1) + 1e-5


def learn_a_delay(dt, sim_time=10.0, learn_stop=8.0):
    """Held-out NRMSE of a PES readout of a 0.25 s delay of `rich_input`."""
    with nengo.Network(seed=3) as model:
        stim = nengo.Node(rich_input)
        memory = nengo_lmu.LMUMemory(
            order=4,
            theta=0.5,
            n_neurons=50,
            process=nengo.processes.WhiteSignal(10, high=2, rms=0.3),
            dt=dt,
            seed=1,
        )
        nengo.Connection(stim, memory.input, synapse=None)
        readout = PESReadout(
            memory, Delay(0.25), learning_rate=10.0, learn_stop=learn_stop
        )
        out = nengo.Probe(readout.output, synapse=0.01)
        ideal = nengo.Probe(readout.ideal, synapse=0.01)
    with nengo.Simulator(model, dt=dt, progress_bar=False) as sim:
        sim.run(sim_time)
    held = slice(int(round(learn_stop / dt)), None)
    first = slice(0, int(round(1.0 / dt)))
    return (
        float(nrmse(sim.data[out][held], sim.data[ideal][held])),
        float(nrmse(sim.data[out][first], sim.data[ideal][first])),
    )


def test_pes_readout_at_any_dt():
    """PES's step is ``learning_rate * dt`` times the error: in seconds, the
    same learning at every step.  What differs is when the spikes fall
    (measured 0.32-0.36 held out over 5 runs at the three steps; the first
    second, before learning, 0.87)."""
    errors = {dt: learn_a_delay(dt) for dt in STEPS}
    for dt, (held_out, first) in errors.items():
        assert first > 0.7  # learned from zero decoders
        assert held_out < 0.45, dt
        assert abs(held_out - errors[0.001][0]) < 0.1, dt


def test_delay_must_be_whole_steps():
    with pytest.raises(ValidationError, match="not a whole number of steps"):
        Delay(0.001)(np.zeros((5, 1)), dt=0.002)
    with pytest.raises(ValidationError, match="delay 0.0015 s is 1.5 steps"):
        WindowTarget(Delay(0.0015), theta=0.01, dt=0.001)
    assert Delay(0.004)(np.arange(10.0)[:, None], dt=0.002) == 7.0


def command_figures(capsys, argv):
    """Run ``nengo-lmu argv``; its exit code must be 0; its JSON line."""
    assert cli.main(argv) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.parametrize("dt", STEPS)
def test_memory_command_at_any_dt(dt, capsys):
    """``nengo-lmu memory --dt``: the spiking memory within a neural margin
    of the exact memory at the same step (which carries the discretization's
    own error; see `test_spiking_memory_at_any_dt`).  The margin is what
    the 600 spiking neurons add to the exact memory at 1 ms in this
    configuration (0.017: order 6, a 2 Hz input over theta 0.5 s), doubled."""
    args = [
        "memory",
        "--sim-time",
        "3",
        "--theta",
        "0.5",
        "--freq",
        "2",
        "--dt",
        str(dt),
    ]
    exact = command_figures(capsys, args + ["--neuron-type", "none"])
    spiking = command_figures(capsys, args)
    assert exact["window_nrmse"] < 0.05
    assert spiking["window_nrmse"] < exact["window_nrmse"] + 0.035
    assert spiking["n_neurons"] == 600


# --- bad data and bad arguments -------------------------------------------------


def with_nan(shape, index):
    x = np.zeros(shape)
    x[index] = np.nan
    return x


@pytest.mark.parametrize(
    "data, attr, message",
    [
        ({"x": with_nan((20, 6, 1), (3, 4, 0))}, "x", "sequence 3, element 4"),
        ({"x": np.zeros((20, 5, 1))}, "x", "5 elements but the model was built for 6"),
        ({"y": np.arange(20) % 4}, "y", r"integer in \[0, 3\)"),
        ({"y": np.zeros(19, dtype=int)}, "y", "19 targets for 20 input sequences"),
        ({"y": with_nan((20, 6, 3), (2, 1, 0))}, "y", "sequence 2, element 1"),
        ({"y": np.zeros((20, 6, 2))}, "y", r"shape \(20, 6, 3\)"),
        ({"x_test": np.full((20, 6, 1), np.inf)}, "x_test", "20 NaN or infinite"),
        ({"y_test": np.zeros(20)}, "y_test", r"shape \(20, 6, 3\)"),
        ({"y": None}, "data", r"needs the arrays \['y'\]"),
    ],
)
def test_fit_refuses_bad_data_before_training(data, attr, message, rng):
    """Checked before TensorFlow starts (no NengoDL needed to see it)."""
    full = tiny_data(rng)
    full.update(data)
    full = {k: v for k, v in full.items() if v is not None}
    with pytest.raises(ValidationError, match=message) as error:
        training.fit(tiny_stack(), full, batch_size=10, validation=True, verbose=0)
    assert error.value.attr == attr


@pytest.mark.parametrize(
    "data, attr, message",
    [
        (
            {"x_test": with_nan((20, 6, 1), (1, 2, 0))},
            "x_test",
            "sequence 1, element 2",
        ),
        ({"x_test": np.zeros((20, 6, 2))}, "x_test", "input_d=1"),
        ({"y_test": np.arange(20) + 5}, "y_test", r"integer in \[0, 3\)"),
        ({"x_test": None}, "data", "x_test"),
    ],
)
def test_evaluate_refuses_bad_data(data, attr, message, rng, tmp_path):
    path = str(tmp_path / "tiny.npz")
    tiny_stack().save(path)
    full = tiny_data(rng)
    full.update(data)
    full = {k: v for k, v in full.items() if v is not None}
    with pytest.raises(ValidationError, match=message) as error:
        training.evaluate(path, full, "nengo-rate")
    assert error.value.attr == attr


@pytest.mark.parametrize(
    "kwargs, attr",
    [
        ({"learning_rate": float("inf")}, "learning_rate"),
        ({"learn_start": float("nan")}, "learn_start"),
        ({"learn_stop": float("inf")}, "learn_stop"),
        ({"synapse": float("nan")}, "synapse"),
        ({"pre_synapse": float("inf")}, "pre_synapse"),
        ({"error_range": float("nan")}, "error_range"),
        ({"error_range": np.array(np.nan)}, "error_range"),
    ],
)
def test_pes_readout_refuses_non_finite_numbers(kwargs, attr):
    with nengo.Network():
        memory = nengo_lmu.LMUMemory(4, 0.5, n_neurons=10, seed=0)
        with pytest.raises(ValidationError, match="finite") as error:
            PESReadout(memory, Delay(0.1), **kwargs)
    assert error.value.attr == attr


@pytest.mark.parametrize(
    "kwargs, attr",
    [
        ({"max_rates": np.array([np.nan, 120, 120, 120])}, "max_rates"),
        ({"intercepts": np.array([0, np.inf, 0, 0])}, "intercepts"),
        ({"max_rates": nengo.dists.Uniform(np.nan, 120)}, "max_rates"),
        ({"headroom": float("nan")}, "headroom"),
        ({"theta": float("nan")}, "theta"),
        ({"theta": float("inf")}, "theta"),
        ({"order": float("nan")}, "order"),
        ({"dt": float("inf")}, "dt"),
        ({"synapse": float("nan")}, "synapse"),
    ],
)
def test_memory_refuses_non_finite_arguments(kwargs, attr):
    args = dict({"order": 2, "theta": 1.0, "n_neurons": 4}, **kwargs)
    with pytest.raises(ValidationError) as error:
        nengo_lmu.LMUMemory(**args)
    assert error.value.attr == attr


@pytest.mark.parametrize(
    "kwargs, attr",
    [
        ({"theta": float("nan")}, "theta"),
        ({"rate_scale": float("nan")}, "rate_scale"),
        ({"host_scale": float("inf")}, "host_scale"),
        ({"memory_synapse": float("nan")}, "memory_synapse"),
        ({"dt": float("nan")}, "dt"),
    ],
)
def test_network_refuses_non_finite_arguments(kwargs, attr):
    args = {**dict(input_d=1, memory_d=1, order=2, theta=0.1, hidden_units=4), **kwargs}
    with pytest.raises(ValidationError) as error:
        nengo_lmu.LMUNetwork(**args)
    assert error.value.attr == attr


@pytest.mark.parametrize(
    "layer, options",
    [
        ({"theta": float("nan")}, {}),
        ({}, {"rate_scale": float("nan")}),
        ({}, {"dt": float("nan")}),
    ],
)
def test_stack_refuses_non_finite_config(layer, options):
    config = {**dict(memory_d=1, order=3, theta=4, hidden_units=6, output_d=3), **layer}
    with pytest.raises(ValidationError):
        LMUStack(input_d=1, seq_len=6, layers=[config], **options)


def test_non_finite_parameters_are_refused_by_name():
    stack = tiny_stack()
    params = stack.get_parameters()
    params["layer0/W_m"] = np.full_like(params["layer0/W_m"], np.inf)
    with pytest.raises(ValidationError, match="W_m holds NaN or infinite"):
        stack.set_parameters(params)


# --- damaged, foreign, old and new files ----------------------------------------


def saved_stack(tmp_path, name="good.npz", made_by="nengo-lmu train tiny --seed 0"):
    path = str(tmp_path / name)
    tiny_stack().save(path, made_by=made_by)
    return path


def rewrite(path, drop=(), **replace):
    """Rewrite the .npz at ``path`` without the arrays ``drop``, with
    ``replace``'s."""
    with np.load(path) as f:
        contents = {k: f[k] for k in f.files if k not in drop}
    contents.update({k: np.array(v) for k, v in replace.items()})
    with open(path, "wb") as f:
        np.savez(f, **contents)
    return path


def truncated(tmp_path):
    path = saved_stack(tmp_path)
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    return path


def foreign(tmp_path):
    path = str(tmp_path / "weights.npz")
    np.savez(path, W=np.zeros((3, 3)))
    return path


def text(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("not an archive")
    return str(path)


def damaged_config(tmp_path):
    return rewrite(saved_stack(tmp_path), config="{'layers': [")


@pytest.mark.parametrize(
    "make, message",
    [
        (truncated, "is damaged or is not an .npz parameter file.*re-make it"),
        (
            foreign,
            r"is not a nengo-lmu parameter file: it holds \['W'\] but no 'config'",
        ),
        (text, "is damaged or is not an .npz parameter file"),
        (damaged_config, "config is damaged"),
        (lambda tmp_path: str(tmp_path / "missing.npz"), "no parameter file at"),
    ],
    ids=["truncated", "foreign", "text", "damaged-config", "missing"],
)
def test_bad_files_name_the_file(make, message, tmp_path, rng):
    """Every way to open a parameter file says which file and what is wrong:
    reading it, loading it as a stack, loading its parameters, evaluating it."""
    path = make(tmp_path)
    name = os.path.basename(path)
    for load in (
        read_file,
        LMUStack.load,
        tiny_stack().load_parameters,
        lambda p: training.evaluate(p, tiny_data(rng), "nengo-rate"),
    ):
        with pytest.raises(ValidationError, match=message) as error:
            load(path)
        assert name in str(error.value) and error.value.attr == "path"


def test_too_new_file_names_its_version(tmp_path):
    path = rewrite(
        saved_stack(tmp_path), format=str(FILE_FORMAT + 1), nengo_lmu_version="9.1"
    )
    with pytest.raises(
        ValidationError,
        match=rf"good.npz was written by nengo-lmu 9.1 in file format {FILE_FORMAT + 1}"
        ".*upgrade nengo-lmu",
    ):
        LMUStack.load(path)


def test_file_from_before_the_format_number_loads(tmp_path, rng):
    """Files written before nengo-lmu kept a format number (the committed task
    parameters among them) load as format 1, with their parameters."""
    stack = tiny_stack()
    params = {k: rng.uniform(-1, 1, v.shape) for k, v in stack.get_parameters().items()}
    stack.set_parameters(params)
    path = str(tmp_path / "old.npz")
    stack.save(path)
    rewrite(path, drop=("format", "nengo_lmu_version", "made_by"))
    saved = read_file(path)
    assert (saved.format, saved.version, saved.made_by) == (1, "before 0.2", "")
    loaded = LMUStack.load(path)
    for name, value in params.items():
        assert np.allclose(loaded.get_parameters()[name], value, atol=1e-6)


@pytest.mark.parametrize(
    "name",
    ["mnist1d", "mnist1d_loihi", "psdigits", "mackey_glass", "mackey_glass_spiking"],
)
def test_committed_parameter_files_load(name):
    path = os.path.join(os.path.dirname(nengo_lmu.__file__), "tasks", "params")
    saved = read_file(os.path.join(path, f"{name}.npz"))
    assert saved.format in (1, FILE_FORMAT)
    stack = LMUStack.load(os.path.join(path, f"{name}.npz"), dt=0.002)
    assert stack.dt == 0.002  # its windows, in elements, are unchanged
    assert stack.layers[0].memory.theta == pytest.approx(
        saved.config["layers"][0]["theta"] * 0.002
    )


def test_file_from_a_newer_version_names_the_keys_it_does_not_know(tmp_path):
    path = saved_stack(tmp_path)
    config = read_file(path).config
    rewrite(path, config=json.dumps(dict(config, attention_heads=4)))
    with pytest.raises(
        ValidationError,
        match=r"good.npz: .*config keys \['attention_heads'\] are not LMUStack "
        "arguments.*re-make it with: nengo-lmu train tiny",
    ):
        LMUStack.load(path)


def test_differently_shaped_file_names_the_command_that_remakes_it(tmp_path):
    path = saved_stack(tmp_path)
    other = tiny_stack()
    config = other.get_config()
    config["layers"][0]["hidden_units"] = 7
    with pytest.raises(
        ValidationError,
        match="layer 0 hidden_units is 6 in the file but 7 here.*"
        "re-make it with: nengo-lmu train tiny --seed 0",
    ):
        LMUStack.from_config(config).load_parameters(path)


def interrupt_writing(monkeypatch):
    """Make `numpy.savez_compressed` write part of the archive, then fail
    (a full disk, a killed process)."""

    def broken(file, **arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez_compressed", broken)


def test_interrupted_save_leaves_the_existing_file_intact(tmp_path, monkeypatch, rng):
    path = saved_stack(tmp_path)
    before = open(path, "rb").read()
    stack = tiny_stack()
    stack.set_parameters(
        {k: rng.uniform(-1, 1, v.shape) for k, v in stack.get_parameters().items()}
    )
    interrupt_writing(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        stack.save(path)
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert LMUStack.load(path).get_config() == tiny_stack().get_config()
    assert os.listdir(tmp_path) == ["good.npz"]  # no temporary file left behind
    # nor when the rename itself is what fails

    def failed_rename(*args):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", failed_rename)
    with pytest.raises(OSError, match="rename"):
        stack.save(path)
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["good.npz"]


def test_interrupted_first_save_leaves_no_file(tmp_path, monkeypatch):
    interrupt_writing(monkeypatch)
    with pytest.raises(OSError):
        tiny_stack().save(str(tmp_path / "new.npz"))
    assert os.listdir(tmp_path) == []


def test_saved_file_is_a_complete_archive(tmp_path):
    path = saved_stack(tmp_path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert {"config.npy", "format.npy", "made_by.npy"} <= set(archive.namelist())


# --- long runs (short versions of benchmarks/long_runs.py) ------------------------


def test_spiking_memory_stays_bounded_over_a_long_run():
    """60 s of the DESIGN memory in 20 s spans (the benchmark runs 1000 s:
    window NRMSE 0.021-0.025 in every 100 s span, largest state 1.04x the
    ideal's).  Bounded: the largest decoded state within 1.5x the ideal
    memory's in every span; not growing: the last span's window NRMSE within
    1.5x the first's, and every span's below 0.04 (twice the 1 ms figure)."""
    result = long_runs.spiking_stability(sim_time=60.0, span=20.0)
    assert len(result["rows"]) == 3
    for row in result["rows"]:
        assert row["window_nrmse"] < 0.04
        assert row["state_nrmse"] < 0.04
        assert 0.8 < row["max_state_ratio"] < 1.5
    assert result["growth"] < 1.5


def test_exact_memory_of_order_256_holds_100000_steps():
    """The paper's capacity claim, short: order 256 over a window of 100,000
    steps, 20,000 steps run (the benchmark runs 200,000).  The simulated
    memory matches scipy's independent reference to rounding (1e-9 of its
    range; measured 1e-12), and reads the input back T steps ago as well as
    order 256 can hold it (NRMSE below 0.01; measured 0.0008-0.0024)."""
    result = long_runs.capacity(n_steps=20_000, delays=(100, 1000, 10_000))
    for row in result["rows"]:
        assert row["deviation"] < 1e-9, row
        assert row["window_nrmse"] < 0.01, row
        assert row["window_nrmse"] == pytest.approx(row["ideal_nrmse"], rel=1e-6)
    assert result["data"]["window"].shape == (20_000, 3)


# --- runs that print figures ------------------------------------------------------


def test_nrmse_of_a_silent_target_is_nan_and_prints_as_null(capsys):
    """Nothing to be relative to: NaN without a RuntimeWarning, and the JSON
    line says null (JSON has no NaN)."""
    from nengo_lmu.experiments import report

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(nrmse(np.ones(5), np.zeros(5)))
        report.print_json({"heldout_nrmse": nrmse(np.ones(5), np.zeros(5))})
    assert json.loads(capsys.readouterr().out) == {"heldout_nrmse": None}


def test_progress_before_the_target_exists_says_so():
    from nengo_lmu.experiments.pes import format_progress

    line = format_progress(0.1, 6.0, True, float("nan"), 0.5)
    assert "no target yet" in line and "nan" not in line.lower()
    assert "NRMSE of the last stretch 0.250" in format_progress(1, 6, True, 0.25, 1)
