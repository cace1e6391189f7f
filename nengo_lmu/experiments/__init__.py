"""Experiments: the runs that the command line, the benchmarks, the notebooks
and the tests share (one definition each).

- `.metrics`: NRMSE and the window measures.
- `.memory`: drive a memory with white noise and measure how it holds its
  window; the grid, sweep and stability runs.
- `.pes`: learn a readout online with PES and measure it (the main job).
- `.baselines`: the public examples and the Keras models we compare against.
- `.tasks`: train and evaluate the ready-made task networks
  (`nengo_lmu.tasks`).
- `.report`: the tables and the JSON line every command prints.
"""

import os

#: The environment variable that puts the main job in its short mode and the
#: notebooks in their fast mode (CI sets it).
FAST_ENV = "NENGO_LMU_FAST"


def fast_mode():
    """Whether ``NENGO_LMU_FAST=1`` asks for the short runs."""
    return os.environ.get(FAST_ENV) == "1"
