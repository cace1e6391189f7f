"""The ``nengo-lmu`` command.

Each subcommand parses its arguments and calls the experiment that does the
work (`nengo_lmu.experiments`); it prints a readable table and, as its last
line, one JSON object with its figures.  A module adds a subcommand with an
``add_command(subparsers)`` function listed in `COMMAND_MODULES`.
"""

import argparse
import importlib
import os
import sys

import nengo

COMMAND_MODULES = (
    "nengo_lmu.commands.memory",
    "nengo_lmu.commands.delay",
    "nengo_lmu.commands.tasks",
)


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
    plot = getattr(args, "plot", None)
    if plot and not os.path.isdir(os.path.dirname(os.path.abspath(plot))):
        parser.error(
            f"--plot {plot}: the folder {os.path.dirname(plot)!r} does not exist"
        )
    try:
        return args.run(args) or 0
    except (nengo.exceptions.NengoException, ImportError) as error:
        print(f"nengo-lmu {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
