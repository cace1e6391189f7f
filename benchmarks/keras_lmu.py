"""keras-lmu trained in Keras, converted with `nengo_lmu.from_keras`, run
with rate neurons and spiking on nengo and on the Loihi emulator.

The Keras model is keras-lmu's architecture (``LMU(memory_d=1, order=32,
theta=seq_len, hidden_cell=SimpleRNNCell(128))`` and ``Dense(n_classes)`` on
the last element, Adam 3e-3, batch 100, 30 epochs), trained with ReLU hidden
units: they have a spiking counterpart, tanh (keras-lmu's default) has none.
The tanh model is trained too (``--tanh``), to show what converting it gives.

Rows, for one task:

- Keras's own test accuracy;
- the converted stack with rate neurons on nengo (one step per element:
  identical to Keras's);
- spiking on nengo, each element held ``--steps`` steps, the recurrence
  once per element (the held mapping) and, for comparison, once per step
  (``element_sync=False``: what held elements did before);
- the converted stack as it is (``from_keras(model, backend="loihi",
  spiking=True, ...)``) on the Loihi emulator (first ``--n-loihi``
  sequences), at the rate scale `LMUStack.rate_scale_for` chooses on 50
  training sequences (``--loihi-rate-scale``, also used below);
- spiking with Loihi's neurons, on nengo and on the Loihi emulator (first
  ``--n-loihi`` sequences), from parameters fine-tuned for up to
  ``--loihi-epochs`` epochs through Loihi's quantized neuron rates, the
  epoch scoring best spiking on a tenth of the training sequences (held
  out of the fine-tuning) kept;
- the tanh model: Keras, rate (identical), spiking (refused; the closest
  mapping, tanh replaced by ReLU, measured);

then the conversion time of a 101,771-parameter psMNIST-size model.  Prints
a table and, last, one JSON line.

    python benchmarks/keras_lmu.py --task mnist1d
    python benchmarks/keras_lmu.py --task psdigits
    python benchmarks/keras_lmu.py --task mnist1d --n 100 --n-loihi 20  # quick
"""

import argparse
import os
import sys
import time
import warnings

# run as a script, this file (keras_lmu.py) would shadow the keras_lmu package
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != HERE]

import nengo  # noqa: E402

from nengo_lmu import from_keras, tasks  # noqa: E402
from nengo_lmu.experiments import keras as runs  # noqa: E402
from nengo_lmu.experiments import report  # noqa: E402

#: The table's columns, in order.
COLUMNS = (
    "model",
    "backend",
    "spiking",
    "n",
    "steps_per_element",
    "rate_scale",
    "accuracy",
    "agreement",
    "max_rel_diff",
    "wall_s",
)


def row(model, **figures):
    """A table row: ``model`` and the figures, in `COLUMNS` order."""
    figures["model"] = model
    return {key: figures.get(key) for key in COLUMNS}


def keras_row(model, trained, data):
    return row(
        model,
        backend="keras",
        spiking=False,
        n=len(data["x_test"]),
        steps_per_element=1,
        accuracy=trained["accuracy"],
        wall_s=trained["train_s"],
    )


def trained_rows(args, data, activation, prefix=""):
    """Train (or load from the cache) the model with ``activation`` hidden
    units; the rows of Keras's accuracy and the converted rate network's."""
    trained = runs.train_classifier(
        data,
        order=args.order,
        units=args.units,
        activation=activation,
        epochs=args.epochs,
        seed=args.seed,
        cache=args.cache,
    )
    logits = trained["model"].predict(data["x_test"], verbose=0)
    rate = runs.evaluate_converted(
        trained["model"], data, keras_logits=logits, n=args.n
    )
    rows = [
        keras_row(f"{prefix}keras-lmu (Keras, float32)", trained, data),
        row(f"{prefix}converted, rate", **rate),
    ]
    return trained, logits, rows


def keras_rows(args, data):
    """The ReLU model, converted and run spiking."""
    trained, logits, rows = trained_rows(args, data, "relu")
    model = trained["model"]
    spiking = dict(spiking=True, steps_per_element=args.steps, keras_logits=logits)
    held = runs.evaluate_converted(
        model, data, n=args.n, rate_scale=args.rate_scale, **spiking
    )
    rows.append(row("converted, spiking, once per element", **held))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # element_sync=False: measured here
        per_step = runs.evaluate_converted(
            model,
            data,
            n=args.n,
            rate_scale=args.rate_scale,
            element_sync=False,
            **spiking,
        )
    rows.append(row("converted, spiking, once per step (before)", **per_step))
    if args.n_loihi > 0:
        rows.extend(loihi_rows(args, model, data, logits))
    return trained, rows


