"""LMUMemory: the LMU's linear memory as a recurrent (spiking) Nengo network."""

import functools
import numbers
import warnings

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import BoolParam, EnumParam, IntParam, NumberParam, Parameter

from nengo_lmu.backends.mapped import FiniteNumberParam, MappedNetwork
from nengo_lmu.mapping import principle3, synapse_tau
from nengo_lmu.system import (
    DISCRETIZE_METHODS,
    check_order,
    check_theta,
    check_window_r,
    ideal_memory,
    legendre_readout,
    lmu_matrices,
)

#: The moments `InputStatistics.to_dict` gives.
MOMENTS = ("mean", "std", "input_peak")
#: How many state values `LMUMemory.weight_connections` gives per connection.
WEIGHT_POINTS = 2000


def default_process(theta, rms=0.3, dt=None):
    """The input an LMU memory assumes when none is given.

    Band-limited white noise up to ``1/theta`` Hz (one cycle per window;
    given ``dt``, at most the Nyquist frequency ``1 / (2 dt)``), rms 0.3 by
    default, so that peaks stay within nengo's unit radius.
    """
    high = 1 / theta if dt is None else min(1 / theta, 0.5 / dt)
    return nengo.processes.WhiteSignal(period=20 * theta, high=high, rms=rms)


class InputStatistics:
    """What an LMU memory learned about its expected input.

    Each memory dimension gets the scale ``|mean| + headroom * std`` of its
    state (the mean where it stands out from the runs' spread, else 0),
    floored at ``scale_floor`` times the largest scale of its memory
    (the highest Legendre dimensions carry little variance; scaling them up
    amplifies the decoding noise that the recurrence feeds into them).

    Made from a process (here: the ideal memory driven by ``n_realizations``
    independent runs of ``process``, pooled, as one run's statistics swing by
    20-30 %), or from recorded inputs (`measured`), or from the moments a
    measurement saved (`from_dict`).

    Attributes
    ----------
    mean, std : (size_in, order) ndarray
        Mean (0 where it does not stand out from noise) and standard deviation
        of each memory dimension, in the LMU's units.
    scale : (size_in, order) ndarray
        The value of each memory dimension that maps to its ensembles' radius.
    input_peak : (size_in,) ndarray
        The largest absolute input seen.
    input_scale : (size_in,) ndarray
        ``1.25 * input_peak``: inputs enter the network divided by it.
    source : str
        What the statistics were measured on.
    process, seed, n_realizations, duration
        Those of the process measured (None for recorded inputs).

    Examples
    --------
    >>> u = np.sin(np.linspace(0, 20, 5000))[None, :, None]  # one sequence
    >>> stats = InputStatistics.measured(u, order=4, theta=0.5, dt=0.001)
    >>> stats.scale.shape, float(stats.input_peak[0].round(2))
    ((1, 4), 1.0)
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
        self.process = process
        self.duration = max(20 * theta, getattr(process, "period", 0) or 0)
        self.seed = seed
        self.n_realizations = n_realizations
        steps = int(round(self.duration / dt))
        signals = np.stack(
            [
                process.run_steps(
                    steps, d=size_in, dt=dt, rng=np.random.RandomState([seed, k])
                )
                for k in range(n_realizations)
            ]
        )
        # the first window is a transient from the zero initial state
        states = _pooled_states(signals, order, theta, dt)[:, int(round(theta / dt)) :]
        self._fit(
            _significant_mean(states),
            states.std((0, 1)),
            np.abs(signals).max(axis=(0, 1)),
            headroom,
            scale_floor,
            f"{n_realizations} x {self.duration:g} s of {process}, seed {seed}",
        )

    @classmethod
    def measured(cls, signals, order, theta, dt, headroom=3.0):
        """The statistics of recorded inputs ``signals``, ``(sequences, steps,
        size_in)``, each sequence driving the ideal memory from rest (as a
        trained network's memory sees them).  A memory given them scales them
        for its own ``headroom``."""
        signals = np.asarray(signals, dtype=float)
        if signals.ndim != 3 or 0 in signals.shape or not np.all(np.isfinite(signals)):
            raise ValidationError(
                "must be finite, shaped (sequences, steps, size_in), none of "
                f"them 0; got shape {signals.shape}",
                attr="signals",
            )
        states = _pooled_states(signals, order, theta, dt)
        return cls.from_dict(
            {
                "mean": _significant_mean(states),
                "std": states.std((0, 1)),
                "input_peak": np.abs(signals).max(axis=(0, 1)),
                "source": f"{len(signals)} recorded sequences of "
                f"{signals.shape[1] * dt:g} s",
            },
            headroom=headroom,
        )

    @classmethod
    def from_dict(cls, moments, headroom=3.0, scale_floor=0.1):
        """Statistics from `to_dict`'s moments (`check_moments`), scaled for
        ``headroom``."""
        moments = check_moments(moments, attr="moments")
        stats = cls.__new__(cls)
        stats.process = stats.seed = stats.n_realizations = stats.duration = None
        stats._fit(
            *(moments[key] for key in MOMENTS),
            headroom,
            scale_floor,
            moments.get("source", "given moments"),
        )
        return stats

    def to_dict(self):
        """The moments, as lists (JSON-safe): `from_dict` makes them again."""
        return {
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "input_peak": self.input_peak.tolist(),
            "source": self.source,
        }

    def _fit(self, mean, std, input_peak, headroom, scale_floor, source):
        self.mean, self.std, self.input_peak = mean, std, input_peak
        self.source = source
        scale = np.abs(mean) + headroom * np.maximum(std, 1e-12)
        self.scale = np.maximum(scale, scale_floor * scale.max(axis=1, keepdims=True))
        self.input_scale = 1.25 * np.maximum(input_peak, 1e-12)


def check_moments(statistics, size_in=None, order=None, attr="statistics", obj=None):
    """``statistics`` (an `InputStatistics` or its `~InputStatistics.to_dict`
    moments) as moments of arrays, checked for a memory of ``size_in`` inputs
    of ``order`` dimensions each (default: those of ``std``); a
    ValidationError naming ``attr`` if not."""

    def refuse(message):
        raise ValidationError(message, attr=attr, obj=obj)

    if isinstance(statistics, InputStatistics):
        statistics = statistics.to_dict()
    if not isinstance(statistics, dict):
        refuse(
            "must be an InputStatistics or its to_dict() moments, not "
            f"{type(statistics).__name__}"
        )
    missing = set(MOMENTS) - set(statistics)
    if missing:
        refuse(f"the moments lack {sorted(missing)}")
    try:
        values = {key: np.asarray(statistics[key], dtype=float) for key in MOMENTS}
    except (TypeError, ValueError):
        refuse(f"the moments {MOMENTS} must be arrays of numbers")
    state = values["std"].shape if size_in is None else (size_in, order)
    if len(state) != 2:
        refuse(f"std has shape {state}; it must be (size_in, order)")
    size_in, order = state
    shapes = {"mean": state, "std": state, "input_peak": (size_in,)}
    for key, shape in shapes.items():
        if values[key].shape != shape:
            refuse(
                f"{key} has shape {values[key].shape}; a memory of size_in={size_in}, "
                f"order={order} needs {shape}"
            )
        if not np.all(np.isfinite(values[key])):
            refuse(f"the moments must be finite ({key} is not)")
    return dict(statistics, **values)


def as_moments(statistics):
    """Statistics (an `InputStatistics` or its moments) as JSON-safe moments;
    None stays None."""
    if statistics is None:
        return None
    if isinstance(statistics, InputStatistics):
        return statistics.to_dict()
    return {
        key: value if key == "source" else np.asarray(value).tolist()
        for key, value in statistics.items()
    }


#: The `LMUMemory` tuning arguments a memory's ``tuning`` may override: the
#: ranges as ``[low, high]`` (uniform), the numbers as numbers.
TUNING_RANGES = ("max_rates", "intercepts")
TUNING_NUMBERS = ("lead", "headroom")


def check_tuning(tuning, attr="memory_tuning", obj=None):
    """``tuning`` (a dict of `LMUMemory` tuning arguments: ``max_rates`` and
    ``intercepts`` as ``[low, high]`` or `nengo.dists.Uniform`, ``lead`` and
    ``headroom`` as numbers) checked and made JSON-safe (ranges as two
    floats); `tuning_arguments` makes the arguments."""

    def refuse(message):
        raise ValidationError(message, attr, obj=obj)

    if not isinstance(tuning, dict):
        refuse(f"must be a dict of tuning arguments (got {tuning!r})")
    unknown = sorted(set(tuning) - set(TUNING_RANGES + TUNING_NUMBERS))
    if unknown:
        refuse(
            f"unknown tuning arguments {unknown}; give some of "
            f"{list(TUNING_RANGES + TUNING_NUMBERS)}"
        )
    checked = {}
    for key, value in tuning.items():
        if key in TUNING_RANGES:
            if isinstance(value, nengo.dists.Uniform):
                value = [value.low, value.high]
            bounds = _finite_numbers(value)
            if bounds is None or bounds.shape != (2,) or bounds[0] > bounds[1]:
                refuse(f"{key} must be [low, high] with low <= high (got {value!r})")
            checked[key] = [float(b) for b in bounds]
        else:
            number = _finite_numbers(value)
            if number is None or number.ndim != 0:
                refuse(f"{key} must be a finite number (got {value!r})")
            checked[key] = float(number)
    if checked.get("max_rates", [1])[0] <= 0:
        refuse("max_rates must be above 0 Hz")
    if checked.get("intercepts", [0, 0])[1] >= 1:
        refuse("intercepts must stay below 1 (a neuron must fire within its radius)")
    if checked.get("headroom", 1) <= 0:
        refuse("headroom must be above 0")
    return checked


def _finite_numbers(value):
    """``value`` as a float array, or None unless it is finite numbers (not
    strings or booleans)."""
    flat = np.ravel(np.asarray(value, dtype=object))
    if not all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in flat
    ):
        return None
    array = np.asarray(value, dtype=float)
    return array if np.all(np.isfinite(array)) else None


def tuning_arguments(tuning):
    """`LMUMemory` arguments from a checked ``tuning`` (`check_tuning`)."""
    return {
        key: nengo.dists.Uniform(*value) if key in TUNING_RANGES else value
        for key, value in (tuning or {}).items()
    }


def _significant_mean(states):
    """The mean of ``states`` ``(runs, steps, size_in, order)`` where it
    stands out from the spread of the runs' own means (by 3 standard errors;
    a single run's is kept), else 0: a zero-mean input's states average to
    noise, which would only shift the scale at random."""
    run_means = states.mean(axis=1)
    mean = run_means.mean(axis=0)
    error = run_means.std(axis=0) / np.sqrt(len(run_means))
    return np.where(np.abs(mean) > 3 * error, mean, 0.0)


def _pooled_states(signals, order, theta, dt):
    """The ideal memory's states for ``signals`` ``(runs, steps, size_in)``,
    each run from rest: ``(runs, steps, size_in, order)``."""
    runs, steps, size_in = signals.shape
    # every run as extra input dimensions of one ideal memory
    pooled = signals.transpose(1, 0, 2).reshape(steps, runs * size_in)
    states = ideal_memory(pooled, order, theta, dt)
    return states.reshape(steps, runs, size_in, order).transpose(1, 0, 2, 3)


class Scaled:
    """A node function ``x * factor`` (picklable)."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, t, x):
        return x * self.factor


class LMUMemory(MappedNetwork):
    """The Legendre Memory Unit's memory as a recurrent Nengo network.

    Implements ``theta dm/dt = A m + B u`` (one memory of ``order`` dimensions
    per input dimension) so that ``u(t - r theta) ~= legendre_readout(order, r)
    @ m(t)``.  Each memory dimension is an ensemble of ``n_neurons`` neurons,
    scaled so that it fills its radius for the expected input ``process``; the
    recurrence is mapped with principle 3, exactly for the synapse that
    ``backend``'s simulator runs at step ``dt``.

    The network is mapped once, here, and the simulator builds it as it is:
    a simulator with another step refuses it, and so does one whose synapse
    or input path differ from ``backend``'s (nengo and NengoDL share theirs;
    nengo-loihi's chip quantizes the decay and filters host inputs itself),
    with a message naming the ``backend`` to build it with.  The exact memory
    (``neuron_type=None``) runs on the host, the same everywhere.

    Parameters
    ----------
    order : int
        Number of Legendre coefficients ``d`` per input dimension.
    theta : float
        Window length in seconds (at least ``dt``).
    n_neurons : int
        Neurons per memory dimension.
    neuron_type : nengo.neurons.NeuronType or None
        Neurons of the memory ensembles; None builds the exact non-neural memory.
    synapse : nengo.Lowpass or float, optional
        Recurrent synapse (a float is its time constant in seconds); default
        the backend's choice for ``neuron_type`` (see `summary`).
    dt : float
        Simulator step the network is mapped for.
    size_in : int
        Input dimensions; each gets its own memory.
    process : nengo.Process, optional
        The input the user expects, used to scale each memory dimension to its
        ensemble. Default: `.default_process` (white noise to ``1/theta`` Hz,
        rms 0.3).  See also ``statistics``.
    backend : {"nengo", "dl", "loihi"}
        The simulator the mapping is exact for.
    discrete : bool
        Map with discrete (exact at ``dt``) rather than continuous principle 3.
    discretizer : {"zoh", "euler", "bilinear"}
        How the discrete memory ``(Ad, Bd)`` is made (keras-lmu's
        ``discretizer``; ``"zoh"`` is exact for inputs held over each step).
    max_rates, intercepts : nengo.dists.Distribution, optional
        Tuning of the memory neurons; default the backend's choice for
        ``neuron_type``.
    headroom : float, optional
        The radius of each ensemble: its state's mean (absolute) plus this
        many standard deviations.
    solver : nengo.solvers.Solver, optional
        Solver of the recurrent connections; default the backend's
        (``LstsqL2`` decoded on nengo, neuron-to-neuron weights on Loihi).
    decay : float, optional
        The per-step decay of the recurrent synapse that principle 3 maps
        for; default the one the backend's simulator really applies (exact).
        Another value maps deliberately for another synapse (to measure what
        exactness is worth).
    lead : float, optional
        The lead (seconds) of the memory neurons' decoded output over the
        state (``x + lead dx/dt``) that principle 3 and the state's readout
        compensate; default the backend's figure for ``neuron_type`` (3.5 ms
        for spiking LIF neurons with their default tuning; -3.5 ms, a lag, for
        rectified-linear neurons that reset to zero, as Loihi's do; else 0).
    input_synapse : nengo.Lowpass, float or None, optional
        The synapse on the input's connections; default (``"backend"``): none
        for a digital memory (``synapse=0``: ``m_t = Ad m_{t-1} + Bd u_t``,
        keras-lmu's update), else the backend's choice (``synapse``, or none
        where the chip filters host inputs itself).
    read_input : bool, optional
        Whether reading the state undoes the input's part of the neurons' lead
        (``k B u``, see ``lead``) through a host node fed by the memory's
        input.  False reads ``(I + k A)^-1 xhat`` alone, slightly less exact
        (0.028 against 0.026 on DESIGN.md's memory with Loihi's neurons), but
        without that host node: `.LMUNetwork` passes False, so that a memory
        whose input comes from the chip keeps its readout on the chip.
    statistics : InputStatistics or dict, optional
        The input statistics to scale the memory for, instead of those of
        ``process``: e.g. `.InputStatistics.measured` on the inputs a trained
        network gives its memory (white noise can be far from them: a trained
        encoder's output may have a large rms, a mean, or energy above
        ``1/theta`` Hz), or its `~.InputStatistics.to_dict` moments.  Their
        scale follows this memory's ``headroom``.
    label, seed, add_to_container
        As for `nengo.Network`.
    target : str, optional
        Deprecated name of ``backend``.

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
    mapped_A, mapped_B : ndarray
        The recurrent and input transforms of principle 3 (in LMU units).
    pair_connections : list of nengo.Connection
        The neuron-to-neuron recurrent connections, one per ensemble pair
        (where the backend's solver gives weights, as on Loihi; else empty).

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
    size_in = IntParam("size_in", low=1)
    process = Parameter("process", optional=True)
    discrete = BoolParam("discrete")
    read_input = BoolParam("read_input")
    discretizer = EnumParam("discretizer", values=DISCRETIZE_METHODS)
    headroom = FiniteNumberParam("headroom", low=0, low_open=True)

    def __init__(
        self,
        order,
        theta,
        n_neurons=100,
        neuron_type=nengo.SpikingRectifiedLinear(),
        synapse=None,
        dt=0.001,
        size_in=1,
        process=None,
        backend="nengo",
        discrete=True,
        discretizer="zoh",
        max_rates=None,
        intercepts=None,
        headroom=None,
        solver=None,
        decay=None,
        lead=None,
        input_synapse="backend",
        read_input=True,
        statistics=None,
        label=None,
        seed=None,
        add_to_container=None,
        target=None,
    ):
        backend = deprecated_target(backend, target)
        super().__init__(
            backend, dt, label=label, seed=seed, add_to_container=add_to_container
        )
        self.order = check_order(order)
        self.theta = check_theta(theta, dt=self.dt)
        self.n_neurons = n_neurons
        self.neuron_type = self._check_neuron_type(neuron_type)
        self.size_in = size_in
        self.process = process
        self.given_statistics = self._check_statistics(statistics)
        self.discrete = discrete
        self.read_input = read_input
        self.discretizer = discretizer
        tuning = self.tuning = self._tuning()
        self.synapse = nengo.Lowpass(
            synapse_tau(tuning["synapse"] if synapse is None else synapse)
        )
        if self.neuron_type is not None and self.synapse.tau == 0:
            self._check_unfiltered()
        self.headroom = tuning["headroom"] if headroom is None else headroom
        self.max_rates = tuning["max_rates"] if max_rates is None else max_rates
        self.intercepts = tuning["intercepts"] if intercepts is None else intercepts
        self._check_tuning()
        self.solver = self._check_solver(solver)
        self.A, self.B = lmu_matrices(self.order, self.theta)
        self.decay = self._decay(self.mapped_backend) if decay is None else decay
        self.lead = tuning.get("lead", 0.0) if lead is None else _number(lead, "lead")
        if isinstance(input_synapse, str) and input_synapse == "backend":
            input_synapse = self._input_synapse(self.mapped_backend)
        self.input_synapse = input_synapse
        self.mapped_A, self.mapped_B = principle3(
            self.A,
            self.B,
            self.synapse,
            dt=self.dt if self.discrete else None,
            decay=self.decay,
            method=self.discretizer,
            lead=self.lead,
        )
        self.pair_connections = []
        with self:
            self.input = nengo.Node(size_in=self.size_in, label="input")
            self.state = nengo.Node(size_in=self.size_in * self.order, label="state")
            if self.neuron_type is None:
                self._build_exact()
            else:
                self._build_neural()

    # --- construction -------------------------------------------------------

    def _check_statistics(self, statistics):
        if self.process is not None and not isinstance(self.process, nengo.Process):
            raise ValidationError(
                f"must be a nengo.Process the memory's input is like, e.g. "
                f"nengo.processes.WhiteSignal(period, high, rms) (got "
                f"{self.process!r})",
                attr="process",
                obj=self,
            )
        if statistics is None:
            return None
        if self.process is not None:
            raise ValidationError(
                "give the expected input either as a process or as statistics, "
                "not both",
                attr="statistics",
                obj=self,
            )
        return check_moments(statistics, self.size_in, self.order, obj=self)

    def _check_neuron_type(self, neuron_type):
        if neuron_type is not None and not isinstance(
            neuron_type, nengo.neurons.NeuronType
        ):
            raise ValidationError(
                f"must be a nengo neuron type or None (got {neuron_type!r})",
                attr="neuron_type",
            )
        reason = self.backend.unsupported(neuron_type)
        if reason is None and neuron_type is not None:
            reason = _unmappable(neuron_type, self.dt)
        if reason is not None:
            raise ValidationError(reason, attr="neuron_type")
        return neuron_type

    def _check_unfiltered(self):
        """A memory on neurons without a recurrent synapse (the digital
        update ``m_t = Ad m_{t-1} + Bd u_t``, as keras-lmu runs it once per
        element) feeds its decoded output straight back: spikes cannot be
        (each is an impulse), and rates add their decoding error at every
        step, which over a long window adds up (1 s at 1 ms: NRMSE 0.30,
        against 0.03 with a synapse)."""
        if self.neuron_type.spiking:
            raise ValidationError(
                "a memory of spiking neurons needs a recurrent synapse: without "
                "one each spike is fed straight back into the state; give a time "
                "constant (a quarter of theta suits spiking memories) or None for "
                f"the backend's ({self.tuning['synapse']:g} s)",
                attr="synapse",
                obj=self,
            )
        steps = self.theta / self.dt
        if steps > UNFILTERED_STEPS:
            warnings.warn(
                f"{self}: a memory on neurons without a recurrent synapse adds "
                f"its decoding error at every step, and its window of {steps:.0f} "
                f"steps lets it add up (beyond {UNFILTERED_STEPS} steps it loses "
                "the window); give a synapse (a quarter of theta) unless each "
                "step is one element, as when training"
            )

    def _check_solver(self, solver):
        if solver is not None and not isinstance(solver, nengo.solvers.Solver):
            raise ValidationError(
                f"must be a nengo.solvers.Solver, e.g. nengo.solvers.LstsqL2"
                f"(weights=True), or None for the backend's (got {solver!r})",
                attr="solver",
                obj=self,
            )
        return solver

    def _tuning(self):
        if self.neuron_type is None:
            return {
                "max_rates": None,
                "intercepts": None,
                "synapse": 0.5,
                "solver_reg": None,
                "headroom": 3.0,
                "readout": "decoded",
                "lead": 0.0,
                "reason": "the exact memory: no neurons to tune",
            }
        return self.backend.memory_tuning(self.neuron_type)

    def _check_tuning(self):
        """Refuse non-finite tuning given as numbers (a distribution is
        checked on a sample)."""
        if self.neuron_type is None:
            return
        for attr in ("max_rates", "intercepts"):
            value = getattr(self, attr)
            try:
                if isinstance(value, nengo.dists.Distribution):
                    value = value.sample(self.n_neurons, rng=np.random.RandomState(0))
                value = np.asarray(value, dtype=float)
            except (TypeError, ValueError, OverflowError) as error:
                raise ValidationError(
                    f"cannot be sampled as numbers ({error})", attr=attr
                ) from error
            if not np.all(np.isfinite(value)):
                raise ValidationError(
                    f"holds NaN or infinite values ({value.ravel()[:4]}...)",
                    attr=attr,
                )
            if value.ndim and value.size not in (1, self.n_neurons):
                raise ValidationError(
                    f"has {value.size} values for n_neurons={self.n_neurons}",
                    attr=attr,
                )
        self._check_gains()

    def _check_gains(self):
        """Refuse a tuning the neurons cannot have (nengo would say so only
        when building, and blame the intercepts)."""
        for k in range(self.size_in * self.order):  # each ensemble's sample
            max_rates, intercepts = (
                np.broadcast_to(value, self.n_neurons) for value in self._pairs(k)
            )
            gain, reason = self._gains(max_rates, intercepts)
            if gain is not None and np.all(np.isfinite(gain) & (gain > 0)):
                continue
            raise ValidationError(
                f"{type(self.neuron_type).__name__} neurons cannot have max_rates "
                f"{_span(max_rates)} Hz with intercepts {_span(intercepts)}: "
                f"{reason}; give max_rates and intercepts it can reach",
                attr="max_rates",
                obj=self,
            )

    def _gains(self, max_rates, intercepts):
        """The neurons' gains for a tuning (None if it has none) and what is
        wrong with them."""
        try:
            with np.errstate(all="ignore"):
                gain, _ = self.neuron_type.gain_bias(max_rates, intercepts)
        except (ValidationError, ValueError, ZeroDivisionError) as error:
            return None, str(error)
        return gain, "they give gains that are not finite and positive"

    def _pairs(self, k):
        """Max rates and intercepts of ensemble ``k`` as mirrored pairs:
        neuron ``2j + 1`` has neuron ``2j``'s tuning and the opposite encoder,
        so that the decoding error is odd in x (no offset at 0, which the
        memory would integrate like an input).  Arrays given by the user are
        used as they are."""
        rng = np.random.RandomState(None if self.seed is None else [self.seed, k])
        half = (self.n_neurons + 1) // 2
        values = []
        for value in (self.max_rates, self.intercepts):
            if isinstance(value, nengo.dists.Distribution):
                value = np.repeat(value.sample(half, rng=rng), 2)[: self.n_neurons]
            elif np.size(value) == 1:  # one number for every neuron
                value = np.full(self.n_neurons, float(np.ravel(value)[0]))
            values.append(value)
        return values

    @property
    def mapped_backend(self):
        """The backend whose synapse the recurrence is mapped for: the exact
        memory's nodes run on the host, with nengo's semantics, everywhere."""
        from nengo_lmu import backends

        return backends.host() if self.neuron_type is None else self.backend

    def _decay(self, backend):
        return backend.synapse_decay(self.synapse.tau, self.dt)

    def _input_synapse(self, backend):
        """A digital memory (tau = 0) takes this step's input, as keras-lmu's
        ``m_t = Ad m_{t-1} + Bd u_t``; a lowpass one the input its synapse
        filters, on the path ``backend`` gives host inputs."""
        return None if self.synapse.tau == 0 else backend.input_synapse(self.synapse)

    @functools.cached_property
    def statistics(self):
        """The `InputStatistics` of the expected input (computed on first use:
        the exact memory never needs them)."""
        if self.given_statistics is not None:
            return InputStatistics.from_dict(
                self.given_statistics, headroom=self.headroom
            )
        return InputStatistics(
            default_process(self.theta, dt=self.dt)
            if self.process is None
            else self.process,
            self.order,
            self.theta,
            self.dt,
            self.size_in,
            seed=0 if self.seed is None else self.seed,
            headroom=self.headroom,
        )

    @property
    def scale(self):
        """The value of each memory dimension that its ensemble represents as
        1, ``(size_in, order)`` (ones for the exact memory)."""
        if self.neuron_type is None:
            return np.ones((self.size_in, self.order))
        return self.statistics.scale

    def _build_exact(self):
        """Non-neural memory: a node filtered by the same synapse and mapping."""
        for i in range(self.size_in):
            rows = slice(i * self.order, (i + 1) * self.order)
            nengo.Connection(
                self.input[i],
                self.state[rows],
                transform=self.mapped_B,
                synapse=self.input_synapse,
            )
            nengo.Connection(
                self.state[rows],
                self.state[rows],
                transform=self.mapped_A,
                synapse=self.synapse,
            )

    def _build_neural(self):
        """One ensemble per memory dimension, each holding ``x_q = m_q / scale_q``.

        In ensemble units the recurrence is ``x' = (A' x scale) / scale`` and
        the input enters as ``B' u input_scale / scale``.  How the recurrence
        is wired follows the solver the backend gives it:

        - decoded (nengo, NengoDL): every ensemble decodes its dimension into
          one node, one transform per input dimension applies the recurrence
          and one adds the input, both through the synapse, and each ensemble
          encodes its own dimension back: a handful of operators, whatever the
          order (the decoders are those of one connection per ensemble pair);
        - neuron-to-neuron weights (Loihi): one connection per ensemble pair,
          the input driving the neurons directly (``J += gain e B'_q u /
          scale_q``), so that a backend sending host values as spikes encodes
          the one-dimensional ``u / input_scale`` rather than each dimension's
          larger input current.
        """
        solver = self.solver or self.backend.recurrent_solver(self.tuning["solver_reg"])
        self.encoders = np.where(np.arange(self.n_neurons) % 2 == 0, 1.0, -1.0)[:, None]
        scaled_input = nengo.Node(size_in=self.size_in, label="scaled input")
        nengo.Connection(
            self.input,
            scaled_input,
            # a matrix: nengo-loihi's passthrough removal takes no vectors
            transform=np.diag(1 / self.statistics.input_scale),
            synapse=None,
        )
        ensembles = []
        for i in range(self.size_in):
            for q in range(self.order):
                max_rates, intercepts = self._pairs(len(ensembles))
                ensembles.append(
                    nengo.Ensemble(
                        self.n_neurons,
                        1,
                        neuron_type=self.neuron_type,
                        encoders=self.encoders,
                        max_rates=max_rates,
                        intercepts=intercepts,
                        label=f"m[{i}][{q}]",
                    )
                )
        scale = self.scale.ravel()
        if solver.weights:
            self._read_decoded(ensembles)
            self._connect_pairs(ensembles, scaled_input, solver)
        else:
            decoded, filtered = self._connect_decoded(ensembles, scaled_input, solver)
            # the state is what the ensembles decode, or what they receive (the
            # recurrence after its synapse: less spike noise, more distortion)
            transform = np.diag(scale)  # a matrix: nengo-loihi's passthrough
            if self.tuning["readout"] == "filtered":  # removal takes no vectors
                nengo.Connection(
                    filtered, self.state, transform=transform, synapse=None
                )
            else:
                self._read_state(decoded, transform)

    def _read_state(self, decoded, transform):
        """The state from what the ensembles decode (``transform @ decoded``),
        their lead undone: they decode ``xhat = x + k dx/dt = (I + k A) x + k
        B u`` (``k = lead``), so ``x = (I + k A)^-1 (xhat - k B u)``; the
        input's part only with ``read_input``."""
        undo = np.linalg.inv(np.eye(self.order) + self.lead * self.A)
        nengo.Connection(
            decoded,
            self.state,
            transform=np.kron(np.eye(self.size_in), undo) @ transform,
            synapse=None,
        )
        if self.lead == 0 or not self.read_input:
            return
        # a node with an output function: through passthrough nodes alone,
        # nengo-loihi's passthrough removal would merge the input's nodes with
        # the state's and drop probes on nodes that connect nowhere (a window)
        read_input = nengo.Node(
            Scaled(1), size_in=self.size_in, label="input (read)"
        )
        nengo.Connection(self.input, read_input, synapse=None)
        for i in range(self.size_in):
            nengo.Connection(
                read_input[i],
                self.state[i * self.order : (i + 1) * self.order],
                transform=-self.lead * undo @ self.B,
                synapse=None,
            )

    def _read_decoded(self, ensembles):
        """Each ensemble decodes its dimension, and a transform on a
        passthrough node undoes the neurons' lead (`_read_state`): the chip
        sends one value per ensemble (nengo-loihi folds the transform into the
        decoders of whatever the state feeds on the chip)."""
        readout = nengo.solvers.LstsqL2(reg=self.tuning["solver_reg"])
        scale, target = self.scale.ravel(), self.state
        if self.lead:
            target = nengo.Node(size_in=len(ensembles), label="decoded state")
            self._read_state(target, np.eye(len(ensembles)))
        for k, ens in enumerate(ensembles):
            nengo.Connection(
                ens, target[k], transform=scale[k], synapse=None, solver=readout
            )

    def _recurrence(self, i):
        """The recurrent and input transforms of input dimension ``i``, in
        ensemble units."""
        scale, input_scale = self.scale[i], self.statistics.input_scale[i]
        recurrent = self.mapped_A * scale[None, :] / scale[:, None]
        return recurrent, self.mapped_B[:, 0] / scale * input_scale

    def _connect_decoded(self, ensembles, scaled_input, solver):
        decoded = nengo.Node(size_in=len(ensembles), label="decoded")
        feed = nengo.Node(size_in=len(ensembles), label="recurrent input")
        for k, ens in enumerate(ensembles):
            nengo.Connection(ens, decoded[k], synapse=None, solver=solver)
            nengo.Connection(feed[k], ens, synapse=None)
        for i in range(self.size_in):
            rows = slice(i * self.order, (i + 1) * self.order)
            recurrent, feedforward = self._recurrence(i)
            nengo.Connection(
                decoded[rows], feed[rows], transform=recurrent, synapse=self.synapse
            )
            nengo.Connection(
                scaled_input[i],
                feed[rows],
                transform=feedforward[:, None],
                synapse=self.input_synapse,
            )
        return decoded, feed

    def weight_connections(self):
        """The recurrent neuron-to-neuron connections, each with the values
        its pre ensemble represents: the state in ensemble units, normal
        around 0 with standard deviation ``1 / headroom`` (the radius is
        ``|mean| + headroom`` standard deviations), clipped to the radius.
        Centred on 0 whatever the mean: every sequence starts from rest, and
        a state with a mean crosses the other half of the radius on its way."""
        rng = np.random.RandomState(0 if self.seed is None else self.seed)
        points = np.clip(rng.randn(WEIGHT_POINTS, 1) / self.headroom, -1, 1)
        return [(conn, points) for conn in self.pair_connections]

    def _connect_pairs(self, ensembles, scaled_input, solver):
        for i in range(self.size_in):
            dims = ensembles[i * self.order : (i + 1) * self.order]
            recurrent, feedforward = self._recurrence(i)
            for q_post, post in enumerate(dims):
                # nengo multiplies connections into neurons by their gains
                nengo.Connection(
                    scaled_input[i],
                    post.neurons,
                    transform=self.encoders * feedforward[q_post],
                    synapse=self.input_synapse,
                )
                for q_pre, pre in enumerate(dims):
                    self.pair_connections.append(
                        nengo.Connection(
                            pre,
                            post,
                            transform=recurrent[q_post, q_pre],
                            synapse=self.synapse,
                            solver=solver,
                        )
                    )

    # --- backends -------------------------------------------------------------

    def mismatch(self, backend):
        """Why the memory would not run as mapped on ``backend`` (None if it
        would): another decay of the recurrent synapse, or another input
        path.  The exact memory runs on the host everywhere."""
        if self.neuron_type is None:
            return None
        reasons = []
        mapped, here = self._decay(self.backend), self._decay(backend)
        if not np.isclose(mapped, here, rtol=0, atol=1e-12):
            reasons.append(
                f"its synapse keeps {mapped:.9g} of its current per step there "
                f"but {here:.9g} here"
            )
        if (self._input_synapse(backend) is None) != (
            self._input_synapse(self.backend) is None
        ):
            reasons.append("its input reaches the neurons through another synapse")
        return "; ".join(reasons) or None

    def frozen_objects(self):
        """What training must not change: the principle-3 mapping."""
        return list(self.all_connections) + list(self.all_ensembles)

    # --- outputs and reports --------------------------------------------------

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
        """What the network was built from, what its backend chose and why,
        and what it learned about its input.

        Everything here follows from the arguments and the seed: building the
        same memory with the same seed gives the same summary.

        Examples
        --------
        >>> print(LMUMemory(4, 0.5, seed=1).summary().splitlines()[0])
        LMUMemory(order=4, theta=0.5, size_in=1, backend='nengo', dt=0.001)
        """
        lines = [
            f"LMUMemory(order={self.order}, theta={self.theta}, "
            f"size_in={self.size_in}, backend={self.backend.name!r}, dt={self.dt})",
            f"  synapse: Lowpass({self.synapse.tau:g}), keeps {self.decay:.6g} per "
            f"step on {self.mapped_backend.description}; "
            f"{'discrete' if self.discrete else 'continuous'} principle 3",
        ]
        if self.neuron_type is None:
            lines.append("  exact memory: nodes on the host, no neurons")
            return "\n".join(lines)
        stats = self.statistics
        solver = self.solver or self.backend.recurrent_solver(self.tuning["solver_reg"])
        lines += [
            f"  neurons: {self.n_neurons} x {self.neuron_type} per dimension, "
            f"max rates {self.max_rates}, intercepts {self.intercepts}, "
            "mirrored pairs of +-1 encoders",
            f"  headroom |mean| + {self.headroom:g} std, "
            f"state read {self.tuning['readout']}, "
            + (
                "no lead to compensate"
                if self.lead == 0
                else f"lag compensated {-self.lead * 1e3:g} ms"
                if self.lead < 0
                else f"lead compensated {self.lead * 1e3:g} ms"
            )
            + (
                " (the input's part left in the readout: read_input=False)"
                if self.lead and not self.read_input
                else ""
            ),
            f"  recurrent solver: {solver}",
            *self.backend.weight_notes(self),
            f"  tuning chosen by the backend for {type(self.neuron_type).__name__}: "
            f"{self.tuning['reason']}",
            f"  input statistics: {stats.source}",
            "  state std (LMU units): "
            + np.array2string(stats.std, precision=4, separator=", "),
            f"  scale (radius, LMU units; |mean| + {self.headroom:g} std, floored): "
            + np.array2string(self.scale, precision=4, separator=", "),
            "  input scale (inputs enter divided by it): "
            + np.array2string(stats.input_scale, precision=4, separator=", "),
        ]
        return "\n".join(lines)

    @property
    def target(self):
        """Deprecated: the backend's name (use ``backend``)."""
        warnings.warn(
            "LMUMemory.target is deprecated; use LMUMemory.backend",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.backend.name

    def __repr__(self):
        return (
            f"<LMUMemory order={self.order} theta={self.theta} "
            f"n_neurons={self.n_neurons} size_in={self.size_in} "
            f"backend={self.backend.name!r} seed={self.seed}>"
        )


def _number(value, attr):
    """``value`` as a finite float, or a ValidationError naming ``attr``."""
    number = _finite_numbers(value)
    if number is None or number.ndim != 0:
        raise ValidationError(f"must be a finite number (got {value!r})", attr=attr)
    return float(number)


def _span(values):
    return f"{np.min(values):.3g} to {np.max(values):.3g}"


#: The longest window (in steps) a rate memory without a synapse holds well.
UNFILTERED_STEPS = 100

#: The longest step (s) at which a spiking LIF memory holds its window.
LIF_MAX_DT = 0.002


def _unmappable(neuron_type, dt):
    """Why principle 3 cannot map a memory of ``neuron_type`` at step ``dt``
    (None if it can): adapting neurons have no fixed rate curve, and spiking
    LIF neurons (at most one spike per step, their lead tuned for steps of a
    millisecond or two) lose the window at longer steps."""
    base = getattr(neuron_type, "base_type", neuron_type)  # PoissonSpiking(...)
    if "adaptation" in getattr(base, "state", {}):
        return (
            f"{type(neuron_type).__name__} adapts: its rate for an input changes "
            "as it fires, and principle 3 maps a fixed rate curve; use its "
            "non-adapting counterpart (e.g. nengo.LIF)"
        )
    if isinstance(neuron_type, nengo.LIF) and dt > LIF_MAX_DT:
        return (
            f"spiking LIF neurons fire at most once per step, and their memory "
            f"is tuned for steps up to {LIF_MAX_DT * 1e3:g} ms: at dt={dt:g} s "
            "it does not hold its window; use nengo.SpikingRectifiedLinear() "
            f"(which holds it at 10 ms steps) or dt <= {LIF_MAX_DT:g}"
        )
    return None


def deprecated_target(backend, target):
    """``backend``, or the deprecated ``target`` keyword that named it."""
    if target is None:
        return backend
    warnings.warn(
        "the 'target' keyword is deprecated; pass backend=... (the simulator "
        "the network is mapped for)",
        DeprecationWarning,
        stacklevel=3,
    )
    return target


__all__ = ["LMUMemory", "InputStatistics", "default_process"]
