r"""Mackey-Glass prediction as in the LMU paper: tau 17, predict 15 steps ahead.

`nengo_lmu.data.mackey_glass`: 32 train / 32 test series of 1000 steps
(``tanh(x - 1)``, centered); the target at step k is the series at k + 15.
Each series is cut into 10 segments of 100 steps (NengoDL's cost is per
step, so shorter sequences in bigger batches train faster); every segment
starts from a zero state.  Scored by NRMSE over every test step.
``benchmarks/mackey_glass.py`` trains an LSTM of about the same parameter
count beside it (`nengo_lmu.experiments.baselines.train_lstm`).

The committed ``nengo_lmu/tasks/params/mackey_glass.npz`` was made with::

    nengo-lmu train mackey_glass --seed 0

(200 epochs, batch 32, Adam 3e-3; 150-450 s on CPU): test NRMSE 0.071 with
706 parameters, where the LSTM (12 units, 685 parameters, the same 200
epochs) reaches about 0.11.  Evaluate with ``nengo-lmu evaluate mackey_glass
--backend dl-rate``.

Spiking, each element is held for 20 steps, the hidden units fire at 1000
Hz per unit activation, and each element's prediction is the output
averaged over the steps the element is held (`.LMUStack.score`).  The stack
deploys with ``element_sync``: the memory updates once per element, as in
training, so the held rate network is exact (without it, 0.19).  What is
left is each unit's spike count error over an element
(`.training.spike_noise_for`, 0.02), which the readout sums: 0.26 spiking.
``mackey_glass_spiking.npz``, which spiking evaluations use, continues the
training with that noise in every hidden unit's input::

    nengo-lmu train mackey_glass --spike-noise auto \
        --init nengo_lmu/tasks/params/mackey_glass.npz --epochs 100

rate 0.082, spiking 0.134 (the exact memory: the hybrid).
"""

from nengo_lmu import data
from nengo_lmu.tasks import Memories, Task, stack_config

SEGMENT = 100


def config(seed=0):
    """One layer, order 8 over 16 steps, 64 units, one output per step."""
    return stack_config(
        "mackey_glass",
        seq_len=SEGMENT,
        seed=seed,
        pooling="none",
        layers=[
            dict(memory_d=1, order=8, theta=16, hidden_units=64, output_d=1,
                 input_to_hidden=True),
        ],
    )


def load_data():
    """The series cut into segments of `SEGMENT` steps."""
    series = data.mackey_glass()
    return {
        key: value.reshape(-1, SEGMENT, value.shape[-1])
        for key, value in series.items()
    }


TASK = Task(
    "mackey_glass",
    "nrmse",
    config,
    load_data,
    training={"epochs": 200, "batch_size": 32, "learning_rate": 3e-3},
    # spiking: 1000 Hz per unit activation; the memory updated once per element
    deploy={"rate_scale": 1000.0, "element_sync": True},
    steps_per_element={"dl": 20, "nengo": 20, "loihi": 20},
    memories=Memories(
        [100], "exact", (
            "the exact memory runs once per element, as trained (element_sync): "
            "spiking NRMSE 0.135 on the first 64 test segments, where the "
            "memory on neurons, which runs at every step, gives 0.46 (0.17 "
            "with rate neurons; the exact memory at every step 0.22)"
        ), deploy={"element_sync": False}
    ),
)
