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


def params_path(name):
    """Where task ``name``'s trained parameters are committed."""
    return os.path.join(PARAMS_DIR, f"{name}.npz")
