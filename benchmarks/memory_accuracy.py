"""How well a spiking LMU memory holds its window: ours against the public example.

Runs, on the same inputs, the public nengo-loihi example's configuration and
the `LMUMemory` defaults on the nengo reference simulator and the nengo-loihi
emulator, plus one row per lever that the defaults use (the default with that
lever reverted), and prints a table and a JSON line.

    python benchmarks/memory_accuracy.py              # the comparison (~3 min)
    python benchmarks/memory_accuracy.py --grid       # orders x thetas x bands x seeds
    python benchmarks/memory_accuracy.py --sweep --plot sweep.png   # error vs neurons
    python benchmarks/memory_accuracy.py --stability  # the defaults over 100 s
    python benchmarks/memory_accuracy.py --poisson --plot poisson.png  # d/sqrt(m)

``--jobs N`` runs independent points in N processes (``--scheduler ADDRESS``:
on a Dask cluster); each point is seeded, so the results equal a serial run's.
Timings are ratios within one run: the machines are shared and noisy.
"""

import argparse
import time
import warnings

import numpy as np

from nengo_lmu import backends
from nengo_lmu.experiments import memory, report
from nengo_lmu.experiments.baselines import PublicExampleMemory
from nengo_lmu.experiments.parallel import run_points
from nengo_lmu.experiments.plots import plot_grid, plot_sweep


def comparison(names, with_levers, jobs=1, scheduler=None):
    points = []
    for name in names:
        points.append(
            dict(backend=name, label="public example", make_memory=PublicExampleMemory)
        )
        points.append(dict(backend=name, label="LMUMemory defaults"))
        if with_levers:
            points.extend(
                dict(backend=name, label="  without: " + lever, **kwargs)
                for lever, kwargs in memory.levers(name).items()
            )
    rows = run_points(memory.measure, points, jobs, scheduler)
    print()
    report.print_table(
        [
            {
                k: r.get(k)
                for k in (
                    "config",
                    "backend",
                    "window_nrmse",
                    "mean_rate_hz",
                    "wall_s",
                    "cpu_s",
                )
            }
            for r in rows
        ],
        title="Window NRMSE, order 6, theta 1 s, 1 Hz rms 0.3, 10 s",
    )
    figures = {"benchmark": "memory_accuracy", "rows": rows}
    for name in names:
        public, ours = [r for r in rows if r["backend"] == name][:2]
        figures[name] = {
            "public_nrmse": public["window_nrmse"],
            "nrmse": ours["window_nrmse"],
            "improvement": public["window_nrmse"] / ours["window_nrmse"],
            "mean_rate_hz": ours["mean_rate_hz"],
            "wall_ratio": ours["wall_s"] / public["wall_s"],
            "cpu_ratio": ours["cpu_s"] / public["cpu_s"],
        }
    return figures


def grid(names, seeds, orders, thetas, bands, plot=None, jobs=1, scheduler=None):
    start = time.perf_counter()
    points, ideal_points = [], []
    for order, theta, freq, seed in memory.grid_points(orders, thetas, bands, seeds):
        config = dict(order=order, theta=theta, freq=freq)
        label = f"order {order} theta {theta} freq {freq:.3g}"
        ideal_points.append(
            dict(
                backend="nengo",
                label=label + " ideal",
                seed=seed,
                config=config,
                neuron_type=None,
            )
        )
        for name in names:
            points.append(
                dict(
                    backend=name,
                    label=label + " public",
                    seed=seed,
                    config=config,
                    make_memory=PublicExampleMemory,
                )
            )
            points.append(
                dict(backend=name, label=label + " ours", seed=seed, config=config)
            )
    results = run_points(memory.measure, ideal_points + points, jobs, scheduler)
    ideal = {
        memory_point(point): result["window_nrmse"]
        for point, result in zip(ideal_points, results)
    }
    results = results[len(ideal_points) :]
    rows = []
    for public, ours, point in zip(results[0::2], results[1::2], points[1::2]):
        config = point["config"]
        rows.append(
            {
                "order": config["order"],
                "theta": config["theta"],
                "freq": config["freq"],
                "seed": point["seed"],
                "backend": ours["backend"],
                # None: the public configuration cannot be built there
                "public": public["window_nrmse"],
                "ours": ours["window_nrmse"],
                "ours_rate_hz": ours["mean_rate_hz"],
                "ideal": ideal[memory_point(point)],
                "ours_better": public["window_nrmse"] is None
                or ours["window_nrmse"] < public["window_nrmse"],
            }
        )
    print()
    report.print_table(
        rows, title="Grid: window NRMSE, public example vs LMUMemory defaults"
    )
    summary = {
        name: grid_summary([r for r in rows if r["backend"] == backends.get(name).name])
        for name in names
    }
    if plot:
        plot_grid(rows, plot)
    report.print_table(
        [dict(backend=name, **figures) for name, figures in summary.items()],
        title="Grid: the defaults' window NRMSE",
    )
    return {
        "benchmark": "memory_accuracy_grid",
        "points": len(rows),
        "ours_better_everywhere": all(r["ours_better"] for r in rows),
        "summary": summary,
        "wall_s": time.perf_counter() - start,
        "jobs": jobs,
        "rows": rows,
    }


def memory_point(point):
    config = point["config"]
    return config["order"], config["theta"], config["freq"], point["seed"]


