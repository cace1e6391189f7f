"""How well a memory holds its window: the measures every benchmark shares.

Window NRMSE (DESIGN.md): the mean over ``r`` in {0.25, 0.5, 0.75, 1.0} of the
NRMSE between the Legendre readout and the true input delayed by ``r*theta``,
both lowpassed at 50 ms, after discarding the first ``2*theta``.
"""

import time

import nengo
import numpy as np

from nengo_lmu import simulators
from nengo_lmu.memory import LMUMemory
from nengo_lmu.system import ideal_memory, legendre_readout, lmu_matrices

WINDOW_R = (0.25, 0.5, 0.75, 1.0)
EVAL_SYNAPSE = nengo.Lowpass(0.05)


def nrmse(actual, target, axis=None):
    """Root-mean-square error divided by the root-mean-square of ``target``.

    Examples
    --------
    >>> nrmse(np.array([1.0, -1.0]), np.array([2.0, -2.0]))
    0.5
    """
    actual, target = np.asarray(actual), np.asarray(target)
    error = np.sqrt(np.mean((actual - target) ** 2, axis=axis))
    return error / np.sqrt(np.mean(target**2, axis=axis))


def delay_steps(signal, steps):
    """``signal`` delayed by ``steps`` samples along axis 0 (zeros before)."""
    signal = np.asarray(signal)
    if steps == 0:
        return signal.copy()
    pad = np.zeros((steps,) + signal.shape[1:])
    return np.concatenate([pad, signal[:-steps]])


def window_errors(u, decoded, theta, dt, r_values=WINDOW_R, discard=None):
    """NRMSE of each decoded delay against the true delayed input.

    Parameters
    ----------
    u : (steps, 1) ndarray
        The input the memory received (as probed, without a synapse).
    decoded : (steps, len(r_values)) ndarray
        The window outputs (as probed, without a synapse).
    theta, dt : float
    r_values : sequence of float
    discard : float, optional
        Seconds discarded at the start; default ``2 * theta``.

    Returns
    -------
    ndarray
        One NRMSE per ``r``.
    """
    discard = 2 * theta if discard is None else discard
    keep = slice(int(round(discard / dt)), None)
    decoded = EVAL_SYNAPSE.filt(np.asarray(decoded), dt=dt, y0=0)
    errors = []
    for j, r in enumerate(r_values):
        target = delay_steps(u[:, 0], int(round(r * theta / dt)))
        target = EVAL_SYNAPSE.filt(target, dt=dt, y0=0)
        errors.append(nrmse(decoded[keep, j], target[keep]))
    return np.array(errors)


def state_error(u, state, order, theta, dt, discard=None):
    """NRMSE of the decoded state, pooled over memory dimensions.

    The reference is the ideal discrete memory driven by the same input (one
    step behind, as a simulator's recurrence is), both lowpassed at 50 ms.
    Pooled (total squared error over total squared state) because the highest
    Legendre dimensions carry almost no signal at high orders.
    """
    discard = 2 * theta if discard is None else discard
    keep = slice(int(round(discard / dt)), None)
    ideal = ideal_memory(delay_steps(u, 1), order, theta, dt)[:, 0]
    ideal = EVAL_SYNAPSE.filt(ideal, dt=dt, y0=0)
    state = EVAL_SYNAPSE.filt(np.asarray(state), dt=dt, y0=0)
    return float(nrmse(state[keep], ideal[keep]))


