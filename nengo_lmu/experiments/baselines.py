"""What nengo-lmu is compared against: the public examples, reproduced as
published, and Keras models of about the same size.

- `PublicExampleMemory`: the LMU memory of nengo-loihi's public LMU example.
- `public_pes_example`: that example's PES delay learning, as published.
- `train_lstm`: a Keras LSTM for a regression task.
"""

import time
from collections import deque

import nengo
import numpy as np

from nengo_lmu import backends
from nengo_lmu.experiments.metrics import nrmse
from nengo_lmu.system import legendre_readout, lmu_matrices


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
            nengo.Connection(
                self.input, self.array.input, transform=tau * B, synapse=tau
            )
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
                nengo.Connection(
                    ens, output, transform=readout[:, q : q + 1], synapse=None
                )
        return output


class IdealDelay(nengo.synapses.Synapse):
    """The public PES example's ideal delay, as published."""

    def __init__(self, delay):
        super().__init__()
        self.delay = delay

    def make_state(self, *args, **kwargs):
        return {}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        buffer = deque([0] * int(self.delay / dt))

        def delay_func(t, x):
            buffer.append(x.copy())
            return buffer.popleft()

        return delay_func


def public_pes_example(
    backend,
    sim_time=30.0,
    learn_fraction=0.8,
    freq=2.0,
    rms=0.3,
    delay=0.5,
    heldout_synapse=nengo.Lowpass(0.01),
    seed=10,
    dt=0.001,
):
    """nengo-loihi's public LMU + PES example as published; returns figures.

    Protocol (nengo-loihi's ``docs/examples/lmu.ipynb``, removed from the
    repository before 1.1.0): 2 Hz white noise of rms 0.3, an order-6 memory
    over 1 s of 600 neurons, a 1000-neuron readout learning the input 0.5 s ago
    with PES (5e-4, ``pes_error_scale = 200`` on Loihi) for the first 24 of
    30 s, NRMSE over the rest, both lowpassed at 10 ms.  The example calls
    ``nengo_loihi.set_defaults()``; its effect (max rates 100-120 Hz,
    intercepts -1 to 0.5, neurons starting at zero voltage) is given here
    through the network's config, so nengo's global defaults stay as they are.
    """
    backend = backends.get(backend)
    theta, order = 1.0, 6
    A, B = lmu_matrices(order, theta)
    learn_stop = sim_time * learn_fraction
    neuron_type = nengo.SpikingRectifiedLinear(
        initial_state={"voltage": nengo.dists.Choice([0])}
    )
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(
            output=nengo.processes.WhiteSignal(
                high=freq, period=sim_time, rms=rms, y0=0, seed=seed
            )
        )
        p_ideal = nengo.Probe(stim, synapse=IdealDelay(delay))
        net.config[nengo.Ensemble].max_rates = nengo.dists.Uniform(100, 120)
        net.config[nengo.Ensemble].intercepts = nengo.dists.Uniform(-1.0, 0.5)
        lmu = nengo.networks.EnsembleArray(
            n_neurons=100, n_ensembles=order, neuron_type=neuron_type
        )
        tau = 0.1
        nengo.Connection(stim, lmu.input, transform=B * tau, synapse=tau)
        nengo.Connection(
            lmu.output, lmu.input, transform=A * tau + np.eye(order), synapse=tau
        )
        ens = nengo.Ensemble(1000, order, neuron_type=neuron_type)
        nengo.Connection(lmu.output, ens)
        out = nengo.Node(size_in=1)
        err_node = nengo.Node(lambda t, x: x if t < learn_stop else 0, size_in=1)
        nengo.Connection(stim, err_node, synapse=IdealDelay(delay), transform=-1)
        nengo.Connection(out, err_node, synapse=None)
        learn_conn = nengo.Connection(
            ens, out, function=lambda x: 0, learning_rule_type=nengo.PES(5e-4)
        )
        nengo.Connection(err_node, learn_conn.learning_rule, synapse=None)
        p_out = nengo.Probe(out)
        ensembles = list(lmu.ea_ensembles) + [ens]
        p_spikes = [nengo.Probe(e.neurons, synapse=None) for e in ensembles]

    start = time.perf_counter()
    options = backend.simulator_options(dt, pes_error_scale=200.0)
    sim = backend.simulator(net, dt=dt, progress_bar=False, **options)
    build_s = time.perf_counter() - start
    with sim, backend.running():
        start, cpu_start = time.perf_counter(), time.process_time()
        sim.run(sim_time)
        wall_s = time.perf_counter() - start
        cpu_s = time.process_time() - cpu_start
        output = backend.probe_data(sim, p_out)
        ideal = backend.probe_data(sim, p_ideal)
        spikes = sum(float(np.sum(backend.probe_data(sim, p))) * dt for p in p_spikes)

    output = heldout_synapse.filt(output, dt=dt, y0=0)
    ideal = heldout_synapse.filt(ideal, dt=dt, y0=0)
    held = slice(int(round(learn_stop / dt)), None)
    n_neurons = sum(e.n_neurons for e in ensembles)
    return {
        "backend": backend.name,
        "network": "public example",
        "target": f"delay {delay:g} s",
        "dt": dt,
        "learning_rate": 5e-4,
        "heldout_nrmse": float(nrmse(output[held], ideal[held])),
        "n_neurons": n_neurons,
        "mean_rate_hz": spikes / sim_time / n_neurons,
        "build_s": build_s,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
    }


def train_lstm(data, units, epochs, batch_size, learning_rate, seed=0, verbose=0):
    """A Keras LSTM (+ Dense readout) trained on a regression ``data`` dict;
    returns ``units``, ``parameters``, test ``nrmse`` and ``wall_s``."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.LSTM(
                units, return_sequences=True, input_shape=(None, data["x"].shape[-1])
            ),
            tf.keras.layers.Dense(data["y"].shape[-1]),
        ]
    )
    model.compile(tf.keras.optimizers.Adam(learning_rate), loss="mse")
    start = time.perf_counter()
    model.fit(
        data["x"], data["y"], batch_size=batch_size, epochs=epochs, verbose=verbose
    )
    wall = time.perf_counter() - start
    predicted = model.predict(data["x_test"], verbose=0)
    return {
        "units": units,
        "parameters": model.count_params(),
        "nrmse": float(nrmse(predicted, data["y_test"])),
        "wall_s": wall,
    }


def lstm_units(n_parameters, input_d=1, output_d=1):
    """The LSTM width whose parameter count (LSTM plus Dense readout) is
    closest to ``n_parameters``: ``4 u (u + input_d + 1) + (u + 1) output_d``."""
    units = np.arange(1, 1000)
    counts = 4 * units * (units + input_d + 1) + (units + 1) * output_d
    return int(units[np.argmin(np.abs(counts - n_parameters))])
