"""keras-lmu models to nengo-lmu stacks and back: `from_keras`, `to_keras`.

`from_keras` takes a trained ``tf.keras.Model`` made of keras-lmu 0.9.0
``LMU`` / ``RNN(LMUCell)`` / ``LMUFeedforward`` layers and ``Dense`` /
``TimeDistributed(Dense)`` layers between and after them, and returns the
`.LMUStack` that computes the same function with the same weights: each LMU
layer becomes an `.LMUNetwork` (keras-lmu's ``LMUCell``, exactly, one element
per simulator step), each Dense layer a `.DenseLayer`.  The stack runs on every
backend (``nengo_lmu.Simulator(stack, backend=...)``), spiking when asked,
and its `~.LMUStack.predict` returns what ``model.predict`` returns.

Weights are read by attribute (``cell.kernel``, ``cell.hidden_cell.kernel``,
...), never by position: an ``LMU`` layer lists its hidden cell's weights
first and ``RNN(LMUCell)`` last.  The mapping (keras stores transposes)::

    cell.kernel            (input_d [+ units], memory_d)  rows: e_x.T [; e_h.T]
    cell.bias              (memory_d,)                    b_u
    cell.recurrent_kernel  (memory_d * order, memory_d)   e_m.T
    cell.theta_inv         ()                             1 / theta (elements)
    hidden_cell.kernel     (memory_d * order [+ input_d], units)  W_m.T [; W_x.T]
    hidden_cell.recurrent_kernel (units, units)           W_h.T (SimpleRNNCell)
    hidden_cell.bias       (units,)                       b_h
    Dense.kernel, .bias    (in, out), (out,)              W.T, b

Activations: ``relu`` is `nengo.RectifiedLinear` (spiking:
SpikingRectifiedLinear, or Loihi's), `lif_rate` is `nengo.LIFRate` (spiking:
LIF), ``linear`` a node; ``tanh`` and ``sigmoid`` are ``nengo.Tanh(tau_ref=1)``
and ``nengo.Sigmoid(tau_ref=1)``, exact with rate neurons, refused spiking
(keras-lmu's default ``SimpleRNNCell`` activation is tanh: retrain with
``activation="relu"`` to deploy spiking).

TensorFlow and keras-lmu are imported when these functions run (``import
nengo_lmu`` needs only nengo).
"""

import warnings

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_lmu.stack import LMUStack, layer_kind

#: keras activation names and the nengo rate types that compute them exactly.
ACTIVATIONS = {
    "relu": nengo.RectifiedLinear(),
    "tanh": nengo.Tanh(tau_ref=1.0),
    "sigmoid": nengo.Sigmoid(tau_ref=1.0),
    "linear": None,
}


def _require():
    try:
        import keras_lmu
        import tensorflow as tf
    except ImportError as error:
        raise ImportError(
            "from_keras and to_keras need keras-lmu and TensorFlow: "
            'pip install "nengo-lmu[keras,dl]"'
        ) from error
    return tf, keras_lmu


# --- the LIF-rate activation ---------------------------------------------------

_LIF_RATE = {}


def lif_rate_class():
    """The Keras activation class equal to `nengo.LIFRate` (made once)."""
    if "class" in _LIF_RATE:
        return _LIF_RATE["class"]
    tf, _ = _require()

    @tf.keras.utils.register_keras_serializable(package="nengo_lmu")
    class LIFRate:
        """``amplitude / gain * r(gain * x)`` with ``r`` nengo's LIF rate
        curve ``1 / (tau_ref + tau_rc log(1 + 1 / (J - 1)))`` for ``J > 1``
        (0 otherwise): an `.LMUNetwork`'s LIF-rate units of that
        ``rate_scale`` (``gain``), whose bias is folded into ``x``."""

        __name__ = "lif_rate"

        def __init__(self, tau_rc=0.02, tau_ref=0.002, amplitude=1.0, gain=1.0):
            self.tau_rc, self.tau_ref = float(tau_rc), float(tau_ref)
            self.amplitude, self.gain = float(amplitude), float(gain)

        def __call__(self, x):
            j = self.gain * x - 1.0
            safe = tf.where(j > 0, j, tf.ones_like(j))
            rate = 1.0 / (self.tau_ref + self.tau_rc * tf.math.log1p(1.0 / safe))
            scale = self.amplitude / self.gain
            return tf.where(j > 0, scale * rate, tf.zeros_like(rate))

        def get_config(self):
            return {
                "tau_rc": self.tau_rc,
                "tau_ref": self.tau_ref,
                "amplitude": self.amplitude,
                "gain": self.gain,
            }

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    _LIF_RATE["class"] = LIFRate
    return LIFRate


