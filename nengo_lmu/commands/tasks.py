"""``nengo-lmu train TASK`` and ``nengo-lmu evaluate TASK``: the task networks."""

import time

from nengo_lmu import cli

TASKS = ("mnist1d", "psdigits", "psmnist", "mackey_glass")
BACKENDS = ("dl-rate", "dl", "nengo", "loihi")


def _task(name):
    import networks  # installed beside nengo_lmu (setup.cfg's packages)

    return networks.task(name)


def add_command(subparsers):
    train = subparsers.add_parser(
        "train",
        help="train a task network in NengoDL and save its parameters",
        description="Train a task network (rate neurons) in NengoDL and save "
        "its parameters to a .npz (default: networks/params/TASK.npz).",
    )
    train.add_argument("task", choices=TASKS)
    train.add_argument("--epochs", type=int, default=None, help="default: the task's")
    train.add_argument("--batch-size", type=int, default=None)
    train.add_argument("--learning-rate", type=float, default=None)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", default=None, help="where to save the .npz")
    train.add_argument("--mnist-path", default=None, help="psmnist: local mnist.npz")
    train.add_argument(
        "--loihi-aware",
        action="store_true",
        help="train through Loihi's quantized neuron rates (for the loihi "
        "backend; saved to networks/params/TASK_loihi.npz, which `evaluate "
        "--backend loihi` then uses)",
    )
    train.add_argument(
        "--init", default=None, help="start from these parameters (a .npz)"
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
    evaluate.add_argument("task", choices=TASKS)
    evaluate.add_argument("--backend", choices=BACKENDS, default="dl-rate")
    evaluate.add_argument("--n", type=int, default=None, help="first N test sequences")
    evaluate.add_argument(
        "--steps-per-element",
        type=int,
        default=None,
        help="simulator steps each element is held (default 1 for dl-rate, "
        "10 for spiking backends unless the task deploys with more, e.g. "
        "mnist1d: 20 on loihi)",
    )
    evaluate.add_argument(
        "--rate-scale",
        type=float,
        default=None,
        help="spiking hidden firing rate per unit activation (Hz); default: the "
        "task's",
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
    evaluate.add_argument("--params", default=None, help="a .npz from train")
    evaluate.add_argument("--mnist-path", default=None, help="psmnist: local mnist.npz")
    evaluate.set_defaults(run=run_evaluate)


def _data_kwargs(args):
    return {"mnist_path": args.mnist_path} if args.task == "psmnist" else {}


def run_train(args):
    task = _task(args.task)
    options = {
        key: value
        for key, value in (
            ("batch_size", args.batch_size),
            ("learning_rate", args.learning_rate),
        )
        if value is not None
    }
    start = time.perf_counter()
    result = task.train(
        path=args.out,
        epochs=args.epochs,
        seed=args.seed,
        verbose=2,
        loihi_aware=args.loihi_aware,
        init=args.init,
        **options,
        **_data_kwargs(args),
    )
    figures = {
        "task": args.task,
        "backend": "dl-rate",
        "epochs": args.epochs or task.DEFAULTS["epochs"],
        "train_wall_s": result["wall_s"],
        "path": result["path"],
    }
    evaluation = task.evaluate("dl-rate", path=result["path"], **_data_kwargs(args))
    figures["n"] = evaluation["n"]
    figures[task.METRIC] = evaluation[task.METRIC]
    figures["wall_s"] = time.perf_counter() - start
    cli.print_table([figures], title=f"trained {args.task}")
    cli.print_json(figures)


def run_evaluate(args):
    task = _task(args.task)
    options = {
        key: value
        for key, value in (("rate_scale", args.rate_scale), ("synapse", args.synapse))
        if value is not None
    }
    result = task.evaluate(
        args.backend,
        n=args.n,
        steps_per_element=args.steps_per_element,
        path=args.params,
        batch_size=args.batch_size,
        progress=args.backend in ("nengo", "loihi"),
        **options,
        **_data_kwargs(args),
    )
    figures = {"task": args.task, **result}
    cli.print_table([figures], title=f"{args.task} on {args.backend}")
    cli.print_json(figures)
