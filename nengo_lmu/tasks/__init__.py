"""Ready-made task networks and their trained parameters.

Each task (`TASKS`) is a `Task`: the network's config, its data, its training
settings, how it deploys on each backend, and the committed parameters in
``nengo_lmu/tasks/params``.  `nengo_lmu.experiments.tasks` trains and
evaluates them (``nengo-lmu train`` / ``evaluate`` call it).
"""

import importlib
import os

from nengo.exceptions import ValidationError

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
    ):
        self.name, self.metric = name, metric
        self.config, self.load_data = config, load_data
        self.training = dict(training)
        self.deploy = dict(deploy or {})
        self.steps_per_element = dict(steps_per_element or {})
        self.train_through = dict(train_through or {})

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