def loihi_rows(args, model, data, logits):
    if args.loihi_rate_scale is None:  # chosen on training sequences
        args.loihi_rate_scale = from_keras(model).rate_scale_for(
            data["x"][:50], "loihi", args.loihi_steps
        )
    rate_scale = args.loihi_rate_scale
    plain = runs.evaluate_converted(
        model,
        data,
        backend="loihi",
        spiking=True,
        n=args.n_loihi,
        steps_per_element=args.loihi_steps,
        rate_scale=rate_scale,
        keras_logits=logits,
        progress=report.Progress("emulator sequences, no fine-tuning"),
    )
    rows = [row("converted, spiking, Loihi emulator, no fine-tuning", **plain)]
    tuned, tune_s = runs.loihi_aware(
        model,
        data,
        rate_scale=args.loihi_rate_scale,
        epochs=args.loihi_epochs,
        seed=args.seed,
        steps_per_element=args.loihi_steps,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    options = dict(steps_per_element=args.loihi_steps, add_to_container=False)
    loihi_neurons = tuned.replica(backend="nengo", **options)
    result = runs.evaluate_stack(loihi_neurons, data, n=args.n, keras_logits=logits)
    result["wall_s"] += tune_s
    rows.append(row("Loihi-aware, spiking, Loihi's neurons on nengo", **result))
    emulator = tuned.replica(
        backend="loihi",
        settle_steps=args.loihi_settle,
        host_scale=args.loihi_host_scale,
        **options,
    )
    result = runs.evaluate_stack(
        emulator,
        data,
        n=args.n_loihi,
        keras_logits=logits,
        progress=report.Progress("emulator sequences"),
    )
    rows.append(row("Loihi-aware, spiking, once per element", **result))
    return rows


def tanh_rows(args, data):
    """keras-lmu's default activation: rate only; the closest spiking
    mapping measured."""
    trained, logits, rows = trained_rows(args, data, "tanh", prefix="tanh: ")
    model = trained["model"]
    try:
        runs.evaluate_converted(model, data, spiking=True, n=1)
    except nengo.exceptions.ValidationError as error:
        print(f"tanh spiking refused: {error}")
    closest = runs.evaluate_converted(
        model,
        data,
        n=args.n,
        spiking=True,
        steps_per_element=args.steps,
        rate_scale=args.rate_scale,
        keras_logits=logits,
        activations={"tanh": nengo.RectifiedLinear()},
    )
    rows.append(row("tanh: spiking, tanh -> ReLU (closest)", **closest))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=("mnist1d", "psdigits"), default="mnist1d")
    parser.add_argument("--order", type=int, default=32)
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=None, help="test sequences on nengo")
    parser.add_argument("--steps", type=int, default=20, help="steps per element")
    parser.add_argument(
        "--rate-scale", type=float, default=300.0, help="Hz per unit activation"
    )
    parser.add_argument(
        "--n-loihi", type=int, default=200, help="emulator sequences (0: none)"
    )
    parser.add_argument("--loihi-steps", type=int, default=50)
    parser.add_argument(
        "--loihi-rate-scale",
        type=float,
        default=None,
        help="Hz per unit activation on the emulator, with and without "
        "fine-tuning (default: LMUStack.rate_scale_for on 50 training sequences)",
    )
    parser.add_argument("--loihi-epochs", type=int, default=5)
    parser.add_argument(
        "--loihi-settle",
        type=int,
        default=None,
        help="steps each element's holds leave out (default: the backend's "
        "round trip, 2 on Loihi)",
    )
    parser.add_argument(
        "--loihi-host-scale",
        type=float,
        default=4.0,
        help="host values sent directly to neurons (with the recurrence once per "
        "element, the summed drives go up to LMUNetwork.drive_scale instead)",
    )
    parser.add_argument("--no-tanh", dest="tanh", action="store_false")
    parser.add_argument(
        "--cache", default=None, help="a folder keeping the trained Keras weights"
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No GPU support detected")
    data = tasks.get(args.task).load_data()
    start = time.perf_counter()
    trained, rows = keras_rows(args, data)
    if args.tanh:
        rows.extend(tanh_rows(args, data))
    cost = runs.conversion_cost()
    report.print_table(
        rows,
        title=f"{args.task}: keras-lmu LMU(order {args.order}, SimpleRNNCell("
        f"{args.units})), {args.epochs} epochs, seed {args.seed}",
    )
    print(
        f"conversion of a {cost['parameters']}-parameter model: "
        f"{cost['convert_s']:.2f} s (nengo build {cost['nengo_build_s']:.2f} s, "
        f"one {784}-step sequence {cost['nengo_sequence_s']:.2f} s)"
    )
    figures = {
        "task": args.task,
        "keras_accuracy": trained["accuracy"],
        "keras_parameters": trained["parameters"],
        "rows": {row["model"]: row["accuracy"] for row in rows},
        "n": rows[1]["n"],
        "steps_per_element": args.steps,
        "rate_scale": args.rate_scale,
        "n_loihi": args.n_loihi,
        "loihi_steps_per_element": args.loihi_steps,
        "loihi_rate_scale": args.loihi_rate_scale,
        "conversion": cost,
        "wall_s": time.perf_counter() - start,
    }
    report.print_json(figures)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