def lif_rate(tau_rc=0.02, tau_ref=0.002, amplitude=1.0, gain=1.0):
    """A Keras activation equal to ``nengo.LIFRate(tau_rc, tau_ref,
    amplitude)`` units of gain ``gain`` (an `.LMUNetwork`'s ``rate_scale``):
    train keras-lmu with it to deploy LIF neurons.

    Examples
    --------
    >>> import tensorflow as tf  # doctest: +SKIP
    >>> hidden = tf.keras.layers.Dense(64, activation=lif_rate())  # doctest: +SKIP
    """
    return lif_rate_class()(tau_rc, tau_ref, amplitude, gain)


# --- from Keras ---------------------------------------------------------------------


def _refuse(layer, message, attr="model"):
    raise ValidationError(
        f"layer {layer.name!r} ({type(layer).__name__}): {message}", attr=attr
    )


def _array(weight):
    return None if weight is None else np.asarray(weight.numpy(), dtype=np.float64)


def _activation(layer, activation, activations):
    """The nengo rate type (None: linear) and gain of a Keras activation."""
    lif = _LIF_RATE.get("class")
    if lif is not None and isinstance(activation, lif):
        neuron_type = nengo.LIFRate(
            tau_rc=activation.tau_rc,
            tau_ref=activation.tau_ref,
            amplitude=activation.amplitude,
        )
        return neuron_type, activation.gain
    name = getattr(activation, "__name__", None) if activation is not None else "linear"
    table = dict(ACTIVATIONS, **(activations or {}))
    if name not in table:
        _refuse(
            layer,
            f"activation {name!r} has no nengo counterpart; use one of "
            f"{sorted(table)} (or nengo_lmu.keras.lif_rate()), or map it with "
            "from_keras(..., activations={name: neuron_type})",
        )
    return table[name], None


def _check_rnn(layer):
    for option in ("go_backwards", "stateful", "return_state"):
        if getattr(layer, option, False):
            _refuse(layer, f"{option}=True has no nengo-lmu counterpart")


def _lmu_cell(layer, keras_lmu, tf):
    """The object holding an LMU layer's weights, and its return_sequences."""
    if isinstance(layer, keras_lmu.LMU):
        inner = layer.layer
        if isinstance(inner, tf.keras.layers.RNN):
            _check_rnn(inner)
            return inner.cell, layer.return_sequences
        return inner, layer.return_sequences
    if isinstance(layer, keras_lmu.LMUFeedforward):
        if layer.conv_mode == "raw" and layer.truncate_ir is not None:
            warnings.warn(
                f"layer {layer.name!r} truncates its impulse response "
                f"(truncate_ir={layer.truncate_ir}); the nengo network computes the "
                "memory exactly, so their outputs differ by about that much"
            )
        return layer, layer.return_sequences
    if isinstance(layer, tf.keras.layers.RNN) and isinstance(
        layer.cell, keras_lmu.LMUCell
    ):
        _check_rnn(layer)
        return layer.cell, layer.return_sequences
    return None, None


def _theta(cell):
    """The window in elements: the trained ``1 / theta_inv`` where it
    trains, else the value keras-lmu was given."""
    if getattr(cell, "trainable_theta", False):
        theta_inv = float(cell.theta_inv.numpy())
        if theta_inv <= 0:
            raise ValidationError(
                f"layer {cell.name!r}: theta_inv={theta_inv:g}, no finite window",
                attr="model",
            )
        return 1.0 / theta_inv
    return float(getattr(cell, "_init_theta", getattr(cell, "theta", None)))


