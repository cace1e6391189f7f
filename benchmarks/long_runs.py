"""Long runs: a spiking memory over 1000 s, the exact memory over 100,000 steps.

1. The DESIGN configuration (order 6, theta 1 s, 1 Hz white noise of rms 0.3,
   `LMUMemory`'s defaults: 100 SpikingRectifiedLinear per dimension) on nengo
   for 1000 s, measured over successive spans: the window NRMSE, the state
   NRMSE against the ideal memory, and the largest decoded state against the
   ideal's.  Bounded and not growing means: the largest decoded state stays
   within 1.5x the ideal memory's in every span, and the last span's window
   NRMSE within 1.5x the first's.
2. The paper's capacity claim: the exact memory (``neuron_type=None``) of
   order 256 over theta = 100,000 steps, run on `nengo.Simulator` for 200,000
   steps, against an independent scipy reference (``cont2discrete`` +
   ``dlsim``), reading the input back T = 100, 1,000, 10,000 and 100,000
   steps ago.

Prints a table per run and, as its last line, one JSON object.

    python benchmarks/long_runs.py                          # both, in full (minutes)
    python benchmarks/long_runs.py --spiking --sim-time 100  # spiking only, shorter
    python benchmarks/long_runs.py --capacity --plot capacity.png
"""

import argparse

from nengo_lmu import backends
from nengo_lmu.experiments import long_runs, report


def print_span(row):
    print(
        f"  {row['start_s']:6.0f}-{row['stop_s']:.0f} s  window NRMSE "
        f"{row['window_nrmse']:.4f}  state NRMSE {row['state_nrmse']:.4f}  "
        f"max |state| / ideal {row['max_state_ratio']:.3f}",
        flush=True,
    )


def run_spiking(args):
    print(
        f"spiking memory on {args.backend}: {args.sim_time:g} s in spans of "
        f"{args.span:g} s",
        flush=True,
    )
    result = long_runs.spiking_stability(
        sim_time=args.sim_time,
        span=args.span,
        backend=args.backend,
        dt=args.dt,
        seed=args.seed,
        progress=print_span,
    )
    report.print_table(
        result["rows"],
        title=f"DESIGN memory over {args.sim_time:g} s on {args.backend}",
    )
    print(
        f"growth (last span / first): {result['growth']:.3f}; largest state / "
        f"ideal: {result['max_state_ratio']:.3f}; wall {result['wall_s']:.0f} s"
    )
    return result


def run_capacity(args):
    delays = [int(d) for d in args.delays.split(",")]
    print(
        f"exact memory, order {args.order}, theta {args.theta_steps:,} steps",
        flush=True,
    )
    result = long_runs.capacity(
        order=args.order,
        theta_steps=args.theta_steps,
        delays=delays,
        n_steps=args.n_steps,
        cycles=args.cycles,
        seed=args.seed,
        progress=report.Progress("steps"),
    )
    report.print_table(
        result["rows"],
        title=f"read back T steps ago ({result['n_steps']:,} steps, input "
        f"{args.cycles:g} cycles per window)",
    )
    if args.plot:
        long_runs.plot_capacity(result, args.plot)
        print(f"wrote {args.plot}")
    result.pop("data")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spiking", action="store_true", help="the spiking run only")
    parser.add_argument("--capacity", action="store_true", help="the capacity run only")
    parser.add_argument("--backend", default="nengo", choices=backends.NAMES)
    parser.add_argument("--sim-time", type=float, default=1000.0, help="seconds")
    parser.add_argument("--span", type=float, default=100.0, help="seconds per span")
    parser.add_argument("--dt", type=float, default=0.001, help="spiking run's step")
    parser.add_argument("--order", type=int, default=256)
    parser.add_argument("--theta-steps", type=int, default=100_000)
    parser.add_argument(
        "--delays",
        default=",".join(str(d) for d in long_runs.CAPACITY_DELAYS),
        help="steps back to read (comma-separated)",
    )
    parser.add_argument(
        "--n-steps",
        type=int,
        default=None,
        help="steps of the capacity run (default: theta + the longest delay)",
    )
    parser.add_argument(
        "--cycles", type=float, default=30.0, help="input cycles per window"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", metavar="PNG", help="plot of the capacity run")
    args = parser.parse_args(argv)
    both = not (args.spiking or args.capacity)
    figures = {"benchmark": "long_runs"}
    if args.spiking or both:
        backends.get(args.backend).prepare_process()
        figures["spiking"] = run_spiking(args)
        print()
    if args.capacity or both:
        figures["capacity"] = run_capacity(args)
    report.print_json(figures)


if __name__ == "__main__":
    main()
