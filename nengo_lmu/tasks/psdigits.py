"""psdigits: permuted sequential 8x8 digits (scikit-learn), 64 steps of 1 pixel.

Fixed permutation and split (`nengo_lmu.data.psdigits`: 1300 train / 497
test).  One `.LMUNetwork` whose window covers the whole sequence; the class is
read from the mean output over the sequence.

The committed ``nengo_lmu/tasks/params/psdigits.npz`` was made with::

    nengo-lmu train psdigits --seed 0

(40 epochs, batch 50, Adam 3e-3; 104 s on CPU; 89.5 % on the 497 test
sequences with rate neurons, 88.5 % spiking in NengoDL and on
`nengo.Simulator`, each element held for 10 steps).  Evaluate with
``nengo-lmu evaluate psdigits --backend dl-rate`` (or ``dl``, ``nengo``,
``loihi``).
"""

from nengo_lmu import data
from nengo_lmu.tasks import Task, stack_config


def config(seed=0):
    """One layer whose window covers the sequence: order 32, 128 units."""
    return stack_config(
        "psdigits",
        seq_len=64,
        seed=seed,
        layers=[
            dict(memory_d=1, order=32, theta=64, hidden_units=128, output_d=10,
                 input_to_hidden=True),
        ],
    )


TASK = Task(
    "psdigits",
    "accuracy",
    config,
    data.psdigits,
    training={"epochs": 40, "batch_size": 50, "learning_rate": 3e-3},
    deploy={"rate_scale": 100.0},  # spiking: 100 Hz per unit activation
)
