"""Train LMU stacks in NengoDL; predict and evaluate them on every backend.

An evaluation *mode* names a backend and whether the neurons spike: each
backend's name runs the stack spiking on it (``"nengo"``, ``"dl"``,
``"loihi"``), and ``"<backend>-rate"`` with rate neurons (``"dl-rate"``: the
trained rate network, in NengoDL).  Spiking modes hold each element for
several steps (`DEFAULT_SPIKING_STEPS` unless told otherwise) and warn when
that is too few.
"""

import collections.abc
import contextlib
import numbers
import time
import warnings

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_lmu import backends
from nengo_lmu.data import hold
from nengo_lmu.stack import LMUStack, check_steps, read_file

#: The evaluation modes, in the order the documentation lists them.
MODES = ("dl-rate", "nengo-rate") + backends.NAMES
#: A spiking run with fewer steps per element than this is warned about.
MIN_SPIKING_STEPS = 4
#: Steps per element of a spiking evaluation that does not say.
DEFAULT_SPIKING_STEPS = 10
RATE_SUFFIX = "-rate"


def parse_mode(mode):
    """``(backend, spiking)`` for an evaluation ``mode``.

    Examples
    --------
    >>> backend, spiking = parse_mode("dl-rate")
    >>> backend.name, spiking
    ('dl', False)
    """
    rate = isinstance(mode, str) and mode.endswith(RATE_SUFFIX)
    name = mode[: -len(RATE_SUFFIX)] if rate else mode
    try:
        backend = backends.get(name)
    except (ValidationError, TypeError, AttributeError):
        raise ValidationError(
            f"unknown mode {mode!r}; use a backend ({', '.join(backends.NAMES)}) "
            f"to run spiking, or '<backend>{RATE_SUFFIX}' (e.g. 'dl-rate') to run "
            "with rate neurons",
            attr="backend",
        ) from None
    return backend, not rate


def default_steps(steps_per_element, spiking):
    """``steps_per_element``, checked, or the default: 1 with rates,
    `DEFAULT_SPIKING_STEPS` spiking."""
    if steps_per_element is None:
        steps_per_element = DEFAULT_SPIKING_STEPS if spiking else 1
    steps_per_element = check_steps(steps_per_element)
    check_spiking_steps(steps_per_element, spiking)
    return steps_per_element


def check_spiking_steps(steps_per_element, spiking):
    """Warn when spiking neurons get too few steps per element."""
    if spiking and steps_per_element < MIN_SPIKING_STEPS:
        warnings.warn(
            f"spiking evaluation with {steps_per_element} steps per element: "
            f"neurons have too few steps to spike reliably; use at least "
            f"{MIN_SPIKING_STEPS} (10 or more for accurate results)"
        )


# --- training -----------------------------------------------------------------


def _pooled_loss(pooling, classification, steps):
    import tensorflow as tf

    def loss(y_true, y_pred):
        if pooling == "mean":
            y_pred = tf.reduce_mean(y_pred, axis=1)
            y_true = y_true[:, -1]
        elif pooling == "last":
            y_pred = tf.reduce_mean(y_pred[:, -steps:], axis=1)
            y_true = y_true[:, -1]
        if classification:
            return tf.keras.losses.sparse_categorical_crossentropy(
                y_true, y_pred, from_logits=True
            )
        return tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)

    return loss


def _targets(stack, y, steps):
    y = np.asarray(y)
    if y.ndim == 1:  # class labels: one per sequence
        return np.tile(y[:, None, None], (1, stack.seq_len * steps, 1))
    return hold(y, steps)


def check_data(data, keys, attr="data"):
    """``data`` must be a dict holding ``keys``; else a ValidationError
    naming the missing ones."""
    if not isinstance(data, collections.abc.Mapping):
        raise ValidationError(
            f"must be a dict of arrays (x, y, x_test, y_test: a task's "
            f"load_data()); got {type(data).__name__}",
            attr=attr,
        )
    missing = [key for key in keys if key not in data]
    if missing:
        raise ValidationError(
            f"needs the arrays {missing} (a dataset holds x, y, x_test, y_test)",
            attr=attr,
        )
    return data


