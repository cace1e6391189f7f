"""Train our NengoDL LMU and keras-lmu 0.9.0's LMU layer side by side.

Same task (MNIST-1D by default, or psdigits), split, architecture (one LMU
layer, a SimpleRNN-like hidden recurrence, the class read from the last
element), order, units, optimizer (Adam), batch size and epochs, in one run,
for each seed.  Ours is then also run spiking (NengoDL, each element held for
10 steps): keras-lmu's hidden-to-hidden recurrence then runs every step
instead of once per element, so this column shows what that architecture
loses when deployed (the task networks in ``networks/`` stack LMU layers
without it and keep their accuracy spiking).  Prints a table and a JSON
line with each test accuracy, each training wall time and the ratio ours /
keras-lmu (of the mean times).

    python benchmarks/training.py --seeds 0,1,2
    python benchmarks/training.py --task psdigits --seeds 0,1,2

DESIGN.md's reference: keras-lmu reached 83.1 % on MNIST-1D in 143 s (order
32, 128 SimpleRNN units, 30 epochs, Adam 3e-3).  Targets: ours >= keras-lmu's
accuracy in <= 1.5x its time.
"""

import argparse
import os
import tempfile
import time
import warnings

import numpy as np

from nengo_lmu import cli
from nengo_lmu import data as datasets
from nengo_lmu import training

TASKS = {"mnist1d": (datasets.mnist1d, 40), "psdigits": (datasets.psdigits, 64)}


def train_keras_lmu(data, seq_len, order, units, epochs, batch_size, lr, seed):
    import keras_lmu
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    model = tf.keras.Sequential(
        [
            tf.keras.layers.InputLayer((seq_len, 1)),
            keras_lmu.LMU(
                memory_d=1,
                order=order,
                theta=seq_len,
                hidden_cell=tf.keras.layers.SimpleRNNCell(units),
            ),
            tf.keras.layers.Dense(10),
        ]
    )
    model.compile(
        tf.keras.optimizers.Adam(lr),
        tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(data["x"], data["y"], batch_size=batch_size, epochs=epochs, verbose=0)
    wall = time.perf_counter() - start
    _, accuracy = model.evaluate(data["x_test"], data["y_test"], verbose=0)
    return {
        "model": "keras-lmu 0.9.0",
        "seed": seed,
        "accuracy": float(accuracy),
        "spiking_accuracy": None,
        "train_s": wall,
        "parameters": model.count_params(),
    }


def train_ours(data, seq_len, order, units, epochs, batch_size, lr, seed, rate_scale):
    # the architecture of keras-lmu's LMU(hidden_cell=SimpleRNNCell): a hidden
    # recurrence, no input-to-hidden, the class read from the last element
    config = {
        "input_d": 1,
        "seq_len": seq_len,
        "pooling": "last",
        "seed": seed,
        "layers": [
            dict(memory_d=1, order=order, theta=seq_len, hidden_units=units,
                 output_d=10, hidden_to_hidden=True),
        ],
    }
    model = training.build_model(config, target="dl")
    result = training.fit(
        model, data, epochs=epochs, batch_size=batch_size, learning_rate=lr, verbose=0
    )
    outputs = training.predict(model, data["x_test"], "dl-rate")
    accuracy = training.score(model, outputs, data["y_test"])["accuracy"]
    n_params = sum(np.size(v) for v in training.get_params(model).values())
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "params.npz")
        training.save_params(model, path)
        spiking = training.evaluate(path, data, "dl", rate_scale=rate_scale)
    return {
        "model": "nengo-lmu (NengoDL)",
        "seed": seed,
        "accuracy": accuracy,
        "spiking_accuracy": spiking["accuracy"],
        "train_s": result["wall_s"],
        "parameters": int(n_params),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=list(TASKS), default="mnist1d")
    parser.add_argument("--order", type=int, default=32)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument(
        "--rate-scale",
        type=float,
        default=100.0,
        help="spiking evaluation of ours: firing rate (Hz) per unit activation",
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No GPU support detected")
    load, seq_len = TASKS[args.task]
    data = load()
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        common = (data, seq_len, args.order, args.units, args.epochs,
                  args.batch_size, args.learning_rate, seed)
        rows.append(train_keras_lmu(*common))
        rows.append(train_ours(*common, rate_scale=args.rate_scale))
        print(f"seed {seed}: keras-lmu {rows[-2]['accuracy']:.3f} in "
              f"{rows[-2]['train_s']:.0f} s, ours {rows[-1]['accuracy']:.3f} "
              f"(spiking {rows[-1]['spiking_accuracy']:.3f}) in "
              f"{rows[-1]['train_s']:.0f} s", flush=True)
    keras_rows, our_rows = rows[0::2], rows[1::2]

    def mean(rows, key):
        return float(np.mean([r[key] for r in rows]))

    cli.print_table(rows, title=f"{args.task}: order {args.order}, {args.units} "
                    f"units, {args.epochs} epochs, Adam {args.learning_rate}, "
                    f"batch {args.batch_size}")
    cli.print_json({
        "task": args.task,
        "epochs": args.epochs,
        "seeds": [r["seed"] for r in our_rows],
        "keras_lmu_accuracy": mean(keras_rows, "accuracy"),
        "ours_accuracy": mean(our_rows, "accuracy"),
        "ours_spiking_accuracy": mean(our_rows, "spiking_accuracy"),
        "keras_lmu_train_s": mean(keras_rows, "train_s"),
        "ours_train_s": mean(our_rows, "train_s"),
        "time_ratio": mean(our_rows, "train_s") / mean(keras_rows, "train_s"),
    })


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
