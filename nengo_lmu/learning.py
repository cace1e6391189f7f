"""Online PES learning of LMU readouts.

The memory is fixed by the mathematics; what is read out of its window is
learned while the network runs.  `PESReadout` adds to an `.LMUMemory` (or an
LMU network with a ``.memory``) a readout whose decoders start at zero and are
learned with `nengo.PES` towards a *target*, any function of the input's last
``theta`` seconds: a delay (`Delay`), the window's mean (`WindowMean`), energy
(`WindowEnergy`), maximum (`WindowMax`), or a user function of the window.

The learning rate is given in units that mean the same on every backend (see
`PESReadout`): it is the rate, in 1/s, at which the readout's error decays,
whatever the neurons' rates, their number, the size of the target or the
simulator.
"""

import numbers

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import IntParam, Parameter

from nengo_lmu.backends.mapped import FiniteNumberParam


# ---------------------------------------------------------------------------
# Targets: functions of the input's window
# ---------------------------------------------------------------------------


class WindowFunction:
    """A function of the input's last ``theta`` seconds: a learning target.

    ``function(window)`` receives ``window``, an array of shape
    ``(steps, size_in)`` holding the input from ``theta`` seconds ago
    (``window[0]``) to now (``window[-1]``), ``steps = round(theta/dt) + 1``,
    and returns the target (a scalar or a 1-D array).  Calling the target
    itself takes the step too: ``target(window, dt)``.

    Parameters
    ----------
    function : callable
        ``function(window) -> array_like``.
    label : str, optional
        Name used in summaries (default: the function's name).

    Examples
    --------
    >>> peak_to_peak = WindowFunction(lambda w: w.max(axis=0) - w.min(axis=0))
    >>> peak_to_peak(np.array([[0.0], [1.0], [-1.0]]))
    array([2.])
    """

    def __init__(self, function, label=None):
        if function is not None and not callable(function):
            raise ValidationError(
                f"must be callable, a WindowFunction or one of "
                f"{sorted(NAMED_TARGETS)} (got {function!r})",
                attr="target",
            )
        self.function = function
        self.label = label or getattr(function, "__name__", "function")

    def __call__(self, window, dt=None):
        return np.atleast_1d(np.asarray(self.function(window), dtype=float))

    def __repr__(self):
        return f"{type(self).__name__}({self.label})"

    def check(self, theta, dt):
        """Raise a ValidationError if the target cannot be read from the window."""

    def size_out(self, size_in, theta, dt):
        """The target's dimensionality for inputs of ``size_in`` dimensions."""
        window = np.zeros((window_steps(theta, dt), size_in))
        return self(window, dt).size

    def make_step(self, size_in, theta, dt):
        """``step(u) -> target``: feed one input sample, get the target now."""
        n = window_steps(theta, dt)
        buffer = np.zeros((n, size_in))
        index = [0]

        def step(u):
            i = index[0]
            buffer[i] = u
            index[0] = (i + 1) % n
            return self(np.concatenate([buffer[i + 1 :], buffer[: i + 1]]), dt)

        return step


def window_steps(theta, dt):
    """Samples in a window of ``theta`` seconds, both ends included."""
    return int(round(theta / dt)) + 1


