"""Mackey-Glass prediction: the LMU beside an LSTM of about its size.

For each seed, in one run: the task's `LMUNetwork` (``networks/mackey_glass``)
trained in NengoDL, and a Keras LSTM with about the same parameter count
(``mackey_glass.lstm_baseline``), on the same data, optimizer, batch size and
epochs.  Both are scored by the test NRMSE over every step; the LMU is also
run spiking in NengoDL (the task's deployment settings).  Prints a table and,
as its last line, one JSON object.

    python benchmarks/mackey_glass.py --seeds 0,1,2
"""

import argparse
import os
import tempfile
import warnings

import numpy as np

from nengo_lmu import cli
from networks import mackey_glass


def run_seed(seed, epochs):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mackey_glass.npz")
        trained = mackey_glass.train(path=path, epochs=epochs, seed=seed, verbose=0)
        rate = mackey_glass.evaluate("dl-rate", path=path)
        spiking = mackey_glass.evaluate("dl", path=path)
    lstm = mackey_glass.lstm_baseline(epochs=epochs, seed=seed)
    return [
        {
            "model": "LMU (NengoDL)",
            "seed": seed,
            "parameters": mackey_glass.n_parameters(),
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0", help="comma-separated seeds")
    parser.add_argument(
        "--epochs", type=int, default=mackey_glass.DEFAULTS["epochs"]
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No GPU support detected")
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        rows.extend(run_seed(seed, args.epochs))
        print(f"seed {seed}: LMU {rows[-2]['nrmse']:.4f} (spiking "
              f"{rows[-2]['spiking_nrmse']:.3f}), LSTM {rows[-1]['nrmse']:.4f}",
              flush=True)
    lmu, lstm = rows[0::2], rows[1::2]
    cli.print_table(rows, title=f"Mackey-Glass, 15 steps ahead, {args.epochs} epochs")
    cli.print_json({
        "task": "mackey_glass",
        "epochs": args.epochs,
        "seeds": [r["seed"] for r in lmu],
        "lmu_nrmse": float(np.mean([r["nrmse"] for r in lmu])),
        "lmu_spiking_nrmse": float(np.mean([r["spiking_nrmse"] for r in lmu])),
        "lstm_nrmse": float(np.mean([r["nrmse"] for r in lstm])),
        "lmu_parameters": lmu[0]["parameters"],
        "lstm_parameters": lstm[0]["parameters"],
    })


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
