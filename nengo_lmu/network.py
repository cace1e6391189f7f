"""LMUNetwork: the LMU memory plus a nonlinear hidden state and a readout.

The network computes keras-lmu's ``LMUCell`` (0.9.0), one element per
simulator step:

.. code-block:: text

    u_t = e_x x_t + e_h h_{t-1} + e_m m_{t-1} + b_u   (memory input, memory_d dims)
    m_t = Ad m_{t-1} + Bd u_t                          (memory_d * order dims)
    h_t = f(W_m m_t + W_x x_t + W_h h_{t-1} + b_h)     (hidden_units neurons)
    y_t = W_o h_t + b_o                                (output_d dims)

where the ``e_h``, ``e_m``, ``b_u``, ``W_x`` and ``W_h`` terms exist only with
``hidden_to_memory``, ``memory_to_memory``, ``memory_bias``,
``input_to_hidden`` and ``hidden_to_hidden`` respectively, as in keras-lmu
(``use_bias`` is ``memory_bias``; ``hidden_to_hidden`` makes the hidden cell
a ``SimpleRNNCell`` rather than a ``Dense`` layer).  The hidden state sees the
memory *after* this step's update, as keras-lmu's does.  With
``hidden_units=0`` there is no hidden cell (keras-lmu's ``hidden_cell=None``)
and the output is ``[m_t, x_t]`` (``x_t`` only with ``input_to_hidden``).

In Nengo terms: a connection with ``synapse=None`` adds no delay (nengo orders
the operators) and ``synapse=0`` exactly one step, so every "previous step"
term above (``h_{t-1}``, ``m_{t-1}``, the memory's own ``Ad m_{t-1}``) comes
through ``synapse=0`` and everything else through ``synapse=None``.  Every
weight is an ordinary `nengo.Connection` transform (trainable in NengoDL), the
hidden bias is the hidden ensemble's bias, and the memory is an `.LMUMemory`
(the exact memory by default).

One object runs with rate neurons (for training) or with their spiking
counterparts (for deployment): ``LMUNetwork(..., spiking=True)`` or
``network.spiking = True`` swaps the neuron types in place (a memory on
neurons spikes only with a recurrent synapse: see ``memory_synapse``).

**Held elements.**  Deployed spiking, each element is held for
``steps_per_element`` simulator steps.  The zero-order-hold memory is exact for
held inputs, but a recurrence trained once per element (``h_{t-1}`` through
``W_h`` or ``e_h``, ``m_{t-1}`` through ``e_m``) would run once per step.
With ``element_sync=True`` the network runs the recurrence once per element:
the memory updates at the first step of each element and holds ``m_t``, and
``h_{t-1}`` is the mean of the hidden output over the previous element, held
(both on the host, `ElementMemory` and `ElementHold`).  The hidden neurons
then see a constant input for the whole element, so the rate network is exact
at every step and the spike count over an element encodes ``h_t``.
"""

import warnings

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import (
    BoolParam,
    EnumParam,
    IntParam,
    NdarrayParam,
    Parameter,
)

from nengo_lmu import neurons
from nengo_lmu.backends.mapped import (
    BackendParam,
    FiniteNumberParam,
    MappedNetwork,
    check_bool,
)
from nengo_lmu.memory import (
    _unmappable,
    LMUMemory,
    as_moments,
    check_moments,
    check_tuning,
    default_process,
    deprecated_target,
    tuning_arguments,
)
from nengo_lmu.system import discretize, lmu_matrices

#: The parameters, in the order `LMUNetwork.get_parameters` lists them.
PARAMETER_NAMES = (
    "e_x",
    "e_h",
    "e_m",
    "b_u",
    "W_m",
    "W_x",
    "W_h",
    "W_o",
    "b_o",
    "b_h",
)
#: keras-lmu's discretizers (`.LMUNetwork` ``discretizer``).
DISCRETIZERS = ("zoh", "euler")