def check_targets(stack, y, n, attr="y"):
    """``y``: one integer label per sequence (below the output's size), or
    finite targets per element, ``(n, seq_len, size_out)``; else a
    ValidationError saying what was wrong."""
    y = np.asarray(y)
    size_out = stack.output.size_out
    if y.ndim == 0 or len(y) != n:
        raise ValidationError(
            f"has {len(np.atleast_1d(y))} targets for {n} input sequences", attr=attr
        )
    if np.issubdtype(y.dtype, np.integer):
        if y.ndim != 1 or (y.size and (y.min() < 0 or y.max() >= size_out)):
            raise ValidationError(
                f"class labels must be one integer in [0, {size_out}) per sequence "
                f"(got shape {y.shape}, values {y.min()} to {y.max()})",
                attr=attr,
            )
        return y
    expected = (n, stack.seq_len, size_out)
    if y.shape != expected:
        raise ValidationError(
            f"targets per element must have shape {expected} (sequences, "
            f"seq_len, output dimensions); got {y.shape}",
            attr=attr,
        )
    bad = ~np.isfinite(y)
    if bad.any():
        sequence, element, dim = np.argwhere(bad)[0]
        raise ValidationError(
            f"holds {int(bad.sum())} NaN or infinite values (the first at "
            f"sequence {sequence}, element {element}, dimension {dim})",
            attr=attr,
        )
    return y


def _fit_arrays(stack, data, batch_size, validation):
    """The held training inputs and targets (whole batches) and, if asked
    and given, Keras' validation data; every array is checked first (before
    TensorFlow starts)."""
    check_data(data, ("x", "y"))
    x = stack.check_inputs(data["x"])
    y = check_targets(stack, data["y"], len(x))
    steps = stack.steps_per_element
    n_batches = len(x) // batch_size
    if n_batches == 0:
        raise ValidationError(
            f"{len(x)} training sequences make no batch of {batch_size}",
            attr="batch_size",
        )
    x_held = hold(x, steps)[: n_batches * batch_size]
    y_held = _targets(stack, y, steps)[: n_batches * batch_size]
    if not (validation and "x_test" in data):
        return x_held, y_held, None
    check_data(data, ("x_test", "y_test"))
    x_val = stack.check_inputs(data["x_test"], attr="x_test")
    y_val = check_targets(stack, data["y_test"], len(x_val), attr="y_test")
    n_val = len(x_val) // batch_size * batch_size
    validation_data = (
        {stack.input: hold(x_val, steps)[:n_val]},
        {stack.probe: _targets(stack, y_val, steps)[:n_val]},
    )
    return x_held, y_held, validation_data


def spike_noise_for(rate_scale, steps_per_element, dt=0.001):
    """The rms error of a spiking unit's output read from its spikes over one
    held element, against the rate unit's output.

    A regular-spiking unit's count over the element's ``steps_per_element *
    dt`` seconds misses ``rate * window`` by the difference of its voltage's
    residues at the element's two ends, each about uniform on [0, 1) spike,
    so by ``1 / sqrt(6)`` spike rms; each spike is ``1 / rate_scale`` of
    output (Hz per unit activation)::

        sigma = 1 / (sqrt(6) * rate_scale * steps_per_element * dt)

    It is the phase-averaged form of `.NeuronLayer.count_errors` (a count
    from rest, which `.LMUStack.rate_scale_for` weighs against Loihi's
    coarser rates), for neurons that carry their voltage from one element
    to the next, as nengo's do.

    Examples
    --------
    >>> round(spike_noise_for(1000.0, 20), 4)
    0.0204
    """
    window = steps_per_element * dt
    return 1.0 / (np.sqrt(6.0) * rate_scale * window)


def check_spike_noise(spike_noise):
    """``spike_noise`` as a float (None: 0), or a ValidationError."""
    if spike_noise is None:
        return 0.0
    try:
        value = None if isinstance(spike_noise, (bool, str)) else float(spike_noise)
    except (TypeError, ValueError):
        value = None
    if value is None or not np.isfinite(value) or value < 0:
        raise ValidationError(
            f"must be a finite number >= 0 (got {spike_noise!r}); 0 trains "
            "without noise, spike_noise_for() gives what spikes add",
            attr="spike_noise",
        )
    return value