class Delay(WindowFunction):
    """The input ``delay`` seconds ago (``0 <= delay <= theta``).

    The delay must be a whole number of simulator steps: at ``dt`` it reads
    the element ``delay / dt`` steps back (a fraction of a step is refused
    rather than rounded).

    Examples
    --------
    >>> Delay(0.002)(np.array([[1.0], [2.0], [3.0], [4.0]]), dt=0.001)
    array([2.])
    >>> Delay(0.002)(np.array([[1.0], [2.0], [3.0], [4.0]]), dt=0.002)
    array([3.])
    """

    def __init__(self, delay):
        number = isinstance(delay, numbers.Real) and not isinstance(delay, bool)
        if not number or not np.isfinite(delay) or delay < 0:
            raise ValidationError(
                f"must be a non-negative number of seconds (got {delay!r})",
                attr="delay",
            )
        self.delay = float(delay)
        super().__init__(None, label=f"delay {self.delay:g} s")

    def __call__(self, window, dt=None):
        if dt is None:
            raise ValidationError(
                "a delay is a number of steps back only for a given step: call "
                "it as delay(window, dt)",
                attr="dt",
            )
        return np.atleast_1d(np.asarray(window)[-1 - self.steps(dt)])

    def steps(self, dt):
        """The delay in steps of ``dt``; a ValidationError if it is not a
        whole number of them (rounding would read another delay silently)."""
        steps = self.delay / dt
        if abs(steps - round(steps)) > 1e-6:
            raise ValidationError(
                f"delay {self.delay:g} s is {steps:g} steps of dt={dt:g} s, not a "
                "whole number of steps; use a multiple of dt",
                attr="delay",
            )
        return int(round(steps))

    def check(self, theta, dt):
        self.steps(dt)
        if self.delay > theta + 1e-12:
            raise ValidationError(
                f"delay {self.delay:g} s lies outside the memory's window "
                f"(theta = {theta:g} s); use a delay in [0, {theta:g}] or a longer "
                "theta",
                attr="delay",
            )

    def size_out(self, size_in, theta, dt):
        return size_in

    def make_step(self, size_in, theta, dt):
        steps = self.steps(dt)
        buffer = np.zeros((steps + 1, size_in))
        index = [0]

        def step(u):
            i = index[0]
            buffer[i] = u
            index[0] = (i + 1) % (steps + 1)
            return buffer[index[0]].copy()

        return step


class _RunningWindow(WindowFunction):
    """A window statistic that is a running sum (mean of ``transform(u)``)."""

    def __init__(self, transform, label):
        self.transform = transform
        super().__init__(lambda w: np.mean(transform(w), axis=0), label=label)

    def size_out(self, size_in, theta, dt):
        return size_in

    def make_step(self, size_in, theta, dt):
        n = window_steps(theta, dt)
        buffer = np.zeros((n, size_in))
        total = np.zeros(size_in)
        index = [0]

        def step(u):
            i = index[0]
            value = self.transform(np.asarray(u, dtype=float))
            total[:] += value - buffer[i]
            buffer[i] = value
            index[0] = (i + 1) % n
            if index[0] == 0:  # resum once a window against rounding drift
                total[:] = buffer.sum(axis=0)
            return total / n

        return step


class WindowMean(_RunningWindow):
    """The mean of the input over the window.

    Examples
    --------
    >>> WindowMean()(np.array([[1.0], [2.0], [6.0]]))
    array([3.])
    """

    def __init__(self):
        super().__init__(lambda u: u, label="window mean")


class WindowEnergy(_RunningWindow):
    """The window's energy: the mean of ``u**2`` over the window.

    Examples
    --------
    >>> WindowEnergy()(np.array([[1.0], [-1.0], [2.0]]))
    array([2.])
    """

    def __init__(self):
        super().__init__(np.square, label="window energy")


class WindowMax(WindowFunction):
    """The maximum of the input over the window.

    Examples
    --------
    >>> WindowMax()(np.array([[1.0], [3.0], [2.0]]))
    array([3.])
    """

    def __init__(self):
        super().__init__(lambda w: np.max(w, axis=0), label="window max")

    def size_out(self, size_in, theta, dt):
        return size_in


NAMED_TARGETS = {"mean": WindowMean, "energy": WindowEnergy, "max": WindowMax}


