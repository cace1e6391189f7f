"""psMNIST: permuted sequential MNIST (784 steps of one pixel), the LMU paper's
headline task (97.15 % non-spiking in the paper).

MNIST comes from the standard loader (`nengo_lmu.data.load_mnist`:
``keras.datasets.mnist.load_data()``, or a local ``mnist.npz`` given as
``mnist_path``), so this works wherever the user has the data; no parameters
are committed for it.  The network is the keras-lmu psMNIST example's: order
256, window 784, 212 hidden units, input to hidden.

``nengo-lmu train psmnist --mnist-path mnist.npz --epochs 10``
"""

from nengo_lmu import data as datasets
from nengo_lmu import training

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
    options = dict(DEFAULTS, **kwargs)
    if epochs is not None:
        options["epochs"] = epochs
    model = training.build_model(config(seed), target="dl")
    result = training.fit(model, load_data(mnist_path), verbose=verbose, **options)
    path = path or networks.params_path(NAME)
    training.save_params(model, path)
    result["path"] = path
    return result


def evaluate(
    backend="dl-rate", n=None, steps_per_element=None, path=None, mnist_path=None,
    **kwargs,
):
    kwargs = dict(DEPLOY, **kwargs)
    return training.evaluate(
        path or networks.params_path(NAME),
        load_data(mnist_path),
        backend,
        n=n,
        steps_per_element=steps_per_element,
        **kwargs,
    )