def _lmu_layer(layer, cell, input_d, tf, activations):
    """A stack layer config, its parameters and its hidden gain."""
    md, order = cell.memory_d, cell.order
    hidden = cell.hidden_cell
    h2m = getattr(cell, "hidden_to_memory", False)
    config = {
        "memory_d": md,
        "order": order,
        "theta": _theta(cell),
        "hidden_units": 0,
        "hidden_to_memory": h2m,
        "memory_to_memory": getattr(cell, "memory_to_memory", False),
        "input_to_hidden": cell.input_to_hidden,
        "hidden_to_hidden": False,
        "memory_bias": cell.bias is not None,
        "discretizer": cell.discretizer,
        "trainable_theta": getattr(cell, "trainable_theta", False),
    }
    gain = None
    units = 0
    if hidden is not None:
        if isinstance(hidden, tf.keras.layers.SimpleRNNCell):
            config["hidden_to_hidden"] = True
        elif not isinstance(hidden, tf.keras.layers.Dense):
            _refuse(
                layer,
                f"hidden_cell {type(hidden).__name__} has no nengo-lmu counterpart; "
                "use a Dense or SimpleRNNCell hidden cell (or none)",
            )
        units = hidden.units
        neuron_type, gain = _activation(layer, hidden.activation, activations)
        config["hidden_units"] = units
        config["hidden_neuron_type"] = neuron_type
    kernel = _array(cell.kernel)
    if kernel is None:  # kernel_initializer=None: the identity on [x, h]
        kernel = np.eye(input_d + (units if h2m else 0), md)
    n_memory = md * order
    params = {"e_x": kernel[:input_d].T}
    if cell.bias is not None:
        params["b_u"] = _array(cell.bias)[:, None]
    if h2m:
        params["e_h"] = kernel[input_d:].T
    if config["memory_to_memory"]:
        params["e_m"] = _array(cell.recurrent_kernel).T
    if hidden is not None:
        hidden_kernel = _array(hidden.kernel)
        params["W_m"] = hidden_kernel[:n_memory].T
        if cell.input_to_hidden:
            params["W_x"] = hidden_kernel[n_memory:].T
        if config["hidden_to_hidden"]:
            params["W_h"] = _array(hidden.recurrent_kernel).T
        bias = _array(hidden.bias) if hidden.use_bias else None
        params["b_h"] = np.zeros(units) if bias is None else bias
    return config, params, gain


def _dense_layer(layer, dense, activations):
    neuron_type, gain = _activation(layer, dense.activation, activations)
    bias = _array(dense.bias) if dense.use_bias else None
    kernel = _array(dense.kernel)
    params = {"W": kernel.T, "b": np.zeros(kernel.shape[1]) if bias is None else bias}
    return (
        {"kind": "dense", "units": dense.units, "neuron_type": neuron_type},
        params,
        gain,
    )


def _chain(model, tf):
    """The model's layers in order; a model that is not a chain is refused."""
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, tf.keras.layers.InputLayer)
    ]
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValidationError(
            "from_keras converts models with one input and one output", attr="model"
        )
    previous = model.inputs[0]
    for layer in layers:
        if layer.input is not previous:
            _refuse(layer, "the model is not a chain of layers (each feeding the next)")
        previous = layer.output
    return layers


