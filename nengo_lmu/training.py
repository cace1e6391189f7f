"""Train LMU networks in NengoDL, save and load them, evaluate them spiking.

A *model* here is a `nengo.Network` holding one or more `.LMUNetwork` layers
in series (each layer's ``output`` drives the next layer's ``input``), built
by `.build_model` from a plain ``config`` dict, so that the saved ``.npz``
(the config plus every layer's parameters) rebuilds it anywhere.

Time: a sequence element is held for ``steps_per_element`` simulator steps and
each layer's window ``theta`` (given in elements in the config) becomes
``theta * steps_per_element * dt`` seconds, so a held sequence starts every
element with exactly the memory that the unheld one has (the zero-order-hold
discretization is exact for held inputs).

The output is pooled over time: ``"mean"`` (classification from the mean of
the readout over the whole sequence, robust to spike noise), ``"last"`` (from
the readout of the last element, averaged over its steps, as keras-lmu's
``return_sequences=False``) or ``"none"`` (one output per element, for
regression).
"""

import json
import time
import warnings

import nengo
import numpy as np
from nengo.exceptions import ValidationError

from nengo_lmu import simulators
from nengo_lmu.data import hold
from nengo_lmu.network import LMUNetwork

EVAL_BACKENDS = ("dl-rate", "dl", "nengo", "loihi")
NEURON_TYPES = {"relu": nengo.RectifiedLinear, "lif": nengo.LIFRate}
LAYER_KEYS = (
    "memory_d",
    "order",
    "theta",
    "hidden_units",
    "output_d",
    "hidden_to_memory",
    "memory_to_memory",
    "input_to_hidden",
    "hidden_to_hidden",
)
POOLINGS = ("mean", "last", "none")
# a spiking run with fewer steps per element than this is warned about
MIN_SPIKING_STEPS = 4
# sequences run side by side in one nengo-loihi emulator (it cannot reset)
LOIHI_COPIES = 20


def build_model(
    config,
    steps_per_element=1,
    spiking=False,
    target="nengo",
    dt=0.001,
    seed=None,
    rate_scale=None,
    synapse=None,
    host_scale=None,
    loihi_neurons=False,
):
    """Build the model described by ``config``.

    Parameters
    ----------
    config : dict
        ``input_d``, ``seq_len`` (elements), ``pooling`` ("mean", "last" or "none"),
        ``hidden_neuron_type`` ("relu" or "lif"), ``rate_scale`` and
        ``layers``: a list of dicts of `.LMUNetwork` arguments (``theta`` in
        elements; the last layer's ``output_d`` is the model's output).
    steps_per_element : int
        Simulator steps each element is held for.
    spiking : bool
        Build the hidden neurons spiking.
    target : {"nengo", "dl", "loihi"}
    dt : float
    seed : int, optional
        Network seed (default ``config["seed"]``).
    rate_scale : float or list of float, optional
        Hidden firing-rate scale of every layer (or of each layer), default
        ``config["rate_scale"]``; with rectified-linear neurons it leaves the
        rate network unchanged and sets how fast the spiking one fires.
    synapse : float, optional
        Lowpass on the connections from each layer's output to the next
        layer's input (smooths spikes between layers; None for training).
    host_scale : float or list of float, optional
        For ``target="loihi"``: the `.LMUNetwork` ``host_scale`` of every
        layer (or of each layer): the largest host value (input, memory)
        sent to the chip without saturating.
    loihi_neurons : bool
        Give the hidden states nengo-loihi's Loihi neuron types (see
        `.LMUNetwork.use_loihi_neurons`): for Loihi-aware training in
        NengoDL, which then trains through Loihi's quantized rate curves at
        ``rate_scale``.

    Returns
    -------
    nengo.Network
        With ``.inp`` (a node fed by the simulator), ``.layers`` and
        ``.probe`` (on the last layer's output).

    Examples
    --------
    >>> config = {"input_d": 1, "seq_len": 5, "layers": [
    ...     {"memory_d": 1, "order": 2, "theta": 5, "hidden_units": 4,
    ...      "output_d": 3}]}
    >>> model = build_model(config)
    >>> model.layers[0].memory.theta
    0.005
    """
    config = check_config(config)
    steps = check_steps(steps_per_element)
    check_held_recurrence(config, steps)
    neuron_type = NEURON_TYPES[config.get("hidden_neuron_type", "relu")]()
    if rate_scale is None:
        rate_scale = config.get("rate_scale", 1.0)
    scales = np.broadcast_to(rate_scale, len(config["layers"]))
    host_scales = np.broadcast_to(
        4.0 if host_scale is None else host_scale, len(config["layers"])
    )
    with nengo.Network(seed=config.get("seed") if seed is None else seed) as model:
        model.inp = nengo.Node(np.zeros(config["input_d"]), label="x")
        model.layers = []
        pre, pre_d = model.inp, config["input_d"]
        for i, layer in enumerate(config["layers"]):
            options = {k: layer[k] for k in LAYER_KEYS if k in layer}
            options["theta"] = layer["theta"] * steps * dt
            lmu = LMUNetwork(
                input_d=pre_d,
                hidden_neuron_type=neuron_type,
                spiking=spiking,
                rate_scale=float(scales[i]),
                host_scale=float(host_scales[i]),
                dt=dt,
                target=target,
                label=f"layer{i}",
                # not the parent's seed: nengo would give the layer's objects the
                # same seeds as the parent's, and NengoDL takes a connection
                # whose seed is a probe's for that probe's (and never trains it)
                seed=None if model.seed is None else model.seed + 1 + i,
                **options,
            )
            if loihi_neurons:
                lmu.use_loihi_neurons()
            nengo.Connection(pre, lmu.input, synapse=synapse if i > 0 else None)
            model.layers.append(lmu)
            pre, pre_d = lmu.output, lmu.output_d
        model.probe = nengo.Probe(pre, synapse=None)
    model.config_dict = config
    model.steps_per_element = steps
    model.build_args = dict(
        steps_per_element=steps,
        spiking=spiking,
        target=target,
        dt=dt,
        seed=seed,
        rate_scale=rate_scale,
        synapse=synapse,
        host_scale=host_scale,
        loihi_neurons=loihi_neurons,
    )
    return model


