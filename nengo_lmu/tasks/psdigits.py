"""psdigits: permuted sequential 8x8 digits (scikit-learn), 64 steps of 1 pixel.

Fixed permutation and split (`nengo_lmu.data.psdigits`: 1300 train / 497
test).  One `.LMUNetwork` whose window covers the whole sequence; the class is
read from the mean output over the sequence.

The committed ``nengo_lmu/tasks/params/psdigits.npz`` was made with::

    nengo-lmu train psdigits --seed 0

(40 epochs, batch 50, Adam 3e-3; 104 s on CPU; 89.5 % on the 497 test
sequences with rate neurons, 88.5 % spiking in NengoDL and on
`nengo.Simulator`, each element held for 10 steps, with the exact memory).
Evaluate with ``nengo-lmu evaluate psdigits --backend dl-rate`` (or ``dl``,
``nengo``, ``loihi``): by default the memory is on 200 rectified-linear
neurons per dimension (on Loihi on the chip, 100), each element held for 20
steps spiking; ``--memory exact`` deploys the exact memory (the hybrid).
"""

from nengo_lmu import data
from nengo_lmu.tasks import POSITIVE_TUNING, Memories, Task, stack_config


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
    steps_per_element={"dl": 20, "nengo": 20, "loihi": 20},
    memories=Memories(
        [200],
        "neurons",
        "the memory on neurons (on the chip on Loihi) keeps the hybrid's "
        "accuracy on nengo: 88.3 % spiking on all 497 test sequences (hybrid "
        "88.5 %), 89.3 % with rate neurons (89.5 %); with Loihi's neurons, "
        "kept at a positive input, 85.0 % on nengo on the first 200 (hybrid "
        "90.5 %). On Loihi 100 per dimension (87.7 % on nengo): each memory "
        "neuron takes an axon from all 32 dimensions' neurons, and a core has "
        "4096",
        deploy={"synapse": 0.005},  # the memory's spikes into the hidden neurons
        backends={"loihi": {"n_neurons": [100], "tuning": POSITIVE_TUNING}},
    ),
)
