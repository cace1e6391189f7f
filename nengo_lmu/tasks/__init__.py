"""Ready-made task networks and their trained parameters.

Each task (`TASKS`) is a `Task`: the network's config, its data, its training
settings, how it deploys on each backend, and the committed parameters in
``nengo_lmu/tasks/params``.  `nengo_lmu.experiments.tasks` trains and
evaluates them (``nengo-lmu train`` / ``evaluate`` call it).
"""

import importlib
import os

from nengo.exceptions import ValidationError

from nengo_lmu.backends import NAMES as BACKEND_NAMES

PARAMS_DIR = os.path.join(os.path.dirname(__file__), "params")
NAMES = ("mnist1d", "psdigits", "psmnist", "mackey_glass")


class Task:
    """A ready-made task network.

    Parameters
    ----------
    name : str
    metric : {"accuracy", "nrmse"}
    config : callable
        ``config(seed) -> dict``: the `.LMUStack` config to train.
    load_data : callable
        ``load_data(**kwargs) -> dict`` with ``x``, ``y``, ``x_test``,
        ``y_test``.
    training : dict
        `.training.fit` options (``epochs``, ``batch_size``,
        ``learning_rate``).
    deploy : dict
        `.LMUStack` options for spiking runs (``rate_scale``, ``synapse``,
        ``host_scale``).
    steps_per_element : dict, optional
        Steps per element of spiking runs, per backend name (others: the
        evaluation's default).
    train_through : dict, optional
        For a backend name, the backend whose spiking neurons' rate curves a
        second training runs through (``{"loihi": "loihi"}``: Loihi-aware
        parameters, saved as ``{name}_loihi.npz`` and used on that backend).
    memories : Memories, optional
        Which memory each layer deploys with (on neurons, on the chip on
        Loihi, or exact, on the host), and why (default: exact).
    """

    def __init__(
        self,
        name,
        metric,
        config,
        load_data,
        training,
        deploy=None,
        steps_per_element=None,
        train_through=None,
        memories=None,
    ):
        self.name, self.metric = name, metric
        self.config, self.load_data = config, load_data
        self.training = dict(training)
        self.deploy = dict(deploy or {})
        self.steps_per_element = dict(steps_per_element or {})
        self.train_through = dict(train_through or {})
        self.memories = memories or Memories(None, "exact", "not chosen")

    def __repr__(self):
        return f"<Task {self.name!r}>"

    def params_path(self, backend=None, suffix=None, spiking=False):
        """Where the task's trained parameters are committed: for ``backend``,
        the ones trained for it (``{name}_{backend}.npz``) where they exist;
        then, for a ``spiking`` deployment, the ones trained for spiking
        (``{name}_spiking.npz``, with `.training.fit`'s ``spike_noise``) where
        they exist."""
        if suffix is None:
            wanted = [backend] if backend is not None else []
            for suffix_wanted in wanted + (["spiking"] if spiking else []):
                path = os.path.join(PARAMS_DIR, f"{self.name}_{suffix_wanted}.npz")
                if os.path.exists(path):
                    return path
        name = self.name if suffix is None else f"{self.name}_{suffix}"
        return os.path.join(PARAMS_DIR, f"{name}.npz")

    def deploy_steps(self, backend):
        """Steps per element of a spiking run on ``backend`` (None: the
        evaluation's default)."""
        return self.steps_per_element.get(backend)


# Memory neurons whose input stays positive over the memory's range (and no
# lag compensation, which would have nothing to compensate): Loihi's neurons
# lose their voltage to negative input, so the default tuning drains them.
POSITIVE_TUNING = {"intercepts": [-1.5, -1.1], "lead": 0}


