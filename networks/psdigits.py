"""psdigits: permuted sequential 8x8 digits (scikit-learn), 64 steps of 1 pixel.

Fixed permutation and split (`nengo_lmu.data.psdigits`: 1300 train / 497
test).  One `.LMUNetwork` whose window covers the whole sequence; the class is
read from the mean output over the sequence.

The committed ``networks/params/psdigits.npz`` was made with::

    nengo-lmu train psdigits --seed 0

(40 epochs, batch 50, Adam 3e-3; 104 s on CPU; 89.5 % on the 497 test
sequences with rate neurons, 88.5 % spiking in NengoDL and on
`nengo.Simulator`, each element held for 10 steps).  Evaluate with
``nengo-lmu evaluate psdigits --backend dl-rate`` (or ``dl``, ``nengo``,
``loihi``).
"""

import sys

from nengo_lmu import data as datasets

import networks

NAME = "psdigits"
METRIC = "accuracy"
DEPLOY = {"rate_scale": 100.0}  # spiking: 100 Hz per unit activation
DEFAULTS = {"epochs": 40, "batch_size": 50, "learning_rate": 3e-3}


def config(seed=0):
    return {
        "task": NAME,
        "input_d": 1,
        "seq_len": 64,
        "pooling": "mean",
        "hidden_neuron_type": "relu",
        "rate_scale": 1.0,
        "seed": seed,
        "layers": [
            dict(memory_d=1, order=32, theta=64, hidden_units=128, output_d=10,
                 input_to_hidden=True),
        ],
    }


def load_data():
    return datasets.psdigits()


def train(path=None, epochs=None, seed=0, verbose=1, **kwargs):
    """Train in NengoDL (rate neurons) and save the parameters to ``path``."""
    return networks.train_task(
        sys.modules[__name__], load_data(), path, epochs, seed, verbose, **kwargs
    )


def evaluate(backend="dl-rate", n=None, steps_per_element=None, path=None, **kwargs):
    """Evaluate saved parameters on the first ``n`` test sequences."""
    return networks.evaluate_task(
        sys.modules[__name__], load_data(), backend, n, steps_per_element, path, **kwargs
    )
