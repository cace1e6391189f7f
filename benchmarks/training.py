"""Train our NengoDL LMU and keras-lmu 0.9.0's LMU layer side by side.

Same task (MNIST-1D by default, or psdigits), split, order, units, optimizer
(Adam) and epochs, in one run.  Prints a table and a JSON line with each
test accuracy, each training wall time and the ratio ours / keras-lmu.

    python benchmarks/training.py --epochs 30 --order 32 --units 128

DESIGN.md's reference: keras-lmu reached 83.1 % on MNIST-1D in 143 s (order
32, 128 SimpleRNN units, 30 epochs, Adam 3e-3).  Targets: ours >= keras-lmu's
accuracy in <= 1.5x its time.
"""

import argparse
import time

import numpy as np

from nengo_lmu import cli
from nengo_lmu import data as datasets
from nengo_lmu import training

TASKS = {"mnist1d": (datasets.mnist1d, 40), "psdigits": (datasets.psdigits, 64)}


def train_keras_lmu(data, seq_len, order, units, epochs, batch_size, lr, seed):
    import keras_lmu
    import tensorflow as tf

    tf.random.set_seed(seed)
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
    return {"model": "keras-lmu 0.9.0", "accuracy": float(accuracy), "train_s": wall,
            "parameters": model.count_params()}


def train_ours(data, seq_len, order, units, epochs, batch_size, lr, seed):
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
    return {"model": "nengo-lmu (NengoDL)", "accuracy": accuracy,
            "train_s": result["wall_s"], "parameters": int(n_params)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=list(TASKS), default="mnist1d")
    parser.add_argument("--order", type=int, default=32)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    load, seq_len = TASKS[args.task]
    data = load()
    common = (data, seq_len, args.order, args.units, args.epochs, args.batch_size,
              args.learning_rate, args.seed)
    rows = [train_keras_lmu(*common), train_ours(*common)]
    ratio = rows[1]["train_s"] / rows[0]["train_s"]
    cli.print_table(rows, title=f"{args.task}: order {args.order}, {args.units} "
                    f"units, {args.epochs} epochs, Adam {args.learning_rate}")
    cli.print_json({
        "task": args.task,
        "epochs": args.epochs,
        "keras_lmu_accuracy": rows[0]["accuracy"],
        "ours_accuracy": rows[1]["accuracy"],
        "keras_lmu_train_s": rows[0]["train_s"],
        "ours_train_s": rows[1]["train_s"],
        "time_ratio": ratio,
    })


if __name__ == "__main__":
    main()
