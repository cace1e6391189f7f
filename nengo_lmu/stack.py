"""LMUStack: `.LMUNetwork` layers in series, a model that saves and loads.

A sequence enters ``stack.input``, each layer's ``output`` drives the next
layer's ``input``, and ``stack.probe`` records the last layer's output.  The
stack is described by its config (`get_config`; `from_config` rebuilds it,
as keras-lmu's layers do) and its parameters (`get_parameters`,
`set_parameters`); `save` writes both to a small ``.npz`` that `load`
rebuilds anywhere, with the deployment options (backend, spiking, steps per
element) chosen at load time.

Time: a sequence element is held for ``steps_per_element`` simulator steps and
each layer's window ``theta`` (given in elements) becomes
``theta * steps_per_element * dt`` seconds, so that a held sequence starts
every element with exactly the memory that the unheld one has (the
zero-order-hold discretization is exact for held inputs).

A recurrence trained once per element (a hidden-to-hidden, hidden-to-memory
or memory-to-memory connection, or an Euler memory, which is exact only for
the step it was discretized for) runs once per element when elements are held
(``element_sync``, chosen automatically): every layer's memory then updates
once per element and the previous element's values are held (see
`.LMUNetwork`); each layer after the first reads the mean of its input over
an element, one element later, and `predict` runs the extra elements and
returns outputs aligned with the input.  Without it, a layer after the first
is fed the previous layer's output as it moves within each element, not
held: its memory integrates that path, close to but not exactly what the
stack computes at one step per element (the layers run as one continuous
network, as they must where their memories are neurons on a chip).

The output is pooled over time: ``"mean"`` (the class from the mean of the
readout over the whole sequence, robust to spike noise), ``"last"`` (from the
readout of the last element, averaged over its steps, as keras-lmu's
``return_sequences=False``) or ``"none"`` (one output per element, for
regression).  `predict` returns one output per step, or (``predict_shape``)
one per element or the last element's, shaped as Keras's ``model.predict``.

Layers are `.LMUNetwork` layers, or (``{"kind": "dense", ...}``) Keras-like
``Dense`` layers between and after them (`.DenseLayer`).
"""

import contextlib
import json
import numbers
import os
import tempfile
import warnings
import zipfile

import nengo
import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import IntParam, Parameter

from nengo_lmu import neurons
from nengo_lmu.backends.mapped import MappedNetwork, check_bool
from nengo_lmu.data import hold
from nengo_lmu.memory import InputStatistics, as_moments, check_tuning
from nengo_lmu.network import DenseLayer, LMUNetwork
from nengo_lmu.version import version

POOLINGS = ("mean", "last", "none")
#: What `LMUStack.predict` returns: every step, every element, the last element.
PREDICT_SHAPES = ("steps", "elements", "last")
#: The rate scales (Hz per unit activation) `LMUStack.rate_scale_for`
#: chooses among.
RATE_SCALES = (25.0, 35.0, 50.0, 75.0, 100.0, 150.0, 200.0, 300.0, 400.0)
#: The layer kinds: `.LMUNetwork` and `.DenseLayer`.
KINDS = ("lmu", "dense")
#: The layer keys that fix a layer's shape and dynamics (a saved file's
#: parameters fit a stack only where these agree), with their defaults.
LAYER_DEFAULTS = {
    "kind": "lmu",
    "memory_d": None,
    "order": None,
    "theta": None,
    "hidden_units": None,
    "output_d": 0,
    "output_bias": True,
    "hidden_to_memory": False,
    "memory_to_memory": False,
    "input_to_hidden": False,
    "hidden_to_hidden": False,
    "memory_bias": False,
    "discretizer": "zoh",
    "trainable_theta": False,
    "lagged_memory": False,
    "hidden_neuron_type": None,
    "units": None,
    "neuron_type": None,
}
LAYER_KEYS = tuple(LAYER_DEFAULTS)
#: The per-layer `.LMUNetwork` options a stack's config may also give.
LAYER_OPTIONS = (
    "memory_neuron_type",
    "memory_n_neurons",
    "memory_synapse",
    "memory_input_rms",
    "memory_statistics",
    "memory_tuning",
)
#: The keys each kind of layer must give, and those it may give.
REQUIRED_KEYS = {
    "lmu": ("memory_d", "order", "theta", "hidden_units"),
    "dense": ("units",),
}
ALLOWED_KEYS = {
    "lmu": set(LAYER_KEYS + LAYER_OPTIONS) - {"units", "neuron_type"},
    "dense": {"kind", "units", "neuron_type"},
}
#: The layer keys whose values are neuron types (or their configs).
NEURON_KEYS = ("hidden_neuron_type", "neuron_type", "memory_neuron_type")
#: The stack keys that fix the shape of its parameters.
SHAPE_KEYS = ("input_d", "seq_len", "pooling", "hidden_neuron_type")
#: Version of the parameter file format (1: before nengo-lmu wrote one; 2:
#: before the LMU cell took keras-lmu's timing, see `upgrade_config`).
FILE_FORMAT = 3


class SequenceFeed:
    """The input node's function: element ``k`` of the selected sequence at
    step ``k`` (zeros when no sequence is fed)."""

    def __init__(self, size, dt):
        self.size, self.dt = size, dt
        self.sequences = None
        self.index = 0

    def select(self, index):
        self.index = index

    def __call__(self, t):
        if self.sequences is None:
            return np.zeros(self.size)
        sequence = self.sequences[self.index]
        step = int(round(t / self.dt)) - 1
        return sequence[min(max(step, 0), len(sequence) - 1)]