def white_noise(sim_time, freq, rms, seed=None):
    """Band-limited white noise as the benchmarks use it (starts at 0)."""
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
    **memory_kwargs,
):
    """Drive a memory with white noise on ``backend`` and measure it.

    Parameters
    ----------
    make_memory : callable, optional
        ``make_memory(**kwargs) -> network`` with ``.input``,
        ``.add_window_output`` and ``.state``; default `.LMUMemory`, given
        ``order, theta, dt, seed, target=backend``, a ``process`` with the
        input's statistics (not its realization) and ``memory_kwargs``.

    Returns
    -------
    dict
        ``window_nrmse`` (mean over `WINDOW_R`), ``window_nrmse_by_r``,
        ``state_nrmse``, ``mean_rate_hz``, ``spikes_per_s``, ``n_neurons``,
        ``build_s``, ``wall_s`` (simulation only), and ``data``, the probed
        arrays.
    """
    make_memory = LMUMemory if make_memory is None else make_memory
    expected = white_noise(sim_time, freq, rms)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(white_noise(sim_time, freq, rms, seed=seed), label="u")
        memory = make_memory(
            order=order,
            theta=theta,
            dt=dt,
            seed=seed,
            process=expected,
            target=backend,
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
    sim = simulators.Simulator(model, backend=backend, dt=dt, progress_bar=progress_bar)
    build_s = time.perf_counter() - start
    with sim:
        start = time.perf_counter()
        sim.run(sim_time)
        wall_s = time.perf_counter() - start
        data = {name: np.asarray(sim.data[probe]) for name, probe in probes.items()}
        spikes = [np.asarray(sim.data[probe]) for probe in spike_probes]

    n_neurons = int(sum(ens.n_neurons for ens in ensembles))
    total_spikes = float(sum(np.sum(s) * dt for s in spikes))
    by_r = window_errors(data["u"], data["window"], theta, dt)
    return {
        "backend": backend,
        "window_nrmse": float(np.mean(by_r)),
        "window_nrmse_by_r": [float(e) for e in by_r],
        "state_nrmse": state_error(data["u"], data["state"], order, theta, dt),
        "mean_rate_hz": total_spikes / sim_time / max(n_neurons, 1),
        "spikes_per_s": total_spikes / sim_time,
        "n_neurons": n_neurons,
        "build_s": build_s,
        "wall_s": wall_s,
        "data": data,
    }


class PublicExampleMemory(nengo.Network):
    """The LMU memory as the public nengo-loihi example builds it (the baseline).

    An ``EnsembleArray`` of ``n_neurons`` SpikingRectifiedLinear per dimension
    (max rates 100-120 Hz, intercepts -1 to 0.5: nengo-loihi's defaults),
    continuous principle 3 through ``Lowpass(tau)``, decoded recurrence, no
    scaling. Accepts and ignores the keyword arguments of `.LMUMemory` that it
    has no use for, so that `.run_memory` can drive both.
    """

    def __init__(self, order, theta, n_neurons=100, tau=0.1, seed=None, **ignored):
        super().__init__(label="public example", seed=seed)
        self.order, self.theta = order, theta
        A, B = lmu_matrices(order, theta)
        with self:
            self.input = nengo.Node(size_in=1, label="input")
            self.array = nengo.networks.EnsembleArray(
                n_neurons,
                n_ensembles=order,
                neuron_type=nengo.SpikingRectifiedLinear(),
                max_rates=nengo.dists.Uniform(100, 120),
                intercepts=nengo.dists.Uniform(-1, 0.5),
            )
            nengo.Connection(self.input, self.array.input, transform=tau * B, synapse=tau)
            nengo.Connection(
                self.array.output,
                self.array.input,
                transform=tau * A + np.eye(order),
                synapse=tau,
            )
            self.state = self.array.output

    def add_window_output(self, r):
        """Node decoding the input at ``r * theta`` seconds ago (unfiltered)."""
        readout = legendre_readout(self.order, np.atleast_1d(r))
        with self:
            output = nengo.Node(size_in=len(readout))
            # straight from the ensembles: nengo-loihi 1.1.0 drops connections
            # from a removed passthrough node (array.output) to a host node
            for q, ens in enumerate(self.array.ea_ensembles):
                nengo.Connection(ens, output, transform=readout[:, q : q + 1], synapse=None)
        return output
