"""LMUMemory: the LMU's linear memory as a recurrent (spiking) Nengo network."""

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import (
    BoolParam,
    EnumParam,
    IntParam,
    NumberParam,
    Parameter,
)

from nengo_lmu import simulators
from nengo_lmu.mapping import principle3, synapse_tau
from nengo_lmu.system import (
    check_theta,
    check_window_r,
    ideal_memory,
    legendre_readout,
    lmu_matrices,
)


def default_process(theta):
    """The input an LMU memory assumes when none is given.

    Band-limited white noise up to ``1/theta`` Hz (one cycle per window), rms
    0.3, so that peaks stay within nengo's unit radius.
    """
    return nengo.processes.WhiteSignal(period=20 * theta, high=1 / theta, rms=0.3)


class InputStatistics:
    """What an LMU memory learned about its expected input, from one seed.

    The ideal memory is driven by ``n_realizations`` independent runs of
    ``process`` (pooled: one run's statistics swing by 20-30 %), and each
    memory dimension gets the scale ``headroom * std``, floored at
    ``scale_floor`` times the largest scale of its memory (the highest Legendre
    dimensions carry little variance; scaling them up amplifies the decoding
    noise that the recurrence feeds into them).

    Attributes
    ----------
    std : (size_in, order) ndarray
        Standard deviation of each memory dimension, in the LMU's units.
    scale : (size_in, order) ndarray
        The value of each memory dimension that maps to its ensembles' radius.
    input_scale : (size_in,) ndarray
        1.25 times the largest input seen: inputs enter the network divided by it.
    """

    def __init__(
        self,
        process,
        order,
        theta,
        dt,
        size_in,
        seed,
        headroom,
        n_realizations=16,
        scale_floor=0.1,
    ):
        self.duration = max(20 * theta, getattr(process, "period", 0) or 0)
        self.seed = seed
        self.n_realizations = n_realizations
        steps = int(round(self.duration / dt))
        signals = np.hstack(
            [
                process.run_steps(
                    steps, d=size_in, dt=dt, rng=np.random.RandomState([seed, k])
                )
                for k in range(n_realizations)
            ]
        )
        states = ideal_memory(signals, order, theta, dt)
        # the first window is a transient from the zero initial state
        states = states[int(round(theta / dt)) :]
        states = states.reshape(len(states), n_realizations, size_in, order)
        self.std = np.sqrt(np.mean(states**2, axis=(0, 1)) - states.mean((0, 1)) ** 2)
        scale = headroom * np.maximum(self.std, 1e-12)
        self.scale = np.maximum(scale, scale_floor * scale.max(axis=1, keepdims=True))
        peak = np.abs(signals).reshape(steps, n_realizations, size_in).max(axis=(0, 1))
        self.input_scale = 1.25 * np.maximum(peak, 1e-12)


