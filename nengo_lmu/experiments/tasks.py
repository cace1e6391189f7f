"""Train and evaluate the ready-made task networks (`nengo_lmu.tasks`)."""

import inspect

import numpy as np
from nengo.exceptions import ValidationError

from nengo_lmu import backends, tasks, training
from nengo_lmu.stack import LMUStack, read_file, with_neural_memories


def train_task(
    task,
    path=None,
    epochs=None,
    seed=0,
    verbose=1,
    train_through=None,
    init=None,
    data_options=None,
    dt=None,
    **options,
):
    """Train ``task``'s network in NengoDL and save its parameters.

    Parameters
    ----------
    task : str or Task
    path : str, optional
        Where to save (default: the task's committed file, or
        ``{task}_{train_through}.npz`` when training through a backend, or
        ``{task}_spiking.npz`` when training with ``spike_noise``, which
        spiking evaluations then use).
    epochs : int, optional
        Default: the task's.
    train_through : str, optional
        A backend whose spiking neurons the hidden layers train through (their
        rate curves at the task's deployment ``rate_scale``), usually from
        ``init``: parameters for that backend.
    init : str, optional
        A saved ``.npz`` to start from.
    data_options : dict, optional
        Passed to the task's ``load_data`` (e.g. ``mnist_path``).
    dt : float, optional
        Simulator step of the trained stack (default 1 ms).  Windows are
        given in elements, so the network computes the same at any step;
        the file keeps it, and loading it builds the stack for it.
    **options
        Override the task's training options (``batch_size``,
        ``learning_rate``, ``spike_noise``: `.training.fit`'s, or ``"auto"``
        for `spike_noise`'s, what the task's spiking deployment adds).

    Returns
    -------
    dict
        ``history``, ``wall_s``, ``path`` and ``dt``.
    """
    task = tasks.get(task) if isinstance(task, str) else task
    data = load_task_data(task, data_options)
    fit_options = dict(task.training, **options)
    if epochs is not None:
        fit_options["epochs"] = epochs
    build = {"backend": backends.trainer().name}
    command = (
        f"nengo-lmu train {task.name} --seed {seed} --epochs {fit_options['epochs']}"
    )
    if dt is not None:
        build["dt"] = dt
        command += f" --dt {dt:g}"
    noise = fit_options.get("spike_noise")
    if noise is not None:
        command += f" --spike-noise {noise}"
        if noise == "auto":
            fit_options["spike_noise"] = spike_noise(
                task, train_through or "nengo", dt=build.get("dt", 0.001)
            )
    if train_through is not None:
        build.update(
            spiking=True,
            spiking_backend=train_through,
            rate_scale=task.deploy.get("rate_scale", 1.0),
        )
        command += f" --train-through {train_through}"
    stack = LMUStack.from_config(task.config(seed), **build)
    if init is not None:
        stack.load_parameters(init)
        command += f" --init {init}"
    result = training.fit(stack, data, verbose=verbose, **fit_options)
    if train_through is None and fit_options.get("spike_noise"):
        train_through = "spiking"  # saved as {task}_spiking.npz
    path = path or task.params_path(suffix=train_through)
    stack.save(path, made_by=command)
    result["path"] = path
    result["dt"] = stack.dt
    return result


def spike_noise(task, backend="nengo", dt=0.001):
    """What reading ``task``'s hidden units from their spikes adds to each
    element's output when it is deployed spiking on ``backend`` (its
    ``rate_scale`` and steps per element): `.training.spike_noise_for`.

    Only for a task whose output is read per element (``pooling="none"``)
    and whose deployment gives every layer one ``rate_scale``: a pooled
    output averages the count errors away, and one noise serves all units.
    """
    rate_scale = task.deploy.get("rate_scale")
    pooling = task.config()["pooling"]
    if pooling != "none" or rate_scale is None or np.ndim(rate_scale) != 0:
        raise ValidationError(
            f"'auto' is what spikes add to each element's output at the "
            f"task's one deployment rate_scale, but {task.name} pools its "
            f"output ({pooling!r}) or deploys with rate_scale {rate_scale!r}; "
            "give spike_noise a number (training.spike_noise_for computes "
            "one) or 0",
            attr="spike_noise",
        )
    steps = task.deploy_steps(backend) or training.DEFAULT_SPIKING_STEPS
    return training.spike_noise_for(rate_scale, steps, dt)


