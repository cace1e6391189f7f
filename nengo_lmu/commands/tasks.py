"""``nengo-lmu train TASK`` and ``nengo-lmu evaluate TASK``: the task networks."""

import argparse
import time

from nengo_lmu import backends, tasks, training
from nengo_lmu.experiments import report
from nengo_lmu.experiments.tasks import evaluate_task, train_task


def add_command(subparsers):
    train = subparsers.add_parser(
        "train",
        help="train a task network in NengoDL and save its parameters",
        description="Train a task network (rate neurons) in NengoDL and save "
        "its parameters to a .npz (default: nengo_lmu/tasks/params/TASK.npz), "
        "then evaluate it with rate neurons.",
    )
    train.add_argument("task", choices=tasks.NAMES)
    train.add_argument("--epochs", type=int, default=None, help="default: the task's")
    train.add_argument("--batch-size", type=int, default=None)
    train.add_argument("--learning-rate", type=float, default=None)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default=None, help="where to save the .npz")
    train.add_argument("--mnist-path", default=None, help="psmnist: local mnist.npz")
    train.add_argument(
        "--train-through",
        choices=backends.NAMES,
        default=None,
        help="train through this backend's spiking neurons' rate curves at the "
        "task's deployment rates (loihi: Loihi's quantized rates; saved to "
        "TASK_BACKEND.npz, which `evaluate --backend BACKEND` then uses)",
    )
    train.add_argument(
        "--loihi-aware",
        dest="train_through",
        action="store_const",
        const="loihi",
        help="the same as --train-through loihi",
    )
    train.add_argument(
        "--init", default=None, help="start from these parameters (a .npz)"
    )
    train.add_argument(
        "--dt",
        type=float,
        default=None,
        help="simulator step (s) the network is built and saved for (default "
        "0.001); windows are in elements, so any step computes the same",
    )
    train.add_argument(
        "--spike-noise",
        type=_spike_noise,
        default=None,
        help="rms of the Gaussian noise added to every hidden unit's input in "
        "training, in units of its output: 'auto' for what the task's spiking "
        "deployment adds to each element's output (its rate and steps per "
        "element; tasks read per element only), 0 for none (default: none); "
        "saved, unless --out or --train-through say otherwise, to "
        "TASK_spiking.npz, which spiking evaluations then use",
    )
    train.set_defaults(run=run_train)

    evaluate = subparsers.add_parser(
        "evaluate",
        help="evaluate a trained task network on a backend",
        description="Load a task's trained parameters into a freshly built "
        "network and evaluate it on the test set: dl-rate (NengoDL, rate "
        "neurons), dl (NengoDL, spiking), nengo (nengo.Simulator, spiking), "
        "loihi (nengo-loihi emulator, Loihi neurons).",
    )
    evaluate.add_argument("task", choices=tasks.NAMES)
    evaluate.add_argument(
        "--backend", choices=training.MODES, default=training.MODES[0]
    )
    evaluate.add_argument("--n", type=int, default=None, help="first N test sequences")
    evaluate.add_argument(
        "--steps-per-element",
        type=int,
        default=None,
        help="simulator steps each element is held (default 1 with rates, "
        f"{training.DEFAULT_SPIKING_STEPS} spiking unless the task deploys with "
        "more: mnist1d, psdigits and mackey_glass 20)",
    )
    evaluate.add_argument(
        "--rate-scale",
        type=float,
        default=None,
        help="spiking hidden firing rate per unit activation (Hz); default: the task's",
    )
    evaluate.add_argument(
        "--synapse",
        type=float,
        default=None,
        help="lowpass (s) between layers in spiking runs; default: the task's",
    )
    evaluate.add_argument(
        "--batch-size", type=int, default=100, help="sequences run at once"
    )
    evaluate.add_argument(
        "--params", default=None,
        help="a .npz from train (default: the task's for the backend where "
        "there is one, then, spiking, TASK_spiking.npz where there is one, "
        "else TASK.npz)",
    )
    evaluate.add_argument(
        "--dt",
        type=float,
        default=None,
        help="simulator step (s); default: the one the parameters were saved "
        "with (0.001 for files that do not say); windows, in elements, are "
        "unchanged",
    )
    evaluate.add_argument(
        "--memory",
        choices=tasks.Memories.CHOICES,
        default=None,
        help="each layer's memory: on neurons (on the chip on Loihi; as the "
        "task's memories say) or exact (a host node: the hybrid); default: "
        "the task's (neurons for mnist1d and psdigits)",
    )
    evaluate.add_argument("--mnist-path", default=None, help="psmnist: local mnist.npz")
    evaluate.set_defaults(run=run_evaluate)


def _spike_noise(text):
    if text == "auto":
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither 'auto' nor a number (rms, e.g. 0.02; 0: none)"
        ) from None


def _data_options(args):
    return {"mnist_path": args.mnist_path} if args.mnist_path else {}


def run_train(args):
    options = {
        key: value
        for key, value in (
            ("batch_size", args.batch_size),
            ("learning_rate", args.learning_rate),
            ("spike_noise", args.spike_noise),
        )
        if value is not None
    }
    start = time.perf_counter()
    result = train_task(
        args.task,
        path=args.out,
        epochs=args.epochs,
        seed=args.seed,
        verbose=2,
        train_through=args.train_through,
        init=args.init,
        data_options=_data_options(args),
        dt=args.dt,
        **options,
    )
    task = tasks.get(args.task)
    figures = {
        "task": args.task,
        "epochs": args.epochs or task.training["epochs"],
        "train_wall_s": result["wall_s"],
        "path": result["path"],
        "dt": result["dt"],
    }
    evaluation = evaluate_task(  # the trained network as it is
        task, "dl-rate", path=result["path"], data_options=_data_options(args),
        memory="exact",
    )
    figures["mode"] = evaluation["mode"]
    figures["n"] = evaluation["n"]
    figures[task.metric] = evaluation[task.metric]
    figures["wall_s"] = time.perf_counter() - start
    report.print_table([figures], title=f"trained {args.task}")
    report.print_json(figures)


def run_evaluate(args):
    backend, spiking = training.parse_mode(args.backend)
    backend.prepare_process()
    result = evaluate_task(
        args.task,
        args.backend,
        n=args.n,
        steps_per_element=args.steps_per_element,
        path=args.params,
        batch_size=args.batch_size,
        progress=report.Progress("sequences") if spiking else None,
        data_options=_data_options(args),
        memory=args.memory,
        rate_scale=args.rate_scale,
        synapse=args.synapse,
        dt=args.dt,
    )
    report.print_table([result], title=f"{args.task} on {args.backend}")
    report.print_json(result)
