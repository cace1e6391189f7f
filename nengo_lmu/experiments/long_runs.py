"""Long runs: a spiking memory over 1000 s, and the exact memory's capacity.

`spiking_stability` drives the DESIGN configuration (order 6, theta 1 s, 1 Hz
white noise of rms 0.3, every other `.LMUMemory` argument its default) for a
long time, span by span, and reports for each span the window NRMSE and the
largest decoded state against the ideal memory's: a memory that drifts,
leaks or grows shows it as a rising error or a rising state.

`capacity` checks the paper's claim of dependencies across 100,000 steps: the
exact memory (``neuron_type=None``) of order 256 over a window of 100,000
steps, run on the simulator, against an independent reference (scipy's
``cont2discrete`` and ``dlsim``), reading the input back ``T`` steps ago for
``T`` = 100 ... 100,000.

Both run in chunks (`nengo.Simulator.clear_probes` between them), so a run of
a million steps needs the memory of one chunk.
"""

import time

import nengo
import numpy as np
import scipy.signal

from nengo_lmu import backends
from nengo_lmu.experiments.memory import DESIGN_CONFIG, white_noise
from nengo_lmu.experiments.metrics import (
    EVAL_SYNAPSE,
    WINDOW_R,
    delay_steps,
    nrmse,
    window_errors,
)
from nengo_lmu.memory import LMUMemory
from nengo_lmu.system import discretize, legendre_readout, lmu_matrices

#: The delays (in steps) that `capacity` reads back by default.
CAPACITY_DELAYS = (100, 1000, 10_000, 100_000)


class ChunkedIdeal:
    """The ideal discrete (zero-order hold) memory, stepped chunk by chunk.

    ``run(u)`` returns, for each step of the chunk, the state *before* that
    step's input (``dlsim``'s ``x[k]``), which is what a simulator's memory
    holds when its recurrence sees the input one step late; ``after=True``
    returns the state after it (a digital memory that takes this step's
    input).
    """

    def __init__(self, Ad, Bd, C):
        self.system = (Ad, Bd, C, np.zeros((C.shape[0], Bd.shape[1])), 1.0)
        self.state = np.zeros(Ad.shape[0])

    def run(self, u, after=False):
        Ad, Bd, C = self.system[:3]
        _, _, x = scipy.signal.dlsim(self.system, u, x0=self.state)
        x = np.atleast_2d(x).reshape(len(u), -1)
        final = Ad @ x[-1] + Bd @ np.atleast_1d(u[-1])
        self.state = final
        if after:
            x = np.vstack([x[1:], final])
        return x @ C.T