def glorot(fan_out, fan_in):
    """Glorot's uniform initialization for a ``(fan_out, fan_in)`` matrix."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return nengo.dists.Uniform(-limit, limit)


def element_position(t, dt, steps):
    """The element (0-based) that simulator time ``t`` falls in, and the
    position within it (0 at each element's first step)."""
    return divmod(int(round(t / dt)) - 1, steps)


# --- held elements: host processes ---------------------------------------------


class ElementHold(nengo.Process):
    """Output, during each element, the mean of the input over the previous one.

    The input must arrive through ``synapse=0`` (one step late), so that at an
    element's first step the node has seen all of the previous element's
    steps; it then latches their mean and holds it for the element.  The first
    ``settle`` steps of each element are left out of the mean (a path whose
    values arrive that many steps late, e.g. from a neuromorphic chip).

    For rate neurons whose input is constant within the element, the mean is
    exactly the element's value; for spikes it is their rate over the element.
    A source whose sequence starts at element ``start`` (a layer that runs
    behind) is held only from then on (zeros before).
    """

    steps = IntParam("steps", low=1, readonly=True)
    settle = IntParam("settle", low=0, readonly=True)
    start = IntParam("start", low=0, readonly=True)

    def __init__(self, size, steps, settle=0, start=0):
        if settle >= steps:
            raise ValidationError(
                f"settle={settle} leaves none of the {steps} steps per element to "
                "average; use fewer settle steps or more steps per element",
                attr="settle",
            )
        super().__init__(default_size_in=size, default_size_out=size)
        self.steps, self.settle, self.start = steps, settle, start

    def make_state(self, shape_in, shape_out, dt, dtype=None):
        dtype = np.float64 if dtype is None else dtype
        return {
            "sum": np.zeros(shape_in, dtype=dtype),
            "held": np.zeros(shape_out, dtype=dtype),
        }

    def make_step(self, shape_in, shape_out, dt, rng, state):
        steps, settle, start = self.steps, self.settle, self.start
        total, held = state["sum"], state["held"]
        averaged = steps - settle

        def step(t, x):
            element, position = element_position(t, dt, steps)
            # x left the source one step ago, at position - 1 (mod steps)
            if (position - 1) % steps >= settle:
                total[...] += x
            if position == 0:
                held[...] = total / averaged if element > start else 0
                total[...] = 0
            return held

        return step


class ElementMemoryProcess(nengo.Process):
    """The digital memory updated once per element: at each element's first
    step ``m = Ad m + Bd u`` (one memory per input dimension), held for the
    element.  ``u`` must arrive through ``synapse=None``.  The sequence starts
    at element ``start``: the memory stays at rest before."""

    Ad = NdarrayParam("Ad", shape=("*", "*"), readonly=True)
    Bd = NdarrayParam("Bd", shape=("*",), readonly=True)
    steps = IntParam("steps", low=1, readonly=True)
    start = IntParam("start", low=0, readonly=True)

    def __init__(self, Ad, Bd, size_in, steps, start=0):
        order = len(Ad)
        super().__init__(default_size_in=size_in, default_size_out=size_in * order)
        self.Ad = np.asarray(Ad, dtype=float)
        self.Bd = np.asarray(Bd, dtype=float).reshape(-1)
        self.steps, self.start = steps, start

    def make_state(self, shape_in, shape_out, dt, dtype=None):
        dtype = np.float64 if dtype is None else dtype
        return {"m": np.zeros(shape_out, dtype=dtype)}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        Ad, Bd, steps, start = self.Ad, self.Bd, self.steps, self.start
        m = state["m"]
        size_in, order = shape_in[0], len(Ad)

        def step(t, u):
            element, position = element_position(t, dt, steps)
            if position == 0 and element >= start:
                memory = m.reshape(size_in, order)
                memory[...] = memory @ Ad.T + u[:, None] * Bd[None, :]
            return m

        return step


# --- memories that are not an LMUMemory -----------------------------------------


class HostMemory(nengo.Network):
    """Base of the exact memories `LMUNetwork` builds itself: ``input`` (``u``)
    and ``state`` (``m``, input dimension major), on the host, no neurons."""

    neuron_type = None

    def __init__(self, order, theta, size_in, label=None):
        super().__init__(label=label)
        self.order, self.theta, self.size_in = order, theta, size_in
        self.A, self.B = lmu_matrices(order, 1.0)  # theta = 1: in units of 1/theta

    def frozen_objects(self):
        """What training must not change (the memory's fixed transforms)."""
        return list(self.all_connections)


class ElementMemory(HostMemory):
    """The exact memory updated once per element of ``steps`` simulator steps
    (`ElementMemoryProcess`): ``theta`` in seconds, as `.LMUMemory`'s."""

    def __init__(
        self, order, theta, size_in, steps, dt, discretizer, start=0, label=None
    ):
        super().__init__(order, theta, size_in, label=label)
        elements = theta / (steps * dt)
        Ad, Bd = discretize(self.A / elements, self.B / elements, 1.0, discretizer)
        with self:
            self.input = nengo.Node(size_in=size_in, label="input")
            self.state = nengo.Node(
                ElementMemoryProcess(Ad, Bd, size_in, steps, start), label="state"
            )
            nengo.Connection(self.input, self.state, synapse=None)


class EulerThetaMemory(HostMemory):
    """keras-lmu's Euler memory with a trainable window:
    ``m_t = m_{t-1} + (A m_{t-1} + B u_t) dt / theta``.

    ``dt / theta`` is the scalar transform of one connection (`theta_connection`),
    which NengoDL trains; ``A`` and ``B`` are fixed.
    """

    def __init__(self, order, theta, size_in, dt, label=None):
        super().__init__(order, theta, size_in, label=label)
        eye = np.eye(size_in)
        with self:
            self.input = nengo.Node(size_in=size_in, label="input")
            self.state = nengo.Node(size_in=size_in * order, label="state")
            change = nengo.Node(size_in=size_in * order, label="change")
            self.fixed = [
                nengo.Connection(
                    self.input, change, transform=np.kron(eye, self.B), synapse=None
                ),
                nengo.Connection(
                    self.state, change, transform=np.kron(eye, self.A), synapse=0
                ),
                nengo.Connection(self.state, self.state, synapse=0),
            ]
            self.theta_connection = nengo.Connection(
                change, self.state, transform=dt / theta, synapse=None, label="theta"
            )
        self.dt = dt

    def current_theta(self):
        """The window (seconds) the connection's transform holds now."""
        return self.dt / float(np.asarray(self.theta_connection.transform.init))

    def frozen_objects(self):
        return list(self.fixed)


class ZohThetaMemory(HostMemory):
    """keras-lmu's zero-order-hold memory with a trainable window, for NengoDL:
    a ``nengo_dl.TensorNode`` whose Keras layer owns ``theta_inv`` (``dt /
    theta``) and re-discretizes ``expm([[A, B], [0, 0]] theta_inv)`` every
    step, as keras-lmu does.  It runs only in NengoDL."""

    def __init__(self, order, theta, size_in, dt, label=None):
        import nengo_dl

        super().__init__(order, theta, size_in, label=label)
        self.dt = dt
        self.layer = zoh_theta_layer(self.A, self.B, size_in, dt / theta)
        n_state = size_in * order
        with self:
            self.input = nengo.Node(size_in=size_in, label="input")
            self.node = nengo_dl.TensorNode(
                self.layer,
                shape_in=(size_in + n_state,),
                shape_out=(n_state,),
                pass_time=False,
                label="memory",
            )
            self.state = nengo.Node(size_in=n_state, label="state")
            nengo.Connection(self.input, self.node[:size_in], synapse=None)
            nengo.Connection(self.node, self.node[size_in:], synapse=0)
            nengo.Connection(self.node, self.state, synapse=None)

    def current_theta(self):
        """The window (seconds) the layer's ``theta_inv`` holds now."""
        return self.dt / self.layer.current_theta_inv()


def zoh_theta_layer(A, B, size_in, theta_inv):
    """A Keras layer computing one zero-order-hold memory step from
    ``[u_t, m_{t-1}]`` with a trainable ``theta_inv`` (see `ZohThetaMemory`)."""
    import tensorflow as tf

    order = len(A)

    class ZohThetaLayer(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.theta_inv = self.add_weight(
                name="theta_inv",
                shape=(),
                initializer=tf.initializers.constant(theta_inv),
            )
            self.system = np.block([[A, B], [np.zeros((1, order + 1))]])
            super().build(input_shape)

        def call(self, inputs):
            # the simulator's float type, which may differ from the layer's
            system = tf.constant(self.system, dtype=inputs.dtype)
            theta_inv = tf.cast(self.theta_inv, inputs.dtype)
            u = inputs[:, :size_in]
            m = tf.reshape(inputs[:, size_in:], (-1, size_in, order))
            exp = tf.linalg.expm(system * theta_inv)
            Ad, Bd = exp[:order, :order], exp[:order, order]
            m = tf.matmul(m, Ad, transpose_b=True) + u[:, :, None] * Bd
            return tf.reshape(m, (-1, size_in * order))

        def current_theta_inv(self):
            return float(self.theta_inv.numpy()) if self.built else theta_inv

    return ZohThetaLayer()


# --- layers of neurons -----------------------------------------------------------


def activation_advice(neuron_type):
    """Why ``neuron_type`` cannot spike, and the closest mapping that can."""
    name = type(neuron_type).__name__
    return (
        f"nengo.{name} (keras's {name.lower()} activation) runs only with rate "
        "neurons: no spiking neuron has that rate curve. The closest spiking "
        "mapping is rectified-linear units (nengo.RectifiedLinear, spiking as "
        "SpikingRectifiedLinear): they agree with tanh near 0 but give 0 for "
        "negative inputs and do not saturate, so the trained network would "
        "compute something else. Retrain with ReLU units (keras "
        "activation='relu'), or convert with from_keras(model, activations="
        "{'tanh': nengo.RectifiedLinear()}) and fine-tune in NengoDL before "
        "deploying spiking"
    )


def carried(weights, carry):
    """The transform of a connection from a host relay: ``weights @ carry``
    (``weights`` as they are when ``carry`` is None)."""
    return weights if carry is None else weights @ carry


def uncarried(transform, carry):
    """The weights behind a `carried` transform (a relay's ``carry`` has
    independent rows, so its pseudo-inverse recovers them exactly)."""
    return transform if carry is None else transform @ np.linalg.pinv(carry)


def weight_shape(transform_shape, carry):
    """The shape of the weights behind a transform of ``transform_shape``."""
    if carry is None:
        return tuple(transform_shape)
    return (transform_shape[0], carry.shape[0])


class NeuronLayer(MappedNetwork):
    """Base of `LMUNetwork` and `DenseLayer`: units computing ``f(J + b)``
    (neurons of a rate type and their spiking counterparts, or a node when
    ``f`` is linear), weights held by connections, and the relays that carry
    host values to neurons on backends that need them."""

    rate_scale = FiniteNumberParam("rate_scale", low=0, low_open=True)
    host_scale = FiniteNumberParam("host_scale", low=0, low_open=True)
    spiking_backend = BackendParam("spiking_backend")

    def __init__(
        self,
        neuron_type,
        spiking,
        rate_scale,
        host_scale,
        spiking_backend,
        backend,
        dt,
        label,
        seed,
        add_to_container,
        attr,
    ):
        super().__init__(
            backend, dt, label=label, seed=seed, add_to_container=add_to_container
        )
        if neuron_type is not None and not isinstance(
            neuron_type, nengo.neurons.NeuronType
        ):
            raise ValidationError(
                f"must be a nengo neuron type or None (got {neuron_type!r})",
                attr=attr,
            )
        self._rate_type = (
            None if neuron_type is None else neurons.rate_type(neuron_type)
        )
        self.spiking_backend = (
            self.backend if spiking_backend is None else spiking_backend
        )
        self.rate_scale = rate_scale
        self.host_scale = host_scale
        self.relay_scale = self.backend.host_relay_scale(self.host_scale)
        self._spiking = check_bool(spiking, "spiking", obj=self)
        self._unit_type(self._spiking)  # refuses a type that cannot spike
        self._carries = {}
        self._relays = {}
        self._chip_one = None
        self._fixed = []
        self.parameter_connections = {}
        self.units = None

    @property
    def unit_scale(self):
        """The gain of the units (their biases are multiplied by it too): the
        ``rate_scale`` for types with an amplitude, else 1."""
        if self._rate_type is None or not hasattr(self._rate_type, "amplitude"):
            return 1.0
        return self.rate_scale

    def count_errors(self, currents, rate_scale, steps, backend):
        """How far the output that spiking units estimate from their spike
        count over ``steps`` steps of a constant input (``floor(T dt
        rate(J)) / (T dt)``, with ``backend``'s rate curve) is from the rate
        units' output, at ``rate_scale``: the squared error of each of
        ``currents``, the units' inputs measured at this layer's
        ``rate_scale`` (gain and bias, hence the currents, scale with it)."""
        rate = self._rate_type
        currents = np.ravel(currents) * (rate_scale / self.rate_scale)
        amplitude = rate.amplitude / rate_scale
        exact = np.ravel(rate.rates(currents, 1.0, 0.0)) / rate_scale
        spiking = backend.spiking_type(rate, amplitude=1.0)
        window = steps * self.dt
        hertz = np.ravel(backend.neuron_rates(spiking, currents, self.dt))
        counted = np.floor(window * hertz + 1e-9)  # whole spikes
        return (amplitude * counted / window - exact) ** 2

    def _unit_type(self, spiking):
        rate = self._rate_type
        if rate is None:
            return None
        if not hasattr(rate, "amplitude"):
            if spiking:
                raise ValidationError(
                    f"{self} cannot spike: {activation_advice(rate)}", attr="spiking"
                )
            return rate
        amplitude = rate.amplitude / self.rate_scale
        if spiking:
            return self.spiking_backend.spiking_type(rate, amplitude=amplitude)
        return neurons.copy_neuron_type(rate, type(rate), amplitude=amplitude)

    def _make_units(self, n, label, bias_name):
        """The units (an Ensemble, or a Node when linear) and the object that
        connections target (``.neurons`` or the node)."""
        if self._rate_type is None:
            node = nengo.Node(size_in=n, label=label)
            self._connect(bias_name, self.one, node, np.zeros((n, 1)))
            self.units = node
            return node, node
        self.units = nengo.Ensemble(
            n,
            1,
            neuron_type=self._unit_type(self._spiking),
            gain=nengo.dists.Choice([self.unit_scale]),
            bias=nengo.dists.Choice([0.0]),
            label=label,
        )
        return self.units, self.units.neurons

    #: A relayed drive reaches this much above the drive at which the
    #: units saturate: room for biases down to a tenth of it below zero.
    DRIVE_HEADROOM = 1.1

    @property
    def drive_scale(self):
        """The largest drive (a unit's whole input but its bias) that a relay
        sends when the host sums it: `DRIVE_HEADROOM` times the drive at which
        the units spiking on the backend fire no faster
        (`.Backend.saturating_drive`: a larger one changes nothing there, a
        smaller one would be clipped below the ceiling), else
        ``host_scale``.  A unit whose bias is below minus a tenth of that
        drive still fires below its ceiling at the largest drive sent."""
        if not hasattr(self._rate_type, "amplitude"):  # never spiking
            return self.host_scale
        try:
            spiking = self._unit_type(True)
        except ValidationError:  # a rate type with no spiking counterpart here
            return self.host_scale
        ceiling = self.backend.saturating_drive(spiking, self.unit_scale, self.dt)
        if ceiling is None:
            return self.host_scale
        return self.DRIVE_HEADROOM * ceiling

    @property
    def one(self):
        """A node of constant 1 (made on first use): biases that are not an
        ensemble's come from it."""
        if getattr(self, "_one", None) is None:
            with self:
                self._one = nengo.Node([1.0], label="one")
        return self._one

    def _relayed(self, pre, scale=None):
        """Where a host node's values reach neurons from, and the ``carry``
        (`.Backend.host_relay`) that weights from ``pre`` are multiplied by
        there: ``pre`` itself and None when the backend sends host values as
        they are, else the backend's relay (one per host node), sending
        values up to ``scale`` (default ``host_scale``)."""
        if pre not in self._relays:
            scale = self.host_scale if scale is None else scale
            self._relays[pre] = self.backend.host_relay(pre, scale, self.dt)
        if self._relays[pre] is None:
            return pre, None
        return self._relays[pre]

    def _connect_bias(self, name, post, size, on_chip=False):
        """Connect a bias of ``size`` values to ``post`` through the parameter
        ``name``: from `one`, or with ``on_chip`` from the backend's
        `.Backend.constant_source` where it has one (neurons on the chip,
        one per network), so that no host value reaches ``post``."""
        if on_chip and self._chip_one is None:
            with self:
                self._chip_one = self.backend.constant_source(self.dt) or False
        source = self._chip_one if on_chip and self._chip_one else self.one
        self._connect(name, source, post, np.zeros((size, 1)))

    def _connect(self, name, pre, post, weights, synapse=None, host=True):
        """Connect ``pre`` to ``post`` through the parameter ``name``; a host
        node's values reach neurons through the backend's relay when it has
        one (the weights times its ``carry``).  ``host=False``: a node passing
        on values of neurons (on the chip), never relayed."""
        carry = None
        if (
            host
            and isinstance(pre, nengo.Node)
            and isinstance(post, nengo.ensemble.Neurons)
        ):
            pre, carry = self._relayed(pre)
        self._carries[name] = carry
        self.parameter_connections[name] = nengo.Connection(
            pre,
            post,
            transform=carried(np.asarray(weights, dtype=float), carry),
            synapse=synapse,
            label=name,
        )

    @property
    def spiking(self):
        """Whether the neurons spike.

        Setting it swaps the neuron types in place (before a simulator is
        built): rate types for training, their spiking counterparts for
        deployment.
        """
        return self._spiking

    @spiking.setter
    def spiking(self, spiking):
        spiking = check_bool(spiking, "spiking", obj=self)
        unit_type = self._unit_type(spiking)
        previous, self._spiking = self._spiking, spiking
        try:
            self._swap_other_neurons()
        except ValidationError:
            self._spiking = previous
            raise
        if isinstance(self.units, nengo.Ensemble):
            self.units.neuron_type = unit_type

    def _swap_other_neurons(self):
        """Give neurons other than the units the type `spiking` asks for."""

    def mismatch(self, backend):
        """Host values reach the neurons unscaled but ``backend`` would
        saturate them (scaled ones run exactly anywhere)."""
        needs = backend.host_relay_scale(self.host_scale)
        if needs != 1 and self.relay_scale == 1 and self._carries:
            return (
                "host values would reach its neurons as spikes that saturate at "
                f"1, sent without dividing them by host_scale={needs:g}"
            )
        return None

    def frozen_objects(self):
        """What training must not change: the relays that carry host values
        to the neurons, the connections that only carry values, and the
        chip's constant neuron (`.Backend.constant_source`)."""
        relays_in = {
            getattr(relay[0], "ensemble", relay[0])
            for relay in self._relays.values()
            if relay is not None
        }
        relays = [
            conn
            for conn in self.all_connections
            if conn.post_obj in relays_in
        ]
        constant = [self._chip_one.ensemble] if self._chip_one else []
        return relays + self._fixed + constant

    # --- parameters ---------------------------------------------------------------

    def _bias_name(self):
        raise NotImplementedError

    def parameter_shapes(self):
        """The name and shape of each trainable parameter."""
        shapes = {
            name: weight_shape(conn.transform.shape, self._carries[name])
            for name, conn in self.parameter_connections.items()
        }
        if isinstance(self.units, nengo.Ensemble):
            shapes[self._bias_name()] = (self.units.n_neurons,)
        elif self.units is not None:
            shapes[self._bias_name()] = (self.units.size_out,)
        return shapes

    def get_parameters(self):
        """The current parameter values (the initial ones until trained/set).

        A neuron bias is in activation units (the ensemble's bias divided by
        the units' gain).
        """
        params = {}
        for name, conn in self.parameter_connections.items():
            value = np.broadcast_to(conn.transform.init, conn.transform.shape)
            params[name] = uncarried(np.array(value), self._carries[name])
        bias_name = self._bias_name()
        if bias_name in params:  # a node's bias: (n, 1) -> (n,)
            params[bias_name] = params[bias_name][:, 0]
        elif isinstance(self.units, nengo.Ensemble):
            bias = self.units.bias
            if isinstance(bias, nengo.dists.Distribution):
                bias = bias.sample(self.units.n_neurons)
            params[bias_name] = np.asarray(bias, dtype=float) / self.unit_scale
        return params

    def set_parameters(self, params):
        """Set the weights and biases from ``params`` (name -> array).

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
        bias_name = self._bias_name()
        for name, conn in self.parameter_connections.items():
            value = np.array(params[name], dtype=float)
            if name == bias_name:
                value = value[:, None]
            conn.transform = carried(value, self._carries[name])
        if isinstance(self.units, nengo.Ensemble):
            self.units.bias = (
                np.asarray(params[bias_name], dtype=float) * self.unit_scale
            )


class DenseLayer(NeuronLayer):
    """``y = f(W x + b)``: a Keras ``Dense`` layer between or after LMU layers.

    Parameters
    ----------
    input_d : int
        Dimensions of the input ``x``.
    units : int
        Dimensions of the output.
    neuron_type : nengo.neurons.NeuronType or None
        ``f``: a rate neuron type (rectified-linear, LIF-rate; ``nengo.Tanh``
        and ``nengo.Sigmoid`` with rates only), or None for a linear layer
        (a node on the host; it spikes never, and runs the same spiking).
    spiking, rate_scale, host_scale, spiking_backend, dt, backend
        As for `.LMUNetwork`.
    label, seed, add_to_container
        As for `nengo.Network`.

    Attributes
    ----------
    input : nengo.Node
    output : nengo.ensemble.Neurons or nengo.Node
    parameter_connections : dict of nengo.Connection
        ``W`` (and ``b`` for a linear layer).

    Examples
    --------
    >>> dense = DenseLayer(input_d=3, units=2)
    >>> sorted(dense.parameter_shapes().items())
    [('W', (2, 3)), ('b', (2,))]
    """

    input_d = IntParam("input_d", low=1)
    n_units = IntParam("n_units", low=1)

    def __init__(
        self,
        input_d,
        units,
        neuron_type=None,
        spiking=False,
        rate_scale=1.0,
        host_scale=4.0,
        spiking_backend=None,
        dt=0.001,
        backend="nengo",
        label=None,
        seed=None,
        add_to_container=None,
    ):
        super().__init__(
            neuron_type,
            spiking,
            rate_scale,
            host_scale,
            spiking_backend,
            backend,
            dt,
            label,
            seed,
            add_to_container,
            attr="neuron_type",
        )
        self.input_d, self.n_units = input_d, units
        rng = np.random.RandomState(seed)
        with self:
            self.input = nengo.Node(size_in=input_d, label="input")
            _, self.output = self._make_units(units, "units", "b")
            self._connect(
                "W",
                self.input,
                self.output,
                glorot(units, input_d).sample(units, input_d, rng=rng),
            )

    @property
    def neuron_type(self):
        """The rate type of the units (None: linear)."""
        return self._rate_type

    @property
    def size_out(self):
        return self.n_units

    def _bias_name(self):
        return "b"

    def get_config(self):
        """The constructor arguments (JSON-able)."""
        return {
            "input_d": self.input_d,
            "units": self.n_units,
            "neuron_type": neurons.to_config(self._rate_type),
            "spiking": self.spiking,
            "rate_scale": self.rate_scale,
            "host_scale": self.host_scale,
            "spiking_backend": self.spiking_backend.name,
            "dt": self.dt,
            "backend": self.backend.name,
            "label": self.label,
            "seed": self.seed,
        }


class LMUNetwork(NeuronLayer):
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
        Neurons in the hidden state; 0 for none (keras-lmu's
        ``hidden_cell=None``: the output is ``[m_t, x_t]``).
    output_d : int
        Dimensions of the readout ``.output``; 0 for none, and then the
        layer's ``output`` is the hidden state itself.
    output_bias : bool
        Whether the readout has a bias ``b_o``: a constant from a host node,
        or with ``readout_to_neurons`` on Loihi from a neuron on the chip.
    hidden_neuron_type : nengo.neurons.NeuronType or None
        The hidden neurons when running with rates: ``nengo.RectifiedLinear``
        or ``nengo.LIFRate`` (a spiking type is replaced by its rate type);
        ``nengo.Tanh(tau_ref=1)`` or ``nengo.Sigmoid(tau_ref=1)`` (keras's
        tanh and sigmoid) with rates only; None for linear units (a node).
    spiking : bool
        Run the hidden neurons (and any neural memory) with the spiking
        counterpart of their rate type on ``spiking_backend``.  Can be changed
        after construction with ``network.spiking = ...`` (a memory on neurons
        built without a recurrent synapse refuses to spike).
    rate_scale : float
        Hidden gains are ``rate_scale`` and neuron amplitudes
        ``1 / rate_scale``: the same rate network, with spiking neurons firing
        ``rate_scale`` times faster (exact for rectified-linear neurons;
        neuron types without an amplitude, such as ``nengo.Tanh``, ignore it).
    hidden_to_memory, memory_to_memory, input_to_hidden, hidden_to_hidden : bool
        Which optional connections exist (see the module docstring).
    memory_bias : bool
        A bias ``b_u`` on the memory input (keras-lmu's ``use_bias``); for a
        memory on neurons on Loihi, from a neuron on the chip (as
        ``readout_to_neurons``).
    discretizer : {"zoh", "euler"}
        How the memory is discretized (keras-lmu's ``discretizer``).
    trainable_theta : bool
        Let NengoDL train the window (keras-lmu's ``trainable_theta``).  With
        ``"euler"`` the window is one connection's scalar transform (every
        simulator runs it); with ``"zoh"`` the memory re-discretizes itself
        every step in a ``nengo_dl.TensorNode``, built when ``backend`` is
        ``"dl"`` (elsewhere the memory is fixed at the current window).  The
        trained window is `current_theta` (and ``get_config()["theta"]``).
    lagged_memory : bool
        The timing of nengo-lmu before 0.3, whose trained parameter files
        select it: the exact memory takes its input one step late, so the
        hidden state sees ``m_{t-1}`` next to ``x_t``.  Not keras-lmu's cell.
    steps_per_element : int
        Simulator steps each input element is held for (``theta`` stays in
        seconds); used by ``element_sync``.
    element_sync : bool
        With ``steps_per_element > 1``, run the recurrence once per element
        (see the module docstring): the exact memory updates once per
        element, and ``h_{t-1}`` is held.  Exact in rate mode at every step.
    hold_input : bool
        With ``element_sync``, use the mean of the input over each element,
        one element later (for an input that varies within elements, e.g. a
        spiking layer's output): the layer then runs one element behind.
    input_delay : int
        With ``element_sync``, the element at which the input's sequence
        starts (a layer fed by layers that run behind): the layer stays at
        rest before.
    settle_steps : int
        With ``element_sync``, steps at the start of each element that the
        holds leave out (values that reach the host late).
    memory_neuron_type : nengo.neurons.NeuronType or None
        None (default) builds the exact memory (a host node on Loihi);
        otherwise the neurons of a spiking `.LMUMemory` (``memory_n_neurons``
        per dimension), on the chip, its principle-3 recurrence frozen in
        training while the weights into and out of it train.
    memory_n_neurons : int
        Neurons per memory dimension for a neural memory.
    memory_input_rms : float
        The rms of the memory's input ``u`` that a neural memory is tuned for
        (white noise to ``1/theta`` Hz; its ensembles' radii and, on Loihi,
        the scale at which ``u`` reaches the neurons), where
        ``memory_statistics`` is not given.
    memory_statistics : InputStatistics or dict, optional
        What a neural memory is tuned for instead: the statistics of the
        inputs the trained network gives it (`.LMUStack.memory_statistics`
        measures them; a trained encoder's output can be far from white
        noise of rms 0.3, and a memory scaled for the wrong range saturates
        where rates are bounded, as on Loihi).
    memory_synapse : float, optional
        Recurrent synapse of the memory (principle 3 maps it exactly).
        Default (None): none (keras-lmu's update ``m_t = Ad m_{t-1} + Bd
        u_t``, as trained, one step per element) for the exact memory and a
        memory of rate neurons; a quarter of the window for a memory of
        spiking neurons, which needs one (each spike would be fed straight
        back).
    memory_tuning : dict, optional
        A neural memory's tuning instead of the backend's default
        (`.Backend.memory_tuning`): some of ``max_rates`` and ``intercepts``
        (``[low, high]``, uniform, or nengo distributions), ``lead`` and
        ``headroom`` (see `.LMUMemory`).  With Loihi's neurons, which lose
        their voltage to negative input, ``{"intercepts": [-1.5, -1.1],
        "lead": 0}`` keeps every neuron's input positive over the memory's
        range (MNIST-1D's trained network, Loihi's neurons on nengo: 89.5 %
        against 71.5 %, with six times the spikes; white noise into a 1 s
        window does better without it: 0.037 against 0.026 on the emulator).
    memory_readout_synapse : float, optional
        Lowpass (seconds) on a neural memory's readout into the hidden
        neurons; None (default): unfiltered, so that spiking, each memory
        spike reaches them as an impulse.  A few milliseconds average that
        noise at little lag (MNIST-1D's trained network, memories of spiking
        neurons on nengo: 91.0 % with 5 ms, 83.5 % without).  Needs a
        neural memory: the exact memory's values are exact.
    synapse : float
        Synapse on the recurrent connections from the hidden neurons
        (0 is a one-step delay).
    dt : float
        Simulator step the memory is mapped for.
    backend : {"nengo", "dl", "loihi"}
        The simulator the network is mapped for (the memory's synapse, the
        spiking neuron types, how host values reach the hidden neurons).
    input_from_neurons : bool
        The input is the readout of another layer's neurons (on the chip,
        with no bias from the host): it reaches this layer's neurons
        directly, not as a host value (``host_scale`` does not apply to it).
    readout_to_neurons : bool
        The readout feeds another layer's neurons (`.LMUStack` sets it when
        this layer's hidden units are neurons and the next layer's memory is
        on neurons and takes the readout as it is, not held on the host): on
        a backend whose neurons run on a chip (Loihi), the readout's bias
        ``b_o`` then comes from a neuron there that fires at every step
        (`.Backend.constant_source`), not from a host node, so that the
        readout stays on the chip.  Elsewhere it changes nothing.
    host_scale : float
        The largest host value (the input, an exact memory) that reaches the
        hidden neurons without saturating on a backend that sends host values
        as spikes (Loihi): values are sent divided by it and the weights
        multiplied by it, so the parameters are unchanged.  (With
        ``element_sync`` the host sums each hidden neuron's input, which is
        sent up to `drive_scale` instead.)
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
    memory : LMUMemory or HostMemory
        The memory; ``memory.state`` is ``m``.
    hidden : nengo.Ensemble, nengo.Node or None
        The hidden state (connect to and from ``hidden.neurons``); a node for
        linear units; None without a hidden cell.
    output : nengo.Node or nengo.ensemble.Neurons
        The readout ``y`` (unfiltered), or the hidden state when
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
    theta = FiniteNumberParam("theta", low=0, low_open=True)
    hidden_units = IntParam("hidden_units", low=0)
    output_d = IntParam("output_d", low=0)
    output_bias = BoolParam("output_bias")
    hidden_to_memory = BoolParam("hidden_to_memory")
    memory_to_memory = BoolParam("memory_to_memory")
    input_to_hidden = BoolParam("input_to_hidden")
    hidden_to_hidden = BoolParam("hidden_to_hidden")
    memory_bias = BoolParam("memory_bias")
    discretizer = EnumParam("discretizer", values=DISCRETIZERS)
    trainable_theta = BoolParam("trainable_theta")
    lagged_memory = BoolParam("lagged_memory")
    steps_per_element = IntParam("steps_per_element", low=1)
    element_sync = BoolParam("element_sync")
    hold_input = BoolParam("hold_input")
    input_delay = IntParam("input_delay", low=0)
    settle_steps = IntParam("settle_steps", low=0)
    memory_neuron_type = Parameter("memory_neuron_type", optional=True)
    memory_n_neurons = IntParam("memory_n_neurons", low=1)
    memory_synapse = FiniteNumberParam("memory_synapse", low=0, optional=True)
    memory_input_rms = FiniteNumberParam("memory_input_rms", low=0, low_open=True)
    memory_statistics = Parameter("memory_statistics", optional=True)
    memory_tuning = Parameter("memory_tuning", optional=True)
    memory_readout_synapse = FiniteNumberParam(
        "memory_readout_synapse", low=0, optional=True
    )
    synapse = FiniteNumberParam("synapse", low=0)
    input_from_neurons = BoolParam("input_from_neurons")
    readout_to_neurons = BoolParam("readout_to_neurons")

    def __init__(
        self,
        input_d,
        memory_d,
        order,
        theta,
        hidden_units,
        output_d=0,
        output_bias=True,
        hidden_neuron_type=nengo.RectifiedLinear(),
        spiking=False,
        rate_scale=1.0,
        hidden_to_memory=False,
        memory_to_memory=False,
        input_to_hidden=False,
        hidden_to_hidden=False,
        memory_bias=False,
        discretizer="zoh",
        trainable_theta=False,
        lagged_memory=False,
        steps_per_element=1,
        element_sync=False,
        hold_input=False,
        input_delay=0,
        settle_steps=0,
        memory_neuron_type=None,
        memory_n_neurons=100,
        memory_synapse=None,
        memory_input_rms=0.3,
        memory_statistics=None,
        memory_tuning=None,
        memory_readout_synapse=None,
        synapse=0.0,
        input_from_neurons=False,
        readout_to_neurons=False,
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
            hidden_neuron_type,
            spiking,
            rate_scale,
            host_scale,
            spiking_backend,
            backend,
            dt,
            label,
            seed,
            add_to_container,
            attr="hidden_neuron_type",
        )
        self.input_d = input_d
        self.memory_d = memory_d
        self.order = order
        self.theta = theta
        self.hidden_units = hidden_units
        self.output_d = output_d
        self.output_bias = output_bias
        self.hidden_to_memory = hidden_to_memory
        self.memory_to_memory = memory_to_memory
        self.input_to_hidden = input_to_hidden
        self.hidden_to_hidden = hidden_to_hidden
        self.memory_bias = memory_bias
        self.discretizer = discretizer
        self.trainable_theta = trainable_theta
        self.lagged_memory = lagged_memory
        self.steps_per_element = steps_per_element
        self.element_sync = element_sync
        self.hold_input = hold_input
        self.input_delay = input_delay
        self.settle_steps = settle_steps
        self.memory_neuron_type = memory_neuron_type
        self.memory_n_neurons = memory_n_neurons
        self.memory_synapse = memory_synapse
        self.memory_input_rms = memory_input_rms
        self.memory_statistics = (
            None
            if memory_statistics is None
            else check_moments(
                memory_statistics, memory_d, order, attr="memory_statistics", obj=self
            )
        )
        self.memory_tuning = (
            None if memory_tuning is None else check_tuning(memory_tuning, obj=self)
        )
        self.memory_readout_synapse = memory_readout_synapse
        self.synapse = synapse
        self.input_from_neurons = input_from_neurons
        self.readout_to_neurons = readout_to_neurons
        self._check_options()
        with self:
            self._build(np.random.RandomState(seed))

    @property
    def hidden_neuron_type(self):
        """The rate type of the hidden units (None: linear)."""
        return self._rate_type

    @property
    def synchronous(self):
        """Whether the recurrence runs once per element (``element_sync`` with
        more than one step per element)."""
        return self.element_sync and self.steps_per_element > 1

    @property
    def start_element(self):
        """With ``element_sync``, the element at which this layer's output
        sequence starts (``input_delay``, one more with ``hold_input``)."""
        return self.input_delay + self.hold_input

    @property
    def size_out(self):
        """Dimensions of ``output``."""
        if self.output_d > 0:
            return self.output_d
        if self.hidden_units > 0:
            return self.hidden_units
        return self.memory_d * self.order + self.input_d * self.input_to_hidden

    def _check_options(self):
        def refuse(message, attr):
            raise ValidationError(message, attr=attr, obj=self)

        if self.hidden_units == 0:
            for option in ("hidden_to_memory", "hidden_to_hidden"):
                if getattr(self, option):
                    refuse("needs hidden units (hidden_units=0 has none)", option)
        neural = self.memory_neuron_type is not None
        if self.memory_readout_synapse is not None and not neural:
            refuse(
                "filters a neural memory's spikes: give memory_neuron_type, or "
                "None here (the exact memory's values are exact)",
                "memory_readout_synapse",
            )
        if self.memory_tuning is not None and not neural:
            refuse(
                "tunes a neural memory: give memory_neuron_type, or None here",
                "memory_tuning",
            )
        if neural and self.memory_synapse == 0 and self.spiking:
            refuse(
                "a memory of spiking neurons needs a recurrent synapse: without "
                "one each spike is fed straight back into the state; give None (a "
                "quarter of the window) or a time constant",
                "memory_synapse",
            )
        if self.memory_readout_synapse is not None and self.hidden_units == 0:
            refuse(
                "filters the memory's readout into the hidden neurons "
                "(hidden_units=0 has none): give None",
                "memory_readout_synapse",
            )
        if neural and (self.trainable_theta or self.synchronous):
            option = "trainable_theta" if self.trainable_theta else "element_sync"
            refuse(f"{option} needs the exact memory (memory_neuron_type=None)", option)
        if self.lagged_memory and (self.synchronous or self.trainable_theta):
            option = "element_sync" if self.synchronous else "trainable_theta"
            refuse(
                "lagged_memory is the timing of parameters trained before "
                f"nengo-lmu 0.3; {option} exists only with keras-lmu's timing "
                "(lagged_memory=False)",
                "lagged_memory",
            )
        for option in ("hold_input", "input_delay"):
            if getattr(self, option) and not self.synchronous:
                refuse(
                    f"{option} needs element_sync=True and steps_per_element > 1",
                    option,
                )

    def _build(self, rng):
        self.input = nengo.Node(size_in=self.input_d, label="input")
        x = self.input
        if self.hold_input:
            x = nengo.Node(
                self._hold(self.input_d, self.input_delay), label="input held"
            )
            nengo.Connection(self.input, x, synapse=0)
        self.memory = self._make_memory()
        u, m = self.memory.input, self.memory.state
        n_memory = self.memory_d * self.order
        units = self.hidden_units
        self.hidden = hidden = None
        if units > 0:
            self.hidden, hidden = self._make_units(units, "hidden", "b_h")
        previous, recurrent_synapse = hidden, self.synapse
        if self.synchronous and (self.hidden_to_hidden or self.hidden_to_memory):
            previous = nengo.Node(
                self._hold(units, self.start_element), label="hidden held"
            )
            nengo.Connection(hidden, previous, synapse=0)
            recurrent_synapse = None

        x_host = not (self.input_from_neurons and x is self.input)
        m_host = self.memory_neuron_type is None
        self._connect("e_x", x, u, self._encoder_init(rng))
        if self.memory_bias:
            self._connect_bias("b_u", u, self.memory_d, on_chip=not m_host)
        if self.hidden_to_memory:
            self._connect(
                "e_h",
                previous,
                u,
                np.zeros((self.memory_d, units)),
                synapse=recurrent_synapse,
            )
        if self.memory_to_memory:
            self._connect(
                "e_m",
                m,
                u,
                np.zeros((self.memory_d, n_memory)),
                synapse=None if self.lagged_memory else 0,
            )
        if units > 0:
            drive = hidden
            if self.synchronous and isinstance(hidden, nengo.ensemble.Neurons):
                drive = self._host_drive(hidden)
            self._connect(
                "W_m",
                m,
                drive,
                glorot(units, n_memory).sample(units, n_memory, rng=rng),
                synapse=self.memory_readout_synapse,
                host=m_host,
            )
            if self.input_to_hidden:
                self._connect(
                    "W_x",
                    x,
                    drive,
                    glorot(units, self.input_d).sample(units, self.input_d, rng=rng),
                    host=x_host,
                )
            if self.hidden_to_hidden:
                q, _ = np.linalg.qr(rng.randn(units, units))
                self._connect("W_h", previous, drive, q, synapse=recurrent_synapse)
            out = hidden
        else:
            read = n_memory + self.input_d * self.input_to_hidden
            out = nengo.Node(size_in=read, label="memory and input")
            nengo.Connection(m, out[:n_memory], synapse=None)
            if self.input_to_hidden:
                nengo.Connection(x, out[n_memory:], synapse=None)
        if self.output_d > 0:
            n_out = out.size_out
            self.output = nengo.Node(size_in=self.output_d, label="output")
            self._connect(
                "W_o",
                out,
                self.output,
                glorot(self.output_d, n_out).sample(self.output_d, n_out, rng=rng),
            )
            if self.output_bias:
                self._connect_bias(
                    "b_o", self.output, self.output_d, self.readout_to_neurons
                )
        else:
            self.output = out

    def _host_drive(self, neurons):
        """A host node summing the hidden neurons' input (all of it is on the
        host and constant within an element when synchronous): one value per
        neuron reaches them, rather than every memory, input and held hidden
        dimension (each sent as spikes on a backend that sends host values
        so, with its own noise), sent up to `drive_scale`."""
        drive = nengo.Node(size_in=neurons.size_in, label="hidden input")
        pre, carry = self._relayed(drive, self.drive_scale)
        self._fixed.append(
            nengo.Connection(
                pre, neurons, transform=1.0 if carry is None else carry, synapse=None
            )
        )
        return drive

    def _hold(self, size, start):
        return ElementHold(size, self.steps_per_element, self.settle_steps, start)

    def _make_memory(self):
        common = dict(order=self.order, theta=self.theta, size_in=self.memory_d)
        if self.synchronous:
            return ElementMemory(
                **common,
                steps=self.steps_per_element,
                dt=self.dt,
                discretizer=self.discretizer,
                start=self.start_element,
                label="memory",
            )
        if self.trainable_theta and self.discretizer == "euler":
            return EulerThetaMemory(**common, dt=self.dt, label="memory")
        if self.trainable_theta and self.backend is _trainer():
            return ZohThetaMemory(**common, dt=self.dt, label="memory")
        exact = self.memory_neuron_type is None
        synapse = self.memory_synapse
        if synapse is None:  # keras-lmu's update; spikes need a synapse
            spiking = not exact and self._memory_type(self._spiking).spiking
            synapse = self.theta / 4 if spiking else 0
        if self.memory_statistics is not None:
            common["statistics"] = self.memory_statistics
        elif not exact:
            common["process"] = default_process(
                self.theta, self.memory_input_rms, dt=self.dt
            )
        return LMUMemory(
            n_neurons=self.memory_n_neurons,
            neuron_type=self._memory_type(self._spiking),
            synapse=synapse,
            dt=self.dt,
            backend=self.backend,
            discretizer=self.discretizer,
            input_synapse=0 if self.lagged_memory and exact else "backend",
            read_input=False,  # an input from the chip stays there
            label="memory",
            **tuning_arguments(self.memory_tuning),
            **common,
        )

    def _encoder_init(self, rng):
        if self.memory_d == self.input_d:
            return np.eye(self.memory_d)
        return glorot(self.memory_d, self.input_d).sample(
            self.memory_d, self.input_d, rng=rng
        )

    def _bias_name(self):
        return "b_h"

    def _memory_type(self, spiking):
        """A neural memory's neurons: the given type's rate type, or when
        spiking the given spiking type (or the rate type's counterpart)."""
        given = self.memory_neuron_type
        if given is None:
            return None
        if not spiking:
            return neurons.rate_type(given)
        return given if given.spiking else self.spiking_backend.spiking_type(given)

    def _swap_other_neurons(self):
        """A neural memory's neurons follow the hidden ones (spiking, only
        with a recurrent synapse)."""
        memory_type = self._memory_type(self._spiking)
        if memory_type is None:
            return
        reason = _unmappable(memory_type, self.dt)
        if reason is not None:
            raise ValidationError(
                f"cannot make this memory spike: {reason}", attr="spiking", obj=self
            )
        unfiltered = getattr(getattr(self.memory, "synapse", None), "tau", 1) == 0
        if memory_type.spiking and unfiltered:
            raise ValidationError(
                "cannot make this memory spike: it was built without a recurrent "
                "synapse (as for training, one step per element), and each spike "
                "would be fed straight back; build it spiking, with memory_synapse "
                "None (a quarter of the window) or a time constant",
                attr="spiking",
                obj=self,
            )
        for ens in self.memory.all_ensembles:
            ens.neuron_type = memory_type

    def current_theta(self):
        """The memory window in seconds: ``theta``, or where it trains
        (``trainable_theta``), the value training has reached."""
        current = getattr(self.memory, "current_theta", None)
        if current is None:
            return self.theta
        theta = current()
        if not np.isfinite(theta) or theta <= 0:
            raise ValidationError(
                f"training drove the window to theta={theta:g} s (keras-lmu keeps "
                "theta_inv >= 0); train with a smaller learning rate",
                attr="theta",
                obj=self,
            )
        return theta

    # --- backends -------------------------------------------------------------

    def frozen_objects(self):
        """What training must not change: the memory's mapping and the
        relays that carry host values to the neurons."""
        return self.memory.frozen_objects() + super().frozen_objects()

    # --- parameters -------------------------------------------------------------

    def get_config(self):
        """The constructor arguments (JSON-able): ``LMUNetwork(**config)``
        rebuilds this network, with its initial parameters (and the window
        that training has reached, with ``trainable_theta``)."""
        return {
            "input_d": self.input_d,
            "memory_d": self.memory_d,
            "order": self.order,
            "theta": self.current_theta(),
            "hidden_units": self.hidden_units,
            "output_d": self.output_d,
            "output_bias": self.output_bias,
            "hidden_neuron_type": neurons.to_config(self.hidden_neuron_type),
            "spiking": self.spiking,
            "rate_scale": self.rate_scale,
            "hidden_to_memory": self.hidden_to_memory,
            "memory_to_memory": self.memory_to_memory,
            "input_to_hidden": self.input_to_hidden,
            "hidden_to_hidden": self.hidden_to_hidden,
            "memory_bias": self.memory_bias,
            "discretizer": self.discretizer,
            "trainable_theta": self.trainable_theta,
            "lagged_memory": self.lagged_memory,
            "steps_per_element": self.steps_per_element,
            "element_sync": self.element_sync,
            "hold_input": self.hold_input,
            "input_delay": self.input_delay,
            "settle_steps": self.settle_steps,
            "memory_neuron_type": neurons.to_config(self.memory_neuron_type),
            "memory_n_neurons": self.memory_n_neurons,
            "memory_synapse": self.memory_synapse,
            "memory_input_rms": self.memory_input_rms,
            "memory_statistics": as_moments(self.memory_statistics),
            "memory_tuning": self.memory_tuning,
            "memory_readout_synapse": self.memory_readout_synapse,
            "synapse": self.synapse,
            "input_from_neurons": self.input_from_neurons,
            "readout_to_neurons": self.readout_to_neurons,
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
        return super().parameter_shapes()

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


def _trainer():
    from nengo_lmu import backends

    return backends.trainer()
