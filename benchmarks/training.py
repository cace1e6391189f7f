"""Train our NengoDL LMU and keras-lmu 0.9.0's LMU layer side by side.

Same task (MNIST-1D by default, or psdigits), split, architecture (one LMU
layer, a SimpleRNN-like hidden recurrence, the class read from the last
element), order, units, optimizer (Adam), batch size and epochs, in one run,
for each seed.  Ours is then also run spiking (NengoDL, each element held for
10 steps): keras-lmu's hidden-to-hidden recurrence then runs every step
instead of once per element, so this column shows what that architecture
loses when deployed (the task networks in ``nengo_lmu.tasks`` stack LMU
layers without it and keep their accuracy spiking).  Prints a table and a
JSON line with each test accuracy, each training wall time and the ratio
ours / keras-lmu (of the mean times).

    python benchmarks/training.py --seeds 0,1,2
    python benchmarks/training.py --task psdigits --seeds 0,1,2
"""

import argparse
import os
import tempfile
import warnings

import numpy as np

from nengo_lmu import LMUStack, tasks, training
from nengo_lmu.experiments import report
from nengo_lmu.experiments.keras import train_classifier


def train_ours(data, order, units, epochs, batch_size, lr, seed, rate_scale):
    # the architecture of keras-lmu's LMU(hidden_cell=SimpleRNNCell): a hidden
    # recurrence, no input-to-hidden, the class read from the last element
    seq_len = data["x"].shape[1]
    stack = LMUStack(
        input_d=data["x"].shape[2],
        seq_len=seq_len,
        pooling="last",
        seed=seed,
        backend="dl",
        layers=[
            dict(
                memory_d=1,
                order=order,
                theta=seq_len,
                hidden_units=units,
                output_d=int(np.max(data["y"])) + 1,
                hidden_to_hidden=True,
            )
        ],
    )
    result = training.fit(
        stack, data, epochs=epochs, batch_size=batch_size, learning_rate=lr, verbose=0
    )
    accuracy = stack.score(stack.predict(data["x_test"]), data["y_test"])["accuracy"]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "params.npz")
        stack.save(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the held recurrence: measured here
            spiking = training.evaluate(path, data, "dl", rate_scale=rate_scale)
    return {
        "model": "nengo-lmu (NengoDL)",
        "seed": seed,
        "accuracy": accuracy,
        "spiking_accuracy": spiking["accuracy"],
        "train_s": result["wall_s"],
        "parameters": stack.n_parameters(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=("mnist1d", "psdigits"), default="mnist1d")
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
    data = tasks.get(args.task).load_data()
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        common = (
            data,
            args.order,
            args.units,
            args.epochs,
            args.batch_size,
            args.learning_rate,
            seed,
        )
        # keras-lmu's default SimpleRNNCell activation
        keras = train_classifier(
            data,
            order=args.order,
            units=args.units,
            activation="tanh",
            epochs=args.epochs,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            seed=seed,
        )
        keras.pop("model")
        rows.append(
            dict(
                {"model": "keras-lmu 0.9.0", "seed": seed, "spiking_accuracy": None},
                **keras,
            )
        )
        rows.append(train_ours(*common, rate_scale=args.rate_scale))
        print(
            f"seed {seed}: keras-lmu {rows[-2]['accuracy']:.3f} in "
            f"{rows[-2]['train_s']:.0f} s, ours {rows[-1]['accuracy']:.3f} "
            f"(spiking {rows[-1]['spiking_accuracy']:.3f}) in "
            f"{rows[-1]['train_s']:.0f} s",
            flush=True,
        )
    keras_rows, our_rows = rows[0::2], rows[1::2]

    def mean(rows, key):
        return float(np.mean([r[key] for r in rows]))

    report.print_table(
        rows,
        title=f"{args.task}: order {args.order}, {args.units} "
        f"units, {args.epochs} epochs, Adam {args.learning_rate}, "
        f"batch {args.batch_size}",
    )
    report.print_json(
        {
            "task": args.task,
            "epochs": args.epochs,
            "seeds": [r["seed"] for r in our_rows],
            "keras_lmu_accuracy": mean(keras_rows, "accuracy"),
            "ours_accuracy": mean(our_rows, "accuracy"),
            "ours_spiking_accuracy": mean(our_rows, "spiking_accuracy"),
            "keras_lmu_train_s": mean(keras_rows, "train_s"),
            "ours_train_s": mean(our_rows, "train_s"),
            "time_ratio": mean(our_rows, "train_s") / mean(keras_rows, "train_s"),
        }
    )


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
