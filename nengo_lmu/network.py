"""LMUNetwork: the LMU memory plus a nonlinear hidden state and a readout.

The network computes, at every simulator step,

.. code-block:: text

    u_t = e_x x_t + e_h h_{t-1} + e_m m_{t-1}        (memory input, memory_d dims)
    m_t = LMU memory of u                             (memory_d * order dims)
    h_t = f(W_x x_t + W_h h_{t-1} + W_m m_t + b_h)    (hidden_units neurons)
    y_t = W_o h_t + b_o                               (output_d dims)

where the ``e_h``, ``e_m``, ``W_x`` and ``W_h`` terms exist only with
``hidden_to_memory``, ``memory_to_memory``, ``input_to_hidden`` and
``hidden_to_hidden`` respectively, as in keras-lmu.  Every weight is an
ordinary `nengo.Connection` transform (trainable in NengoDL), the hidden bias is
the hidden ensemble's bias, and the memory is an `.LMUMemory` (the exact memory
by default).

One object runs with rate neurons (for training) or with their spiking
counterparts (for deployment): ``LMUNetwork(..., spiking=True)`` or
``network.spiking = True`` swaps the neuron types in place.
"""

import numpy as np

import nengo
from nengo.exceptions import ValidationError
from nengo.params import BoolParam, EnumParam, IntParam, NumberParam, Parameter

from nengo_lmu import simulators
from nengo_lmu.memory import LMUMemory

# rate neuron type -> its spiking counterpart (per target); spiking -> rate
_RATE_TO_SPIKING = {
    "RectifiedLinear": {
        "nengo": "SpikingRectifiedLinear",
        "dl": "SpikingRectifiedLinear",
        "loihi": "LoihiSpikingRectifiedLinear",
    },
    "LIFRate": {"nengo": "LIF", "dl": "LIF", "loihi": "LoihiLIF"},
}
_SPIKING_TO_RATE = {
    "SpikingRectifiedLinear": "RectifiedLinear",
    "LoihiSpikingRectifiedLinear": "RectifiedLinear",
    "LIF": "LIFRate",
    "LoihiLIF": "LIFRate",
}
_LOIHI_TYPES = ("LoihiSpikingRectifiedLinear", "LoihiLIF")


def _neuron_class(name):
    if name in _LOIHI_TYPES:
        return getattr(simulators.import_backend("loihi").neurons, name)
    return getattr(nengo, name)


def _copy_neuron_type(neuron_type, cls, amplitude=None):
    """A ``cls`` neuron type with the parameters ``neuron_type`` shares with it."""
    kwargs = {}
    for param in neuron_type._params:
        name = param.name
        if name == "initial_state":
            continue
        if hasattr(cls, name):
            kwargs[name] = getattr(neuron_type, name)
    if amplitude is not None:
        kwargs["amplitude"] = amplitude
    return cls(**kwargs)


def rate_neuron_type(neuron_type):
    """The rate counterpart of ``neuron_type`` (itself if it is a rate type).

    Examples
    --------
    >>> rate_neuron_type(nengo.SpikingRectifiedLinear(amplitude=0.5))
    RectifiedLinear(amplitude=0.5)
    """
    name = type(neuron_type).__name__
    if name in _RATE_TO_SPIKING:
        return neuron_type
    if name not in _SPIKING_TO_RATE:
        raise ValidationError(
            f"no rate counterpart is known for {neuron_type}; use one of "
            f"{', '.join(sorted(_RATE_TO_SPIKING) + sorted(_SPIKING_TO_RATE))}",
            attr="hidden_neuron_type",
        )
    return _copy_neuron_type(neuron_type, _neuron_class(_SPIKING_TO_RATE[name]))


