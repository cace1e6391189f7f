"""Online PES learning of a delay: ours against the public nengo-loihi example.

Protocol of the public example (nengo-loihi's ``docs/examples/lmu.ipynb``,
removed from the repository before 1.1.0): 2 Hz white noise of rms 0.3, learn
the input 0.5 s ago, 30 s in all with learning on for the first 24 s, NRMSE
over the last 6 s (learning off), both signals lowpassed at 10 ms.

Runs, in one process and one after the other:

- ours (`nengo_lmu.experiments.pes.run_learning` with its defaults: an
  `LMUMemory` of order 6 over theta = 0.6 s with 180 neurons, a `PESReadout`
  learning from zero decoders straight from the memory ensembles), on nengo
  and on the nengo-loihi emulator;
- the same learning the window's energy (mean of u**2 over the window);
- the public example exactly as published (600 memory + 1000 readout
  neurons, PES 5e-4, ``pes_error_scale = 200``), on both simulators.

Prints a table and, as its last line, one JSON object.

    python benchmarks/pes_delay.py [--skip-public] [--skip-energy] [--backends nengo loihi]
"""

import argparse
import sys

from nengo_lmu import backends
from nengo_lmu.experiments import report
from nengo_lmu.experiments.baselines import public_pes_example
from nengo_lmu.experiments.pes import print_progress, run_learning

SIM_TIME = 30.0
LEARN_FRACTION = 0.8
FREQ, RMS, DELAY = 2.0, 0.3, 0.5


def ours(backend, target, quiet=False, **kwargs):
    print(f"ours, {target or 'delay'}, on {backend}:", flush=True)
    result = run_learning(
        backend=backend,
        target=target,
        delay=DELAY,
        freq=FREQ,
        rms=RMS,
        sim_time=SIM_TIME,
        learn_fraction=LEARN_FRACTION,
        progress=None if quiet else print_progress,
        **kwargs,
    )
    result.pop("data")
    result.pop("readout")
    result["network"] = "nengo-lmu"
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", nargs="+", default=["nengo", "loihi"])
    parser.add_argument("--skip-public", action="store_true")
    parser.add_argument("--skip-energy", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    for backend in args.backends:
        backends.get(backend).prepare_process()
    rows = []
    for backend in args.backends:
        rows.append(ours(backend, None, seed=args.seed))
        if not args.skip_energy:
            # a nonlinear target learns best at a lower rate (see the README)
            rows.append(ours(backend, "energy", seed=args.seed, learning_rate=3.0))
    if not args.skip_public:
        for backend in args.backends:
            print(f"public example on {backend} ...", flush=True)
            rows.append(
                public_pes_example(
                    backend,
                    sim_time=SIM_TIME,
                    learn_fraction=LEARN_FRACTION,
                    freq=FREQ,
                    rms=RMS,
                    delay=DELAY,
                )
            )

    keys = (
        "network",
        "backend",
        "target",
        "dt",
        "learning_rate",
        "heldout_nrmse",
        "n_neurons",
        "mean_rate_hz",
        "build_s",
        "wall_s",
        "cpu_s",
    )
    table = [{k: row.get(k) for k in keys} for row in rows]
    print()
    report.print_table(table, title="PES learning, 30 s, learning off for the last 6 s")
    figures = {"rows": table}
    by = {(r["network"], r["backend"]): r for r in rows if "energy" not in r["target"]}
    for backend in args.backends:
        public, mine = (
            by.get(("public example", backend)),
            by.get(("nengo-lmu", backend)),
        )
        if public is None or mine is None:
            continue
        wall = figures[f"wall_ratio_{backend}"] = mine["wall_s"] / public["wall_s"]
        cpu = figures[f"cpu_ratio_{backend}"] = mine["cpu_s"] / public["cpu_s"]
        print(
            f"{backend}: ours takes {mine['wall_s']:.0f} s, the public example "
            f"{public['wall_s']:.0f} s (wall ratio {wall:.2f}; CPU time ratio "
            f"{cpu:.2f}, which other jobs on the machine do not skew)"
        )
    report.print_json(figures)


if __name__ == "__main__":
    sys.exit(main())