@contextlib.contextmanager
def hidden_noise(stack, spike_noise):
    """While in the block, every hidden unit of ``stack`` gets white noise
    of ``spike_noise`` rms in its input at every step, scaled so that a
    rectified-linear unit's output moves by ``spike_noise`` (other types by
    their slope; linear units, which are nodes, get none); the units' own
    ``noise`` afterwards."""
    if not spike_noise:
        yield
        return
    units = [
        layer.units for layer in stack.layers
        if isinstance(getattr(layer, "units", None), nengo.Ensemble)
    ]
    saved = [ens.noise for ens in units]
    try:
        for ens in units:
            # a rectified unit's output moves by its amplitude per unit of input
            amplitude = getattr(ens.neuron_type, "amplitude", 1.0)
            ens.noise = nengo.processes.WhiteNoise(
                nengo.dists.Gaussian(0, spike_noise / amplitude), scale=False
            )
        yield
    finally:
        for ens, noise in zip(units, saved):
            ens.noise = noise


def fit(
    stack,
    data,
    epochs=30,
    batch_size=100,
    learning_rate=3e-3,
    verbose=1,
    validation=False,
    unroll=1,
    spike_noise=None,
):
    """Train ``stack`` on ``data`` in NengoDL.

    Uses Adam and, for classification (integer ``y``), cross-entropy on the
    pooled output; mean squared error per element otherwise.  The memories'
    principle-3 mappings stay fixed (`.DLBackend.configure`); every other
    weight trains.  Spiking neurons train through their rate curves (those of
    ``stack.spiking_backend``'s types: Loihi's quantized rates for Loihi
    neurons).  With ``spike_noise``, every hidden unit's input gets Gaussian
    noise of that rms (in units of the unit's output) at every training
    step: the error that reading the unit from its spikes adds when it is
    deployed spiking (`spike_noise_for`), so that training finds a readout
    that tolerates it (`hidden_noise`; in training and Keras' validation
    only).  It models each element's output read from spikes (``pooling=
    "none"``, one step per element in training: at more steps the noise of
    each step averages down over the element).  Afterwards the
    trained values are written back into the stack's connections and
    ensembles, so `.LMUStack.save` and any simulator see them.

    Returns
    -------
    dict
        ``history`` (Keras history dict) and ``wall_s`` (training time).
    """
    spike_noise = check_spike_noise(spike_noise)
    x_held, y_held, validation_data = _fit_arrays(stack, data, batch_size, validation)
    classification = np.issubdtype(y_held.dtype, np.integer)
    steps = stack.steps_per_element
    import tensorflow as tf

    dl = backends.trainer()
    nengo_dl = dl.configure(stack)
    for layer in stack.layers:
        layer.spiking_backend.prepare_dl_training()
    kwargs = {} if validation_data is None else {"validation_data": validation_data}
    start = time.perf_counter()
    with (
        dl.quiet(),
        hidden_noise(stack, spike_noise),
        nengo_dl.Simulator(
            stack,
            dt=stack.dt,
            minibatch_size=batch_size,
            unroll_simulation=unroll,
            progress_bar=False,
            seed=stack.seed,
        ) as sim,
    ):
        sim.compile(
            optimizer=tf.optimizers.Adam(learning_rate),
            loss={stack.probe: _pooled_loss(stack.pooling, classification, steps)},
        )
        history = sim.fit(
            {stack.input: x_held},
            {stack.probe: y_held},
            epochs=epochs,
            verbose=verbose,
            **kwargs,
        )
        wall = time.perf_counter() - start
        sim.freeze_params(stack)
    return {"history": history.history, "wall_s": wall}


# --- prediction and evaluation -------------------------------------------------


def predict(stack, x, mode, batch_size=100, progress=None):
    """Outputs of ``stack`` on inputs ``x`` in evaluation ``mode``.

    A stack built otherwise (rate vs spiking, another backend's mapping) runs
    as a replica with its parameters.  Returns ``(n, seq_len *
    steps_per_element, size_out)`` outputs.
    """
    backend, spiking = parse_mode(mode)
    if spiking != stack.spiking:
        stack = stack.replica(spiking=spiking, add_to_container=False)
    return stack.predict(x, backend=backend, batch_size=batch_size, progress=progress)