def as_window_function(target):
    """A `WindowFunction` from a `WindowFunction`, a name or a callable."""
    if isinstance(target, WindowFunction):
        return target
    if isinstance(target, type) and issubclass(target, WindowFunction):
        raise ValidationError(
            f"got the class {target.__name__}; give an instance, e.g. "
            f"{target.__name__}() or Delay(0.5)",
            attr="target",
        )
    if target is None:
        raise ValidationError(
            f"give what to learn: one of {sorted(NAMED_TARGETS)}, a Delay, a "
            "WindowFunction or a callable of the window",
            attr="target",
        )
    if isinstance(target, str):
        if target not in NAMED_TARGETS:
            raise ValidationError(
                f"unknown target {target!r}; use one of {sorted(NAMED_TARGETS)}, "
                "a Delay, a WindowFunction or a callable of the window",
                attr="target",
            )
        return NAMED_TARGETS[target]()
    return WindowFunction(target)


class WindowTarget(nengo.Process):
    """The ideal target: ``target`` evaluated on the input's last ``theta`` s.

    A `nengo.Process` for a `nengo.Node` fed with the memory's input; it runs
    on the host on every backend.

    Examples
    --------
    >>> process = WindowTarget(Delay(0.002), theta=0.01, size_in=1)
    >>> process.apply(np.arange(5.0)[:, None], dt=0.001).ravel()
    array([0., 0., 0., 1., 2.])
    """

    def __init__(self, target, theta, size_in=1, dt=0.001):
        self.target = as_window_function(target)
        self.theta = float(theta)
        self.target.check(self.theta, dt)
        size_out = self.target.size_out(size_in, self.theta, dt)
        super().__init__(default_size_in=size_in, default_size_out=size_out)

    def make_step(self, shape_in, shape_out, dt, rng, state):
        self.target.check(self.theta, dt)
        step = self.target.make_step(shape_in[0], self.theta, dt)
        return lambda t, u: step(u)


# ---------------------------------------------------------------------------
# The learned readout
# ---------------------------------------------------------------------------


class ZeroFunction:
    """The function a learned readout starts from (its decoders are given)."""

    def __init__(self, size_out):
        self.size_out = size_out

    def __call__(self, x):
        return np.zeros(self.size_out)


def _find_memory(network):
    memory = getattr(network, "memory", network)
    for attr in ("input", "ensembles", "theta", "order", "size_in", "backend", "dt"):
        if not hasattr(memory, attr):
            raise ValidationError(
                f"must be an LMUMemory or a network with a .memory (got {network!r})",
                attr="memory",
            )
    return memory


def mean_square_rate(ens_like, x, rng):
    """Mean over neurons and over the points ``x`` of the squared firing rate.

    ``ens_like`` has ``n_neurons``, ``neuron_type``, ``max_rates``,
    ``intercepts`` and ``encoders`` (distributions or arrays) like an Ensemble;
    the gains and biases are sampled as nengo samples them.
    """
    n = min(ens_like.n_neurons, 500)
    x = np.asarray(x).reshape(len(x), -1)

    def sample(value, shape):
        if isinstance(value, nengo.dists.Distribution):
            return value.sample(*shape, rng=rng)
        value = np.asarray(value)
        return value[: shape[0]] if value.ndim else np.full(shape, value)

    max_rates = sample(ens_like.max_rates, (n,)).ravel()
    intercepts = sample(ens_like.intercepts, (n,)).ravel()
    encoders = sample(ens_like.encoders, (n, x.shape[1]))
    encoders = encoders / np.linalg.norm(encoders, axis=1, keepdims=True)
    neuron_type = ens_like.neuron_type
    if neuron_type is None or isinstance(neuron_type, nengo.Direct):
        return 1.0
    gain, bias = neuron_type.gain_bias(max_rates, intercepts)
    rates = neuron_type.rates(x @ encoders.T, gain, bias)
    return float(np.mean(rates**2))


