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

import warnings

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import BoolParam, IntParam, NumberParam, Parameter

from nengo_lmu import neurons
from nengo_lmu.backends.mapped import BackendParam, MappedNetwork
from nengo_lmu.memory import LMUMemory, deprecated_target

#: The parameters, in the order `LMUNetwork.get_parameters` lists them.
PARAMETER_NAMES = ("e_x", "e_h", "e_m", "W_m", "W_x", "W_h", "W_o", "b_o", "b_h")


class Scaled:
    """A node function ``x * factor`` (picklable)."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, t, x):
        return x * self.factor


def glorot(fan_out, fan_in):
    """Glorot's uniform initialization for a ``(fan_out, fan_in)`` matrix."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return nengo.dists.Uniform(-limit, limit)


class LMUNetwork(MappedNetwork):
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
        Dimensions of the readout ``.output``; 0 for none, and then the
        layer's ``output`` is the hidden state itself.
    hidden_neuron_type : nengo.neurons.NeuronType
        The hidden neurons when running with rates: ``nengo.RectifiedLinear``
        or ``nengo.LIFRate`` (a spiking type is replaced by its rate type).
    spiking : bool
        Run the hidden neurons (and any neural memory) with the spiking
        counterpart of their rate type on ``spiking_backend``.  Can be changed
        after construction with ``network.spiking = ...``.
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
    backend : {"nengo", "dl", "loihi"}
        The simulator the network is mapped for (the memory's synapse, the
        spiking neuron types, how host values reach the hidden neurons).
    host_scale : float
        The largest host value (the input, an exact memory) that reaches the
        hidden neurons without saturating on a backend that sends host values
        as spikes (Loihi): values are sent divided by it and the weights
        multiplied by it, so the parameters are unchanged.
    spiking_backend : {"nengo", "dl", "loihi"}, optional
        Whose spiking neuron types to use when spiking (default: ``backend``).
        ``"loihi"`` while training in NengoDL trains through Loihi's quantized
        rate curves (see `.LoihiBackend.prepare_dl_training`).
    label, seed, add_to_container
        As for `nengo.Network`.
    target : str, optional
        Deprecated name of ``backend``.

    Attributes
    ----------
    input : nengo.Node
        The input ``x``.
    memory : LMUMemory
        The memory; ``memory.state`` is ``m``.
    hidden : nengo.Ensemble
        The hidden state (connect to and from ``hidden.neurons``).
    output : nengo.Node or nengo.ensemble.Neurons
        The readout ``y`` (unfiltered), or ``hidden.neurons`` when
        ``output_d`` is 0.
    parameter_connections : dict of nengo.Connection
        The connection holding each weight, by parameter name.

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
    host_scale = NumberParam("host_scale", low=0, low_open=True)
    spiking_backend = BackendParam("spiking_backend")

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
        backend="nengo",
        host_scale=4.0,
        spiking_backend=None,
        label=None,
        seed=None,
        add_to_container=None,
        target=None,
    ):
        backend = deprecated_target(backend, target)
        super().__init__(
            backend, dt, label=label, seed=seed, add_to_container=add_to_container
        )
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
        self.hidden_neuron_type = neurons.rate_type(hidden_neuron_type)
        self.spiking_backend = (
            self.backend if spiking_backend is None else spiking_backend
        )
        self.rate_scale = rate_scale
        self._hidden_type(True)  # refuses a type with no spiking counterpart
        self.hidden_to_memory = hidden_to_memory
        self.memory_to_memory = memory_to_memory
        self.input_to_hidden = input_to_hidden
        self.hidden_to_hidden = hidden_to_hidden
        self.memory_neuron_type = memory_neuron_type
        self.memory_n_neurons = memory_n_neurons
        self.memory_synapse = memory_synapse
        self.synapse = synapse
        self.host_scale = host_scale
        self.relay_scale = self.backend.host_relay_scale(self.host_scale)
        self._spiking = bool(spiking)
        self._scales = {}
        self._relays = {}
        self.parameter_connections = {}
        with self:
            self._build(np.random.RandomState(seed))

    def _build(self, rng):
        self.input = nengo.Node(size_in=self.input_d, label="input")
        self.memory = LMUMemory(
            order=self.order,
            theta=self.theta,
            n_neurons=self.memory_n_neurons,
            neuron_type=self._memory_type(self._spiking),
            synapse=self.memory_synapse,
            dt=self.dt,
            size_in=self.memory_d,
            backend=self.backend,
            label="memory",
        )
        self.hidden = nengo.Ensemble(
            self.hidden_units,
            1,
            neuron_type=self._hidden_type(self._spiking),
            gain=nengo.dists.Choice([self.rate_scale]),
            bias=nengo.dists.Choice([0.0]),
            label="hidden",
        )
        units, n_memory = self.hidden_units, self.memory_d * self.order
        self._connect("e_x", self.input, self.memory.input, self._encoder_init(rng))
        if self.hidden_to_memory:
            self._connect(
                "e_h",
                self.hidden.neurons,
                self.memory.input,
                np.zeros((self.memory_d, units)),
                synapse=self.synapse,
            )
        if self.memory_to_memory:
            self._connect(
                "e_m",
                self.memory.state,
                self.memory.input,
                np.zeros((self.memory_d, n_memory)),
            )
        self._connect(
            "W_m",
            self.memory.state,
            self.hidden.neurons,
            glorot(units, n_memory).sample(units, n_memory, rng=rng),
        )
        if self.input_to_hidden:
            self._connect(
                "W_x",
                self.input,
                self.hidden.neurons,
                glorot(units, self.input_d).sample(units, self.input_d, rng=rng),
            )
        if self.hidden_to_hidden:
            q, _ = np.linalg.qr(rng.randn(units, units))
            self._connect(
                "W_h", self.hidden.neurons, self.hidden.neurons, q, synapse=self.synapse
            )
        if self.output_d > 0:
            self.output = nengo.Node(size_in=self.output_d, label="output")
            self._connect(
                "W_o",
                self.hidden.neurons,
                self.output,
                glorot(self.output_d, units).sample(self.output_d, units, rng=rng),
            )
            self.bias = nengo.Node([1.0], label="bias")
            self._connect("b_o", self.bias, self.output, np.zeros((self.output_d, 1)))
        else:
            self.output = self.hidden.neurons

    def _encoder_init(self, rng):
        if self.memory_d == self.input_d:
            return np.eye(self.memory_d)
        return glorot(self.memory_d, self.input_d).sample(
            self.memory_d, self.input_d, rng=rng
        )

    def _connect(self, name, pre, post, weights, synapse=None):
        """Connect ``pre`` to ``post`` through the parameter ``name``; a host
        node's values reach the hidden neurons through a relay when the
        backend sends them scaled (the weights carry the scale back)."""
        scale = 1.0
        if isinstance(pre, nengo.Node) and post == self.hidden.neurons:
            scale = self.relay_scale
            if scale != 1 and pre not in self._relays:
                self._relays[pre] = nengo.Node(
                    Scaled(1.0 / scale), size_in=pre.size_out, label="to neurons"
                )
                nengo.Connection(pre, self._relays[pre], synapse=None)
            pre = self._relays.get(pre, pre)
        self._scales[name] = scale
        self.parameter_connections[name] = nengo.Connection(
            pre,
            post,
            transform=np.asarray(weights, dtype=float) * scale,
            synapse=synapse,
            label=name,
        )

    def _hidden_type(self, spiking):
        rate = self.hidden_neuron_type
        amplitude = getattr(rate, "amplitude", 1.0) / self.rate_scale
        if spiking:
            return self.spiking_backend.spiking_type(rate, amplitude=amplitude)
        return neurons.copy_neuron_type(rate, type(rate), amplitude=amplitude)

    def _memory_type(self, spiking):
        """A neural memory's neurons: the given type's rate type, or when
        spiking the given spiking type (or the rate type's counterpart)."""
        given = self.memory_neuron_type
        if given is None:
            return None
        if not spiking:
            return neurons.rate_type(given)
        return given if given.spiking else self.spiking_backend.spiking_type(given)

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
        self._spiking = bool(spiking)
        self.hidden.neuron_type = self._hidden_type(self._spiking)
        memory_type = self._memory_type(self._spiking)
        for ens in self.memory.all_ensembles:
            ens.neuron_type = memory_type

    # --- backends -------------------------------------------------------------

    def mismatch(self, backend):
        """Host values reach the hidden neurons unscaled but ``backend`` would
        saturate them (scaled ones run exactly anywhere)."""
        needs = backend.host_relay_scale(self.host_scale)
        if needs != 1 and self.relay_scale == 1 and self._scales:
            return (
                "host values would reach its hidden neurons as spikes that "
                f"saturate at 1, sent without dividing them by host_scale={needs:g}"
            )
        return None

    def frozen_objects(self):
        """What training must not change: the memory's mapping and the
        relays that carry host values to the neurons."""
        relays = [
            conn
            for conn in self.all_connections
            if conn.post_obj in self._relays.values()
        ]
        return self.memory.frozen_objects() + relays

    # --- parameters -------------------------------------------------------------

    def get_config(self):
        """The constructor arguments (JSON-able): ``LMUNetwork(**config)``
        rebuilds this network, with its initial parameters."""
        return {
            "input_d": self.input_d,
            "memory_d": self.memory_d,
            "order": self.order,
            "theta": self.theta,
            "hidden_units": self.hidden_units,
            "output_d": self.output_d,
            "hidden_neuron_type": neurons.to_config(self.hidden_neuron_type),
            "spiking": self.spiking,
            "rate_scale": self.rate_scale,
            "hidden_to_memory": self.hidden_to_memory,
            "memory_to_memory": self.memory_to_memory,
            "input_to_hidden": self.input_to_hidden,
            "hidden_to_hidden": self.hidden_to_hidden,
            "memory_neuron_type": neurons.to_config(self.memory_neuron_type),
            "memory_n_neurons": self.memory_n_neurons,
            "memory_synapse": self.memory_synapse,
            "synapse": self.synapse,
            "dt": self.dt,
            "backend": self.backend.name,
            "host_scale": self.host_scale,
            "spiking_backend": self.spiking_backend.name,
            "label": self.label,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config, add_to_container=None):
        """The network that `get_config` describes."""
        config = dict(config)
        for key in ("hidden_neuron_type", "memory_neuron_type"):
            if key in config:
                config[key] = neurons.from_config(config[key])
        return cls(**config, add_to_container=add_to_container)

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
            name: tuple(conn.transform.shape)
            for name, conn in self.parameter_connections.items()
        }
        shapes["b_h"] = (self.hidden_units,)
        return shapes

    def get_parameters(self):
        """The current parameter values (the initial ones until trained/set).

        The hidden bias ``b_h`` is in activation units (ensemble bias divided
        by ``rate_scale``).
        """
        params = {}
        for name, conn in self.parameter_connections.items():
            value = np.broadcast_to(conn.transform.init, conn.transform.shape)
            params[name] = np.array(value) / self._scales[name]
        bias = self.hidden.bias
        if isinstance(bias, nengo.dists.Distribution):
            bias = bias.sample(self.hidden_units)
        params["b_h"] = np.asarray(bias, dtype=float) / self.rate_scale
        return params

    def set_parameters(self, params):
        """Set the weights and hidden bias from ``params`` (name -> array).

        Refuses arrays whose names or shapes differ from `.parameter_shapes`,
        or that hold NaN or infinite values, naming each.
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
            elif not np.all(np.isfinite(params[name])):
                problems.append(f"{name} holds NaN or infinite values")
        for name in params:
            if name not in expected:
                problems.append(f"{name} is not a parameter of this network")
        if problems:
            raise ValidationError(
                "parameters do not fit this network: " + "; ".join(problems),
                attr="params",
                obj=self,
            )
        for name, conn in self.parameter_connections.items():
            conn.transform = np.array(params[name], dtype=float) * self._scales[name]
        self.hidden.bias = np.asarray(params["b_h"], dtype=float) * self.rate_scale

    @property
    def weights(self):
        """Deprecated: the connections by parameter name (use
        `parameter_connections`)."""
        warnings.warn(
            "LMUNetwork.weights is deprecated: it holds connections; use "
            "LMUNetwork.parameter_connections",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.parameter_connections

    @property
    def target(self):
        """Deprecated: the backend's name (use ``backend``)."""
        warnings.warn(
            "LMUNetwork.target is deprecated; use LMUNetwork.backend",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.backend.name