def spiking_neuron_type(neuron_type, target="nengo"):
    """The spiking counterpart of a rate ``neuron_type`` for ``target``.

    ``RectifiedLinear`` becomes ``SpikingRectifiedLinear`` (nengo-loihi's
    ``LoihiSpikingRectifiedLinear`` for ``target="loihi"``) and ``LIFRate``
    becomes ``LIF`` (``LoihiLIF``); amplitude and time constants are kept.

    Examples
    --------
    >>> spiking_neuron_type(nengo.LIFRate(tau_rc=0.05))
    LIF(tau_rc=0.05)
    """
    simulators.check_backend(target, attr="target")
    name = type(neuron_type).__name__
    if name in _SPIKING_TO_RATE:
        neuron_type = rate_neuron_type(neuron_type)
        name = type(neuron_type).__name__
    if name not in _RATE_TO_SPIKING:
        raise ValidationError(
            f"no spiking counterpart is known for {neuron_type}; use "
            "nengo.RectifiedLinear or nengo.LIFRate (or their spiking types)",
            attr="hidden_neuron_type",
        )
    return _copy_neuron_type(
        neuron_type, _neuron_class(_RATE_TO_SPIKING[name][target])
    )


class _Scaled:
    """A node function ``x * factor`` (picklable)."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, t, x):
        return x * self.factor


def _glorot(fan_out, fan_in):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return nengo.dists.Uniform(-limit, limit)


class LMUNetwork(nengo.Network):
    """A Legendre Memory Unit layer: memory, nonlinear hidden state, readout.

    Parameters
    ----------
    input_d : int
        Dimensions of the input ``x``.
    memory_d : int
        Dimensions of the memory input ``u`` (each gets ``order`` coefficients).
    order : int
        Legendre coefficients per memory dimension.
    theta : float
        Memory window in seconds (``steps * dt`` for a window of ``steps``
        simulator steps).
    hidden_units : int
        Neurons in the hidden state.
    output_d : int
        Dimensions of the readout ``.output`` (0 for none).
    hidden_neuron_type : nengo.neurons.NeuronType
        The hidden neurons when running with rates: ``nengo.RectifiedLinear``
        or ``nengo.LIFRate`` (a spiking type is replaced by its rate type).
    spiking : bool
        Run the hidden neurons (and any neural memory) with the spiking
        counterpart of their rate type: ``SpikingRectifiedLinear`` / ``LIF``,
        or the ``nengo_loihi`` Loihi variants when ``target="loihi"``.
        Can be changed after building with ``network.spiking = ...``.
    rate_scale : float
        Hidden gains are ``rate_scale`` and neuron amplitudes
        ``1 / rate_scale``: the same rate network, with spiking neurons firing
        ``rate_scale`` times faster (exact for rectified-linear neurons).
    hidden_to_memory, memory_to_memory, input_to_hidden, hidden_to_hidden : bool
        Which optional connections exist (see the module docstring).
    memory_neuron_type : nengo.neurons.NeuronType or None
        None (default) builds the exact memory; otherwise the neurons of a
        spiking `.LMUMemory` (``memory_n_neurons`` per dimension).
    memory_n_neurons : int
        Neurons per memory dimension for a neural memory.
    memory_synapse : float
        Recurrent synapse of the memory (principle 3 maps it exactly).
    synapse : float
        Synapse on the recurrent connections from the hidden neurons
        (0 is a one-step delay).
    dt : float
        Simulator step the memory is mapped for.
    target : {"nengo", "dl", "loihi"}
        Simulator the memory mapping and spiking neuron types are chosen for.
    host_scale : float
        With ``target="loihi"``, values sent from the host (the input and an
        exact memory) to the hidden neurons are divided by ``host_scale``
        before nengo-loihi encodes them as spikes (which saturates at 1) and
        the weights multiplied by it; the parameters are unchanged.
    label, seed, add_to_container
        As for `nengo.Network`.

    Attributes
    ----------
    input : nengo.Node
        The input ``x``.
    memory : LMUMemory
        The memory; ``memory.state`` is ``m``.
    hidden : nengo.Ensemble
        The hidden state (connect to and from ``hidden.neurons``).
    output : nengo.Node
        The readout ``y`` (unfiltered).

    Examples
    --------
    >>> import nengo, nengo_lmu
    >>> with nengo.Network(seed=0) as model:
    ...     stim = nengo.Node(np.sin)
    ...     lmu = nengo_lmu.LMUNetwork(
    ...         input_d=1, memory_d=1, order=4, theta=0.1, hidden_units=10,
    ...         output_d=2)
    ...     _ = nengo.Connection(stim, lmu.input, synapse=None)
    ...     probe = nengo.Probe(lmu.output)
    >>> lmu.spiking = True
    >>> lmu.hidden.neuron_type
    SpikingRectifiedLinear()
    >>> with nengo.Simulator(model, progress_bar=False) as sim:
    ...     sim.run_steps(5)
    >>> sim.data[probe].shape
    (5, 2)
    """

    input_d = IntParam("input_d", low=1)
    memory_d = IntParam("memory_d", low=1)
    order = IntParam("order", low=1)
    theta = NumberParam("theta", low=0, low_open=True)
    hidden_units = IntParam("hidden_units", low=1)
    output_d = IntParam("output_d", low=0)
    hidden_neuron_type = Parameter("hidden_neuron_type")
    rate_scale = NumberParam("rate_scale", low=0, low_open=True)
    hidden_to_memory = BoolParam("hidden_to_memory")
    memory_to_memory = BoolParam("memory_to_memory")
    input_to_hidden = BoolParam("input_to_hidden")
    hidden_to_hidden = BoolParam("hidden_to_hidden")
    memory_neuron_type = Parameter("memory_neuron_type", optional=True)
    memory_n_neurons = IntParam("memory_n_neurons", low=1)
    memory_synapse = NumberParam("memory_synapse", low=0)
    synapse = NumberParam("synapse", low=0)
    dt = NumberParam("dt", low=0, low_open=True)
    target = EnumParam("target", values=simulators.BACKENDS)
    host_scale = NumberParam("host_scale", low=0, low_open=True)

    def __init__(
        self,
        input_d,
        memory_d,
        order,
        theta,
        hidden_units,
        output_d=0,
        hidden_neuron_type=nengo.RectifiedLinear(),
        spiking=False,
        rate_scale=1.0,
        hidden_to_memory=False,
        memory_to_memory=False,
        input_to_hidden=False,
        hidden_to_hidden=False,
        memory_neuron_type=None,
        memory_n_neurons=100,
        memory_synapse=0.0,
        synapse=0.0,
        dt=0.001,
        target="nengo",
        host_scale=4.0,
        label=None,
        seed=None,
        add_to_container=None,
    ):
        super().__init__(label=label, seed=seed, add_to_container=add_to_container)
        self.input_d = input_d
        self.memory_d = memory_d
        self.order = order
        self.theta = theta
        self.hidden_units = hidden_units
        self.output_d = output_d
        if not isinstance(hidden_neuron_type, nengo.neurons.NeuronType):
            raise ValidationError(
                f"must be a nengo neuron type (got {hidden_neuron_type!r})",
                attr="hidden_neuron_type",
            )
        self.target = target
        self.hidden_neuron_type = rate_neuron_type(hidden_neuron_type)
        spiking_neuron_type(self.hidden_neuron_type, self.target)  # validate
        self.rate_scale = rate_scale
        self.hidden_to_memory = hidden_to_memory
        self.memory_to_memory = memory_to_memory
        self.input_to_hidden = input_to_hidden
        self.hidden_to_hidden = hidden_to_hidden
        self.memory_neuron_type = memory_neuron_type
        self.memory_n_neurons = memory_n_neurons
        self.memory_synapse = memory_synapse
        self.synapse = synapse
        self.dt = dt
        rng = np.random.RandomState(seed)

        self.host_scale = host_scale
        self._scales = {}
        self._host_senders = {}
        with self:
            self.input = nengo.Node(size_in=self.input_d, label="input")
            self.memory = LMUMemory(
                order=self.order,
                theta=self.theta,
                n_neurons=self.memory_n_neurons,
                neuron_type=self.memory_neuron_type,
                synapse=self.memory_synapse,
                dt=self.dt,
                size_in=self.memory_d,
                target=self.target,
                label="memory",
            )
            self.hidden = nengo.Ensemble(
                self.hidden_units,
                1,
                neuron_type=self._hidden_type(spiking),
                gain=nengo.dists.Choice([self.rate_scale]),
                bias=nengo.dists.Choice([0.0]),
                label="hidden",
            )
            self.output = nengo.Node(size_in=max(self.output_d, 1), label="output")
            self.weights = {}
            self._connect(
                "e_x",
                self.input,
                self.memory.input,
                self._encoder_init(rng),
            )
            if self.hidden_to_memory:
                self._connect(
                    "e_h",
                    self.hidden.neurons,
                    self.memory.input,
                    np.zeros((self.memory_d, self.hidden_units)),
                    synapse=self.synapse,
                )
            if self.memory_to_memory:
                self._connect(
                    "e_m",
                    self.memory.state,
                    self.memory.input,
                    np.zeros((self.memory_d, self.memory_d * self.order)),
                )
            n_memory = self.memory_d * self.order
            self._connect(
                "W_m",
                self.memory.state,
                self.hidden.neurons,
                _glorot(self.hidden_units, n_memory).sample(
                    self.hidden_units, n_memory, rng=rng
                ),
            )
            if self.input_to_hidden:
                self._connect(
                    "W_x",
                    self.input,
                    self.hidden.neurons,
                    _glorot(self.hidden_units, self.input_d).sample(
                        self.hidden_units, self.input_d, rng=rng
                    ),
                )
            if self.hidden_to_hidden:
                q, _ = np.linalg.qr(rng.randn(self.hidden_units, self.hidden_units))
                self._connect(
                    "W_h",
                    self.hidden.neurons,
                    self.hidden.neurons,
                    q,
                    synapse=self.synapse,
                )
            if self.output_d > 0:
                self._connect(
                    "W_o",
                    self.hidden.neurons,
                    self.output,
                    _glorot(self.output_d, self.hidden_units).sample(
                        self.output_d, self.hidden_units, rng=rng
                    ),
                )
                self.bias = nengo.Node([1.0], label="bias")
                self._connect(
                    "b_o", self.bias, self.output, np.zeros((self.output_d, 1))
                )
        self._spiking = bool(spiking)

    def _encoder_init(self, rng):
        if self.memory_d == self.input_d:
            return np.eye(self.memory_d)
        return _glorot(self.memory_d, self.input_d).sample(
            self.memory_d, self.input_d, rng=rng
        )

    def _connect(self, name, pre, post, weights, synapse=None):
        scale = 1.0
        if (
            self.target == "loihi"
            and isinstance(pre, nengo.Node)
            and post == self.hidden.neurons
        ):
            # nengo-loihi sends host values to chip neurons as spikes of
            # on/off neurons that saturate at 1: send pre / host_scale
            scale = self.host_scale
            if pre not in self._host_senders:
                sender = nengo.Node(
                    _Scaled(1.0 / scale), size_in=pre.size_out, label="to chip"
                )
                nengo.Connection(pre, sender, synapse=None)
                self._host_senders[pre] = sender
            pre = self._host_senders[pre]
        self._scales[name] = scale
        self.weights[name] = nengo.Connection(
            pre,
            post,
            transform=np.asarray(weights, dtype=float) * scale,
            synapse=synapse,
            label=name,
        )

    def _weights(self, name):
        conn = self.weights[name]
        value = np.broadcast_to(conn.transform.init, conn.transform.shape)
        return np.array(value) / self._scales[name]

    def _hidden_type(self, spiking, target=None):
        if not spiking:
            nt = self.hidden_neuron_type
        else:
            nt = spiking_neuron_type(self.hidden_neuron_type, target or self.target)
        return _copy_neuron_type(nt, type(nt), amplitude=nt.amplitude / self.rate_scale)

    def use_loihi_neurons(self):
        """Give the hidden state nengo-loihi's Loihi neuron types, whatever
        the target.

        For Loihi-aware training in NengoDL: it trains spiking neurons through
        their rate curves, and those of the Loihi types (from nengo-extras)
        are Loihi's quantized rates, ``1 / ceil(1 / (J dt))`` spikes per step,
        at this network's ``rate_scale``.  Running it on Loihi later needs no
        change: the parameters are the same.
        """
        self.hidden.neuron_type = self._hidden_type(True, target="loihi")
        self._spiking = True

    @property
    def spiking(self):
        """Whether the hidden (and a neural memory's) neurons spike.

        Setting it swaps the neuron types in place (before a simulator is
        built): rate types for training, their spiking counterparts for
        deployment.
        """
        return self._spiking

    @spiking.setter
    def spiking(self, spiking):
        spiking = bool(spiking)
        self.hidden.neuron_type = self._hidden_type(spiking)
        for ens in self.memory.all_ensembles:
            name = type(ens.neuron_type).__name__
            if spiking and name in _RATE_TO_SPIKING:
                ens.neuron_type = spiking_neuron_type(ens.neuron_type, self.target)
            elif not spiking and name in _SPIKING_TO_RATE:
                ens.neuron_type = rate_neuron_type(ens.neuron_type)
        self._spiking = spiking

    # --- parameters ---------------------------------------------------------

    @property
    def config_dict(self):
        """The constructor arguments that fix the network's shape and dynamics."""
        return {
            "input_d": self.input_d,
            "memory_d": self.memory_d,
            "order": self.order,
            "theta": self.theta,
            "hidden_units": self.hidden_units,
            "output_d": self.output_d,
            "hidden_to_memory": self.hidden_to_memory,
            "memory_to_memory": self.memory_to_memory,
            "input_to_hidden": self.input_to_hidden,
            "hidden_to_hidden": self.hidden_to_hidden,
        }

    def parameter_shapes(self):
        """The name and shape of each trainable parameter.

        Examples
        --------
        >>> lmu = LMUNetwork(input_d=1, memory_d=1, order=4, theta=0.1,
        ...                  hidden_units=8, output_d=3)
        >>> lmu.parameter_shapes()
        {'e_x': (1, 1), 'W_m': (8, 4), 'W_o': (3, 8), 'b_o': (3, 1), 'b_h': (8,)}
        """
        shapes = {
            name: tuple(conn.transform.shape) for name, conn in self.weights.items()
        }
        shapes["b_h"] = (self.hidden_units,)
        return shapes

    def get_parameters(self):
        """The current parameter values (the initial ones until trained/set).

        The hidden bias ``b_h`` is in activation units (ensemble bias divided
        by ``rate_scale``).
        """
        params = {name: self._weights(name) for name in self.weights}
        bias = self.hidden.bias
        if isinstance(bias, nengo.dists.Distribution):
            bias = bias.sample(self.hidden_units)
        params["b_h"] = np.asarray(bias, dtype=float) / self.rate_scale
        return params

    def set_parameters(self, params):
        """Set the weights and hidden bias from ``params`` (name -> array).

        Refuses arrays whose names or shapes differ from `.parameter_shapes`,
        naming each mismatch.
        """
        expected = self.parameter_shapes()
        problems = []
        for name, shape in expected.items():
            if name not in params:
                problems.append(f"{name} is missing (network expects {shape})")
            elif tuple(np.shape(params[name])) != shape:
                problems.append(
                    f"{name} has shape {tuple(np.shape(params[name]))} but the "
                    f"network expects {shape}"
                )
        for name in params:
            if name not in expected:
                problems.append(f"{name} is not a parameter of this network")
        if problems:
            raise ValidationError(
                "parameters do not fit this network: " + "; ".join(problems),
                attr="params",
                obj=self,
            )
        for name, conn in self.weights.items():
            conn.transform = np.array(params[name], dtype=float) * self._scales[name]
        self.hidden.bias = np.asarray(params["b_h"], dtype=float) * self.rate_scale
