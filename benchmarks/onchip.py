"""A task network's memories on neurons (on the chip on Loihi) beside the
exact memory (a host node: the hybrid), deployed spiking with the task's
committed parameters.

The parameters (the task's for the neurons used: on Loihi, those trained
through Loihi's rate curves) were trained with the exact memory; each
layer's memory is replaced by a spiking `.LMUMemory` of ``--neurons``
rectified-linear neurons per dimension (the rate version of which computes
what the exact memory does), with the recurrent synapses
``--memory-synapse`` (seconds, per layer; default a quarter of each window),
each scaled for what its memory receives on ``--calibrate`` training
sequences (`.LMUStack.memory_statistics`), its readout into the hidden
neurons lowpassed at ``--synapse`` (as between layers).
Prints a table (accuracy, time per sequence and, on Loihi, what crosses
between host and chip each step) and, last, one JSON line.

    python benchmarks/onchip.py --backend nengo --n 1000 --neurons 100,30 --steps 20
    python benchmarks/onchip.py --task psdigits --backend nengo --n 497 --steps 20
    python benchmarks/onchip.py --backend dl --rate --n 1000 --neurons 100,30
    python benchmarks/onchip.py --backend nengo --spiking-backend loihi --n 200 \
        --neurons 100,30 --steps 20
    python benchmarks/onchip.py --backend loihi --n 60 --neurons 100,30 --steps 20
"""

import argparse
import json
import time
import warnings

from nengo_lmu import backends, tasks
from nengo_lmu.data import hold
from nengo_lmu.experiments import report
from nengo_lmu.stack import LMUStack, read_file


def neural_config(config, neurons, statistics=None, tuning=None):
    """``config`` with every LMU layer's memory on ``neurons[i]`` neurons,
    scaled for ``statistics[i]`` (if given; else for `.LMUNetwork`'s default
    input, white noise of rms ``memory_input_rms``), tuned as ``tuning`` says
    (if given; else the backend's default)."""
    config = dict(config)
    statistics = statistics or [None] * len(config["layers"])
    config["layers"] = [
        dict(layer, memory_neuron_type="relu", memory_n_neurons=n)
        | ({} if stats is None else {"memory_statistics": stats.to_dict()})
        | ({} if tuning is None else {"memory_tuning": tuning})
        for layer, n, stats in zip(config["layers"], neurons, statistics)
    ]
    return config


def quarter_windows(config, steps, dt=0.001):
    """A quarter of each LMU layer's window (seconds) at ``steps`` per
    element: the recurrent synapse spiking memories want."""
    return [layer["theta"] * steps * dt / 4 for layer in config["layers"]]


def run(task, backend, neurons, steps, memory_synapse, n, calibrate, synapse,
        spiking_backend=None, tuning=None, spiking=True):
    """The table's rows: the exact memory, then the memory on neurons."""
    task = tasks.get(task)
    neurons_of = spiking_backend or backend
    saved = read_file(task.params_path(neurons_of))
    memory_synapse = memory_synapse or quarter_windows(saved.config, steps)
    deploy = dict(task.deploy, synapse=synapse)
    data = task.load_data()
    x, y = data["x_test"][:n], data["y_test"][:n]
    statistics = None
    if calibrate:
        exact = LMUStack.from_config(
            saved.config, saved.parameters, steps_per_element=steps,
            add_to_container=False, **deploy,
        )
        statistics = exact.memory_statistics(data["x"][:calibrate])
    rows = []
    for memory, config in (
        ("exact (host)", saved.config),
        ("neurons", neural_config(saved.config, neurons, statistics, tuning)),
    ):
        stack = LMUStack.from_config(
            config, saved.parameters, backend=backend, spiking=spiking,
            spiking_backend=spiking_backend,
            steps_per_element=steps, memory_synapse=memory_synapse,
            add_to_container=False, **deploy,
        )
        start = time.perf_counter()
        score = stack.score(
            stack.predict(x, progress=report.Progress(f"sequences, {memory}")), y
        )
        wall = time.perf_counter() - start
        use = backends.get(backend).resources(stack, hold(x[:1], steps)[0])
        use.pop("host_sources", None)
        rows.append(dict(memory=memory, backend=backend, neurons_of=neurons_of,
                         n=len(x), **score,
                         memory_synapse=memory_synapse,
                         s_per_sequence=wall / len(x), **use))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", default="mnist1d", choices=("mnist1d", "psdigits"))
    parser.add_argument(
        "--backend", default="nengo", choices=("nengo", "dl", "loihi")
    )
    parser.add_argument(
        "--rate", action="store_true",
        help="rate neurons, one step per element (the network as trained)",
    )
    parser.add_argument(
        "--spiking-backend", default=None, choices=("nengo", "loihi"),
        help="whose spiking neurons (default: the backend's); loihi on the nengo "
        "backend runs Loihi's neurons in floating point, as fast as nengo",
    )
    parser.add_argument(
        "--memory-tuning", type=json.loads, default=None,
        help="the memories' tuning as JSON (LMUNetwork's memory_tuning), e.g. "
        "'{\"intercepts\": [-1.5, -1.1], \"lead\": 0}' (default: the backend's)",
    )
    parser.add_argument(
        "--neurons", default="100", help="per memory dimension, per layer"
    )
    parser.add_argument("--steps", type=int, default=10, help="steps per element")
    parser.add_argument(
        "--memory-synapse", default=None,
        help="recurrent synapse (s) per layer (default: a quarter of each window)",
    )
    parser.add_argument(
        "--synapse", type=float, default=0.005,  # None with --rate
        help="lowpass (s) between layers and on each memory's readout into its "
        "hidden neurons (default 0.005)",
    )
    parser.add_argument("--n", type=int, default=200, help="test sequences")
    parser.add_argument(
        "--calibrate", type=int, default=100,
        help="training sequences the memories are scaled for (0: the default "
        "input, white noise of rms 0.3)",
    )
    args = parser.parse_args(argv)
    if args.rate:  # as training.evaluate runs rates: no lowpass between layers
        args.steps, args.synapse = 1, None
    warnings.filterwarnings("ignore", message="No GPU support detected")
    n_layers = len(tasks.get(args.task).config()["layers"])
    neurons = [int(v) for v in args.neurons.split(",")]
    neurons = (neurons * n_layers)[:n_layers] if len(neurons) == 1 else neurons
    synapses = args.memory_synapse and [
        float(v) for v in args.memory_synapse.split(",")
    ]
    rows = run(args.task, args.backend, neurons, args.steps, synapses, args.n,
               args.calibrate, args.synapse, args.spiking_backend,
               args.memory_tuning, not args.rate)
    report.print_table(
        rows, title=f"{args.task}: the memory on neurons beside the exact memory"
    )
    report.print_json({"task": args.task, "neurons": neurons,
                       "memory_synapse": rows[-1]["memory_synapse"],
                       "synapse": args.synapse, "steps_per_element": args.steps,
                       "calibrate": args.calibrate,
                       "memory_tuning": args.memory_tuning,
                       "rows": rows})


if __name__ == "__main__":
    main()