def from_keras(model, seq_len=None, activations=None, rate_scale=1.0, **options):
    """The `.LMUStack` that computes what the Keras ``model`` computes.

    Parameters
    ----------
    model : tf.keras.Model
        A trained chain of keras-lmu ``LMU``, ``RNN(LMUCell)`` or
        ``LMUFeedforward`` layers and ``Dense`` / ``TimeDistributed(Dense)``
        layers between and after them (``Dropout`` layers, which do nothing
        in ``predict``, are skipped).
    seq_len : int, optional
        Elements per sequence; required when the model's inputs have no
        fixed length.
    activations : dict, optional
        Keras activation names to nengo rate types, replacing `ACTIVATIONS`
        (e.g. ``{"tanh": nengo.RectifiedLinear()}``: the closest spiking
        mapping of tanh, which changes what the network computes).
    rate_scale : float
        The hidden layers' `.LMUNetwork` ``rate_scale`` (how fast spiking
        rectified-linear units fire; a `lif_rate` activation brings its own).
    **options
        `.LMUStack` options: ``steps_per_element``, ``spiking``, ``backend``,
        ``dt``, ``synapse``, ``seed``, ...

    Returns
    -------
    LMUStack
        Its ``predict(x)`` returns what ``model.predict(x)`` does (per element,
        or the last element's for ``return_sequences=False``), one simulator
        step per element unless ``steps_per_element`` says otherwise.

    Examples
    --------
    >>> stack = from_keras(model, backend="loihi", spiking=True,
    ...                    steps_per_element=20, rate_scale=100)  # doctest: +SKIP
    >>> outputs = stack.predict(x_test)  # doctest: +SKIP
    """
    tf, keras_lmu = _require()
    try:
        input_shape = model.input_shape
    except (AttributeError, ValueError):
        raise ValidationError(
            f"must be a built Keras model with keras-lmu layers (got "
            f"{type(model).__name__}); build it with an input shape (batch, "
            "steps, features), e.g. tf.keras.Input((steps, features))",
            attr="model",
        ) from None
    if len(input_shape) != 3:
        raise ValidationError(
            f"the model's input must be (batch, steps, features), got {input_shape}",
            attr="model",
        )
    model_len, input_d = input_shape[1], int(input_shape[2])
    if seq_len is None and model_len is None:
        raise ValidationError(
            "the model's inputs have no fixed length; pass seq_len=...", attr="seq_len"
        )
    if seq_len is not None and model_len is not None and seq_len != model_len:
        raise ValidationError(
            f"the model takes sequences of {model_len} elements, not {seq_len}",
            attr="seq_len",
        )
    layers, parameters, gains = [], {}, []
    sequences, size = True, input_d
    for layer in _chain(model, tf):
        if isinstance(layer, tf.keras.layers.Dropout):
            continue
        inner = (
            layer.layer if isinstance(layer, tf.keras.layers.TimeDistributed) else layer
        )
        cell, return_sequences = _lmu_cell(inner, keras_lmu, tf)
        if cell is not None:
            if not sequences:
                _refuse(
                    layer,
                    "an LMU layer after the sequence was reduced to its last element",
                )
            config, params, gain = _lmu_layer(layer, cell, size, tf, activations)
            sequences = return_sequences
        elif isinstance(inner, tf.keras.layers.Dense):
            config, params, gain = _dense_layer(layer, inner, activations)
        else:
            _refuse(
                layer,
                "has no nengo-lmu counterpart; from_keras converts keras-lmu LMU, "
                "RNN(LMUCell) and LMUFeedforward layers and Dense / "
                "TimeDistributed(Dense) layers",
            )
        i = len(layers)
        layers.append(config)
        gains.append(rate_scale if gain is None else gain)
        parameters.update({f"layer{i}/{name}": value for name, value in params.items()})
        size = _size_out(config, size)
    if not layers:
        raise ValidationError("the model holds no layer to convert", attr="model")
    last = "elements" if sequences else "last"
    stack = LMUStack(
        input_d=input_d,
        seq_len=seq_len or model_len,
        layers=layers,
        pooling="none" if sequences else "last",
        rate_scale=gains,
        predict_shape=options.pop("predict_shape", last),
        **options,
    )
    stack.set_parameters(parameters)
    return stack


def _size_out(config, size_in):
    if layer_kind(config) == "dense":
        return config["units"]
    if config["hidden_units"] > 0:
        return config.get("output_d") or config["hidden_units"]
    return config["memory_d"] * config["order"] + size_in * config["input_to_hidden"]


# --- to Keras -------------------------------------------------------------------------


def _keras_activation(layer, neuron_type, rate_scale, attr):
    """The Keras activation computing ``neuron_type`` units of ``rate_scale``."""
    if neuron_type is None:
        return "linear"
    amplitude = getattr(neuron_type, "amplitude", 1.0)
    if isinstance(neuron_type, nengo.LIFRate):
        return lif_rate(neuron_type.tau_rc, neuron_type.tau_ref, amplitude, rate_scale)
    for name, counterpart in ACTIVATIONS.items():
        if counterpart is not None and neuron_type == counterpart:
            return name
    if type(neuron_type) is nengo.RectifiedLinear and amplitude == 1:
        return "relu"
    raise ValidationError(
        f"layer {layer}: {neuron_type} has no Keras activation (to_keras knows "
        "RectifiedLinear(), LIFRate, Tanh(tau_ref=1), Sigmoid(tau_ref=1) and "
        "linear units)",
        attr=attr,
    )


def _check_exportable(i, net):
    if getattr(net, "lagged_memory", False):
        raise ValidationError(
            f"layer {i} has lagged_memory=True (nengo-lmu's timing before 0.3), "
            "which keras-lmu's LMUCell does not compute",
            attr="stack",
        )
    if getattr(net, "memory_neuron_type", None) is not None:
        raise ValidationError(
            f"layer {i} has a neural memory ({net.memory_neuron_type}); to_keras "
            "converts the exact memory (memory_neuron_type=None)",
            attr="stack",
        )