class LMUMemory(nengo.Network):
    """The Legendre Memory Unit's memory as a recurrent Nengo network.

    Implements ``theta dm/dt = A m + B u`` (one memory of ``order`` dimensions
    per input dimension) so that ``u(t - r theta) ~= legendre_readout(order, r)
    @ m(t)``.  Each memory dimension is an ensemble of ``n_neurons`` neurons,
    scaled so that it fills its radius for the expected input ``process``; the
    recurrence is mapped with principle 3 for the synapse of ``target``.

    Parameters
    ----------
    order : int
        Number of Legendre coefficients ``d`` per input dimension.
    theta : float
        Window length in seconds (at least ``2 * dt``).
    n_neurons : int
        Neurons per memory dimension.
    neuron_type : nengo.neurons.NeuronType or None
        Neurons of the memory ensembles; None builds the exact non-neural memory.
    synapse : nengo.Lowpass or float
        Recurrent synapse (a float is its time constant in seconds).
    dt : float
        Simulator step the network is mapped for; a simulator with another step
        refuses to build it.
    size_in : int
        Input dimensions; each gets its own memory.
    process : nengo.Process, optional
        The input the user expects, used to scale each memory dimension to its
        ensemble. Default: `.default_process` (white noise to ``1/theta`` Hz,
        rms 0.3).
    target : {"nengo", "dl", "loihi"}
        Simulator whose synapse the discrete mapping is exact for.
    discrete : bool
        Map with discrete (exact at ``dt``) rather than continuous principle 3.
    max_rates, intercepts : nengo.dists.Distribution
        Tuning of the memory neurons.
    headroom : float
        The radius of each ensemble in standard deviations of its state.
    label, seed, add_to_container
        As for `nengo.Network`.

    Attributes
    ----------
    input : nengo.Node
        The input ``u`` (``size_in`` dimensions).
    state : nengo.Node
        The memory ``m`` in the LMU's own units (``size_in * order``
        dimensions, input dimension major), unfiltered decoded spikes; probe it
        with a synapse.
    ensembles : list of nengo.Ensemble
        The memory ensembles, ``ensembles[i * order + q]`` holding ``m_q`` of
        input dimension ``i`` (empty for the exact memory).

    Examples
    --------
    >>> import nengo, nengo_lmu
    >>> with nengo.Network(seed=0) as model:
    ...     stim = nengo.Node(nengo.processes.WhiteSignal(2, high=1, rms=0.3))
    ...     memory = nengo_lmu.LMUMemory(order=4, theta=0.5, n_neurons=50)
    ...     _ = nengo.Connection(stim, memory.input, synapse=None)
    ...     delayed = memory.add_window_output(r=0.5)
    ...     probe = nengo.Probe(delayed, synapse=0.05)
    >>> with nengo.Simulator(model, progress_bar=False) as sim:
    ...     sim.run(0.2)
    >>> sim.data[probe].shape
    (200, 1)
    """

    order = IntParam("order", low=1)
    theta = NumberParam("theta", low=0, low_open=True)
    n_neurons = IntParam("n_neurons", low=1)
    neuron_type = Parameter("neuron_type", optional=True)
    dt = NumberParam("dt", low=0, low_open=True)
    size_in = IntParam("size_in", low=1)
    process = Parameter("process", optional=True)
    target = EnumParam("target", values=simulators.BACKENDS)
    discrete = BoolParam("discrete")
    headroom = NumberParam("headroom", low=0, low_open=True)

    def __init__(
        self,
        order,
        theta,
        n_neurons=100,
        neuron_type=nengo.SpikingRectifiedLinear(),
        synapse=nengo.Lowpass(0.5),
        dt=0.001,
        size_in=1,
        process=None,
        target="nengo",
        discrete=True,
        max_rates=nengo.dists.Uniform(120, 160),
        intercepts=nengo.dists.Uniform(-0.3, 0.3),
        headroom=3.0,
        solver=None,
        label=None,
        seed=None,
        add_to_container=None,
    ):
        super().__init__(label=label, seed=seed, add_to_container=add_to_container)
        self.order = order
        self.theta = theta
        self.dt = dt
        check_theta(self.theta, dt=self.dt)
        self.n_neurons = n_neurons
        self.neuron_type = self._check_neuron_type(neuron_type, target)
        self.synapse = nengo.Lowpass(synapse_tau(synapse))
        self.size_in = size_in
        self.process = process
        self.target = target
        self.discrete = discrete
        self.headroom = headroom
        self.max_rates = max_rates
        self.intercepts = intercepts
        self.solver = solver
        self.A, self.B = lmu_matrices(self.order, self.theta)
        self.statistics = InputStatistics(
            default_process(self.theta) if self.process is None else self.process,
            self.order,
            self.theta,
            self.dt,
            self.size_in,
            seed=0 if seed is None else seed,
            headroom=self.headroom,
        )
        self.scale = self.statistics.scale
        with self:
            self.input = nengo.Node(size_in=self.size_in, label="input")
            self.state = nengo.Node(size_in=self.size_in * self.order, label="state")
            self._input_connections = []
            self._recurrent_connections = []
            if self.neuron_type is None:
                self._build_exact()
            else:
                self._build_neural()
        self.configure_for(self.target)

    @staticmethod
    def _check_neuron_type(neuron_type, target):
        if neuron_type is not None and not isinstance(
            neuron_type, nengo.neurons.NeuronType
        ):
            raise ValidationError(
                f"must be a nengo neuron type or None (got {neuron_type!r})",
                attr="neuron_type",
            )
        reason = simulators.unsupported_neuron_type(neuron_type, target)
        if reason is not None:
            raise ValidationError(reason, attr="neuron_type")
        return neuron_type

    def _build_exact(self):
        """Non-neural memory: a node filtered by the same synapse and mapping."""
        for i in range(self.size_in):
            rows = slice(i * self.order, (i + 1) * self.order)
            # transforms are set by configure_for
            feedforward = nengo.Connection(
                self.input[i],
                self.state[rows],
                transform=np.zeros((self.order, 1)),
                synapse=self.synapse,
            )
            recurrent = nengo.Connection(
                self.state[rows],
                self.state[rows],
                transform=np.zeros((self.order, self.order)),
                synapse=self.synapse,
            )
            self._input_connections.append((feedforward, i, None))
            self._recurrent_connections.append((recurrent, i, None, None))

    def _build_neural(self):
        """One ensemble per memory dimension, each holding ``x_q = m_q / scale_q``.

        The input drives the neurons directly (``J += gain e B'_q u / scale_q``):
        a backend that sends host values to its neurons as spikes (Loihi) then
        encodes the one-dimensional ``u / input_scale`` rather than each
        dimension's larger input current.  Transforms, synapses and solvers
        that depend on the simulator are set by `.configure_for`.
        """
        self._encoders = encoders = np.where(
            np.arange(self.n_neurons) % 2 == 0, 1.0, -1.0
        )[:, None]
        scaled_input = nengo.Node(size_in=self.size_in, label="scaled input")
        nengo.Connection(
            self.input,
            scaled_input,
            transform=1 / self.statistics.input_scale,
            synapse=None,
        )
        for i in range(self.size_in):
            dims = []
            for q in range(self.order):
                ens = nengo.Ensemble(
                    self.n_neurons,
                    1,
                    neuron_type=self.neuron_type,
                    encoders=encoders,
                    max_rates=self.max_rates,
                    intercepts=self.intercepts,
                    label=f"m[{i}][{q}]",
                )
                feedforward = nengo.Connection(
                    scaled_input[i], ens.neurons, transform=encoders
                )
                self._input_connections.append((feedforward, i, q))
                nengo.Connection(
                    ens,
                    self.state[i * self.order + q],
                    transform=self.scale[i, q],
                    synapse=None,
                )
                dims.append(ens)
            for q_post, post in enumerate(dims):
                for q_pre, pre in enumerate(dims):
                    recurrent = nengo.Connection(pre, post, synapse=self.synapse)
                    self._recurrent_connections.append((recurrent, i, q_post, q_pre))

    def configure_for(self, backend):
        """Map the recurrence for the synapse and input path of ``backend``.

        Called by every simulator's builder just before it builds this network
        (so the same object is exact on nengo, NengoDL and Loihi); call it
        yourself only to inspect a mapping.  Sets ``mapped_A``, ``mapped_B``
        (in the LMU's units) and the transforms, synapses and solvers of the
        internal connections.
        """
        simulators.check_backend(backend)
        neural = self.neuron_type is not None
        # nodes run on the host, where every backend follows nengo's semantics
        self.mapped_for = backend if neural else "nengo"
        self.mapped_A, self.mapped_B = principle3(
            self.A,
            self.B,
            self.synapse,
            dt=self.dt if self.discrete else None,
            target=self.mapped_for,
        )
        scale = self.scale if neural else np.ones((self.size_in, self.order))
        input_scale = self.statistics.input_scale if neural else np.ones(self.size_in)
        solver = self.solver or simulators.recurrent_solver(self.mapped_for)
        for conn, i, q_post, q_pre in self._recurrent_connections:
            # in ensemble units x = m / scale: x' = (A' x scale) / scale
            recurrent = self.mapped_A * scale[i][None, :] / scale[i][:, None]
            if q_post is None:
                conn.transform = recurrent
            else:
                conn.transform = recurrent[q_post, q_pre]
                conn.solver = solver
        for conn, i, q in self._input_connections:
            feedforward = self.mapped_B[:, 0] / scale[i] * input_scale[i]
            if q is None:
                conn.transform = feedforward[:, None]
            else:
                # nengo multiplies connections into neurons by their gains
                conn.transform = self._encoders * feedforward[q]
                conn.synapse = simulators.input_synapse(self.synapse, self.mapped_for)

    def add_window_output(self, r, label=None):
        """A node decoding the input at ``r * theta`` seconds in the past.

        Parameters
        ----------
        r : float or array_like
            Position(s) in the window, in [0, 1] (0 now, 1 is theta ago).

        Returns
        -------
        nengo.Node
            ``size_in * len(r)`` dimensions; element ``i * len(r) + j`` is
            ``u_i(t - r_j theta)``, unfiltered (probe it with a synapse).
        """
        r = np.atleast_1d(check_window_r(r))
        readout = legendre_readout(self.order, r)
        with self:
            output = nengo.Node(
                size_in=self.size_in * len(r), label=label or f"window{list(r)}"
            )
            for i in range(self.size_in):
                nengo.Connection(
                    self.state[i * self.order : (i + 1) * self.order],
                    output[i * len(r) : (i + 1) * len(r)],
                    transform=readout,
                    synapse=None,
                )
        return output

    def summary(self):
        """What the network was built from and learned about its input.

        Everything here follows from the arguments and the seed: building the
        same memory with the same seed gives the same summary.

        Examples
        --------
        >>> print(LMUMemory(4, 0.5, seed=1).summary().splitlines()[0])
        LMUMemory(order=4, theta=0.5, size_in=1, target='nengo', dt=0.001)
        """
        tau = self.synapse.tau
        decay = simulators.synapse_decay(tau, self.dt, self.mapped_for)
        stats = self.statistics
        lines = [
            f"LMUMemory(order={self.order}, theta={self.theta}, "
            f"size_in={self.size_in}, target={self.target!r}, dt={self.dt})",
            f"  neurons: {self.n_neurons} x {self.neuron_type} per dimension, "
            f"max rates {self.max_rates}, intercepts {self.intercepts}, "
            "alternating +-1 encoders",
            f"  synapse: Lowpass({tau}), decay per step {decay:.6g}, "
            f"{'discrete' if self.discrete else 'continuous'} principle 3, mapped "
            f"for {self.mapped_for!r}",
            f"  input statistics: {stats.n_realizations} x {stats.duration:g} s of "
            f"{self.process or default_process(self.theta)}, seed {stats.seed}",
            "  state std (LMU units): "
            + np.array2string(stats.std, precision=4, separator=", "),
            f"  scale (radius, LMU units; {self.headroom:g} std, floored): "
            + np.array2string(self.scale, precision=4, separator=", "),
            "  input scale (inputs enter divided by it): "
            + np.array2string(stats.input_scale, precision=4, separator=", "),
        ]
        return "\n".join(lines)

    def __repr__(self):
        return (
            f"<LMUMemory order={self.order} theta={self.theta} "
            f"n_neurons={self.n_neurons} size_in={self.size_in} seed={self.seed}>"
        )


simulators.register_builders(LMUMemory)
