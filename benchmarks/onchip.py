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
    python benchmarks/onchip.py --backend loihi --n 200 --neurons 100,30 \
        --steps 20 --memory-tuning '{"intercepts": [-1.5, -1.1], "lead": 0}' \
        --jobs 2

``--jobs N`` shares the test sequences between N processes (the emulator
runs one core per process).
"""

import argparse
import json
import time
import warnings

import numpy as np

from nengo_lmu import backends, tasks
from nengo_lmu.data import hold
from nengo_lmu.experiments import report
from nengo_lmu.experiments.parallel import run_points
from nengo_lmu.experiments.tasks import calibrated_config, memory_synapses
from nengo_lmu.stack import LMUStack, read_file


def predict(config, parameters, options, x, label=None):
    """The outputs on ``x`` of the stack ``config`` builds with ``options``
    (`.LMUStack.from_config`'s): one process's share of the sequences."""
    stack = LMUStack.from_config(config, parameters, add_to_container=False,
                                 **options)
    return stack.predict(x, progress=report.Progress(label) if label else None)


def run(task, backend, neurons, steps, memory_synapse, n, calibrate, synapse,
        spiking_backend=None, tuning=None, spiking=True, jobs=1, skip=0):
    """The table's rows: the exact memory, then the memory on neurons, on
    ``n`` test sequences after the first ``skip``, shared between ``jobs``
    processes."""
    task = tasks.get(task)
    neurons_of = spiking_backend or backend
    saved = read_file(task.params_path(neurons_of, spiking=spiking))
    memory_synapse = memory_synapse or memory_synapses(
        saved.config, steps, saved.config.get("dt", 0.001), 0.25
    )
    deploy = dict(task.deploy, synapse=synapse)
    data = task.load_data()
    if skip >= len(data["x_test"]):
        raise ValueError(
            f"--skip {skip} leaves no test sequences ({task.name} has "
            f"{len(data['x_test'])})"
        )
    x, y = data["x_test"][skip : skip + n], data["y_test"][skip : skip + n]
    neural = calibrated_config(saved, data["x"][:calibrate], neurons, steps, tuning,
                               **deploy)
    rows = []
    for memory, config in (("exact (host)", saved.config), ("neurons", neural)):
        options = dict(deploy, backend=backend, spiking=spiking,
                       spiking_backend=spiking_backend, steps_per_element=steps,
                       memory_synapse=memory_synapse)
        stack = LMUStack.from_config(config, saved.parameters,
                                     add_to_container=False, **options)
        start = time.perf_counter()
        # one share per process, or five (each reported as it ends)
        shares = np.array_split(x, 1 if jobs == 1 else min(5 * jobs, len(x)))
        outputs = run_points(predict, [
            dict(config=config, parameters=saved.parameters, options=options,
                 x=share, label=f"sequences, {memory}" if jobs == 1 else None)
            for share in shares
        ], jobs=jobs)
        score = stack.score(np.concatenate(outputs), y)
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
        "--skip", type=int, default=0,
        help="test sequences left out before the --n evaluated: a long emulator "
        "run shared between sessions (--skip 100 --n 100: the second hundred)",
    )
    parser.add_argument(
        "--calibrate", type=int, default=100,
        help="training sequences the memories are scaled for (0: the default "
        "input, white noise of rms 0.3)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1,
        help="processes sharing the test sequences (the scores equal one "
        "process's; the times per sequence are wall times over all of them)",
    )
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1 (got {args.jobs})")
    if args.skip < 0:
        parser.error(f"--skip must be at least 0 (got {args.skip})")
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
               args.memory_tuning, not args.rate, args.jobs, args.skip)
    report.print_table(
        rows, title=f"{args.task}: the memory on neurons beside the exact memory"
    )
    report.print_json({"task": args.task, "neurons": neurons,
                       "memory_synapse": rows[-1]["memory_synapse"],
                       "synapse": args.synapse, "steps_per_element": args.steps,
                       "calibrate": args.calibrate, "jobs": args.jobs,
                       "skip": args.skip,
                       "memory_tuning": args.memory_tuning,
                       "rows": rows})


if __name__ == "__main__":
    main()
