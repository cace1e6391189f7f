"""Learn a readout of the window online with PES, switch learning off, measure.

`run_learning` is the main job (``nengo-lmu delay``): white noise into a
spiking `.LMUMemory`, a `.PESReadout` learning the input ``delay`` seconds ago
(or another function of the window) from zero decoders, learning switched off
after ``learn_fraction`` of the run, and the held-out error measured on the
rest (both signals lowpassed at 10 ms, as the public nengo-loihi example
does).
"""

import time

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_lmu import backends
from nengo_lmu.experiments.memory import check_measurable, white_noise
from nengo_lmu.experiments.metrics import WINDOW_R, nrmse, window_errors
from nengo_lmu.learning import Delay, PESReadout, as_window_function
from nengo_lmu.memory import LMUMemory

#: Both signals are lowpassed at 10 ms before the held-out NRMSE (the protocol
#: of the public nengo-loihi LMU example).
HELDOUT_SYNAPSE = nengo.Lowpass(0.01)

#: The default window, as a multiple of the delay: the Legendre readout of a
#: delay inside the window (r = 1 / 1.2) is more accurate than at its end
#: (r = 1), so 30 memory neurons per dimension do what 50 did at theta = delay.
WINDOW_PER_DELAY = 1.2

#: The memory tuning used for learning (passed explicitly, see `run_learning`).
MEMORY_INTERCEPTS = nengo.dists.Uniform(-0.5, 0.5)
MEMORY_MAX_RATES = nengo.dists.Uniform(100, 120)


