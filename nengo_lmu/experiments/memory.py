"""Drive a memory with white noise and measure how well it holds its window.

`run_memory` is the one run; `grid`, `sweep` and `stability` are the
benchmark's collections of runs (`benchmarks/memory_accuracy.py` and the
``nengo-lmu memory`` command call them).
"""

import itertools
import time

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_lmu import backends
from nengo_lmu.experiments.metrics import (
    EVAL_SYNAPSE,
    WINDOW_R,
    state_error,
    window_errors,
)
from nengo_lmu.memory import LMUMemory
from nengo_lmu.system import ideal_memory

#: DESIGN.md's configuration: order 6, theta 1 s, 1 Hz white noise rms 0.3, 10 s.
DESIGN_CONFIG = {"order": 6, "theta": 1.0, "freq": 1.0, "rms": 0.3, "sim_time": 10.0}


def memory_neuron_types():
    """The memory neuron types by the names the command line and the
    benchmarks use (nengo-loihi's are made when asked for)."""
    return {
        "spikingrelu": nengo.SpikingRectifiedLinear,
        "lif": nengo.LIF,
        "poissonlif": lambda: nengo.PoissonSpiking(nengo.LIFRate()),
        "regularlif": lambda: nengo.RegularSpiking(nengo.LIFRate()),
        "lifrate": nengo.LIFRate,
        "relu": nengo.RectifiedLinear,
        "loihilif": lambda: backends.get("loihi").import_module().neurons.LoihiLIF(),
        "loihirelu": lambda: (
            backends.get("loihi").import_module().neurons.LoihiSpikingRectifiedLinear()
        ),
        "none": lambda: None,
    }


def neuron_type(name):
    """The memory neuron type called ``name`` (see `memory_neuron_types`)."""
    return memory_neuron_types()[name]()


def check_measurable(sim_time, theta):
    """The window errors compare the memory with its input after the first
    ``2 * theta`` seconds (`.window_errors`): ``sim_time`` must be longer."""
    if not sim_time > 2 * theta:
        raise ValidationError(
            f"the window is measured after the first 2*theta = {2 * theta:g} s "
            f"(the memory filling up), so {sim_time:g} s leaves nothing to "
            f"measure; run longer than {2 * theta:g} s or shorten theta",
            attr="sim_time",
        )


def white_noise(sim_time, freq, rms, seed=None):
    """Band-limited white noise as the experiments use it (starts at 0)."""
    if not sim_time > 0:
        raise ValidationError(
            f"must be a positive number of seconds (got {sim_time!r})",
            attr="sim_time",
        )
    if not freq >= 1.0 / sim_time:
        raise ValidationError(
            f"white noise over {sim_time:g} s has no frequencies below "
            f"1/{sim_time:g} s = {1 / sim_time:.3g} Hz; give freq >= that, or a "
            f"longer sim_time (got freq={freq:g} Hz)",
            attr="freq",
        )
    return nengo.processes.WhiteSignal(
        period=sim_time, high=freq, rms=rms, y0=0, seed=seed
    )


def run_memory(
    backend="nengo",
    order=6,
    theta=1.0,
    freq=1.0,
    rms=0.3,
    sim_time=10.0,
    seed=0,
    dt=0.001,
    make_memory=None,
    progress_bar=False,
    simulator_model=None,
    **memory_kwargs,
):
    """Drive a memory with white noise on ``backend`` and measure it.

    Parameters
    ----------
    make_memory : callable, optional
        ``make_memory(**kwargs) -> network`` with ``.input``,
        ``.add_window_output`` and ``.state``; default `.LMUMemory`, given
        ``order, theta, dt, seed, backend``, a ``process`` with the input's
        statistics (not its realization) and ``memory_kwargs``.
    simulator_model : callable, optional
        ``simulator_model(dt)``: the build model to give the simulator
        (default: the backend's).

    Returns
    -------
    dict
        ``dt``, ``window_nrmse`` (mean over `WINDOW_R`), ``window_nrmse_by_r``,
        ``state_nrmse``, ``mean_rate_hz``, ``spikes_per_s``, ``n_neurons``,
        ``build_s``, ``wall_s`` and ``cpu_s`` (simulation only), and
        ``data``, the probed arrays.
    """
    make_memory = LMUMemory if make_memory is None else make_memory
    check_measurable(sim_time, theta)
    backend = backends.get(backend)
    expected = white_noise(sim_time, freq, rms)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(white_noise(sim_time, freq, rms, seed=seed), label="u")
        memory = make_memory(
            order=order,
            theta=theta,
            dt=dt,
            seed=seed,
            process=expected,
            backend=backend,
            **memory_kwargs,
        )
        nengo.Connection(stim, memory.input, synapse=None)
        window = memory.add_window_output(WINDOW_R)
        probes = {
            "u": nengo.Probe(stim, synapse=None),
            "window": nengo.Probe(window, synapse=None),
            "state": nengo.Probe(memory.state, synapse=None),
        }
        ensembles = [e for e in memory.all_ensembles if e.neuron_type.spiking]
        spike_probes = [nengo.Probe(ens.neurons, synapse=None) for ens in ensembles]

    start = time.perf_counter()
    options = {} if simulator_model is None else {"model": simulator_model(dt)}
    sim = backends.Simulator(
        model, backend=backend, dt=dt, progress_bar=progress_bar, **options
    )
    build_s = time.perf_counter() - start
    with sim, backend.running():
        start, cpu_start = time.perf_counter(), time.process_time()
        sim.run(sim_time)
        wall_s = time.perf_counter() - start
        cpu_s = time.process_time() - cpu_start
        data = {name: backend.probe_data(sim, probe) for name, probe in probes.items()}
        spikes = [backend.probe_data(sim, probe) for probe in spike_probes]

    n_neurons = int(sum(ens.n_neurons for ens in ensembles))
    total_spikes = float(sum(np.sum(s) * dt for s in spikes))
    by_r = window_errors(data["u"], data["window"], theta, dt)
    return {
        "backend": backend.name,
        "dt": dt,
        "window_nrmse": float(np.mean(by_r)),
        "window_nrmse_by_r": [float(e) for e in by_r],
        "state_nrmse": state_error(data["u"], data["state"], order, theta, dt),
        "mean_rate_hz": total_spikes / sim_time / max(n_neurons, 1),
        "spikes_per_s": total_spikes / sim_time,
        "n_neurons": n_neurons,
        "build_s": build_s,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "data": data,
    }