class PESReadout(nengo.Network):
    """A readout of an LMU's window learned online with PES.

    The readout's decoders start at zero (or at ``decoders``) and are learned
    with `nengo.PES` so that `output` follows ``target``, a function of the
    memory's input over its window ``theta``. The ideal target is computed
    on the host from the input (`WindowTarget`); the error
    ``output - target`` is gated by ``learn_start``/``learn_stop`` and the
    `stop_learning` input.

    Parameters
    ----------
    memory : LMUMemory
        The memory to read out (or a network with a ``.memory``).
    target : WindowFunction, str or callable
        A `Delay`, `WindowMean`, `WindowEnergy`, `WindowMax`, one of the names
        ``"mean"``, ``"energy"``, ``"max"``, or a callable of the window (see
        `WindowFunction`).
    learning_rate : float
        Rate, in 1/s, at which the readout's error decays while it learns:
        with ``learning_rate=1`` an error common to all inputs falls by
        ``1/e`` in about a second.  It is normalized by the pre neurons'
        mean squared rate, their number, the expected size of the target
        and the backend, so the same value learns at the same speed on nengo,
        NengoDL and nengo-loihi.
    n_neurons : int or None
        None (default) learns decoders straight from the memory ensembles:
        cheapest, and exact for targets that are linear in the memory (delays,
        the mean) or sums of functions of each Legendre coefficient (the
        energy, by Parseval).  An int adds a readout ensemble of that many
        neurons representing the whole memory, for targets that mix the
        coefficients (e.g. the max).
    learn_start, learn_stop : float or None
        Learning is on for ``learn_start <= t < learn_stop`` (seconds;
        ``learn_stop=None`` never stops).
    decoders : ndarray, optional
        Initial decoders, ``(size_out, n_pre)`` with ``n_pre`` the pre
        neurons in order (the memory ensembles, or the readout ensemble).
        Default zeros.
    size_out : int, optional
        The readout's dimensions; must match the target's.
    synapse : float
        Lowpass on the readout's output (seconds).
    pre_synapse : float
        PES's filter on the pre activities (seconds; a multiple of dt).
    error_range : float, optional
        The size of the errors to expect, used to normalize the error (sent
        in [-1, 1], which nengo-loihi passes to the chip unclipped). Default:
        the largest target on 20 windows of the memory's expected input.
    neuron_type, max_rates, intercepts
        Tuning of the readout ensemble (default: the memory's neuron type,
        or spiking rectified-linear neurons for an exact memory).
    label, seed, add_to_container
        As for `nengo.Network`.

    Attributes
    ----------
    output : nengo.Node
        The learned readout (filtered by ``synapse``).
    ideal : nengo.Node
        The ideal target computed from the input.
    error : nengo.Node
        The normalized error sent to PES (zero while learning is off).
    stop_learning : nengo.Node
        Learning is off while this input exceeds 0.5 (unconnected: on).
    ensemble : nengo.Ensemble or None
        The readout ensemble.
    learned_connections : list of nengo.Connection
        The learned connections.

    Examples
    --------
    >>> import nengo, nengo_lmu
    >>> from nengo_lmu.learning import Delay, PESReadout
    >>> with nengo.Network(seed=0) as model:
    ...     stim = nengo.Node(nengo.processes.WhiteSignal(5, high=2, rms=0.3))
    ...     memory = nengo_lmu.LMUMemory(order=4, theta=0.5, n_neurons=50)
    ...     _ = nengo.Connection(stim, memory.input, synapse=None)
    ...     readout = PESReadout(memory, Delay(0.25), learn_stop=0.15)
    ...     probe = nengo.Probe(readout.output)
    >>> with nengo.Simulator(model, progress_bar=False) as sim:
    ...     sim.run(0.2)
    >>> sim.data[probe].shape
    (200, 1)
    """

    learning_rate = FiniteNumberParam("learning_rate", low=0)
    n_neurons = IntParam("n_neurons", low=1, optional=True)
    learn_start = FiniteNumberParam("learn_start", low=0)
    learn_stop = FiniteNumberParam("learn_stop", low=0, optional=True)
    size_out = IntParam("size_out", low=1)
    synapse = FiniteNumberParam("synapse", low=0)
    pre_synapse = FiniteNumberParam("pre_synapse", low=0, low_open=True)
    error_range = FiniteNumberParam("error_range", low=0, low_open=True, optional=True)
    decoders = Parameter("decoders", optional=True)

    def __init__(
        self,
        memory,
        target,
        learning_rate=1.0,
        n_neurons=None,
        learn_start=0.0,
        learn_stop=None,
        decoders=None,
        size_out=None,
        synapse=0.05,
        pre_synapse=0.02,
        error_range=None,
        neuron_type=None,
        max_rates=nengo.dists.Uniform(100, 120),
        intercepts=nengo.dists.Uniform(-1.0, 0.5),
        label=None,
        seed=None,
        add_to_container=None,
    ):
        super().__init__(label=label, seed=seed, add_to_container=add_to_container)
        self.memory = _find_memory(memory)
        self.theta = self.memory.theta
        self.dt = self.memory.dt
        self.learning_rate = learning_rate
        self.n_neurons = n_neurons
        self.learn_start = learn_start
        self.learn_stop = learn_stop
        if self.learn_stop is not None and self.learn_stop <= self.learn_start:
            raise ValidationError(
                f"learning stops at {self.learn_stop:g} s, before it starts at "
                f"learn_start={self.learn_start:g} s; give learn_stop > learn_start "
                "(or None to learn throughout)",
                attr="learn_stop",
            )
        self.synapse = synapse
        self.pre_synapse = pre_synapse

        self.window_target = WindowTarget(
            target, self.theta, size_in=self.memory.size_in, dt=self.dt
        )
        self.target = self.window_target.target
        target_size = self.window_target.default_size_out
        if size_out is not None and size_out != target_size:
            raise ValidationError(
                f"target {self.target} gives {target_size} dimensions for "
                f"{self.memory.size_in} input dimension(s) but the readout has "
                f"size_out={size_out}",
                attr="target",
            )
        self.size_out = target_size
        self.error_range = (
            self.expected_target_range() if error_range is None else error_range
        )

        if neuron_type is None:  # the memory's; an exact memory has none
            neuron_type = self.memory.neuron_type or nengo.SpikingRectifiedLinear()
        self.neuron_type = neuron_type
        self.max_rates = max_rates
        self.intercepts = intercepts

        with self:
            self.ideal = nengo.Node(self.window_target, label="ideal")
            nengo.Connection(self.memory.input, self.ideal, synapse=None)
            self.output = nengo.Node(size_in=self.size_out, label="output")
            self.stop_learning = nengo.Node(size_in=1, label="stop_learning")
            self.error = nengo.Node(
                self._error_function(),
                size_in=2 * self.size_out + 1,
                size_out=self.size_out,
                label="error",
            )
            nengo.Connection(self.output, self.error[: self.size_out], synapse=None)
            nengo.Connection(self.ideal, self.error[self.size_out : -1], synapse=None)
            nengo.Connection(self.stop_learning, self.error[-1], synapse=None)
            self.ensemble = None
            if self.n_neurons is None:
                pres = list(self.memory.ensembles)
                if not pres:
                    raise ValidationError(
                        "the exact memory has no neurons to learn from; give the "
                        "readout its own ensemble (n_neurons=...) or use a spiking "
                        "memory",
                        attr="n_neurons",
                    )
            else:
                pres = [self._build_readout_ensemble()]
            self.pre_ensembles = pres
            self.learned_connections = self._build_learned(pres, decoders)

    # -- construction -----------------------------------------------------

    def expected_target_range(self):
        """The largest target over 20 windows of the memory's expected input."""
        process = getattr(self.memory, "process", None)
        if process is None:
            from nengo_lmu.memory import default_process  # no cycle at import

            process = default_process(self.theta, dt=self.dt)
        duration = max(20 * self.theta, getattr(process, "period", 0) or 0)
        steps = int(round(duration / self.dt))
        u = process.run_steps(
            steps, d=self.memory.size_in, dt=self.dt, rng=np.random.RandomState(0)
        )
        step = self.target.make_step(self.memory.size_in, self.theta, self.dt)
        skip = window_steps(self.theta, self.dt)
        values = np.array([step(u_k) for u_k in u])[skip:]
        return float(max(np.max(np.abs(values)), 1e-12))

    def _error_function(self):
        size, start, stop = self.size_out, self.learn_start, self.learn_stop
        scale = 1.0 / self.error_range

        def error(t, x):
            on = t >= start and (stop is None or t < stop) and x[-1] <= 0.5
            if not on:
                return np.zeros(size)
            return (x[:size] - x[size : 2 * size]) * scale

        return error

    def _build_readout_ensemble(self):
        memory = self.memory
        dims = memory.size_in * memory.order
        self.ensemble = nengo.Ensemble(
            self.n_neurons,
            dims,
            neuron_type=self.neuron_type,
            max_rates=self.max_rates,
            intercepts=self.intercepts,
            label="readout",
        )
        # the memory's recurrent solver: neuron-to-neuron weights where the
        # memory needs them (Loihi)
        solver = self.memory.backend.recurrent_solver(0.01)
        for k, ens in enumerate(memory.ensembles):
            nengo.Connection(
                ens, self.ensemble[k], synapse=self.pre_synapse, solver=solver
            )
        return self.ensemble

    def _pre_points(self, ens, n_points=500):
        """Points the pre ensemble represents (Gaussian, the memory's statistics)."""
        memory = self.memory
        std = np.asarray(memory.statistics.std) / np.asarray(memory.scale)
        std = std.reshape(-1)  # (size_in * order,), ensemble order
        rng = np.random.RandomState(1)
        points = rng.standard_normal((n_points, std.size)) * std
        if ens is self.ensemble:
            return points
        k = list(memory.ensembles).index(ens)
        return points[:, k : k + 1]

    def pes_rates(self):
        """The nengo PES ``learning_rate`` of each learned connection."""
        rng = np.random.RandomState(0)
        rates = []
        for ens in self.pre_ensembles:
            a2 = mean_square_rate(ens, self._pre_points(ens), rng)
            rates.append(self.learning_rate / (len(self.pre_ensembles) * a2))
        return rates

    def _build_learned(self, pres, decoders):
        n_pre = sum(ens.n_neurons for ens in pres)
        if decoders is not None:
            decoders = np.asarray(decoders, dtype=float)
            if decoders.shape != (self.size_out, n_pre):
                raise ValidationError(
                    f"must have shape (size_out, n_pre) = ({self.size_out}, "
                    f"{n_pre}) (got {decoders.shape})",
                    attr="decoders",
                )
        connections = []
        offset = 0
        for ens, rate in zip(pres, self.pes_rates()):
            if decoders is None:
                solver = nengo.solvers.NoSolver(
                    np.zeros((ens.n_neurons, self.size_out))
                )
            else:
                block = decoders[:, offset : offset + ens.n_neurons]
                solver = nengo.solvers.NoSolver(block.T.copy())
            offset += ens.n_neurons
            conn = nengo.Connection(
                ens,
                self.output,
                function=ZeroFunction(self.size_out),
                synapse=self.synapse,
                solver=solver,
                learning_rule_type=nengo.PES(
                    learning_rate=rate * self.error_range,
                    pre_synapse=self.pre_synapse,
                ),
            )
            nengo.Connection(self.error, conn.learning_rule, synapse=None)
            connections.append(conn)
        return connections

    def summary(self):
        """What the readout learns and how."""
        pre = (
            f"{len(self.pre_ensembles)} memory ensembles"
            if self.ensemble is None
            else f"a readout ensemble of {self.n_neurons} neurons"
        )
        stop = "never" if self.learn_stop is None else f"{self.learn_stop:g} s"
        return (
            f"PESReadout({self.target}, learning_rate={self.learning_rate:g}/s)\n"
            f"  from {pre}, learning from {self.learn_start:g} s until {stop}\n"
            f"  error normalized by {self.error_range:.4g}; PES rates "
            + ", ".join(f"{r:.3g}" for r in self.pes_rates())
        )
