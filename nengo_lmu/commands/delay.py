"""``nengo-lmu delay``: learn a delay online with PES, switch learning off, measure.

The main job: white noise into a spiking `.LMUMemory`, a `.PESReadout` learning
the input ``--delay`` seconds ago from zero decoders, learning switched off
after ``--learn-fraction`` of the run, and the held-out error measured on the
rest (both signals lowpassed at 10 ms, as the public nengo-loihi example does).
"""

import time

import nengo
import numpy as np

from nengo_lmu import cli, simulators
from nengo_lmu.evaluation import WINDOW_R, nrmse, white_noise, window_errors
from nengo_lmu.learning import Delay, PESReadout, as_window_function
from nengo_lmu.memory import LMUMemory

#: Both signals are lowpassed at 10 ms before the held-out NRMSE (the protocol
#: of the public nengo-loihi LMU example).
HELDOUT_SYNAPSE = nengo.Lowpass(0.01)

#: The default window, as a multiple of the delay: the Legendre readout of a
#: delay inside the window (r = 1 / 1.2) is more accurate than at its end
#: (r = 1), so 30 memory neurons per dimension do what 50 did at theta = delay.
WINDOW_PER_DELAY = 1.2

#: The memory tuning used for learning (passed explicitly, see `run_learning`).
MEMORY_INTERCEPTS = nengo.dists.Uniform(-0.5, 0.5)
MEMORY_MAX_RATES = nengo.dists.Uniform(100, 120)


def run_learning(
    backend="loihi",
    target=None,
    delay=0.5,
    order=6,
    theta=None,
    freq=2.0,
    rms=0.3,
    sim_time=30.0,
    learn_fraction=0.8,
    n_neurons=180,
    learning_rate=10.0,
    readout_neurons=None,
    seed=0,
    dt=0.001,
    progress=None,
    chunk=None,
    readout_options=None,
    memory_options=None,
    probe_memory=True,
):
    """Learn ``target`` (default ``Delay(delay)``) online and measure it.

    Parameters
    ----------
    theta : float or None
        Memory window (s); default ``WINDOW_PER_DELAY * delay``.
    n_neurons : int
        Total memory neurons (split evenly over the ``order`` dimensions).
    readout_neurons : int or None
        Neurons of a readout ensemble (None learns from the memory directly).
    progress : callable, optional
        ``progress(t, sim_time, learning, running_nrmse, wall_s)`` called
        after each ``chunk`` seconds.

    Returns
    -------
    dict
        ``heldout_nrmse`` (last ``(1 - learn_fraction)`` of the run, learning
        off), ``learning_nrmse`` (the last learning stretch of the same
        length), ``window_nrmse`` (the memory's, `.window_errors`),
        ``mean_rate_hz``, ``n_neurons``, ``build_s``, ``wall_s``, ``cpu_s``
        (this process's CPU time while running: unlike the wall time, not
        inflated by other jobs on the machine) and ``data``.
    """
    target = Delay(delay) if target is None else as_window_function(target)
    theta = WINDOW_PER_DELAY * delay if theta is None else theta
    learn_stop = learn_fraction * sim_time
    expected = white_noise(sim_time, freq, rms)
    per_dim = max(1, int(round(n_neurons / order)))
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(white_noise(sim_time, freq, rms, seed=seed), label="u")
        memory = LMUMemory(
            order=order,
            theta=theta,
            n_neurons=per_dim,
            neuron_type=nengo.SpikingRectifiedLinear(),
            synapse=nengo.Lowpass(0.1),
            dt=dt,
            process=expected,
            target=backend,
            discrete=True,
            max_rates=MEMORY_MAX_RATES,
            intercepts=MEMORY_INTERCEPTS,
            headroom=3.0,
            seed=seed,
            **(memory_options or {}),
        )
        nengo.Connection(stim, memory.input, synapse=None)
        readout = PESReadout(
            memory,
            target,
            learning_rate=learning_rate,
            n_neurons=readout_neurons,
            learn_stop=learn_stop,
            **(readout_options or {}),
        )
        probes = {
            "u": nengo.Probe(stim, synapse=None),
            "ideal": nengo.Probe(readout.ideal, synapse=None),
            "output": nengo.Probe(readout.output, synapse=None),
        }
        ensembles = [e for e in model.all_ensembles if e.neuron_type.spiking]
        spike_probes = []
        if probe_memory:
            window = memory.add_window_output(WINDOW_R)
            probes["window"] = nengo.Probe(window, synapse=None)
            spike_probes = [nengo.Probe(e.neurons, synapse=None) for e in ensembles]

    start = time.perf_counter()
    sim = simulators.Simulator(model, backend=backend, dt=dt, progress_bar=False)
    build_s = time.perf_counter() - start
    chunk = sim_time / 10 if chunk is None else chunk
    with sim:
        start = time.perf_counter()
        cpu_start = time.process_time()
        t = 0.0
        while t < sim_time - dt / 2:
            step = min(chunk, sim_time - t)
            sim.run(step)
            t += step
            if progress is not None:
                out = simulators.probe_data(sim, probes["output"])
                ideal = simulators.probe_data(sim, probes["ideal"])
                recent = slice(-int(round(step / dt)), None)
                progress(
                    t,
                    sim_time,
                    t <= learn_stop + dt / 2,
                    float(
                        nrmse(
                            HELDOUT_SYNAPSE.filt(out, dt=dt, y0=0)[recent],
                            HELDOUT_SYNAPSE.filt(ideal, dt=dt, y0=0)[recent],
                        )
                    ),
                    time.perf_counter() - start,
                )
        wall_s = time.perf_counter() - start
        cpu_s = time.process_time() - cpu_start
        data = {name: simulators.probe_data(sim, p) for name, p in probes.items()}
        spikes = sum(float(np.sum(simulators.probe_data(sim, p))) * dt for p in spike_probes)

    out = HELDOUT_SYNAPSE.filt(data["output"], dt=dt, y0=0)
    ideal = HELDOUT_SYNAPSE.filt(data["ideal"], dt=dt, y0=0)
    stop_step = int(round(learn_stop / dt))
    held = slice(stop_step, None)
    length = len(out) - stop_step
    learning = slice(max(stop_step - length, 0), stop_step)
    n_total = int(sum(e.n_neurons for e in ensembles))
    by_r = (
        window_errors(data["u"], data["window"], theta, dt)
        if probe_memory
        else np.array([np.nan])
    )
    return {
        "backend": backend,
        "target": str(target),
        "heldout_nrmse": float(nrmse(out[held], ideal[held])),
        "learning_nrmse": float(nrmse(out[learning], ideal[learning])),
        "window_nrmse": float(np.mean(by_r)),
        "mean_rate_hz": spikes / sim_time / max(n_total, 1),
        "n_neurons": n_total,
        "order": order,
        "theta": theta,
        "dt": dt,
        "learning_rate": learning_rate,
        "build_s": build_s,
        "wall_s": wall_s,
        "cpu_s": cpu_s,
        "data": data,
        "readout": readout.summary(),
    }


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
        choices=simulators.BACKENDS,
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
    parser.add_argument("--sim-time", type=float, default=30.0, help="seconds")
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


