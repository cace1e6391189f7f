"""Mackey-Glass prediction as in the LMU paper: tau 17, predict 15 steps ahead.

`nengo_lmu.data.mackey_glass`: 32 train / 32 test series of 1000 steps
(``tanh(x - 1)``, centered); the target at step k is the series at k + 15.
Each series is cut into 10 segments of 100 steps (NengoDL's cost is per
step, so shorter sequences in bigger batches train faster); every segment
starts from a zero state.  Scored by NRMSE over every test step.
`lstm_baseline` trains a Keras LSTM with a similar parameter count on the
same data, optimizer and epochs.

The committed ``networks/params/mackey_glass.npz`` was made with::

    nengo-lmu train mackey_glass --seed 0

(200 epochs, batch 32, Adam 3e-3; 147 s on CPU): test NRMSE 0.074 with 706
parameters, where ``lstm_baseline()`` (12 units, 685 parameters, the same
200 epochs) reaches about 0.10 (``benchmarks/mackey_glass.py`` trains both
side by side over several seeds).  Evaluate with ``nengo-lmu evaluate
mackey_glass --backend dl-rate``.

Spiking, each element's prediction is the output averaged over the steps the
element is held (`.training.score`).  A regression read per element from
spikes is far noisier than a class read from a whole sequence: `DEPLOY` fires
the hidden units at 1000 Hz per unit activation and holds each element for 20
steps (`STEPS_PER_ELEMENT`), and the spiking NRMSE is still several times the
rate network's (see the README).
"""

import sys
import time

import numpy as np

from nengo_lmu import data as datasets
from nengo_lmu import training

import networks

NAME = "mackey_glass"
METRIC = "nrmse"
DEPLOY = {"rate_scale": 1000.0}  # spiking: 1000 Hz per unit activation
STEPS_PER_ELEMENT = {"dl": 20, "nengo": 20, "loihi": 20}
DEFAULTS = {"epochs": 200, "batch_size": 32, "learning_rate": 3e-3}
SEGMENT = 100


def config(seed=0):
    return {
        "task": NAME,
        "input_d": 1,
        "seq_len": SEGMENT,
        "pooling": "none",
        "hidden_neuron_type": "relu",
        "rate_scale": 1.0,
        "seed": seed,
        "layers": [
            dict(memory_d=1, order=8, theta=16, hidden_units=64, output_d=1,
                 input_to_hidden=True),
        ],
    }


def load_data():
    data = datasets.mackey_glass()
    return {
        key: value.reshape(-1, SEGMENT, value.shape[-1]) for key, value in data.items()
    }


def n_parameters(cfg=None):
    model = training.build_model(cfg or config())
    return int(sum(np.size(v) for v in training.get_params(model).values()))


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


def lstm_baseline(units=None, epochs=None, seed=0, verbose=0, **kwargs):
    """A Keras LSTM (+ Dense readout) with about the LMU's parameter count."""
    import tensorflow as tf

    options = dict(DEFAULTS, **kwargs)
    epochs = epochs or options["epochs"]
    target = n_parameters()
    if units is None:  # 4 (u (u + 2)) + u + 1 parameters
        units = max(1, int(round((-9 + np.sqrt(81 + 16 * (target - 1))) / 8)))
    data = load_data()
    tf.random.set_seed(seed)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.LSTM(units, return_sequences=True, input_shape=(None, 1)),
            tf.keras.layers.Dense(1),
        ]
    )
    model.compile(tf.keras.optimizers.Adam(options["learning_rate"]), loss="mse")
    start = time.perf_counter()
    model.fit(
        data["x"], data["y"], batch_size=options["batch_size"], epochs=epochs,
        verbose=verbose,
    )
    wall = time.perf_counter() - start
    predicted = model.predict(data["x_test"], verbose=0)
    y = data["y_test"]
    nrmse = float(np.sqrt(np.mean((predicted - y) ** 2)) / np.sqrt(np.mean(y**2)))
    return {"units": units, "parameters": model.count_params(), "nrmse": nrmse,
            "wall_s": wall}