def check_config(config):
    for key in ("input_d", "seq_len", "layers"):
        if key not in config:
            raise ValidationError(f"model config needs {key!r}", attr="config")
    if config.get("pooling", "mean") not in POOLINGS:
        raise ValidationError(
            f"pooling must be one of {', '.join(map(repr, POOLINGS))} "
            f"(got {config['pooling']!r})",
            attr="pooling",
        )
    return config


def check_held_recurrence(config, steps):
    """Warn where holding elements changes what a layer computes.

    The memory is exact for held inputs, but a hidden-to-hidden recurrence
    ``h_t = f(W_h h_{t-1} + ...)`` trained once per element runs once per
    simulator step when each element is held for ``steps`` steps.
    """
    layers = [i for i, layer in enumerate(config["layers"])
              if layer.get("hidden_to_hidden")]
    if steps > 1 and layers:
        warnings.warn(
            f"layers {layers} have hidden_to_hidden=True: held for {steps} steps "
            f"per element, their hidden recurrence runs {steps} times per element "
            "instead of once, and the network computes something other than "
            "what it was trained for; deploy networks without it (stack layers "
            "instead) or evaluate with steps_per_element=1"
        )


def check_steps(steps_per_element):
    if int(steps_per_element) != steps_per_element or steps_per_element < 1:
        raise ValidationError(
            f"must be a positive integer (got {steps_per_element!r})",
            attr="steps_per_element",
        )
    return int(steps_per_element)


def check_inputs(model, x):
    """Refuse inputs whose sequence length or dimension differ from the model's."""
    x = np.asarray(x)
    config = model.config_dict
    if x.ndim != 3:
        raise ValidationError(
            f"inputs must have shape (sequences, {config['seq_len']}, "
            f"{config['input_d']}); got {x.shape}",
            attr="x",
        )
    if x.shape[1] != config["seq_len"]:
        raise ValidationError(
            f"sequences have {x.shape[1]} elements but the model was built for "
            f"{config['seq_len']}",
            attr="x",
        )
    if x.shape[2] != config["input_d"]:
        raise ValidationError(
            f"inputs have {x.shape[2]} dimensions but the model was built for "
            f"input_d={config['input_d']}",
            attr="x",
        )
    return x


# --- NengoDL ---------------------------------------------------------------


