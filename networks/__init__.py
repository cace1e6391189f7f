"""Ready-made LMU task networks: one module per task, with ``train`` and
``evaluate``, and the trained parameters they load from ``networks/params``."""

import importlib
import os

TASKS = ("mnist1d", "psdigits", "psmnist", "mackey_glass")
PARAMS_DIR = os.path.join(os.path.dirname(__file__), "params")


def task(name):
    """The module of task ``name`` (one of `TASKS`)."""
    from nengo.exceptions import ValidationError

    if name not in TASKS:
        raise ValidationError(
            f"unknown task {name!r}; use one of {', '.join(TASKS)}", attr="task"
        )
    return importlib.import_module(f"networks.{name}")


def params_path(name, backend=None):
    """Where task ``name``'s trained parameters are committed.

    For ``backend="loihi"``, the Loihi-aware ones (``{name}_loihi.npz``, see
    `train_task`) where they exist.
    """
    if backend == "loihi":
        loihi = os.path.join(PARAMS_DIR, f"{name}_loihi.npz")
        if os.path.exists(loihi):
            return loihi
    return os.path.join(PARAMS_DIR, f"{name}.npz")


def train_task(
    module,
    data,
    path=None,
    epochs=None,
    seed=0,
    verbose=1,
    loihi_aware=False,
    init=None,
    **kwargs,
):
    """Train ``module``'s network in NengoDL on ``data`` and save its parameters.

    ``kwargs`` override the task's ``DEFAULTS`` (epochs, batch size, learning
    rate).  With ``loihi_aware``, the hidden neurons train through Loihi's
    quantized rate curves at the task's deployment ``rate_scale`` (see
    `.LMUNetwork.use_loihi_neurons`), usually starting from ``init`` (a saved
    ``.npz``, e.g. the rate-trained parameters).  The parameters go to
    ``path`` (default: `params_path`, ``{name}_loihi.npz`` when Loihi-aware).
    """
    from nengo_lmu import training

    options = dict(module.DEFAULTS, **kwargs)
    if epochs is not None:
        options["epochs"] = epochs
    build = {"target": "dl"}
    if loihi_aware:
        build.update(
            rate_scale=module.DEPLOY.get("rate_scale"), loihi_neurons=True
        )
    model = training.build_model(module.config(seed), **build)
    if init is not None:
        training.load_params(model, init)
    result = training.fit(model, data, verbose=verbose, **options)
    suffix = "_loihi" if loihi_aware else ""
    path = path or os.path.join(PARAMS_DIR, f"{module.NAME}{suffix}.npz")
    training.save_params(model, path)
    result["path"] = path
    return result


def deploy_steps(module, backend):
    """The steps per element the task deploys with on ``backend`` (None: the
    evaluation's default), from its optional ``STEPS_PER_ELEMENT`` dict."""
    return getattr(module, "STEPS_PER_ELEMENT", {}).get(backend)


def evaluate_task(module, data, backend, n=None, steps_per_element=None, path=None,
                  **kwargs):
    """Evaluate ``module``'s saved parameters on the first ``n`` test sequences.

    ``kwargs`` override the task's ``DEPLOY`` settings for spiking runs;
    ``steps_per_element`` defaults to the task's for ``backend``
    (`deploy_steps`).
    """
    from nengo_lmu import training

    if steps_per_element is None:
        steps_per_element = deploy_steps(module, backend)
    return training.evaluate(
        path or params_path(module.NAME, backend),
        data,
        backend,
        n=n,
        steps_per_element=steps_per_element,
        **dict(module.DEPLOY, **kwargs),
    )
