"""How well a spiking LMU memory holds its window: ours against the public example.

Runs, in one process and on the same inputs, the public nengo-loihi example's
configuration and the `LMUMemory` defaults on the nengo reference simulator and
the nengo-loihi emulator, plus one row per lever that the defaults use (the
default with that lever reverted), and prints a table and a JSON line.

    python benchmarks/memory_accuracy.py              # the comparison (~3 min)
    python benchmarks/memory_accuracy.py --grid       # orders x thetas x bands x seeds
    python benchmarks/memory_accuracy.py --sweep --plot sweep.png   # error vs neurons
    python benchmarks/memory_accuracy.py --stability  # the defaults over 100 s

Timings are ratios within one run: the machines are shared and noisy.
"""

import argparse
import contextlib
import itertools
import warnings
from unittest import mock

import nengo
import numpy as np

from nengo_lmu import cli, simulators
from nengo_lmu.evaluation import (
    EVAL_SYNAPSE,
    PublicExampleMemory,
    run_memory,
    window_errors,
)
from nengo_lmu.system import ideal_memory

CONFIG = {"order": 6, "theta": 1.0, "freq": 1.0, "rms": 0.3, "sim_time": 10.0}

# each lever the defaults use, and the LMUMemory arguments that revert it
LEVERS = {
    "tau 0.1 (public) instead of 0.5": {"synapse": 0.1},
    "continuous principle 3": {"discrete": False},
    "public tuning (rates 100-120, intercepts -1..0.5)": {
        "max_rates": nengo.dists.Uniform(100, 120),
        "intercepts": nengo.dists.Uniform(-1, 0.5),
    },
    "nengo's default solver regularization (0.1)": {
        "solver": nengo.solvers.LstsqL2(reg=0.1)
    },
    "headroom 2 std instead of 3": {"headroom": 2.0},
}


def for_backend(revert, backend):
    """A lever's reverting arguments for ``backend``: on Loihi a solver keeps
    the neuron-to-neuron weights (reverting those is a lever of its own)."""
    solver = revert.get("solver")
    if backend == "loihi" and solver is not None and not solver.weights:
        revert = dict(revert, solver=nengo.solvers.LstsqL2(weights=True, reg=solver.reg))
    return revert


def row(name, backend, result):
    return {
        "config": name,
        "backend": backend,
        "window_nrmse": result["window_nrmse"],
        "mean_rate_hz": result["mean_rate_hz"],
        "spikes_per_s": result["spikes_per_s"],
        "wall_s": result["wall_s"],
    }


def run(backend, name, seed=0, config=CONFIG, **kwargs):
    try:
        result = run_memory(backend, seed=seed, **config, **kwargs)
    except nengo.exceptions.BuildError as error:
        print(f"  {name} on {backend}: cannot build: {error}")
        return None
    result.pop("data")
    print(
        f"  {name:<52} {backend:<6} nrmse {result['window_nrmse']:.4f} "
        f"rate {result['mean_rate_hz']:5.1f} Hz  wall {result['wall_s']:.1f} s",
        flush=True,
    )
    return row(name, backend, result)


# the Loihi-specific levers: LMUMemory arguments, or a patch of the backend
# knowledge in nengo_lmu.simulators, that revert each one
LOIHI_LEVERS = {
    "neuron-to-neuron weights (decode neurons instead)": (
        {"solver": nengo.solvers.LstsqL2(weights=False, reg=0.01)},
        None,
    ),
    "Loihi's quantized decay (exp(-dt/tau) instead)": (
        {},
        lambda: mock.patch.object(
            simulators,
            "synapse_decay",
            lambda tau, dt, target="nengo": ORIGINAL_DECAY(tau, dt, "nengo"),
        ),
    ),
    "input filtered once, by the chip (twice instead)": (
        {},
        lambda: mock.patch.object(
            simulators, "input_synapse", lambda synapse, target: synapse
        ),
    ),
}
ORIGINAL_DECAY = simulators.synapse_decay


def run_reverted(backend, name, kwargs, patch):
    name = "  without: " + name
    with patch() if patch is not None else contextlib.nullcontext():
        return run(backend, name, **kwargs) or unbuildable(name, backend)


def unbuildable(name, backend):
    """A table row for a configuration that the simulator cannot build."""
    return {
        "config": name,
        "backend": backend,
        "window_nrmse": "cannot build",
        "mean_rate_hz": None,
        "spikes_per_s": None,
        "wall_s": None,
    }


