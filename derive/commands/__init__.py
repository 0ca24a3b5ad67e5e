"""Subcommands of the ``derive`` command line, one module each."""