def _configure_dl(model):
    """Freeze the memories (their A, B are the LMU, not parameters) and plan
    NengoDL's graph without merging operators.

    An LMU layer is a handful of small operators per step: NengoDL's default
    planner merges them into gathers and scatters that cost more than they
    save (on MNIST-1D's order-32, 128-unit layer, an epoch takes 2.5 s
    unmerged against 9 s merged, and the graph builds in a fraction of the
    time).
    """
    nengo_dl = simulators.import_backend("dl")
    if getattr(model, "build_args", {}).get("loihi_neurons"):
        simulators.install_loihi_training()
    if not getattr(model, "_dl_configured", False):
        with model:
            nengo_dl.configure_settings(
                trainable=None,
                stateful=False,
                planner=nengo_dl.graph_optimizer.noop_planner,
            )
        for lmu in model.layers:
            for conn in lmu.memory.all_connections:
                model.config[conn].trainable = False
        model._dl_configured = True
    return nengo_dl


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


def _targets(model, y, steps):
    config = model.config_dict
    y = np.asarray(y)
    if y.ndim == 1:  # class labels: one per sequence
        return np.tile(y[:, None, None], (1, config["seq_len"] * steps, 1))
    return hold(y, steps)


def fit(
    model,
    data,
    epochs=30,
    batch_size=100,
    learning_rate=3e-3,
    verbose=1,
    validation=False,
    unroll=1,
):
    """Train ``model`` (built with rates) on ``data`` in NengoDL.

    Uses Adam and, for classification (integer ``y``), cross-entropy on the
    pooled output; mean squared error per element otherwise.  Afterwards the
    trained values are written back into the model's connections and
    ensembles (NengoDL's ``freeze_params``), so `save_params` and any simulator
    see them.

    Returns
    -------
    dict
        ``history`` (Keras history dict) and ``wall_s`` (training time).
    """
    import tensorflow as tf

    nengo_dl = _configure_dl(model)
    x = check_inputs(model, data["x"])
    steps = model.steps_per_element
    classification = np.issubdtype(np.asarray(data["y"]).dtype, np.integer)
    pooling = model.config_dict.get("pooling", "mean")
    x_held = hold(x, steps)
    n_batches = len(x) // batch_size
    x_held, y_held = (
        x_held[: n_batches * batch_size],
        _targets(model, data["y"], steps)[: n_batches * batch_size],
    )
    start = time.perf_counter()
    with nengo_dl.Simulator(
        model,
        minibatch_size=batch_size,
        unroll_simulation=unroll,
        progress_bar=False,
        seed=model.seed,
    ) as sim:
        sim.compile(
            optimizer=tf.optimizers.Adam(learning_rate),
            loss={model.probe: _pooled_loss(pooling, classification, steps)},
        )
        kwargs = {}
        if validation and "x_test" in data:
            n_val = len(data["x_test"]) // batch_size * batch_size
            kwargs["validation_data"] = (
                {model.inp: hold(check_inputs(model, data["x_test"]), steps)[:n_val]},
                {model.probe: _targets(model, data["y_test"], steps)[:n_val]},
            )
        history = sim.fit(
            {model.inp: x_held},
            {model.probe: y_held},
            epochs=epochs,
            verbose=verbose,
            **kwargs,
        )
        wall = time.perf_counter() - start
        sim.freeze_params(model)
    return {"history": history.history, "wall_s": wall}


# --- parameters --------------------------------------------------------------


def get_params(model):
    """Every layer's parameters, keyed ``"layer{i}/{name}"``."""
    params = {}
    for i, lmu in enumerate(model.layers):
        for name, value in lmu.get_parameters().items():
            params[f"layer{i}/{name}"] = value
    return params


def save_params(model, path):
    """Save ``model``'s config and parameters to a small ``.npz`` at ``path``."""
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in get_params(model).items()}
    np.savez_compressed(path, config=np.array(json.dumps(model.config_dict)), **arrays)


def read_params(path):
    """The ``(config, params)`` stored at ``path`` by `save_params`."""
    with np.load(path) as f:
        config = json.loads(str(f["config"]))
        params = {k: f[k] for k in f.files if k != "config"}
    return config, params


def load_params(model, path_or_params):
    """Load saved parameters into ``model`` (built with the same shapes).

    Refuses parameters saved from a differently shaped model, naming each
    mismatching config entry or array.
    """
    if isinstance(path_or_params, dict):
        config, params = None, path_or_params
    else:
        config, params = read_params(path_or_params)
    if config is not None:
        ours = model.config_dict
        diffs = _config_diffs(config, ours)
        if diffs:
            raise ValidationError(
                "saved parameters come from a differently shaped network: "
                + "; ".join(diffs),
                attr="params",
            )
    problems = []
    for i, lmu in enumerate(model.layers):
        prefix = f"layer{i}/"
        layer = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
        try:
            lmu.set_parameters(layer)
        except ValidationError as error:
            problems.append(f"layer {i}: {error}")
    extra = {k.split("/")[0] for k in params} - {
        f"layer{i}" for i in range(len(model.layers))
    }
    if extra:
        problems.append(f"saved layers {sorted(extra)} are not in this network")
    if problems:
        raise ValidationError("; ".join(problems), attr="params")
    return model


