"""The pictures the commands and benchmarks draw (matplotlib, Agg)."""

import numpy as np

from nengo_lmu.experiments.metrics import EVAL_SYNAPSE, WINDOW_R, delay_steps


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_window(data, theta, dt, title, filename):
    """Input, true delayed inputs and the decoded delays, lowpassed at 50 ms."""
    plt = _pyplot()
    t = dt * np.arange(1, len(data["u"]) + 1)
    decoded = EVAL_SYNAPSE.filt(data["window"], dt=dt, y0=0)
    fig, ax = plt.subplots(figsize=(10, 4.5))
    ax.plot(t, data["u"][:, 0], color="0.7", label="input u(t)")
    for j, r in enumerate(WINDOW_R):
        steps = int(round(r * theta / dt))
        true = EVAL_SYNAPSE.filt(delay_steps(data["u"][:, 0], steps), dt=dt, y0=0)
        (line,) = ax.plot(t, true, linestyle="--", linewidth=1)
        ax.plot(t, decoded[:, j], color=line.get_color(), label=f"u(t - {r:g} theta)")
    ax.axvspan(0, 2 * theta, color="0.9", label="discarded")
    ax.set_xlabel("time (s)")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small", ncol=3)
    fig.tight_layout()
    fig.savefig(filename, dpi=100)
    plt.close(fig)


def plot_learning(data, result, learn_stop, filename, synapse):
    """Input, ideal target and learned output, learning on/off shaded, and
    the error below."""
    plt = _pyplot()
    dt = result["dt"]
    t = dt * np.arange(1, len(data["u"]) + 1)
    out = synapse.filt(data["output"], dt=dt, y0=0)
    ideal = synapse.filt(data["ideal"], dt=dt, y0=0)
    fig, axes = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
    for ax in axes:
        ax.axvspan(0, learn_stop, color="#e6f2e6", label="learning on")
        ax.axvspan(learn_stop, t[-1], color="#f7e6e6", label="learning off")
    axes[0].plot(t, data["u"][:, 0], color="0.6", lw=0.8, label="input u(t)")
    axes[0].plot(t, ideal[:, 0], color="k", lw=1, label=f"ideal: {result['target']}")
    axes[0].plot(t, out[:, 0], color="C3", lw=1, label="learned output")
    axes[0].set_title(
        f"PES-learned {result['target']} on {result['backend']}: held-out NRMSE "
        f"{result['heldout_nrmse']:.3f} (order {result['order']}, theta "
        f"{result['theta']:g} s, {result['n_neurons']} neurons)"
    )
    axes[0].legend(loc="upper right", fontsize="small", ncol=5)
    error = np.abs(out[:, 0] - ideal[:, 0])
    axes[1].plot(t, error, color="C3", lw=0.6, label="|output - ideal|")
    axes[1].set_xlabel("time (s)")
    axes[1].legend(loc="upper right", fontsize="small", ncol=3)
    fig.tight_layout()
    fig.savefig(filename, dpi=100)
    plt.close(fig)


def plot_sweep(
    rows, slopes, floor, filename, guide="1 / sqrt(n) (the paper's prediction)"
):
    """Error against neurons per curve (log-log), the ideal floor and a
    ``1/sqrt(n)`` guide."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    for curve, fitted in sorted(slopes.items()):
        name, backend = curve.split(" on ")
        points = [
            r for r in rows if (r["neuron_type"], r["backend"]) == (name, backend)
        ]
        ax.loglog(
            [p["n_neurons"] for p in points],
            [p["window_nrmse"] for p in points],
            marker="o",
            linestyle="-" if backend == rows[0]["backend"] else "--",
            label=f"{curve} (slope {fitted:.2f})",
        )
    ax.axhline(floor, color="k", linestyle=":", label="ideal memory (floor)")
    counts = np.array(sorted({r["n_neurons"] for r in rows}), dtype=float)
    start = min(r["window_nrmse"] for r in rows if r["n_neurons"] == counts[0])
    ax.loglog(
        counts,
        start * np.sqrt(counts[0] / counts),
        color="0.5",
        linestyle="-.",
        label=guide,
    )
    ax.set_xlabel("neurons per memory dimension")
    ax.set_ylabel("window NRMSE")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(filename, dpi=100)
    plt.close(fig)


def plot_grid(rows, filename):
    """The grid's window NRMSE per configuration: the defaults and the ideal
    memory's own error for each seed (the spread between seeds visible)."""
    plt = _pyplot()
    configs = sorted({(r["order"], r["theta"], r["freq"]) for r in rows})
    fig, ax = plt.subplots(figsize=(11, 4.5))
    for name in sorted({r["backend"] for r in rows}):
        for k, config in enumerate(configs):
            points = [
                r
                for r in rows
                if r["backend"] == name
                and (r["order"], r["theta"], r["freq"]) == config
            ]
            ax.semilogy(
                [k] * len(points),
                [r["ours"] for r in points],
                "o",
                color="C0",
                alpha=0.7,
                label=f"defaults on {name}, seeds" if k == 0 else None,
            )
            ax.semilogy(
                [k] * len(points),
                [r["ideal"] for r in points],
                "_",
                color="k",
                markersize=12,
                label="ideal memory, seeds" if k == 0 else None,
            )
    ax.set_xticks(range(len(configs)))
    ax.set_xticklabels(
        [f"{o}\n{t:g} s\n{f * t:g}" for o, t, f in configs], fontsize="x-small"
    )
    ax.set_xlabel("order / theta / input band (cycles per window)")
    ax.set_ylabel("window NRMSE")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(filename, dpi=100)
    plt.close(fig)