def evaluate_task(
    task,
    mode="dl-rate",
    n=None,
    steps_per_element=None,
    path=None,
    batch_size=100,
    progress=None,
    data_options=None,
    memory=None,
    **overrides,
):
    """Evaluate ``task``'s saved parameters on its first ``n`` test sequences.

    Spiking modes use the task's deployment settings, then, with the
    memories on neurons, those of the task's `.Memories` (``overrides``
    replace both), and its steps per element for the backend; the parameters
    default to those trained for the backend where they exist, then,
    spiking, to those trained with spike noise (`.Task.params_path`).
    ``overrides`` may also give ``dt``: the stack runs at that step with its
    windows, in elements, unchanged.

    ``memory`` is ``"neurons"`` (each layer's memory on neurons as the task's
    `.Memories` say: on Loihi on the chip), ``"exact"`` (a host node: the
    hybrid) or None (the task's default); the result says which.
    """
    task = tasks.get(task) if isinstance(task, str) else task
    memory = tasks.Memories.check(task.memories.default if memory is None else memory)
    backend, spiking = training.parse_mode(mode)
    overrides = {k: v for k, v in overrides.items() if v is not None}
    neurons_of = overrides.get("spiking_backend") or backend.name
    options = dict(task.deploy) if spiking else {}
    if memory == "neurons" and spiking:
        options.update(task.memories.settings(neurons_of)["deploy"])
    options.update(overrides)
    if steps_per_element is None and spiking:
        steps_per_element = task.deploy_steps(backend.name)
    saved = read_file(path or task.params_path(backend.name, spiking=spiking))
    data = load_task_data(task, data_options)
    if memory == "neurons":
        steps = training.default_steps(steps_per_element, spiking)
        saved, synapses = on_neurons(task, saved, neurons_of, data, steps, options)
        options.setdefault("memory_synapse", synapses)
    result = training.evaluate(
        saved,
        data,
        mode,
        n=n,
        steps_per_element=steps_per_element,
        batch_size=batch_size,
        progress=progress,
        **options,
    )
    return dict({"task": task.name, "memory": memory}, **result)


def on_neurons(task, saved, backend, data, steps_per_element, options):
    """``saved`` (a `.SavedStack`) with its memories on neurons as
    ``task.memories`` say for ``backend`` (whose neurons run), scaled for
    the task's training sequences, and the memories' recurrent synapses (s)
    at ``steps_per_element`` (``options``: the deployment's stack options)."""
    settings = task.memories.settings(backend)
    n_neurons = settings["n_neurons"]
    if n_neurons is None:
        raise ValidationError(
            f"{task.name} has no memory on neurons ({task.memories.why}); "
            "evaluate it with memory='exact'",
            attr="memory",
        )
    if len(n_neurons) != len(saved.config["layers"]):
        raise ValidationError(
            f"{saved.path} has {len(saved.config['layers'])} layers, but "
            f"{task.name}'s memories give neurons for {len(n_neurons)}; "
            "evaluate it with memory='exact'",
            attr="path",
        )
    training.check_data(data, ("x",))
    config = calibrated_config(
        saved, data["x"][: settings["calibrate"]], n_neurons,
        steps_per_element, settings["tuning"], **options,
    )
    dt = options.get("dt") or saved.config.get("dt", 0.001)
    synapses = memory_synapses(
        saved.config, steps_per_element, dt, settings["window_fraction"]
    )
    return saved.with_config(config), synapses


def memory_synapses(config, steps_per_element, dt, fraction):
    """A ``fraction`` of each layer's window (seconds, at ``steps_per_element``
    and ``dt``; 0 for a dense layer): recurrent synapses for neural memories
    (a quarter of the window suits spiking ones)."""
    return [
        layer.get("theta", 0) * steps_per_element * dt * fraction
        for layer in config["layers"]
    ]


def calibrated_config(saved, x, n_neurons, steps_per_element, tuning=None,
                      **options):
    """``saved``'s config with its LMU memories on ``n_neurons`` neurons per
    dimension (`.stack.with_neural_memories`), each scaled for what it
    receives on the sequences ``x`` (none: the default input) at
    ``steps_per_element`` (``options``: further stack options)."""
    statistics = None
    if len(x):
        exact = LMUStack.from_config(
            saved.config, saved.parameters, add_to_container=False,
            **dict(options, steps_per_element=steps_per_element, backend="nengo",
                   spiking=False),
        )
        statistics = exact.memory_statistics(x)
    return with_neural_memories(saved.config, n_neurons, statistics, tuning)


def load_task_data(task, data_options=None):
    """``task``'s data, loaded with ``data_options``; options its loader does
    not take are refused by name (only psMNIST reads a local file)."""
    options = dict(data_options or {})
    parameters = inspect.signature(task.load_data).parameters.values()
    if not any(p.kind == p.VAR_KEYWORD for p in parameters):
        unknown = sorted(set(options) - {p.name for p in parameters})
        if unknown:
            raise ValidationError(
                f"{task.name}'s data takes no {', '.join(unknown)} (it ships with "
                "the package or is generated; only psmnist reads a local MNIST "
                "file); leave it out",
                attr="data_options",
            )
    return task.load_data(**options)