def run_learning(
    backend="loihi",
    target=None,
    delay=0.5,
    order=6,
    theta=None,
    freq=2.0,
    rms=0.3,
    sim_time=30.0,
    learn_fraction=0.8,
    n_neurons=180,
    learning_rate=10.0,
    readout_neurons=None,
    seed=0,
    dt=0.001,
    progress=None,
    chunk=None,
    readout_options=None,
    memory_options=None,
    probe_memory=True,
):
    """Learn ``target`` (default ``Delay(delay)``) online and measure it.

    Parameters
    ----------
    theta : float or None
        Memory window (s); default ``WINDOW_PER_DELAY * delay``.
    n_neurons : int
        Total memory neurons (split evenly over the ``order`` dimensions).
    readout_neurons : int or None
        Neurons of a readout ensemble (None learns from the memory directly).
    progress : callable, optional
        ``progress(t, sim_time, learning, running_nrmse, wall_s)`` called
        after each ``chunk`` seconds (``running_nrmse`` is NaN while the
        target is still zero, before the first delay has passed).

    Returns
    -------
    dict
        ``heldout_nrmse`` (last ``(1 - learn_fraction)`` of the run, learning
        off), ``learning_nrmse`` (the last learning stretch of the same
        length), ``window_nrmse`` (the memory's, `.window_errors`),
        ``mean_rate_hz``, ``n_neurons``, ``sim_time``, ``build_s``,
        ``wall_s``, ``cpu_s`` (this process's CPU time while running: unlike
        the wall time, not inflated by other jobs on the machine) and
        ``data``.
    """
    backend = backends.get(backend)
    target = Delay(delay) if target is None else as_window_function(target)
    theta = WINDOW_PER_DELAY * delay if theta is None else theta
    if not 0 < learn_fraction < 1:
        raise ValidationError(
            f"must lie between 0 and 1 (got {learn_fraction!r}): the run learns "
            "for that fraction and measures the rest with learning off",
            attr="learn_fraction",
        )
    if probe_memory:
        check_measurable(sim_time, theta)
    learn_stop = learn_fraction * sim_time
    expected = white_noise(sim_time, freq, rms)
    per_dim = max(1, int(round(n_neurons / order)))
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(white_noise(sim_time, freq, rms, seed=seed), label="u")
        memory_kwargs = dict(
            order=order,
            theta=theta,
            n_neurons=per_dim,
            neuron_type=nengo.SpikingRectifiedLinear(),
            synapse=nengo.Lowpass(0.1),
            dt=dt,
            process=expected,
            backend=backend,
            discrete=True,
            max_rates=MEMORY_MAX_RATES,
            intercepts=MEMORY_INTERCEPTS,
            headroom=3.0,
            seed=seed,
        )
        memory = LMUMemory(**dict(memory_kwargs, **(memory_options or {})))
        nengo.Connection(stim, memory.input, synapse=None)
        readout = PESReadout(
            memory,
            target,
            learning_rate=learning_rate,
            n_neurons=readout_neurons,
            learn_stop=learn_stop,
            **(readout_options or {}),
        )
        probes = {
            "u": nengo.Probe(stim, synapse=None),
            "ideal": nengo.Probe(readout.ideal, synapse=None),
            "output": nengo.Probe(readout.output, synapse=None),
        }
        ensembles = [e for e in model.all_ensembles if e.neuron_type.spiking]
        spike_probes = []
        if probe_memory:
            window = memory.add_window_output(WINDOW_R)
            probes["window"] = nengo.Probe(window, synapse=None)
            spike_probes = [nengo.Probe(e.neurons, synapse=None) for e in ensembles]

    start = time.perf_counter()
    sim = backends.Simulator(model, backend=backend, dt=dt, progress_bar=False)
    build_s = time.perf_counter() - start
    chunk = sim_time / 10 if chunk is None else chunk
    with sim, backend.running():
        start = time.perf_counter()
        cpu_start = time.process_time()
        t = 0.0
        while t < sim_time - dt / 2:
            step = min(chunk, sim_time - t)
            sim.run(step)
            t += step
            if progress is not None:
                recent = slice(-int(round(step / dt)), None)
                out = HELDOUT_SYNAPSE.filt(
                    backend.probe_data(sim, probes["output"]), dt=dt, y0=0
                )
                ideal = HELDOUT_SYNAPSE.filt(
                    backend.probe_data(sim, probes["ideal"]), dt=dt, y0=0
                )
                progress(
                    t,
                    sim_time,
                    t <= learn_stop + dt / 2,
                    float(nrmse(out[recent], ideal[recent])),
                    time.perf_counter() - start,
                )
        wall_s = time.perf_counter() - start
        cpu_s = time.process_time() - cpu_start
        data = {name: backend.probe_data(sim, p) for name, p in probes.items()}
        spikes = sum(
            float(np.sum(backend.probe_data(sim, p))) * dt for p in spike_probes
        )

    out = HELDOUT_SYNAPSE.filt(data["output"], dt=dt, y0=0)
    ideal = HELDOUT_SYNAPSE.filt(data["ideal"], dt=dt, y0=0)
    stop_step = int(round(learn_stop / dt))
    held = slice(stop_step, None)
    length = len(out) - stop_step
    learning = slice(max(stop_step - length, 0), stop_step)
    n_total = int(sum(e.n_neurons for e in ensembles))
    by_r = (
        window_errors(data["u"], data["window"], theta, dt)
        if probe_memory
        else np.array([np.nan])
    )
    return {
        "backend": backend.name,
        "target": str(target),
        "heldout_nrmse": float(nrmse(out[held], ideal[held])),
        "learning_nrmse": float(nrmse(out[learning], ideal[learning])),
        "window_nrmse": float(np.mean(by_r)),
        "mean_rate_hz": spikes / sim_time / max(n_total, 1),
        "n_neurons": n_total,
        "order": order,
        "theta": theta,
        "dt": dt,
        "sim_time": sim_time,
        "learning_rate": learning_rate,
        "build_s": build_s,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "data": data,
        "readout": readout.summary(),
    }


def format_progress(t, sim_time, learning, running_nrmse, wall_s):
    """One progress line of a learning run, with the time left."""
    from nengo_lmu.experiments.report import eta

    error = (
        "no target yet"
        if not np.isfinite(running_nrmse)
        else f"NRMSE of the last stretch {running_nrmse:.3f}"
    )
    left = wall_s / t * (sim_time - t) if t > 0 else float("nan")
    return (
        f"  {t:6.1f} / {sim_time:g} s  learning {'on ' if learning else 'off'}  "
        f"{error}  ({wall_s:.0f} s, {eta(left)})"
    )


def print_progress(*args):
    """`format_progress`, printed."""
    print(format_progress(*args), flush=True)