def print_progress(t, sim_time, learning, running_nrmse, wall_s):
    print(
        f"  {t:6.1f} / {sim_time:g} s  learning {'on ' if learning else 'off'}  "
        f"NRMSE of the last stretch {running_nrmse:.3f}  ({wall_s:.0f} s wall)",
        flush=True,
    )


def run(args):
    theta = WINDOW_PER_DELAY * args.delay if args.theta is None else args.theta
    target = None if args.target == "delay" else args.target
    print(
        f"nengo-lmu delay: learning {'a ' + str(args.delay) + ' s delay' if target is None else 'the window ' + args.target} "
        f"on {args.backend}, order {args.order}, theta {theta} s, "
        f"{args.n_neurons} memory neurons, {args.sim_time:g} s "
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
    cli.print_table(
        [
            {
                "backend": result["backend"],
                "target": result["target"],
                "heldout_nrmse": result["heldout_nrmse"],
                "learning_nrmse": result["learning_nrmse"],
                "window_nrmse": result["window_nrmse"],
                "mean_rate_hz": result["mean_rate_hz"],
                "n_neurons": result["n_neurons"],
                "wall_s": result["wall_s"],
            }
        ]
    )
    if args.plot:
        plot_learning(data, result, args, args.plot, dt=args.dt)
        print(f"wrote {args.plot}")
    cli.print_json(result)


def plot_learning(data, result, args, filename, dt=0.001):
    """Input, ideal target and learned output, learning on/off shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = dt * np.arange(1, len(data["u"]) + 1)
    stop = args.learn_fraction * args.sim_time
    out = HELDOUT_SYNAPSE.filt(data["output"], dt=dt, y0=0)
    ideal = HELDOUT_SYNAPSE.filt(data["ideal"], dt=dt, y0=0)
    fig, axes = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
    for ax in axes:
        ax.axvspan(0, stop, color="#e6f2e6", label="learning on")
        ax.axvspan(stop, t[-1], color="#f7e6e6", label="learning off")
    axes[0].plot(t, data["u"][:, 0], color="0.6", lw=0.8, label="input u(t)")
    axes[0].plot(t, ideal[:, 0], color="k", lw=1, label=f"ideal: {result['target']}")
    axes[0].plot(t, out[:, 0], color="C3", lw=1, label="learned output")
    axes[0].set_title(
        f"PES-learned {result['target']} on {result['backend']}: held-out NRMSE "
        f"{result['heldout_nrmse']:.3f} (order {result['order']}, theta "
        f"{result['theta']:g} s, {result['n_neurons']} neurons)"
    )
    axes[0].legend(loc="upper right", fontsize="small", ncol=5)
    # zoom on the switch from learning to held out
    error = np.abs(out[:, 0] - ideal[:, 0])
    axes[1].plot(t, error, color="C3", lw=0.6, label="|output - ideal|")
    axes[1].set_xlabel("time (s)")
    axes[1].legend(loc="upper right", fontsize="small", ncol=3)
    fig.tight_layout()
    fig.savefig(filename, dpi=100)
    plt.close(fig)
