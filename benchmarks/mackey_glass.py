"""Mackey-Glass prediction: the LMU beside an LSTM of about its size.

For each seed, in one run: the task's `LMUNetwork` (``nengo_lmu.tasks.mackey_glass``)
trained in NengoDL, and a Keras LSTM with about the same parameter count
(`nengo_lmu.experiments.baselines.train_lstm`), on the same data, optimizer,
batch size and epochs.  Both are scored by the test NRMSE over every step;
the LMU is also run spiking in NengoDL (the task's deployment settings), and
then trained ``--noise-epochs`` more with the noise its spikes add
(`.training.fit`'s ``spike_noise="auto"``: the committed
``mackey_glass_spiking.npz``'s recipe) and run again, rate and spiking.
Prints a table and, as its last line, one JSON object.

    python benchmarks/mackey_glass.py --seeds 0,1,2
"""

import argparse
import os
import tempfile
import warnings

import numpy as np

from nengo_lmu import LMUStack, tasks
from nengo_lmu.experiments import report
from nengo_lmu.experiments.baselines import lstm_units, train_lstm
from nengo_lmu.experiments.tasks import evaluate_task, train_task


def run_seed(task, seed, epochs, noise_epochs):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mackey_glass.npz")
        trained = train_task(task, path=path, epochs=epochs, seed=seed, verbose=0)
        rate = evaluate_task(task, "dl-rate", path=path)
        spiking = evaluate_task(task, "dl", path=path)
        noisy = {}
        if noise_epochs:
            noisy_path = os.path.join(folder, "mackey_glass_spiking.npz")
            tuned = train_task(task, path=noisy_path, epochs=noise_epochs, seed=seed,
                               verbose=0, init=path, spike_noise="auto")
            noisy = {
                "noise_nrmse": evaluate_task(task, "dl-rate", path=noisy_path)["nrmse"],
                "noise_spiking_nrmse": evaluate_task(task, "dl", path=noisy_path)[
                    "nrmse"
                ],
                "noise_train_s": tuned["wall_s"],
            }
    n_parameters = LMUStack(**task.config(seed)).n_parameters()
    lstm = train_lstm(
        task.load_data(),
        lstm_units(n_parameters),
        epochs,
        task.training["batch_size"],
        task.training["learning_rate"],
        seed=seed,
    )
    return [
        {
            "model": "LMU (NengoDL)",
            "seed": seed,
            "parameters": n_parameters,
            "nrmse": rate["nrmse"],
            "spiking_nrmse": spiking["nrmse"],
            "train_s": trained["wall_s"],
            **noisy,
        },
        {
            "model": f"LSTM ({lstm['units']} units)",
            "seed": seed,
            "parameters": lstm["parameters"],
            "nrmse": lstm["nrmse"],
            "spiking_nrmse": None,
            "train_s": lstm["wall_s"],
        },
    ]


def main(argv=None):
    task = tasks.get("mackey_glass")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument("--epochs", type=int, default=task.training["epochs"])
    parser.add_argument(
        "--noise-epochs", type=int, default=100,
        help="then train this many more with spike noise (the committed "
        "mackey_glass_spiking.npz's recipe; 0: not)",
    )
    args = parser.parse_args(argv)
    if args.noise_epochs < 0:
        parser.error(f"--noise-epochs must be 0 or more (got {args.noise_epochs})")
    warnings.filterwarnings("ignore", message="No GPU support detected")
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        rows.extend(run_seed(task, seed, args.epochs, args.noise_epochs))
        noisy = rows[-2].get("noise_spiking_nrmse")
        print(
            f"seed {seed}: LMU {rows[-2]['nrmse']:.4f} (spiking "
            f"{rows[-2]['spiking_nrmse']:.3f}"
            + ("" if noisy is None else f"; with spike noise {noisy:.3f}")
            + f"), LSTM {rows[-1]['nrmse']:.4f}",
            flush=True,
        )
    lmu, lstm = rows[0::2], rows[1::2]
    report.print_table(
        rows, title=f"Mackey-Glass, 15 steps ahead, {args.epochs} epochs"
    )
    report.print_json(
        {
            "task": "mackey_glass",
            "epochs": args.epochs,
            "seeds": [r["seed"] for r in lmu],
            "lmu_nrmse": float(np.mean([r["nrmse"] for r in lmu])),
            "lmu_spiking_nrmse": float(np.mean([r["spiking_nrmse"] for r in lmu])),
            "noise_epochs": args.noise_epochs,
            **{
                f"lmu_{key}": float(np.mean([r[key] for r in lmu]))
                for key in ("noise_nrmse", "noise_spiking_nrmse")
                if args.noise_epochs
            },
            "lstm_nrmse": float(np.mean([r["nrmse"] for r in lstm])),
            "lmu_parameters": lmu[0]["parameters"],
            "lstm_parameters": lstm[0]["parameters"],
        }
    )


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
