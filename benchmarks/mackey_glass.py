"""Mackey-Glass prediction: the LMU beside an LSTM of about its size.

For each seed, in one run: the task's `LMUNetwork` (``nengo_lmu.tasks.mackey_glass``)
trained in NengoDL, and a Keras LSTM with about the same parameter count
(`nengo_lmu.experiments.baselines.train_lstm`), on the same data, optimizer,
batch size and epochs.  Both are scored by the test NRMSE over every step;
the LMU is also run spiking in NengoDL (the task's deployment settings).
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


def run_seed(task, seed, epochs):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mackey_glass.npz")
        trained = train_task(task, path=path, epochs=epochs, seed=seed, verbose=0)
        rate = evaluate_task(task, "dl-rate", path=path)
        spiking = evaluate_task(task, "dl", path=path)
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
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No GPU support detected")
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        rows.extend(run_seed(task, seed, args.epochs))
        print(
            f"seed {seed}: LMU {rows[-2]['nrmse']:.4f} (spiking "
            f"{rows[-2]['spiking_nrmse']:.3f}), LSTM {rows[-1]['nrmse']:.4f}",
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
            "lstm_nrmse": float(np.mean([r["nrmse"] for r in lstm])),
            "lmu_parameters": lmu[0]["parameters"],
            "lstm_parameters": lstm[0]["parameters"],
        }
    )


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