def to_keras(stack):
    """The Keras model (keras-lmu layers) that computes what ``stack`` does
    with rate neurons, one element per step, with its parameters.

    An LMU layer becomes ``keras_lmu.LMU`` (its readout ``W_o``, ``b_o`` a
    ``Dense`` after it), a dense layer ``Dense``.  The output is per element,
    or the last element's when the stack's ``predict_shape`` is ``"last"``.
    Made in Keras's current float type.

    Examples
    --------
    >>> model = to_keras(stack)  # doctest: +SKIP
    >>> outputs = model.predict(x)  # doctest: +SKIP
    """
    tf, keras_lmu = _require()
    last = stack.predict_shape == "last"
    inputs = tf.keras.Input((stack.seq_len, stack.input_d))
    x, weights = inputs, []
    lmu_indices = [
        i
        for i, net in enumerate(stack.layers)
        if layer_kind(stack.layer_configs[i]) == "lmu"
    ]
    for i, net in enumerate(stack.layers):
        params = net.get_parameters()
        if layer_kind(stack.layer_configs[i]) == "dense":
            activation = _keras_activation(i, net.neuron_type, net.unit_scale, "stack")
            layer = tf.keras.layers.Dense(net.n_units, activation=activation)
            x = layer(x)
            weights.append((layer, {"kernel": params["W"].T, "bias": params["b"]}))
            continue
        _check_exportable(i, net)
        return_sequences = not (last and i == lmu_indices[-1])
        layer, layer_weights = _keras_lmu_layer(
            i, net, params, return_sequences, tf, keras_lmu
        )
        x = layer(x)
        weights.append((layer, layer_weights))
        if net.output_d > 0:
            readout = tf.keras.layers.Dense(net.output_d)
            x = readout(x)
            weights.append(
                (readout, {"kernel": params["W_o"].T, "bias": params["b_o"][:, 0]})
            )
    model = tf.keras.Model(inputs, x)
    for layer, values in weights:
        _assign(layer, values, keras_lmu, tf)
    return model


def _keras_lmu_layer(i, net, params, return_sequences, tf, keras_lmu):
    """A keras-lmu layer for the `.LMUNetwork` ``net`` and the values of its
    weights, by attribute (``"hidden/kernel"``: the hidden cell's)."""
    units = net.hidden_units
    hidden = None
    values = {}
    if units > 0:
        activation = _keras_activation(
            i, net.hidden_neuron_type, net.unit_scale, "stack"
        )
        if net.hidden_to_hidden:
            hidden = tf.keras.layers.SimpleRNNCell(units, activation=activation)
            values["hidden/recurrent_kernel"] = params["W_h"].T
        else:
            hidden = tf.keras.layers.Dense(units, activation=activation)
        kernel = [params["W_m"].T]
        if net.input_to_hidden:
            kernel.append(params["W_x"].T)
        values["hidden/kernel"] = np.concatenate(kernel)
        values["hidden/bias"] = params["b_h"]
    kernel = [params["e_x"].T]
    if net.hidden_to_memory:
        kernel.append(params["e_h"].T)
    values["kernel"] = np.concatenate(kernel)
    if net.memory_bias:
        values["bias"] = params["b_u"][:, 0]
    if net.memory_to_memory:
        values["recurrent_kernel"] = params["e_m"].T
    theta = net.current_theta() / (net.steps_per_element * net.dt)
    if net.trainable_theta:
        values["theta_inv"] = np.asarray(1.0 / theta)
    options = dict(
        memory_d=net.memory_d,
        order=net.order,
        theta=theta,
        hidden_cell=hidden,
        trainable_theta=net.trainable_theta,
        hidden_to_memory=net.hidden_to_memory,
        memory_to_memory=net.memory_to_memory,
        input_to_hidden=net.input_to_hidden,
        discretizer=net.discretizer,
        use_bias=net.memory_bias,
    )
    recurrent = net.memory_to_memory or net.trainable_theta
    if hidden is None and net.input_to_hidden and recurrent:
        # keras-lmu's LMU layer does not pass input_d to its cell
        cell = keras_lmu.LMUCell(input_d=net.input_d, **options)
        layer = tf.keras.layers.RNN(cell, return_sequences=return_sequences)
    else:
        layer = keras_lmu.LMU(return_sequences=return_sequences, **options)
    return layer, values


def _assign(layer, values, keras_lmu, tf):
    """Set a built layer's weights by attribute (``hidden/`` for an LMU
    layer's hidden cell)."""
    owner = layer
    if isinstance(layer, keras_lmu.LMU):
        owner = (
            layer.layer.cell
            if isinstance(layer.layer, tf.keras.layers.RNN)
            else layer.layer
        )
    elif isinstance(layer, tf.keras.layers.RNN):
        owner = layer.cell
    for name, value in values.items():
        target = owner
        if name.startswith("hidden/"):
            target, name = owner.hidden_cell, name[len("hidden/") :]
        variable = getattr(target, name)
        variable.assign(np.asarray(value).reshape(variable.shape))


__all__ = ["ACTIVATIONS", "from_keras", "lif_rate", "to_keras"]