def evaluate(
    path,
    data,
    mode,
    n=None,
    steps_per_element=None,
    batch_size=100,
    progress=None,
    **overrides,
):
    """Evaluate the stack saved at ``path`` (or a `.stack.SavedStack`) on
    ``data["x_test"][:n]``.

    ``mode`` is an evaluation mode (`MODES`); ``steps_per_element`` defaults
    to 1 for rates and `DEFAULT_SPIKING_STEPS` spiking; ``overrides`` are
    `.LMUStack` options (``rate_scale``, ``synapse``, ``host_scale``, ...).

    Returns
    -------
    dict
        ``mode``, ``backend``, ``spiking``, ``n``, ``steps_per_element``,
        ``accuracy`` or ``nrmse``, ``wall_s``, ``s_per_sequence`` and what
        the network uses (`.Backend.resources`: ``memory_neurons``,
        ``neurons``; on Loihi also ``synapses``, ``loihi_cores``,
        ``host_to_chip_per_step``, ``chip_to_host_per_step``,
        ``spikes_per_inference`` and ``host_sources``).
    """
    backend, spiking = parse_mode(mode)
    set_by_mode = sorted({"backend", "spiking"} & set(overrides))
    if set_by_mode:
        raise ValidationError(
            f"mode {mode!r} sets {set_by_mode}; leave them out of the options "
            "(e.g. mode='loihi' runs spiking on Loihi, 'dl-rate' rates in NengoDL)",
            attr="mode",
        )
    steps_per_element = default_steps(steps_per_element, spiking)
    if not spiking:
        overrides["synapse"] = None  # the between-layer lowpass smooths spikes
    check_data(data, ("x_test", "y_test"))
    if n is not None and (
        isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1
    ):
        raise ValidationError(
            f"must be a positive whole number of test sequences, or None for all "
            f"(got {n!r})",
            attr="n",
        )
    x, y = data["x_test"][:n], data["y_test"][:n]
    start = time.perf_counter()
    stack = LMUStack.load(
        path,
        steps_per_element=steps_per_element,
        spiking=spiking,
        backend=backend.name,
        **overrides,
    )
    x = stack.check_inputs(x, attr="x_test")
    y = check_targets(stack, y, len(x), attr="y_test")
    outputs = stack.predict(x, batch_size=batch_size, progress=progress)
    wall = time.perf_counter() - start
    resources = backend.resources(stack, hold(x[:1], stack.steps_per_element)[0])
    result = {
        "mode": mode,
        "backend": backend.name,
        "spiking": spiking,
        "n": len(x),
        "steps_per_element": stack.steps_per_element,
    }
    result.update({k: v for k, v in overrides.items() if v is not None})
    result.update(stack.score(outputs, y))
    result["wall_s"] = wall
    result["s_per_sequence"] = wall / max(len(x), 1)
    result.update(resources)
    return result


# --- deprecated names (the stack is a class now) --------------------------------


def _deprecated(old, new):
    warnings.warn(f"{old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)


def build_model(config, target=None, loihi_neurons=False, **options):
    """Deprecated: `.LMUStack.from_config` (``target`` is ``backend``)."""
    _deprecated("training.build_model", "LMUStack.from_config")
    if target is not None:
        options["backend"] = target
    if loihi_neurons:
        options.update(spiking=True, spiking_backend="loihi")
    return LMUStack.from_config(config, **options)


def save_params(stack, path):
    """Deprecated: `.LMUStack.save`."""
    _deprecated("training.save_params", "LMUStack.save")
    stack.save(path)


def read_params(path):
    """Deprecated: `.stack.read_file` (``(config, parameters)``)."""
    _deprecated("training.read_params", "nengo_lmu.stack.read_file")
    saved = read_file(path)
    return saved.config, saved.parameters


def get_params(stack):
    """Deprecated: `.LMUStack.get_parameters`."""
    _deprecated("training.get_params", "LMUStack.get_parameters")
    return stack.get_parameters()


def load_params(stack, path_or_params):
    """Deprecated: `.LMUStack.load_parameters` (or ``set_parameters``)."""
    _deprecated("training.load_params", "LMUStack.load_parameters")
    if isinstance(path_or_params, dict):
        stack.set_parameters(path_or_params)
        return stack
    return stack.load_parameters(path_or_params)


def load_model(path, target=None, **options):
    """Deprecated: `.LMUStack.load` (``target`` is ``backend``)."""
    _deprecated("training.load_model", "LMUStack.load")
    if target is not None:
        options["backend"] = target
    return LMUStack.load(path, **options)