class LMUStack(MappedNetwork):
    """`.LMUNetwork` layers in series, with the model's config round trip.

    Parameters
    ----------
    input_d : int
        Dimensions of each sequence element.
    seq_len : int
        Elements per sequence.
    layers : list of dict
        Each layer's `.LMUNetwork` arguments: ``memory_d``, ``order``,
        ``theta`` (in elements), ``hidden_units``, ``output_d``, the
        optional connections, ``memory_bias``, ``discretizer``,
        ``trainable_theta``, ``lagged_memory`` and ``hidden_neuron_type``
        (the stack's if not given); optionally ``memory_neuron_type`` (a
        neuron type or its config: the neural memory, instead of the exact
        one), ``memory_n_neurons``, ``memory_synapse`` and ``memory_tuning``.
        Or a
        `.DenseLayer`: ``{"kind": "dense", "units": n, "neuron_type": ...}``
        (None: linear).  A layer's input dimensions are the previous layer's
        output dimensions.
    pooling : {"mean", "last", "none"}
        How the output sequence is read (see the module docstring).
    hidden_neuron_type : {"relu", "lif"} or nengo.neurons.NeuronType
        The hidden layers' rate neurons.
    rate_scale : float or list of float
        Every layer's (or each layer's) `.LMUNetwork` ``rate_scale``: with
        rectified-linear neurons it leaves the rate network unchanged and sets
        how fast the spiking one fires (Hz per unit activation).
    steps_per_element : int
        Simulator steps each element is held for.
    element_sync : bool, optional
        Run each layer's recurrence once per element when elements are held
        (see the module docstring).  Default (None): where a layer needs it
        (a hidden-to-hidden, hidden-to-memory or memory-to-memory connection,
        or an Euler memory).
    settle_steps : int, optional
        With ``element_sync``, steps at the start of each element that the
        holds (and the spiking outputs per element) leave out.  Default
        (None): the backend's `~.Backend.round_trip_steps` (how many steps
        later a value reaches the host from neurons driven by the host than
        on nengo: 2 on Loihi, 0 elsewhere), at most ``steps_per_element - 1``.
    predict_shape : {"steps", "elements", "last"}
        What `predict` returns: one output per simulator step, one per
        element (Keras's ``return_sequences=True``), or the last element's
        (``return_sequences=False``).  An element's output is its last step
        with rate neurons (exact) and the mean over its steps when spiking.
    spiking : bool
        Build the neurons spiking.
    backend : {"nengo", "dl", "loihi"}
        The simulator the stack is mapped for.
    dt : float
        Simulator step.
    synapse : float or None
        Lowpass on the connections from each layer's output to the next
        layer's input, and, spiking, from each neural memory to its hidden
        neurons (`.LMUNetwork`'s ``memory_readout_synapse``): it smooths
        spikes between populations (None for training).
    host_scale : float or list of float, optional
        Every layer's (or each layer's) `.LMUNetwork` ``host_scale``.
    memory_synapse : float or list of float, optional
        The recurrent synapse (seconds) of every (or each) layer's neural
        memory, replacing the layers' ``memory_synapse`` (a deployment
        setting: spiking memories want one of about a quarter of their
        window, and refuse none, which would feed each spike straight back;
        without one, a memory of rate neurons runs keras-lmu's update, as
        trained at one step per element).
    spiking_backend : str, optional
        Whose spiking neuron types to use (`.LMUNetwork`'s).
    seed : int, optional
        The stack's seed (layer ``i`` is seeded ``seed + 1 + i``).
    task : str, optional
        The name of the task the stack was made for (kept in its config).
    label, add_to_container
        As for `nengo.Network`.

    Attributes
    ----------
    input : nengo.Node
        Feeds the sequence (see `predict`, `feeding`).
    layers : list of LMUNetwork or DenseLayer
    output : nengo.Node or nengo.ensemble.Neurons
        The last layer's output.
    latency : int
        Elements by which the output lags the input (layers that read the
        mean of their input over an element; `predict` compensates).
    probe : nengo.Probe
        On ``output``, unfiltered.

    Examples
    --------
    >>> stack = LMUStack(input_d=1, seq_len=5, layers=[
    ...     {"memory_d": 1, "order": 2, "theta": 5, "hidden_units": 4,
    ...      "output_d": 3}])
    >>> stack.layers[0].memory.theta
    0.005
    >>> LMUStack.from_config(stack.get_config()).get_config() == stack.get_config()
    True
    """

    seq_len = IntParam("seq_len", low=1)
    input_d = IntParam("input_d", low=1)
    steps_per_element = IntParam("steps_per_element", low=1)
    pooling = Parameter("pooling")

    def __init__(
        self,
        input_d,
        seq_len,
        layers,
        pooling="mean",
        hidden_neuron_type="relu",
        rate_scale=1.0,
        steps_per_element=1,
        element_sync=None,
        settle_steps=None,
        predict_shape="steps",
        spiking=False,
        backend="nengo",
        dt=0.001,
        synapse=None,
        host_scale=None,
        memory_synapse=None,
        spiking_backend=None,
        seed=None,
        task=None,
        label=None,
        add_to_container=None,
    ):
        super().__init__(
            backend, dt, label=label, seed=seed, add_to_container=add_to_container
        )
        self.input_d = input_d
        self.seq_len = seq_len
        self.layer_configs = check_layers(layers)
        self.pooling = check_pooling(pooling)
        self.hidden_neuron_type = hidden_neuron_type
        self.rate_scale = rate_scale
        self.steps_per_element = check_steps(steps_per_element)
        self.element_sync = (
            None
            if element_sync is None
            else check_bool(element_sync, "element_sync", obj=self)
        )
        self.settle_request = (
            None
            if settle_steps is None
            else check_settle(settle_steps, self.steps_per_element)
        )
        self.predict_shape = check_choice(
            predict_shape, PREDICT_SHAPES, "predict_shape"
        )
        self.spiking = check_bool(spiking, "spiking", obj=self)
        if synapse is not None:
            number = isinstance(synapse, numbers.Real) and not isinstance(synapse, bool)
            if not number or not np.isfinite(synapse) or synapse < 0:
                raise ValidationError(
                    f"must be one time constant >= 0 in seconds, or None (got "
                    f"{synapse!r})",
                    attr="synapse",
                    obj=self,
                )
        self.synapse = synapse
        self.host_scale = host_scale
        if memory_synapse is not None:
            self._per_layer(memory_synapse, "memory_synapse")
        self.memory_synapse = memory_synapse
        self.spiking_backend = spiking_backend
        self.task = task
        if self.element_sync is False:
            warn_held_recurrence(self.layer_configs, self.steps_per_element)
        self.feed = SequenceFeed(self.input_d, self.dt)
        with self:
            self._build()

    @property
    def synchronous(self):
        """Whether every LMU layer runs its recurrence once per element (see
        ``element_sync``)."""
        return self._synchronous_at(self.steps_per_element)

    def _synchronous_at(self, steps_per_element):
        if steps_per_element == 1:
            return False
        if self.element_sync is not None:
            return self.element_sync
        lmus = [layer for layer in self.layer_configs if layer_kind(layer) == "lmu"]
        return any(map(needs_sync, lmus)) and not any(
            layer.get("lagged_memory", False) for layer in lmus
        )

    @property
    def settle_steps(self):
        """The steps each element's holds and spiking outputs leave out:
        ``settle_steps`` as given, else the backend's round trip."""
        if self.settle_request is not None:
            return self.settle_request
        return min(self.backend.round_trip_steps, self.steps_per_element - 1)

    def _build(self):
        scales = self._per_layer(self.rate_scale, "rate_scale")
        host = 4.0 if self.host_scale is None else self.host_scale
        host_scales = self._per_layer(host, "host_scale")
        synchronous = self.synchronous
        self.input = nengo.Node(self.feed, size_out=self.input_d, label="x")
        self.layers = []
        self.latency = 0
        pre, pre_d, pre_net = self.input, self.input_d, None
        for i, layer in enumerate(self.layer_configs):
            common = dict(
                input_d=pre_d,
                spiking=self.spiking,
                rate_scale=float(scales[i]),
                host_scale=float(host_scales[i]),
                dt=self.dt,
                backend=self.backend,
                spiking_backend=self.spiking_backend,
                label=f"layer{i}",
                # not the stack's seed: nengo would give the layer's objects the
                # same seeds as the stack's, and NengoDL takes a connection
                # whose seed is a probe's for that probe's (and never trains it)
                seed=None if self.seed is None else self.seed + 1 + i,
            )
            if layer_kind(layer) == "dense":
                net = DenseLayer(
                    units=layer["units"],
                    neuron_type=neurons.from_config(
                        layer.get("neuron_type"), attr=f"layers[{i}].neuron_type"
                    ),
                    **common,
                )
            else:
                hold_input = synchronous and pre is not self.input
                net = LMUNetwork(
                    **self._lmu_options(layer, i),
                    input_from_neurons=not hold_input and _neural_readout(pre_net),
                    readout_to_neurons=self._feeds_memory_neurons(i),
                    steps_per_element=self.steps_per_element,
                    element_sync=synchronous,
                    hold_input=hold_input,
                    input_delay=self.latency,
                    settle_steps=self.settle_steps if synchronous else 0,
                    **common,
                )
                self.latency = net.start_element
            synapse = self.synapse if i > 0 else None
            nengo.Connection(pre, net.input, synapse=synapse)
            self.layers.append(net)
            pre, pre_d, pre_net = net.output, net.size_out, net
        self.output = pre
        self.probe = nengo.Probe(pre, synapse=None)

    def _feeds_memory_neurons(self, i):
        """Whether layer ``i``'s readout, of its hidden neurons, reaches the
        next layer's memory neurons as it is (not held on the host): then a
        backend with a chip keeps it there, its bias included."""
        layer, following = self.layer_configs[i], self.layer_configs[i + 1 : i + 2]
        return (
            bool(following)
            and layer.get("hidden_units", 0) > 0
            and self._hidden_type(layer) is not None
            and layer_kind(following[0]) == "lmu"
            and following[0].get("memory_neuron_type") is not None
            and not self.synchronous
        )

    def _per_layer(self, value, attr):
        """``value`` (one number, or one per layer) as one number per layer."""
        n_layers = len(self.layer_configs)
        try:
            values = np.broadcast_to(np.asarray(value, dtype=float), n_layers)
        except (TypeError, ValueError):
            values = None
        if values is None or not np.all(np.isfinite(values)):
            raise ValidationError(
                f"must be a finite number or a list of one per layer ({n_layers}); "
                f"got {value!r}",
                attr=attr,
                obj=self,
            )
        return values

    def _hidden_type(self, layer):
        """A layer config's hidden neuron type (the stack's by default; None:
        linear units)."""
        hidden = layer.get("hidden_neuron_type", self.hidden_neuron_type)
        return neurons.from_config(hidden, attr="hidden_neuron_type")

    def _lmu_options(self, layer, i):
        """Layer ``i``'s config as `.LMUNetwork` arguments (theta in seconds,
        a neural memory's synapse as ``memory_synapse`` overrides it)."""
        options = {
            k: layer[k]
            for k in LAYER_KEYS + LAYER_OPTIONS
            if k in layer and k not in ("kind", "units", "neuron_type")
        }
        options["theta"] = layer["theta"] * self.steps_per_element * self.dt
        options["hidden_neuron_type"] = self._hidden_type(layer)
        if options.get("memory_neuron_type") is not None:
            options["memory_neuron_type"] = neurons.from_config(
                options["memory_neuron_type"], attr=f"layers[{i}].memory_neuron_type"
            )
            if self.spiking and self.synapse is not None and layer["hidden_units"]:
                options["memory_readout_synapse"] = self.synapse
            if self.memory_synapse is not None:
                synapses = self._per_layer(self.memory_synapse, "memory_synapse")
                options["memory_synapse"] = float(synapses[i])
        return options

    # --- config and parameters ------------------------------------------------

    def get_config(self):
        """The constructor arguments (JSON-able): ``LMUStack.from_config``
        rebuilds this stack, with its initial parameters."""
        layers = []
        for layer, net in zip(self.layer_configs, self.layers):
            layer = dict(layer)
            for key in NEURON_KEYS:
                if isinstance(layer.get(key), nengo.neurons.NeuronType):
                    layer[key] = neurons.to_config(layer[key])
            if layer.get("memory_statistics") is not None:
                layer["memory_statistics"] = as_moments(layer["memory_statistics"])
            if layer.get("memory_tuning") is not None:
                layer["memory_tuning"] = check_tuning(layer["memory_tuning"])
            if layer.get("trainable_theta", False):
                elements = self.steps_per_element * self.dt
                layer["theta"] = float(net.current_theta() / elements)
            layers.append(layer)
        hidden = self.hidden_neuron_type
        return {
            "input_d": self.input_d,
            "seq_len": self.seq_len,
            "layers": layers,
            "pooling": self.pooling,
            "hidden_neuron_type": (
                hidden if isinstance(hidden, (str, dict)) else neurons.to_config(hidden)
            ),
            "rate_scale": _listed(self.rate_scale),
            "steps_per_element": self.steps_per_element,
            "element_sync": self.element_sync,
            "settle_steps": self.settle_request,
            "predict_shape": self.predict_shape,
            "spiking": self.spiking,
            "backend": self.backend.name,
            "dt": self.dt,
            "synapse": self.synapse,
            "host_scale": _listed(self.host_scale),
            "memory_synapse": _listed(self.memory_synapse),
            "spiking_backend": self.spiking_backend,
            "seed": self.seed,
            "task": self.task,
        }

    @classmethod
    def from_config(cls, config, parameters=None, add_to_container=None, **overrides):
        """The stack that ``config`` (from `get_config`, or a saved file)
        describes, with ``overrides`` applied and ``parameters`` set.

        Keys that a newer version added and this one does not know are
        refused, naming them.
        """
        config = dict(config, **overrides)
        unknown = sorted(set(config) - _init_args(cls))
        if unknown:
            raise ValidationError(
                f"config keys {unknown} are not LMUStack arguments; it was made by "
                "another nengo-lmu version",
                attr="config",
            )
        stack = cls(**config, add_to_container=add_to_container)
        if parameters is not None:
            stack.set_parameters(parameters)
        return stack

    def get_parameters(self):
        """Every layer's parameters, keyed ``"layer{i}/{name}"``."""
        return {
            f"layer{i}/{name}": value
            for i, lmu in enumerate(self.layers)
            for name, value in lmu.get_parameters().items()
        }

    def set_parameters(self, parameters):
        """Set every layer's parameters (keyed as `get_parameters` keys them),
        refusing missing, extra or misshaped arrays, naming each."""
        problems = []
        for i, lmu in enumerate(self.layers):
            prefix = f"layer{i}/"
            layer = {
                k[len(prefix) :]: v
                for k, v in parameters.items()
                if k.startswith(prefix)
            }
            try:
                lmu.set_parameters(layer)
            except ValidationError as error:
                problems.append(f"layer {i}: {error}")
        extra = {k.split("/")[0] for k in parameters} - {
            f"layer{i}" for i in range(len(self.layers))
        }
        if extra:
            problems.append(f"parameters of {sorted(extra)} are not in this stack")
        if problems:
            raise ValidationError("; ".join(problems), attr="parameters")

    def n_parameters(self):
        """The number of trainable values."""
        return int(sum(np.size(v) for v in self.get_parameters().values()))

    def shape_mismatches(self, config):
        """How a saved ``config``'s shape differs from this stack's (a list of
        sentences; empty when its parameters fit)."""
        ours = self.get_config()
        diffs = []
        for key in SHAPE_KEYS:
            saved, mine = config.get(key, _DEFAULTS.get(key)), ours[key]
            if key == "hidden_neuron_type":
                same = neurons.from_config(saved) == neurons.from_config(mine)
            else:
                same = saved == mine
            if not same:
                diffs.append(f"{key} is {saved!r} in the file but {mine!r} here")
        if len(config["layers"]) != len(ours["layers"]):
            diffs.append(
                f"the file has {len(config['layers'])} layers but this stack "
                f"{len(ours['layers'])}"
            )
            return diffs
        for i, (a, b) in enumerate(zip(config["layers"], ours["layers"])):
            for key, default in LAYER_DEFAULTS.items():
                saved, mine = a.get(key, default), b.get(key, default)
                if key in NEURON_KEYS:
                    same = neurons.from_config(saved) == neurons.from_config(mine)
                else:
                    same = saved == mine
                if not same:
                    diffs.append(
                        f"layer {i} {key} is {saved!r} in the file but {mine!r} here"
                    )
        return diffs

    # --- files ------------------------------------------------------------------

    def save(self, path, made_by=None):
        """Save the config and parameters to the ``.npz`` at ``path``.

        Written to a temporary file beside it, then renamed: an interrupted
        save never damages an existing file.  ``made_by`` (the command that
        makes the file) is kept, and named when the file is refused later.
        """
        arrays = {
            k: np.asarray(v, dtype=np.float32) for k, v in self.get_parameters().items()
        }
        meta = {
            "config": json.dumps(self.get_config()),
            "format": str(FILE_FORMAT),
            "nengo_lmu_version": version,
            "made_by": made_by or "",
        }
        folder = os.path.dirname(os.path.abspath(path))
        descriptor, temporary = tempfile.mkstemp(suffix=".npz", dir=folder)
        try:
            with os.fdopen(descriptor, "wb") as f:
                np.savez_compressed(
                    f, **{k: np.array(v) for k, v in meta.items()}, **arrays
                )
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise

    @classmethod
    def load(cls, path, **overrides):
        """The stack saved at ``path`` (or a `SavedStack`), with ``overrides``
        of its config (e.g. ``backend``, ``spiking``, ``steps_per_element``)."""
        saved = path if isinstance(path, SavedStack) else read_file(path)
        try:
            return cls.from_config(saved.config, saved.parameters, **overrides)
        except ValidationError as error:
            raise ValidationError(
                f"{saved.path}: {error}{saved.remake()}", attr="path"
            ) from error

    def load_parameters(self, path):
        """Set the parameters saved at ``path``, refusing a file made for a
        differently shaped stack (naming each difference)."""
        saved = read_file(path)
        diffs = self.shape_mismatches(saved.config)
        if diffs:
            raise ValidationError(
                f"{path} holds parameters for a differently shaped network: "
                + "; ".join(diffs)
                + saved.remake(),
                attr="path",
            )
        self.set_parameters(saved.parameters)
        return self

    # --- running ------------------------------------------------------------------

    def check_inputs(self, x, attr="x"):
        """``x`` as an array of shape ``(sequences, seq_len, input_d)`` with
        finite values; else a ValidationError saying what was wrong."""
        try:
            x = np.asarray(x, dtype=float)
        except (TypeError, ValueError) as error:
            raise ValidationError(f"must be an array of numbers ({error})", attr=attr)
        expected = f"(sequences, {self.seq_len}, {self.input_d})"
        if x.ndim != 3:
            raise ValidationError(
                f"inputs must have shape {expected}; got {x.shape}", attr=attr
            )
        if len(x) == 0:
            raise ValidationError(
                f"holds no sequences (shape {x.shape}); give at least one sequence",
                attr=attr,
            )
        if x.shape[1] != self.seq_len:
            raise ValidationError(
                f"sequences have {x.shape[1]} elements but the model was built for "
                f"{self.seq_len}",
                attr=attr,
            )
        if x.shape[2] != self.input_d:
            raise ValidationError(
                f"inputs have {x.shape[2]} dimensions but the model was built for "
                f"input_d={self.input_d}",
                attr=attr,
            )
        bad = ~np.isfinite(x)
        if bad.any():
            sequence, element, dim = np.argwhere(bad)[0]
            raise ValidationError(
                f"holds {int(bad.sum())} NaN or infinite values (the first at "
                f"sequence {sequence}, element {element}, dimension {dim}); fill or "
                "drop them before running the model",
                attr=attr,
            )
        return x

    @contextlib.contextmanager
    def feeding(self, held):
        """While inside, ``input`` plays the held sequences ``held`` (select
        one with ``stack.feed.select(i)``)."""
        self.feed.sequences, self.feed.index = held, 0
        try:
            yield self.feed
        finally:
            self.feed.sequences = None

    def replica(self, sequence=None, add_to_container=None, **overrides):
        """A new stack with this one's config (and ``overrides``) and
        parameters, in the current network context (or none, with
        ``add_to_container=False``); fed ``sequence`` (held) if given."""
        stack = type(self).from_config(
            self.get_config(),
            self.get_parameters(),
            add_to_container=add_to_container,
            **overrides,
        )
        if sequence is not None:
            stack.feed.sequences = np.asarray(sequence)[None]
        return stack

    def memory_statistics(self, x):
        """What each LMU layer's memory receives on inputs ``x`` ``(sequences,
        seq_len, input_d)``: the statistics to tune a neural memory for (the
        layer option ``memory_statistics``), measured with the exact memories
        and rate neurons on nengo, each sequence from rest.

        Returns
        -------
        list
            Per layer, its memory's `.InputStatistics` (None for a dense
            layer).

        Examples
        --------
        >>> stack = LMUStack(input_d=1, seq_len=8, layers=[dict(
        ...     memory_d=1, order=3, theta=8, hidden_units=4, output_d=2)], seed=0)
        >>> stats = stack.memory_statistics(np.ones((2, 8, 1)))
        >>> stats[0].std.shape, float(stats[0].input_peak[0].round(3))
        ((1, 3), 1.0)
        """
        from nengo_lmu import backends

        x = self.check_inputs(x)  # at least one sequence
        config = self.get_config()
        config["layers"] = [
            {k: v for k, v in layer.items() if k != "memory_tuning"}
            | {"memory_neuron_type": None}
            if layer_kind(layer) == "lmu"
            else layer
            for layer in config["layers"]
        ]
        stack = type(self).from_config(
            config, self.get_parameters(), backend="nengo", spiking=False,
            add_to_container=False,
        )
        memories = [getattr(layer, "memory", None) for layer in stack.layers]
        with stack:
            probes = [
                nengo.Probe(m.input, synapse=None) for m in memories if m is not None
            ]
        held = hold(x, self.steps_per_element)
        records = iter(backends.host().record_sequences(stack, held, probes))
        return [
            InputStatistics.measured(next(records), m.order, m.theta, self.dt)
            if m is not None
            else None
            for m in memories
        ]

    def calibrated(self, x, add_to_container=None):
        """A stack with this one's config and parameters whose neural memories
        are scaled for what they receive on inputs ``x`` (`memory_statistics`;
        the layer option ``memory_statistics``).

        Call it after training and before deploying spiking: training moves
        the weights into each memory, and with them its input's range, which a
        rate memory follows at any scale but a spiking one (whose rates are
        bounded, as on Loihi) must be scaled for.  The rate network computes
        the same before and after.
        """
        config = self.get_config()
        for layer, stats in zip(config["layers"], self.memory_statistics(x)):
            if stats is not None and layer.get("memory_neuron_type") is not None:
                layer["memory_statistics"] = stats.to_dict()
        return type(self).from_config(
            config, self.get_parameters(), add_to_container=add_to_container
        )

    def rate_scale_for(
        self, x, backend=None, steps_per_element=None, candidates=RATE_SCALES
    ):
        """The ``rate_scale`` (one of ``candidates``) at which spiking units
        best count what the rate units output on inputs ``x``, each element
        held ``steps_per_element`` steps on ``backend`` (default: the
        stack's).

        Two errors pull apart.  Over the ``T`` steps an element is counted
        (``steps_per_element`` less the settle steps, with ``element_sync``),
        a unit of activation ``a`` fires about ``r a T dt`` spikes at rate
        scale ``r``: fewer, a coarser count, at a lower ``r``.  And a neuron
        that resets to zero (Loihi's) fires every ``ceil(1 / (r a dt))``
        steps: a coarser rate curve at a higher ``r``, and none faster than
        once a step.  For every unit and element of the rate network run on
        ``x`` (nengo, rate neurons, one step per element), each candidate's
        count (`.NeuronLayer.count_errors`) is compared with the rate
        output; the one with the smallest mean squared error is returned.
        Only rectified-linear units count (their function is the same at any
        rate scale).  The count is taken from rest, which overstates its
        error at low rates for a neuron entering an element at another
        phase; averaged over the phase it would pick 50 Hz rather than 75
        for the MNIST-1D model of docs/keras.md, which scored 86 % against
        90 % at 75 on the emulator (100 training sequences).  Call it before
        ``from_keras(..., rate_scale=...)`` or ``stack.replica(rate_scale=...)``
        for spiking deployment.

        Examples
        --------
        >>> stack = LMUStack(input_d=1, seq_len=8, layers=[dict(
        ...     memory_d=1, order=3, theta=8, hidden_units=4, output_d=2)],
        ...     seed=0)
        >>> x = np.random.RandomState(0).uniform(-1, 1, (4, 8, 1))
        >>> stack.rate_scale_for(x, "nengo", 20) in RATE_SCALES
        True
        """
        from nengo_lmu import backends

        backend = backends.get(self.backend if backend is None else backend)
        steps = check_steps(
            self.steps_per_element if steps_per_element is None else steps_per_element
        )
        candidates = np.asarray(candidates, dtype=float).ravel()
        valid = np.isfinite(candidates) & (candidates > 0)
        if candidates.size == 0 or not np.all(valid):
            raise ValidationError(
                f"must be positive finite rate scales (got {candidates})",
                attr="candidates", obj=self,
            )
        settle = 0
        if self._synchronous_at(steps):
            settle = self.settle_request
            settle = backend.round_trip_steps if settle is None else settle
        counted = steps - min(settle, steps - 1)
        x = self.check_inputs(x)
        stack = type(self).from_config(
            self.get_config(), self.get_parameters(), backend="nengo",
            spiking=False, steps_per_element=1, settle_steps=None,
            add_to_container=False,
        )
        layers = [
            layer
            for layer in stack.layers
            if isinstance(layer.units, nengo.Ensemble)
            and isinstance(layer.units.neuron_type, nengo.RectifiedLinear)
        ]
        if not layers or len(x) == 0:
            raise ValidationError(
                "needs rectified-linear units (their function is the same at any "
                "rate scale) and at least one sequence",
                attr="x",
                obj=self,
            )
        with stack:
            probes = [
                nengo.Probe(layer.units.neurons, "input", synapse=None)
                for layer in layers
            ]
        currents = backends.host().record_sequences(stack, hold(x, 1), probes)
        errors = [
            np.mean(
                np.concatenate(
                    [
                        layer.count_errors(current, scale, counted, backend)
                        for layer, current in zip(layers, currents)
                    ]
                )
            )
            for scale in candidates
        ]
        return float(candidates[int(np.argmin(errors))])

    def runs_on(self, backend):
        """Whether every network in the stack runs as mapped on ``backend``."""
        return all(
            net.mismatch(backend) is None
            for net in [self] + list(self.all_networks)
            if isinstance(net, MappedNetwork)
        )

    def predict(self, x, backend=None, batch_size=100, progress=None):
        """Outputs on inputs ``x``, ``(sequences, seq_len, input_d)`` (unheld).

        Parameters
        ----------
        x : array_like
        backend : {"nengo", "dl", "loihi"}, optional
            Where to run (default: the stack's backend).  A backend the stack
            is not mapped for runs a replica mapped for it, with the same
            parameters.
        batch_size : int
            Sequences run at once (NengoDL's minibatch; Loihi's copies).
        progress : callable, optional
            ``progress(done, total)`` while sequences run.

        Returns
        -------
        ndarray
            By ``predict_shape``: ``(sequences, seq_len * steps_per_element,
            size_out)``, ``(sequences, seq_len, size_out)`` or ``(sequences,
            size_out)``; every sequence run from rest, aligned with the input
            (a stack whose output lags by `latency` elements runs that many
            more).
        """
        from nengo_lmu import backends

        x = self.check_inputs(x)
        backend = self.backend if backend is None else backends.get(backend)
        stack = self
        if not self.runs_on(backend):
            stack = self.replica(backend=backend.name, add_to_container=False)
        steps = self.steps_per_element
        held = hold(x, steps)
        lag = self.latency * steps
        if lag:  # the last element, held while the layers catch up
            held = np.concatenate([held, np.repeat(held[:, -1:], lag, axis=1)], axis=1)
        outputs = backend.run_sequences(
            stack, held, batch_size=batch_size, progress=progress
        )
        return self.shaped(outputs[:, lag:])

    def element_outputs(self, outputs):
        """Per-step outputs ``(sequences, seq_len * steps, d)`` as one output
        per element: its last step with rate neurons (exact), the mean over
        its steps (after ``settle_steps``) when spiking."""
        n, n_steps, size_out = outputs.shape
        steps = self.steps_per_element
        outputs = outputs.reshape(n, n_steps // steps, steps, size_out)
        if not self.spiking:
            return outputs[:, :, -1]
        return outputs[:, :, self.settle_steps :].mean(axis=2)

    def shaped(self, outputs):
        """Per-step outputs shaped as ``predict_shape`` says."""
        if self.predict_shape == "steps":
            return outputs
        elements = self.element_outputs(outputs)
        return elements if self.predict_shape == "elements" else elements[:, -1]

    def score(self, outputs, y):
        """Accuracy of the pooled ``outputs`` (as `predict` returns them)
        against integer labels ``y``, or, for real targets ``(sequences,
        seq_len, d)``, the NRMSE of each element's output (averaged over the
        steps it is held)."""
        from nengo_lmu.experiments.metrics import nrmse

        outputs, y = np.asarray(outputs), np.asarray(y)
        if np.issubdtype(y.dtype, np.integer) and y.shape != (len(outputs),):
            raise ValidationError(
                f"class labels must be one integer per sequence: got shape "
                f"{y.shape} for {len(outputs)} sequences",
                attr="y",
            )
        if self.predict_shape == "steps":
            n, n_steps, size_out = outputs.shape
            steps = self.steps_per_element
            per_element = outputs.reshape(n, n_steps // steps, steps, size_out)
            per_element = per_element.mean(axis=2)
        else:
            per_element = outputs
        if np.issubdtype(y.dtype, np.integer):
            if per_element.ndim == 2:  # the last element's already
                if self.pooling == "mean":
                    raise ValidationError(
                        "predict_shape='last' keeps only the last element's "
                        "output, but this network's class comes from the mean "
                        "over the sequence (pooling='mean'); score the outputs "
                        "of predict_shape 'steps' or 'elements'",
                        attr="predict_shape",
                        obj=self,
                    )
                logits = per_element
            elif self.pooling == "mean":
                logits = per_element.mean(axis=1)
            elif self.pooling == "last":
                logits = per_element[:, -1]
            else:
                logits = outputs[:, -1]
            return {"accuracy": float(np.mean(np.argmax(logits, axis=-1) == y))}
        if y.shape != per_element.shape:
            raise ValidationError(
                f"targets have shape {y.shape}, but the outputs give "
                f"{per_element.shape}; give integer labels, one per sequence, or "
                "targets shaped as the outputs per element",
                attr="y",
            )
        return {"nrmse": float(nrmse(per_element, y))}

    def summary(self):
        """One line per layer: shape, memory and neurons."""
        lines = [
            f"LMUStack: {len(self.layers)} layers, {self.seq_len} elements of "
            f"{self.input_d} dims, {self.steps_per_element} steps per element, "
            f"backend {self.backend.name!r}, {'spiking' if self.spiking else 'rate'}, "
            f"{self.n_parameters()} parameters"
        ]
        for i, net in enumerate(self.layers):
            if isinstance(net, DenseLayer):
                units = net.units
                kind = getattr(units, "neuron_type", "linear")
                lines.append(f"  layer {i}: dense, {net.n_units} x {kind}")
                continue
            memory = net.memory
            kind = (
                "exact memory"
                if memory.neuron_type is None
                else f"{len(memory.ensembles) * memory.n_neurons} {memory.neuron_type} "
                "memory neurons"
            )
            if self.synchronous:
                kind += ", once per element"
            hidden = getattr(net.hidden, "neuron_type", "linear")
            lines.append(
                f"  layer {i}: order {net.order} x {net.memory_d} over "
                f"{self.layer_configs[i]['theta']} elements ({kind}), "
                f"{net.hidden_units} x {hidden}, output {net.size_out}"
            )
        return "\n".join(lines)

    @property
    def inp(self):
        """Deprecated: the input node (use ``input``)."""
        warnings.warn(
            "LMUStack.inp is deprecated; use LMUStack.input",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.input


_DEFAULTS = {"pooling": "mean", "hidden_neuron_type": "relu"}


def _init_args(cls):
    code = cls.__init__.__code__
    return set(code.co_varnames[1 : code.co_argcount])


def with_neural_memories(config, n_neurons, statistics=None, tuning=None,
                         neuron_type="relu"):
    """A copy of the stack ``config`` whose LMU layers keep their memories on
    neurons: layer i's on ``n_neurons[i]`` ``neuron_type`` neurons per
    dimension (an int: in every layer; None: layer i keeps its exact
    memory), scaled for ``statistics[i]``
    (`LMUStack.memory_statistics`'s list; None: `.LMUNetwork`'s default
    input) and tuned as ``tuning`` says (`.LMUNetwork`'s ``memory_tuning``;
    None: the backend's).  Dense layers are left as they are.  The
    parameters of the exact-memory stack load into the result.  The memories'
    recurrent synapses are a deployment choice: give them when building
    (`LMUStack`'s ``memory_synapse``; a quarter of each window suits spiking
    memories), or each layer's ``memory_synapse`` applies (`.LMUNetwork`'s
    default: a quarter of the window spiking, none with rates).

    Examples
    --------
    >>> config = LMUStack(input_d=1, seq_len=4, layers=[dict(
    ...     memory_d=1, order=3, theta=4, hidden_units=10, output_d=2)]
    ... ).get_config()
    >>> with_neural_memories(config, 50)["layers"][0]["memory_n_neurons"]
    50
    """
    layers = list(config["layers"])
    counts = [n_neurons] * len(layers) if np.ndim(n_neurons) == 0 else n_neurons
    statistics = [None] * len(layers) if statistics is None else statistics
    if len(counts) != len(layers) or len(statistics) != len(layers):
        raise ValidationError(
            f"gives {len(counts)} neuron counts and {len(statistics)} statistics "
            f"for {len(layers)} layers; give one of each per layer",
            attr="n_neurons",
        )
    for i, (layer, n, stats) in enumerate(zip(layers, counts, statistics)):
        if layer_kind(layer) != "lmu" or n is None:
            continue
        layers[i] = dict(layer, memory_neuron_type=neuron_type,
                         memory_n_neurons=int(n))
        if stats is not None:
            layers[i]["memory_statistics"] = (
                stats if isinstance(stats, dict) else stats.to_dict()
            )
        if tuning is not None:
            layers[i]["memory_tuning"] = tuning
    return dict(config, layers=layers)


def _neural_readout(layer):
    """Whether ``layer``'s output is a readout of neurons alone (its hidden
    neurons, and its bias, if any, from neurons: not a host node)."""
    if not (isinstance(layer, LMUNetwork) and isinstance(layer.hidden, nengo.Ensemble)):
        return False
    bias = layer.parameter_connections.get("b_o")
    return bias is None or not isinstance(bias.pre_obj, nengo.Node)


def _listed(value):
    if value is None or np.isscalar(value):
        return None if value is None else float(value)
    return [float(v) for v in value]


def layer_kind(layer):
    """A layer config's kind: ``"lmu"`` or ``"dense"``."""
    return layer.get("kind", "lmu")


def needs_sync(layer):
    """Whether an LMU layer computes something else when its elements are
    held and it runs once per step: a recurrence trained once per element,
    or an Euler memory (exact only for the step it was discretized for)."""
    recurrent = ("hidden_to_hidden", "hidden_to_memory", "memory_to_memory")
    return any(layer.get(k, False) for k in recurrent) or (
        layer.get("discretizer", "zoh") != "zoh"
    )


def check_layers(layers):
    """The layer configs as dicts; each must give the keys its kind needs."""
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValidationError("must be a non-empty list of layer dicts", attr="layers")
    checked = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict):
            raise ValidationError(
                f"layer {i} is {layer!r}; each layer is a dict of its options, "
                "e.g. dict(memory_d=1, order=4, theta=8, hidden_units=16)",
                attr="layers",
            )
        kind = layer_kind(layer)
        if kind not in KINDS:
            raise ValidationError(
                f"layer {i} has kind {kind!r}; use one of {', '.join(KINDS)}",
                attr="layers",
            )
        missing = [k for k in REQUIRED_KEYS[kind] if k not in layer]
        if missing:
            raise ValidationError(f"layer {i} needs {missing}", attr="layers")
        theta = layer.get("theta", 1)
        if not isinstance(theta, numbers.Real) or isinstance(theta, bool):
            raise ValidationError(
                f"layer {i} has theta={theta!r}; give the window in elements, "
                "as a number",
                attr="layers",
            )
        unknown = set(layer) - ALLOWED_KEYS[kind]
        if unknown:
            raise ValidationError(
                f"layer {i} ({kind}) has unknown keys {sorted(unknown)}",
                attr="layers",
            )
        checked.append(dict(layer))
    return checked


def check_choice(value, choices, attr):
    """``value`` if it is one of ``choices``; else a ValidationError."""
    if value not in choices:
        raise ValidationError(
            f"must be one of {', '.join(map(repr, choices))} (got {value!r})",
            attr=attr,
        )
    return value


def check_pooling(pooling):
    return check_choice(pooling, POOLINGS, "pooling")


def _is_int(value):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Integral):
        return True
    return isinstance(value, numbers.Real) and float(value).is_integer()


def check_settle(settle_steps, steps_per_element):
    if not _is_int(settle_steps) or not 0 <= settle_steps < steps_per_element:
        raise ValidationError(
            f"must be an integer from 0 to steps_per_element - 1 = "
            f"{steps_per_element - 1} (got {settle_steps!r})",
            attr="settle_steps",
        )
    return int(settle_steps)


def check_steps(steps_per_element):
    if not _is_int(steps_per_element) or steps_per_element < 1:
        raise ValidationError(
            f"must be a positive integer (got {steps_per_element!r})",
            attr="steps_per_element",
        )
    return int(steps_per_element)


def warn_held_recurrence(layers, steps):
    """Warn where holding elements without ``element_sync`` changes what a
    layer computes.

    The zero-order-hold memory is exact for held inputs, but a recurrence
    trained once per element (``h_{t-1}`` or ``m_{t-1}``) runs once per
    simulator step when each element is held for ``steps`` steps, and an
    Euler memory is exact only for the step it was discretized for.
    """
    held = [
        i
        for i, layer in enumerate(layers)
        if layer_kind(layer) == "lmu" and needs_sync(layer)
    ]
    if steps > 1 and held:
        warnings.warn(
            f"layers {held} have a recurrence trained once per element (or an "
            f"Euler memory): held for {steps} steps per element with "
            f"element_sync=False, their recurrence runs {steps} times per element "
            "instead of once, and the network computes something other than "
            "what it was trained for; leave element_sync at its default (once "
            "per element) or evaluate with steps_per_element=1"
        )


class SavedStack:
    """A parameter file's contents: ``config``, ``parameters``, ``format``,
    ``version`` and ``made_by``."""

    def __init__(self, path, config, parameters, file_format, version, made_by):
        self.path, self.config, self.parameters = path, config, parameters
        self.format, self.version, self.made_by = file_format, version, made_by

    def with_config(self, config):
        """This file's parameters under another ``config`` (e.g.
        `with_neural_memories`'s)."""
        return SavedStack(self.path, config, self.parameters, self.format,
                          self.version, self.made_by)

    def remake(self):
        """A sentence naming the command that re-makes the file (if known)."""
        return f" (re-make it with: {self.made_by})" if self.made_by else ""


def read_file(path):
    """The `SavedStack` at ``path``; a ValidationError that names the file
    and what was wrong if it is missing, damaged, foreign or too new."""
    if not os.path.exists(path):
        raise ValidationError(f"no parameter file at {path!r}", attr="path")
    try:
        with np.load(path, allow_pickle=False) as f:
            files = list(f.files)
            contents = {k: f[k] for k in files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise ValidationError(
            f"{path} is damaged or is not an .npz parameter file ({error}); "
            "re-make it with the command that saved it (for a task: nengo-lmu "
            "train TASK)",
            attr="path",
        ) from error
    if "config" not in contents:
        raise ValidationError(
            f"{path} is not a nengo-lmu parameter file: it holds {files[:6]} but no "
            "'config' (files made by LMUStack.save or nengo-lmu train hold one)",
            attr="path",
        )
    file_format = int(contents.pop("format", 1))
    file_version = str(contents.pop("nengo_lmu_version", "before 0.2"))
    made_by = str(contents.pop("made_by", ""))
    if file_format > FILE_FORMAT:
        raise ValidationError(
            f"{path} was written by nengo-lmu {file_version} in file format "
            f"{file_format}; this nengo-lmu ({version}) reads formats up to "
            f"{FILE_FORMAT}: upgrade nengo-lmu",
            attr="path",
        )
    try:
        config = json.loads(str(contents.pop("config")))
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"{path}'s config is damaged ({error})", attr="path"
        ) from error
    config = upgrade_config(config, file_format)
    return SavedStack(path, config, contents, file_format, file_version, made_by)


def upgrade_config(config, file_format):
    """A saved config as this version reads it.

    Files before format 3 were trained with the exact memory taking its input
    one step late (the hidden state saw ``m_{t-1}``): their LMU layers select
    that timing (``lagged_memory=True``), which keeps what they were trained
    to compute.
    """
    if file_format >= 3:
        return config
    config = dict(config)
    config["layers"] = [
        dict(layer, lagged_memory=True) if layer_kind(layer) == "lmu" else layer
        for layer in config["layers"]
    ]
    return config
