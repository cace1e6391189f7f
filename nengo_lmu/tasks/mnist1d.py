"""MNIST-1D: classify 40-step sequences (10 classes), 4000 train / 1000 test.

Two `.LMUNetwork` layers in series (like a small convolutional network: each
hidden state sees a sliding window of its input), the class read from the
mean of the output over the sequence.  ReLU neurons for training; spiking
ReLU (or Loihi ReLU) for deployment.

The committed parameters ``nengo_lmu/tasks/params/mnist1d.npz`` were made with::

    nengo-lmu train mnist1d --epochs 40 --seed 0

(NengoDL 3.6.0 / TensorFlow 2.12.1 on a shared 2-core CPU, 694 s; 93.0 % on
the 1000 test sequences with rate neurons, 91.7 % spiking in NengoDL and on
`nengo.Simulator` at 10 steps per element, with the exact memories).
Evaluate them with::

    nengo-lmu evaluate mnist1d --backend dl-rate
    nengo-lmu evaluate mnist1d --backend dl
    nengo-lmu evaluate mnist1d --backend nengo
    nengo-lmu evaluate mnist1d --backend loihi --n 200

which deploy both memories on neurons (on Loihi on the chip; ``TASK.memories``
says why), 100 and 30 rectified-linear neurons per dimension, scaled for the
first 100 training sequences; ``--memory exact`` deploys the exact memories
(host nodes: the hybrid).

For the Loihi emulator, ``params/mnist1d_loihi.npz`` (which ``evaluate
--backend loihi`` uses, with either memory) continues that training for 5 epochs through Loihi's
quantized neuron rates (``rate_scale`` as in ``deploy``)::

    nengo-lmu train mnist1d --train-through loihi --init nengo_lmu/tasks/params/mnist1d.npz --epochs 5

(179 s; 94.4 % with rate neurons; with the exact memories 90.5 % on the
emulator over the first 200 test sequences, holding each element for 20
steps, 92.0 % since host values are sent by `HostSpikes`; with an earlier training
of the same network, 10 steps gave 88.0 % and the rate-trained parameters
80.0 %).

Spiking runs hold each element for 20 steps of 1 ms (the memories' spikes,
and on Loihi the emulator's 8-bit weights and its host-to-chip spike
encoding of the inputs, need them to average out) and use hidden rates
of 300 and 20 Hz per unit activation (layer 1's activations are about 15
times larger), a 5 ms lowpass between the layers and, on Loihi, host values
scaled by 4 and 12 before they are sent to the chip.
"""

from nengo_lmu import data
from nengo_lmu.tasks import POSITIVE_TUNING, Memories, Task, stack_config


def config(seed=0):
    """The network: order-8 windows of 8 then 24 elements, 64 and 128 units."""
    return stack_config(
        "mnist1d",
        seq_len=40,
        seed=seed,
        layers=[
            dict(memory_d=1, order=8, theta=8, hidden_units=64, output_d=16,
                 input_to_hidden=True),
            dict(memory_d=16, order=8, theta=24, hidden_units=128, output_d=10,
                 input_to_hidden=True),
        ],
    )


TASK = Task(
    "mnist1d",
    "accuracy",
    config,
    data.mnist1d,
    training={"epochs": 40, "batch_size": 100, "learning_rate": 3e-3},
    deploy={"rate_scale": [300.0, 20.0], "synapse": 0.005, "host_scale": [4.0, 12.0]},
    steps_per_element={"dl": 20, "nengo": 20, "loihi": 20},
    train_through={"loihi": "loihi"},
    memories=Memories(
        [100, 30],
        "neurons",
        "the memories on neurons (on the chip on Loihi) keep the hybrid's "
        "accuracy on nengo: 91.0 % spiking on all 1000 test sequences (hybrid "
        "92.5 %), 92.8 % with rate neurons (93.0 %); on the emulator, with "
        "the memory neurons' input kept positive (Loihi's neurons lose their "
        "voltage to negative input), 89.5 % on the first 200 (hybrid 92.0 %). "
        "Layer 2's 128 dimensions get 30 neurons each to fit a Loihi core's "
        "4096 input axons",
        window_fraction=0.125,
        backends={"loihi": {"window_fraction": 0.25, "tuning": POSITIVE_TUNING}},
    ),
)
