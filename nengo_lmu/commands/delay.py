"""``nengo-lmu delay``: learn a delay online with PES, switch learning off, measure.

The main job; see `nengo_lmu.experiments.pes.run_learning`.
"""

from nengo_lmu import backends
from nengo_lmu.experiments import fast_mode, report
from nengo_lmu.experiments.pes import (
    HELDOUT_SYNAPSE,
    WINDOW_PER_DELAY,
    print_progress,
    run_learning,
)
from nengo_lmu.experiments.plots import plot_learning

#: Simulated seconds of the main job, and of its short mode (NENGO_LMU_FAST=1).
SIM_TIME, FAST_SIM_TIME = 30.0, 20.0


def add_command(subparsers):
    parser = subparsers.add_parser(
        "delay",
        help="learn a delay online with PES (on the Loihi emulator by default)",
        description="White noise into a spiking LMU memory; a readout learns "
        "the input DELAY seconds ago with PES from zero decoders; learning is "
        "switched off after LEARN_FRACTION of the run and the held-out NRMSE is "
        "measured on the rest (both lowpassed at 10 ms).",
    )
    parser.add_argument(
        "--backend",
        default="loihi",
        choices=backends.NAMES,
        help="simulator: loihi (the emulator; hardware where NxSDK is installed), "
        "nengo or dl (default: loihi)",
    )
    parser.add_argument("--delay", type=float, default=0.5, help="delay to learn (s)")
    parser.add_argument("--order", type=int, default=6, help="Legendre order d")
    parser.add_argument(
        "--theta",
        type=float,
        default=None,
        help=f"memory window (s; default: {WINDOW_PER_DELAY:g} x delay)",
    )
    parser.add_argument("--freq", type=float, default=2.0, help="input bandwidth (Hz)")
    parser.add_argument("--rms", type=float, default=0.3, help="input rms")
    parser.add_argument(
        "--sim-time",
        type=float,
        default=FAST_SIM_TIME if fast_mode() else SIM_TIME,
        help=f"seconds (default {SIM_TIME:g}; {FAST_SIM_TIME:g} with NENGO_LMU_FAST=1)",
    )
    parser.add_argument(
        "--learn-fraction",
        type=float,
        default=0.8,
        help="fraction of the run with learning on (default 0.8)",
    )
    parser.add_argument(
        "--n-neurons",
        type=int,
        default=180,
        help="memory neurons in total (default 180: 30 per dimension)",
    )
    parser.add_argument(
        "--dt", type=float, default=0.001, help="simulator step (s; default 0.001)"
    )
    parser.add_argument(
        "--learning-rate",
        type=float,
        default=10.0,
        help="error decay rate while learning (1/s; same meaning on every "
        "backend; default 10)",
    )
    parser.add_argument(
        "--target",
        default="delay",
        choices=("delay", "mean", "energy", "max"),
        help="what to learn from the window (default: the delay)",
    )
    parser.add_argument(
        "--readout-neurons",
        type=int,
        default=None,
        help="learn through a readout ensemble of this many neurons "
        "(default: straight from the memory ensembles)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="PNG", help="write a plot of the run")
    parser.set_defaults(run=run)
    return parser


def run(args):
    backends.get(args.backend).prepare_process()
    theta = WINDOW_PER_DELAY * args.delay if args.theta is None else args.theta
    target = None if args.target == "delay" else args.target
    what = f"a {args.delay:g} s delay" if target is None else f"the window {target}"
    print(
        f"nengo-lmu delay: learning {what} on {args.backend}, order {args.order}, "
        f"theta {theta:g} s, {args.n_neurons} memory neurons, {args.sim_time:g} s "
        f"({args.learn_fraction:.0%} learning)",
        flush=True,
    )
    result = run_learning(
        backend=args.backend,
        target=target,
        delay=args.delay,
        order=args.order,
        theta=theta,
        freq=args.freq,
        rms=args.rms,
        sim_time=args.sim_time,
        learn_fraction=args.learn_fraction,
        n_neurons=args.n_neurons,
        learning_rate=args.learning_rate,
        readout_neurons=args.readout_neurons,
        seed=args.seed,
        dt=args.dt,
        progress=print_progress,
    )
    data = result.pop("data")
    print(result.pop("readout"))
    print()
    keys = (
        "backend",
        "target",
        "heldout_nrmse",
        "learning_nrmse",
        "window_nrmse",
        "mean_rate_hz",
        "n_neurons",
        "wall_s",
    )
    report.print_table([{key: result[key] for key in keys}])
    if args.plot:
        learn_stop = args.learn_fraction * args.sim_time
        plot_learning(data, result, learn_stop, args.plot, HELDOUT_SYNAPSE)
        print(f"wrote {args.plot}")
    report.print_json(result)
