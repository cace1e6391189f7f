"""The ``nengo-lmu`` command.

Each subcommand prints a readable table and, as its last line, one JSON object
with its figures.  Subcommands live beside the code they run: a module adds
one with an ``add_command(subparsers)`` function listed in `COMMAND_MODULES`.
"""

import argparse
import importlib
import json
import os
import sys

import nengo

COMMAND_MODULES = (
    "nengo_lmu.commands.memory",
    "nengo_lmu.commands.delay",
    "nengo_lmu.commands.tasks",
)

NEURON_TYPES = {
    "lif": lambda: nengo.LIF(),
    "spikingrelu": lambda: nengo.SpikingRectifiedLinear(),
    "poissonlif": lambda: nengo.PoissonSpiking(nengo.LIFRate()),
    "lifrate": lambda: nengo.LIFRate(),
    "relu": lambda: nengo.RectifiedLinear(),
    "loihilif": lambda: importlib.import_module("nengo_loihi").neurons.LoihiLIF(),
    "loihirelu": lambda: importlib.import_module(
        "nengo_loihi"
    ).neurons.LoihiSpikingRectifiedLinear(),
    "none": lambda: None,
}


def neuron_type(name):
    """Build the neuron type named ``name`` (a key of `NEURON_TYPES`)."""
    return NEURON_TYPES[name]()


def print_table(rows, title=None):
    """Print ``rows`` (a list of dicts with the same keys) as an aligned table."""
    if title:
        print(title)
    if not rows:
        return
    keys = list(rows[0])
    cells = [[format_cell(row.get(key)) for key in keys] for row in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    print("  ".join(k.ljust(w) for k, w in zip(keys, widths)))
    print("  ".join("-" * w for w in widths))
    for line in cells:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths)))


def format_cell(value):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def print_json(figures):
    """Print ``figures`` as the one-line JSON object that ends every command."""
    print(json.dumps(figures, default=float))


def build_parser():
    parser = argparse.ArgumentParser(
        prog="nengo-lmu",
        description="The Legendre Memory Unit as a spiking network on Nengo.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_command(subparsers)
    return parser


def main(argv=None):
    # TensorFlow's C++ log lines (NengoDL) would bury the tables
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except (nengo.exceptions.NengoException, ImportError) as error:
        print(f"nengo-lmu {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