def grid_points(
    orders=(4, 8, 12), thetas=(0.2, 1.0, 2.0), bands=(0.5, 1.0), seeds=(0, 1, 2)
):
    """The generality grid's points: ``(order, theta, freq, seed)`` with the
    input bandwidth ``freq = band / theta``."""
    return [
        (order, theta, band / theta, seed)
        for order, theta, band, seed in itertools.product(orders, thetas, bands, seeds)
    ]


def stability(backend, sim_time=100.0, spans=((2, 12), (45, 55), (90, 100)), **config):
    """The default memory over a long run: window NRMSE over each span of
    seconds, and the largest decoded state against the ideal memory's."""
    config = dict(DESIGN_CONFIG, **config, sim_time=sim_time)
    order, theta, dt = config["order"], config["theta"], 0.001
    result = run_memory(backend, seed=0, **config)
    u, window = result["data"]["u"], result["data"]["window"]
    row = {"backend": backends.get(backend).name}
    for start, stop in spans:
        end = int(round(stop / dt))
        errors = window_errors(u[:end], window[:end], theta, dt, discard=start)
        row[f"nrmse {start}-{stop} s"] = float(np.mean(errors))
    row["whole run"] = result["window_nrmse"]
    state = EVAL_SYNAPSE.filt(result["data"]["state"], dt=dt, y0=0)
    ideal = EVAL_SYNAPSE.filt(ideal_memory(u, order, theta, dt)[:, 0], dt=dt, y0=0)
    row["max |state| / ideal max"] = float(
        np.max(np.abs(state).max(axis=0) / np.abs(ideal).max(axis=0))
    )
    row["wall_s"] = result["wall_s"]
    return row


def slope(counts, errors):
    """The log-log slope of ``errors`` against ``counts`` (least squares)."""
    return float(np.polyfit(np.log(counts), np.log(errors), 1)[0])


def measure(backend, label, seed=0, config=None, **memory_kwargs):
    """One benchmark row: `run_memory` on ``backend`` with the DESIGN
    configuration updated by ``config``; a row saying "cannot build" (and
    why) when the simulator refuses the network."""
    from nengo.exceptions import BuildError

    backend = backends.get(backend)
    row = {"config": label, "backend": backend.name, "seed": seed}
    try:
        result = run_memory(
            backend, seed=seed, **dict(DESIGN_CONFIG, **(config or {})), **memory_kwargs
        )
    except BuildError as error:
        return dict(
            row,
            window_nrmse=None,
            mean_rate_hz=None,
            wall_s=None,
            cpu_s=None,
            error=str(error).split(";")[0][:120],
        )
    return dict(
        row,
        window_nrmse=result["window_nrmse"],
        mean_rate_hz=result["mean_rate_hz"],
        n_neurons=result["n_neurons"],
        wall_s=result["wall_s"],
        cpu_s=result["cpu_s"],
    )


def levers(backend, neuron_type=nengo.SpikingRectifiedLinear(), dt=0.001):
    """What the defaults choose on ``backend``, each as the `.LMUMemory`
    arguments that revert it alone: ``{description: kwargs}``.

    The backend-specific rows appear where the backend's choice differs from
    nengo's: a quantized decay, a host input the chip filters itself,
    neuron-to-neuron recurrent weights.
    """
    backend = backends.get(backend)
    tuning = backend.memory_tuning(neuron_type)
    tau, reg = tuning["synapse"], tuning["solver_reg"]
    reverted = {
        "tau 0.1 (public) instead of the default": {"synapse": 0.1},
        "continuous principle 3": {"discrete": False},
        "public tuning (rates 100-120, intercepts -1..0.5)": {
            "max_rates": nengo.dists.Uniform(100, 120),
            "intercepts": nengo.dists.Uniform(-1, 0.5),
        },
        "solver regularization 0.1 (nengo's)": {
            "solver": backend.recurrent_solver(0.1)
        },
        "headroom 2 std instead of 3": {"headroom": 2.0},
    }
    if tuning["lead"] < 0:
        reverted["the neurons' lag left uncompensated"] = {"lead": 0.0}
    nengo_backend = backends.host()
    if backend.synapse_decay(tau, dt) != nengo_backend.synapse_decay(tau, dt):
        reverted["exp(-dt/tau) instead of the backend's quantized decay"] = {
            "decay": nengo_backend.synapse_decay(tau, dt)
        }
    if backend.input_synapse(tau) is None:
        reverted["input filtered twice (host and chip) instead of once"] = {
            "input_synapse": tau
        }
    if backend.recurrent_solver(reg).weights:
        reverted["decode neurons instead of neuron-to-neuron weights"] = {
            "solver": nengo.solvers.LstsqL2(weights=False, reg=reg)
        }
    reverted.update(backend.build_levers())
    return reverted
