"""``nengo-lmu memory``: how accurately a spiking memory holds its window."""

from nengo_lmu import backends
from nengo_lmu.experiments import memory, report
from nengo_lmu.experiments.baselines import PublicExampleMemory
from nengo_lmu.experiments.metrics import WINDOW_R
from nengo_lmu.experiments.plots import plot_window


def add_command(subparsers):
    parser = subparsers.add_parser(
        "memory",
        help="measure the window NRMSE of a spiking LMU memory",
        description="Drive an LMUMemory with white noise and measure how well it "
        "holds its window (the window NRMSE: mean over r in {0.25, 0.5, 0.75, 1} "
        "of the Legendre readout against the delayed input, both lowpassed at "
        "50 ms, first 2*theta discarded).",
    )
    parser.add_argument("--backend", default=backends.NAMES[0], choices=backends.NAMES)
    parser.add_argument("--order", type=int, default=6, help="Legendre order d")
    parser.add_argument("--theta", type=float, default=1.0, help="window (s)")
    parser.add_argument(
        "--n-neurons", type=int, default=100, help="neurons per memory dimension"
    )
    parser.add_argument(
        "--neuron-type",
        choices=list(memory.memory_neuron_types()),
        default=None,
        help="memory neurons (default: LMUMemory's default; none = exact memory)",
    )
    parser.add_argument(
        "--synapse", type=float, default=None, help="recurrent lowpass tau (s)"
    )
    parser.add_argument("--freq", type=float, default=1.0, help="input bandwidth (Hz)")
    parser.add_argument("--rms", type=float, default=0.3, help="input rms")
    parser.add_argument("--sim-time", type=float, default=10.0, help="seconds")
    parser.add_argument("--dt", type=float, default=0.001, help="simulator step (s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--public-example",
        action="store_true",
        help="run the public nengo-loihi example's configuration instead",
    )
    parser.add_argument("--plot", metavar="PNG", help="write a plot of the run")
    parser.set_defaults(run=run)
    return parser


def memory_options(args):
    options = {"n_neurons": args.n_neurons}
    if args.public_example:
        options["make_memory"] = PublicExampleMemory
        if args.synapse is not None:
            options["tau"] = args.synapse
        return options
    if args.neuron_type is not None:
        options["neuron_type"] = memory.neuron_type(args.neuron_type)
    if args.synapse is not None:
        options["synapse"] = args.synapse
    return options


def run(args):
    backends.get(args.backend).prepare_process()
    result = memory.run_memory(
        backend=args.backend,
        order=args.order,
        theta=args.theta,
        freq=args.freq,
        rms=args.rms,
        sim_time=args.sim_time,
        seed=args.seed,
        dt=args.dt,
        progress_bar=True,
        **memory_options(args),
    )
    data = result.pop("data")
    rows = [
        {"r": r, "delay_s": r * args.theta, "nrmse": error}
        for r, error in zip(WINDOW_R, result["window_nrmse_by_r"])
    ]
    report.print_table(rows, title=f"window of {args.theta} s, backend {args.backend}")
    print()
    report.print_table(
        [
            {
                "window_nrmse": result["window_nrmse"],
                "state_nrmse": result["state_nrmse"],
                "mean_rate_hz": result["mean_rate_hz"],
                "n_neurons": result["n_neurons"],
                "wall_s": result["wall_s"],
            }
        ]
    )
    if args.plot:
        title = (
            f"LMU memory on {args.backend}: dashed = true delay, solid = decoded "
            f"(order {args.order}, theta {args.theta} s)"
        )
        plot_window(data, args.theta, args.dt, title, args.plot)
        print(f"wrote {args.plot}")
    result["config"] = "public-example" if args.public_example else "default"
    report.print_json(result)
