"""psMNIST: permuted sequential MNIST (784 steps of one pixel), the LMU paper's
headline task (97.15 % non-spiking in the paper).

MNIST comes from the standard loader (`nengo_lmu.data.load_mnist`:
``keras.datasets.mnist.load_data()``, or a local ``mnist.npz`` given as
``mnist_path``), so this works wherever the user has the data; no parameters
are committed for it.  The network is the keras-lmu psMNIST example's: order
256, window 784, 212 hidden units, input to hidden.

``nengo-lmu train psmnist --mnist-path mnist.npz --epochs 10``
"""

from nengo_lmu import data
from nengo_lmu.tasks import Memories, Task, stack_config


def config(seed=0):
    """The keras-lmu psMNIST example's network: order 256, 212 units."""
    return stack_config(
        "psmnist",
        seq_len=784,
        seed=seed,
        layers=[
            dict(memory_d=1, order=256, theta=784, hidden_units=212, output_d=10,
                 input_to_hidden=True),
        ],
    )


def load_data(mnist_path=None):
    return data.psmnist(path=mnist_path)


TASK = Task(
    "psmnist",
    "accuracy",
    config,
    load_data,
    training={"epochs": 10, "batch_size": 100, "learning_rate": 1e-3},
    deploy={"rate_scale": 100.0},  # spiking: 100 Hz per unit activation
    memories=Memories(
        [100],
        "exact",
        "the order-256 memory on neurons (25,600 at 100 per dimension; on "
        "Loihi more than one core's 4096 input axons per layer) is not yet "
        "measured; the exact memory is what the parameters were measured with",
    ),
)