def comparison(backends, levers):
    rows = []
    for backend in backends:
        rows.append(run(backend, "public example", make_memory=PublicExampleMemory))
        rows.append(run(backend, "LMUMemory defaults"))
        if not levers:
            continue
        for name, revert in LEVERS.items():
            rows.append(run_reverted(backend, name, for_backend(revert, backend), None))
        if backend == "loihi":
            for name, (kwargs, patch) in LOIHI_LEVERS.items():
                rows.append(run_reverted(backend, name, kwargs, patch))
    rows = [r for r in rows if r is not None]
    print()
    cli.print_table(rows, title="Window NRMSE, order 6, theta 1 s, 1 Hz rms 0.3, 10 s")
    figures = {"benchmark": "memory_accuracy", "rows": rows}
    for backend in backends:
        public, ours = [r for r in rows if r["backend"] == backend][:2]
        figures[backend] = {
            "public_nrmse": public["window_nrmse"],
            "nrmse": ours["window_nrmse"],
            "improvement": public["window_nrmse"] / ours["window_nrmse"],
            "mean_rate_hz": ours["mean_rate_hz"],
            "wall_ratio": ours["wall_s"] / public["wall_s"],
        }
    return figures


def grid(backends, seeds, orders=(4, 8, 12), thetas=(0.2, 1.0, 2.0), bands=(0.5, 1.0)):
    rows = []
    for order, theta, band, seed in itertools.product(orders, thetas, bands, seeds):
        config = dict(CONFIG, order=order, theta=theta, freq=band / theta)
        for backend in backends:
            name = f"order {order} theta {theta} freq {band}/theta seed {seed}"
            public = run(backend, name + " public", seed, config, make_memory=PublicExampleMemory)
            ours = run(backend, name + " ours", seed, config)
            rows.append(
                {
                    "order": order,
                    "theta": theta,
                    "freq": config["freq"],
                    "seed": seed,
                    "backend": backend,
                    # None: the public configuration cannot be built there
                    "public": public and public["window_nrmse"],
                    "ours": ours["window_nrmse"],
                    "ours_rate_hz": ours["mean_rate_hz"],
                    "ours_better": public is None
                    or ours["window_nrmse"] < public["window_nrmse"],
                }
            )
    print()
    cli.print_table(rows, title="Grid: window NRMSE, public example vs LMUMemory defaults")
    return {
        "benchmark": "memory_accuracy_grid",
        "points": len(rows),
        "ours_better_everywhere": all(r["ours_better"] for r in rows),
        "rows": rows,
    }


def stability(backends, sim_time=100.0, spans=((2, 12), (45, 55), (90, 100))):
    """The default memory over a long run: window NRMSE over each span of
    seconds, and the largest decoded state against the ideal memory's."""
    rows = []
    config = dict(CONFIG, sim_time=sim_time)
    order, theta, dt = config["order"], config["theta"], 0.001
    for backend in backends:
        result = run_memory(backend, seed=0, **config)
        u, window = result["data"]["u"], result["data"]["window"]
        row = {"backend": backend}
        for start, stop in spans:
            end = int(round(stop / dt))
            errors = window_errors(u[:end], window[:end], theta, dt, discard=start)
            row[f"nrmse {start}-{stop} s"] = float(np.mean(errors))
        row["whole run"] = result["window_nrmse"]
        state = EVAL_SYNAPSE.filt(result["data"]["state"], dt=dt, y0=0)
        ideal = EVAL_SYNAPSE.filt(ideal_memory(u, order, theta, dt)[:, 0], dt=dt, y0=0)
        row["max |state| / ideal max"] = float(
            np.max(np.abs(state).max(axis=0) / np.abs(ideal).max(axis=0))
        )
        row["wall_s"] = result["wall_s"]
        print(f"  {backend}: {row}", flush=True)
        rows.append(row)
    print()
    cli.print_table(rows, title=f"Window NRMSE over a {sim_time:g} s run")
    return {"benchmark": "memory_stability", "sim_time": sim_time, "rows": rows}