def _config_diffs(saved, ours, prefix=""):
    diffs = []
    shape_keys = ("input_d", "seq_len", "pooling", "hidden_neuron_type")
    for key in shape_keys:
        if saved.get(key) != ours.get(key):
            diffs.append(f"{prefix}{key} is {saved.get(key)!r} in the file but "
                         f"{ours.get(key)!r} in the network")
    if len(saved["layers"]) != len(ours["layers"]):
        diffs.append(
            f"the file has {len(saved['layers'])} layers but the network "
            f"{len(ours['layers'])}"
        )
        return diffs
    for i, (a, b) in enumerate(zip(saved["layers"], ours["layers"])):
        for key in LAYER_KEYS:
            if a.get(key) != b.get(key):
                diffs.append(
                    f"layer {i} {key} is {a.get(key)!r} in the file but "
                    f"{b.get(key)!r} in the network"
                )
    return diffs


def load_model(path, **kwargs):
    """Build a fresh model from a saved ``.npz`` and load its parameters.

    ``kwargs`` are `build_model`'s (``steps_per_element``, ``spiking``,
    ``target``, ``dt``, ``rate_scale``).
    """
    config, params = read_params(path)
    return load_params(build_model(config, **kwargs), params)


# --- evaluation -------------------------------------------------------------


def check_spiking_steps(steps_per_element, backend):
    if backend != "dl-rate" and steps_per_element < MIN_SPIKING_STEPS:
        warnings.warn(
            f"spiking evaluation with {steps_per_element} steps per element: "
            f"neurons have too few steps to spike reliably; use at least "
            f"{MIN_SPIKING_STEPS} (10 or more for accurate results)"
        )


def predict(model, x, backend, batch_size=100, progress=False):
    """Outputs of ``model`` on inputs ``x`` (unheld) with ``backend``.

    Returns ``(n, seq_len * steps_per_element, output_d)`` outputs.
    """
    if backend not in EVAL_BACKENDS:
        raise ValidationError(
            f"unknown backend {backend!r}; use one of {', '.join(EVAL_BACKENDS)}",
            attr="backend",
        )
    x = check_inputs(model, x)
    steps = model.steps_per_element
    x_held = hold(x, steps)
    n_steps = x_held.shape[1]
    if backend in ("dl-rate", "dl"):
        nengo_dl = _configure_dl(model)
        batch_size = min(batch_size, len(x))
        n_pad = -len(x) % batch_size
        padded = np.concatenate([x_held, np.zeros((n_pad,) + x_held.shape[1:])])
        with nengo_dl.Simulator(
            model, minibatch_size=batch_size, progress_bar=False, seed=model.seed
        ) as sim:
            out = sim.predict({model.inp: padded}, n_steps=n_steps, verbose=0)
        return out[model.probe][: len(x)]
    if backend == "loihi":
        copies = min(batch_size, LOIHI_COPIES)
        return _predict_copies(model, x_held, batch_size=copies, progress=progress)
    outputs = []
    current = {"x": None}
    zeros = np.zeros(x.shape[2])

    def feed(t):
        if current["x"] is None:
            return zeros
        return current["x"][min(max(int(round(t / 0.001)) - 1, 0), n_steps - 1)]

    model.inp.output = feed
    module = simulators.import_backend(backend)
    with module.Simulator(model, dt=0.001, progress_bar=False) as sim:
        for i, sequence in enumerate(x_held):
            if i > 0:
                sim.reset(seed=sim.seed)
            current["x"] = sequence
            sim.run_steps(n_steps)
            outputs.append(sim.data[model.probe][-n_steps:].copy())
            if progress and (i + 1) % 50 == 0:
                print(f"  {i + 1}/{len(x)}", flush=True)
    return np.stack(outputs)