class Memories:
    """Which memory each LMU layer of a task's network deploys with, and why.

    A layer's memory is either exact (a `nengo.Node`: on Loihi it runs on the
    host, the hybrid) or on neurons (`.stack.with_neural_memories`: on Loihi
    on the chip), scaled for what it receives on the task's first
    ``calibrate`` training sequences (`.LMUStack.memory_statistics`).

    Parameters
    ----------
    n_neurons : list or None
        Per layer, the neural memory's neurons per dimension; None for a
        layer keeps its exact memory (None for all: no neural option).
    default : {"neurons", "exact"}
        What ``evaluate`` deploys unless told otherwise.
    why : str
        The reason, with the figures behind it.
    window_fraction : float
        Each neural memory's recurrent synapse as a fraction of its window.
    tuning : dict, optional
        The neural memories' ``memory_tuning`` (None: the backend's).
    calibrate : int
        Training sequences the neural memories are scaled for.
    deploy : dict, optional
        Spiking deployment settings (`.LMUStack` options) that replace the
        task's with the memories on neurons (e.g. ``{"element_sync": False}``:
        a neural memory runs at every step).
    backends : dict, optional
        Per backend name, settings that replace the above there (e.g.
        ``{"loihi": {"window_fraction": 0.25}}``).

    Examples
    --------
    >>> memories = Memories([100], "neurons", "measured", window_fraction=0.125,
    ...                     backends={"loihi": {"window_fraction": 0.25}})
    >>> memories.settings("loihi")["window_fraction"]
    0.25
    """

    CHOICES = ("neurons", "exact")

    def __init__(self, n_neurons, default, why, window_fraction=0.25, tuning=None,
                 calibrate=100, deploy=None, backends=None):
        self.n_neurons = n_neurons
        self.default = self.check(default, "default")
        self.why = why
        self.window_fraction, self.tuning = window_fraction, tuning
        self.calibrate = calibrate
        self.deploy = dict(deploy or {})
        self.backends = dict(backends or {})
        for backend, settings in [(None, self.settings(None))] + [
            (name, self.settings(name)) for name in self.backends
        ]:
            self._check_settings(backend, settings)

    def _check_settings(self, backend, settings):
        where = "" if backend is None else f" (backends[{backend!r}])"
        if backend is not None and backend not in BACKEND_NAMES:
            raise ValidationError(
                f"{backend!r} is not a backend; use {', '.join(BACKEND_NAMES)}",
                attr="backends",
            )
        unknown = set(settings) - set(self.settings(None))
        if unknown:
            raise ValidationError(
                f"unknown settings {sorted(unknown)}{where}; use "
                f"{', '.join(self.settings(None))}",
                attr="backends",
            )
        fraction, calibrate = settings["window_fraction"], settings["calibrate"]
        if not (isinstance(fraction, (int, float)) and fraction > 0):
            raise ValidationError(
                f"must be a positive fraction of each window (got "
                f"{fraction!r}){where}", attr="window_fraction",
            )
        if isinstance(calibrate, bool) or not isinstance(calibrate, int) or (
            calibrate < 0
        ):
            raise ValidationError(
                f"must be a number of training sequences, 0 or more (got "
                f"{calibrate!r}){where}", attr="calibrate",
            )

    def __repr__(self):
        return f"<Memories {self.default!r}: {self.why}>"

    @classmethod
    def check(cls, choice, attr="memory"):
        """``choice`` if it is one of `CHOICES`, else a ValidationError."""
        if choice not in cls.CHOICES:
            raise ValidationError(
                f"{choice!r} is not a memory; use 'neurons' (on neurons: on the "
                "chip on Loihi) or 'exact' (a host node: the hybrid)",
                attr=attr,
            )
        return choice

    def settings(self, backend):
        """The neural memories' settings on ``backend`` (a name): a dict of
        ``n_neurons``, ``window_fraction``, ``tuning``, ``calibrate`` and
        ``deploy``."""
        settings = {
            "n_neurons": self.n_neurons,
            "window_fraction": self.window_fraction,
            "tuning": self.tuning,
            "calibrate": self.calibrate,
            "deploy": self.deploy,
        }
        settings.update(self.backends.get(backend, {}))
        return settings


def stack_config(task, seq_len, layers, seed=0, input_d=1, pooling="mean"):
    """An `.LMUStack` config as the tasks write it: rectified-linear hidden
    units trained with rates, and ``layers`` (`.LMUNetwork` arguments, theta
    in elements)."""
    return {
        "task": task,
        "input_d": input_d,
        "seq_len": seq_len,
        "pooling": pooling,
        "hidden_neuron_type": "relu",
        "rate_scale": 1.0,
        "seed": seed,
        "layers": layers,
    }


def get(name):
    """The `Task` called ``name`` (one of `NAMES`)."""
    if name not in NAMES:
        raise ValidationError(
            f"unknown task {name!r}; use one of {', '.join(NAMES)}", attr="task"
        )
    return importlib.import_module(f"nengo_lmu.tasks.{name}").TASK
