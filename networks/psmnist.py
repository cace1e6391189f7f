"""psMNIST: permuted sequential MNIST (784 steps of one pixel), the LMU paper's
headline task (97.15 % non-spiking in the paper).

MNIST comes from the standard loader (`nengo_lmu.data.load_mnist`:
``keras.datasets.mnist.load_data()``, or a local ``mnist.npz`` given as
``mnist_path``), so this works wherever the user has the data; no parameters
are committed for it.  The network is the keras-lmu psMNIST example's: order
256, window 784, 212 hidden units, input to hidden.

``nengo-lmu train psmnist --mnist-path mnist.npz --epochs 10``
"""

import sys

from nengo_lmu import data as datasets

import networks

NAME = "psmnist"
METRIC = "accuracy"
DEPLOY = {"rate_scale": 100.0}  # spiking: 100 Hz per unit activation
DEFAULTS = {"epochs": 10, "batch_size": 100, "learning_rate": 1e-3}


def config(seed=0):
    return {
        "task": NAME,
        "input_d": 1,
        "seq_len": 784,
        "pooling": "mean",
        "hidden_neuron_type": "relu",
        "rate_scale": 1.0,
        "seed": seed,
        "layers": [
            dict(memory_d=1, order=256, theta=784, hidden_units=212, output_d=10,
                 input_to_hidden=True),
        ],
    }


def load_data(mnist_path=None):
    return datasets.psmnist(path=mnist_path)


def train(path=None, epochs=None, seed=0, verbose=1, mnist_path=None, **kwargs):
    """Train in NengoDL (rate neurons) on MNIST from ``mnist_path`` (or the loader)."""
    return networks.train_task(
        sys.modules[__name__], load_data(mnist_path), path, epochs, seed, verbose,
        **kwargs,
    )


def evaluate(
    backend="dl-rate", n=None, steps_per_element=None, path=None, mnist_path=None,
    **kwargs,
):
    """Evaluate saved parameters on the first ``n`` test sequences."""
    return networks.evaluate_task(
        sys.modules[__name__], load_data(mnist_path), backend, n, steps_per_element,
        path, **kwargs,
    )