def sweep_neuron_types():
    import nengo_loihi

    return {
        "LIF": (nengo.LIF(), ("nengo", "loihi")),
        "SpikingRectifiedLinear": (nengo.SpikingRectifiedLinear(), ("nengo", "loihi")),
        "Poisson LIF": (nengo.PoissonSpiking(nengo.LIFRate()), ("nengo",)),
        "LoihiLIF": (nengo_loihi.neurons.LoihiLIF(), ("nengo", "loihi")),
    }


def sweep(backends, counts, plot):
    floor = run_memory("nengo", neuron_type=None, **CONFIG)["window_nrmse"]
    rows, not_run = [], []
    for name, (neuron_type, runs_on) in sweep_neuron_types().items():
        for backend in backends:
            if backend not in runs_on:
                not_run.append(f"{name} on {backend}: not a {backend} neuron type")
                continue
            for n in counts:
                result = run(backend, f"{name} n={n}", n_neurons=n, neuron_type=neuron_type)
                if result is None:
                    not_run.append(f"{name} on {backend} with {n} neurons: cannot build")
                else:
                    rows.append(dict(result, neuron_type=name, n_neurons=n))
    slopes = {}
    for name, backend in {(r["neuron_type"], r["backend"]) for r in rows}:
        points = [r for r in rows if (r["neuron_type"], r["backend"]) == (name, backend)]
        n = np.log([p["n_neurons"] for p in points])
        e = np.log([p["window_nrmse"] for p in points])
        slopes[f"{name} on {backend}"] = float(np.polyfit(n, e, 1)[0])
    cli.print_table(
        [{"curve": k, "slope": v} for k, v in sorted(slopes.items())],
        title=f"log-log slope of window NRMSE vs neurons (ideal floor {floor:.4f})",
    )
    for line in not_run:
        print("  not run:", line)
    if plot:
        plot_sweep(rows, slopes, floor, plot)
    return {
        "benchmark": "memory_sweep",
        "floor": floor,
        "slopes": slopes,
        "rows": rows,
        "not_run": not_run,
    }


def plot_sweep(rows, slopes, floor, filename):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 5))
    for curve, slope in sorted(slopes.items()):
        name, backend = curve.split(" on ")
        points = [r for r in rows if (r["neuron_type"], r["backend"]) == (name, backend)]
        ax.loglog(
            [p["n_neurons"] for p in points],
            [p["window_nrmse"] for p in points],
            marker="o",
            linestyle="-" if backend == "nengo" else "--",
            label=f"{curve} (slope {slope:.2f})",
        )
    ax.axhline(floor, color="k", linestyle=":", label="ideal memory (floor)")
    counts = np.array(sorted({r["n_neurons"] for r in rows}), dtype=float)
    start = min(r["window_nrmse"] for r in rows if r["n_neurons"] == counts[0])
    ax.loglog(
        counts,
        start * np.sqrt(counts[0] / counts),
        color="0.5",
        linestyle="-.",
        label="1 / sqrt(n) (the paper's prediction)",
    )
    ax.set_xlabel("neurons per memory dimension")
    ax.set_ylabel("window NRMSE")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(filename, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="nengo,loihi")
    parser.add_argument("--no-levers", action="store_true", help="skip lever rows")
    parser.add_argument("--grid", action="store_true", help="the generality grid")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--orders", default="4,8,12", help="grid orders")
    parser.add_argument("--thetas", default="0.2,1,2", help="grid windows (s)")
    parser.add_argument(
        "--bands", default="0.5,1", help="grid input bandwidths (cycles per window)"
    )
    parser.add_argument("--sweep", action="store_true", help="error vs neurons")
    parser.add_argument(
        "--stability", action="store_true", help="the defaults over a 100 s run"
    )
    parser.add_argument("--counts", default="25,50,100,200,400,800")
    parser.add_argument("--plot", metavar="PNG", help="sweep plot")
    args = parser.parse_args(argv)
    backends = args.backends.split(",")
    warnings.filterwarnings("ignore")
    if args.grid:
        figures = grid(
            backends,
            [int(s) for s in args.seeds.split(",")],
            [int(o) for o in args.orders.split(",")],
            [float(t) for t in args.thetas.split(",")],
            [float(b) for b in args.bands.split(",")],
        )
    elif args.stability:
        figures = stability(backends)
    elif args.sweep:
        counts = [int(c) for c in args.counts.split(",")]
        figures = sweep(backends, counts, args.plot)
    else:
        figures = comparison(backends, not args.no_levers)
    cli.print_json(figures)


if __name__ == "__main__":
    main()