def grid_summary(rows):
    """Median and worst window NRMSE of the defaults, the worst where the
    ideal (non-neural) memory's own error is below 0.1, and the highest mean
    firing rate."""
    ours = [r["ours"] for r in rows]
    held = [r["ours"] for r in rows if r["ideal"] < 0.1]
    return {
        "points": len(rows),
        "median": float(np.median(ours)),
        "worst": float(np.max(ours)),
        "worst_where_ideal_below_0.1": float(np.max(held)) if held else None,
        "max_rate_hz": float(max(r["ours_rate_hz"] for r in rows)),
    }


SWEEP_TYPES = ("spikingrelu", "lif", "poissonlif", "regularlif", "loihilif", "loihirelu")


def sweep(names, counts, plot, jobs=1, scheduler=None):
    floor = memory.measure("nengo", "ideal", neuron_type=None)["window_nrmse"]
    points, not_run = [], []
    for type_name in SWEEP_TYPES:
        neuron_type = memory.neuron_type(type_name)
        for name in names:
            reason = backends.get(name).unsupported(neuron_type)
            if reason is not None:
                not_run.append(f"{type_name} on {name}: {reason}")
                continue
            points.extend(
                dict(
                    backend=name, label=type_name, n_neurons=n, neuron_type=neuron_type
                )
                for n in counts
            )
    rows = []
    for point, result in zip(
        points, run_points(memory.measure, points, jobs, scheduler)
    ):
        if result["window_nrmse"] is None:
            not_run.append(
                f"{point['label']} on {point['backend']} with "
                f"{point['n_neurons']} neurons: {result['error']}"
            )
        else:
            rows.append(
                dict(result, neuron_type=point["label"], n_neurons=point["n_neurons"])
            )
    slopes = {}
    for type_name, name in sorted({(r["neuron_type"], r["backend"]) for r in rows}):
        curve = [
            r for r in rows if (r["neuron_type"], r["backend"]) == (type_name, name)
        ]
        slopes[f"{type_name} on {name}"] = memory.slope(
            [r["n_neurons"] for r in curve], [r["window_nrmse"] for r in curve]
        )
    report.print_table(
        [{"curve": k, "slope": v} for k, v in slopes.items()],
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


def poisson_scaling(totals, plot=None, jobs=1, scheduler=None, order=6):
    """The paper's claim: a Poisson-spiking memory's error falls as
    ``d / sqrt(m)`` with ``m`` neurons in all (nengo, DESIGN memory)."""
    neuron_type = memory.neuron_type("poissonlif")
    counts = [max(1, int(round(m / order))) for m in totals]
    points = [
        dict(backend="nengo", label="poissonlif", n_neurons=n, neuron_type=neuron_type)
        for n in counts
    ]
    results = run_points(memory.measure, points, jobs, scheduler)
    rows = [
        {"neurons": n * order, "n_per_dim": n, "window_nrmse": r["window_nrmse"],
         "mean_rate_hz": r["mean_rate_hz"]}
        for n, r in zip(counts, results)
    ]
    fitted = memory.slope([r["neurons"] for r in rows], [r["window_nrmse"] for r in rows])
    report.print_table(rows, title=f"Poisson-spiking LIF memory, order {order}: "
                       f"error vs neurons in all (slope {fitted:.2f})")
    if plot:
        plot_poisson(rows, fitted, order, plot)
    return {"benchmark": "poisson_scaling", "slope": fitted, "rows": rows}


def plot_poisson(rows, fitted, order, filename):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = np.array([r["neurons"] for r in rows], dtype=float)
    error = np.array([r["window_nrmse"] for r in rows])
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    ax.loglog(m, error, "o-", label=f"Poisson-spiking LIF memory (slope {fitted:.2f})")
    # the guide d / sqrt(m), anchored at the geometric middle of the points
    anchor = len(m) // 2
    guide = error[anchor] * np.sqrt(m[anchor] / m)
    ax.loglog(m, guide, "k--", label=f"d / sqrt(m) (d = {order})")
    ax.set_xlabel("neurons in all, m")
    ax.set_ylabel("window NRMSE")
    ax.legend()
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
    parser.add_argument("--counts", default="25,100,400,1600")
    parser.add_argument(
        "--poisson", action="store_true", help="Poisson memory error vs neurons in all"
    )
    parser.add_argument("--totals", default="100,300,1000,3000,10000,20000")
    parser.add_argument("--plot", metavar="PNG", help="sweep, grid or Poisson plot")
    parser.add_argument("--jobs", type=int, default=1, help="processes (-1: all cores)")
    parser.add_argument("--scheduler", default=None, help="a Dask scheduler address")
    args = parser.parse_args(argv)
    names = args.backends.split(",")
    for name in names:
        backends.get(name).prepare_process()
    parallel = dict(jobs=args.jobs, scheduler=args.scheduler)
    warnings.filterwarnings("ignore")
    if args.grid:
        figures = grid(
            names,
            [int(s) for s in args.seeds.split(",")],
            [int(o) for o in args.orders.split(",")],
            [float(t) for t in args.thetas.split(",")],
            [float(b) for b in args.bands.split(",")],
            args.plot,
            **parallel,
        )
    elif args.stability:
        rows = run_points(
            memory.stability, [dict(backend=n) for n in names], **parallel
        )
        report.print_table(rows, title="Window NRMSE over a 100 s run")
        figures = {"benchmark": "memory_stability", "sim_time": 100.0, "rows": rows}
    elif args.poisson:
        figures = poisson_scaling(
            [int(m) for m in args.totals.split(",")], args.plot, **parallel
        )
    elif args.sweep:
        counts = [int(c) for c in args.counts.split(",")]
        figures = sweep(names, counts, args.plot, **parallel)
    else:
        figures = comparison(names, not args.no_levers, **parallel)
    report.print_json(figures)


if __name__ == "__main__":
    main()
