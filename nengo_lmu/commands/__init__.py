"""Subcommands of the ``nengo-lmu`` command, one module each."""