def chunks(total_steps, chunk_steps):
    """The step counts of successive chunks covering ``total_steps``."""
    counts = [chunk_steps] * (total_steps // chunk_steps)
    if total_steps % chunk_steps:
        counts.append(total_steps % chunk_steps)
    return counts


# --- the spiking memory over a long run -------------------------------------------


def spiking_stability(
    sim_time=1000.0,
    span=100.0,
    backend="nengo",
    dt=0.001,
    seed=0,
    progress=None,
    **config,
):
    """The DESIGN memory over ``sim_time`` seconds, measured span by span.

    Parameters
    ----------
    sim_time, span : float
        Seconds in all, and per span (the run is simulated one span at a
        time).
    config
        Overrides of `.DESIGN_CONFIG` (``order``, ``theta``, ``freq``,
        ``rms``); every other `.LMUMemory` argument is its default (whose
        expected input, `.default_process`, is this white noise's kind).
    progress : callable, optional
        ``progress(row)`` after each span.

    Returns
    -------
    dict
        ``rows`` (per span: ``start_s``, ``stop_s``, ``window_nrmse``,
        ``state_nrmse`` and ``max_state_ratio``, the largest decoded memory
        dimension over the span, lowpassed at 50 ms, over the ideal memory's
        largest), ``growth`` (last span's window NRMSE over the first's),
        ``max_state_ratio`` (over the run), the configuration and
        ``wall_s``.
    """
    config = dict(DESIGN_CONFIG, **config)
    order, theta = config["order"], config["theta"]
    backend = backends.get(backend)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(
            white_noise(sim_time, config["freq"], config["rms"], seed=seed), label="u"
        )
        memory = LMUMemory(order, theta, dt=dt, backend=backend, seed=seed)
        nengo.Connection(stim, memory.input, synapse=None)
        probes = {
            "u": nengo.Probe(stim, synapse=None),
            "window": nengo.Probe(memory.add_window_output(WINDOW_R), synapse=None),
            "state": nengo.Probe(memory.state, synapse=None),
        }
    Ad, Bd = discretize(*lmu_matrices(order, theta), dt)
    ideal = ChunkedIdeal(Ad, Bd, np.eye(order))
    context_steps = int(round(2 * theta / dt))
    context = None
    rows = []
    start = time.perf_counter()
    with backend.running(), backends.Simulator(
        model, backend=backend, dt=dt, progress_bar=False
    ) as sim:
        t = 0.0
        for steps in chunks(int(round(sim_time / dt)), int(round(span / dt))):
            sim.run_steps(steps)
            data = {k: backend.probe_data(sim, p).copy() for k, p in probes.items()}
            sim.clear_probes()
            data["ideal"] = ideal.run(data["u"])
            row = _span_row(data, context, theta, dt, t, t + steps * dt)
            rows.append(row)
            if progress is not None:
                progress(row)
            context = {k: v[-context_steps:] for k, v in data.items()}
            t += steps * dt
    window = [row["window_nrmse"] for row in rows]
    return dict(
        config,
        backend=backend.name,
        dt=dt,
        sim_time=sim_time,
        span=span,
        seed=seed,
        rows=rows,
        growth=window[-1] / window[0],
        max_state_ratio=max(row["max_state_ratio"] for row in rows),
        wall_s=time.perf_counter() - start,
    )


def _span_row(data, context, theta, dt, start_s, stop_s):
    """One span's measures; ``context`` (the previous span's last 2 theta)
    lets the delayed input and the filters start from the true past."""
    if context is None:
        discard = 2 * theta  # the metric's own transient, at the start
        joined = data
    else:
        discard = len(context["u"]) * dt
        joined = {k: np.concatenate([context[k], data[k]]) for k in data}
    keep = slice(int(round(discard / dt)), None)
    state = EVAL_SYNAPSE.filt(joined["state"], dt=dt, y0=0)[keep]
    ideal = EVAL_SYNAPSE.filt(joined["ideal"], dt=dt, y0=0)[keep]
    errors = window_errors(joined["u"], joined["window"], theta, dt, discard=discard)
    return {
        "start_s": start_s,
        "stop_s": stop_s,
        "window_nrmse": float(np.mean(errors)),
        "state_nrmse": float(nrmse(state, ideal)),
        "max_state_ratio": float(
            np.max(np.abs(state).max(axis=0) / np.abs(ideal).max(axis=0))
        ),
    }


# --- the exact memory's capacity --------------------------------------------------


def capacity(
    order=256,
    theta_steps=100_000,
    delays=CAPACITY_DELAYS,
    n_steps=None,
    cycles=30.0,
    rms=0.3,
    dt=0.001,
    seed=0,
    chunk_steps=10_000,
    progress=None,
    **memory_options,
):
    """The exact memory over ``theta_steps`` steps, against scipy's ideal.

    Parameters
    ----------
    order, theta_steps : int
        The memory: ``LMUMemory(order, theta_steps * dt, neuron_type=None)``.
    delays : sequence of int
        Read the input back this many steps ago (``r = T / theta_steps``).
    n_steps : int, optional
        Steps to run; default ``theta_steps + max(delays)`` (every delay is
        then scored over at least a full window).
    cycles : float
        Input bandwidth in cycles per window (white noise up to
        ``cycles / (theta_steps * dt)`` Hz, rms ``rms``).
    chunk_steps : int
        Steps per chunk (the run's memory use).
    progress : callable, optional
        ``progress(steps_done, n_steps)`` after each chunk.
    memory_options
        Other `.LMUMemory` arguments (e.g. ``synapse=0``, the digital
        memory).

    Returns
    -------
    dict
        ``rows`` (per delay ``T``: ``window_nrmse`` of the simulated memory's
        readout against the input ``T`` steps ago, over the steps where that
        input exists; ``ideal_nrmse``, the reference's, i.e. what order
        ``order`` can hold of this input; ``deviation``, the largest
        ``|simulated - reference|`` over the largest reference value; and
        ``deviation_first``/``deviation_last``, the same over the first and
        the last chunk: numerical error that grew would show there), the
        configuration, ``wall_s`` and ``data`` (``u``, ``window``,
        ``reference``).
    """
    delays = tuple(int(d) for d in delays)
    theta = theta_steps * dt
    n_steps = theta_steps + max(delays) if n_steps is None else int(n_steps)
    r = np.array(delays) / theta_steps
    process = nengo.processes.WhiteSignal(
        period=n_steps * dt, high=cycles / theta, rms=rms, y0=0, seed=seed
    )
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(process, label="u")
        memory = LMUMemory(order, theta, neuron_type=None, dt=dt, **memory_options)
        nengo.Connection(stim, memory.input, synapse=None)
        probes = {
            "u": nengo.Probe(stim, synapse=None),
            "window": nengo.Probe(memory.add_window_output(r), synapse=None),
        }
    reference = _independent_reference(order, theta, dt, r)
    # a digital memory takes this step's input; a lowpass one the last step's
    after = memory.input_synapse is None
    data = {"u": [], "window": [], "reference": [], "deviation": []}
    start = time.perf_counter()
    with backends.host().running(), backends.Simulator(
        model, dt=dt, progress_bar=False
    ) as sim:
        done = 0
        for steps in chunks(n_steps, chunk_steps):
            sim.run_steps(steps)
            u, window = sim.data[probes["u"]].copy(), sim.data[probes["window"]].copy()
            sim.clear_probes()
            ref = reference.run(u, after=after)
            data["u"].append(u)
            data["window"].append(window)
            data["reference"].append(ref)
            data["deviation"].append(np.abs(window - ref).max(axis=0))
            done += steps
            if progress is not None:
                progress(done, n_steps)
    wall_s = time.perf_counter() - start
    deviation = np.array(data.pop("deviation"))
    data = {k: np.concatenate(v) for k, v in data.items()}
    scale = np.abs(data["reference"]).max(axis=0)
    rows = []
    for j, delay in enumerate(delays):
        truth = delay_steps(data["u"][:, 0], delay)
        scored = slice(delay, None)
        rows.append(
            {
                "delay_steps": delay,
                "r": float(r[j]),
                "window_nrmse": float(nrmse(data["window"][scored, j], truth[scored])),
                "ideal_nrmse": float(
                    nrmse(data["reference"][scored, j], truth[scored])
                ),
                "deviation": float(deviation[:, j].max() / scale[j]),
                "deviation_first": float(deviation[0, j] / scale[j]),
                "deviation_last": float(deviation[-1, j] / scale[j]),
            }
        )
    return {
        "order": order,
        "theta_steps": theta_steps,
        "n_steps": n_steps,
        "cycles": cycles,
        "rms": rms,
        "dt": dt,
        "seed": seed,
        "rows": rows,
        "wall_s": wall_s,
        "data": data,
    }


def _independent_reference(order, theta, dt, r):
    """The window readout of the ideal memory, discretized by scipy's
    ``cont2discrete`` (not nengo-lmu's `.discretize`) and run by ``dlsim``."""
    A, B = lmu_matrices(order, theta)
    C = legendre_readout(order, r)
    D = np.zeros((len(r), 1))
    Ad, Bd, _, _, _ = scipy.signal.cont2discrete((A, B, C, D), dt, method="zoh")
    return ChunkedIdeal(Ad, Bd, C)


def plot_capacity(result, filename, seconds=20.0):
    """The input read back a full window ago over the run's last ``seconds``
    (top), and each readout's deviation from the reference per chunk
    (bottom, log scale)."""
    from nengo_lmu.experiments.plots import _pyplot

    plt = _pyplot()
    data, dt = result["data"], result["dt"]
    rows = result["rows"]
    n = len(data["u"])
    shown = slice(max(n - int(round(seconds / dt)), 0), n)
    t = dt * np.arange(1, n + 1)
    fig, axes = plt.subplots(2, 1, figsize=(10, 7))
    for j, row in enumerate(rows):
        truth = delay_steps(data["u"][:, 0], row["delay_steps"])
        (line,) = axes[0].plot(
            t[shown], truth[shown], linestyle="--", linewidth=1, color=f"C{j}"
        )
        axes[0].plot(
            t[shown],
            data["window"][shown, j],
            color=line.get_color(),
            linewidth=0.8,
            label=f"T = {row['delay_steps']:,} steps: NRMSE {row['window_nrmse']:.2g}",
        )
        error = np.abs(data["window"][:, j] - data["reference"][:, j])
        axes[1].semilogy(
            t[:: max(n // 2000, 1)],
            np.maximum(error[:: max(n // 2000, 1)], 1e-17),
            color=f"C{j}",
            linewidth=0.8,
            label=f"T = {row['delay_steps']:,} steps",
        )
    axes[0].set_title(
        f"Exact LMU memory, order {result['order']}, theta = "
        f"{result['theta_steps']:,} steps: the input T steps ago (dashed) and "
        "read back (solid)",
        fontsize="medium",
    )
    axes[0].legend(loc="upper right", fontsize="small")
    axes[1].set_ylabel("|simulated - scipy reference|")
    axes[1].set_xlabel("time (s)")
    axes[1].legend(loc="upper right", fontsize="small", ncol=2)
    fig.tight_layout()
    fig.savefig(filename, dpi=100)
    plt.close(fig)