def _predict_copies(model, x_held, batch_size, progress=False):
    """Run ``batch_size`` copies of ``model`` side by side in one nengo-loihi
    simulator per batch (it cannot reset, so each sequence gets a fresh copy)."""
    nengo_loihi = simulators.import_backend("loihi")
    params = get_params(model)
    n_steps = x_held.shape[1]
    outputs = []
    for start in range(0, len(x_held), batch_size):
        batch = x_held[start : start + batch_size]
        probes = []
        with nengo.Network() as net:
            for sequence in batch:
                copy = build_model(model.config_dict, **model.build_args)
                load_params(copy, params)
                copy.inp.output = nengo.processes.PresentInput(sequence, 0.001)
                net.add(copy)
                probes.append(copy.probe)
        with nengo_loihi.Simulator(net, dt=0.001, progress_bar=False) as sim:
            sim.run_steps(n_steps)
        outputs.extend(sim.data[probe] for probe in probes)
        if progress:
            print(f"  {start + len(batch)}/{len(x_held)}", flush=True)
    return np.stack(outputs)


def score(model, outputs, y):
    """Accuracy of pooled outputs against labels, or NRMSE for regression."""
    y = np.asarray(y)
    if np.issubdtype(y.dtype, np.integer):
        pooling = model.config_dict.get("pooling", "mean")
        if pooling == "mean":
            logits = outputs.mean(axis=1)
        elif pooling == "last":
            logits = outputs[:, -model.steps_per_element :].mean(axis=1)
        else:
            logits = outputs[:, -1]
        return {"accuracy": float(np.mean(np.argmax(logits, axis=-1) == y))}
    # each element's prediction is its output averaged over the steps it is
    # held (what training fits; spiking outputs need the average)
    steps = model.steps_per_element
    n, n_steps, size_out = outputs.shape
    predicted = outputs.reshape(n, n_steps // steps, steps, size_out).mean(axis=2)
    error = np.sqrt(np.mean((predicted - y) ** 2))
    return {"nrmse": float(error / np.sqrt(np.mean(y**2)))}


def evaluate(
    path,
    data,
    backend,
    n=None,
    steps_per_element=None,
    rate_scale=None,
    synapse=None,
    host_scale=None,
    batch_size=100,
    progress=False,
):
    """Evaluate saved parameters on ``data["x_test"][:n]`` with ``backend``.

    ``backend`` is ``"dl-rate"`` (NengoDL, rate neurons), ``"dl"`` (NengoDL,
    spiking), ``"nengo"`` (`nengo.Simulator`, spiking) or ``"loihi"`` (the
    nengo-loihi emulator, spiking, Loihi neuron types).  Spiking backends hold
    each element for ``steps_per_element`` steps (default 10; 1 for
    ``dl-rate``) and warn when that is too few.  ``rate_scale`` (default the
    saved config's) sets how fast the spiking hidden neurons fire: with
    rectified-linear neurons an activation of 1 fires ``rate_scale`` Hz;
    ``synapse`` (spiking backends only) lowpasses between layers and
    ``host_scale`` (loihi only) is `build_model`'s.

    Returns
    -------
    dict
        ``backend``, ``n``, ``steps_per_element``, ``accuracy`` or ``nrmse``,
        ``wall_s``.
    """
    if backend not in EVAL_BACKENDS:
        raise ValidationError(
            f"unknown backend {backend!r}; use one of {', '.join(EVAL_BACKENDS)}",
            attr="backend",
        )
    if steps_per_element is None:
        steps_per_element = 1 if backend == "dl-rate" else 10
    steps_per_element = check_steps(steps_per_element)
    check_spiking_steps(steps_per_element, backend)
    if backend == "dl-rate":
        synapse = None  # the between-layer lowpass smooths spikes only
    x, y = data["x_test"][:n], data["y_test"][:n]
    start = time.perf_counter()
    model = load_model(
        path,
        steps_per_element=steps_per_element,
        spiking=backend != "dl-rate",
        target={"dl-rate": "dl", "dl": "dl"}.get(backend, backend),
        rate_scale=rate_scale,
        synapse=synapse,
        host_scale=host_scale,
    )
    outputs = predict(model, x, backend, batch_size=batch_size, progress=progress)
    result = {
        "backend": backend,
        "n": len(x),
        "steps_per_element": steps_per_element,
        "rate_scale": rate_scale,
        "synapse": synapse,
    }
    if backend == "loihi":
        result["host_scale"] = host_scale
    result.update(score(model, outputs, y))
    result["wall_s"] = time.perf_counter() - start
    return result
